#!/usr/bin/env bash
# Build the guest userspace from build/linux (libbpf, bpftool, the series'
# selftests, the demo, the libbpf .rodata test, the Rust client) as static
# binaries and pack them with busybox and guest/tests/*.sh into
# build/initramfs.cpio. With "run" (make run), only what the demo needs:
# libbpf, bpftool and freeze_demo, in build/initramfs-run.cpio.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

U=$BUILD/user
mkdir -p "$U/libbpf" "$U/bpftool" "$U/bin"
CFLAGS=(-O2 -g -Wall -Werror -static -I"$U/libbpf/root/include"
	-I"$KSRC/tools/include/uapi" -I"$KSRC/tools/include"
	-I"$KSRC/tools/testing/selftests")
LIBS=("$U/libbpf/libbpf.a" -lelf -lz -lzstd -lpthread)

# Guest tests: the series' standalone selftests, built from the tree (the
# mainline series has its selftest in test_progs: upstream-selftests.sh).
SELFTESTS=()
[ "$SERIES" = 6.12 ] && SELFTESTS=(tools/testing/selftests/bpf/test_map_freeze.c)

if [ "${1:-}" = run ]; then
	step "building guest userspace for make run (libbpf, bpftool, demo)"
else
	step "building guest userspace (libbpf, bpftool, selftests, demo, rodata test)"
fi
run_logged libbpf make -C "$KSRC/tools/lib/bpf" OUTPUT="$U/libbpf/" CC="$CC_CACHED" \
	-j"$(nproc)" "$U/libbpf/libbpf.a"
run_logged libbpf-headers make -C "$KSRC/tools/lib/bpf" OUTPUT="$U/libbpf/" \
	CC="$CC_CACHED" DESTDIR="$U/libbpf/root" prefix= install_headers

# bpftool, static, from the tree; make rebuilds only what changed. No JIT
# disassembler (LLVM, libbfd), no libcap (we run as root), and no
# skeletons of its own (pid_iter, profiler): those would be built against
# the host's /sys/kernel/btf/vmlinux and the guest kernel has no BTF.
run_logged bpftool make -C "$KSRC/tools/bpf/bpftool" OUTPUT="$U/bpftool/" \
	CC="$CC_CACHED" EXTRA_LDFLAGS=-static feature-llvm=0 feature-libbfd=0 \
	feature-libbfd-liberty=0 feature-libbfd-liberty-z=0 feature-libcap=0 \
	feature-clang-bpf-co-re=0 -j"$(nproc)"
BPFTOOL=$U/bpftool/bpftool

# newer OUT DEP...: whether OUT exists and is newer than every DEP
newer() {
	local out=$1 dep
	shift
	for dep; do
		[ "$out" -nt "$dep" ] || return 1
	done
}

# cc_static OUT SRC [HDR...]: compile SRC into the static binary OUT unless it
# is newer than its source, libbpf and each generated header HDR (whose
# directory goes on the include path).
cc_static() {
	local out=$1 src=$2 hdr inc=()
	shift 2
	[ -f "$src" ] || die "missing $src: is the series applied? (make tree)"
	for hdr; do
		inc+=(-I"$(dirname "$hdr")")
	done
	if ! newer "$out" "$src" "$U/libbpf/libbpf.a" "$@"; then
		run_logged "cc-${out##*/}" clang "${CFLAGS[@]}" "${inc[@]}" "$src" \
			"${LIBS[@]}" -o "$out"
	fi
}

cc_static "$U/bin/freeze_demo" "$TOP/guest/freeze_demo.c"
if [ "${1:-}" = run ]; then
	root=$U/initramfs-run
	rm -rf "$root"
	mkdir -p "$root"/{bin,dev,proc,sys,tmp,guest}
	cp /bin/busybox "$root/bin/busybox"
	cp "$BPFTOOL" "$root/bin/bpftool"
	cp "$TOP/guest/init" "$root/init"
	cp "$TOP/guest/demo.sh" "$U/bin/freeze_demo" "$root/guest/"
	pack "$root" "$BUILD/initramfs-run.cpio"
	exit 0
fi

# The libbpf .rodata test: BPF object, its skeleton (by the bpftool above),
# then the static test program. <linux/bpf.h> is the tree's UAPI header; the
# host's system include directories come after, for <asm/types.h>.
R=$U/rodata
mkdir -p "$R"
BPF_CFLAGS=(-target bpf -O2 -g -Wall -Werror -I"$U/libbpf/root/include"
	-I"$KSRC/tools/include/uapi"
	$(clang_sys_includes))
# gen_skel OBJ NAME OUT: bpftool gen skeleton, OUT written only on success
gen_skel() {
	"$BPFTOOL" gen skeleton "$1" name "$2" >"$3.tmp" && mv "$3.tmp" "$3"
}
if ! newer "$R/rodata.bpf.o" "$TOP/guest/rodata/rodata.bpf.c" \
	"$U/libbpf/libbpf.a" "$KSRC/tools/include/uapi/linux/bpf.h"; then
	run_logged clang-bpf-rodata clang "${BPF_CFLAGS[@]}" \
		-c "$TOP/guest/rodata/rodata.bpf.c" -o "$R/rodata.bpf.o"
fi
if ! newer "$R/rodata.skel.h" "$R/rodata.bpf.o" "$BPFTOOL"; then
	run_logged skel-rodata gen_skel "$R/rodata.bpf.o" rodata_bpf "$R/rodata.skel.h"
fi

root=$U/initramfs
rm -rf "$root"
mkdir -p "$root"/{bin,dev,proc,sys,tmp,guest/tests}
cp /bin/busybox "$root/bin/busybox"
cp "$BPFTOOL" "$root/bin/bpftool"
cp "$TOP"/guest/{init,run-tests.sh,demo.sh,soak.sh} "$root/"
mv "$root/run-tests.sh" "$root/demo.sh" "$root/soak.sh" "$root/guest/"
for src in "${SELFTESTS[@]}"; do
	name=$(basename "$src" .c)
	cc_static "$U/bin/$name" "$KSRC/$src"
	cp "$U/bin/$name" "$root/guest/tests/$name"
done
cp "$U/bin/freeze_demo" "$root/guest/"
# Stress tests: the BPF_MAP_FREEZE attr fuzzer, the teardown races, and a
# sockmap writer that sleeps inside the count of writers in flight.
for t in freeze_fuzz freeze_teardown freeze_sockmap; do
	cc_static "$U/bin/$t" "$TOP/guest/stress/$t.c" "$TOP/guest/stress/stress.h"
	cp "$U/bin/$t" "$root/guest/tests/"
done
# The benchmark program, for make soak's freeze latency record.
cc_static "$U/bin/map_bench" "$TOP/bench/guest/map_bench.c"
cp "$U/bin/map_bench" "$root/guest/"
cc_static "$U/bin/test_rodata" "$TOP/guest/rodata/test_rodata.c" "$R/rodata.skel.h"
cp "$U/bin/test_rodata" "$root/guest/tests/"
# The Rust client (libbpf-rs from crates.io), static.
"$TOP/scripts/rust-client.sh"
cp "$U/bin/rust_freeze_client" "$root/guest/tests/"
# The upstream selftests that exercise freeze, run by
# guest/tests/upstream_test_progs.sh.
"$TOP/scripts/upstream-selftests.sh"
mkdir -p "$root/guest/test_progs"
cp "$U"/test_progs/{test_progs,TESTS,*.bpf.o} "$root/guest/test_progs/"
# Shell tests (bpftool as a user runs it) and the series' own;
# run-tests.sh names them without .sh.
for t in "$TOP"/guest/tests/* "$TOP/guest/tests-$SERIES"/*; do
	[ -f "$t" ] && install -m 755 "$t" "$root/guest/tests/"
done
pack "$root" "$BUILD/initramfs.cpio"
