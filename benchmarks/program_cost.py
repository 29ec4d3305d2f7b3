#!/usr/bin/env python3
"""What the program view costs: the same cold run with it and without it, side by side.

    python benchmarks/program_cost.py PATH [--exclude GLOB ...] [--select SPL] [--rounds 3] [--jobs 1]

Each round runs, in alternating order, two fresh processes over the same files, without
any cache: one as `sigpipe-lint check` runs (names resolved through the other modules of
the program), one with every module alone (`RunOptions(program=False)`, as the engine was
before the program view; the pre-filter then also drops what only the program view needs).
It prints the medians of wall time and CPU time (user + system of the process and its
workers, from wait4) and the findings of each, so that the price can be set against what
it buys. Run by hand, never by CI; compare figures taken in one sitting.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from typing import List, Optional, Sequence


def _one(args: argparse.Namespace) -> int:
    from sigpipe_lint.config import Settings
    from sigpipe_lint.discover import discover
    from sigpipe_lint.runner import RunOptions, run

    settings = Settings(select=args.select or None)
    files, _ = discover(args.paths, args.exclude)
    options = RunOptions(codes=tuple(settings.enabled_codes()), program=args.one == "program")
    results = run(files, options, jobs=args.jobs)
    print(json.dumps({"files": len(files), "findings": sum(len(r.findings) for r in results)}))
    return 0


def _measure(argv: List[str]):
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"program_cost: {' '.join(argv)} failed")
    return wall, usage.ru_utime + usage.ru_stime, json.loads(out)


def main(argv: Optional[Sequence[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("paths", nargs="+")
    p.add_argument("--exclude", action="append", default=[])
    p.add_argument("--select", action="append", default=[], help="rule prefixes (default: the default rules)")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--jobs", type=int, default=None, help="worker processes (default: one per CPU)")
    p.add_argument("--one", choices=("program", "alone"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.one:
        return _one(args)
    base = [sys.executable, os.path.abspath(__file__), *args.paths]
    for e in args.exclude:
        base += ["--exclude", e]
    for s in args.select:
        base += ["--select", s]
    if args.jobs:
        base += ["--jobs", str(args.jobs)]
    rows = {"program": [], "alone": []}
    for i in range(args.rounds):
        order = ("program", "alone") if i % 2 == 0 else ("alone", "program")
        for mode in order:
            rows[mode].append(_measure(base + ["--one", mode]))
    print("| run | files | findings | wall s (median) | CPU s (median) |")
    print("|---|---:|---:|---:|---:|")
    for mode, label in (("alone", "each module alone"), ("program", "program view (default)")):
        r = rows[mode]
        print(
            f"| {label} | {r[0][2]['files']} | {r[0][2]['findings']} | "
            f"{statistics.median(x[0] for x in r):.2f} | {statistics.median(x[1] for x in r):.2f} |"
        )
    cpu = {m: statistics.median(x[1] for x in r) for m, r in rows.items()}
    print(f"\nprogram view: {cpu['program'] / cpu['alone']:.2f}x the CPU of each module alone ({args.rounds} rounds)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
