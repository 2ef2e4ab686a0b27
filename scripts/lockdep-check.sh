#!/usr/bin/env bash
# make check-debug's lockdep test: lockdep must see BPF_MAP_FREEZE's wait for
# the syscall-side writers in flight. Builds guest/lockdep's module against
# the debug kernel and boots that kernel once more for it alone (lockdep
# switches itself off after its first report, so the report must come from a
# boot of its own): a sockmap update (a writer that takes the socket's lock
# while counted), then a freeze with that lock held, from the module. Expects
# lockdep's circular dependency report between bpf_map_write and the socket's
# lock, from the freezer the kernel was built with (Rust or C), with only the
# socket's lock held (not ->freeze_mutex), and no other splat.
# usage: lockdep-check.sh RESULTS [NAME]   (appends PASS/FAIL lines, as
# evaluate.py; NAME: the kernel, build/SERIES/kbuild-NAME with modules:
# debug, the Rust freezer with KASAN, or lockdep-norust, the C freezer)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

results=$1 name=${2:-debug}
KB=$BUILD/kbuild-$name
W=$BUILD/lockdep-$name
log=$LOGS/guest-lockdep-$name.log
[ "$SERIES" = mainline ] || die "the lockdep test is for the mainline series"
[ -f "$KB/Module.symvers" ] || die "no $KB/Module.symvers: build the $name kernel (with modules) first"

# the freezer whose lock_map_sync() the report must show
if grep -qx CONFIG_BPF_RUST_MAP_FREEZE=y "$KB/.config"; then
	freezer=bpf_map_freeze_cmd
else
	# the C handler, with bpf_map_freeze() inlined into it
	freezer=map_freeze
fi
step "building the lockdep test module against the $name kernel"
rm -rf "$W"
mkdir -p "$W/mod" "$W/root/guest/lockdep"
cp "$TOP/guest/lockdep/Kbuild" "$TOP/guest/lockdep/freeze_lockdep.c" "$W/mod/"
run_logged lockdep-module kmake O="$KB" M="$W/mod" modules
run_logged lockdep-run clang -O2 -Wall -Werror -static -I"$KSRC/tools/include/uapi" \
	-o "$W/root/guest/lockdep/freeze_lockdep_run" "$TOP/guest/lockdep/freeze_lockdep_run.c"
cp "$W/mod/freeze_lockdep.ko" "$W/root/guest/lockdep/"
# the test initramfs with the module and its program appended (the kernel
# unpacks concatenated archives in order)
(cd "$W/root" && find . | sort | cpio -o -H newc --quiet) >"$W/extra.cpio"
cat "$BUILD/initramfs.cpio" "$W/extra.cpio" >"$W/initramfs.cpio"

rc=0
INITRD=$W/initramfs.cpio GUEST_TIMEOUT=900 "$TOP/scripts/boot.sh" lockdep "$log" "$name" || rc=$?
python3 - "$results" "$log" "$rc" "$name" "$freezer" <<'PY'
import re, sys
results, log, rc, name, freezer = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
text = open(log, errors="replace").read()
rows = []
def add(ok, result, detail=""):
    rows.append(f"{'PASS' if ok else 'FAIL'}\t{name}/lockdep/{result}\t{detail}")
def got(step):
    m = re.search(rf"freeze_lockdep: {step}: (-?\d+)", text)
    return m and int(m.group(1))
add(rc == 0 and "<<<guest done>>>" in text, "guest_completed", f"boot exit {rc}")
for step in ("map_create", "sockmap update", "load"):
    v = got(step)
    add(v == 0, step.replace(" ", "_"), f"returned {v}")
add(got("debug_locks before the load") == 1, "lockdep_on_before", "debug_locks must be 1")
add(got("BPF_MAP_FREEZE with the socket locked") == 0, "freeze_returned_0")
# the kernel log as the guest prints it at the end (the console may show
# the report too)
m = re.search(r"<<<dmesg>>>\n(.*)<<<end dmesg>>>", text, re.S)
dmesg = m.group(1) if m else ""
head = "WARNING: possible circular locking dependency detected"
n = dmesg.count(head)
report = dmesg[dmesg.find(head):dmesg.find("stack backtrace:", dmesg.find(head))] if n else ""
add(n == 1, "circular_dependency_reported", f"{n} report(s) in the kernel log")
add("(bpf_map_write)" in report and "(sk_lock-AF_INET)" in report and
    "sync(bpf_map_write)" in report,
    "report_names_freeze_and_socket_lock",
    "the chain must be sk_lock-AF_INET -> sync(bpf_map_write)")
# the freezer's own frame in the new dependency's chain (#0), and only the
# socket's lock held: the sync is not made under ->freeze_mutex
chain0 = report[report.find("-> #0"):]
add(re.search(rf"^\s+{freezer}\+0x", chain0, re.M) is not None, "report_from_freezer",
    f"{freezer}() must be in the #0 chain")
add(re.search(r"^locks held by .*: 1,", report, re.M) is not None and
    "freeze_mutex" not in report, "only_socket_lock_held",
    "the freeze syncs holding the socket's lock alone")
add(got("debug_locks after the load") == 0, "lockdep_off_after", "lockdep reported")
other = re.compile(r"\bBUG:|Oops|Kernel panic|general protection fault|KASAN|UBSAN|"
                   r"sleeping function called from invalid context|"
                   r"kmemleak: \d+ new suspected memory leak|"
                   r"WARNING:(?! possible circular locking dependency detected)")
bad = [l for l in text.splitlines() if other.search(l)]
add(not bad, "no_other_splats", "; ".join(bad[:3]))
with open(results, "a") as f:
    for r in rows:
        print(r)
        f.write(r + "\n")
PY
