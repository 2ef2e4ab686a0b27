#!/bin/sh
# The upstream BPF selftests that exercise BPF_MAP_FREEZE, unmodified, run by
# test_progs (built by scripts/upstream-selftests.sh with only these tests),
# its output reported as TAP: one line per test, from test_progs' own
# "#N name:OK" verdicts.
cd /guest/test_progs || exit 1
# The list scripts/upstream-selftests.sh built in: mmap global_data_init
# rdonly_maps skeleton (global_data_init only where it needs no vmlinux.h).
TESTS=$(cat TESTS)
out=$(./test_progs -t "$(echo $TESTS | tr ' ' ',')" 2>&1)
rc=$?
echo "$out" | sed 's/^/# /'
echo "TAP version 13"
echo "1..$(echo $TESTS | wc -w)"
n=0
fail=0
for t in $TESTS; do
	n=$((n + 1))
	if echo "$out" | grep -Eq "^#[0-9]+ +$t:OK\$"; then
		echo "ok $n $t"
	else
		echo "not ok $n $t"
		fail=1
	fi
done
echo "# test_progs exited with $rc"
[ "$rc" -eq 0 ] && [ "$fail" -eq 0 ]
