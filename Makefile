# BPF_MAP_FREEZE done right: harness around the patch series in patches/
# (patches/mainline on Linux 7.3, patches/6.12 its stable backport).
# See README.md. Every target installs what it needs (scripts/deps.sh).

SHELL := /bin/bash
# mainline (Debian's linux-source-7.3, the product) or 6.12 (the backport)
SERIES ?= mainline
export SERIES
BUILD := build/$(SERIES)
# The guest tests each series must run: the series' own selftest
# (prog_tests/map_freeze.c in test_progs on mainline, the standalone
# test_map_freeze on 6.12), then the harness's.
COMMON_TESTS := bpftool_freeze test_rodata rust_freeze_client \
	upstream_test_progs freeze_fuzz freeze_fuzz_serial freeze_teardown freeze_sockmap
GUEST_TESTS_mainline := map_freeze $(COMMON_TESTS)
GUEST_TESTS_6_12 := test_map_freeze $(COMMON_TESTS)
GUEST_TESTS := $(GUEST_TESTS_$(subst .,_,$(SERIES)))
export GUEST_TESTS GUEST_TESTS_mainline GUEST_TESTS_6_12

.PHONY: all deps tree kernel kernel-norust kernel-bpf-ci guest guest-run run check export checkpatch \
	bisect docs bench check-base check-debug check-bpf-ci check-bpf-ci-maps check-bpf-ci-tests soak clean quick model

all: check

deps:
	@scripts/deps.sh

tree: deps
	@scripts/tree.sh

kernel: tree
	@scripts/build.sh rust

kernel-norust: tree
	@scripts/build.sh norust config/test.config config/norust.config

guest: tree
	@scripts/guest.sh

# The BPF selftests as BPF CI runs them (scripts/bpf-ci.sh): the kernel
# configured from their config, config.vm and config.x86_64 as vmtest.sh
# does, then ours; the selftests built by their own Makefile.
kernel-bpf-ci: tree
	@scripts/bpf-ci.sh build

# The map subset of test_progs (config/bpf-ci.allowlist) and test_maps,
# sized for TCG (scripts/test_maps_tcg.mk), on that kernel with the series:
# a gate of make check.
BPF_CI_MAPS_RESULTS := $(BUILD)/results-bpf-ci-maps.tsv
check-bpf-ci-maps: tree
	@rm -f $(BPF_CI_MAPS_RESULTS)
	@scripts/bpf-ci.sh subset $(BPF_CI_MAPS_RESULTS)
	@python3 scripts/evaluate.py --results $(BPF_CI_MAPS_RESULTS) --summary

# All of test_progs, test_maps and test_verifier on that kernel, with the
# series and on the unpatched base, compared test by test.
BPF_CI_RESULTS := $(BUILD)/results-bpf-ci.tsv
# STEP=series|base|compare splits it; with one of them, SUITE=progs|maps|
# verifier (one or more) limits it to those suites (scripts/bpf-ci.sh).
check-bpf-ci: tree
	@rm -f $(BPF_CI_RESULTS)
	@scripts/bpf-ci.sh full $(BPF_CI_RESULTS) $(or $(STEP),all) $(SUITE)
	@python3 scripts/evaluate.py --results $(BPF_CI_RESULTS) --summary

# Chosen test_progs tests, TESTS="NAME...", on the series' BPF-CI kernel
# or the base's (KIND=series|base), on single- or multi-threaded TCG
# (TCG=single|multi; default: as make check-bpf-ci runs test_progs): to
# rerun a few tests, or README.md's TCG finding. The deny lists still
# apply: a denied test is reported as not run.
BPF_CI_TESTS_RESULTS := $(BUILD)/results-bpf-ci-tests.tsv
check-bpf-ci-tests: tree
	@rm -f $(BPF_CI_TESTS_RESULTS)
	@scripts/bpf-ci.sh tests $(BPF_CI_TESTS_RESULTS) $(or $(KIND),series) $(or $(TCG),default) $(TESTS)
	@python3 scripts/evaluate.py --results $(BPF_CI_TESTS_RESULTS) --summary

# Only what make run's demo needs.
guest-run: tree
	@scripts/guest.sh run

# Build the patched kernel (and the demo's userspace alongside), boot it and
# show freeze working.
run: tree
	@scripts/run.sh

# Every gate, each announced with the time elapsed, then the per-gate time
# table; the last line is "N passed, N failed" (scripts/check.sh).
check:
	@scripts/check.sh full

# The inner loop: the Rust kernel and the guest tests on it, nothing else.
quick:
	@scripts/check.sh quick

# Base vs. the series vs. the lock ablation, booted alternately; prints the
# table of ratios (build/SERIES/bench/report.md). BENCH_ROUNDS=N to change
# rounds; mainline only.
bench: tree
	@scripts/bench.sh

# The guest tests on the unpatched base kernel (the CONFIG_RUST=n test
# config, as make bisect builds it first): the tests of what the series
# changes must fail there, the rest pass.
# make check runs it too.
check-base: tree guest
	@scripts/check-base.sh $(BUILD)/results-check-base.tsv

# The guest tests on a debug kernel: KASAN, kmemleak (scanned at the end),
# lockdep, atomic-sleep, list and object debugging (config/debug.config);
# then, in a boot of its own, lockdep's report of a freeze under a lock that
# the map's writers take (scripts/lockdep-check.sh), and again for the C
# freezer on the lockdep kernel without Rust (with modules).
DEBUG_RESULTS := $(BUILD)/results-debug.tsv
check-debug: tree guest
	@KBUILD_TARGETS="bzImage modules" scripts/build.sh debug config/test.config config/debug.config config/modules.config
	@rm -f $(DEBUG_RESULTS)
	@APPEND='freeze.slow=4 freeze.trials=2000' GUEST_TIMEOUT=3600 scripts/boot.sh check $(BUILD)/logs/guest-check-debug.log debug || true
	@python3 scripts/evaluate.py --results $(DEBUG_RESULTS) --ksrc $(BUILD)/linux --debug \
		$(addprefix --expect ,$(GUEST_TESTS)) debug $(BUILD)/logs/guest-check-debug.log
	@scripts/lockdep-check.sh $(DEBUG_RESULTS) debug || echo 'FAIL	debug/lockdep	lockdep-check.sh failed' >>$(DEBUG_RESULTS)
	@KBUILD_TARGETS="bzImage modules" scripts/build.sh lockdep-norust config/test.config config/norust.config config/modules.config
	@scripts/lockdep-check.sh $(DEBUG_RESULTS) lockdep-norust || echo 'FAIL	lockdep-norust/lockdep	lockdep-check.sh failed' >>$(DEBUG_RESULTS)
	@python3 scripts/evaluate.py --results $(DEBUG_RESULTS) --summary

# Long race run on the Rust kernel: SOAK_TRIALS racing-writer trials
# (default 100000) and freeze latency under load (guest/soak.sh).
SOAK_RESULTS := $(BUILD)/results-soak.tsv
SOAK_TRIALS ?= 100000
soak: kernel guest
	@rm -f $(SOAK_RESULTS)
	@APPEND=freeze.trials=$(SOAK_TRIALS) GUEST_TIMEOUT=5400 scripts/boot.sh soak $(BUILD)/logs/guest-soak.log rust || true
	@python3 scripts/evaluate.py --results $(SOAK_RESULTS) --ksrc $(BUILD)/linux \
		--expect soak_selftest --expect soak_freeze_latency \
		soak $(BUILD)/logs/guest-soak.log
	@python3 scripts/evaluate.py --results $(SOAK_RESULTS) --summary

# Regenerate patches/ from the commits in build/linux (base..HEAD).
export:
	@scripts/export.sh

checkpatch: tree
	@scripts/checkpatch.sh

# Build every prefix of the series with CONFIG_RUST=n, and with CONFIG_RUST=y
# and CLIPPY=1 from the Rust patches on; make check runs it too.
bisect: tree
	@scripts/bisect.sh

# Model-check the freeze protocol (model/, rumur), with its negative
# controls; make check runs it.
model:
	@scripts/model.sh

# Sphinx (Documentation/bpf) and kernel-doc on the series; make check runs it.
docs: tree
	@rm -f $(BUILD)/docs-results.tsv
	@scripts/docs.sh $(BUILD)/docs-results.tsv

clean:
	rm -rf $(BUILD)/kbuild-* $(BUILD)/user $(BUILD)/initramfs.cpio $(BUILD)/logs \
		$(BUILD)/bisect/kbuild-* $(BUILD)/bisect/stamps $(BUILD)/base/kbuild-* $(BUILD)/base/*.bzImage \
		$(BUILD)/bench/*.bzImage $(BUILD)/bench/*.key \
		$(BUILD)/bench/user $(BUILD)/bench/logs $(BUILD)/results*.tsv \
		$(BUILD)/bpf-ci $(BUILD)/base/bpf-ci
