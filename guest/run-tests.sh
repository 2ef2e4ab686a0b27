#!/bin/sh
# Run every test program in /guest/tests, each between markers that the host
# (scripts/evaluate.py) reads: TAP lines in between, the exit code at the end.
# A test's name is its file name without ".sh".
# More race trials than the selftest's default: the guest has the time;
# freeze.trials=N on the kernel command line instead (make check-debug: the
# selftest's default of 2000, since KASAN makes every trial many times
# slower; race coverage is make check's and make soak's).
trials=$(sed -n 's/.*freeze\.trials=\([0-9]*\).*/\1/p' /proc/cmdline)
export MAP_FREEZE_TRIALS=${trials:-10000}
echo "# MAP_FREEZE_TRIALS=$MAP_FREEZE_TRIALS"
# freeze.slow=N (make check-debug): the stress tests' watchdogs N times longer
# on a kernel that runs every test several times slower.
slow=$(sed -n 's/.*freeze\.slow=\([0-9]*\).*/\1/p' /proc/cmdline)
if [ -n "$slow" ]; then
	export STRESS_WATCHDOG_SCALE=$slow
	echo "# freeze.slow=$slow: stress watchdogs $slow times longer"
fi
for t in /guest/tests/*; do
	name=${t##*/}
	name=${name%.sh}
	echo "<<<test $name>>>"
	"$t" </dev/null 2>&1
	echo "<<<end $name rc=$?>>>"
done
