#!/usr/bin/env bash
# Which BPF_MAP_FREEZE handler a kernel runs, read off its vmlinux.
# usage: handler.sh NAME rust|c RESULTS
#  rust: bpf_map_freeze_cmd (kernel/bpf/syscall_freeze.rs) is in vmlinux,
#        __sys_bpf() calls it, and the C freezer bpf_map_freeze() is not a
#        global symbol (static in syscall.c: the Rust handler cannot call it);
#  c:    no Rust handler in vmlinux (the C map_freeze() is static and inlined
#        into __sys_bpf(), so it has no symbol of its own to look for).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

name=$1 want=$2 results=$3
vmlinux=$BUILD/kbuild-$name/vmlinux
sym=bpf_map_freeze_cmd
# Read the whole output first: grep -q would end a pipe early (pipefail).
syms=$(llvm-nm "$vmlinux")
status=FAIL
if [ "$want" = rust ]; then
	detail="$sym missing from vmlinux or not called by __sys_bpf"
	dis=$(llvm-objdump -d --no-show-raw-insn --disassemble-symbols=__sys_bpf "$vmlinux")
	if grep -q " T bpf_map_freeze\$" <<<"$syms"; then
		detail="the C freezer bpf_map_freeze() is global: the Rust handler may call it"
	elif grep -q " T $sym\$" <<<"$syms" &&
		grep -q "call.*<$sym>" <<<"$dis"; then
		status=PASS detail="__sys_bpf calls $sym; bpf_map_freeze() is static"
	fi
else
	detail="$sym is in a CONFIG_RUST=n vmlinux"
	if ! grep -q "$sym" <<<"$syms"; then
		status=PASS detail="no Rust handler: the C map_freeze() runs"
	fi
fi
label=$(result_label "$name")
printf '%s %s/freeze_handler_is_%s%s\n' "$status" "$label" "$want" \
	"$([ $status = PASS ] || echo ": $detail")"
printf '%s\t%s/freeze_handler_is_%s\t%s\n' "$status" "$label" "$want" "$detail" >>"$results"
