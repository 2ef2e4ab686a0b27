#!/usr/bin/env python3
"""Turn guest console logs into test results.

usage: evaluate.py --results FILE LABEL LOG [--expect TEST ...]
       evaluate.py --results FILE --summary

For one guest log it appends one line per result to FILE
("PASS|FAIL<TAB>name<TAB>detail") and prints them:
  - the guest started with >= 2 CPUs online and ran to the end;
  - every KUnit case (the Rust doctests among them), parsed from the kernel
    log by the tree's tools/testing/kunit/kunit.py;
  - every TAP result of every guest test program, and its exit code;
  - no kernel splat anywhere in the console log.
With --summary it prints "N passed, N failed" and exits non-zero on any
failure or when there is no result at all.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

SPLATS = re.compile(
    r"WARNING:|BUG:|Oops|Kernel panic|general protection fault|"
    r"Call Trace:|possible recursive locking|circular locking dependency|"
    r"inconsistent lock state|lock held when returning|DEBUG_LOCKS_WARN_ON|"
    r"turning off the locking correctness validator|INFO: |"
    r"sleeping function called from invalid context|scheduling while atomic|"
    r"UBSAN|KASAN|kmemleak: \d+ new suspected memory leak|rcu.*detected stall|hung_task|soft lockup|"
    r"INFO: task .* blocked")


def kunit_results(dmesg, ksrc):
    with tempfile.NamedTemporaryFile("w", suffix=".log", delete=False) as f:
        f.write(dmesg)
        path = f.name
    out = path + ".json"
    try:
        subprocess.run([sys.executable,
                        os.path.join(ksrc, "tools/testing/kunit/kunit.py"),
                        "parse", "--json=" + out, path],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       check=False)
        with open(out) as j:
            tree = json.load(j)
    except (OSError, ValueError):
        return []
    finally:
        for p in (path, out):
            if os.path.exists(p):
                os.unlink(p)
    res = []

    def walk(group, prefix):
        for case in group.get("test_cases", []):
            res.append((prefix + "/" + case["name"], case["status"]))
        for sub in group.get("sub_groups", []):
            walk(sub, prefix + "/" + sub["name"])
    for sub in tree.get("sub_groups", []):
        walk(sub, "kunit/" + sub["name"])
    return res


def evaluate(label, log, expect, ksrc, want_kunit, debug=False):
    text = open(log, errors="replace").read()
    res = []

    def add(ok, name, detail=""):
        res.append(("PASS" if ok else "FAIL", f"{label}/{name}", detail))

    m = re.search(r"<<<guest \S+ cpus_online=(\d+) mode=\w*>>>", text)
    cpus = int(m.group(1)) if m else 0
    add(cpus >= 2, "guest_cpus_online", f"{cpus} CPU(s) online, need >= 2")
    add("<<<guest done>>>" in text, "guest_completed",
        "" if "<<<guest done>>>" in text else "the guest did not finish")

    m = re.search(r"<<<dmesg>>>\n(.*?)<<<end dmesg>>>", text, re.S)
    kunit = kunit_results(m.group(1), ksrc) if m else []
    if want_kunit:
        add(bool(kunit), "kunit_ran", f"{len(kunit)} KUnit case(s) found")
    for name, status in kunit:
        add(status == "PASS", name, status)

    seen = set()
    for m in re.finditer(r"<<<test (\S+)>>>\n(.*?)<<<end \1 rc=(\d+)>>>",
                         text, re.S):
        name, body, rc = m.group(1), m.group(2), int(m.group(3))
        seen.add(name)
        plan = re.search(r"^1\.\.(\d+)$", body, re.M)
        tap = re.findall(r"^(ok|not ok) \d+ (.*)$", body, re.M)
        for status, desc in tap:
            skip = re.search(r"#\s*SKIP", desc, re.I)
            add(status == "ok" and not skip, f"{name}/{desc.strip()}",
                "skipped" if skip else "")
        planned = int(plan.group(1)) if plan else -1
        add(rc == 0 and planned == len(tap) and tap, f"{name}/exit",
            f"exit code {rc}, planned {planned}, reported {len(tap)}")
        if rc != 0 or not all(s == "ok" for s, _ in tap):
            sys.stdout.write(f"---- output of {name} ----\n{body}----\n")
    for name in expect:
        if name not in seen:
            add(False, f"{name}/ran", "did not run in the guest")

    m = re.search(r"<<<lockdep debug_locks=(\d*)>>>", text)
    add(m is not None and m.group(1) == "1", "lockdep_active",
        "lockdep was not running at the end of the tests (debug_locks=%s)"
        % (m.group(1) if m else "?"))

    if debug:
        # The debug kernel's checkers must have been on, and kmemleak's
        # final scan (guest/init) must have reported nothing.
        for what, banner in (("kasan", "KernelAddressSanitizer initialized"),
                             ("kmemleak", "Kernel memory leak detector initialized")):
            add(banner in text, f"{what}_enabled",
                "" if banner in text else f"no {banner!r} in the log")
        m = re.search(r"<<<kmemleak>>>\n(.*?)<<<end kmemleak>>>", text, re.S)
        leaks = m.group(1).strip() if m else None
        add(m is not None and not leaks, "kmemleak_clean",
            "no kmemleak report in the log" if m is None else leaks[:300])

    splats = [l for l in text.splitlines() if SPLATS.search(l)]
    add(not splats, "no_kernel_splats", "; ".join(splats[:5]))
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True)
    ap.add_argument("--summary", action="store_true")
    ap.add_argument("--expect", action="append", default=[])
    ap.add_argument("--ksrc", default="build/linux")
    ap.add_argument("--no-kunit", action="store_true",
                    help="the kernel has no KUnit test to run")
    ap.add_argument("--debug", action="store_true",
                    help="a make check-debug kernel: KASAN and kmemleak must "
                    "be on and kmemleak must report nothing")
    ap.add_argument("label", nargs="?")
    ap.add_argument("log", nargs="?")
    a = ap.parse_args()
    if a.summary:
        rows = [l.rstrip("\n").split("\t") for l in open(a.results)] \
            if os.path.exists(a.results) else []
        npass = sum(r[0] == "PASS" for r in rows)
        nfail = sum(r[0] == "FAIL" for r in rows)
        for r in rows:
            if r[0] == "FAIL":
                print(f"FAIL {r[1]}: {r[2]}")
        print(f"{npass} passed, {nfail} failed")
        sys.exit(0 if rows and not nfail else 1)
    res = evaluate(a.label, a.log, a.expect, a.ksrc, not a.no_kunit, a.debug)
    with open(a.results, "a") as f:
        for status, name, detail in res:
            f.write(f"{status}\t{name}\t{detail}\n")
            if status == "FAIL" or not name.split("/")[1] == "kunit":
                print(f"{status} {name}" + (f": {detail}" if status == "FAIL" else ""))
    nk = sum(1 for _, n, _ in res if n.split("/")[1] == "kunit")
    print(f"({nk} KUnit case(s) from {a.label}: "
          f"{sum(1 for s, n, _ in res if s == 'PASS' and n.split('/')[1] == 'kunit')} passed)")


if __name__ == "__main__":
    main()
