# Shared helpers for the harness scripts. Sourced, not executed.
# shellcheck shell=bash

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Which series: "mainline" (the product, on Debian's linux-source-7.3) or
# "6.12" (its stable backport, on Debian's linux-source-6.12). Each has its
# patches in patches/SERIES, its cover letter in series/SERIES and every
# build product under build/SERIES.
SERIES=${SERIES:-mainline}
LINUX73_VERSION=7.3.4-1~bpo13+1
LINUX73_DIR=/var/cache/bpf-freeze/src/linux-source-7.3
case "$SERIES" in
mainline)
	KPKG=linux-source-7.3
	KPKG_VERSION=$LINUX73_VERSION
	# Not installed: apt-get download + dpkg -x into the cache (scripts/deps.sh)
	KTARBALL=$LINUX73_DIR/usr/src/$KPKG.tar.xz
	BINDGEN_VERSION=0.72.1
	;;
6.12)
	KPKG=linux-source-6.12
	KTARBALL=/usr/src/$KPKG.tar.xz
	BINDGEN_VERSION=0.69.5
	;;
*)
	printf 'error: SERIES=%s: use mainline or 6.12\n' "$SERIES" >&2
	exit 1
	;;
esac
PATCHDIR=$TOP/patches/$SERIES
# The series is sent as parts, each a series of its own with its cover
# letter and subject prefix, applied in order: series/SERIES/parts lists
# them (folder, number of patches, prefix); patches/SERIES/FOLDER holds
# each one's patches, series/SERIES/FOLDER/cover-letter.txt its cover text.
PARTS=$TOP/series/$SERIES/parts
BUILD=${BUILD:-$TOP/build/$SERIES}
LOGS=$BUILD/logs
KSRC=${KSRC:-$BUILD/linux}
mkdir -p "$LOGS"

# Each tree's bindgen-cli in a folder of its own (7.3 needs >= 0.71.1).
BINDGEN_ROOT=/opt/bindgen-$BINDGEN_VERSION

# Debian 13's pahole, in a root of its own (scripts/pahole.py, installed by
# scripts/deps.sh), for the BPF-CI kernels: Debian 12's 1.24 encodes 7.3's
# bpf_lsm_mmap_file() twice, in an order that changes from build to build.
PAHOLE_BPF_CI_VERSION=1.30
PAHOLE_BPF_CI=/var/cache/bpf-freeze/pahole-$PAHOLE_BPF_CI_VERSION/pahole
# KERNEL_LLVM: the LLVM whose clang, ld.lld, llvm-* tools and libclang (for
# bindgen) build the kernels: 19 unless set. make bench's *_llvm22 kernels
# set 22, the LLVM of rustc 1.95, which CONFIG_RUST_INLINE_HELPERS needs.
KERNEL_LLVM=${KERNEL_LLVM:-19}
export PATH="/usr/lib/llvm-$KERNEL_LLVM/bin:$BINDGEN_ROOT/bin:$HOME/.cargo/bin:$PATH"
export LIBCLANG_PATH=/usr/lib/llvm-$KERNEL_LLVM/lib

# Compiler cache (Debian's ccache) for every C compile of the harness: kernel
# through kmake (host tools are not: HOSTCC is also the linker of the host
# Rust programs, one word), libbpf and bpftool through CC. It lives
# outside the clone, so a fresh clone on this machine reuses it; it caches
# compiler output by content (a hit is the same compile), never a verdict.
# base_dir=/ rewrites absolute paths relative to the working directory, so
# that build/kbuild-X compiling ../linux/foo.c hits whatever folder the clone
# is in and whichever worktree the source comes from. rustc is not cached.
export CCACHE_DIR=${CCACHE_DIR:-/var/cache/bpf-freeze/ccache}
export CCACHE_BASEDIR=/ CCACHE_NOHASHDIR=1 CCACHE_COMPILERCHECK=content
export CCACHE_SLOPPINESS=include_file_mtime,include_file_ctime,time_macros
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-25G}
CC_CACHED="ccache clang"

# kmake ARG...: make in the kernel tree $KSRC with clang $KERNEL_LLVM
# (LLVM=1) through the cache. Every kernel make of the harness goes
# through here: Kbuild records each object's command line, so another CC
# would rebuild it all.
# PAHOLE, when set, is the pahole Kbuild runs (on the command line: the
# Makefile's own assignment wins over the environment's).
kmake() {
	make -C "$KSRC" LLVM=1 CC="$CC_CACHED" ${PAHOLE:+PAHOLE="$PAHOLE"} -j"$(nproc)" "$@"
}

_t0=$(date +%s)
step() { printf '==> %s\n' "$*"; }
ok() { printf '==> %s (%ss)\n' "$*" "$(($(date +%s) - _t0))"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# run_logged NAME CMD...: run CMD with its output in $LOGS/NAME.log; on
# failure print the last lines of the log and fail.
run_logged() {
	local name=$1 t=$(date +%s) rc=0
	shift
	"$@" >"$LOGS/$name.log" 2>&1 || rc=$?
	if ((rc)); then
		printf 'error: "%s" failed (exit %d); last lines of %s:\n' "$*" "$rc" "$LOGS/$name.log" >&2
		tail -n 40 "$LOGS/$name.log" >&2
		exit "$rc"
	fi
	printf '    %s: %ss, log in %s\n' "$name" "$(($(date +%s) - t))" "${LOGS#"$TOP"/}/$name.log"
}

# The parts of the series, in order: "FOLDER COUNT PREFIX..." lines.
series_parts() {
	grep -Ev '^[[:space:]]*(#|$)' "$PARTS"
}

# The patches of the series, in order, without the cover letters.
series_patches() {
	local dir rest
	while read -r dir rest; do
		ls "$PATCHDIR/$dir"/[0-9]*.patch 2>/dev/null | grep -v '/0000-cover-letter' || true
	done < <(series_parts)
}

# series_part_tips REPO REF: each part as "FOLDER COUNT TIP PREFIX...", TIP
# the commit of REPO that ends it among base..REF; fails if the counts of
# series/SERIES/parts do not add up to base..REF or a cover letter is missing.
series_part_tips() {
	local repo=$1 ref=$2 commits dir count prefix i=0
	mapfile -t commits < <(git -C "$repo" rev-list --reverse "base..$ref")
	while read -r dir count prefix; do
		[ -f "$TOP/series/$SERIES/$dir/cover-letter.txt" ] || {
			echo "series/$SERIES/$dir/cover-letter.txt is missing" >&2
			return 1
		}
		i=$((i + count))
		((i <= ${#commits[@]})) || break
		echo "$dir $count ${commits[$((i - 1))]} $prefix"
	done < <(series_parts)
	((i == ${#commits[@]})) || {
		echo "series/$SERIES/parts counts $i patches, base..$ref has ${#commits[@]}" >&2
		return 1
	}
}

# The part of the series that patch N (1-based, in series_patches order)
# belongs to.
series_part_of() {
	local n=$1 dir count rest
	while read -r dir count rest; do
		((n <= count)) && { echo "$dir"; return; }
		n=$((n - count))
	done < <(series_parts)
	echo "?"
}

# What build/linux/.git/series-hash records: the series last applied or
# exported, so that tree.sh knows when patches/ changed.
series_hash() {
	cat /dev/null $(series_patches) | sha256sum | cut -d' ' -f1
}

# The host compiler's system include directories as -idirafter options, for
# BPF objects (clang -target bpf) that need <asm/types.h> and the like; the
# selftests' Makefile does the same (get_sys_includes).
clang_sys_includes() {
	clang -v -E - </dev/null 2>&1 |
		sed -n '/<...> search starts here:/,/End of search list./s|^ \(/.*\)|-idirafter \1|p'
}

# ensure_worktree DIR COMMIT: a detached git worktree of build/linux at
# COMMIT in DIR, unless DIR already is one (it is then left where it is).
ensure_worktree() {
	if ! git -C "$1" rev-parse --git-dir >/dev/null 2>&1; then
		rm -rf "$1"
		git -C "$KSRC" worktree prune
		git -C "$KSRC" worktree add -q --detach "$1" "$2" || die "cannot create $1"
	fi
}

# result_label NAME: how results of the kernel NAME are labelled: NAME on
# mainline, SERIES-NAME on the backport (both series' results share one
# table in make check).
result_label() {
	if [ "$SERIES" = mainline ]; then echo "$1"; else echo "$SERIES-$1"; fi
}

# pack ROOT OUT: ROOT as a newc cpio archive in OUT (an initramfs), its
# files in a fixed order
pack() {
	(cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) >"$2"
	ok "initramfs: ${2#"$TOP"/} ($(du -h "$2" | cut -f1))"
}

# add_result FILE STATUS NAME [DETAIL]: print "STATUS NAME" (with ": DETAIL"
# unless it passed) and append "STATUS<TAB>NAME<TAB>DETAIL" to FILE, the
# results that make check counts, unless FILE is empty.
add_result() {
	printf '%s %s%s\n' "$2" "$3" "$([ "$2" = PASS ] || echo ": ${4:-}")"
	[ -z "$1" ] || printf '%s\t%s\t%s\n' "$2" "$3" "${4:-}" >>"$1"
}

# The unpatched base tree built with the CONFIG_RUST=n test config, the
# kernel make check-base boots: in build/SERIES/base (worktree linux/,
# objects kbuild-norust/), whose paths relative to each other are those of
# build/SERIES/{linux,kbuild-norust}, so the compiler cache serves the files
# that the series does not change from make check's CONFIG_RUST=n kernel.
BASEDIR=$BUILD/base
BASE_FRAGS=("$TOP/config/test.config" "$TOP/config/norust.config")
# kernel_key DIR REV FRAGMENT...: what a kernel is built from, the tree of
# REV in the git repository DIR and the fragments' contents; a kernel is
# rebuilt when its key changes.
kernel_key() {
	local dir=$1 rev=$2
	shift 2
	echo "$(git -C "$dir" rev-parse "$rev^{tree}")-$(cat "$@" | sha256sum | cut -c1-16)"
}

# base_norust_key: what base-norust.bzImage was built from
base_norust_key() {
	kernel_key "$KSRC" base "${BASE_FRAGS[@]}" "$TOP/config/$SERIES.config"
}
