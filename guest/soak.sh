#!/bin/sh
# Run by /init with freeze.mode=soak (make soak): the series' selftest with
# freeze.trials=N racing-writer trials (default 100000), then a record of
# freeze latency under load, both as TAP between the markers that
# scripts/evaluate.py reads.
trials=$(sed -n 's/.*freeze\.trials=\([0-9]*\).*/\1/p' /proc/cmdline)
trials=${trials:-100000}

# The series' selftest: test_map_freeze (6.12) or test_progs' map_freeze
# (mainline, through its TAP wrapper).
selftest=/guest/tests/test_map_freeze
[ -x "$selftest" ] || selftest=/guest/tests/map_freeze.sh
echo "<<<test soak_selftest>>>"
t0=$(date +%s)
MAP_FREEZE_TRIALS=$trials "$selftest" </dev/null 2>&1
rc=$?
echo "# ${selftest##*/}: racing_writers with $trials trials, $(($(date +%s) - t0)) s"
echo "<<<end soak_selftest rc=$rc>>>"

# Freeze under load, many times: every first try must succeed, no write may
# land after freeze returned; the latency percentiles are the record.
echo "<<<test soak_freeze_latency>>>"
load_trials=$((trials / 20))
out=$(BENCH_LOAD_TRIALS=$load_trials /guest/map_bench freeze_load 2>&1)
rc=$?
echo "$out" | sed 's/^/# /'
get() { echo "$out" | awk -v m="$1" '$1 == "bench" && $2 == m { print $3 }'; }
echo "1..3"
n=0 fail=0
tap() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; fail=1; fi
}
tap "$rc" "map_bench_freeze_load_${load_trials}_trials"
awk -v v="$(get freeze_load_first_try_pct)" 'BEGIN { exit !(v != "" && v + 0 == 100) }'
tap $? "first_try_success_is_100_pct"
[ "$(get freeze_load_late_writes)" = 0 ]
tap $? "no_late_writes"
echo "<<<end soak_freeze_latency rc=$fail>>>"
