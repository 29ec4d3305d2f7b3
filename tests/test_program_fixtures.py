"""Folder fixtures: each `fixtures/program/<name>/` is a small package checked as a whole.

One folder per pattern of issue 9 (`p01_...` to `p13_...`), 2-4 modules, with positive and
negative cases. What must be reported is written where it happens, as in flake8-bugbear's
test files: a trailing `# expect: SPL004` (or `SPL001,SPL004`) comment on the reported line.
A finding that cannot carry a comment goes into an optional `EXPECTED` file in the folder,
one `relative/path.py:LINE: CODE` a line (`#` starts a comment). A line the engine must
*not* report although it looks like a crash (the negative case a fixture is about) carries
`# ok` with the reason, so a reader sees what the folder proves.

The folder is checked as a user checks a project: `sigpipe-lint check FOLDER --select SPL`
(every rule, JSON output, no cache, one process), and the sorted list of (file, line, code)
must equal the expected one: nothing missing, nothing more.
"""

import json
import re
from pathlib import Path

import pytest

from expectations import FIXTURES, expected_findings
from sigpipe_lint.cli import main

PROGRAM = FIXTURES / "program"
_EXPECTED_LINE = re.compile(r"^\s*(?P<path>[^:#]+\.pyi?):(?P<line>\d+):\s*(?P<code>[A-Z]+[0-9]+)\s*(?:#.*)?$")
_OK = re.compile(r"#\s*ok\b")


def program_fixtures():
    if not PROGRAM.is_dir():
        return []
    return sorted(p for p in PROGRAM.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))


def _modules(folder: Path):
    return sorted(p for p in folder.rglob("*") if p.suffix in (".py", ".pyi") and p.is_file())


def expected_in(folder: Path):
    out = []
    for path in _modules(folder):
        rel = path.relative_to(folder).as_posix()
        out.extend((rel, line, code) for line, code in expected_findings(path))
    listing = folder / "EXPECTED"
    if listing.is_file():
        for n, text in enumerate(listing.read_text(encoding="utf-8").splitlines(), 1):
            if not text.strip() or text.lstrip().startswith("#"):
                continue
            m = _EXPECTED_LINE.match(text)
            assert m, f"{listing}:{n}: not 'path.py:LINE: CODE': {text!r}"
            assert (folder / m["path"]).is_file(), f"{listing}:{n}: no file {m['path']}"
            out.append((m["path"], int(m["line"]), m["code"]))
    return sorted(out)


def reported_in(folder: Path, capsys):
    capsys.readouterr()
    status = main(["check", str(folder), "--select", "SPL", "--output-format", "json", "--no-cache", "--jobs", "1"])
    captured = capsys.readouterr()
    assert status in (0, 1), captured.err  # 2: a file could not be analysed, or a usage error
    assert "error" not in captured.err, captured.err
    out = []
    for item in json.loads(captured.out):
        path = Path(item["path"])
        if not path.is_absolute():
            path = Path.cwd() / path
        out.append((path.resolve().relative_to(folder.resolve()).as_posix(), item["line"], item["code"]))
    return sorted(out), status


@pytest.mark.parametrize("folder", program_fixtures(), ids=lambda p: p.name)
def test_program_fixture(folder, capsys):
    expected = expected_in(folder)
    got, status = reported_in(folder, capsys)
    assert got == expected
    assert status == (1 if expected else 0)


@pytest.mark.parametrize("folder", program_fixtures(), ids=lambda p: p.name)
def test_program_fixture_is_a_package_with_both_cases(folder):
    modules = _modules(folder)
    assert len([m for m in modules if m.name != "__init__.py"]) >= 2, "a package of 2-4 modules"
    assert expected_in(folder), "no positive case (no '# expect:' and no EXPECTED file)"
    oks = [m for m in modules if any(_OK.search(line) for line in m.read_text(encoding="utf-8").splitlines())]
    assert oks, "no negative case marked '# ok'"


def test_the_expectation_reader_sees_what_is_written(tmp_path):
    """The reader must not silently drop expectations (the comparison would then be vacuous)."""
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "a.py").write_text("x = 1\nsock.send(b'x')  # expect: SPL001, SPL004\n")
    (pkg / "EXPECTED").write_text("# comment\n\na.py:1: SPL003\n")
    assert expected_in(pkg) == [("a.py", 1, "SPL003"), ("a.py", 2, "SPL001"), ("a.py", 2, "SPL004")]
    (pkg / "EXPECTED").write_text("a.py line 1 SPL003\n")
    with pytest.raises(AssertionError):
        expected_in(pkg)
