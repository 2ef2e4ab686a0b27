#!/bin/sh
# The BPF selftests in the guest, as BPF CI runs them (libbpf/ci's
# vmtest-init.sh and run-bpf-selftests.sh): bpffs, tracefs, debugfs and the
# loopback up, then the suites from the selftests' folder (/guest/bpf). Each
# suite's output goes between the markers scripts/evaluate.py reads, with
# one TAP line per test. The suites of a boot, by bpfci.suite on the
# kernel's command line:
#   subset (make check-bpf-ci-maps and make check): test_progs with
#     config/bpf-ci.allowlist (one TAP line per allowlisted test: one that
#     did not run is not ok), then test_maps_tcg;
#   progs, maps or verifier (make check-bpf-ci, a boot per suite: each
#     takes up to an hour under TCG): all of test_progs (one TAP line per
#     test it ran), test_maps or test_verifier (its cases are compared from
#     its output by scripts/bpf-ci-compare.py);
#   tests (make check-bpf-ci-tests): test_progs with the tests bpfci.tests
#     names (comma-separated), one TAP line each, as the subset's.
# test_progs honours the tree's DENYLIST and ours (config/bpf-ci.denylist:
# each entry says why); a test_progs test that skipped even one subtest is
# not ok. Each program's standard error is printed after its output, apart:
# mixed into one file, an unbuffered message could split a verdict line.
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
# POSIX shared memory (d_path's mkstemp() in /dev/shm)
mkdir -p /dev/shm
mount -t tmpfs tmpfs /dev/shm
ip link set lo up
mkdir -p /run/netns
cd /guest/bpf || exit 1
suite=$(sed -n 's/.*bpfci\.suite=\([a-z]*\).*/\1/p' /proc/cmdline)
echo "# bpfci.suite=$suite"

# tap_test_progs OUT [TEST...]: TAP from test_progs' "#N name:VERDICT"
# lines: one per TEST given (not ok when it did not run), else one per test
# in OUT.
tap_test_progs() {
	out=$1
	shift
	verdicts=$(sed -n 's|^#[0-9]* *\([A-Za-z0-9_]*\):\(.*\)$|\1 \2|p' "$out")
	[ $# -gt 0 ] || set -- $(echo "$verdicts" | cut -d' ' -f1)
	echo "TAP version 13"
	echo "1..$#"
	n=0
	for t; do
		n=$((n + 1))
		v=$(echo "$verdicts" | sed -n "s/^$t //p")
		case "$v" in
		OK) echo "ok $n $t" ;;
		"OK (SKIP: "*) echo "ok $n $t # SKIP ${v#OK }" ;;
		SKIP*) echo "ok $n $t # SKIP ${v#SKIP}" ;;
		"") echo "not ok $n $t"; echo "# $t: did not run" ;;
		*) echo "not ok $n $t"; echo "# $t: $v" ;;
		esac
	done
}

# run NAME CMD...: CMD with its output printed as TAP comments as it comes
# (in the blocks CMD's stdio writes to a pipe: a run of hours shows how far
# it got) and kept as NAME.out in the guest's /tmp, its standard error as
# NAME.err there, printed after it; returns CMD's status (125 if none was
# recorded)
run() {
	name=$1
	shift
	rm -f /tmp/$name.rc
	{
		"$@" 2>/tmp/$name.err
		echo $? >/tmp/$name.rc
	} | tee /tmp/$name.out | sed 's/^/# /'
	echo "# stderr:"
	sed 's/^/# /' /tmp/$name.err
	rc=$(cat /tmp/$name.rc 2>/dev/null)
	return "${rc:-125}"
}

# test_progs with a 600 s watchdog per test (TCG is slow; BPF CI's
# default is 120 s on KVM).
test_progs() {
	run tp ./test_progs -w 600 -d @DENYLIST -d @bpf-ci.denylist "$@"
}

if [ "$suite" = subset ] || [ "$suite" = progs ] || [ "$suite" = tests ]; then
	echo "<<<test bpf_ci_test_progs>>>"
	start=$(date +%s)
	if [ "$suite" = progs ]; then
		test_progs
		rc=$?
		tap_test_progs /tmp/tp.out
	elif [ "$suite" = tests ]; then
		tests=$(sed -n 's/.*bpfci\.tests=\([A-Za-z0-9_,]*\).*/\1/p' /proc/cmdline)
		test_progs -a "$tests"
		rc=$?
		tap_test_progs /tmp/tp.out $(echo "$tests" | tr , ' ')
	else
		test_progs -a @bpf-ci.allowlist
		rc=$?
		tap_test_progs /tmp/tp.out $(sed 's/#.*//' bpf-ci.allowlist)
	fi
	echo "# test_progs exited with $rc after $(($(date +%s) - start)) s"
	echo "<<<end bpf_ci_test_progs rc=$rc>>>"
fi

# test_maps on the two vCPUs, as BPF CI runs it (taskset); it reads the
# BPF objects of its folder. All or nothing: its own summary line. The
# subset runs test_maps_tcg: the same steps with smaller sizes
# (scripts/test_maps_tcg.mk).
if [ "$suite" = subset ] || [ "$suite" = maps ]; then
	echo "<<<test bpf_ci_test_maps>>>"
	start=$(date +%s)
	test_maps=./test_maps
	[ "$suite" = maps ] || test_maps=./test_maps_tcg
	run tm taskset 0x3 $test_maps
	rc=$?
	echo "TAP version 13"
	echo "1..1"
	if [ $rc -eq 0 ] && grep -q '^test_maps: OK, 0 SKIPPED$' /tmp/tm.out; then
		echo "ok 1 ${test_maps#./}"
	else
		echo "not ok 1 ${test_maps#./}"
		echo "# $(tail -n 1 /tmp/tm.out)"
	fi
	echo "# test_maps exited with $rc after $(($(date +%s) - start)) s"
	echo "<<<end bpf_ci_test_maps rc=$rc>>>"
fi

if [ "$suite" = verifier ]; then
	# As BPF CI runs it (it loads bpf_testmod.ko from its folder itself).
	echo "<<<test bpf_ci_test_verifier>>>"
	start=$(date +%s)
	run tv ./test_verifier
	rc=$?
	echo "TAP version 13"
	echo "1..1"
	if [ $rc -eq 0 ]; then
		echo "ok 1 test_verifier"
	else
		echo "not ok 1 test_verifier"
	fi
	echo "# $(grep '^Summary:' /tmp/tv.out)"
	echo "# test_verifier exited with $rc after $(($(date +%s) - start)) s"
	echo "<<<end bpf_ci_test_verifier rc=$rc>>>"
fi
