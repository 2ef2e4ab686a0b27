#!/usr/bin/env bash
# make bench: what the freeze lock costs, against the unpatched base, in one
# run. Builds (or reuses) these kernels, all with config/test.config +
# config/bench.config:
#   base          the unpatched linux-source-6.12 tree (tag "base")
#   series        the series, through bench/ablation.patch with its default
#                 choice, CONFIG_BPF_FREEZE_BENCH_RWSEM, which compiles the
#                 series' code unchanged (the patch only adds #if branches)
#   mutex, percpu_rwsem, none
#                 the same tree with the other choices of the ablation patch
#                 (none: no freeze bookkeeping on the write path; unsafe)
# boots each under QEMU TCG with 2 vCPUs and runs bench/guest/map_bench,
# round after round, alternating the kernels (ABBA order: every other round
# runs them backwards, so linear drift cancels), then prints the table of
# bench/guest results (scripts/bench-report.py) and writes it to
# build/bench/report.md.
# Environment: BENCH_ROUNDS (default 5).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

B=$BUILD/bench
rounds=${BENCH_ROUNDS:-5}
mkdir -p "$B/logs"
frags=("$TOP/config/test.config" "$TOP/config/bench.config")
variants=(rwsem mutex percpu_rwsem none)

# worktree DIR COMMIT: a detached worktree of build/linux at COMMIT
worktree() {
	if ! git -C "$1" rev-parse --git-dir >/dev/null 2>&1; then
		rm -rf "$1"
		git -C "$KSRC" worktree prune
		git -C "$KSRC" worktree add -q --detach "$1" "$2"
	fi
}

# The ablation tree: the series plus bench/ablation.patch, recreated only when
# either changes (a checkout touches files, and that means rebuilding).
abl=$B/src-ablation
worktree "$abl" series
want=$(git -C "$KSRC" rev-parse "series^{tree}")-$(sha256sum <"$TOP/bench/ablation.patch" | cut -c1-16)
if [ "$(cat "$B/ablation-key" 2>/dev/null)" != "$want" ]; then
	step "bench: applying bench/ablation.patch on the series"
	git -C "$abl" checkout -q --detach series
	git -C "$abl" -c user.name=harness -c user.email=harness@localhost \
		am -q "$TOP/bench/ablation.patch" || { git -C "$abl" am --abort; die "bench/ablation.patch does not apply on the series"; }
	echo "$want" >"$B/ablation-key"
fi
worktree "$B/src-base" base

# kernel NAME SRC BUILD FRAGMENT...: build bzImage of SRC in
# build/kbuild-BUILD with the fragments, copied to build/bench/NAME.bzImage;
# skipped when the source tree and the fragments did not change.
kernel() {
	local name=$1 src=$2 obj=$3 key
	shift 3
	key=$(git -C "$src" rev-parse "HEAD^{tree}")-$(cat "$@" | sha256sum | cut -c1-16)
	if [ -f "$B/$name.bzImage" ] && [ "$(cat "$B/$name.key" 2>/dev/null)" = "$key" ]; then
		echo "    $name: built before (same tree and config)"
		return
	fi
	KSRC=$src "$TOP/scripts/build.sh" "$obj" "$@"
	cp "$BUILD/kbuild-$obj/arch/x86/boot/bzImage" "$B/$name.bzImage"
	echo "$key" >"$B/$name.key"
}

kernel base "$B/src-base" bench-base "${frags[@]}"
for v in "${variants[@]}"; do
	name=$v
	[ "$v" = rwsem ] && name=series
	kernel "$name" "$abl" bench-ablation "${frags[@]}" "$TOP/config/bench-$v.config"
done

step "bench: guest program and initramfs"
U=$B/user
root=$U/initramfs
mkdir -p "$U"
clang -O2 -g -Wall -Wextra -Werror -static -I"$KSRC/tools/include/uapi" \
	"$TOP/bench/guest/map_bench.c" -lpthread -o "$U/map_bench"
rm -rf "$root"
mkdir -p "$root"/{bin,dev,proc,sys,tmp,guest}
cp /bin/busybox "$root/bin/busybox"
cp "$TOP/guest/init" "$root/init"
cp "$TOP/bench/guest/bench.sh" "$U/map_bench" "$root/guest/"
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) >"$B/initramfs.cpio"

kernels=(base series mutex percpu_rwsem none)
rm -f "$B"/logs/*.log
for ((r = 1; r <= rounds; r++)); do
	order=("${kernels[@]}")
	if ((r % 2 == 0)); then
		order=()
		for ((i = ${#kernels[@]} - 1; i >= 0; i--)); do
			order+=("${kernels[$i]}")
		done
	fi
	for k in "${order[@]}"; do
		log=$B/logs/round$r-$k.log
		KERNEL=$B/$k.bzImage INITRD=$B/initramfs.cpio GUEST_TIMEOUT=600 \
			"$TOP/scripts/boot.sh" bench "$log" "$k" | sed "s/^/[round $r\/$rounds] /"
		grep -q '^<<<end bench rc=0>>>$' "$log" ||
			{ tail -n 30 "$log" >&2; die "benchmark failed on $k in round $r, see ${log#"$TOP"/}"; }
	done
done

python3 "$TOP/scripts/bench-report.py" --rounds "$rounds" "$B/logs" | tee "$B/report.md"
ok "bench: table in ${B#"$TOP"/}/report.md"
