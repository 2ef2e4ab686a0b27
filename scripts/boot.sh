#!/usr/bin/env bash
# Boot a kernel under QEMU TCG with 2 vCPUs (or SMP) and the test initramfs.
# usage: boot.sh MODE LOG [NAME]   MODE: run|check|bench, NAME: kernel build (rust)
# Environment: KERNEL and INITRD override the bzImage of NAME and
# build/initramfs.cpio; APPEND adds to the kernel command line; SMP sets the
# number of vCPUs (default 2), MEM its memory (default 1G), TCG_THREAD
# TCG's threading (single or multi; default QEMU's, multi); QEMU_PLUGIN
# loads a TCG plugin, whose output goes to QEMU_PLUGIN_LOG.
# The serial console goes to LOG; the guest reboots when done, which ends QEMU (-no-reboot).
# A kernel panic should end it the same way (panic=-1), but a panic in an
# interrupt has been seen to hang instead (BPF CI's kernel, in
# fentry_attach_stress): the harness then ends QEMU itself, 30 s after the
# panic's first line, and fails like a timeout.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

mode=$1 log=$2 name=${3:-rust}
kernel=${KERNEL:-$BUILD/kbuild-$name/arch/x86/boot/bzImage}
initrd=${INITRD:-$BUILD/initramfs.cpio}
timeout_s=${GUEST_TIMEOUT:-900}
[ -f "$kernel" ] || die "no kernel at $kernel"

smp=${SMP:-2}
plugin=()
if [ -n "${QEMU_PLUGIN:-}" ]; then
	[ -n "${QEMU_PLUGIN_LOG:-}" ] || die "QEMU_PLUGIN needs QEMU_PLUGIN_LOG"
	plugin=(-plugin "$QEMU_PLUGIN" -d plugin -D "$QEMU_PLUGIN_LOG")
fi

step "booting $name kernel under QEMU TCG${TCG_THREAD:+ ($TCG_THREAD-threaded)} (-smp $smp), mode=$mode, timeout ${timeout_s}s"
t=$(date +%s)
rc=0
pidfile=$log.qemu-pid panicked=$log.panicked
rm -f "$pidfile" "$panicked"
: >"$log"
# QEMU in the background (timeout in a process group of its own), so that
# a Ctrl-C or a kill of this script ends it at once (stop)
timeout -k 10 "$timeout_s" \
	qemu-system-x86_64 -accel "tcg${TCG_THREAD:+,thread=$TCG_THREAD}" -smp "$smp" -m "${MEM:-1G}" -nographic -no-reboot \
	-pidfile "$pidfile" "${plugin[@]}" \
	-kernel "$kernel" -initrd "$initrd" \
	-append "console=ttyS0 panic=-1 freeze.mode=$mode${APPEND:+ $APPEND}" \
	</dev/null >>"$log" 2>&1 &
job=$!
# the panic watch, for as long as QEMU runs (its output closed: a sleep it
# leaves behind must not hold a pipe this script writes to)
(
	while kill -0 "$job" 2>/dev/null; do
		if grep -q 'Kernel panic - not syncing' "$log"; then
			sleep 30
			pid=$(cat "$pidfile" 2>/dev/null) || exit 0
			touch "$panicked"
			kill "$pid" 2>/dev/null || { rm -f "$panicked"; exit 0; }
			sleep 10
			kill -9 "$pid" 2>/dev/null || true
			exit 0
		fi
		sleep 5
	done
) </dev/null >/dev/null 2>&1 &
watch=$!
# stop SIG: end QEMU and the watch, then die of SIG, so that the caller
# (bash waiting for this script) stops too
stop() {
	kill "$job" "$watch" 2>/dev/null || true
	wait "$job" 2>/dev/null || true
	rm -f "$pidfile" "$panicked"
	trap - "$1"
	kill -"$1" $$
}
trap 'stop INT' INT
trap 'stop TERM' TERM
wait "$job" || rc=$?
trap - INT TERM
kill "$watch" 2>/dev/null || true
wait "$watch" 2>/dev/null || true
tr -d '\r' <"$log" >"$log.tmp" && mv "$log.tmp" "$log"
if [ -e "$panicked" ]; then
	rm -f "$pidfile" "$panicked"
	echo "error: the guest's kernel panicked and did not end QEMU; last lines of $log:" >&2
	tail -n 30 "$log" >&2
	exit 1
fi
rm -f "$pidfile"
if ((rc == 124)); then
	echo "error: the guest timed out after ${timeout_s}s; last lines of $log:" >&2
	tail -n 30 "$log" >&2
	exit 1
fi
((rc == 0)) || { tail -n 30 "$log" >&2; die "qemu exited with $rc"; }
printf '    guest: %ss, console log in %s\n' "$(($(date +%s) - t))" "${log#"$TOP"/}"
