"""The flake8 plugin, through the real `flake8` executable: same findings as the CLI."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Dict, List, Set, Tuple

import pytest

from expectations import FIXTURES, SPL003_CLIENT

from sigpipe_lint.rules import ALL_RULES

TIMEOUT = 600
FORMAT = "%(path)s\t%(row)d\t%(col)d\t%(code)s"

Key = Tuple[str, int, int, str]  # path, line, 1-based column, code

CLIENT = SPL003_CLIENT
CLIENT_SPL004 = (4, 5, "SPL004")
CLIENT_SPL003 = (5, 8, "SPL003")


def _flake8(args: List[str], cwd: Path, stdin: bytes = b"") -> subprocess.CompletedProcess:
    # The plugin caches module summaries at the analysed file's project root: keep them in
    # the test's folder, not in the fixtures' projects (p01, p02 have a pyproject.toml).
    env = {**os.environ, "SIGPIPE_LINT_CACHE_DIR": str(Path(cwd) / ".sigpipe_lint_cache")}
    return subprocess.run(
        [sys.executable, "-m", "flake8", f"--format={FORMAT}", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        timeout=TIMEOUT,
        env=env,
    )


def _parse_flake8(proc: subprocess.CompletedProcess) -> Set[Key]:
    assert proc.returncode in (0, 1), proc.stderr.decode(errors="replace")
    out = set()
    for line in proc.stdout.decode().splitlines():
        path, row, col, code = line.split("\t")
        out.add((os.path.normpath(path), int(row), int(col), code))
    return out


def _cli(files: List[str], cwd: Path, config: Path) -> Tuple[Set[Key], Dict[str, str]]:
    proc = subprocess.run(
        [sys.executable, "-m", "sigpipe_lint", "check", "--select", "SPL", "--output-format", "json",
         "--config", str(config), *files],
        cwd=cwd,
        capture_output=True,
        timeout=TIMEOUT,
    )
    assert proc.returncode in (0, 1, 2), proc.stderr.decode(errors="replace")
    findings = {(os.path.normpath(f["path"]), f["line"], f["column"], f["code"]) for f in json.loads(proc.stdout)}
    errors = {}
    for line in proc.stderr.decode(errors="replace").splitlines():
        for f in files:
            prefix = f"sigpipe-lint: error: {f}: "
            if line.startswith(prefix):
                errors[os.path.normpath(f)] = line[len(prefix):]
    if proc.returncode == 2:
        assert errors, proc.stderr.decode(errors="replace")
    return findings, errors


def _own_files(folder: Path) -> List[Path]:
    """Every rule's reported examples, plus encodings and line endings a plugin can get wrong."""
    folder.mkdir()
    files = []
    for rule in ALL_RULES:
        for i, ex in enumerate(rule.INVALID):
            p = folder / f"{rule.code.lower()}_invalid_{i}.py"
            p.write_text(textwrap.dedent(ex.code))
            files.append(p)
    extra = {
        "client.py": CLIENT,
        "client_crlf.py": CLIENT.replace(b"\n", b"\r\n"),
        "client_bom.py": b"\xef\xbb\xbf" + CLIENT,
        # A non-ASCII character before the finding on its line: columns count characters.
        "client_latin1.py": b"# -*- coding: latin-1 -*-\n"
        + CLIENT.replace(b"    s.sendall(", b"    x = '\xe9'; s.sendall("),
        "client_utf8.py": CLIENT.replace(b"    s.sendall(", "    x = 'é€'; s.sendall(".encode()),
        "client_noqa.py": CLIENT.replace(b"except BrokenPipeError:", b"except BrokenPipeError:  # noqa: SPL003"),
        "stub.pyi": b"import socket\ndef f(s: socket.socket) -> None: ...\n",
        "nothing.py": b"x = 1\n",
        "empty.py": b"",
    }
    for name, data in extra.items():
        p = folder / name
        p.write_bytes(data)
        files.append(p)
    return files


def _fixture_files() -> List[Path]:
    if not FIXTURES.is_dir():
        return []
    return sorted(p for p in FIXTURES.rglob("*") if p.suffix in (".py", ".pyi") and p.is_file())


def test_flake8_reports_what_the_cli_reports(tmp_path):
    files = [str(p) for p in _fixture_files() + _own_files(tmp_path / "own")]
    config = tmp_path / "pyproject.toml"  # no [tool.sigpipe-lint]: nothing but the flags counts
    config.write_text("")
    expected, errors = _cli(files, tmp_path, config)
    for path, reason in errors.items():
        # flake8 reports syntax errors itself (E999, not selected here) and does not call the
        # plugin; a file Python accepts but libcst cannot analyse is reported as SPL000.
        try:
            ast.parse(Path(path).read_bytes())
        except (SyntaxError, ValueError):
            continue
        expected.add((path, 1, 1, "SPL000"))
    got = _parse_flake8(_flake8(["--isolated", "--select", "SPL", *files], tmp_path))
    assert sorted(got - expected) == [], "flake8 only"
    assert sorted(expected - got) == [], "CLI only"
    own = os.path.normpath(tmp_path / "own")
    assert any(k[0].startswith(own) for k in expected)  # the comparison is not vacuous
    for name in ("client.py", "client_crlf.py", "client_bom.py"):
        path = os.path.join(own, name)
        assert {(path, *CLIENT_SPL003), (path, *CLIENT_SPL004)} <= got
    # Columns count characters, whatever the encoding: `    x = '\xe9\u20ac'; s.sendall(`.
    utf8 = os.path.join(own, "client_utf8.py")
    assert {(utf8, 4, 15, "SPL004"), (utf8, 5, 8, "SPL003")} <= got
    latin1 = os.path.join(own, "client_latin1.py")
    assert {(latin1, 5, 14, "SPL004"), (latin1, 6, 8, "SPL003")} <= got
    noqa = os.path.join(own, "client_noqa.py")
    assert {k[3] for k in got if k[0] == noqa} == {"SPL004"}


def test_stdin_with_display_name(tmp_path):
    proc = _flake8(["--isolated", "--select", "SPL", "--stdin-display-name", "pkg/client.py", "-"], tmp_path, CLIENT)
    assert _parse_flake8(proc) == {("pkg/client.py", *CLIENT_SPL003), ("pkg/client.py", *CLIENT_SPL004)}
    assert proc.returncode == 1


def _client(tmp_path: Path) -> Path:
    p = tmp_path / "client.py"
    p.write_bytes(CLIENT)
    return p


def test_per_call_rule_is_on_by_default(tmp_path):
    # SPL004 became a default rule once its precision on hand-labelled real code reached
    # 0.95 (issue 9): a flake8 user gets it without configuration.
    path = str(_client(tmp_path))
    got = _parse_flake8(_flake8(["--isolated", path], tmp_path))
    assert {k[3] for k in got if k[3].startswith("SPL")} == {"SPL003", "SPL004"}


@pytest.mark.parametrize(
    "name,section,setting",
    [
        ("setup.cfg", "flake8", "extend-ignore = SPL004"),
        (".flake8", "flake8", "extend-ignore = SPL004"),
        ("tox.ini", "flake8", "extend-ignore = SPL004"),
    ],
)
def test_per_call_rule_disabled_by_a_config_file(tmp_path, name, section, setting):
    _client(tmp_path)
    got = _parse_flake8(_flake8(["client.py"], tmp_path))
    assert ("client.py", *CLIENT_SPL004) in got
    (tmp_path / name).write_text(f"[{section}]\n{setting}\n")
    got = _parse_flake8(_flake8(["client.py"], tmp_path))
    assert ("client.py", *CLIENT_SPL004) not in got
    assert ("client.py", *CLIENT_SPL003) in got


@pytest.mark.parametrize(
    "comment,reported",
    [
        ("  # noqa", set()),
        ("  # noqa: SPL003", set()),
        ("  # noqa:E501,SPL003", set()),
        ("  # noqa: E501", {"SPL003"}),
    ],
)
def test_noqa(tmp_path, comment, reported):
    p = tmp_path / "client.py"
    p.write_bytes(CLIENT.replace(b"except BrokenPipeError:", b"except BrokenPipeError:" + comment.encode()))
    got = _parse_flake8(_flake8(["--isolated", "--select", "SPL003", str(p)], tmp_path))
    assert {k[3] for k in got} == reported
    # --disable-noqa shows what the plugin yields: the engine applies the same comments.
    got = _parse_flake8(_flake8(["--isolated", "--disable-noqa", "--select", "SPL003", str(p)], tmp_path))
    engine_noqa = comment.strip() in ("# noqa", "# noqa: SPL003", "# noqa:E501,SPL003")
    assert {k[3] for k in got} == (set() if engine_noqa else {"SPL003"})


def test_importing_the_plugin_does_not_import_libcst():
    code = "import sys, sigpipe_lint.flake8_plugin; print(any(m.split('.')[0] == 'libcst' for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "False"


def test_a_file_that_cannot_match_does_not_import_libcst(tmp_path):
    p = tmp_path / "plain.py"
    p.write_text("x = 1\n")
    code = (
        "import sys\n"
        "from sigpipe_lint.flake8_plugin import SigpipeChecker\n"
        f"lines = open({str(p)!r}).readlines()\n"
        "assert list(SigpipeChecker(None, lines).run()) == []\n"
        "print(any(m.split('.')[0] == 'libcst' for m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "False"
