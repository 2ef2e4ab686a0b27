#!/usr/bin/env bash
# Build the guest userspace from build/linux (libbpf, the series' selftests,
# the demo) as static binaries and pack them with busybox into
# build/initramfs.cpio.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

U=$BUILD/user
mkdir -p "$U/libbpf" "$U/bin"
CFLAGS=(-O2 -g -Wall -Werror -static -I"$U/libbpf/root/include"
	-I"$KSRC/tools/include/uapi" -I"$KSRC/tools/include"
	-I"$KSRC/tools/testing/selftests")
LIBS=("$U/libbpf/libbpf.a" -lelf -lz -lzstd -lpthread)

# Guest tests: the series' selftests, built from the tree.
SELFTESTS=(tools/testing/selftests/bpf/test_map_freeze.c)

step "building guest userspace (libbpf, selftests, demo)"
run_logged libbpf make -C "$KSRC/tools/lib/bpf" OUTPUT="$U/libbpf/" CC=clang \
	-j"$(nproc)" "$U/libbpf/libbpf.a"
run_logged libbpf-headers make -C "$KSRC/tools/lib/bpf" OUTPUT="$U/libbpf/" \
	CC=clang DESTDIR="$U/libbpf/root" prefix= install_headers

# cc_static OUT SRC: compile SRC into the static binary OUT unless it is newer
# than its source and libbpf.
cc_static() {
	local out=$1 src=$2
	[ -f "$src" ] || die "missing $src: is the series applied? (make tree)"
	if [ ! "$out" -nt "$src" ] || [ ! "$out" -nt "$U/libbpf/libbpf.a" ]; then
		run_logged "cc-${out##*/}" clang "${CFLAGS[@]}" "$src" "${LIBS[@]}" -o "$out"
	fi
}

root=$U/initramfs
rm -rf "$root"
mkdir -p "$root"/{bin,dev,proc,sys,tmp,guest/tests}
cp /bin/busybox "$root/bin/busybox"
cp "$TOP"/guest/{init,run-tests.sh,demo.sh} "$root/"
mv "$root/run-tests.sh" "$root/demo.sh" "$root/guest/"
for src in "${SELFTESTS[@]}"; do
	name=$(basename "$src" .c)
	cc_static "$U/bin/$name" "$KSRC/$src"
	cp "$U/bin/$name" "$root/guest/tests/$name"
done
cc_static "$U/bin/freeze_demo" "$TOP/guest/freeze_demo.c"
cp "$U/bin/freeze_demo" "$root/guest/"
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) >"$BUILD/initramfs.cpio"
ok "initramfs: build/initramfs.cpio ($(du -h "$BUILD/initramfs.cpio" | cut -f1))"
