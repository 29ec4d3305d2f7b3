"""The `sigpipe-lint` command line as a user meets it: output, exit status, settings, noqa, fixes."""

import json
import os
import stat
import subprocess
import sys
import textwrap

import pytest

from expectations import SPL003_CLIENT

from sigpipe_lint import __version__
from sigpipe_lint.cli import main

POSITIVE = textwrap.dedent(
    """\
    import socket
    s = socket.create_connection(("h", 1))
    s.sendall(b"x")
    """
)
SPL003_FILE = SPL003_CLIENT.decode()


def run(*args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "sigpipe_lint", *args],
        cwd=cwd, capture_output=True, text=True, timeout=120,
    )


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / "pos.py").write_text(POSITIVE)
    (tmp_path / "clean.py").write_text("print('hello')\n")
    return tmp_path


def test_text_output_and_exit_statuses(tree):
    r = run("check", "--no-cache", ".", cwd=tree)
    assert r.returncode == 1
    lines = r.stdout.splitlines()
    assert lines[0].startswith("pos.py:3:1: SPL001 s.sendall() writes to a socket")
    assert lines[-1] == "Found 1 finding in 2 files."
    assert run("check", "--no-cache", "clean.py", cwd=tree).returncode == 0
    assert run("check", "--no-cache", "--exit-zero", ".", cwd=tree).returncode == 0


def test_json_output_fields(tree):
    r = run("check", "--no-cache", "--output-format", "json", "pos.py", cwd=tree)
    (item,) = json.loads(r.stdout)
    assert {k: item[k] for k in ("path", "line", "column", "end_line", "end_column", "code")} == {
        "path": "pos.py", "line": 3, "column": 1, "end_line": 3, "end_column": 1 + len('s.sendall(b"x")'), "code": "SPL001",
    }
    assert item["fix"]["applicability"] == "safe" and "MSG_NOSIGNAL" in item["fix"]["message"]


def test_usage_errors_exit_2(tree):
    r = run("check", "--select", "XYZ999", ".", cwd=tree)
    assert r.returncode == 2 and "unknown rule code" in r.stderr
    assert run("check", "--no-such-flag", cwd=tree).returncode == 2
    r = run("check", "--no-cache", "missing.py", "pos.py", cwd=tree)
    assert r.returncode == 2 and "missing.py: no such file" in r.stderr and "pos.py:3:1" in r.stdout


def test_unparsable_file_gets_one_line_and_the_rest_is_checked(tree):
    (tree / "py2.py").write_text("import socket\ns = socket.socket()\nprint 'hello'\ns.send('x')\n")
    r = run("check", "--no-cache", ".", cwd=tree)
    assert r.returncode == 2
    errors = [l for l in r.stderr.splitlines() if "py2.py" in l]
    assert len(errors) == 1 and "syntax error at line 3" in errors[0]  # where Python places it
    assert "pos.py:3:1: SPL001" in r.stdout


def test_select_ignore_and_pyproject_settings(tree):
    # One write, one finding: with both rules on (the default), SPL001 wins over SPL004 on
    # the same call.
    default = run("check", "--no-cache", "pos.py", cwd=tree).stdout
    assert "pos.py:3:1: SPL001" in default and "SPL004" not in default
    both = run("check", "--no-cache", "--select", "SPL", "pos.py", cwd=tree).stdout
    assert "pos.py:3:1: SPL001" in both and "SPL004" not in both
    assert "SPL004" in run("check", "--no-cache", "--select", "SPL004", "pos.py", cwd=tree).stdout
    r = run("check", "--no-cache", "--extend-select", "SPL004", "--ignore", "SPL001", "pos.py", cwd=tree)
    assert "SPL004" in r.stdout
    r = run("check", "--no-cache", "--ignore", "SPL001", "pos.py", cwd=tree)
    assert r.returncode == 1 and "SPL001" not in r.stdout and "pos.py:3:1: SPL004" in r.stdout  # SPL004 takes the write
    r = run("check", "--no-cache", "--ignore", "SPL001,SPL004", "pos.py", cwd=tree)
    assert r.returncode == 0 and "SPL0" not in r.stdout
    (tree / "pyproject.toml").write_text('[tool.sigpipe-lint]\nselect = ["SPL004"]\n')
    r = run("check", "--no-cache", "pos.py", cwd=tree)
    assert "SPL004" in r.stdout and "SPL001" not in r.stdout
    (tree / "pyproject.toml").write_text('[tool.sigpipe-lint]\nbogus = 1\n')
    r = run("check", "--no-cache", "pos.py", cwd=tree)
    assert r.returncode == 2 and "unknown setting" in r.stderr


def test_noqa(tree):
    (tree / "pos.py").write_text(POSITIVE.replace('s.sendall(b"x")', 's.sendall(b"x")  # noqa: SPL001'))
    assert run("check", "--no-cache", "pos.py", cwd=tree).returncode == 0
    (tree / "pos.py").write_text(POSITIVE.replace('s.sendall(b"x")', 's.sendall(b"x")  # noqa: SPL003'))
    assert run("check", "--no-cache", "pos.py", cwd=tree).returncode == 1
    (tree / "pos.py").write_text(POSITIVE.replace('s.sendall(b"x")', 's.sendall(b"x")  # noqa'))
    assert run("check", "--no-cache", "pos.py", cwd=tree).returncode == 0


def test_default_and_given_excludes(tree):
    for folder in ("build", ".tox", "node_modules", "venvdir", "generated"):
        (tree / folder).mkdir()
        (tree / folder / "x.py").write_text(POSITIVE)
    (tree / "venvdir" / "pyvenv.cfg").write_text("home = /usr\n")
    r = run("check", "--no-cache", "--exclude", "generated", ".", cwd=tree)
    assert [l.split(":")[0] for l in r.stdout.splitlines()[:-1]] == ["pos.py"]


@pytest.mark.parametrize(
    "path, patterns, excluded",
    [
        ("pkg/build/x.py", ("build",), True),  # a part
        ("pkg/x_pb2.py", ("*_pb2.py",), True),  # the name
        ("pkg/gen/x.py", ("pkg/gen/*",), True),  # the whole path
        ("pkg/gen/x.py", ("gen/",), True),  # a trailing slash is dropped
        ("pkg/tests/x.py", ("test",), False),  # a glob is not a prefix
        ("pkg/a.egg-info/x.py", ("*.egg-info",), True),
        ("pkg/ab.py", ("[ab]*.py",), True),
        ("pkg/cd.py", ("[ab]*.py", "build"), False),
        ("pkg/x.py", (), False),
    ],
)
def test_exclude_globs_match_the_path_its_name_or_a_part(path, patterns, excluded):
    from sigpipe_lint.discover import _excluded

    assert _excluded(path, patterns) is excluded


def _reported(out: str):
    """{path: [codes]} of a text report."""
    found = {}
    for line in out.splitlines():
        if ": SPL" in line:
            path, _, _, rest = line.split(":", 3)
            found.setdefault(path, []).append(rest.split()[0])
    return found


def test_per_file_ignores_turn_rules_off_where_their_globs_match(tree, monkeypatch, capsys):
    """As ruff's per-file-ignores: globs relative to the project root (wherever the run
    starts), a file's name alone, prefixes, `!` for the files a glob does not match."""
    for rel, text in (("tests/test_srv.py", POSITIVE), ("pkg/a.py", POSITIVE), ("pkg/legacy.py", SPL003_FILE)):
        (tree / rel).parent.mkdir(exist_ok=True)
        (tree / rel).write_text(text)
    pyproject = tree / "pyproject.toml"
    base = "[project]\nname = 'x'\n[tool.sigpipe-lint]\nselect = ['SPL']\n"

    def check(*args, cwd=tree):
        monkeypatch.chdir(cwd)
        status = main(["check", "--no-cache", *args])
        return status, _reported(capsys.readouterr().out)

    status, everything = check(".")
    assert status == 1 and set(everything) == {"pos.py", "tests/test_srv.py", "pkg/a.py", "pkg/legacy.py"}
    assert "SPL003" in everything["pkg/legacy.py"] and "SPL001" in everything["pkg/a.py"]

    pyproject.write_text(base + "[tool.sigpipe-lint.per-file-ignores]\n'tests/*' = ['SPL']\n'legacy.py' = ['SPL003']\n")
    status, found = check(".")
    assert "tests/test_srv.py" not in found and found["pkg/a.py"] == everything["pkg/a.py"]
    assert "SPL003" not in found["pkg/legacy.py"] and found["pkg/legacy.py"]  # its other rules still run
    status, found = check(".", cwd=tree / "tests")  # globs stay relative to the project root
    assert status == 0 and found == {}
    # A file with every rule off is not even parsed (as one the pre-filter drops).
    (tree / "tests" / "py2.py").write_text(POSITIVE + "print 'x'\n")
    pyproject.write_text(base + "[tool.sigpipe-lint.per-file-ignores]\n'tests/*' = ['SPL']\n")
    status, found = check(".", cwd=tree / "tests")
    assert status == 0 and found == {} and "cannot" not in capsys.readouterr().err
    pyproject.write_text(base + "[tool.sigpipe-lint.per-file-ignores]\n'tests/*' = ['SPL001']\n")
    monkeypatch.chdir(tree / "tests")  # SPL002-4 still run there: it is parsed, and fails
    assert main(["check", "--no-cache", "."]) == 2 and "py2.py" in capsys.readouterr().err
    (tree / "tests" / "py2.py").unlink()

    pyproject.write_text(base + "[tool.sigpipe-lint.per-file-ignores]\n'!pkg/*' = ['SPL001', 'SPL004']\n")
    status, found = check(".")
    # pos.py's and the test's one finding each is SPL001's: off outside pkg/, kept inside
    assert set(everything["pos.py"]) == {"SPL001"}
    assert set(found) == {"pkg/a.py", "pkg/legacy.py"} and found["pkg/a.py"] == everything["pkg/a.py"]

    pyproject.write_text(base)  # the command line's form, added to the file's
    status, found = check(".", "--per-file-ignores", "pkg/*:SPL001,SPL004", "--per-file-ignores", "**/tests/*:SPL")
    assert "tests/test_srv.py" not in found and "pkg/a.py" not in found and "pos.py" in found
    assert found["pkg/legacy.py"] == ["SPL003"]


def test_per_file_ignores_hold_back_fixes_and_key_the_cache(tree, monkeypatch, capsys):
    monkeypatch.chdir(tree)
    (tree / "h.py").write_text(SPL003_FILE)
    # With SPL003 off, SPL004 takes the write (as with --ignore) and fixes it; with both off
    # nothing is fixed.
    assert main(["check", "--no-cache", "--diff", "--per-file-ignores", "h.py:SPL003", "h.py"]) == 1
    assert "+except (BrokenPipeError, ConnectionResetError):" in capsys.readouterr().out
    assert main(["check", "--no-cache", "--fix", "--per-file-ignores", "h.py:SPL", "h.py"]) == 0
    assert (tree / "h.py").read_text() == SPL003_FILE
    cache = ["--cache-dir", str(tree / "cache")]
    assert main(["check", *cache, "h.py"]) == 1
    assert main(["check", *cache, "--per-file-ignores", "h.py:SPL", "h.py"]) == 0  # not the cached result
    assert main(["check", *cache, "h.py"]) == 1
    capsys.readouterr()


@pytest.mark.parametrize(
    "setting, args, message",
    [
        ("", ["--per-file-ignores", "no-colon"], "expected GLOB:CODES"),
        ("", ["--per-file-ignores", "tests/*:XYZ1"], "unknown rule code"),
        ("[tool.sigpipe-lint.per-file-ignores]\n'tests/*' = 'SPL'\n", [], "per-file-ignores must be a table"),
        ("[tool.sigpipe-lint.per-file-ignores]\n'tests/*' = ['NOPE']\n", [], "unknown rule code"),
        ("[tool.sigpipe-lint]\nper-file-ignores = ['tests/*:SPL']\n", [], "per-file-ignores must be a table"),
    ],
)
def test_per_file_ignores_that_cannot_be_understood_are_usage_errors(tree, monkeypatch, capsys, setting, args, message):
    monkeypatch.chdir(tree)
    (tree / "pyproject.toml").write_text("[project]\nname = 'x'\n" + setting)
    assert main(["check", "--no-cache", *args, "pos.py"]) == 2
    assert message in capsys.readouterr().err


def test_rule_pages_and_version(tree):
    r = run("rule", "SPL003", cwd=tree)
    assert r.returncode == 0 and "## Why is this bad?" in r.stdout and "## Fix safety" in r.stdout
    r = run("rule", "--all", cwd=tree)
    assert [l.split()[0] for l in r.stdout.splitlines()] == ["SPL001", "SPL002", "SPL003", "SPL004"]
    assert run("rule", "SPL999", cwd=tree).returncode == 2
    assert run("--version", cwd=tree).stdout.strip() == f"sigpipe-lint {__version__}"


def test_diff_writes_nothing_and_fix_writes_keeping_the_mode(tree):
    path = tree / "h.py"
    path.write_text(SPL003_FILE)
    os.chmod(path, 0o754)
    r = run("check", "--no-cache", "--diff", "h.py", cwd=tree)
    assert r.returncode == 1
    assert "-except BrokenPipeError:" in r.stdout and "+except (BrokenPipeError, ConnectionResetError):" in r.stdout
    assert path.read_text() == SPL003_FILE
    r = run("check", "--no-cache", "--fix", "h.py", cwd=tree)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "except (BrokenPipeError, ConnectionResetError):" in path.read_text()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o754
    assert not [p for p in os.listdir(tree) if p.startswith(".sigpipe-lint-")]  # no temp file left
    # A second --fix changes nothing.
    before = path.read_bytes()
    assert run("check", "--no-cache", "--fix", "h.py", cwd=tree).returncode == 0
    assert path.read_bytes() == before


def test_unsafe_fixes_are_held_back_with_a_hint(tree):
    # SPL001 offers a safe part (MSG_NOSIGNAL) and an unsafe one (the wrap): the hint counts it.
    r = run("check", "--no-cache", "pos.py", cwd=tree)
    assert "1 unsafe fix is available with --fix --unsafe-fixes." in r.stderr
    (tree / "pos.py").write_text(POSITIVE)
    r = run("check", "--no-cache", "--select", "SPL004", "--fix", "pos.py", cwd=tree)
    assert r.returncode == 1 and "1 unsafe fix is available with --fix --unsafe-fixes." in r.stderr
    assert (tree / "pos.py").read_text() == POSITIVE
    r = run("check", "--no-cache", "--select", "SPL004", "--fix", "--unsafe-fixes", "pos.py", cwd=tree)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "except (BrokenPipeError, ConnectionResetError) as exc:" in (tree / "pos.py").read_text()


def test_the_unsafe_fix_hint_counts_what_is_reported(tree, monkeypatch, capsys):
    """As ruff's hint: findings hidden by --baseline are not counted, and a run answered
    from the cache counts the same as a fresh one."""
    monkeypatch.chdir(tree)
    hint = "{} unsafe fix{} available with --fix --unsafe-fixes."
    assert main(["check", "--no-cache", "--write-baseline", "b.json", "pos.py"]) == 0
    (tree / "new.py").write_text(POSITIVE)
    capsys.readouterr()
    assert main(["check", "--no-cache", "pos.py", "new.py"]) == 1
    assert hint.format(2, "es are") in capsys.readouterr().err
    assert main(["check", "--no-cache", "--baseline", "b.json", "pos.py", "new.py"]) == 1
    out = capsys.readouterr()
    assert out.out.startswith("new.py:3:1: SPL001") and "pos.py" not in out.out
    assert hint.format(1, " is") in out.err
    assert main(["check", "--no-cache", "--baseline", "b.json", "pos.py"]) == 0
    assert "unsafe fix" not in capsys.readouterr().err  # nothing reported, nothing to hint at
    for _ in range(2):  # the second run is answered from the cache
        assert main(["check", "--cache-dir", str(tree / "cache"), "pos.py", "new.py"]) == 1
        assert hint.format(2, "es are") in capsys.readouterr().err


def test_files_the_prefilter_drops_are_not_parsed(tree):
    """By design: a file that cannot hold a finding is never parsed, so its syntax is not judged."""
    (tree / "py2_no_socket.py").write_text("print 'hello'\n")
    r = run("check", "--no-cache", "py2_no_socket.py", cwd=tree)
    assert r.returncode == 0 and r.stderr == ""


def test_a_huge_file_is_reported_not_parsed_for_minutes(tree):
    big = tree / "generated.py"
    row = "x = [" + ", ".join(str(i) for i in range(100)) + "]\n"
    big.write_text(POSITIVE + row * (5_100_000 // len(row)))
    r = run("check", "--no-cache", ".", cwd=tree)
    assert r.returncode == 2
    assert "generated.py: not analysed" in r.stderr and "5 MB limit" in r.stderr
    assert "pos.py:3:1: SPL001" in r.stdout


def test_the_command_line_does_not_import_libcst_until_a_file_needs_parsing(tmp_path):
    """Warm runs and pre-filtered trees must not pay libcst's import (a third of a second)."""
    code = (
        "import sys\n"
        "from sigpipe_lint.cli import main\n"
        "status = main(['check', '--no-cache', '--jobs', '1', sys.argv[1]])\n"
        "print(status, 'libcst' in sys.modules)\n"
    )
    (tmp_path / "plain.py").write_text("print('no sockets here')\n")
    (tmp_path / "pos.py").write_text(POSITIVE)

    def probe(name):
        r = subprocess.run([sys.executable, "-c", code, str(tmp_path / name)], capture_output=True, text=True, timeout=60)
        return r.stdout.strip().splitlines()[-1]

    assert probe("plain.py") == "0 False"
    assert probe("pos.py") == "1 True"  # the probe sees libcst when a file is parsed


def test_a_fifo_named_twice_is_reported_once(tree):
    os.mkfifo(tree / "pipe.py")
    r = run("check", "--no-cache", ".", "pipe.py", cwd=tree)
    assert r.returncode == 2
    assert [l for l in r.stderr.splitlines() if "pipe.py" in l] == ["sigpipe-lint: error: pipe.py: not a regular file"]
