#!/bin/sh
# Run by /init with freeze.mode=bench: the benchmark program between markers
# that scripts/bench-report.py reads. The same parameters on every kernel.
echo "<<<bench>>>"
BENCH_DURATION=1 BENCH_FREEZE_N=200 BENCH_LOAD_TRIALS=200 /guest/map_bench
echo "<<<end bench rc=$?>>>"
