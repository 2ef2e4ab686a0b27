#!/usr/bin/env bash
# make bench: what the freeze protocol costs, against the unpatched base, in
# one run (mainline series only). Builds (or reuses) these kernels, all with
# config/test.config + config/bench.config:
#   base          the unpatched tree (tag "base"), CONFIG_RUST=n
#   series        the series, through bench/ablation-SERIES.patch with its
#                 default choice, CONFIG_BPF_FREEZE_BENCH_COUNTER, which
#                 compiles the series' code unchanged (the patch only adds #if
#                 branches): the count of writers in flight, with the C
#                 handler of BPF_MAP_FREEZE (the series' default config),
#                 CONFIG_RUST=n as base
#   series_rust   the same with CONFIG_RUST=y and the Rust handler
#                 (CONFIG_BPF_RUST_MAP_FREEZE): series_rust/series is the
#                 Rust handler's cost on the same protocol
#   rwsem         a previous version of the series: a per-map rw_semaphore,
#                 writers shared, freeze exclusive
#   mutex, percpu_rwsem
#                 the same lock as a mutex (writers serialize) or a
#                 percpu_rw_semaphore (freeze waits for a grace period)
#   none          no freeze bookkeeping on the write path at all, only the
#                 freezing check (unsafe: freeze waits for no writer); the limit
#   series_llvm22, series_rust_llvm22
#                 series and series_rust built with clang/LLVM 22 (rustc's
#                 LLVM), the Rust one with CONFIG_RUST_INLINE_HELPERS: what
#                 inlining the C helpers into the Rust handler changes
# rwsem to none are the other choices of the ablation patch (CONFIG_RUST=n).
# By default every kernel but the two *_llvm22 ones (each a compiler of its
# own: a first build is a cold one); name them in BENCH_KERNELS.
# Boots each under QEMU TCG with 2 vCPUs and runs bench/guest/map_bench,
# round after round, alternating the kernels (ABBA order: every other round
# runs them backwards, so linear drift cancels). Then boots each again with
# one vCPU under the QEMU plugin bench/qemu/insn_marks.c, which counts the
# guest instructions of each update, lookup and idle freeze: TCG's timing
# spreads by 20-30% from round to round, instruction counts by far less.
# Prints the table of both (scripts/bench-report.py) and writes it to
# build/SERIES/bench/report.md.
# Environment: BENCH_ROUNDS (default 5); BENCH_INSN_ROUNDS (default 2)
# instruction-count boots per kernel; BENCH_BUILD_ONLY=1 builds the kernels
# and stops (to build while something else runs, and measure later);
# BENCH_KERNELS="base series ..." builds and measures only those (base and
# series always), in that order; the report says which were left out.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

patch=$TOP/bench/ablation-$SERIES.patch
[ -f "$patch" ] ||
	die "make bench runs on the mainline series (SERIES=mainline): there is no bench/ablation-$SERIES.patch"

B=$BUILD/bench
rounds=${BENCH_ROUNDS:-5}
insn_rounds=${BENCH_INSN_ROUNDS:-2}
default_kernels=(base series series_rust none rwsem mutex percpu_rwsem)
all_kernels=("${default_kernels[@]}" series_llvm22 series_rust_llvm22)
read -r -a kernels <<<"${BENCH_KERNELS:-${default_kernels[*]}}"
for k in "${kernels[@]}"; do
	[[ " ${all_kernels[*]} " == *" $k "* ]] ||
		die "BENCH_KERNELS: no kernel '$k' (there are: ${all_kernels[*]})"
done
[[ " ${kernels[*]} " == *" base "* && " ${kernels[*]} " == *" series "* ]] ||
	die "BENCH_KERNELS must name base and series"
mkdir -p "$B/logs" "$B/base/logs" "$B/ablation/logs"
frags=("$TOP/config/test.config" "$TOP/config/bench.config")
norust=$TOP/config/norust.config

# bench_kernel NAME DIR OBJ FRAGMENT...: build bzImage of DIR/linux in
# DIR/kbuild-OBJ with the fragments and copy it to $B/NAME.bzImage; skipped
# when the source tree and the fragments did not change since. The trees are
# $B/base/linux and $B/ablation/linux, their objects next to them: the same
# paths relative to each other, so that the compiler cache serves the files
# that the series does not change to the series' kernels.
bench_kernel() {
	local name=$1 dir=$2 obj=$3 key
	shift 3
	key=$(kernel_key "$dir/linux" HEAD "$@")
	if [ -f "$B/$name.bzImage" ] && [ "$(cat "$B/$name.key" 2>/dev/null)" = "$key" ]; then
		echo "    $name: built before (same tree and config)"
		return
	fi
	BUILD=$dir KSRC=$dir/linux "$TOP/scripts/build.sh" "$obj" "$@"
	cp "$dir/kbuild-$obj/arch/x86/boot/bzImage" "$B/$name.bzImage"
	echo "$key" >"$B/$name.key"
}

# The ablation tree: the series plus the ablation patch. The commit is made
# without a checkout (the patch applied to a scratch index), so that moving the
# worktree to it touches only the files that differ: a checkout touches
# files, and a touched file is rebuilt.
abl=$B/ablation/linux
ensure_worktree "$abl" series
want=$(git -C "$KSRC" rev-parse "series^{tree}")-$(sha256sum <"$patch" | cut -c1-16)
if [ "$(cat "$B/ablation-key" 2>/dev/null)" != "$want" ]; then
	step "bench: applying ${patch#"$TOP"/} on the series"
	idx=$(mktemp)
	GIT_INDEX_FILE=$idx git -C "$KSRC" read-tree series
	GIT_INDEX_FILE=$idx git -C "$KSRC" apply --cached "$patch" ||
		{ rm -f "$idx"; die "${patch#"$TOP"/} does not apply on the series: port it"; }
	tree=$(GIT_INDEX_FILE=$idx git -C "$KSRC" write-tree)
	rm -f "$idx"
	commit=$(git -C "$KSRC" -c user.name=harness -c user.email=harness@localhost \
		commit-tree "$tree" -p series -m "BENCH ONLY: ${patch#"$TOP"/}")
	git -C "$abl" checkout -q --detach "$commit"
	echo "$want" >"$B/ablation-key"
fi
ensure_worktree "$B/base/linux" base

for k in "${kernels[@]}"; do
	case $k in
	base) bench_kernel base "$B/base" bench "${frags[@]}" "$norust" ;;
	series) bench_kernel series "$B/ablation" bench "${frags[@]}" \
		"$TOP/config/bench-counter.config" "$norust" ;;
	# series_rust has an object tree of its own: switching CONFIG_RUST off
	# and on in one would rebuild the Rust crates whenever the kernels are.
	series_rust) bench_kernel series_rust "$B/ablation" bench-rust "${frags[@]}" \
		"$TOP/config/bench-counter.config" ;;
	# Built with clang, ld.lld and libclang 22 (KERNEL_LLVM=22), the LLVM of
	# rustc: series_rust_llvm22 with CONFIG_RUST_INLINE_HELPERS, the C
	# helpers that Rust calls compiled to bitcode and inlined into the Rust
	# code; series_llvm22, the C handler from the same compiler, to compare
	# it with. Object trees of their own: another compiler rebuilds all.
	series_llvm22) KERNEL_LLVM=22 bench_kernel "$k" "$B/ablation" bench-llvm22 "${frags[@]}" \
		"$TOP/config/bench-counter.config" "$norust" ;;
	series_rust_llvm22) KERNEL_LLVM=22 bench_kernel "$k" "$B/ablation" bench-rust-llvm22 \
		"${frags[@]}" "$TOP/config/bench-counter.config" "$TOP/config/bench-inline-helpers.config" ;;
	*) bench_kernel "$k" "$B/ablation" bench "${frags[@]}" \
		"$TOP/config/bench-$k.config" "$norust" ;;
	esac
done

if [ "${BENCH_BUILD_ONLY:-}" = 1 ]; then
	ok "bench: kernels built (BENCH_BUILD_ONLY=1: not measured)"
	exit 0
fi

# The plugin, built against qemu-plugin.h of the installed QEMU's upstream
# version (the header is the same in every Debian revision of it): from the
# Debian source package of the installed version, or, once that has left
# the index, of the version the index has (apt verifies either against the
# signed index); the header's upstream version must match. Kept in
# /var/cache/bpf-freeze/qemu-plugin/UPSTREAM-VERSION.
qemu_plugin() {
	local ver up dir list got
	ver=$(dpkg-query -W -f='${source:Version}' qemu-system-x86)
	up=${ver#*:}
	up=${up%%[+-]*}
	dir=/var/cache/bpf-freeze/qemu-plugin/$up
	if [ ! -f "$dir/qemu-plugin.h" ]; then
		step "bench: qemu-plugin.h of QEMU $up (Debian source package)"
		rm -rf "$dir.tmp"
		mkdir -p "$dir.tmp/lists/partial" "$dir.tmp/cache/archives/partial"
		list=$dir.tmp/sources.list
		printf 'deb-src http://deb.debian.org/debian %s main\n' \
			bookworm bookworm-updates >"$list"
		printf 'deb-src http://deb.debian.org/debian-security bookworm-security main\n' >>"$list"
		local apt=(apt-get -q -o Dir::Etc::sourcelist="$list" -o Dir::Etc::sourceparts=-
			-o Dir::State::Lists="$dir.tmp/lists" -o Dir::Cache="$dir.tmp/cache")
		"${apt[@]}" update >"$B/qemu-src.log" 2>&1 &&
			(cd "$dir.tmp" && { "${apt[@]}" source --download-only "qemu=$ver" ||
				"${apt[@]}" source --download-only qemu; }) >>"$B/qemu-src.log" 2>&1 ||
			die "cannot fetch a source package of qemu, see ${B#"$TOP"/}/qemu-src.log"
		got=$(ls "$dir.tmp"/qemu_*.orig.tar.xz)
		got=${got##*/qemu_}
		got=${got%%[+.]orig*}
		got=${got%%+*}
		[ "$got" = "$up" ] ||
			die "the source package of qemu in the index is $got, the installed QEMU is $up"
		tar -xJf "$dir.tmp"/qemu_*.orig.tar.xz -C "$dir.tmp" --wildcards \
			'*/include/qemu/qemu-plugin.h'
		mkdir -p "$dir"
		mv "$dir.tmp"/*/include/qemu/qemu-plugin.h "$dir/"
		rm -rf "$dir.tmp"
	fi
	clang -O2 -Wall -Werror -shared -fPIC -I"$dir" "$TOP/bench/qemu/insn_marks.c" \
		-o "$B/libinsn_marks.so"
}

step "bench: guest program, initramfs and QEMU plugin"
qemu_plugin
U=$B/user
root=$U/initramfs
mkdir -p "$U"
clang -O2 -g -Wall -Wextra -Werror -static -I"$KSRC/tools/include/uapi" \
	"$TOP/bench/guest/map_bench.c" -lpthread -o "$U/map_bench"
rm -rf "$root"
mkdir -p "$root"/{bin,dev,proc,sys,tmp,guest}
cp /bin/busybox "$root/bin/busybox"
cp "$TOP/guest/init" "$root/init"
cp "$TOP/bench/guest/bench.sh" "$U/map_bench" "$root/guest/"
pack "$root" "$B/initramfs.cpio"

# bench_boot KERNEL LOG LABEL ENV...: boot KERNEL's bzImage with the bench
# initramfs and ENV (GUEST_TIMEOUT and the like), its console in LOG, each
# line prefixed with [LABEL]; die unless map_bench ran to its end.
bench_boot() {
	local k=$1 log=$2 label=$3
	shift 3
	env KERNEL="$B/$k.bzImage" INITRD="$B/initramfs.cpio" "$@" \
		"$TOP/scripts/boot.sh" bench "$log" "$k" | sed "s|^|[$label] |"
	grep -q '^<<<end bench rc=0>>>$' "$log" ||
		{ tail -n 30 "$log" >&2; die "bench failed on $k ($label), see ${log#"$TOP"/}"; }
}

rm -f "$B"/logs/*.log "$B"/logs/*.plugin
for ((r = 1; r <= rounds; r++)); do
	order=("${kernels[@]}")
	if ((r % 2 == 0)); then
		order=()
		for ((i = ${#kernels[@]} - 1; i >= 0; i--)); do
			order+=("${kernels[$i]}")
		done
	fi
	for k in "${order[@]}"; do
		bench_boot "$k" "$B/logs/round$r-$k.log" "round $r/$rounds" GUEST_TIMEOUT=600
	done
done

# Instruction counts: one vCPU, so that the plugin counts the benchmark's
# CPU only. The counts hardly depend on the order, so no ABBA.
for ((r = 1; r <= insn_rounds; r++)); do
	for k in "${kernels[@]}"; do
		log=$B/logs/insn$r-$k.log
		rm -f "$log.plugin"
		bench_boot "$k" "$log" "insn $r/$insn_rounds" GUEST_TIMEOUT=900 SMP=1 \
			APPEND=freeze.bench=insn QEMU_PLUGIN="$B/libinsn_marks.so" \
			QEMU_PLUGIN_LOG="$log.plugin"
	done
done

python3 "$TOP/scripts/bench-report.py" --rounds "$rounds" --insn-rounds "$insn_rounds" \
	--kernels "${kernels[*]}" "$B/logs" | tee "$B/report.md"
ok "bench: table in ${B#"$TOP"/}/report.md"
