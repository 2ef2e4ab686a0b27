#!/usr/bin/env bash
# The BPF selftests on the kernel BPF CI builds (issue 15): the config of
# the tree's tools/testing/selftests/bpf (config, config.vm, config.x86_64,
# completed by olddefconfig, as vmtest.sh makes it), then config/test.config
# (our 2-CPU guest, lockdep, the Rust handler) and config/bpf-ci.config;
# bzImage and modules. Booted with our 2 vCPUs and BPF CI's 4G.
# usage: bpf-ci.sh build            the kernel and the selftests (series)
#        bpf-ci.sh subset RESULTS   the map subset on the series
#                                   (make check-bpf-ci-maps, make check)
#        bpf-ci.sh full RESULTS [STEP]
#                                   everything, on the series and on the
#                                   unpatched base (make check-bpf-ci)
# Results are appended to RESULTS (labels: bpf-ci for the subset; bpf-ci-full
# and bpf-ci-base for check-bpf-ci's series and base, which it also compares
# test by test). Its STEP
# (make check-bpf-ci STEP=...) splits it, each guest taking hours under TCG:
# "series" or "base" builds that kernel and runs its guest (its log and
# results kept in build/SERIES; RESULTS gets whether the guest ran to its
# end with every suite), "compare" only compares the two kernels' logs and
# results, after checking that each log is of the kernel of its tree as it
# is now (the release the guest prints ends in -g and the first 12 digits
# of the tree's HEAD); "all" (the default) does the three in a row.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

mode=${1:-} results=${2:-} only=${3:-all}
usage="usage: bpf-ci.sh build | subset RESULTS | full RESULTS [all|series|base|compare]"
case "$mode" in
build) ;;
subset | full) [ -n "$results" ] || die "$usage" ;;
*) die "$usage" ;;
esac
case "$only" in
all | series | base | compare) ;;
*) die "$usage" ;;
esac
FRAGS=("$TOP/config/test.config" "$TOP/config/bpf-ci.config")

# kernel DIR: build the BPF-CI kernel of the tree DIR/linux in
# DIR/kbuild-bpf-ci, and its selftests in DIR/bpf-ci/selftests (initramfs
# DIR/bpf-ci/selftests.cpio)
kernel() {
	local dir=$1
	local s=$dir/linux/tools/testing/selftests/bpf
	BUILD=$dir KSRC=$dir/linux KCONFIG_BASE="$s/config $s/config.vm $s/config.x86_64" \
		KBUILD_TARGETS="bzImage modules" "$TOP/scripts/build.sh" bpf-ci "${FRAGS[@]}" &&
		BUILD=$dir KSRC=$dir/linux "$TOP/scripts/bpf-selftests.sh" \
			"$dir/kbuild-bpf-ci" "$dir/bpf-ci/selftests"
}

# boot DIR LABEL SUITE: boot DIR's kernel with its selftests and evaluate
boot() {
	local dir=$1 label=$2 suite=$3 log=$LOGS/guest-bpf-ci-$2.log
	rm -f "$log"
	local expect=(--expect bpf_ci_test_progs --expect bpf_ci_test_maps)
	# all three suites on a kernel take hours under TCG; the subset about
	# 10 min (a gate of make check: a hung guest must not take CI's time)
	local timeout=${BPF_CI_TIMEOUT:-1800}
	if [ "$suite" = full ]; then
		expect+=(--expect bpf_ci_test_verifier)
		timeout=${BPF_CI_TIMEOUT:-28800}
	fi
	KERNEL=$dir/kbuild-bpf-ci/arch/x86/boot/bzImage INITRD=$dir/bpf-ci/selftests.cpio \
		MEM=4G APPEND="bpfci.suite=$suite" GUEST_TIMEOUT=$timeout \
		"$TOP/scripts/boot.sh" bpfci "$log" "$label" || true
	python3 "$TOP/scripts/evaluate.py" --results "$results" --ksrc "$dir/linux" \
		"${expect[@]}" "$label" "$log"
}

# guest_ran TSV: the rows of one guest's results (STEP=series or base) that
# say whether it ran to its end with every suite, appended to RESULTS: its
# tests' verdicts count in the comparison (STEP=compare), where a test may
# fail on both kernels
guest_ran() {
	grep -E $'\t[^\t/]+/(guest_cpus_online|guest_completed|bpf_ci_test_[a-z]+/ran)\t' \
		"$1" >>"$results" || true
}

# full_guest DIR LABEL KIND: DIR's kernel, all the suites on it, its
# results in build/SERIES/results-bpf-ci-KIND.tsv (KIND: series or base)
full_guest() {
	local tsv=$BUILD/results-bpf-ci-$3.tsv
	kernel "$1"
	rm -f "$tsv"
	results=$tsv boot "$1" "$2" full || true
	[ "$only" = all ] || guest_ran "$tsv"
}

case "$mode" in
build)
	kernel "$BUILD"
	;;
subset)
	# a gate of make check: a kernel or selftests that do not build fail it
	kernel "$BUILD" || {
		add_result "$results" FAIL "$(result_label bpf-ci)/build" "see $LOGS"
		exit 1
	}
	boot "$BUILD" "$(result_label bpf-ci)" subset
	;;
full)
	ensure_worktree "$BASEDIR/linux" base
	mkdir -p "$BASEDIR/logs"
	if [ "$only" = all ] || [ "$only" = series ]; then
		full_guest "$BUILD" bpf-ci-full series
	fi
	if [ "$only" = all ] || [ "$only" = base ]; then
		full_guest "$BASEDIR" bpf-ci-base base
	fi
	if [ "$only" = all ] || [ "$only" = compare ]; then
		# each log must be of its tree's kernel as the tree is now
		for pair in "$BUILD/linux:bpf-ci-full" "$BASEDIR/linux:bpf-ci-base"; do
			tree=${pair%:*} log=$LOGS/guest-bpf-ci-${pair#*:}.log
			head=$(git -C "$tree" rev-parse HEAD)
			head=${head:0:12}
			release=$({ sed -n 's/^<<<guest \([^ ]*\) .*/\1/p' "$log" || true; } 2>/dev/null |
				head -n 1)
			[[ "$release" == *-g"$head" ]] ||
				die "${log#"$TOP"/} is of kernel '${release:-none}', not of ${tree#"$TOP"/} at $head: run its step again"
		done
		python3 "$TOP/scripts/bpf-ci-compare.py" "$BUILD/results-bpf-ci-base.tsv" \
			"$BUILD/results-bpf-ci-series.tsv" "$results" \
			"$LOGS/guest-bpf-ci-bpf-ci-base.log" "$LOGS/guest-bpf-ci-bpf-ci-full.log"
	fi
	;;
esac
