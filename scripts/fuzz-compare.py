#!/usr/bin/env python3
"""Compare the attr fuzzer's outcome tables of the Rust and the C handler.

usage: fuzz-compare.py --results FILE LABEL RUST_LOG C_LOG
       fuzz-compare.py --self-test

The guest test freeze_fuzz_serial (guest/stress/freeze_fuzz.c, FUZZ_SERIAL=1)
prints, for each of its fixed seeds, how many freezes ended with each errno:

    # fuzz_table seed=0x5eed0f1ee2e errno=EPERM count=1234

Without worker threads that table is a pure function of the seed, so a
kernel with the Rust handler (CONFIG_BPF_RUST_MAP_FREEZE=y) and one with
the C handler must print the same ones. For each seed found in either log,
one result "LABEL/fuzz_table/seed_SEED_rust_equals_c" is appended to FILE
("PASS|FAIL<TAB>name<TAB>detail", as scripts/lib.sh's add_result): PASS
only if both logs have the seed's table, neither is empty and they are
identical; FAIL with the first differing errno otherwise. No table in
either log is a failure too ("LABEL/fuzz_table/tables_found"). Exits 1 on
any failure.

--self-test runs the comparison on synthetic logs (equal, differing, one
table missing, no table at all, an errno printed twice, no log) and exits 1
unless each gives its verdict.
"""
import argparse
import os
import re
import sys
import tempfile

LINE = re.compile(r"^# fuzz_table seed=(0x[0-9a-f]+) errno=(\S+) count=(\d+)$",
                  re.M)


def tables(log):
    """{seed: {errno: count}} from a guest log ({} if it cannot be read);
    a table with an errno printed twice is returned as None (broken)."""
    try:
        text = open(log, errors="replace").read()
    except OSError:
        return {}
    res = {}
    for seed, err, count in LINE.findall(text):
        t = res.setdefault(seed, {})
        if t is None or err in t:
            res[seed] = None
        else:
            t[err] = int(count)
    return res


def compare(label, rust_log, c_log):
    """the results, as (status, name, detail)"""
    rust, c = tables(rust_log), tables(c_log)
    if not rust and not c:
        return [("FAIL", f"{label}/fuzz_table/tables_found",
                 f"no fuzz_table line in {rust_log} nor in {c_log}: "
                 "did freeze_fuzz_serial run?")]
    res = []
    for seed in sorted(set(rust) | set(c)):
        name = f"{label}/fuzz_table/seed_{seed}_rust_equals_c"
        a, b = rust.get(seed), c.get(seed)
        if not a or not b:
            why = [("no table" if seed not in t else "an errno printed twice")
                   + f" in {log}"
                   for log, t in ((rust_log, rust), (c_log, c))
                   if not t.get(seed)]
            res.append(("FAIL", name, "; ".join(why)))
        elif a != b:
            e = next(e for e in sorted(set(a) | set(b))
                     if a.get(e) != b.get(e))
            res.append(("FAIL", name, f"errno={e}: rust {a.get(e, 0)}, "
                        f"c {b.get(e, 0)}"))
        else:
            res.append(("PASS", name, f"{len(a)} errnos, "
                        f"{sum(a.values())} calls: "
                        + " ".join(f"{e}={n}" for e, n in sorted(a.items()))))
    return res


def self_test():
    table = {"0x1": {"EPERM": 10, "ok": 3}, "0x2": {"EBADF": 7, "ok": 1}}

    def log(path, tabs, extra=""):
        with open(path, "w") as f:
            f.write("<<<test freeze_fuzz_serial>>>\n")
            for seed, t in tabs.items():
                for e, n in sorted(t.items()):
                    f.write(f"# fuzz_table seed={seed} errno={e} count={n}\n")
            f.write(extra + "<<<end freeze_fuzz_serial rc=0>>>\n")
        return path

    differ = {"0x1": {"EPERM": 10, "ok": 3}, "0x2": {"EBADF": 6, "ok": 2}}
    bad = 0
    with tempfile.TemporaryDirectory() as d:
        same = log(os.path.join(d, "same.log"), table)
        other = log(os.path.join(d, "differ.log"), differ)
        half = log(os.path.join(d, "half.log"), {"0x1": table["0x1"]})
        none = log(os.path.join(d, "none.log"), {})
        twice = log(os.path.join(d, "twice.log"), table,
                    "# fuzz_table seed=0x2 errno=ok count=1\n")
        cases = (
            ("equal", same, same, {"0x1": "PASS", "0x2": "PASS"}),
            ("differing", same, other, {"0x1": "PASS", "0x2": "FAIL"}),
            ("one table missing", same, half, {"0x1": "PASS", "0x2": "FAIL"}),
            ("no table at all", none, none, {"tables_found": "FAIL"}),
            ("an errno twice", same, twice, {"0x1": "PASS", "0x2": "FAIL"}),
            ("no log", os.path.join(d, "absent.log"), same,
             {"0x1": "FAIL", "0x2": "FAIL"}),
        )
        for what, a, b, want in cases:
            res = compare("selftest", a, b)
            got = {n.split("/")[2].split("_")[1] if "seed_" in n
                   else n.split("/")[2]: s for s, n, _ in res}
            ok = got == want
            bad += not ok
            print(f"{'ok' if ok else 'FAILED'}: {what}: "
                  + "; ".join(f"{s} {n}" + (f": {x}" if s == "FAIL" else "")
                              for s, n, x in res))
    return bad


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results")
    ap.add_argument("--self-test", action="store_true")
    ap.add_argument("label", nargs="?")
    ap.add_argument("rust_log", nargs="?")
    ap.add_argument("c_log", nargs="?")
    a = ap.parse_args()
    if a.self_test:
        sys.exit(1 if self_test() else 0)
    if not (a.results and a.label and a.rust_log and a.c_log):
        ap.error("--results FILE LABEL RUST_LOG C_LOG")
    res = compare(a.label, a.rust_log, a.c_log)
    with open(a.results, "a") as f:
        for status, name, detail in res:
            f.write(f"{status}\t{name}\t{detail}\n")
            print(f"{status} {name}: {detail}")
    sys.exit(1 if any(s == "FAIL" for s, _, _ in res) else 0)


if __name__ == "__main__":
    main()
