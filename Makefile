# BPF_MAP_FREEZE done right: harness around the patch series in patches/.
# See README.md. Every target installs what it needs (scripts/deps.sh).

SHELL := /bin/bash
BUILD := build
RESULTS := $(BUILD)/results.tsv
GUEST_TESTS := test_map_freeze bpftool_freeze test_rodata rust_freeze_client \
	upstream_test_progs

.PHONY: all deps tree kernel kernel-norust guest run check export checkpatch clean

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

# Build the patched kernel, boot it and show freeze working.
run: kernel guest
	@scripts/boot.sh run $(BUILD)/logs/guest-run.log rust
	@sed -n '/^<<<demo>>>$$/,/^<<<end demo/p' $(BUILD)/logs/guest-run.log | sed '1d;$$d'
	@grep -q '^<<<end demo rc=0>>>$$' $(BUILD)/logs/guest-run.log || \
		{ echo "error: the demo failed, see $(BUILD)/logs/guest-run.log" >&2; exit 1; }

# Every test, on the Rust kernel and on the CONFIG_RUST=n one; the last line
# is "N passed, N failed".
check: kernel kernel-norust guest
	@rm -f $(RESULTS)
	@scripts/checkpatch.sh $(RESULTS) >$(BUILD)/logs/checkpatch.log 2>&1 || \
		cat $(BUILD)/logs/checkpatch.log
	@scripts/rust-gates.sh $(RESULTS)
	@scripts/handler.sh rust rust $(RESULTS)
	@scripts/handler.sh norust c $(RESULTS)
	@scripts/boot.sh check $(BUILD)/logs/guest-check-rust.log rust || true
	@python3 scripts/evaluate.py --results $(RESULTS) --ksrc $(BUILD)/linux \
		$(addprefix --expect ,$(GUEST_TESTS)) rust $(BUILD)/logs/guest-check-rust.log
	@scripts/boot.sh check $(BUILD)/logs/guest-check-norust.log norust || true
	@python3 scripts/evaluate.py --results $(RESULTS) --ksrc $(BUILD)/linux --no-kunit \
		$(addprefix --expect ,$(GUEST_TESTS)) norust $(BUILD)/logs/guest-check-norust.log
	@python3 scripts/evaluate.py --results $(RESULTS) --summary

# Regenerate patches/ from the commits in build/linux (base..HEAD).
export:
	@scripts/export.sh

checkpatch: tree
	@scripts/checkpatch.sh

clean:
	rm -rf $(BUILD)/kbuild-* $(BUILD)/user $(BUILD)/initramfs.cpio $(BUILD)/logs
