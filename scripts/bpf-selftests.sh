#!/usr/bin/env bash
# The BPF selftests as BPF CI builds them, for one kernel: the
# selftests' own Makefile (make -C tools/testing/selftests/bpf) builds
# test_progs, test_maps (and make check's sized test_maps_tcg),
# test_verifier, their BPF objects and the test modules (bpf_testmod and
# friends) against the kernel build KOBJ and its BTF; then the initramfs
# that runs them (guest/bpf-ci.sh) is packed: the selftests' output folder
# (with the bpftool it built), busybox, dash, bash, iproute2's ip and tc,
# ethtool, openssl, keyctl, fsverity, and the shared libraries these programs load
# (the ldd closure), as on a distribution's root.
# usage: bpf-selftests.sh KOBJ OUT
#   KOBJ  the kernel's object tree (its vmlinux, Module.symvers)
#   OUT   the selftests' output folder; the initramfs is OUT.cpio
# The sources are $KSRC's: its test modules are built in its own
# tools/testing/selftests/bpf/test_kmods (the selftests' Makefile does so).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kobj=$(realpath "$1")
out=$(realpath -m "$2")
S=$KSRC/tools/testing/selftests/bpf
[ -f "$kobj/vmlinux" ] && [ -f "$kobj/Module.symvers" ] ||
	die "no vmlinux or Module.symvers in $kobj: build the kernel with its modules first"
mkdir -p "$out"

# The compiler cache hands clang paths relative to its working folder
# (CCACHE_BASEDIR=/, so that a clone elsewhere hits the same entries); the
# test objects are compiled in OUTPUT (cd $(@D)), so their dependency files
# name the sources relative to OUTPUT, while make reads them from the
# selftests' folder and would find none of them the next time: made
# absolute, before make (after a build that failed half-way) and after.
absolute_deps() {
	python3 - "$out" <<'PY'
import glob, os, re, sys
out = sys.argv[1]
for d in glob.glob(os.path.join(out, "*.test.d")):
    text = open(d).read()
    # every path that is not absolute, not a target (": ") and not "\"
    fixed = re.sub(r"(?<=\s)(?!/)([^\s:\\]+)(?=\s)",
                   lambda m: os.path.normpath(os.path.join(out, m.group(1))), text)
    if fixed != text:
        open(d, "w").write(fixed)
PY
}

# The tree's UAPI headers where the selftests' BPF_CFLAGS look for them
# ($(OUTPUT)/../usr/include; without them the BPF objects would see the
# host's older ones), then the selftests with VMLINUX_BTF from this kernel
# (never the host's: without it the Makefile silently takes
# /sys/kernel/btf/vmlinux); and test_maps_tcg, make check's test_maps with
# smaller sizes (scripts/test_maps_tcg.mk). Only the default flavour: the
# no_alu32 and cpuv4 ones would build every BPF object twice more. No docs,
# no LLVM disassembler, no libbfd (not installed).
# The BPF objects by clang 22 (Debian 12's bookworm-security has it), not
# the kernel's clang 19: 7.3's libarena (the BPF arena library the arena
# tests link) uses 32-bit atomics without -mcpu=v3, which clang 19's BPF
# backend cannot select (it crashes on asan.bpf.c). User space and the test
# modules keep the kernel's clang 19. Through the compiler cache: CC (user
# space and, being a command-line variable, the test modules' Kbuild, as
# the kernel was built), and CLANG. PAHOLE, when set (the kernel's, for the
# test modules' BTF), on the command line too.
step "building the BPF selftests against ${kobj#"$TOP"/}"
run_logged "selftests-headers-${out##*/}" kmake O="$kobj" INSTALL_HDR_PATH="${out%/*}/usr" \
	headers_install
absolute_deps
run_logged "selftests-${out##*/}" make -C "$S" -f Makefile -f "$TOP/scripts/test_maps_tcg.mk" \
	-j"$(nproc)" LLVM=1 CC="$CC_CACHED" CLANG="ccache clang-22" O="$kobj" ${PAHOLE:+PAHOLE="$PAHOLE"} \
	VMLINUX_BTF="$kobj/vmlinux" OUTPUT="$out" SKIP_DOCS=1 SKIP_LLVM=1 SKIP_LIBBFD=1 \
	test_progs test_maps test_verifier test_maps_tcg
absolute_deps
for f in test_progs test_maps test_maps_tcg test_verifier bpf_testmod.ko; do
	[ -f "$out/$f" ] || die "the selftests' build made no $f"
done

# The guest's root: what test_progs, test_maps and test_verifier read
# from their folder (BPF objects, modules, helpers, btf_dump test cases),
# without the build's intermediate files.
step "packing the BPF selftests' initramfs"
root=$out.root
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,run,mnt,var,guest/bpf}
ln -s ../run "$root/var/run"
find "$out" -maxdepth 1 -type f \( -name '*.bpf.o' -o ! -name '*.[oadh]' \) \
	-exec cp -t "$root/guest/bpf/" {} +
# btf_dump's test cases are read from the source (progs/btf_dump_test_case_*.c)
mkdir -p "$root/guest/bpf/progs"
cp "$S"/progs/btf_dump_test_case_*.c "$root/guest/bpf/progs/"
cp "$S"/DENYLIST* "$TOP"/config/bpf-ci.{allowlist,denylist} "$root/guest/bpf/"
# bpftool, where the tests look for it (bpftool_helpers.c: tools/sbin/bpftool;
# core_reloc_btfgen: ./bpftool, the Makefile's link to the bootstrap one)
mkdir -p "$root/guest/bpf/tools/sbin"
cp "$out/tools/sbin/bpftool" "$root/guest/bpf/tools/sbin/"
cp -L "$out/bpftool" "$root/guest/bpf/bpftool"
# "ping localhost" (cgroup_storage, with busybox's ping)
mkdir -p "$root/etc"
printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost\n' >"$root/etc/hosts"
cp /bin/busybox "$root/bin/busybox"
# What the tests run through system() and popen(), where busybox is not
# enough: its sh runs its own ip applet before PATH's, which has no
# "ip netns" nor "ip link add ... type veth" (xdp_devmap_attach,
# xdp_cpumap_attach, select_reuseport), hence dash as /bin/sh and
# iproute2's ip, and its tc (busybox's applet failed bpf_qdisc_default's
# "tc qdisc add dev veth0 root handle 1: mq"), ethtool (the XDP tests'
# "ethtool -K"); test_local_storage copies /bin/rm and runs the copy, which
# must be a program of its own, not busybox's link. busybox --install (the
# init) leaves existing files alone.
cp /usr/bin/dash "$root/bin/sh"
cp /usr/bin/rm "$root/bin/rm"
# verify_sig_setup.sh (signed_loader, verify_pkcs7_sig, ...) is a bash
# script making a signing key with openssl, loading it with keyctl, and
# fs-verity digests with fsverity
cp /usr/bin/bash /usr/bin/openssl /usr/bin/keyctl /usr/bin/fsverity "$root/bin/"
cp /sbin/ip /sbin/tc /usr/sbin/ethtool "$root/sbin/"
cp "$TOP/guest/init" "$root/init"
install -m 755 "$TOP/guest/bpf-ci.sh" "$root/guest/bpf-ci.sh"
# The ldd closure of every dynamic program in the root, at the paths the
# dynamic loader looks them up, and what glibc loads at run time: libgcc_s,
# for pthread_exit() (test_progs aborts without it).
{
	for f in "$root"/bin/* "$root"/sbin/* "$root"/guest/bpf/* \
		"$root"/guest/bpf/tools/sbin/bpftool; do
		[ -x "$f" ] && [ -f "$f" ] || continue
		{ ldd "$f" 2>/dev/null || true; } |
			sed -n 's|.*=> \(/[^ ]*\) .*|\1|p; s|^\t\(/[^ ]*\) .*|\1|p'
	done
	echo /lib/x86_64-linux-gnu/libgcc_s.so.1
} | sort -u | while read -r lib; do
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
done
pack "$root" "$out.cpio"
ok "BPF selftests: ${out#"$TOP"/}, initramfs ${out#"$TOP"/}.cpio ($(du -m "$out.cpio" | cut -f1) MB)"
