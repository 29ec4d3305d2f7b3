#!/usr/bin/env python3
"""sigpipe-lint against ruff and flake8, in one sitting, side by side. Run by hand, never by CI.

    python benchmarks/bench.py            # stdlib + site-packages + one file, medians
    python benchmarks/bench.py --quick    # one run each, no flake8 over site-packages
    python benchmarks/bench.py --reference REV --repeat 10 [--library PATH]
                                          # this engine against REV's, alternating, one sitting

Corpora: the running interpreter's stdlib without its site-packages and test folders
(test, tests, idle_test: excluded for every tool, as is site-packages), the stdlib's
site-packages, socketserver.py alone (a pre-commit hook's view), and with `--library PATH`
(repeatable) a client library's checkout as a user runs it, tests included, or its package
folder (issue 9's "350-file client library under 1 s": benchmarks/README.md measures
redis-py, its package, nats.py and pyzmq); for each library it also prints the floor that
libcst's parse alone sets: the CPU it takes to parse the files the pre-filter passes. Every command runs as
its own process; wall time is measured around it and peak RSS is ru_maxrss from wait4 (the
largest single process of the tree: the parent or one worker, not their sum).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from typing import List, Optional, Sequence, Tuple

EXCLUDED = ("site-packages", "test", "tests", "idle_test")


def tool(name: str) -> str:
    here = os.path.join(os.path.dirname(sys.executable), name)
    found = here if os.path.exists(here) else shutil.which(name)
    if not found:
        sys.exit(f"bench: {name} not found (install it into this interpreter's environment)")
    return found


def _compile_package() -> None:
    """Write sigpipe_lint's bytecode, as `pip install` does for a user (and as flake8's and
    libcst's in site-packages already are). An editable install on a machine with
    PYTHONDONTWRITEBYTECODE set (this one) otherwise compiles every module changed since
    its last .pyc in every process of every timed run: about 0.09 s a worker after a
    session of engine changes, which the figures of 2026-12-01 03:13 include."""
    import compileall
    import importlib.util

    spec = importlib.util.find_spec("sigpipe_lint")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("bench: sigpipe_lint is not installed in this interpreter's environment")
    for folder in spec.submodule_search_locations:
        if not compileall.compile_dir(folder, quiet=1):
            print(f"bench: warning: could not compile {folder}", file=sys.stderr)


def measure(cmd: Sequence[str]) -> Tuple[float, int]:
    """(seconds, peak RSS in KiB) of one run of cmd."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1, 2):
        print(f"bench: warning: {cmd[0]} exited {proc.returncode}", file=sys.stderr)
    return elapsed, usage.ru_maxrss


class Row:
    def __init__(self, corpus: str, label: str, cmd: List[str], times: List[float], rss: List[int]):
        self.corpus, self.label, self.cmd, self.times, self.rss = corpus, label, cmd, times, rss

    @property
    def median(self) -> float:
        return statistics.median(self.times)


def bench(corpus: str, label: str, cmd: List[str], repeat: int, prime: bool = False) -> Row:
    if prime:
        measure(cmd)  # fill the cache: the timed runs are warm
    times, rss = [], []
    for _ in range(repeat):
        t, m = measure(cmd)
        times.append(t)
        rss.append(m)
    row = Row(corpus, label, cmd, times, rss)
    print(f"  {corpus:<14} {label:<34} {row.median:8.3f} s  ({len(times)} runs)", file=sys.stderr, flush=True)
    return row


def main(argv: Optional[Sequence[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="one run of each, three of the one-file runs; skip flake8 over site-packages")
    p.add_argument("--repeat", type=int, default=5, help="runs per fast command (default 5)")
    p.add_argument("--slow-repeat", type=int, default=1, help="runs of flake8 over a corpus (default 1)")
    p.add_argument("--stdlib", default=sysconfig.get_paths()["stdlib"])
    p.add_argument("--site-packages", default=None, help="default: <stdlib>/site-packages")
    p.add_argument("--jobs", default=None, help="passed to sigpipe-lint --jobs")
    p.add_argument(
        "--library",
        action="append",
        default=[],
        help="a client library's checkout (or its package folder), timed cold and warm as a whole; repeatable",
    )
    p.add_argument("--no-stdlib", action="store_true", help="skip the stdlib, site-packages and one-file rows")
    p.add_argument("--no-site-packages", action="store_true", help="skip the site-packages rows (flake8 there takes minutes)")
    p.add_argument(
        "--reference",
        metavar="REV",
        help="instead of the table: alternate this git revision's engine, the working tree's and ruff "
        "over the stdlib and each --library, --repeat times, and print the medians and the paired differences",
    )
    args = p.parse_args(argv)
    if args.reference:
        return against_reference(args)

    stdlib = args.stdlib
    site = args.site_packages or os.path.join(stdlib, "site-packages")
    one_file = os.path.join(stdlib, "socketserver.py")
    repeat = 1 if args.quick else args.repeat
    slow = 1 if args.quick else args.slow_repeat
    spl, flake8, ruff = tool("sigpipe-lint"), tool("flake8"), tool("ruff")
    jobs = ["--jobs", args.jobs] if args.jobs else []
    tmp = tempfile.mkdtemp(prefix="spl-bench-")
    rows: List[Row] = []
    print(f"bench: {sys.version.split()[0]}, {os.cpu_count()} CPUs, stdlib {stdlib}", file=sys.stderr)
    _compile_package()
    try:
        corpora = [] if args.no_stdlib else [("stdlib", stdlib, True), ("site-packages", site, False)]
        if args.no_site_packages:
            corpora = [c for c in corpora if c[0] != "site-packages"]
        for lib in args.library:
            corpora.append((_library_name(lib), lib, False))
        for name, path, exclude in corpora:
            if not os.path.isdir(path):
                print(f"bench: skipping {name}: no folder {path}", file=sys.stderr)
                continue
            spl_ex = [a for e in EXCLUDED for a in ("--exclude", e)] if exclude else []
            other_ex = ["--extend-exclude", ",".join(EXCLUDED)] if exclude else []
            cache_dir = os.path.join(tmp, f"spl-{name}")
            ruff_cache = os.path.join(tmp, f"ruff-{name}")
            base = [spl, "check", path, "--exit-zero", *spl_ex, *jobs]
            rows.append(bench(name, "sigpipe-lint check (cold, --no-cache)", base + ["--no-cache"], repeat))
            rows.append(bench(name, "sigpipe-lint check (warm cache)", base + ["--cache-dir", cache_dir], repeat, prime=True))
            ruff_base = [ruff, "check", "--isolated", "--select", "F", "--exit-zero", *other_ex, path]
            rows.append(bench(name, "ruff check --select F --no-cache", ruff_base + ["--no-cache"], repeat))
            rows.append(bench(name, "ruff check --select F (warm cache)", ruff_base + ["--cache-dir", ruff_cache], repeat, prime=True))
            if name.startswith("library"):
                continue  # flake8 over it says nothing the stdlib row does not
            if name == "site-packages" and args.quick:
                print("bench: --quick: flake8 over site-packages skipped (minutes)", file=sys.stderr)
            else:
                rows.append(bench(name, "flake8 --select F", [flake8, "--isolated", "--select", "F", "--exit-zero", *other_ex, path], slow))
        if os.path.isfile(one_file) and not args.no_stdlib:
            n = max(3, repeat)
            rows.append(bench("one file", "sigpipe-lint check socketserver.py", [spl, "check", one_file, "--no-cache", "--exit-zero"], n))
            rows.append(bench("one file", "flake8 --select F socketserver.py", [flake8, "--isolated", "--select", "F", "--exit-zero", one_file], n))
            rows.append(bench("one file", "ruff check --select F socketserver.py", [ruff, "check", "--isolated", "--select", "F", "--no-cache", "--exit-zero", one_file], n))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print(table(rows))
    print(targets(rows))
    for lib in args.library:
        if os.path.isdir(lib):
            print(parse_floor(lib, repeat))
    return 0


def against_reference(args) -> int:
    """The working tree's engine against `args.reference`'s in one sitting: between sittings
    this machine moves by more than a session gains, within one the pairs show it.

    Each triple runs the reference, the working tree and ruff, as fresh processes started
    from a temporary folder: `python -m` puts the working folder first on `sys.path`,
    ahead of `PYTHONPATH`, so a run started from the repository would take the working tree
    for both engines."""
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    tmp = tempfile.mkdtemp(prefix="spl-bench-ref-")
    try:
        ref = os.path.join(tmp, "reference")
        os.makedirs(ref)
        archive = subprocess.run(["git", "-C", repo, "archive", args.reference, "sigpipe_lint"], capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", ref], input=archive, check=True)
        _compile_package()
        import compileall

        compileall.compile_dir(os.path.join(ref, "sigpipe_lint"), quiet=1)
        corpora = [("stdlib", args.stdlib, True)] + [(_library_name(lib), lib, False) for lib in args.library]
        ruff = tool("ruff")
        for name, path, exclude in corpora:
            spl_ex = [a for e in EXCLUDED for a in ("--exclude", e)] if exclude else []
            other_ex = ["--extend-exclude", ",".join(EXCLUDED)] if exclude else []
            check = [sys.executable, "-m", "sigpipe_lint", "check", path, "--no-cache", "--exit-zero", *spl_ex]
            runs = {"reference": [], "working tree": [], "ruff": []}
            for _ in range(args.repeat):
                for label, where in (("reference", ref), ("working tree", repo)):
                    runs[label].append(_timed(check, tmp, dict(os.environ, PYTHONPATH=where)))
                ruff_cmd = [ruff, "check", "--isolated", "--select", "F", "--exit-zero", "--no-cache", *other_ex, path]
                runs["ruff"].append(_timed(ruff_cmd, tmp, None))
            ruff_median = statistics.median(runs["ruff"])
            print(f"{name} ({args.repeat} triples, from {tmp}):")
            for label in ("reference", "working tree"):
                m = statistics.median(runs[label])
                print(f"  {label:<13} median {m:.3f} s, min {min(runs[label]):.3f} s, {m / ruff_median:.2f}x ruff ({ruff_median:.3f} s)")
            diffs = sorted(b - a for a, b in zip(runs["reference"], runs["working tree"]))
            faster = sum(1 for d in diffs if d < 0)
            print(f"  working tree - reference, per pair: {', '.join(f'{d:+.2f}' for d in diffs)} s ({faster} of {len(diffs)} faster)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


def _timed(cmd: Sequence[str], cwd: str, env) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def parse_floor(path: str, repeat: int) -> str:
    """What libcst alone takes over a library: the files the pre-filter lets through, parsed
    once each in this process (the fastest of `repeat` passes, CPU time). No analysis can be
    faster than this divided by the CPUs, whatever the rules ask."""
    import libcst

    from sigpipe_lint.discover import discover
    from sigpipe_lint.prefilter import may_match
    from sigpipe_lint.program.resolve import local_packages

    files, _ = discover([path])
    sources = []
    for f in files:
        with open(f, "rb") as fh:
            source = fh.read()
        if may_match(source, lambda f=f: local_packages(f)):
            sources.append(source)
    best = float("inf")
    for _ in range(max(1, repeat)):
        start = time.process_time()
        for source in sources:
            libcst.parse_module(source)
        best = min(best, time.process_time() - start)
    cpus = os.cpu_count() or 1
    return (
        f"- {_library_name(path)}: the pre-filter passes {len(sources)} of {len(files)} files "
        f"({sum(map(len, sources)) / 1024:.0f} KiB); libcst parses them in {best:.3f} s of CPU, "
        f"{best / cpus:.3f} s of wall at best on {cpus} CPUs, before any analysis"
    )


def _library_name(path: str) -> str:
    """"library <folder>, <n> files": the row's corpus name, with the size the target speaks of."""
    n = sum(1 for _, _, files in os.walk(path) for f in files if f.endswith(".py"))
    return f"library {os.path.basename(os.path.normpath(path))}, {n} files"


def _find(rows: List[Row], corpus: str, prefix: str) -> Optional[Row]:
    return next((r for r in rows if r.corpus == corpus and r.label.startswith(prefix)), None)


def table(rows: List[Row]) -> str:
    out = [
        "| corpus | command | median s | min s | runs | vs ruff --no-cache | peak RSS MiB |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        ref = _find(rows, r.corpus, "ruff check --select F --no-cache") or _find(rows, r.corpus, "ruff check --select F socketserver")
        ratio = f"{r.median / ref.median:.1f}x" if ref else ""
        out.append(
            f"| {r.corpus} | `{r.label}` | {r.median:.3f} | {min(r.times):.3f} | {len(r.times)} | {ratio} | {max(r.rss) / 1024:.0f} |"
        )
    return "\n".join(out)


def targets(rows: List[Row]) -> str:
    out = ["", "Targets (issues 5 and 9):"]

    def check(name: str, a: Optional[Row], b: Optional[Row], limit: float) -> None:
        if a is None or b is None:
            out.append(f"- {name}: not measured")
            return
        ratio = a.median / b.median
        out.append(f"- {name}: {a.median:.3f} s / {b.median:.3f} s = {ratio:.2f}x (limit {limit:g}x): {'met' if ratio <= limit else 'NOT met'}")

    for corpus in ("stdlib", "site-packages"):
        check(f"{corpus} cold <= 10x ruff --no-cache", _find(rows, corpus, "sigpipe-lint check (cold"), _find(rows, corpus, "ruff check --select F --no-cache"), 10)
        check(f"{corpus} warm <= 2x ruff warm", _find(rows, corpus, "sigpipe-lint check (warm"), _find(rows, corpus, "ruff check --select F (warm"), 2)
    check("one file no slower than flake8", _find(rows, "one file", "sigpipe-lint"), _find(rows, "one file", "flake8"), 1)
    for corpus in sorted({r.corpus for r in rows if r.corpus.startswith("library")}):
        for label, prefix in (("cold", "sigpipe-lint check (cold"), ("warm", "sigpipe-lint check (warm")):
            lib = _find(rows, corpus, prefix)
            if lib is not None:
                out.append(f"- {corpus} {label} under 1 s: {lib.median:.3f} s: {'met' if lib.median < 1 else 'NOT met'}")
    peak = max((max(r.rss) for r in rows if r.label.startswith("sigpipe-lint")), default=0) / 1024
    out.append(f"- peak RSS of sigpipe-lint <= 300 MiB: {peak:.0f} MiB: {'met' if peak <= 300 else 'NOT met'}")
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
