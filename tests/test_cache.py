"""The result cache: hits skip the analysis; content, version and settings changes miss."""

import json
import os

import pytest

import sigpipe_lint.runner as runner
from sigpipe_lint import __version__
from sigpipe_lint.cache import CACHE_DIR_NAME, ENV_VAR, Cache, default_cache_dir
from sigpipe_lint.cli import main
from sigpipe_lint.runner import RunOptions, RunStats, run

from _audit_tree import UNPROTECTED, make_tree

CODES = ("SPL001", "SPL002", "SPL003")


@pytest.fixture
def counted(monkeypatch):
    """Count the files actually analysed (process_file calls), in this process (--jobs 1)."""
    calls = []
    real = runner.process_file

    def spy(path, options):
        calls.append(path)
        return real(path, options)

    monkeypatch.setattr(runner, "process_file", spy)
    return calls


def _files(tree):
    return sorted(str(p) for p in tree.rglob("*.py"))


def _run(files, cache, codes=CODES):
    stats = RunStats()
    results = run(files, RunOptions(codes=codes), jobs=1, cache=cache, stats=stats)
    return [r.to_dict() for r in results], stats


def test_hit_does_not_analyse(tmp_path, counted):
    tree = make_tree(tmp_path / "tree")
    files = _files(tree)
    cache = Cache(str(tmp_path / "cache"), CODES)
    cold, stats = _run(files, cache)
    # clean.py is pre-filtered (never cached, never analysed); the other three are analysed.
    assert sorted(counted) == sorted(f for f in files if not f.endswith("clean.py"))
    assert (stats.prefiltered, stats.cache_hits, stats.analysed) == (1, 0, 3)
    counted.clear()
    warm, stats = _run(files, Cache(str(tmp_path / "cache"), CODES))
    assert counted == []
    assert (stats.prefiltered, stats.cache_hits, stats.analysed) == (1, 3, 0)
    assert warm == cold
    assert any(r["findings"] for r in warm) and any(r["error"] for r in warm)


def test_hit_does_not_parse(tmp_path, monkeypatch):
    tree = make_tree(tmp_path / "tree")
    files = _files(tree)
    cold, _ = _run(files, Cache(str(tmp_path / "cache"), CODES))

    def no_parse(*a, **k):
        raise AssertionError("a cache hit must not parse")

    import sigpipe_lint.engine

    monkeypatch.setattr(sigpipe_lint.engine, "parse_lenient", no_parse)
    warm, _ = _run(files, Cache(str(tmp_path / "cache"), CODES))
    assert warm == cold


def test_content_change_misses(tmp_path, counted):
    tree = make_tree(tmp_path / "tree")
    files = _files(tree)
    _run(files, Cache(str(tmp_path / "cache"), CODES))
    counted.clear()
    a = tree / "pkg" / "a.py"
    a.write_text("# a comment that moves everything down\n" + UNPROTECTED)
    results, stats = _run(files, Cache(str(tmp_path / "cache"), CODES))
    assert counted == [str(a)]
    assert stats.cache_hits == 2
    found = [f for r in results if r["path"] == str(a) for f in r["findings"]]
    assert [f["line"] for f in found] == [6]


def test_version_change_misses(tmp_path, counted):
    tree = make_tree(tmp_path / "tree")
    files = _files(tree)
    _run(files, Cache(str(tmp_path / "cache"), CODES))
    counted.clear()
    _, stats = _run(files, Cache(str(tmp_path / "cache"), CODES, version=__version__ + ".post1"))
    assert stats.cache_hits == 0 and len(counted) == 3


def test_settings_change_misses(tmp_path, counted):
    tree = make_tree(tmp_path / "tree")
    files = _files(tree)
    _run(files, Cache(str(tmp_path / "cache"), CODES))
    counted.clear()
    # SPL004 instead of SPL001 (with both on, SPL001 wins over SPL004 on the same write)
    other = tuple(c for c in CODES if c != "SPL001") + ("SPL004",)
    results, stats = _run(files, Cache(str(tmp_path / "cache"), other), codes=other)
    assert stats.cache_hits == 0 and len(counted) == 3
    assert "SPL004" in {f["code"] for r in results for f in r["findings"]}
    # and back: the first settings' entries are still there
    counted.clear()
    _, stats = _run(files, Cache(str(tmp_path / "cache"), CODES))
    assert stats.cache_hits == 3 and counted == []


def test_corrupt_entry_is_a_miss_and_no_temp_files_remain(tmp_path, counted):
    tree = make_tree(tmp_path / "tree")
    files = _files(tree)
    cold, _ = _run(files, Cache(str(tmp_path / "cache"), CODES))
    entries = [p for p in (tmp_path / "cache").rglob("*.json")]
    assert len(entries) == 3
    assert not [p for p in (tmp_path / "cache").rglob(".tmp-*")]
    entries[0].write_text("{not json")
    counted.clear()
    again, stats = _run(files, Cache(str(tmp_path / "cache"), CODES))
    assert again == cold and stats.cache_hits == 2 and len(counted) == 1


def test_fix_runs_are_not_cached(tmp_path):
    tree = make_tree(tmp_path / "tree")
    (tree / "pkg" / "bad.py").unlink()
    cache = Cache(str(tmp_path / "cache"), CODES)
    run(_files(tree), RunOptions(codes=CODES, fix="safe", diff=True), jobs=1, cache=cache)
    assert not (tmp_path / "cache").exists()


def test_cache_location(tmp_path, monkeypatch, capsys):
    tree = make_tree(tmp_path / "tree")
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert default_cache_dir(str(tree)) == os.path.join(str(tree), CACHE_DIR_NAME)
    assert default_cache_dir(None, "x") == "x"
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "env-cache"))
    assert default_cache_dir(str(tree)) == str(tmp_path / "env-cache")
    assert default_cache_dir(str(tree), "x") == "x"
    monkeypatch.delenv(ENV_VAR)

    # from the CLI: the project root (the pyproject.toml's folder), not the current folder
    monkeypatch.chdir(tmp_path)
    assert main(["check", "tree", "--jobs", "1"]) == 2
    assert (tree / CACHE_DIR_NAME / "CACHEDIR.TAG").is_file()
    assert (tree / CACHE_DIR_NAME / ".gitignore").read_text().strip().endswith("*")
    first = capsys.readouterr().out
    assert main(["check", "tree", "--jobs", "1"]) == 2
    assert capsys.readouterr().out == first
    assert main(["check", "tree", "--no-cache", "--cache-dir", str(tmp_path / "unused")]) == 2
    assert not (tmp_path / "unused").exists()
    assert main(["check", "tree", "--cache-dir", str(tmp_path / "given")]) == 2
    assert list((tmp_path / "given").rglob("*.json"))


def test_entries_are_plain_file_results(tmp_path):
    tree = make_tree(tmp_path / "tree")
    _run([str(tree / "pkg" / "a.py")], Cache(str(tmp_path / "cache"), CODES))
    (entry,) = list((tmp_path / "cache").rglob("*.json"))
    data = json.loads(entry.read_text())
    assert data["path"] == str(tree / "pkg" / "a.py")
    assert [f["code"] for f in data["findings"]] == ["SPL001"]


def test_stat_index_skips_reading_unchanged_files(tmp_path, monkeypatch, counted):
    tree = make_tree(tmp_path / "tree")
    files = _files(tree)
    old = 1_600_000_000
    for f in files:
        os.utime(f, (old, old))  # not "just modified": eligible for the index
    cold, _ = _run(files, Cache(str(tmp_path / "cache"), CODES))
    reads = []
    real_read = runner.read_source
    monkeypatch.setattr(runner, "read_source", lambda p: reads.append(p) or real_read(p))
    counted.clear()
    warm, stats = _run(files, Cache(str(tmp_path / "cache"), CODES))
    assert warm == cold
    assert reads == [] and counted == []
    assert (stats.prefiltered, stats.cache_hits) == (1, 3)
    # a change of content (and so of size or mtime) is read again
    a = tree / "pkg" / "a.py"
    a.write_text(UNPROTECTED + "# more\n")
    again, stats = _run(files, Cache(str(tmp_path / "cache"), CODES))
    assert set(reads) == {str(a)} and counted == [str(a)]  # read by the pre-filter, then by process_file
    assert stats.cache_hits == 2


def test_recently_modified_files_are_not_indexed(tmp_path):
    tree = make_tree(tmp_path / "tree")
    cache = Cache(str(tmp_path / "cache"), CODES)
    _run(_files(tree), cache)
    assert not list((tmp_path / "cache").rglob("index-*.json"))
