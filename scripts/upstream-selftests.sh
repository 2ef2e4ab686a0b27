#!/usr/bin/env bash
# Build the upstream BPF selftests that exercise BPF_MAP_FREEZE, unmodified,
# into build/user/test_progs/: their BPF objects (clang -target bpf), the
# skeletons (bpftool gen skeleton, bpftool built by scripts/guest.sh) and a
# static test_progs that contains only these tests. The full test_progs
# needs vmlinux BTF, kernel modules and hundreds of BPF objects; these four
# tests need none of that.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

U=$BUILD/user
O=$U/test_progs
S=$KSRC/tools/testing/selftests/bpf
BPFTOOL=$U/bpftool/bpftool
# prog_tests/NAME.c, and the BPF objects they load or embed.
TESTS=(mmap global_data_init rdonly_maps skeleton)
PROGS=(test_mmap test_global_data test_rdonly_maps test_skeleton)
SKELS=(test_mmap test_skeleton)

rm -rf "$O"
mkdir -p "$O/prog_tests"
sysinc=$(clang_sys_includes)
# As the selftests' Makefile builds BPF objects (BPF_CFLAGS, -mcpu=v3).
build() {
	local p
	for p in "${PROGS[@]}"; do
		# shellcheck disable=SC2086
		clang -g -O2 --target=bpf -mcpu=v3 -Wall -Werror -D__TARGET_ARCH_x86 \
			-mlittle-endian -I"$U/libbpf/root/include" -I"$S" \
			-I"$KSRC/tools/include/uapi" -Wno-compare-distinct-pointer-types \
			$sysinc -c "$S/progs/$p.c" -o "$O/$p.bpf.o"
	done
	for p in "${SKELS[@]}"; do
		"$BPFTOOL" gen skeleton "$O/$p.bpf.o" name "$p" >"$O/$p.skel.h"
	done
	printf 'DEFINE_TEST(%s)\n' "${TESTS[@]}" >"$O/prog_tests/tests.h"
	# As the selftests' Makefile builds test_progs (CFLAGS, include order).
	clang -O2 -g -static -Wall -Werror -fno-omit-frame-pointer \
		-Wno-unused-command-line-argument \
		-I"$S" -I"$U/libbpf/root/include" -I"$KSRC/tools/lib" \
		-I"$KSRC/tools/include" -I"$KSRC/tools/arch/x86/include" \
		-I"$KSRC/tools/include/uapi" -I"$O" \
		"$S"/{test_progs,cgroup_helpers,trace_helpers,network_helpers}.c \
		"$S"/{testing_helpers,btf_helpers,cap_helpers,unpriv_helpers}.c \
		"$S"/{netlink_helpers,json_writer}.c \
		"${srcs[@]}" \
		"$U/libbpf/libbpf.a" -lelf -lz -lzstd -lpthread -lrt -o "$O/test_progs"
}
srcs=()
for t in "${TESTS[@]}"; do
	srcs+=("$S/prog_tests/$t.c")
done
step "building upstream test_progs with ${TESTS[*]}"
run_logged upstream-test-progs build
ok "upstream selftests: ${O#"$TOP"/}"
