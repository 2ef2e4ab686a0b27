#!/usr/bin/env bash
# make run: build the patched kernel (CONFIG_RUST=y, config/test.config: the
# Rust handler of BPF_MAP_FREEZE) and, at the same time, what the demo needs
# in the guest (guest.sh run: libbpf, bpftool, freeze_demo), since the
# kernel build spends most of its time on the Rust crates, one at a time on
# one core; then boot the kernel and show freeze working.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

ulog=$LOGS/run-userspace.log
"$TOP/scripts/guest.sh" run >"$ulog" 2>&1 &
user=$!
krc=0
"$TOP/scripts/build.sh" rust || krc=$?
urc=0
wait "$user" || urc=$?
cat "$ulog"
((urc == 0)) || die "the demo's userspace did not build (exit $urc), see ${ulog#"$TOP"/}"
((krc == 0)) || exit "$krc"

log=$LOGS/guest-run.log
INITRD=$BUILD/initramfs-run.cpio "$TOP/scripts/boot.sh" run "$log" rust
sed -n '/^<<<demo>>>$/,/^<<<end demo/p' "$log" | sed '1d;$d'
grep -q '^<<<end demo rc=0>>>$' "$log" || die "the demo failed, see ${log#"$TOP"/}"
