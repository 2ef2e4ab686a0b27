#!/usr/bin/env python3
"""make check-bpf-ci: the BPF selftests on the series vs. the unpatched base.

usage: bpf-ci-compare.py RESULTS {--base TSV LOG | --series TSV LOG}...

Each TSV is evaluate.py's results of one guest of that kernel (a guest per
suite), LOG its console log; the logs give test_progs' subtests ("#N/M test/subtest:VERDICT"), test_verifier's
cases ("#N/u description OK|FAIL|SKIP ...", keyed by description and mode:
indexes shift when a tree adds a case) and the kernel's splats. Prints the
table (passed / failed / skipped per suite and kernel) and appends to
RESULTS one row per check:
  - every guest of both kernels completed, and each kernel ran every
    suite (else nothing is compared);
  - every test, subtest, test_verifier case and KUnit case that passes on
    base passes with the series;
  - every one that only the series has (its own selftest) passes;
  - no splat (its text without timestamps and addresses) that base does
    not show, and lockdep still on at the end with the series.
"""
import argparse
import re

from evaluate import SPLATS as SPLAT

SUITES = ("test_progs", "test_maps", "test_verifier", "kunit", "guest")
GUEST = ("guest_cpus_online", "guest_completed", "lockdep_active")
WORSE = {"FAIL": 2, "SKIP": 1, "PASS": 0}


def merge(v, key, verdict):
    """A verdict seen by more than one guest (KUnit, the guest's own rows)
    keeps the worst of them."""
    if key not in v or WORSE[verdict] > WORSE[v[key]]:
        v[key] = verdict


def block(text, name):
    m = re.search(rf"<<<test {name}>>>\n(.*?)<<<end {name} rc=", text, re.S)
    return m.group(1) if m else ""


def verdicts(v, tsv, log):
    """Add one guest's {(suite, name): PASS|FAIL|SKIP} to v; its splats."""
    for line in open(tsv):
        status, name, detail = (line.rstrip("\n").split("\t") + [""])[:3]
        parts = name.split("/", 2)
        if len(parts) == 2 and parts[1] in GUEST:
            merge(v, ("guest", parts[1]), status)
        elif len(parts) >= 2 and parts[1] == "kunit":
            merge(v, ("kunit", name.split("/", 1)[1]), status)
        elif len(parts) == 3 and parts[1] in ("bpf_ci_test_progs", "bpf_ci_test_maps"):
            test = parts[2].split(" #")[0]
            if test != "exit":
                merge(v, (parts[1][len("bpf_ci_"):], test),
                      "SKIP" if detail == "skipped" else status)
    text = open(log, errors="replace").read()
    for test, sub, verdict in re.findall(
            r"^# #\d+/\d+\s+([A-Za-z0-9_]+)/(.*):(OK|SKIP|FAIL)$",
            block(text, "bpf_ci_test_progs"), re.M):
        merge(v, ("test_progs", f"{test}/{sub}"), {"OK": "PASS"}.get(verdict, verdict))
    for descr, mode, verdict in re.findall(
            r"^# #\d+/([up]) (.*?) (OK|FAIL|SKIP)\b",
            block(text, "bpf_ci_test_verifier"), re.M):
        merge(v, ("test_verifier", f"{descr} ({mode})"),
              {"OK": "PASS"}.get(verdict, verdict))
    return {re.sub(r"^\[[ \d.]+\]\s*|0x[0-9a-f]+|\b[0-9a-f]{8,}\b", "", l).strip()
            for l in text.splitlines() if SPLAT.search(l)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results")
    ap.add_argument("--base", nargs=2, action="append", required=True,
                    metavar=("TSV", "LOG"))
    ap.add_argument("--series", nargs=2, action="append", required=True,
                    metavar=("TSV", "LOG"))
    a = ap.parse_args()
    results = a.results
    base, series, base_splats, series_splats = {}, {}, set(), set()
    for tsv, log in a.base:
        base_splats |= verdicts(base, tsv, log)
    for tsv, log in a.series:
        series_splats |= verdicts(series, tsv, log)
    print(f"{'suite':<14} {'kernel':<7} {'passed':>7} {'failed':>7} {'skipped':>8}")
    for suite in SUITES:
        for kernel, v in (("base", base), ("series", series)):
            n = [sum(1 for (s, _), r in v.items() if s == suite and r == want)
                 for want in ("PASS", "FAIL", "SKIP")]
            print(f"{suite:<14} {kernel:<7} {n[0]:>7} {n[1]:>7} {n[2]:>8}")
    rows = []
    for kernel, v in (("base", base), ("series", series)):
        ran = [s for s in ("test_progs", "test_maps", "test_verifier")
               if any(k[0] == s for k in v)]
        ok = v.get(("guest", "guest_completed")) == "PASS" and len(ran) == 3
        rows.append(("PASS" if ok else "FAIL", f"{kernel}_ran_every_suite",
                     "" if ok else f"completed={v.get(('guest', 'guest_completed'))}, ran {ran}"))
    if all(r[0] == "PASS" for r in rows):
        for key in sorted(set(base) | set(series)):
            suite, name = key
            if key in base and base[key] == "PASS" and series.get(key) != "PASS":
                rows.append(("FAIL", f"{suite}/{name}",
                             f"passes on base, {series.get(key, 'did not run')} with the series"))
            elif key not in base and series[key] != "PASS":
                rows.append(("FAIL", f"{suite}/{name}",
                             f"{series[key]} with the series (not on base)"))
        for splat in sorted(series_splats - base_splats):
            rows.append(("FAIL", "new_splat", splat[:200]))
        if not any(r[0] == "FAIL" for r in rows):
            rows.append(("PASS", "no_regression", ""))
        # not regressions, but what the README must account for
        for kernel_only, what in ((False, "fail on both kernels"),
                                  (True, "fail on base only")):
            names = sorted(f"{s}/{n}" for (s, n), r in base.items()
                           if r == "FAIL" and s != "guest"
                           and not (s == "test_progs" and "/" in n)
                           and (series.get((s, n)) == "PASS") == kernel_only)
            print(f"{what} ({len(names)}): {' '.join(names) or '-'}")
    with open(results, "a") as out:
        for status, name, detail in rows:
            out.write(f"{status}\tbpf-ci-compare/{name}\t{detail}\n")
            if status == "FAIL" or name == "no_regression":
                print(f"{status} bpf-ci-compare/{name}" + (f": {detail}" if detail else ""))


if __name__ == "__main__":
    main()
