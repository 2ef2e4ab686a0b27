#!/usr/bin/env python3
"""Turn make bench's guest logs into the table of ratios (markdown).

usage: bench-report.py [--plain] [--kernels "K ..."] [--insn-rounds M] --rounds N LOGDIR

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

With --insn-rounds M, LOGDIR also holds insnR-KERNEL.log (the guest console,
naming each region: "bench insn_region_R NAME") and insnR-KERNEL.log.plugin
(bench/qemu/insn_marks.c's "insn_marks region R calls C insns S") for R in
1..M: the guest instructions per operation, whose median over the rounds is
shown with ratios to base, series/none and series_rust/series.
"""
import argparse
import os
import re
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from evaluate import SPLATS  # noqa: E402

ALL_KERNELS = ["base", "series", "series_rust", "none", "rwsem", "mutex", "percpu_rwsem",
               "series_llvm22", "series_rust_llvm22"]
THROUGHPUT = ["update_array_t1", "update_array_t2", "update_hash_t1", "update_hash_t2"]
# With 2 vCPU threads on a 2-core host, the 2-thread throughput spreads too
# widely from round to round to hold a target: the targets are on 1 thread.
THROUGHPUT_TARGETS = ["update_array_t1", "update_hash_t1"]
# Ratios to base, then the series against the limit, and its Rust handler
# against the C one.
ALL_RATIOS = ([(k, "base") for k in ALL_KERNELS[1:]] +
              [("series", "none"), ("series_rust", "series"),
               ("series_rust_llvm22", "series_llvm22")])
LATENCY = ["freeze_idle_ns_p50", "freeze_idle_ns_p99",
           "freeze_load_first_ns_p50", "freeze_load_first_ns_p99",
           "freeze_load_frozen_ns_p50", "freeze_load_frozen_ns_p99"]
OTHER = ["freeze_load_first_try_pct", "freeze_load_attempts_max", "freeze_load_late_writes"]


def block(path, start, what):
    """The lines between START and a successful end of a guest log, which
    must hold no kernel splat."""
    text = open(path, errors="replace").read()
    m = re.search(rf"^{start}$(.*?)^<<<end bench rc=(\d+)>>>$", text, re.S | re.M)
    if not m or m.group(2) != "0":
        sys.exit(f"error: no complete {what} in {path}")
    splat = SPLATS.search(text)
    if splat:
        sys.exit(f"error: kernel splat in {path}: {splat.group(0)!r}")
    return m.group(1)


def parse(path):
    vals = {}
    for line in block(path, "<<<bench>>>", "benchmark").splitlines():
        f = line.split()
        if len(f) == 3 and f[0] == "bench":
            vals.setdefault(f[1], []).append(float(f[2]))
    # A metric measured several times in one boot counts as its median.
    return {k: statistics.median(v) for k, v in vals.items()}


def parse_insn(path):
    """{region name: (calls, median call's instructions, median call's locked
    instructions)} of one instruction-count boot."""
    text = block(path, "<<<bench insn>>>", "instruction count")
    names = dict(re.findall(r"^bench insn_region_(\d+) (\w+)$", text, re.M))
    try:
        plugin = open(path + ".plugin", errors="replace").read()
    except OSError as e:
        sys.exit(f"error: no plugin output for {path}: {e}")
    if re.search(r"^insn_marks errors", plugin, re.M):
        sys.exit(f"error: marks out of order in {path}.plugin")
    if re.search(r"^insn_marks nomem", plugin, re.M):
        sys.exit(f"error: the plugin ran out of memory in {path}.plugin")
    res = {}
    for r, calls, _, median, locked in re.findall(
            r"^insn_marks region (\d+) calls (\d+) insns (\d+) median (\d+) locked (\d+)$",
            plugin, re.M):
        if r not in names:
            sys.exit(f"error: {path}.plugin: region {r} has no name in {path}")
        res[names[r]] = (int(calls), int(median), int(locked))
    if set(res) != set(names.values()):
        sys.exit(f"error: {path}.plugin: regions {sorted(res)}, the guest named "
                 f"{sorted(names.values())}")
    return res


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
    ap.add_argument("--insn-rounds", type=int, default=0)
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
    if a.insn_rounds:
        out += insn_table(a, KERNELS, RATIOS)

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
    # The Rust handler's instructions for the idle freeze against the C one's.
    if a.insn_rounds and "series_rust" in KERNELS:
        rs = insn_ratios(a, "series_rust", "series", "freeze_idle")
        checks.append(("freeze_idle instructions: series_rust/series <= 1.05",
                       statistics.median(rs) <= 1.05))
    out.append("Targets:")
    for name, met in checks:
        out.append(f"- {'met' if met else 'MISSED'}: {name}")
    print("\n".join(plain(out) if a.plain else out))


def insn_data(a, k):
    """parse_insn() of each instruction-count boot of kernel K."""
    return [parse_insn(os.path.join(a.logdir, f"insn{r}-{k}.log"))
            for r in range(1, a.insn_rounds + 1)]


def insn_ratios(a, k, ref, op):
    """K/REF of the median call's instructions of OP, per pair of boots."""
    return [d[op][1] / b[op][1] for d, b in zip(insn_data(a, k), insn_data(a, ref))]


def insn_table(a, KERNELS, RATIOS):
    """The instructions per operation, and their ratios, as table lines."""
    idata = {k: insn_data(a, k) for k in KERNELS}
    ops = list(idata["base"][0])
    for k in KERNELS:
        for d in idata[k]:
            if {o: d[o][0] for o in d} != {o: idata["base"][0][o][0] for o in ops}:
                sys.exit(f"error: {k}: the instruction counts cover other calls than base's")
    out = [f"Guest instructions of the median call (QEMU plugin bench/qemu/insn_marks.c, "
           f"1 vCPU, {a.insn_rounds} boot(s) per kernel; calls: "
           + ", ".join(f"{o} {idata['base'][0][o][0]}" for o in ops)
           + "): median over boots (of two, their mean), and in parentheses the "
           "locked instructions (lock prefix, xchg with memory) of the median call; "
           "ratios per pair of boots, median [min–max].", ""]
    out.append("| operation | " + " | ".join(KERNELS) + " | "
               + " | ".join(f"{k}/{ref}" for k, ref in RATIOS) + " |")
    out.append("|---|" + "---|" * (len(KERNELS) + len(RATIOS)))
    for o in ops:
        row = [o] + [f"{fmt(statistics.median(d[o][1] for d in idata[k]))} "
                     f"({fmt(statistics.median(d[o][2] for d in idata[k]))})"
                     for k in KERNELS]
        for k, ref in RATIOS:
            rs = [d[o][1] / b[o][1] for d, b in zip(idata[k], idata[ref])]
            row.append(ratio_cell(rs))
        out.append("| " + " | ".join(row) + " |")
    out.append("")
    return out


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
