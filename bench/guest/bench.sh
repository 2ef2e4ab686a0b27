#!/bin/sh
# Run by /init with freeze.mode=bench: the benchmark program between markers
# that scripts/bench-report.py reads, with the same parameters on every
# kernel. The update throughput is measured 5 times (0.5 s each) and the
# report takes the median of the 5, so that one hiccup of the host does not
# make the round's number. With freeze.bench=insn on the command line (a
# 1-vCPU guest under the QEMU plugin bench/qemu/insn_marks.c), only the
# instruction counts.
rc=0
if grep -q 'freeze\.bench=insn' /proc/cmdline; then
	echo "<<<bench insn>>>"
	BENCH_INSN_N=5000 BENCH_FREEZE_N=200 /guest/map_bench insn || rc=1
	echo "<<<end bench rc=$rc>>>"
	exit 0
fi
echo "<<<bench>>>"
for i in 1 2 3 4 5; do
	BENCH_DURATION=0.5 /guest/map_bench update || rc=1
done
BENCH_FREEZE_N=200 BENCH_LOAD_TRIALS=200 /guest/map_bench freeze_idle freeze_load || rc=1
echo "<<<end bench rc=$rc>>>"
