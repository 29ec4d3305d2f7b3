"""--jobs 1 and --jobs 2 give the same output, byte for byte."""

from pathlib import Path


from sigpipe_lint import runner
from sigpipe_lint.cli import main
from sigpipe_lint.discover import discover
from sigpipe_lint.report import render
from sigpipe_lint.runner import POOL_MIN_BYTES, RunOptions, RunStats, run

from _audit_tree import SIGPIPE_RESET, UNPROTECTED, make_tree
from expectations import FIXTURES, all_codes

CODES = all_codes()


def _big_tree(root: Path) -> Path:
    make_tree(root)
    filler = "".join(f"def helper_{i}(sock):\n    return {i}\n\n" for i in range(400))
    for i in range(6):
        body = (UNPROTECTED if i % 2 else SIGPIPE_RESET) + filler
        (root / "pkg" / f"m{i}.py").write_text(body)
    return root


def _outputs(paths, jobs):
    files, _ = discover(paths)
    stats = RunStats()
    results = run(files, RunOptions(codes=CODES), jobs=jobs, stats=stats)
    return render("text", results) + render("json", results) + render("sarif", results), stats


def test_jobs_identical_on_own_tree(tmp_path):
    tree = _big_tree(tmp_path / "tree")
    one, s1 = _outputs([str(tree)], 1)
    two, s2 = _outputs([str(tree)], 2)
    assert s1.workers == 0
    assert s2.workers == 2, "the tree is big enough for a pool; the test must exercise it"
    assert one == two
    assert "SPL001" in one and "SPL002" in one


def test_jobs_identical_on_fixtures(monkeypatch):
    # The fixtures are smaller than the pool threshold: lower it so two workers really run.
    monkeypatch.setattr(runner, "POOL_MIN_BYTES", 0)
    one, s1 = _outputs([str(FIXTURES)], 1)
    two, s2 = _outputs([str(FIXTURES)], 2)
    assert (s1.workers, s2.workers) == (0, 2)
    assert one == two
    assert "SPL002" in one and "SPL003" in one


def test_small_runs_start_no_pool(tmp_path):
    tree = make_tree(tmp_path / "tree")
    stats = RunStats()
    files, _ = discover([str(tree)])
    run(files, RunOptions(codes=CODES), jobs=2, stats=stats)
    assert sum(p.stat().st_size for p in tree.rglob("*.py")) < POOL_MIN_BYTES
    assert stats.workers == 0


def test_cli_jobs(tmp_path, monkeypatch, capsys):
    tree = _big_tree(tmp_path / "tree")
    monkeypatch.chdir(tree)
    outs = []
    for jobs in ("1", "2"):
        status = main(["check", ".", "--no-cache", "--jobs", jobs, "--output-format", "json"])
        outs.append((status, capsys.readouterr().out))
    assert outs[0] == outs[1]
    assert outs[0][0] == 2  # pkg/bad.py does not parse
    assert '"SPL001"' in outs[0][1] and '"SPL002"' in outs[0][1]
    assert main(["check", ".", "--jobs", "0"]) == 2


class _Executor:
    """Records what a _LazyPool submits, in order; finishes futures on demand."""

    def __init__(self):
        self.submitted = []

    def submit(self, fn, path, options):
        from concurrent.futures import Future

        self.submitted.append(path)
        fut = Future()
        fut.path = path
        return fut


def test_pool_keeps_a_few_files_queued_and_sends_the_largest_first():
    # The run ends when its last file does: files held back go largest first, and only
    # QUEUED_PER_WORKER per worker wait while the tree is still being read.
    pool = runner._LazyPool(2, RunOptions(codes=CODES))
    pool.executor = executor = _Executor()
    sizes = [10, 500, 20, 30, 40, 900, 50, 60]
    for i, size in enumerate(sizes):
        assert pool.offer((i, f"f{i}", size, None, None))
    room = 2 * pool.QUEUED_PER_WORKER
    # the first four go as they come (nothing else is known yet); the rest wait
    assert executor.submitted == ["f0", "f1", "f2", "f3"]
    assert pool.submitted == len(sizes)
    first = next(f for f in pool.futures if f.path == "f1")
    first.set_result(None)  # a worker is free: the largest held file goes next
    pool.feed()
    assert executor.submitted[room:] == ["f5"]
    pool.feed(everything=True)  # the tree is read: the rest, largest first
    assert executor.submitted[room + 1 :] == ["f7", "f6", "f4"]
    assert not pool.held


def test_cli_jobs_in_its_own_process(tmp_path):
    # The command as users run it, in a fresh process: its workers inherit nothing this
    # test process has built (in-process runs above share the process's summaries).
    import subprocess
    import sys

    tree = _big_tree(tmp_path / "tree")
    outs = []
    for jobs in ("1", "2"):
        proc = subprocess.run(
            [sys.executable, "-m", "sigpipe_lint", "check", str(tree), "--no-cache", "--jobs", jobs, "--output-format", "json"],
            capture_output=True, timeout=120, cwd=tmp_path,
        )
        outs.append((proc.returncode, proc.stdout))
    assert outs[0] == outs[1]
    assert outs[0][0] == 2 and b'"SPL001"' in outs[0][1] and b'"SPL002"' in outs[0][1]


def test_workers_forked_before_discovery_serve_the_run_or_end_with_it(tmp_path, monkeypatch):
    # A cold run of a folder forks its workers before discovery (they import the engine
    # meanwhile). The run that follows takes them; one with too little work for them ends
    # them without waiting for their import.
    if runner._pool_context() is None:
        return  # spawn platforms: no early workers
    tree = _big_tree(tmp_path / "tree")
    files, _ = discover([str(tree)])
    taken = []
    real_take = runner._take_early
    monkeypatch.setattr(runner, "_take_early", lambda jobs: taken.append(real_take(jobs)) or taken[-1])
    runner.prestart(2)
    early = runner._EARLY
    assert early is not None
    stats = RunStats()
    results = run(files, RunOptions(codes=CODES), jobs=2, stats=stats)
    assert stats.workers == 2 and runner._EARLY is None
    assert taken[0] is early  # the pool is the early one
    assert any(f.code == "SPL001" for r in results for f in r.findings)

    # Prestarted workers take even one small survivor: this process has not imported
    # the engine, they have (or are about to).
    one = tmp_path / "one.py"
    one.write_text("import socket\n\ndef push(s: socket.socket):\n    s.sendall(b'x')\n")
    assert one.stat().st_size < POOL_MIN_BYTES
    runner.prestart(2)
    stats = RunStats()
    results = run([str(one)], RunOptions(codes=CODES), jobs=2, stats=stats)
    assert stats.workers == 2 and runner._EARLY is None
    # the one unprotected write, reported once (SPL001 or SPL004, never both)
    assert [f.line for r in results for f in r.findings] == [4]

    small = tmp_path / "small.py"
    small.write_text("x = 1\n")
    runner.prestart(2)
    procs = list(runner._EARLY._processes.values())
    assert len(procs) == 2
    stats = RunStats()
    run([str(small)], RunOptions(codes=CODES), jobs=2, stats=stats)
    assert stats.workers == 0 and runner._EARLY is None
    # Gone or a zombie (the executor's thread may reap it; is_alive() then says True)
    assert all(_dead(p.pid) for p in procs)


def _dead(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as f:
            return "\nState:\tZ" in f.read()
    except FileNotFoundError:
        return True


def test_workers_forked_for_a_command_that_stops_before_its_run_end_with_it(tmp_path, monkeypatch, capsys):
    # An unreadable baseline stops `check --fix` after the workers were forked: they must
    # not serve the next command of this process (forked in this one's folder: a relative
    # path there named another file).
    if runner._pool_context() is None:
        return
    tree = _big_tree(tmp_path / "tree")
    monkeypatch.chdir(tree)
    assert main(["check", ".", "--no-cache", "--baseline", "missing.json", "--fix"]) == 2
    assert "no such file: missing.json" in capsys.readouterr().err
    assert runner._EARLY is None

