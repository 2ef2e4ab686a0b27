#!/bin/sh
# The mainline series' selftest, prog_tests/map_freeze.c, run by test_progs
# (built by scripts/upstream-selftests.sh), its subtests reported as TAP:
# one line per subtest from test_progs' own "#N/M map_freeze/NAME:VERDICT"
# lines. A skipped subtest is not ok: every one must run.
cd /guest/test_progs || exit 1
# The racing subtests take their time under TCG: no 120 s watchdog. -v for
# the subtests' own summaries (trials, EBUSY counts, freeze times).
out=$(./test_progs -v -w 0 -t map_freeze 2>&1)
rc=$?
echo "$out" | sed 's/^/# /'
subs=$(echo "$out" | sed -n 's|^#[0-9]*/[0-9]* *map_freeze/\([A-Za-z0-9_]*\):\([A-Z]*\)$|\1 \2|p')
echo "TAP version 13"
echo "1..$(echo "$subs" | grep -c .)"
n=0
fail=0
echo "$subs" | {
	while read -r name verdict; do
		[ -n "$name" ] || continue
		n=$((n + 1))
		if [ "$verdict" = OK ]; then
			echo "ok $n $name"
		else
			# the verdict on a line of its own: TAP would read
			# "# ..." after the name as a directive
			echo "not ok $n $name"
			echo "# $name: $verdict"
			fail=1
		fi
	done
	exit $fail
}
fail=$?
[ -n "$subs" ] || { echo "not ok 1 no map_freeze subtest ran"; fail=1; }
echo "# test_progs exited with $rc"
[ "$rc" -eq 0 ] && [ "$fail" -eq 0 ]
