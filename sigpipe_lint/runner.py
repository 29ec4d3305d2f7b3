"""Runs the engine over many files: read, analyse (and fix), collect, sort."""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import os
import sys
import time
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

from sigpipe_lint.config import codes_for
from sigpipe_lint.findings import FileResult, line_count
from sigpipe_lint.prefilter import may_depend_on_project, may_match
from sigpipe_lint.program.resolve import local_packages


@dataclass(frozen=True)
class RunOptions:
    """Everything a worker needs to process one file (picklable)."""

    codes: Tuple[str, ...]
    fix: Optional[str] = None  # None: report only; "safe": apply safe fixes; "unsafe": all fixes
    diff: bool = False  # compute the fixed source but do not write it
    fix_edits: bool = False  # report-only: each finding's fix carries its own diff (audit, SARIF);
    # cached only in a cache made by edits_cache(), kept apart from the plain results
    program: bool = True  # resolve names through the other modules of the program
    summary_cache: Optional[str] = None  # where module summaries are cached (the cache dir)
    # --baseline: path (as given to process_file) -> the fingerprints it holds there; their
    # findings' fixes are not applied (sigpipe_lint.baseline.for_files, engine.analyze_source)
    baseline: Optional[Dict[str, Tuple[str, ...]]] = None
    # per-file-ignores: (glob, codes) pairs and the folder their globs are relative to
    per_file_ignores: Tuple[Tuple[str, Tuple[str, ...]], ...] = ()
    root: Optional[str] = None

    def codes_for(self, path: str) -> Tuple[str, ...]:
        """The rules that run on `path`: `codes` less what per-file-ignores turns off there."""
        return codes_for(self.codes, path, self.per_file_ignores, self.root)


def read_source(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    with open(path, "rb") as f:
        return f.read()


def process_file(path: str, options: RunOptions) -> FileResult:
    """The unit of work: one file, read once, analysed (and fixed when asked)."""
    try:
        source = read_source(path)
    except IsADirectoryError:
        return FileResult(path=path, error="is a folder, not a file")
    except FileNotFoundError:
        if os.path.islink(path):
            return FileResult(path=path, error="broken symbolic link")
        return FileResult(path=path, error="no such file (it disappeared during the run)")
    except OSError as e:
        return FileResult(path=path, error=f"cannot read: {e.strerror or e}")
    from sigpipe_lint.engine import analyze_source  # libcst: imported by the processes that parse

    program = None
    if options.program and path != "-":
        from sigpipe_lint.program import get_program

        program = get_program(options.summary_cache)
    result = analyze_source(
        source, path, options.codes_for(path), fix=options.fix, fix_edits=options.fix_edits, program=program,
        baseline=(options.baseline or {}).get(path, ()),
    )
    if path == "-":
        result.source = source  # read once: --fix and --add-noqa print it back (cli)
    if result.fixed_source is not None:
        from sigpipe_lint.fixes.write import FileChanged, unified_diff, write_atomically

        if options.diff or path == "-":
            result.diff = unified_diff(path, source, result.fixed_source)
        else:
            try:
                write_atomically(path, result.fixed_source, source)
            except (FileChanged, OSError) as e:
                result.error = f"not fixed: {e}"
    return result


# ---------------------------------------------------------------------------
# Many files: pre-filter in this process, cache lookup, then a pool of workers.
#
# Measured (docs/performance.md): filtering in workers costs more in IPC than it saves, so
# this process reads every file once, runs the bytes pre-filter and looks the survivors up
# in the cache; the misses go to workers while it reads (a few queued per worker, the
# largest known first: _LazyPool), so the workers import libcst and parse meanwhile. A worker re-reads
# its file through `process_file`, the one unit of work: reading is ~0.3 ms per 1,000 lines
# against ~100 ms for the parse, so passing the bytes through the pipe would save nothing.
#
# A cold run of a folder (no cache, or none yet) forks its workers before discovery
# (`prestart`): importing libcst and the engine takes a worker 0.27 s, which then overlaps
# the command's own start and the walk of the tree instead of beginning at the first
# survivors (the stdlib: median 1.64 s against 1.73 s, eight alternating runs). A run
# with too little work for them ends them unused (a cold run of a folder without
# survivors: 0.13 s against 0.10 s).

# Below these, starting worker processes costs more than it saves.
POOL_MIN_FILES = 2
POOL_MIN_BYTES = 48 * 1024
# A bar only for runs that turn out long, and only on a terminal.
PROGRESS_AFTER_SECONDS = 1.0

# A parse builds hundreds of thousands of nodes, none of them garbage and none in a cycle;
# at CPython's default threshold (700 allocations) the collector runs thousands of times
# over them for nothing. At this one a cold run takes 8-10 % less CPU (redis-py, -j 1,
# three runs each: 3.05-3.34 s against 3.46-3.69 s) for 1 MiB more memory.
GC_THRESHOLD = (50_000, 20, 100)


@contextlib.contextmanager
def _fewer_collections():
    """The collector at GC_THRESHOLD while a run analyses files; as it was afterwards (the
    runner is also called from tests and other programs' processes)."""
    before = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLD)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _worker_start() -> None:
    # A forked worker inherits the threshold; a spawned one (macOS, Windows) does not.
    gc.set_threshold(*GC_THRESHOLD)


@dataclass
class RunStats:
    """What a run did besides its results (for the audit summary and the tests)."""

    files: int = 0
    prefiltered: int = 0
    cache_hits: int = 0
    analysed: int = 0
    workers: int = 0  # 0: everything ran in this process


def _prefiltered(path: str, source: bytes) -> FileResult:
    # The same result analyze_source gives when may_match is False, without a second regex pass.
    return FileResult(path=path, lines=line_count(source), prefiltered=True)


def _work(path: str, options: RunOptions) -> FileResult:
    try:
        return process_file(path, options)
    except Exception as e:  # pragma: no cover - a bug; report it on the file, keep going
        return FileResult(path=path, error=f"internal error: {type(e).__name__}: {e}")


def _signature(st: os.stat_result) -> Tuple[int, int, int]:
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def _unchanged(path: str, sig: Optional[Tuple[int, int, int]]) -> bool:
    try:
        return sig is not None and _signature(os.stat(path)) == sig
    except OSError:
        return False


class _Progress:
    """A rich progress bar on stderr, started only once a run has taken a while."""

    def __init__(self, total: int, enabled: bool):
        self.total = total
        self.done = 0
        self.enabled = enabled and total > 0 and _stderr_is_terminal()
        self.start = time.monotonic()
        self._bar = None
        self._task = None
        self._last = 0.0

    def advance(self) -> None:
        self.done += 1
        if not self.enabled:
            return
        now = time.monotonic()
        if self._bar is None:
            if now - self.start < PROGRESS_AFTER_SECONDS or self.done >= self.total:
                return
            self._open()
        if now - self._last >= 0.1 or self.done >= self.total:
            self._last = now
            self._bar.update(self._task, completed=self.done)
            self._bar.refresh()

    def _open(self) -> None:
        try:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
        except ImportError:  # pragma: no cover - rich is a dependency
            self.enabled = False
            return
        console = Console(stderr=True, no_color=bool(os.environ.get("NO_COLOR")))
        # auto_refresh=False: no refresh thread, so worker processes are never forked beside one.
        self._bar = Progress(
            TextColumn("sigpipe-lint"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            auto_refresh=False,
        )
        self._bar.start()
        self._task = self._bar.add_task("analysing", total=self.total, completed=self.done)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


def _stderr_is_terminal() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def _pool_context():
    import multiprocessing

    # fork: cheap to start, and workers inherit what this process imported. libcst is not
    # among it (the parent only reads and filters); each worker imports it while this
    # process goes on reading. All workers are forked at the first submit, before the
    # executor's thread starts.
    if sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return None


_EARLY = None  # workers forked by prestart(), importing the engine, for the next run


def _warm() -> None:
    """A worker's first task when forked early: import what every file's analysis needs."""
    from sigpipe_lint import engine  # noqa: F401
    from sigpipe_lint.parse import _fast_inits

    _fast_inits()


def prestart(jobs: Optional[int]) -> None:
    """Fork the workers now, before discovery, and have them import the engine while this
    process finds and filters the files (a cold run of a folder: workers will be needed).
    The next run takes them (_LazyPool.start); a run that needs none ends them."""
    global _EARLY
    jobs = max(1, jobs or os.cpu_count() or 1)
    ctx = _pool_context()
    if jobs < 2 or ctx is None or _EARLY is not None:
        return
    from concurrent.futures import ProcessPoolExecutor

    _EARLY = ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_worker_start)
    for _ in range(jobs):
        _EARLY.submit(_warm)


def _early_ready(jobs: int) -> bool:
    """Whether prestart() forked `jobs` workers that the next run can take."""
    return _EARLY is not None and getattr(_EARLY, "_max_workers", None) == jobs


def _take_early(jobs: int):
    global _EARLY
    early, _EARLY = _EARLY, None
    if early is not None and getattr(early, "_max_workers", None) != jobs:
        _end_early(early)
        early = None
    return early


def discard_prestarted() -> None:
    """End the workers prestart() forked if no run took them."""
    global _EARLY
    early, _EARLY = _EARLY, None
    if early is not None:
        _end_early(early)


def _end_early(executor) -> None:
    """End workers that were never used without waiting for their import (shutdown()
    forgets the processes: they are taken first)."""
    procs = list((getattr(executor, "_processes", None) or {}).values())
    for proc in procs:
        try:
            proc.kill()
        except (OSError, AttributeError):  # pragma: no cover - already gone
            pass
    executor.shutdown(wait=False, cancel_futures=True)
    for proc in procs:
        proc.join(5)


def run(
    files: Sequence[str],
    options: RunOptions,
    jobs: Optional[int] = None,
    cache=None,
    progress: bool = False,
    stats: Optional[RunStats] = None,
) -> List[FileResult]:
    """Results for `files`, sorted by path (findings within a file by line, column).

    jobs: worker processes (None: one per CPU; 1: none). cache: a sigpipe_lint.cache.Cache,
    used for report-only runs. The output does not depend on `jobs` or on the cache.

    Survivors of the pre-filter go to the workers while this process is still reading and
    filtering the tree (the workers import libcst and parse meanwhile); it keeps only a
    few files queued ahead of them and holds the rest back, so that the largest files
    known go first and the run does not end on one big file (see _LazyPool).
    """
    with _fewer_collections():
        return _run(files, options, jobs, cache, progress, stats)


def _run(files, options, jobs, cache, progress, stats) -> List[FileResult]:
    stats = stats if stats is not None else RunStats()
    stats.files = len(files)
    jobs = max(1, jobs or os.cpu_count() or 1)
    use_cache = cache is not None and options.fix is None
    results: Dict[int, FileResult] = {}
    pool = _LazyPool(jobs, options)
    dep_shas: Dict[str, Optional[str]] = {}  # content hashes of the files results depend on
    # index, path, size, cache key, stat signature at the time of our read
    local: List[Tuple[int, str, int, Optional[str], Optional[Tuple[int, int, int]]]] = []

    def analyse(item) -> None:
        if item[1] == "-" or not pool.offer(item):
            local.append(item)  # stdin, or too little work so far to be worth workers
            if pool.should_start(local):
                pool.start([t for t in local if t[1] != "-"])
                local[:] = [t for t in local if t[1] == "-"]

    for i, path in enumerate(files):
        pool.feed()
        if path == "-":
            analyse((i, path, 0, None, None))
            continue
        try:
            st = os.stat(path)
            sig = _signature(st)
            if use_cache:
                hit = cache.stat_lookup(path, sig)  # unchanged since last time: not even read
                if hit is not None and not _deps_current(hit, dep_shas):
                    hit = None  # a module it read (errors.py for client.py) has changed
                if hit is not None:
                    results[i] = hit
                    if hit.prefiltered:
                        stats.prefiltered += 1
                    else:
                        stats.cache_hits += 1
                    continue
            source = read_source(path)
        except OSError:
            local.append((i, path, 0, None, None))  # process_file says why, in its words
            continue
        if not options.codes_for(path) or not may_match(source, (lambda: local_packages(path)) if options.program else (), path):
            # (per-file-ignores turning every rule off there: nothing to parse for either)
            results[i] = _prefiltered(path, source)
            stats.prefiltered += 1
            if use_cache and not (options.program and may_depend_on_project(source) and local_packages(path)):
                # (a file that writes may pass once another module imports it: read again)
                cache.remember(path, sig, prefiltered_lines=results[i].lines)
            continue
        key = None
        if use_cache:
            key = cache.key(path, source)
            hit = cache.get(key)
            if hit is not None and not _deps_current(hit, dep_shas):
                hit = None
            if hit is not None:
                results[i] = hit
                stats.cache_hits += 1
                cache.remember(path, sig, key=key)
                continue
        analyse((i, path, len(source), key, sig))

    pool.feed(everything=True)
    stats.analysed = len(local) + pool.submitted
    stats.workers = pool.workers
    bar = _Progress(stats.analysed, progress)

    def collect(item, result: FileResult) -> None:
        i, path, _size, key, sig = item
        # Store only what was computed from the bytes we hashed (the file did not change since).
        if key is not None and _unchanged(path, sig):
            cache.put(key, result)
            cache.remember(path, sig, key=key)
        results[i] = result
        bar.advance()

    try:
        for item in sorted(local, key=lambda t: (-t[2], t[0])):
            collect(item, _work(item[1], options))
        pool.collect(collect)
    finally:
        pool.shutdown()
        early = _take_early(jobs)
        if early is not None:  # prestarted, but too little work for workers
            _end_early(early)
        bar.close()
        if use_cache:
            cache.save_index()

    out = [results[i] for i in range(len(files))]
    out.sort(key=lambda r: r.path)
    return out


FIX_EDITS_KEY = "+fix-edits"


def edits_cache(cache_dir: str, options: RunOptions):
    """A cache for results with fix edits: its settings key differs from the plain one's."""
    from sigpipe_lint.cache import Cache

    return Cache(cache_dir, tuple(options.codes) + (FIX_EDITS_KEY,), per_file_ignores=options.per_file_ignores)


def with_fix_edits(
    results: List[FileResult], options: RunOptions, jobs: Optional[int] = None, cache_dir: Optional[str] = None
) -> List[FileResult]:
    """`results` where every fixable finding's fix carries its own diff (FixInfo.edits).

    A second pass over only the files with fixable findings, so the first pass keeps its
    plain cache entries: computing the edits applies each file's fixes (measured: about
    twice the CPU of a cold analysis of the whole tree, for the standard library and
    site-packages), and its results are cached apart (`cache_dir`, None: not cached).
    Files given as `-` (standard input, read once) keep their findings without edits.
    """
    todo = [r.path for r in results if r.path != "-" and any(f.fix is not None and f.fix.applicability != "none" for f in r.findings)]
    if not todo:
        return results
    cache = edits_cache(cache_dir, options) if cache_dir else None
    again = {r.path: r for r in run(
        todo, RunOptions(codes=options.codes, fix_edits=True, per_file_ignores=options.per_file_ignores, root=options.root),
        jobs=jobs, cache=cache,
    )}
    out = []
    for r in results:
        # Only the fixes are taken from the second pass: the findings stay those given
        # (a baseline may have left some out).
        fresh = {(f.line, f.column, f.code): f.fix for f in again[r.path].findings} if r.path in again else {}
        # A fix "none" stays (the one --baseline declines: baseline.with_declined).
        findings = [
            f if f.fix is not None and f.fix.applicability == "none" else dataclasses.replace(f, fix=fresh.get((f.line, f.column, f.code), f.fix))
            for f in r.findings
        ]
        out.append(dataclasses.replace(r, findings=findings))
    return out


def _deps_current(result: FileResult, shas: Dict[str, Optional[str]]) -> bool:
    """Whether every other file a cached result was computed from still has that content."""
    import hashlib

    from sigpipe_lint.program.resolve import TREE_DEP, tree_signature

    for dep, sha in result.deps.items():
        if dep not in shas:
            if dep.startswith(TREE_DEP):  # a scan of the whole project (callers)
                shas[dep] = tree_signature(dep[len(TREE_DEP):])
            else:
                try:
                    with open(dep, "rb") as f:
                        shas[dep] = hashlib.sha256(f.read()).hexdigest()
                except OSError:
                    shas[dep] = None
        if shas[dep] != sha:
            return False
    return True


class _LazyPool:
    """A process pool started only once the survivors add up to enough work for it.

    Survivors offered once it runs are held back, and fed to the workers largest first
    with at most QUEUED_PER_WORKER waiting per worker: a run ends when its last file
    does, and the stdlib's largest survivors (pydoc.py, 109 KB, 0.5 s) come late in path
    order. Once the tree is read, everything left goes, largest first (`feed(everything=True)`).
    """

    QUEUED_PER_WORKER = 2

    def __init__(self, jobs: int, options: RunOptions):
        self.jobs = jobs
        self.options = options
        self.executor = None
        self.futures: Dict[object, tuple] = {}
        self.held: List[tuple] = []
        self.done: List[object] = []  # one entry per finished future
        self.workers = 0

    @property
    def submitted(self) -> int:
        return len(self.futures) + len(self.held)

    def should_start(self, pending) -> bool:
        if self.jobs < 2 or self.executor is not None:
            return False
        work = [t for t in pending if t[1] != "-"]
        if work and _early_ready(self.jobs):
            # Workers forked before discovery have been importing the engine meanwhile:
            # this process would have to import it before its first file (0.3 s), they
            # need not. hazelcast's two survivors (38 KiB): 0.89 s analysed here, in them
            # about 0.7 s.
            return True
        return len(work) >= POOL_MIN_FILES and sum(t[2] for t in work) >= POOL_MIN_BYTES

    def start(self, pending) -> None:
        from concurrent.futures import ProcessPoolExecutor

        self.workers = self.jobs
        self.executor = _take_early(self.jobs) or ProcessPoolExecutor(
            max_workers=self.jobs, mp_context=_pool_context(), initializer=_worker_start
        )
        for item in pending:
            self.offer(item)

    def offer(self, item) -> bool:
        if self.executor is None:
            return False
        self.held.append(item)
        self.feed()
        return True

    def feed(self, everything: bool = False) -> None:
        """Submit held files, largest first, while fewer than QUEUED_PER_WORKER per worker
        wait (all of them when `everything`)."""
        if not self.held:
            return
        room = len(self.held) if everything else self.jobs * self.QUEUED_PER_WORKER - (len(self.futures) - len(self.done))
        if room <= 0:
            return
        self.held.sort(key=lambda t: (t[2], -t[0]))  # the largest (then the first) last
        for _ in range(min(room, len(self.held))):
            item = self.held.pop()
            fut = self.executor.submit(_work, item[1], self.options)
            fut.add_done_callback(self._finished)
            self.futures[fut] = item

    def _finished(self, fut) -> None:
        self.done.append(fut)  # called in the executor's thread: list.append is atomic

    def collect(self, collect) -> None:
        if self.executor is None:
            return
        from concurrent.futures import as_completed
        from concurrent.futures.process import BrokenProcessPool

        for fut in as_completed(self.futures):
            item = self.futures[fut]
            try:
                result = fut.result()
            except BrokenProcessPool:
                result = FileResult(path=item[1], error="a worker process died (out of memory?) while analysing it")
                collect((item[0], item[1], item[2], None, None), result)
                continue
            except Exception as e:  # pragma: no cover - e.g. a result that cannot be pickled
                result = FileResult(path=item[1], error=f"internal error: {type(e).__name__}: {e}")
                collect((item[0], item[1], item[2], None, None), result)
                continue
            collect(item, result)

    def shutdown(self) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)
