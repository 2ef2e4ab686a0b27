#!/usr/bin/env bash
# make check-base: the guest tests of make check on the UNPATCHED base
# kernel, to show that they can fail. The base is built with the CONFIG_RUST=n
# test config (lockdep on), as the first build of make bisect (which leaves
# it in build/SERIES/bisect/base-norust.bzImage); the tests that check what
# the series changes must fail there, everything else must pass. Appends one result per expectation to RESULTS (the guest's own
# results go to build/results-base.tsv); exits non-zero when the tests do not
# tell the two kernels apart.
# usage: check-base.sh RESULTS
set -euo pipefail
. "$(dirname "$0")/lib.sh"

results=$1
base_results=$BUILD/results-base.tsv
log=$LOGS/guest-check-base.log
# The base kernel, built again only when the base or the config changed.
if [ ! -f "$BASEDIR/base-norust.bzImage" ] ||
	[ "$(cat "$BASEDIR/base-norust.key" 2>/dev/null)" != "$(base_norust_key)" ]; then
	ensure_worktree "$BASEDIR/linux" base
	mkdir -p "$BASEDIR/logs"
	BUILD=$BASEDIR KSRC=$BASEDIR/linux "$TOP/scripts/build.sh" norust "${BASE_FRAGS[@]}"
	cp "$BASEDIR/kbuild-norust/arch/x86/boot/bzImage" "$BASEDIR/base-norust.bzImage"
	base_norust_key >"$BASEDIR/base-norust.key"
fi
KERNEL=$BASEDIR/base-norust.bzImage "$TOP/scripts/boot.sh" check "$log" base || true
rm -f "$base_results"
# No Rust, so no KUnit doctests: only the guest tests count.
python3 "$TOP/scripts/evaluate.py" --results "$base_results" --ksrc "$KSRC" --no-kunit \
	base "$log" >/dev/null || true

# What the unpatched base does differently, and so must fail on it: freeze
# fails with EBUSY while writers are in flight (racing_writers, the parked
# userfaultfd writer, the map-hash race on mainline, the fuzzer's exact
# errnos, a freeze while a sockmap update sleeps, a killed freezer whose
# freeze must still complete; on mainline also map_freeze's sockmap
# subtests: a freeze that waits for a writer in flight, a killed freezer,
# a second freezer beside it, and refused_iff_frozen, whose freezes with a
# writer in flight get EBUSY there).
# Concurrent freezers and the teardown races fail there only when a race
# hits: not counted either way.
python3 - "$base_results" "$results" "$SERIES" <<'EOF'
import sys
rows = {r[1]: r[0] for r in (l.rstrip("\n").split("\t") for l in open(sys.argv[1]))}
out = open(sys.argv[2], "a")
selftest = {"mainline": "map_freeze", "6.12": "test_map_freeze"}[sys.argv[3]]
must_fail = [f"base/{selftest}/racing_writers",
             f"base/{selftest}/uffd_writer_does_not_block_freeze",
             "base/freeze_fuzz/fuzz_errnos_match_upstream",
             "base/freeze_sockmap/freeze_waits_for_sockmap_writer",
             "base/freeze_sockmap/killed_freezer_completes_freeze"]
if selftest == "map_freeze":
    must_fail += ["base/map_freeze/hash_after_freeze_with_racing_writers",
                  "base/map_freeze/freeze_waits_for_writer_in_flight",
                  "base/map_freeze/killed_freezer_completes_freeze",
                  "base/map_freeze/second_freezer_beside_killed",
                  "base/map_freeze/refused_iff_frozen"]
ignore = ("base/lockdep_active", "base/freeze_teardown/",
          f"base/{selftest}/concurrent_freezers")
bad = bad_rest = 0
for name in must_fail:
    ok = rows.get(name) == "FAIL"
    bad += not ok
    status = "PASS" if ok else "FAIL"
    print(f"{status} fails-on-base/{name[5:]}" + ("" if ok else f": {rows.get(name, 'did not run')} on base"))
    out.write(f"{status}\tfails-on-base/{name[5:]}\t{rows.get(name, 'did not run')} on base\n")
for name, status in sorted(rows.items()):
    if name in must_fail or name.startswith(ignore) or name.endswith("/exit"):
        if status == "FAIL" and name not in must_fail:
            print(f"note: also fails on base: {name}")
        continue
    if status != "PASS":
        bad_rest += 1
        print(f"FAIL passes-on-base/{name[5:]}: fails on base")
        out.write(f"FAIL\tpasses-on-base/{name[5:]}\tfails on base\n")
ok_rest = sum(1 for n, st in rows.items() if st == "PASS")
bad += bad_rest
out.write(f"{'PASS' if not bad_rest else 'FAIL'}\tpasses-on-base/everything-else\t{ok_rest} results pass on base\n")
print(f"{len(must_fail)} expected failures checked, {bad} problem(s)")
sys.exit(1 if bad else 0)
EOF
