#!/usr/bin/env bash
# Build the upstream BPF selftests that exercise BPF_MAP_FREEZE, unmodified,
# into build/user/test_progs/: their BPF objects (clang -target bpf), the
# skeletons (bpftool gen skeleton, bpftool built by scripts/guest.sh) and a
# static test_progs that contains only these tests (and the series' own). The full test_progs
# needs vmlinux BTF, kernel modules and hundreds of BPF objects; these four
# tests need none of that.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

U=$BUILD/user
O=$U/test_progs
S=$KSRC/tools/testing/selftests/bpf
BPFTOOL=$U/bpftool/bpftool
# prog_tests/NAME.c, and the BPF objects they load or embed; on mainline
# also the series' own prog_tests/map_freeze.c (guest/tests-mainline), which
# needs no BPF object.
TESTS=(mmap global_data_init rdonly_maps skeleton)
[ "$SERIES" = mainline ] && TESTS+=(map_freeze)
PROGS=(test_mmap test_global_data test_rdonly_maps test_skeleton)
SKELS=(test_mmap test_skeleton)
# global_data_init.c of 7.3 also tests per-CPU global data, whose BPF
# program includes vmlinux.h: generated from the kernel's BTF, which the
# test kernel does not have (the BPF-CI configuration will). Left out there.
if grep -q 'test_global_percpu_data' "$S/prog_tests/global_data_init.c"; then
	TESTS=("${TESTS[@]/global_data_init/}")
	PROGS=("${PROGS[@]/test_global_data/}")
fi

rm -rf "$O"
mkdir -p "$O/prog_tests"
# What the selftests' own Makefile generates in the source folder (make
# kernel-bpf-ci) would shadow ours: test_progs.c includes
# "verification_cert.h" from its own folder first.
rm -f "$S/prog_tests/tests.h" "$S/verification_cert.h"
# test_progs.c of 7.3 embeds the certificate of a signing key that it adds
# to the session keyring at start-up (for the signed-program tests); made as
# the selftests' Makefile makes it (VERIFY_SIG_HDR), with a key of our own.
if grep -q '^#include "verification_cert.h"' "$S/test_progs.c"; then
	mkdir -p "$O/key"
	run_logged verify-sig-genkey bash "$S/verify_sig_setup.sh" genkey "$O/key"
	{
		echo "unsigned char test_progs_verification_cert[] = {"
		od -v -t 'xC' -w12 "$O/key/signing_key.der" | sed 's/ \(\S\+\)/ 0x\1,/g;s/^\S\+/ /;$d'
		echo "};"
		echo "unsigned int test_progs_verification_cert_len = $(wc -c <"$O/key/signing_key.der");"
	} >"$O/verification_cert.h"
fi
sysinc=$(clang_sys_includes)
# As the selftests' Makefile builds BPF objects (BPF_CFLAGS, -mcpu=v3).
build() {
	local p
	for p in "${PROGS[@]}"; do
		[ -n "$p" ] || continue
		# shellcheck disable=SC2086
		clang -g -O2 --target=bpf -mcpu=v3 -Wall -Werror -D__TARGET_ARCH_x86 \
			-mlittle-endian -I"$U/libbpf/root/include" -I"$S" \
			-I"$KSRC/tools/include/uapi" -Wno-compare-distinct-pointer-types \
			$sysinc -c "$S/progs/$p.c" -o "$O/$p.bpf.o"
	done
	for p in "${SKELS[@]}"; do
		"$BPFTOOL" gen skeleton "$O/$p.bpf.o" name "$p" >"$O/$p.skel.h"
	done
	printf 'DEFINE_TEST(%s)\n' ${TESTS[@]} >"$O/prog_tests/tests.h"
	# the list the guest's upstream_test_progs.sh runs
	printf '%s\n' ${TESTS[@]} | grep -vx map_freeze >"$O/TESTS"
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
for t in ${TESTS[@]}; do
	srcs+=("$S/prog_tests/$t.c")
done
step "building upstream test_progs with ${TESTS[*]}"
run_logged upstream-test-progs build
ok "upstream selftests: ${O#"$TOP"/}"
