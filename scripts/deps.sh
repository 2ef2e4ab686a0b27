#!/usr/bin/env bash
# Install everything the harness needs, idempotently. Safe to run every time:
# each step first checks whether its result is already present.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

APT_PKGS=(clang-19 lld-19 llvm-19 libclang-19-dev qemu-system-x86 bc flex bison
	  libelf-dev libssl-dev cpio busybox-static dwarves linux-source-6.12
	  zlib1g-dev libzstd-dev python3 python3-ply python3-git git make xz-utils
	  pkg-config python3-sphinx python3-sphinx-rtd-theme ccache iproute2 rsync
	  clang-22 lld-22 llvm-22 openssl keyutils fsverity ethtool)

missing=()
for p in "${APT_PKGS[@]}"; do
	[[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) == *"install ok installed"* ]] ||
		missing+=("$p")
done
if ((${#missing[@]})); then
	step "apt-get install ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	run_logged apt-update apt-get update
	run_logged apt-install apt-get install -y --no-install-recommends "${missing[@]}"
fi

if ! command -v rustup >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/rustup" ]; then
	export PATH="$HOME/.cargo/bin:$PATH"
fi
command -v rustup >/dev/null 2>&1 || die "rustup not found: this harness needs the machine's Rust toolchain"

sysroot=$(rustc --print sysroot)
if [ ! -d "$sysroot/lib/rustlib/src/rust/library" ]; then
	step "rustup component add rust-src"
	run_logged rustup rustup component add rust-src
fi

# clippy-driver, for the CLIPPY=1 builds of scripts/bisect.sh
if ! command -v clippy-driver >/dev/null 2>&1; then
	step "rustup component add clippy"
	run_logged rustup-clippy rustup component add clippy
fi

# One bindgen-cli per tree, each in its own root (lib.sh puts the one of
# $SERIES first in PATH): 6.12 was measured with 0.69.5, 7.3 needs >= 0.71.1.
for v in 0.69.5 0.72.1; do
	if [[ $("/opt/bindgen-$v/bin/bindgen" --version 2>/dev/null) != *"$v"* ]]; then
		step "cargo install bindgen-cli $v (into /opt/bindgen-$v)"
		run_logged "bindgen-$v" cargo install --locked bindgen-cli --version "$v" --root "/opt/bindgen-$v"
	fi
done

# Debian's linux-source-7.3 (the mainline base) is in trixie-backports: an
# apt source for that suite pinned at priority 1 (nothing is ever installed
# or upgraded from it by default), then the package is downloaded and
# unpacked into the cache, not installed (the tarball is all it holds).
src73=$LINUX73_DIR
ver73=$LINUX73_VERSION
if [ "$(cat "$src73/.version" 2>/dev/null)" != "$ver73" ]; then
	list=/etc/apt/sources.list.d/bpf-freeze-trixie-backports.sources
	printf '%s\n' "Types: deb" "URIs: http://deb.debian.org/debian" "Suites: trixie-backports" \
		"Components: main" "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg" >"$list"
	printf '%s\n' "Package: *" "Pin: release n=trixie-backports" "Pin-Priority: 1" \
		>/etc/apt/preferences.d/bpf-freeze-trixie-backports
	step "downloading linux-source-7.3 $ver73 from trixie-backports"
	run_logged apt-update-backports apt-get update -o Dir::Etc::sourcelist="$list" \
		-o Dir::Etc::sourceparts=- -o APT::Get::List-Cleanup=0
	rm -rf "$src73" && mkdir -p "$src73/deb"
	(cd "$src73/deb" && run_logged apt-download-7.3 apt-get download "linux-source-7.3=$ver73")
	run_logged dpkg-x-7.3 dpkg -x "$src73"/deb/linux-source-7.3_*.deb "$src73"
	rm -rf "$src73/deb"
	echo "$ver73" >"$src73/.version"
fi

# Debian 13's pahole for the BPF-CI kernels, unpacked into its own root
# with what it needs, never installed (scripts/pahole.py says why); Debian
# 12's dwarves stays the host's.
python3 "$TOP/scripts/pahole.py" "${PAHOLE_BPF_CI%/*}" "$PAHOLE_BPF_CI_VERSION"
# b4 from PyPI, pinned, for the b4 gate (scripts/b4-check.sh).
B4_VERSION=0.16.0
if [ "$(b4 --version 2>/dev/null)" != "$B4_VERSION" ]; then
	step "pip install b4==$B4_VERSION"
	run_logged pip-b4 python3 -m pip install --root-user-action=ignore "b4==$B4_VERSION"
	[ "$(b4 --version 2>/dev/null)" = "$B4_VERSION" ] || die "b4 $B4_VERSION not on PATH after pip install"
fi

ok "dependencies present"
