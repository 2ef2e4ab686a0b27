#!/usr/bin/env bash
# The BPF selftests on the kernel BPF CI builds: the config of
# the tree's tools/testing/selftests/bpf (config, config.vm, config.x86_64,
# completed by olddefconfig, as vmtest.sh makes it), then config/test.config
# (our 2-CPU guest, lockdep, the Rust handler) and config/bpf-ci.config;
# bzImage and modules. Booted with our 2 vCPUs and BPF CI's 4G.
# usage: bpf-ci.sh build            the kernel and the selftests (series)
#        bpf-ci.sh subset RESULTS   the map subset on the series
#                                   (make check-bpf-ci-maps, make check)
#        bpf-ci.sh full RESULTS [STEP [SUITE...]]
#                                   everything, on the series and on the
#                                   unpatched base (make check-bpf-ci)
#        bpf-ci.sh tests RESULTS KIND TCG TEST...
#                                   test_progs' tests TEST... on KIND's
#                                   kernel (series or base) on TCG single-
#                                   or multi-threaded (default: as the
#                                   full run's test_progs): to rerun a few
#                                   tests, or a TCG finding (make
#                                   check-bpf-ci-tests)
# Results are appended to RESULTS (label bpf-ci for the subset). The full
# run boots each kernel once per suite (progs, maps, verifier: each takes
# up to an hour under TCG), labels bpf-ci-KIND-SUITE (KIND: series or base),
# and compares the two kernels test by test. Its STEP (make check-bpf-ci
# STEP=... SUITE=...) splits it: "series" or "base" builds that kernel and
# runs its guests, one per SUITE given (default: all three; each guest's
# log and results kept in build/SERIES; RESULTS gets whether the guest ran
# to its end with its suite); "compare" only compares the two kernels'
# logs and results of the suites given (default: all three), after
# checking that each log is of the kernel of its tree as it is now (the
# release the guest prints ends in -g and the first 12 digits of the
# tree's HEAD); "all" (the default) does the three steps in a row.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

mode=${1:-} results=${2:-} only=${3:-all}
shift $(($# < 3 ? $# : 3))
SUITES=(progs maps verifier)
suites=("${@:-${SUITES[@]}}")
# unique WHAT NAME...: die if a NAME is given twice
unique() {
	local what=$1 n
	shift
	declare -A seen=()
	for n; do
		[ -z "${seen[$n]:-}" ] || die "$what: $n given twice"
		seen[$n]=1
	done
}
usage="usage: bpf-ci.sh build | subset RESULTS | full RESULTS [all|series|base|compare [progs|maps|verifier]...] | tests RESULTS series|base single|multi|default TEST..."
case "$mode" in
build) ;;
subset | full | tests) [ -n "$results" ] || die "$usage" ;;
*) die "$usage" ;;
esac
if [ "$mode" = tests ]; then
	kind=$only tests_tcg=${1:-}
	shift $(($# ? 1 : 0))
	tests=("$@")
	case "$kind" in
	series | base) ;;
	*) die "$usage" ;;
	esac
	case "$tests_tcg" in
	single | multi | default) ;;
	*) die "$usage" ;;
	esac
	((${#tests[@]})) || die "no test given (TESTS=...); $usage"
	for t in "${tests[@]}"; do
		[[ $t =~ ^[A-Za-z0-9_]+$ ]] || die "'$t' is not a test_progs test name (TESTS: names separated by spaces)"
	done
	unique TESTS "${tests[@]}"
	# they go on the kernel's command line (2,048 bytes on x86, a tenth
	# of it ours): a longer list would be cut short there
	list=$(IFS=,; echo "${tests[*]}")
	((${#list} <= 1500)) || die "TESTS: ${#list} characters, over 1,500 (the kernel's command line)"
else
	case "$only" in
	all | series | base | compare) ;;
	*) die "$usage" ;;
	esac
	# "all" runs and compares the three suites; compare takes SUITE (a
	# suite compared as soon as both kernels ran it)
	[ $# -eq 0 ] || { [ "$mode" = full ] && [ "$only" != all ]; } ||
		die "SUITE is for STEP=series, base or compare; $usage"
	for s in "${suites[@]}"; do
		case "$s" in
		progs | maps | verifier) ;;
		*) die "$usage" ;;
		esac
	done
	unique SUITE "${suites[@]}"
fi
FRAGS=("$TOP/config/test.config" "$TOP/config/bpf-ci.config")

# kernel DIR: build the BPF-CI kernel of the tree DIR/linux in
# DIR/kbuild-bpf-ci, and its selftests in DIR/bpf-ci/selftests (initramfs
# DIR/bpf-ci/selftests.cpio); BTF by Debian 13's pahole ($PAHOLE_BPF_CI:
# scripts/pahole.py says why), the test modules' too
kernel() {
	local dir=$1
	local s=$dir/linux/tools/testing/selftests/bpf
	BUILD=$dir KSRC=$dir/linux KCONFIG_BASE="$s/config $s/config.vm $s/config.x86_64" \
		KBUILD_TARGETS="bzImage modules" PAHOLE=$PAHOLE_BPF_CI \
		"$TOP/scripts/build.sh" bpf-ci "${FRAGS[@]}" &&
		BUILD=$dir KSRC=$dir/linux PAHOLE=$PAHOLE_BPF_CI "$TOP/scripts/bpf-selftests.sh" \
			"$dir/kbuild-bpf-ci" "$dir/bpf-ci/selftests"
}

# base_tree: the unpatched base's worktree and logs folder in $BASEDIR
base_tree() {
	ensure_worktree "$BASEDIR/linux" base
	mkdir -p "$BASEDIR/logs"
}

# tcg_thread SUITE: QEMU's TCG threading for SUITE's guest. Multi-threaded
# TCG (a host thread per vCPU, QEMU's default) does not always make another
# vCPU see the last write of text_poke_bp(): a vCPU then runs the int3 that
# was patched out, "Oops: int3" and a panic. fentry_attach_stress, which
# attaches and detaches fentry programs to a running program 1000 times,
# did so within a minute of boot on the series and on the base alike
# (make check-bpf-ci-tests TESTS=fentry_attach_stress TCG=multi), and the
# series' full test_progs once in __schedule; on single-threaded TCG (the
# vCPUs take turns on one host thread) it passes on both.
# So every guest is single-threaded, but make check-bpf-ci-tests' with
# TCG=multi (to show that finding again). test_progs attaches programs all
# along, so make check's subset is single-threaded too, although truly
# parallel vCPUs would race the freeze tests harder: on multi-threaded TCG
# it oopsed the same way 21 s in (cgrp_local_storage). Its racing subtests
# still race, less often: the vCPUs take turns (QEMU moves on when one
# idles, and kicks it every 100 ms), which can stop a writer in the middle
# of its syscall while freeze runs on the other vCPU; map_freeze checks
# its invariants after every trial. test_maps and test_verifier attach
# nothing, but one host core a guest lets the two kernels' guests of a
# suite run side by side on a 2-core host (there, test_maps_tcg took 275 s
# on one host thread and 199 s on two).
tcg_thread() {
	case "$1" in
	tests) echo "$tests_tcg" ;;
	*) echo single ;;
	esac
}

# harness_key: what makes the guests' userspace and runs their suites (the
# selftests' packing, the guest's scripts, our allow and deny lists, each
# suite's TCG threading) and the pahole of the kernels' BTF (the release a
# guest prints does not change with it, the BTF does), hashed: given to
# every guest on its command line (bpfci.harness=), so that compare takes
# only logs of the harness as it is now, the same for the two kernels
harness_key() {
	{
		(cd "$TOP" && cat scripts/bpf-selftests.sh scripts/test_maps_tcg.mk guest/init \
			guest/bpf-ci.sh config/bpf-ci.allowlist config/bpf-ci.denylist)
		for s in "${SUITES[@]}"; do echo "$s $(tcg_thread "$s")"; done
		echo "pahole $PAHOLE_BPF_CI_VERSION"
	} | sha256sum | cut -c1-12
}

# boot DIR LABEL SUITE: boot DIR's kernel with its selftests, run SUITE
# (guest/bpf-ci.sh) and evaluate
boot() {
	local dir=$1 label=$2 suite=$3 log=$LOGS/guest-bpf-ci-$2.log
	rm -f "$log"
	# a suite of the full run takes up to an hour under TCG; the subset
	# about 10 min (a gate of make check: a hung guest must not take CI's
	# time)
	local expect=(--expect "bpf_ci_test_$suite") timeout=${BPF_CI_TIMEOUT:-14400}
	local append="bpfci.suite=$suite bpfci.harness=$(harness_key)"
	if [ "$suite" = subset ]; then
		expect=(--expect bpf_ci_test_progs --expect bpf_ci_test_maps)
		timeout=${BPF_CI_TIMEOUT:-1800}
	elif [ "$suite" = tests ]; then
		expect=(--expect bpf_ci_test_progs)
		timeout=${BPF_CI_TIMEOUT:-1800}
		append+=" bpfci.tests=$list"
	fi
	TCG_THREAD=$(tcg_thread "$suite") KERNEL=$dir/kbuild-bpf-ci/arch/x86/boot/bzImage INITRD=$dir/bpf-ci/selftests.cpio \
		MEM=4G APPEND="$append" GUEST_TIMEOUT=$timeout \
		"$TOP/scripts/boot.sh" bpfci "$log" "$label" || true
	python3 "$TOP/scripts/evaluate.py" --results "$results" --ksrc "$dir/linux" \
		"${expect[@]}" "$label" "$log"
}

# guest_ran TSV: the rows of one guest's results (STEP=series or base) that
# say whether it ran to its end with its suite, appended to RESULTS: its
# tests' verdicts count in the comparison (STEP=compare), where a test may
# fail on both kernels
guest_ran() {
	grep -E $'\t[^\t/]+/(guest_cpus_online|guest_completed|bpf_ci_test_[a-z]+/ran)\t' \
		"$1" >>"$results" || true
}

# full_guests DIR KIND: DIR's kernel (KIND: series or base), a guest per
# suite asked for, its results in build/SERIES/results-bpf-ci-KIND-SUITE.tsv
full_guests() {
	local s tsv
	kernel "$1"
	for s in "${suites[@]}"; do
		tsv=$BUILD/results-bpf-ci-$2-$s.tsv
		rm -f "$tsv"
		results=$tsv boot "$1" "bpf-ci-$2-$s" "$s" || true
		[ "$only" = all ] || guest_ran "$tsv"
	done
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
tests)
	dir=$BUILD
	if [ "$kind" = base ]; then
		dir=$BASEDIR
		base_tree
	fi
	[ "$tests_tcg" != default ] || tests_tcg=$(tcg_thread progs)
	kernel "$dir"
	boot "$dir" "bpf-ci-$kind-tests-$tests_tcg" tests
	;;
full)
	base_tree
	if [ "$only" = all ] || [ "$only" = series ]; then
		full_guests "$BUILD" series
	fi
	if [ "$only" = all ] || [ "$only" = base ]; then
		full_guests "$BASEDIR" base
	fi
	if [ "$only" = all ] || [ "$only" = compare ]; then
		# every suite's log must be of its tree's kernel as the tree is now,
		# and of the harness as it is now
		args=() key=$(harness_key)
		for pair in "$BUILD/linux:series" "$BASEDIR/linux:base"; do
			tree=${pair%:*} kind=${pair#*:}
			head=$(git -C "$tree" rev-parse HEAD)
			head=${head:0:12}
			for s in "${suites[@]}"; do
				log=$LOGS/guest-bpf-ci-bpf-ci-$kind-$s.log
				release=$({ sed -n 's/^<<<guest \([^ ]*\) .*/\1/p' "$log" || true; } 2>/dev/null |
					head -n 1)
				tsv=$BUILD/results-bpf-ci-$kind-$s.tsv
				[[ "$release" == *-g"$head" ]] ||
					die "${log#"$TOP"/} is of kernel '${release:-none}', not of ${tree#"$TOP"/} at $head: run STEP=$kind SUITE=$s again"
				[ -f "$tsv" ] || die "no ${tsv#"$TOP"/}: run STEP=$kind SUITE=$s again"
				grep -Eq "Command line: .* bpfci\.harness=$key( |$)" "$log" ||
					die "${log#"$TOP"/} is of another harness (not bpfci.harness=$key): run STEP=$kind SUITE=$s again"
				args+=("--$kind" "$s" "$tsv" "$log")
			done
		done
		python3 "$TOP/scripts/bpf-ci-compare.py" "$results" "${args[@]}"
	fi
	;;
esac
