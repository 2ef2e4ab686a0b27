#!/usr/bin/env bash
# make check (and make quick): every gate in order, each announced with the
# time elapsed so far, its own time recorded; at the end the per-gate time
# table, the failures and the closing line "N passed, N failed".
# usage: check.sh full|quick
#   full   every gate (what CI runs): the mainline series (patches/mainline)
#          in full, with the map subset of the BPF selftests on BPF CI's
#          kernel config, then its 6.12 backport (patches/6.12): tree, Rust
#          kernel, guest tests on it, checkpatch and commit messages
#   quick  the inner loop: the Rust kernel of $SERIES (default mainline),
#          the guest userspace and the guest tests on that kernel only
# A gate that cannot produce what later gates need (the tree, a kernel, the
# initramfs) stops the run; every other gate records its results and the run
# goes on.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

tier=${1:-full}
[ "$tier" = quick ] || [ "$SERIES" = mainline ] || die "make check runs both series: leave SERIES unset"
RESULTS=$BUILD/results.tsv
TIMES=$BUILD/gate-times.tsv
# The guest tests that must run (the Makefile's GUEST_TESTS)
expect=()
for t in ${GUEST_TESTS:?run through make}; do
	expect+=(--expect "$t")
done
rm -f "$RESULTS" "$TIMES"
# No guest log of an earlier run may stand in for this one's (fuzz-tables
# reads them).
rm -f "$LOGS/guest-check-rust.log" "$LOGS/guest-check-norust.log"
start=$(date +%s)

table() {
	printf '\nGate times (%s tier):\n' "$tier"
	awk -F'\t' '{ printf "  %-18s %6ss  %s\n", $1, $2, $3 }' "$TIMES"
	printf '  %-18s %6ss\n' total "$(($(date +%s) - start))"
}

# gate NAME required|optional CMD...: run one gate, timed
gate() {
	local name=$1 kind=$2 t rc=0
	shift 2
	t=$(date +%s)
	printf '\n=== gate %s (at %ss)\n' "$name" "$((t - start))"
	"$@" || rc=$?
	printf '%s\t%s\t%s\n' "$name" "$(($(date +%s) - t))" "$([ $rc = 0 ] || echo "exit $rc")" >>"$TIMES"
	if ((rc)) && [ "$kind" = required ]; then
		add_result "$RESULTS" FAIL "gate/$name" "exit $rc: later gates need it"
		table
		python3 "$TOP/scripts/evaluate.py" --results "$RESULTS" --summary
		exit 1
	fi
	# an optional gate that failed counts even if it recorded no failure
	((rc == 0)) || add_result "$RESULTS" FAIL "gate/$name" "exit $rc"
	return 0
}

# quiet LOG CMD...: CMD's output goes to $LOGS/LOG.log, printed only on failure
quiet() {
	local log=$LOGS/$1.log
	shift
	"$@" >"$log" 2>&1 || { cat "$log"; return 1; }
}

guest_tests() {
	local name=$1 opts=() label
	label=$(result_label "$name")
	[ "$name" = norust ] && opts=(--no-kunit)
	"$TOP/scripts/boot.sh" check "$LOGS/guest-check-$name.log" "$name" || true
	python3 "$TOP/scripts/evaluate.py" --results "$RESULTS" --ksrc "$KSRC" "${opts[@]}" \
		"${expect[@]}" "$label" "$LOGS/guest-check-$name.log"
}

# The attr fuzzer's outcome tables of freeze_fuzz_serial, seed for seed: the
# Rust handler's (guest-rust) must be the C handler's (guest-norust). The
# comparison's own self-test first, so that it cannot pass by accident.
fuzz_tables() {
	local rc=0 name=$SERIES/fuzz_table/compare_self_test
	if quiet fuzz-compare-self-test python3 "$TOP/scripts/fuzz-compare.py" --self-test; then
		add_result "$RESULTS" PASS "$name"
	else
		add_result "$RESULTS" FAIL "$name" "scripts/fuzz-compare.py --self-test"
		rc=1
	fi
	python3 "$TOP/scripts/fuzz-compare.py" --results "$RESULTS" "$SERIES" \
		"$LOGS/guest-check-rust.log" "$LOGS/guest-check-norust.log" || rc=1
	return $rc
}

commitmsg() {
	python3 "$TOP/scripts/commitmsg.py" "$RESULTS" $(series_patches)
}

# stable CMD...: CMD for the 6.12 backport, in a subshell with lib.sh's
# variables (tree, build folder, logs, bindgen) and the guest tests of 6.12.
stable() {
	(
		export SERIES=6.12
		unset BUILD KSRC
		. "$TOP/scripts/lib.sh"
		expect=()
		for t in ${GUEST_TESTS_6_12:?run through make}; do
			expect+=(--expect "$t")
		done
		"$@"
	)
}

# disk GB: stop at once, saying why, unless GB are free where build/ is: a
# cold full run writes about 20 GB there (both series' trees and kernels,
# the bisection's, BPF CI's kernel), and a full disk fails whichever gate
# meets it, with the reason buried in a build log.
disk() {
	local need=$1 avail
	mkdir -p "$BUILD"
	avail=$(df -P -BG "$BUILD" | awk 'NR == 2 { sub("G", "", $4); print $4 }')
	if ((avail >= need)); then
		add_result "$RESULTS" PASS disk "$avail GB free under build/, need $need"
	else
		add_result "$RESULTS" FAIL disk "$avail GB free under build/, make check needs $need"
		return 1
	fi
}

[ "$tier" = quick ] || gate disk required disk 25
gate deps required "$TOP/scripts/deps.sh"
gate tree required "$TOP/scripts/tree.sh"
gate kernel-rust required "$TOP/scripts/build.sh" rust
if [ "$tier" = full ]; then
	gate kernel-norust required "$TOP/scripts/build.sh" norust \
		"$TOP/config/test.config" "$TOP/config/norust.config"
fi
gate guest-userspace required "$TOP/scripts/guest.sh"
if [ "$tier" = full ]; then
	gate checkpatch optional quiet checkpatch "$TOP/scripts/checkpatch.sh" "$RESULTS"
	gate commitmsg optional commitmsg
	gate b4 optional "$TOP/scripts/b4-check.sh" "$RESULTS"
	gate rust-style optional "$TOP/scripts/rust-gates.sh" "$RESULTS"
	gate docs optional "$TOP/scripts/docs.sh" "$RESULTS"
	gate model optional "$TOP/scripts/model.sh" "$RESULTS"
	gate bisect optional "$TOP/scripts/bisect.sh" "$RESULTS"
	gate check-base optional "$TOP/scripts/check-base.sh" "$RESULTS"
fi
gate handler-rust optional "$TOP/scripts/handler.sh" rust rust "$RESULTS"
gate guest-rust optional guest_tests rust
if [ "$tier" = full ]; then
	gate handler-norust optional "$TOP/scripts/handler.sh" norust c "$RESULTS"
	gate guest-norust optional guest_tests norust
	gate fuzz-tables optional fuzz_tables
	# The map subset of the BPF selftests on BPF CI's kernel config
	# (make check-bpf-ci-maps): every map type's syscall write path.
	gate bpf-ci-maps optional "$TOP/scripts/bpf-ci.sh" subset "$RESULTS"
	# The stable backport: what a change to either series most likely
	# breaks in it (applying, building, its guest tests, its patches'
	# style). Its bisect, check-base and C-handler kernel are separate
	# targets (SERIES=6.12 make bisect / check-base / kernel-norust).
	gate 6.12-tree optional stable "$TOP/scripts/tree.sh"
	gate 6.12-kernel-rust optional stable "$TOP/scripts/build.sh" rust
	gate 6.12-guest-userspace optional stable "$TOP/scripts/guest.sh"
	gate 6.12-checkpatch optional stable quiet checkpatch-6.12 "$TOP/scripts/checkpatch.sh" "$RESULTS"
	gate 6.12-commitmsg optional stable commitmsg
	gate 6.12-b4 optional stable "$TOP/scripts/b4-check.sh" "$RESULTS"
	gate 6.12-handler-rust optional stable "$TOP/scripts/handler.sh" rust rust "$RESULTS"
	gate 6.12-guest-rust optional stable guest_tests rust
fi
table
exec python3 "$TOP/scripts/evaluate.py" --results "$RESULTS" --summary
