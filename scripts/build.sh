#!/usr/bin/env bash
# Configure and build bzImage from build/linux with clang 19 (LLVM=1).
# usage: build.sh [NAME [FRAGMENT...]]  (default: rust config/test.config)
# The object tree is build/kbuild-NAME; the config is rebuilt only when the
# fragments change, so a one-file change rebuilds incrementally.
# Environment: KSRC (source tree, default build/linux), KMAKE_ARGS (extra
# make arguments for the bzImage build, e.g. CLIPPY=1); KCONFIG_BASE, a list
# of config files whose concatenation, completed by olddefconfig, is the
# base instead of tinyconfig (as the BPF selftests' vmtest.sh makes its
# config; only the fragments' options are then checked); CONFIG_ONLY=1 stops
# after configuring; KBUILD_TARGETS, what to build (default bzImage; the
# BPF selftests' kernel also needs its modules and Module.symvers, for
# bpf_testmod); PAHOLE, the pahole Kbuild runs (default: the host's; when
# set, part of the fragments' hash, so that a kernel configured with
# another pahole is configured again: CONFIG_PAHOLE_VERSION and the BTF
# options follow it).
#
# A configuration is a function of the tree, the base and fragments, the
# toolchain Kconfig probes (clang, ld.lld, rustc, bindgen, pahole) and this
# script: with the tree committed (no edits), it is kept under that key in
# /var/cache/bpf-freeze/kconfig/ and reused by a fresh object tree (a fresh
# clone) instead of being made again (tinyconfig, merge, olddefconfig take
# about 20 s). Every fragment option is checked on it either way.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

name=${1:-rust}
shift || true
frags=("$@")
((${#frags[@]})) || frags=("$TOP/config/test.config")
obj=$BUILD/kbuild-$name
mkdir -p "$obj"
# The series' own options (config/SERIES.config, e.g. the Kconfig symbol of
# the Rust handler) come right after the first fragment, so that later ones
# (norust.config) can still turn them off; only those the tree defines, so
# that the unpatched base and the prefixes of make bisect build too.
if [ -f "$TOP/config/$SERIES.config" ]; then
	sfrag=$obj.series.config
	: >"$sfrag"
	while IFS= read -r line; do
		sym=$(sed -n 's/^\(# \)\{0,1\}CONFIG_\([A-Za-z0-9_]*\).*/\2/p' <<<"$line")
		[ -n "$sym" ] || continue
		if grep -rqxE --include='Kconfig*' "(menu)?config $sym" "$KSRC"; then
			echo "$line" >>"$sfrag"
		fi
	done <"$TOP/config/$SERIES.config"
	frags=("${frags[0]}" "$sfrag" "${frags[@]:1}")
fi

read -r -a kbase <<<"${KCONFIG_BASE:-}"
want=$({
	cat "${kbase[@]}" "${frags[@]}"
	[ -z "${PAHOLE:-}" ] || "$PAHOLE" --version
} | sha256sum | cut -d' ' -f1)

# config_key: the cache key of the configuration, or nothing if the tree
# has uncommitted edits
config_key() {
	[ -z "$(git -C "$KSRC" status --porcelain --untracked-files=no)" ] || return 0
	{
		git -C "$KSRC" rev-parse 'HEAD^{tree}'
		echo "$want"
		clang --version
		ld.lld --version
		rustc --version 2>&1 || true
		bindgen --version 2>&1 || true
		"${PAHOLE:-pahole}" --version 2>&1 || true
		cat "$0"
	} | sha256sum | cut -d' ' -f1
}

if [ ! -f "$obj/.config" ] || [ "$(cat "$obj/.fragments-hash" 2>/dev/null)" != "$want" ]; then
	key=$(config_key)
	cached=/var/cache/bpf-freeze/kconfig/$key.config
	hit=0
	[ -n "$key" ] && [ -f "$cached" ] && hit=1
	if ((hit)); then
		step "configuring $name: the configuration made before from the same tree, fragments and toolchain"
		cp "$cached" "$obj/.config"
	elif ((${#kbase[@]})); then
		step "configuring $name: ${kbase[*]#"$TOP"/} + ${frags[*]#"$TOP"/}"
		cat "${kbase[@]}" >"$obj/.config"
		run_logged "config-$name" kmake O="$obj" olddefconfig
	else
		step "configuring $name: tinyconfig + ${frags[*]#"$TOP"/}"
		run_logged "config-$name" kmake O="$obj" tinyconfig
	fi
	if ((!hit)); then
		run_logged "merge-$name" "$KSRC/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "${frags[@]}"
		run_logged "olddefconfig-$name" kmake O="$obj" olddefconfig
	fi
	# Every option the fragments ask for (the last fragment that names an
	# option wins, as in merge_config.sh) must have survived olddefconfig.
	bad=0
	declare -A want_opt=()
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=*) want_opt[${line%%=*}]=$line ;;
		"# CONFIG_"*" is not set") opt=${line#\# }; want_opt[${opt%% *}]=$line ;;
		esac
	done < <(cat "${frags[@]}")
	for opt in "${!want_opt[@]}"; do
		line=${want_opt[$opt]}
		case "$line" in
		CONFIG_*) grep -qx -- "$line" "$obj/.config" || { echo "config: $line did not stick" >&2; bad=1; } ;;
		*) ! grep -q "^$opt=" "$obj/.config" || { echo "config: $opt should be unset" >&2; bad=1; } ;;
		esac
	done
	((bad == 0)) || die "the kernel config lacks options the tests need (is the Rust toolchain available? see 'make -C build/linux LLVM=1 rustavailable')"
	if ((!hit)) && [ -n "$key" ]; then
		mkdir -p "${cached%/*}"
		cp "$obj/.config" "$cached.tmp.$$"
		mv "$cached.tmp.$$" "$cached"
	fi
	echo "$want" >"$obj/.fragments-hash"
fi
if [ "${CONFIG_ONLY:-}" = 1 ]; then
	ok "kernel $name: configured (${obj#"$TOP"/}/.config)"
	exit 0
fi

targets=${KBUILD_TARGETS:-bzImage}
step "building $targets ($name)"
# shellcheck disable=SC2086 # KMAKE_ARGS and targets are lists of words
run_logged "kbuild-$name" kmake O="$obj" ${KMAKE_ARGS:-} $targets
ok "kernel $name: ${obj#"$TOP"/}/arch/x86/boot/bzImage"
