#!/usr/bin/env bash
# Boot a kernel under QEMU TCG with 2 vCPUs and the test initramfs.
# usage: boot.sh MODE LOG [NAME]   MODE: run|check|bench, NAME: kernel build (rust)
# Environment: KERNEL and INITRD override the bzImage of NAME and
# build/initramfs.cpio; APPEND adds to the kernel command line.
# The serial console goes to LOG; the guest reboots when done, which ends QEMU (-no-reboot).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

mode=$1 log=$2 name=${3:-rust}
kernel=${KERNEL:-$BUILD/kbuild-$name/arch/x86/boot/bzImage}
initrd=${INITRD:-$BUILD/initramfs.cpio}
timeout_s=${GUEST_TIMEOUT:-900}
[ -f "$kernel" ] || die "no kernel at $kernel"

step "booting $name kernel under QEMU TCG (-smp 2), mode=$mode, timeout ${timeout_s}s"
t=$(date +%s)
rc=0
timeout --foreground -k 10 "$timeout_s" \
	qemu-system-x86_64 -accel tcg -smp 2 -m 1G -nographic -no-reboot \
	-kernel "$kernel" -initrd "$initrd" \
	-append "console=ttyS0 panic=-1 freeze.mode=$mode${APPEND:+ $APPEND}" \
	</dev/null >"$log" 2>&1 || rc=$?
tr -d '\r' <"$log" >"$log.tmp" && mv "$log.tmp" "$log"
if ((rc == 124)); then
	echo "error: the guest timed out after ${timeout_s}s; last lines of $log:" >&2
	tail -n 30 "$log" >&2
	exit 1
fi
((rc == 0)) || { tail -n 30 "$log" >&2; die "qemu exited with $rc"; }
printf '    guest: %ss, console log in %s\n' "$(($(date +%s) - t))" "${log#"$TOP"/}"
