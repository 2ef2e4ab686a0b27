#!/usr/bin/env python3
"""make check-bpf-ci: the BPF selftests on the series vs. the unpatched base.

usage: bpf-ci-compare.py RESULTS {--base|--series SUITE TSV LOG}...

A kernel has a guest per SUITE (progs, maps, verifier; the two kernels
are given the same suites, all three or the ones to compare): TSV is
evaluate.py's results of that guest, LOG its console log; the logs give
test_progs' subtests ("#N/M test/subtest:VERDICT"), test_verifier's cases
("#N/u description OK|FAIL|SKIP ...", keyed by description and mode:
indexes shift when a tree adds a case) and the kernel's splats. What
every guest has (KUnit, lockdep, the splats) is compared guest by guest:
each series guest against the base guest of its suite. Prints the table
(passed / failed / skipped per suite and kernel; KUnit and the guest's own
checks once per guest) and appends to RESULTS one row per check:
  - every guest of both kernels completed and ran its suite to its end
    (else nothing is compared);
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
    """A name given twice in one guest (a subtest's) keeps the worse."""
    if key not in v or WORSE[verdict] > WORSE[v[key]]:
        v[key] = verdict


def block(text, name):
    m = re.search(rf"<<<test {name}>>>\n(.*?)<<<end {name} rc=", text, re.S)
    return m.group(1) if m else None


def verdicts(v, suite, tsv, log):
    """Add the guest of SUITE (progs, maps, verifier) to v, its
    {(suite, name): PASS|FAIL|SKIP}: the rows every guest has (KUnit, the
    guest's own) are keyed by the guest's suite too, so that each is
    compared with the other kernel's guest of the same suite. Returns
    whether the guest ran its suite to its end, and its splats."""
    for line in open(tsv):
        status, name, detail = (line.rstrip("\n").split("\t") + [""])[:3]
        parts = name.split("/", 2)
        if len(parts) == 2 and parts[1] in GUEST:
            merge(v, ("guest", f"{parts[1]} [{suite}]"), status)
        elif len(parts) >= 2 and parts[1] == "kunit":
            merge(v, ("kunit", f"{name.split('/', 2)[2]} [{suite}]"), status)
        elif len(parts) == 3 and parts[1] in ("bpf_ci_test_progs", "bpf_ci_test_maps"):
            test = parts[2].split(" #")[0]
            if test not in ("exit", "ran"):
                merge(v, (parts[1][len("bpf_ci_"):], test),
                      "SKIP" if detail == "skipped" else status)
    text = open(log, errors="replace").read()
    ran = block(text, f"bpf_ci_test_{suite}") is not None
    for test, sub, verdict in re.findall(
            r"^# #\d+/\d+\s+([A-Za-z0-9_]+)/(.*):(OK|SKIP|FAIL)$",
            block(text, "bpf_ci_test_progs") or "", re.M):
        merge(v, ("test_progs", f"{test}/{sub}"), {"OK": "PASS"}.get(verdict, verdict))
    for descr, mode, verdict in re.findall(
            r"^# #\d+/([up]) (.*?) (OK|FAIL|SKIP)\b",
            block(text, "bpf_ci_test_verifier") or "", re.M):
        merge(v, ("test_verifier", f"{descr} ({mode})"),
              {"OK": "PASS"}.get(verdict, verdict))
    return ran, {re.sub(r"^\[[ \d.]+\]\s*|0x[0-9a-f]+|\b[0-9a-f]{8,}\b", "", l).strip()
                 for l in text.splitlines() if SPLAT.search(l)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results")
    for kernel in ("base", "series"):
        ap.add_argument(f"--{kernel}", nargs=3, action="append", required=True,
                        metavar=("SUITE", "TSV", "LOG"))
    a = ap.parse_args()
    given = sorted(s for s, _, _ in a.base)
    if sorted(s for s, _, _ in a.series) != given or len(set(given)) != len(given):
        ap.error("give each suite once, and the same suites for both kernels")
    base, series = {}, {}
    # per kernel: the suites its guests ran to their end; per suite, splats
    ran = {"base": [], "series": []}
    splats = {"base": {}, "series": {}}
    for kernel, v, guests in (("base", base, a.base), ("series", series, a.series)):
        for suite, tsv, log in guests:
            ok, splats[kernel][suite] = verdicts(v, suite, tsv, log)
            if ok:
                ran[kernel].append(suite)
    print(f"{'suite':<14} {'kernel':<7} {'passed':>7} {'failed':>7} {'skipped':>8}")
    for suite in SUITES:
        if suite.startswith("test_") and suite[len("test_"):] not in given:
            continue
        for kernel, v in (("base", base), ("series", series)):
            n = [sum(1 for (s, _), r in v.items() if s == suite and r == want)
                 for want in ("PASS", "FAIL", "SKIP")]
            print(f"{suite:<14} {kernel:<7} {n[0]:>7} {n[1]:>7} {n[2]:>8}")
    rows = []
    for kernel, v in (("base", base), ("series", series)):
        completed = {n: r for (s, n), r in v.items()
                     if s == "guest" and n.startswith("guest_completed ")}
        ok = (sorted(ran[kernel]) == given
              and len(completed) == len(given) and set(completed.values()) == {"PASS"})
        rows.append(("PASS" if ok else "FAIL", f"{kernel}_ran_every_suite",
                     "" if ok else f"{completed}, ran {sorted(ran[kernel])}"))
    if all(r[0] == "PASS" for r in rows):
        for key in sorted(set(base) | set(series)):
            suite, name = key
            if key in base and base[key] == "PASS" and series.get(key) != "PASS":
                rows.append(("FAIL", f"{suite}/{name}",
                             f"passes on base, {series.get(key, 'did not run')} with the series"))
            elif key not in base and series[key] != "PASS":
                rows.append(("FAIL", f"{suite}/{name}",
                             f"{series[key]} with the series (not on base)"))
        for suite in sorted(splats["series"]):
            for splat in sorted(splats["series"][suite] - splats["base"].get(suite, set())):
                rows.append(("FAIL", f"new_splat [{suite}]", splat[:200]))
        if not any(r[0] == "FAIL" for r in rows):
            rows.append(("PASS", "no_regression", "suites: " + " ".join(given)))
        # not regressions, but what the README must account for
        for want, what in (("FAIL", "fail on both kernels"), ("PASS", "fail on base only")):
            names = sorted(f"{s}/{n}" for (s, n), r in base.items()
                           if r == "FAIL" and s != "guest"
                           and not (s == "test_progs" and "/" in n)
                           and series.get((s, n)) == want)
            print(f"{what} ({len(names)}): {' '.join(names) or '-'}")
    with open(a.results, "a") as out:
        for status, name, detail in rows:
            out.write(f"{status}\tbpf-ci-compare/{name}\t{detail}\n")
            if status == "FAIL" or name == "no_regression":
                print(f"{status} bpf-ci-compare/{name}" + (f": {detail}" if detail else ""))


if __name__ == "__main__":
    main()
