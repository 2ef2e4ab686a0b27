#!/usr/bin/env python3
"""make check-bpf-ci: the BPF selftests on the series vs. the unpatched base.

usage: bpf-ci-compare.py BASE_TSV SERIES_TSV RESULTS BASE_LOG SERIES_LOG

BASE_TSV and SERIES_TSV are evaluate.py's results of the two guests (one
row per test_progs test, one for test_maps, and the guest's own checks: it
completed, lockdep stayed on, no kernel splat); the logs give
test_verifier's cases ("#N/u name OK|FAIL|SKIP ..."). Prints the table (passed / failed /
skipped per suite and kernel) and appends to RESULTS one row per test that
passes on base and does not pass with the series, or one PASS row when
there is none. A test that only the series has (its own) is not compared:
evaluate.py already counted it.
"""
import re
import sys

SUITES = ("test_progs", "test_maps", "test_verifier", "guest")
GUEST = ("guest_cpus_online", "guest_completed", "lockdep_active",
         "no_kernel_splats")


def verdicts(tsv, log):
    """{(suite, test): PASS|FAIL|SKIP} of one kernel."""
    v = {}
    for line in open(tsv):
        status, name, detail = (line.rstrip("\n").split("\t") + [""])[:3]
        parts = name.split("/", 2)
        if len(parts) == 2 and parts[1] in GUEST:
            # the guest's own checks: completed, lockdep on, no splat
            suite, test = "guest", parts[1]
        elif len(parts) == 3 and parts[1].startswith("bpf_ci_"):
            suite, test = parts[1][len("bpf_ci_"):], parts[2].split(" #")[0]
            if test == "exit" or suite == "test_verifier":
                continue
        else:
            continue
        v[(suite, test)] = "SKIP" if detail == "skipped" else status
    text = open(log, errors="replace").read()
    m = re.search(r"<<<test bpf_ci_test_verifier>>>\n(.*?)<<<end", text, re.S)
    for case, verdict in re.findall(r"^# #(\d+/[up]) .*? (OK|FAIL|SKIP)\b",
                                    m.group(1) if m else "", re.M):
        v[("test_verifier", case)] = {"OK": "PASS"}.get(verdict, verdict)
    return v


def main():
    base_tsv, series_tsv, results, base_log, series_log = sys.argv[1:6]
    base = verdicts(base_tsv, base_log)
    series = verdicts(series_tsv, series_log)
    print(f"{'suite':<14} {'kernel':<7} {'passed':>7} {'failed':>7} {'skipped':>8}")
    for suite in SUITES:
        for kernel, v in (("base", base), ("series", series)):
            n = [sum(1 for (s, _), r in v.items() if s == suite and r == want)
                 for want in ("PASS", "FAIL", "SKIP")]
            print(f"{suite:<14} {kernel:<7} {n[0]:>7} {n[1]:>7} {n[2]:>8}")
    worse = sorted(k for k, r in base.items()
                   if r == "PASS" and series.get(k) != "PASS")
    with open(results, "a") as out:
        for suite, test in worse:
            detail = f"passes on base, {series.get((suite, test), 'did not run')} with the series"
            out.write(f"FAIL\tbpf-ci-compare/{suite}/{test}\t{detail}\n")
            print(f"FAIL bpf-ci-compare/{suite}/{test}: {detail}")
        if not worse:
            out.write("PASS\tbpf-ci-compare/no_test_passes_on_base_only\t\n")
            print("PASS bpf-ci-compare/no_test_passes_on_base_only")
    if not base or not series:
        sys.exit("no results from one of the kernels")


if __name__ == "__main__":
    main()
