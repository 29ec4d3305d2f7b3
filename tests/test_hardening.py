"""Issue 6: bad input through the real CLI, no code execution, kill during --fix, bytes kept by a fix.

Every bad input sits beside a positive file (`good.py`), which must still be reported; a file
that cannot be analysed gives exactly one stderr line naming it and exit status 2.
"""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import sysconfig
import sys
import time
from pathlib import Path

import pytest

from expectations import FIXTURES

GOOD = b'import socket\n\n\ndef main():\n    s = socket.create_connection(("h", 1))\n    while True:\n        s.sendall(b"x")\n'


def cli(cwd, *args, timeout=120):
    return subprocess.run(
        [sys.executable, "-m", "sigpipe_lint", "check", "--no-cache", "--select", "SPL", *args],
        cwd=cwd, capture_output=True, timeout=timeout,
    )


def error_lines(proc):
    return [l for l in proc.stderr.decode().splitlines() if l.startswith("sigpipe-lint: error:")]


def run_bad(tmp_path, name, reason_part):
    (tmp_path / "good.py").write_bytes(GOOD)
    proc = cli(tmp_path, name, "good.py")
    errs = error_lines(proc)
    assert len(errs) == 1, proc.stderr.decode()
    assert errs[0].startswith(f"sigpipe-lint: error: {name}: ") and reason_part in errs[0], errs
    assert b"good.py:7:9: SPL001" in proc.stdout, proc.stdout  # the other file is still checked
    assert proc.returncode == 2
    assert b"Traceback" not in proc.stderr
    return proc


def run_ok(tmp_path, name, expect_findings):
    (tmp_path / "good.py").write_bytes(GOOD)
    proc = cli(tmp_path, name, "good.py")
    assert error_lines(proc) == [], proc.stderr.decode()
    assert b"good.py:7:9: SPL001" in proc.stdout
    assert (f"{name}:".encode() in proc.stdout) == expect_findings, proc.stdout
    assert proc.returncode == 1
    return proc


SOCK_BODY = b'import socket\ns = socket.socket()\ns.send(b"x")\n'


@pytest.mark.parametrize(
    "content, reason",
    [
        (b"def f(:\n    pass\n" + SOCK_BODY, "syntax error"),
        (b'print "x"\n' + SOCK_BODY, "syntax error"),
        (b"# -*- coding: utf-8 -*-\n" + SOCK_BODY + b'x = "\xff\xfe"\n', "cannot decode"),
        (b"# -*- coding: klingon -*-\n" + SOCK_BODY, "unknown encoding: klingon"),
        (SOCK_BODY + b'x = 1\x00\n', "syntax error"),
        (b"import socket\ns = socket.socket()\nx = " + b"(" * 5000 + b"1" + b")" * 5000 + b'\ns.send(b"x")\n',
         "too many nested parentheses"),
        (b"import socket\ns = socket.socket()\nx = " + b"[" * 3000 + b"]" * 3000 + b'\ns.send(b"x")\n',
         "too many nested parentheses"),
    ],
    ids=["syntax", "python2", "bad-utf8", "unknown-cookie", "nul", "parens-5000", "lists-3000"],
)
def test_unparsable_file_reported_once(tmp_path, content, reason):
    (tmp_path / "bad.py").write_bytes(content)
    run_bad(tmp_path, "bad.py", reason)  # cli()'s timeout catches a parser that runs for minutes


def test_deep_binary_expression_is_analysed(tmp_path):
    # 3000-deep a+a+...: not nesting brackets, valid for CPython; libcst parses it.
    (tmp_path / "deep.py").write_bytes(b"import socket\ns = socket.socket()\nx = " + b"+".join([b"a"] * 3000) + b'\ns.send(b"x")\n')
    run_ok(tmp_path, "deep.py", True)


LATIN1 = b'# -*- coding: latin-1 -*-\nimport socket\nx = "caf\xe9"\n\n\ndef main():\n    s = socket.create_connection(("h", 1))\n    while True:\n        s.sendall(b"x")\n'


@pytest.mark.parametrize(
    "content, findings",
    [
        (LATIN1, True),
        (b"\xef\xbb\xbf" + GOOD, True),
        (GOOD.replace(b"\n", b"\r\n"), True),
        (b'import socket\r\n\n\r\ndef main():\n    s = socket.create_connection(("h", 1))\r\n    while True:\n        s.sendall(b"x")\r\n', True),
        (GOOD.replace(b"\n\n\ndef", b"\n\x0c\n\ndef"), True),  # a form feed on its own line
        (b"", False),
        (b"\n\n", False),
    ],
    ids=["latin1-cookie", "bom", "crlf", "mixed-eol", "form-feed", "empty", "blank"],
)
def test_odd_but_valid_files_are_analysed(tmp_path, content, findings):
    (tmp_path / "odd.py").write_bytes(content)
    proc = run_ok(tmp_path, "odd.py", findings)
    if findings:
        # Where the write stands, counted from the input: lines end at \n (a lone \r does
        # not occur here), a BOM is not a column.
        lines = content.split(b"\n")
        row = next(i for i, text in enumerate(lines) if b"s.sendall" in text)
        col = lines[row].index(b"s.sendall") + 1 - (3 if row == 0 and content.startswith(b"\xef\xbb\xbf") else 0)
        assert f"odd.py:{row + 1}:{col}: SPL001".encode() in proc.stdout


def test_ten_megabyte_file_without_sockets_is_fast(tmp_path):
    chunk = "def f{i}(x):\n    return [x * {i} for _ in range(3)]\n\n\n"
    (tmp_path / "big.py").write_text("".join(chunk.format(i=i) for i in range(175000)))
    assert (tmp_path / "big.py").stat().st_size > 10_000_000
    run_ok(tmp_path, "big.py", False)
    # Not parsed at all (a 10 MB file that survives the pre-filter is refused by the size guard).
    from sigpipe_lint.engine import analyze_source

    assert analyze_source((tmp_path / "big.py").read_bytes(), "big.py", ("SPL001",)).prefiltered


def test_unreadable_file(monkeypatch):
    """A file that cannot be read gets its reason. (Tests run as root here, and root reads a
    mode-000 file, so the failure is injected where the file is opened.)"""
    from sigpipe_lint import runner

    def refuse(path):
        raise PermissionError(13, "Permission denied", path)

    monkeypatch.setattr(runner, "read_source", refuse)
    result = runner.process_file("secret.py", runner.RunOptions(codes=("SPL001",)))
    assert result.error == "cannot read: Permission denied" and result.findings == []


def test_fifo(tmp_path):
    os.mkfifo(tmp_path / "pipe.py")
    run_bad(tmp_path, "pipe.py", "not a regular file")


def test_fifo_inside_folder(tmp_path):
    (tmp_path / "pkg").mkdir()
    os.mkfifo(tmp_path / "pkg" / "pipe.py")
    (tmp_path / "good.py").write_bytes(GOOD)
    proc = cli(tmp_path, "pkg", "good.py")
    assert error_lines(proc) == ["sigpipe-lint: error: pkg/pipe.py: not a regular file"]
    assert proc.returncode == 2 and b"good.py:7:9" in proc.stdout


def test_broken_symlink(tmp_path):
    os.symlink("nowhere.py", tmp_path / "broken.py")
    run_bad(tmp_path, "broken.py", "broken symbolic link")


@pytest.mark.parametrize("first", [True, False])
def test_symlink_loop(tmp_path, first):
    os.symlink("loop.py", tmp_path / "loop.py")
    (tmp_path / "good.py").write_bytes(GOOD)
    proc = cli(tmp_path, *(["loop.py", "good.py"] if first else ["good.py", "loop.py"]))
    assert error_lines(proc) == ["sigpipe-lint: error: loop.py: cannot read: Too many levels of symbolic links"], proc.stderr
    assert proc.returncode == 2 and b"good.py:7:9" in proc.stdout


def test_folder_named_like_a_module(tmp_path):
    # A folder is walked, not read: no error for x.py/ itself, its files are checked.
    (tmp_path / "x.py").mkdir()
    (tmp_path / "x.py" / "inner.py").write_bytes(GOOD)
    (tmp_path / "good.py").write_bytes(GOOD)
    proc = cli(tmp_path, "x.py", "good.py")
    assert error_lines(proc) == [] and proc.returncode == 1
    assert b"x.py/inner.py:7:9" in proc.stdout and b"good.py:7:9" in proc.stdout
    proc = cli(tmp_path, ".")
    assert error_lines(proc) == [] and b"x.py/inner.py:7:9" in proc.stdout


def test_path_given_twice(tmp_path):
    (tmp_path / "good.py").write_bytes(GOOD)
    proc = cli(tmp_path, "good.py", "./good.py", "good.py")
    assert proc.returncode == 1 and error_lines(proc) == []
    assert proc.stdout.count(b"good.py:7:9: SPL001") == 1


def test_missing_file(tmp_path):
    run_bad(tmp_path, "gone.py", "no such file")


def test_file_that_disappears_during_the_run(tmp_path):
    # Discovery saw it, the read did not: the runner's own message.
    from sigpipe_lint.runner import RunOptions, run

    (tmp_path / "good.py").write_bytes(GOOD)
    results = run([str(tmp_path / "gone.py"), str(tmp_path / "good.py")], RunOptions(codes=("SPL001",)), jobs=1)
    by = {Path(r.path).name: r for r in results}
    assert "disappeared" in by["gone.py"].error and by["good.py"].findings


# ---------------------------------------------------------------------------------------
# Analysed code is never imported or executed.


def test_analysed_code_is_never_executed(tmp_path):
    mark = tmp_path / "MARK"
    evil = (
        f"open({str(mark)!r}, 'w').write('ran')\n"
        "import socket\n\n\ndef main():\n    s = socket.create_connection(('h', 1))\n    while True:\n        s.sendall(b'x')\n"
    )
    (tmp_path / "evil.py").write_text(evil)
    (tmp_path / "__init__.py").write_text(f"open({str(mark)!r}, 'w')\n")
    (tmp_path / "conftest.py").write_text(f"open({str(mark)!r}, 'w')\n")
    proc = cli(tmp_path, "evil.py", ".")
    assert proc.returncode == 1 and b"evil.py:8:9" in proc.stdout
    proc = cli(tmp_path, "--fix", "--unsafe-fixes", "evil.py")
    assert b"Fixed 1 file" in proc.stderr
    assert b"except (BrokenPipeError, ConnectionResetError)" in (tmp_path / "evil.py").read_bytes()
    assert not mark.exists()


# ---------------------------------------------------------------------------------------
# Bytes a fix must keep: line endings, encoding, BOM, mode, (no) trailing newline.


def _fix(tmp_path, name):
    proc = cli(tmp_path, "--fix", "--unsafe-fixes", name)
    assert b"Fixed 1 file" in proc.stderr, proc.stderr
    return (tmp_path / name).read_bytes()


def test_fix_keeps_crlf(tmp_path):
    (tmp_path / "a.py").write_bytes(GOOD.replace(b"\n", b"\r\n"))
    out = _fix(tmp_path, "a.py")
    assert b"BrokenPipeError" in out and out.count(b"\n") == out.count(b"\r\n")


def test_fix_keeps_latin1_cookie(tmp_path):
    (tmp_path / "a.py").write_bytes(LATIN1)
    out = _fix(tmp_path, "a.py")
    assert out.startswith(b"# -*- coding: latin-1 -*-\n") and b'x = "caf\xe9"\n' in out
    assert b"BrokenPipeError" in out
    out.decode("latin-1")
    with pytest.raises(UnicodeDecodeError):
        out.decode("utf-8")


def test_fix_keeps_bom(tmp_path):
    (tmp_path / "a.py").write_bytes(b"\xef\xbb\xbf" + GOOD)
    out = _fix(tmp_path, "a.py")
    assert out.startswith(b"\xef\xbb\xbfimport socket\n") and out.count(b"\xef\xbb\xbf") == 1
    assert b"BrokenPipeError" in out


def test_fix_keeps_mode(tmp_path):
    p = tmp_path / "a.py"
    p.write_bytes(GOOD)
    p.chmod(0o754)
    _fix(tmp_path, "a.py")
    assert stat.S_IMODE(p.stat().st_mode) == 0o754
    assert not [n for n in os.listdir(tmp_path) if n.startswith(".sigpipe-lint-")]


def test_fix_keeps_missing_trailing_newline(tmp_path):
    (tmp_path / "a.py").write_bytes(GOOD.rstrip(b"\n"))
    out = _fix(tmp_path, "a.py")
    assert b"BrokenPipeError" in out and not out.endswith(b"\n")


# ---------------------------------------------------------------------------------------
# SIGKILL during --fix: every file is either the original or the fully fixed version.


def _socket_sources():
    import sysconfig

    stdlib = Path(sysconfig.get_paths()["stdlib"])
    names = ["socketserver.py", "smtplib.py", "ftplib.py", "imaplib.py", "poplib.py", "http/server.py",
             "http/client.py", "multiprocessing/connection.py", "asyncio/selector_events.py"]
    out = [stdlib / n for n in names if (stdlib / n).is_file()]
    out += sorted(FIXTURES.rglob("*.py"))
    return out


def _make_tree(root: Path, n=300):
    srcs = _socket_sources()
    root.mkdir()
    for i in range(n):
        src = srcs[i % len(srcs)]
        shutil.copyfile(src, root / f"m{i:03d}_{src.stem}.py")


def test_sigkill_during_fix_leaves_old_or_new(tmp_path):
    orig, full, victim = tmp_path / "orig", tmp_path / "full", tmp_path / "victim"
    _make_tree(orig)
    shutil.copytree(orig, full)
    shutil.copytree(orig, victim)
    args = ["--fix", "--unsafe-fixes", "--jobs", "2", "--exit-zero"]
    done = cli(full, *args, ".", timeout=600)
    assert done.returncode in (0, 2), done.stderr[-2000:]
    names = sorted(os.listdir(orig))
    before = {n: (orig / n).read_bytes() for n in names}
    after = {n: (full / n).read_bytes() for n in names}
    assert sum(before[n] != after[n] for n in names) > 50

    proc = subprocess.Popen(
        [sys.executable, "-m", "sigpipe_lint", "check", "--no-cache", "--select", "SPL", *args, "."],
        cwd=victim, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if any((victim / n).read_bytes() != before[n] for n in names):
                break
            time.sleep(0.01)
        else:
            pytest.fail("no file was fixed before the deadline")
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the CLI and its workers
        proc.wait(timeout=30)
    changed = 0
    for n in names:
        data = (victim / n).read_bytes()
        assert data in (before[n], after[n]), n
        changed += data != before[n]
    assert changed < sum(before[n] != after[n] for n in names), "killed too late to prove anything"
    leftovers = [n for n in os.listdir(victim) if not n.endswith(".py")]
    # A temporary file may survive a SIGKILL between mkstemp and os.replace; never under a .py name.
    assert all(n.startswith(".sigpipe-lint-") and n.endswith(".tmp") for n in leftovers), leftovers


def test_parse_skips_node_checks_only_while_parsing():
    # parse() builds its tree without libcst's per-node checks (the grammar already made
    # them); nodes built afterwards, by the fixes, must be checked as before, also after a
    # parse that failed. An empty Name is invalid: libcst refuses to build one.
    import libcst as cst

    from sigpipe_lint.parse import ParseFailure, parse

    module = parse(GOOD)
    assert module.code.encode() == GOOD  # the tree still gives back every byte
    with pytest.raises(cst.CSTValidationError):
        cst.Name("")
    with pytest.raises(ParseFailure):
        parse(b"def f(:\n")
    with pytest.raises(cst.CSTValidationError):
        cst.Name("")


def _nodes(root):
    out, stack = [], [root]
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(node.children)
    return out


def test_parse_builds_the_same_tree_as_libcst(monkeypatch):
    # parse() builds nodes with its own short __init__ (sigpipe_lint.parse._fast_init);
    # the tree must be libcst's own, node for node, on code that uses every kind of node
    # the stdlib's socket modules and this project's fixtures hold; each default a factory
    # makes (whitespace nodes) must be its own object, as libcst builds it; and after the
    # parse each class has its dataclass __init__ back.
    import dataclasses

    import libcst as cst

    from sigpipe_lint import parse as parse_mod

    root = Path(__file__).resolve().parents[1]
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    sources = [p.read_bytes() for p in sorted((root / "fixtures").rglob("*.py"))]
    sources += [(stdlib / n).read_bytes() for n in ("socketserver.py", "asyncio/base_events.py", "typing.py", "dataclasses.py")]
    fast = parse_mod._fast_inits()
    assert len(fast) > 100  # nearly every node class has one
    for source in sources:
        try:
            ours = parse_mod.parse(source)
        except parse_mod.ParseFailure:
            continue
        with monkeypatch.context() as m:
            m.setattr(parse_mod, "_FAST_INITS", {})  # libcst's own __init__s
            m.setattr(parse_mod, "SHARED_LEAVES", ())  # and a whitespace node per gap
            theirs = parse_mod.parse(source)
        assert ours.deep_equals(theirs)
        assert ours.code == theirs.code
    # Whitespace leaves are shared within a tree (one object per text), and the names
    # the native parser looks up are libcst's classes again once the parse is over.
    leaves = [n for n in _nodes(parse_mod.parse(sources[-1])) if isinstance(n, (cst.SimpleWhitespace, cst.Newline))]
    assert len(leaves) > 1000 and len({id(n) for n in leaves}) < 100
    from libcst._nodes.whitespace import Newline, SimpleWhitespace

    assert cst.SimpleWhitespace is SimpleWhitespace and cst.Newline is Newline
    # The parser passes every argument; other callers may omit those with defaults: a
    # default factory must then run once per node, as in the dataclass __init__.
    compared = 0
    for cls, (_slow, quick) in fast.items():
        fields = dataclasses.fields(cls)
        if any(f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING for f in fields):
            continue
        try:
            reference = cls()
        except (cst.CSTValidationError, TypeError, ValueError):
            continue
        a, b = object.__new__(cls), object.__new__(cls)
        quick(a)
        quick(b)
        assert a.deep_equals(reference), cls
        for f in fields:
            if f.default_factory is not dataclasses.MISSING:
                assert getattr(a, f.name) is not getattr(b, f.name), (cls, f.name)
        compared += 1
    assert compared > 20
    for cls, (slow, quick) in fast.items():
        assert cls.__dict__["__init__"] is slow is not quick
        assert dataclasses.is_dataclass(cls)


def test_shared_leaf_makers_build_what_they_do_not_expect_as_the_class_does():
    import libcst as cst

    from sigpipe_lint import parse as parse_mod

    make = parse_mod._shared_leaves()["SimpleWhitespace"]
    assert make(value=" ") is make(value=" ") is not make(value="  ")
    assert isinstance(make(" "), cst.SimpleWhitespace) and make(" ").value == " "
    # arguments the class does not take: refused as the class refuses them
    with pytest.raises(TypeError):
        make(value=" ", other=1)
    with pytest.raises(TypeError):
        make(other=1)
    newline = parse_mod._shared_leaves()["Newline"]
    assert newline(value=None) is newline(value=None) and newline(value="\r\n").value == "\r\n"


WRITE_EDGES = [
    b"s.send(b'x')", b"s . \n   send(x)", b"s.sendall", b"s.sender(x)", b"s.send_x", b"send(x)", b"x = sendall",
    b"loop.sock_sendall(s, b)", b"loop. sock_sendfile(s, f)", b"loop.sock_send(s)", b"f = s.makefile ('wb')",
    b"s.makefile", b"await w.drain()", b"await w.drain", b"await w.wait_closed ()", b"self.wfile", b"wrap_socket",
    b"ssl.SSLSocket", b"def copyfile(self, a, b):", b"def  copyfile (", b"undef copyfile(", b"xdef copyfile(",
    b"def\tcopyfile(", b"defcopyfile(", b"copyfile(", b".send", b"sock_send", b"._sock_sendall(", b"\n.send(",
]
IMPORT_EDGES = [
    b"import socket", b"import socketserver as s", b"from http.server import X", b"x = 1; import ssl",
    b"if y: import asyncio", b"import os, socket", b"import sockets", b"import mysocket", b"# import socket",
    b"s = 'import socket'", b"from . import http", b"import os\nsocket", b"from gevent import server",
    b"\xef\xbb\xbfimport socket", b"x.wrap_socket(s)", b"import xmlrpc.client", b"from wsgiref import simple_server",
    b"\rimport ssl", b"importsocket", b"import\tsocket", b"  from\tasyncio import x", b"print(socket); import os",
]


def test_the_prefilters_searches_answer_what_its_regexes_answer():
    # _writes and _imports_socket_source are the fast forms of _WRITE.search and
    # _SOCKET_SOURCE.search: the same answer on every edge of their patterns, alone and
    # inside text, and on every file of the standard library.
    import sysconfig

    from sigpipe_lint import prefilter as pf

    texts = list(WRITE_EDGES) + list(IMPORT_EDGES)
    texts += [b"x = 1\n" + t + b"\ny = 2\n" for t in texts] + [a + b + a for a in texts[:20] for b in texts[20:40]]
    root = sysconfig.get_paths()["stdlib"]
    for folder in ("", "asyncio", "http", "xmlrpc", "wsgiref", "multiprocessing", "test"):
        if not os.path.isdir(os.path.join(root, folder)):
            continue  # a distribution may ship the stdlib without its tests
        for name in sorted(os.listdir(os.path.join(root, folder)))[:400]:
            if name.endswith(".py"):
                with open(os.path.join(root, folder, name), "rb") as f:
                    texts.append(f.read())
    assert len(texts) > 1000
    for text in texts:
        assert pf._writes(text) is bool(pf._WRITE.search(text)), text[:80]
        assert pf._imports_socket_source(text) is bool(pf._SOCKET_SOURCE.search(text)), text[:80]
    assert sum(pf._writes(t) for t in texts) > 100 and sum(pf._imports_socket_source(t) for t in texts) > 100
