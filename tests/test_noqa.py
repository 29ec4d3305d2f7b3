"""`# noqa`: where `--add-noqa` puts it, that the engine honours it there, and idempotence."""

import pytest

from sigpipe_lint.cli import main
from sigpipe_lint.engine import analyze_source
from sigpipe_lint.noqa import NoqaFailed, add_noqa, noqa_codes

HEAD = 'import socket\n\nsock = socket.create_connection(("broker", 9092))\n'

# (id, the write statement, the line the comment must end up on after --add-noqa)
CASES = [
    ("plain", 'sock.sendall(b"x")\n', 'sock.sendall(b"x")  # noqa: SPL001\n'),
    ("multi-line string", 'sock.sendall(b"""\n# not a comment\n""")\n', 'sock.sendall(b"""\n# not a comment\n""")  # noqa: SPL001\n'),
    ("backslash", 'sock.sendall(b"a" \\\n             b"b")\n', 'sock.sendall(b"a" \\\n             b"b")  # noqa: SPL001\n'),
    ("string then backslash", 'sock.sendall(b"""a\n""" \\\n    b"b")\n', 'sock.sendall(b"""a\n""" \\\n    b"b")  # noqa: SPL001\n'),
    ("in brackets", 'sock.sendall(\n    b"x",\n)\n', 'sock.sendall(  # noqa: SPL001\n    b"x",\n)\n'),
    ("other codes kept", 'sock.sendall(b"x")  # noqa: E501\n', 'sock.sendall(b"x")  # noqa: E501, SPL001\n'),
    ("other comment kept", 'sock.sendall(b"x")  # why: legacy\n', 'sock.sendall(b"x")  # why: legacy  # noqa: SPL001\n'),
    ("noqa text in a string", 'sock.sendall(b"# noqa: E1")\n', 'sock.sendall(b"# noqa: E1")  # noqa: SPL001\n'),
]


@pytest.mark.parametrize("write,expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_add_noqa(tmp_path, monkeypatch, capsys, write, expected):
    path = tmp_path / "m.py"
    path.write_bytes((HEAD + write).encode())
    monkeypatch.chdir(tmp_path)
    argv = ["check", "m.py", "--select", "SPL001", "--no-cache"]
    assert main(argv) == 1
    assert main(argv + ["--add-noqa"]) == 0
    first = path.read_bytes()
    assert first == (HEAD + expected).encode()
    compile(first, "m.py", "exec")
    assert main(argv) == 0  # the engine reads the comment where it was put
    assert main(argv + ["--add-noqa"]) == 0
    assert path.read_bytes() == first  # idempotent
    assert "Added 1 noqa directive." in capsys.readouterr().err


def test_noqa_on_the_last_line_silences_the_first_line():
    src = (HEAD + 'sock.sendall(b"""\n""")  # noqa: SPL001\n').encode()
    assert analyze_source(src, "m.py", ["SPL001"]).findings == []
    other = (HEAD + 'sock.sendall(b"""\n""")  # noqa: E501\n').encode()
    assert [f.line for f in analyze_source(other, "m.py", ["SPL001"]).findings] == [4]


def test_merge_codes_and_bare_noqa():
    assert noqa_codes(b'x = "# noqa: A1"  # noqa: B2') == {"A1", "B2"}
    assert noqa_codes(b"x  # noqa") == set()
    assert noqa_codes(b"x  # nothing") is None
    src = b"x = 1  # noqa\n"
    assert add_noqa(src, [(1, "SPL001")]) == (src, 0)  # a bare noqa already silences all
    src = b"x = 1  # NOQA:SPL001\n"
    assert add_noqa(src, [(1, "SPL001")]) == (src, 0)
    new, n = add_noqa(b"x = 1  # noqa:E501,W291\n", [(1, "SPL004"), (1, "SPL001")])
    assert (new, n) == (b"x = 1  # noqa: E501, W291, SPL004, SPL001\n", 1)


def test_line_endings_and_encoding_kept():
    src = 'import socket\r\ns = socket.socket()\r\ns.send("é".encode())\r\n'.encode()
    new, n = add_noqa(src, [(3, "SPL001")])
    assert n == 1 and new == 'import socket\r\ns = socket.socket()\r\ns.send("é".encode())  # noqa: SPL001\r\n'.encode()
    latin = b'# -*- coding: latin-1 -*-\nx = "\xe9"  # noqa: E1\n'
    new, _ = add_noqa(latin, [(2, "SPL001")])
    assert new == b'# -*- coding: latin-1 -*-\nx = "\xe9"  # noqa: E1, SPL001\n'
    no_newline = b"x = 1"
    assert add_noqa(no_newline, [(1, "SPL001")])[0] == b"x = 1  # noqa: SPL001"


def test_refuses_what_does_not_tokenize():
    with pytest.raises(NoqaFailed):
        add_noqa(b'x = """never closed\n', [(1, "SPL001")])


STDIN_SOURCE = 'import socket\n\nsock = socket.create_connection(("h", 1))\nsock.sendall(b"x")\n'


def _stdin_run(tmp_path, *args, data: str = ""):
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-m", "sigpipe_lint", "check", "--no-cache", *args],
        input=data, cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )


def test_add_noqa_on_stdin_prints_the_new_source(tmp_path):
    """`--add-noqa -` prints the source with its comments, as `--fix -` prints the fixed one
    (ruff issue 13155 asks ruff for this; ruff reads `-` as a folder name there)."""
    r = _stdin_run(tmp_path, "--add-noqa", "-", data=STDIN_SOURCE)
    assert r.returncode == 0, r.stderr
    assert r.stdout == STDIN_SOURCE.replace('sendall(b"x")', 'sendall(b"x")  # noqa: SPL001')
    assert "Added 1 noqa directive." in r.stderr
    again = _stdin_run(tmp_path, "-", data=r.stdout)  # the new source is clean
    assert again.returncode == 0 and again.stdout == "Found 0 findings in 1 file.\n", again.stdout
    clean = "x = 1\n"  # nothing to add: the input comes back as it was (an editor's buffer stays)
    r = _stdin_run(tmp_path, "--add-noqa", "-", data=clean)
    assert (r.returncode, r.stdout) == (0, clean) and "Added 0 noqa directives." in r.stderr


def test_fix_on_stdin_prints_the_fixed_source_and_reports_on_stderr(tmp_path):
    path = tmp_path / "t.py"
    path.write_text(STDIN_SOURCE)
    assert _stdin_run(tmp_path, "--fix", "t.py").returncode == 1
    r = _stdin_run(tmp_path, "--fix", "-", data=STDIN_SOURCE)
    assert r.stdout == path.read_text() != STDIN_SOURCE  # what --fix writes to a file
    assert r.returncode == 1 and "-:4:1: SPL004" in r.stderr and "Fixed 1 file." in r.stderr
    bad = "import socket\ndef f(:\n    socket.socket().send(b'')\n"
    r = _stdin_run(tmp_path, "--fix", "-", data=bad)  # cannot be analysed: given back unchanged
    assert (r.returncode, r.stdout) == (2, bad) and "-: syntax error" in r.stderr


def test_stdin_with_other_paths_is_refused_when_source_is_printed(tmp_path):
    (tmp_path / "t.py").write_text(STDIN_SOURCE)
    for flag in ("--add-noqa", "--fix"):
        r = _stdin_run(tmp_path, flag, "-", "t.py", data=STDIN_SOURCE)
        assert r.returncode == 2 and r.stdout == ""
        assert r.stderr == "sigpipe-lint: error: with --fix or --add-noqa, - (standard input) must be the only path\n"
    assert (tmp_path / "t.py").read_text() == STDIN_SOURCE
