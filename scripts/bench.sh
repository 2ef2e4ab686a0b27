#!/usr/bin/env bash
# make bench: what the freeze protocol costs, against the unpatched base, in
# one run. Builds (or reuses) these kernels, all with config/test.config +
# config/bench.config:
#   base          the unpatched linux-source-6.12 tree (tag "base")
#   series        the series, through bench/ablation.patch with its default
#                 choice, CONFIG_BPF_FREEZE_BENCH_COUNTER, which compiles the
#                 series' code unchanged (the patch only adds #if branches):
#                 the count of writers in flight, with the Rust handler
#   series_c      the same with config/norust.config: the C handler of
#                 BPF_MAP_FREEZE on the same protocol, so that series/series_c
#                 is the Rust handler's cost on its own
#   rwsem         the previous version of the series: a per-map rw_semaphore,
#                 writers shared, freeze exclusive
#   mutex, percpu_rwsem
#                 the same lock as a mutex (writers serialize) or a
#                 percpu_rw_semaphore (freeze waits for a grace period)
#   none          no freeze bookkeeping on the write path at all, only the
#                 frozen check (unsafe: freeze waits for no writer); the limit
# The last four are the other choices of the ablation patch (Rust handler).
# Boots each under QEMU TCG with 2 vCPUs and runs bench/guest/map_bench,
# round after round, alternating the kernels (ABBA order: every other round
# runs them backwards, so linear drift cancels), then prints the table of
# bench/guest results (scripts/bench-report.py) and writes it to
# build/bench/report.md.
# Environment: BENCH_ROUNDS (default 5).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# bench/ablation.patch was written against the previous shape of the 6.12
# series (bpf_map_freeze(map, mode)); it does not apply cleanly to either
# series as they are now (patch(1) with fuzz puts a hunk into the wrong
# function), and a benchmark on a mis-patched tree measures nothing. Refuse
# until it is ported.
if ! git -C "$KSRC" apply --check --cached "$TOP/bench/ablation.patch" 2>/dev/null &&
	! (cd "$KSRC" && patch -p1 --dry-run -F0 <"$TOP/bench/ablation.patch" >/dev/null 2>&1); then
	die "bench/ablation.patch does not apply to patches/$SERIES without fuzz: it has not been ported to this version of the series (make bench not available yet)"
fi

B=$BUILD/bench
rounds=${BENCH_ROUNDS:-5}
mkdir -p "$B/logs"
frags=("$TOP/config/test.config" "$TOP/config/bench.config")
variants=(counter rwsem mutex percpu_rwsem none)

# The ablation tree: the series plus bench/ablation.patch. The commit is made
# without a checkout (the patch applied to a scratch index), so that moving the
# worktree to it touches only the files that differ: a checkout touches
# files, and a touched file is rebuilt.
abl=$B/src-ablation
ensure_worktree "$abl" series
want=$(git -C "$KSRC" rev-parse "series^{tree}")-$(sha256sum <"$TOP/bench/ablation.patch" | cut -c1-16)
if [ "$(cat "$B/ablation-key" 2>/dev/null)" != "$want" ]; then
	step "bench: applying bench/ablation.patch on the series"
	idx=$(mktemp)
	GIT_INDEX_FILE=$idx git -C "$KSRC" read-tree series
	GIT_INDEX_FILE=$idx git -C "$KSRC" apply --cached "$TOP/bench/ablation.patch" ||
		{ rm -f "$idx"; die "bench/ablation.patch does not apply on the series"; }
	tree=$(GIT_INDEX_FILE=$idx git -C "$KSRC" write-tree)
	rm -f "$idx"
	commit=$(git -C "$KSRC" -c user.name=harness -c user.email=harness@localhost \
		commit-tree "$tree" -p series -m "BENCH ONLY: bench/ablation.patch")
	git -C "$abl" checkout -q --detach "$commit"
	echo "$want" >"$B/ablation-key"
fi
ensure_worktree "$B/src-base" base

bench_kernel base "$B/src-base" bench-base "${frags[@]}"
for v in "${variants[@]}"; do
	name=$v
	[ "$v" = counter ] && name=series
	bench_kernel "$name" "$abl" bench-ablation "${frags[@]}" "$TOP/config/bench-$v.config"
done
# series_c has an object tree of its own: switching CONFIG_RUST off and on in
# bench-ablation would rebuild the Rust crates whenever the kernels are.
bench_kernel series_c "$abl" bench-ablation-norust "${frags[@]}" \
	"$TOP/config/bench-counter.config" "$TOP/config/norust.config"

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

kernels=(base series series_c rwsem mutex percpu_rwsem none)
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
