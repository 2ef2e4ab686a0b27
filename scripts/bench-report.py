#!/usr/bin/env python3
"""Turn make bench's guest logs into the table of ratios (markdown).

usage: bench-report.py [--plain] [--kernels "K ..."] --rounds N LOGDIR

LOGDIR holds roundR-KERNEL.log for R in 1..N and each kernel (base, series,
series_rust, rwsem, mutex, percpu_rwsem, none: see scripts/bench.sh); each log
has "bench METRIC VALUE" lines between <<<bench>>> and <<<end bench rc=0>>>
(a metric printed several times in one log, as the update throughput is,
counts as the median of its values).

Ratios are computed per round (KERNEL/base in the same round, booted one
after the other), and the table shows their median over the rounds and, in
brackets, their minimum and maximum: the spread. Besides each kernel's ratio
to base, series/none is the cost of the series' bookkeeping against none at
all, and series_rust/series the Rust handler's cost against the C one on
the same protocol (computed the same way, per round). Absolute values are the
median over rounds. Any kernel splat in a log fails the report. With
--plain the tables are aligned plain text (for a cover letter) instead of
markdown.
"""
import argparse
import os
import re
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from evaluate import SPLATS  # noqa: E402

ALL_KERNELS = ["base", "series", "series_rust", "none", "rwsem", "mutex", "percpu_rwsem"]
THROUGHPUT = ["update_array_t1", "update_array_t2", "update_hash_t1", "update_hash_t2"]
# With 2 vCPU threads on a 2-core host, the 2-thread throughput spreads too
# widely from round to round to hold a target: the targets are on 1 thread.
THROUGHPUT_TARGETS = ["update_array_t1", "update_hash_t1"]
# Ratios to base, then the series against the limit, and its Rust handler
# against the C one.
ALL_RATIOS = ([(k, "base") for k in ALL_KERNELS[1:]] +
              [("series", "none"), ("series_rust", "series")])
LATENCY = ["freeze_idle_ns_p50", "freeze_idle_ns_p99",
           "freeze_load_first_ns_p50", "freeze_load_first_ns_p99",
           "freeze_load_frozen_ns_p50", "freeze_load_frozen_ns_p99"]
OTHER = ["freeze_load_first_try_pct", "freeze_load_attempts_max", "freeze_load_late_writes"]


def parse(path):
    text = open(path, errors="replace").read()
    m = re.search(r"^<<<bench>>>$(.*?)^<<<end bench rc=(\d+)>>>$", text, re.S | re.M)
    if not m or m.group(2) != "0":
        sys.exit(f"error: no complete benchmark in {path}")
    splat = SPLATS.search(text)
    if splat:
        sys.exit(f"error: kernel splat in {path}: {splat.group(0)!r}")
    vals = {}
    for line in m.group(1).splitlines():
        f = line.split()
        if len(f) == 3 and f[0] == "bench":
            vals.setdefault(f[1], []).append(float(f[2]))
    # A metric measured several times in one boot counts as its median.
    return {k: statistics.median(v) for k, v in vals.items()}


def fmt(x):
    if x >= 1e6:
        return f"{x / 1e6:.2f}M"
    if x >= 1e4:
        return f"{x / 1e3:.0f}k"
    return f"{x:.0f}" if x == int(x) or x >= 100 else f"{x:.2f}"


def ratio_cell(rs):
    med = statistics.median(rs)
    return f"{med:.3f} [{min(rs):.3f}–{max(rs):.3f}]"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, required=True)
    ap.add_argument("--plain", action="store_true")
    ap.add_argument("--kernels", default=" ".join(ALL_KERNELS),
                    help="the kernels measured (make bench's BENCH_KERNELS)")
    ap.add_argument("logdir")
    a = ap.parse_args()
    KERNELS = [k for k in ALL_KERNELS if k in a.kernels.split()]
    if set(a.kernels.split()) - set(ALL_KERNELS) or not {"base", "series"} <= set(KERNELS):
        sys.exit(f"error: --kernels {a.kernels!r}: base and series, out of {ALL_KERNELS}")
    RATIOS = [(k, r) for k, r in ALL_RATIOS if k in KERNELS and r in KERNELS]
    left_out = [k for k in ALL_KERNELS if k not in KERNELS]
    data = {k: [] for k in KERNELS}
    for r in range(1, a.rounds + 1):
        for k in KERNELS:
            data[k].append(parse(os.path.join(a.logdir, f"round{r}-{k}.log")))

    def series_of(k, m):
        return [d[m] for d in data[k]]

    def ratios(k, m, ref="base"):
        return [d[m] / b[m] for d, b in zip(data[k], data[ref]) if b[m]]

    out = []
    cpus = {int(d["cpus_online"]) for k in KERNELS for d in data[k]}
    out.append(f"Rounds: {a.rounds}, kernels booted alternately (ABBA) under QEMU TCG, "
               f"cpus_online={','.join(map(str, sorted(cpus)))}.")
    out.append("Ratios: KERNEL/base (and series/none, series_rust/series) per round, "
               "median [min–max] over rounds; values: median over rounds.")
    if left_out:
        out.append(f"Not measured in this run (BENCH_KERNELS): {', '.join(left_out)}.")
    out.append("")
    out.append("| metric | base | series | " + " | ".join(f"{k}/{ref}" for k, ref in RATIOS) + " |")
    out.append("|---|---|---|" + "---|" * len(RATIOS))
    for m in THROUGHPUT + LATENCY:
        row = [m, fmt(statistics.median(series_of("base", m))),
               fmt(statistics.median(series_of("series", m)))]
        for k, ref in RATIOS:
            row.append(ratio_cell(ratios(k, m, ref)))
        out.append("| " + " | ".join(row) + " |")
    out.append("")
    out.append("| metric (median [min–max] over rounds) | " + " | ".join(KERNELS) + " |")
    out.append("|---|" + "---|" * len(KERNELS))
    for m in OTHER:
        cells = []
        for k in KERNELS:
            v = series_of(k, m)
            cells.append(f"{fmt(statistics.median(v))} [{fmt(min(v))}–{fmt(max(v))}]")
        out.append(f"| {m} | " + " | ".join(cells) + " |")
    out.append("")

    # Targets of the series against base and against the no-bookkeeping limit.
    checks = []
    for m in THROUGHPUT_TARGETS:
        checks.append((f"{m}: series/base >= 0.99", statistics.median(ratios("series", m)) >= 0.99))
        if "none" in KERNELS:
            checks.append((f"{m}: series/none >= 0.97",
                           statistics.median(ratios("series", m, "none")) >= 0.97))
        else:
            checks.append((f"{m}: series/none >= 0.97 (none not measured)", False))
    # Freeze itself with either handler.
    for k in [k for k in ("series", "series_rust") if k in KERNELS]:
        checks.append((f"freeze_idle_ns_p50: {k}/base <= 1.10",
                       statistics.median(ratios(k, "freeze_idle_ns_p50")) <= 1.10))
        checks.append((f"freeze_load_first_try_pct: {k} = 100 in every round",
                       min(series_of(k, "freeze_load_first_try_pct")) == 100))
        checks.append((f"freeze_load_late_writes: {k} = 0 in every round",
                       max(series_of(k, "freeze_load_late_writes")) == 0))
    out.append("Targets:")
    for name, met in checks:
        out.append(f"- {'met' if met else 'MISSED'}: {name}")
    print("\n".join(plain(out) if a.plain else out))


def plain(lines):
    """The markdown tables in lines as aligned plain text."""
    res, table = [], []

    def flush():
        if table:
            rows = [[c.strip() for c in l.strip("|").split("|")] for l in table
                    if not set(l) <= set("|-")]
            w = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
            for r in rows:
                res.append("  ".join(c.ljust(w[i]) for i, c in enumerate(r)).rstrip())
            table.clear()
    for l in lines:
        if l.startswith("|"):
            table.append(l)
        else:
            flush()
            res.append(l)
    flush()
    return res


if __name__ == "__main__":
    main()
