#!/usr/bin/env bash
# Build the kernel at every prefix of the series, as a bisection would meet
# it, with config/bisect.config (the smallest kernel that builds every file
# the series touches): every commit base..series with CONFIG_RUST=n
# (+ config/norust.config), and, from the commit before the first one that
# touches Rust code on, every commit with CONFIG_RUST=y and CLIPPY=1. A
# prefix passes when bzImage builds and the build prints no warning and no
# error that the first build of its sweep (the base for CONFIG_RUST=n, the
# last commit before the Rust patches for CONFIG_RUST=y), built from scratch
# with the same config, does not print too (clang 19 finds a few in the base
# tree: stack frames over 1024 bytes with this config); so this is also the
# clippy gate of the series' Rust code. The C-only prefixes are not built
# with CONFIG_RUST=y: the Rust side of the tree does not change there, and
# that would cost a from-scratch Rust build of the base on every run.
#
# The builds run in a git worktree of build/SERIES/linux
# (build/SERIES/bisect/linux) with their own object trees
# (build/SERIES/bisect/kbuild-*), moving from one prefix to the next so that
# each step rebuilds only what the commit changed. Every prefix is built on
# every run (the compiler cache makes the C side of a rebuild cheap); no
# verdict is reused. build/SERIES/bisect-stamps keeps the baselines'
# warnings of the last run and the (tree, config) pairs that passed, for
# the record.
# usage: bisect.sh [RESULTS]  (appends one result per build to RESULTS)
set -uo pipefail
. "$(dirname "$0")/lib.sh"

results=${1:-}
BISECT=$BUILD/bisect
wt=$BISECT/linux
stamps=$BISECT/stamps
mkdir -p "$stamps" "$BISECT/logs"

ensure_worktree "$wt" base

mapfile -t commits < <(git -C "$KSRC" rev-list --reverse base..series)
((${#commits[@]})) || die "no series commits in ${KSRC#"$TOP"/} (make tree)"

fail=0
# result STATUS NAME DETAIL
result() {
	add_result "$results" "$@"
	[ "$1" = PASS ] || fail=1
}

# warnings LOG: the build's warnings and errors, one per line, without line
# numbers, sizes and the source tree's path, so that two builds compare
warnings() {
	grep -E '(warning|error)(\[[^]]*\])?:' "$1" |
		sed -E "s|$wt/||; s/:[0-9]+(:[0-9]+)?:/:/; s/[0-9]+/N/g" | sort -u
}

# build_at N COMMIT NAME FRAGMENT...: build the tree of COMMIT (prefix N;
# 0 is the base, whose warnings are recorded for the later prefixes)
build_at() {
	local n=$1 commit=$2 name=$3 tree key log new nn
	shift 3
	nn=$(printf '%02d' "$n")
	tree=$(git -C "$KSRC" rev-parse "$commit^{tree}")
	key=$name-$tree-$(cat "$@" | sha256sum | cut -c1-16)
	local label part=base
	((n == 0)) || part=$(series_part_of "$n")
	label="bisect/$nn-$name/$part/$(git -C "$KSRC" log -1 --format=%f "$commit" | cut -c1-52)"
	git -C "$wt" checkout -q --detach "$commit" || die "checkout of $commit in $wt failed"
	# The baseline is built from scratch, so that its warnings are all there.
	((n)) || rm -rf "$BISECT/kbuild-$name"
	log=$BISECT/logs/kbuild-$name.log
	if BUILD=$BISECT KSRC=$wt KMAKE_ARGS=CLIPPY=1 "$TOP/scripts/build.sh" "$name" "$@" \
		>"$LOGS/bisect-$name-step.log" 2>&1; then
		cp "$log" "$LOGS/bisect-$nn-$name.log"
		if ((n == 0)); then
			warnings "$log" >"$stamps/base-warnings-$name"
			touch "$stamps/$key"
			result PASS "$label" "$(wc -l <"$stamps/base-warnings-$name") warnings of this baseline recorded"
			return
		fi
		new=$(comm -23 <(warnings "$log") "$stamps/base-warnings-$name")
		if [ -n "$new" ]; then
			printf '%s\n' "$new"
			result FAIL "$label" "new warnings, see logs/bisect-$nn-$name.log"
		else
			touch "$stamps/$key"
			result PASS "$label" ""
		fi
	else
		cp "$LOGS/bisect-$name-step.log" "$LOGS/bisect-$nn-$name.log"
		result FAIL "$label" "build failed, see logs/bisect-$nn-$name.log"
	fi
}

# The first commit whose change touches Rust code (a .rs file or rust/)
first_rust=${#commits[@]}
for i in "${!commits[@]}"; do
	if git -C "$KSRC" diff --name-only "${commits[$i]}~1" "${commits[$i]}" |
		grep -Eq '\.rs$|^rust/'; then
		first_rust=$i
		break
	fi
done
step "bisect: ${#commits[@]} prefixes with CONFIG_RUST=n, $((${#commits[@]} - first_rust)) with CONFIG_RUST=y and CLIPPY=1"
rust=("$TOP/config/bisect.config")
norust=("$TOP/config/bisect.config" "$TOP/config/norust.config")
build_at 0 base norust "${norust[@]}"
for i in "${!commits[@]}"; do
	build_at $((i + 1)) "${commits[$i]}" norust "${norust[@]}"
done
if ((first_rust < ${#commits[@]})); then
	# The baseline of the Rust sweep: the tree just before the Rust patches.
	if ((first_rust == 0)); then
		build_at 0 base rust "${rust[@]}"
	else
		build_at 0 "${commits[$((first_rust - 1))]}" rust "${rust[@]}"
	fi
	for ((i = first_rust; i < ${#commits[@]}; i++)); do
		build_at $((i + 1)) "${commits[$i]}" rust "${rust[@]}"
	done
fi
ok "bisect"
exit $fail
