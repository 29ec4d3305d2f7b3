"""The checker over the installed CPython standard library: no crash, and a sound pre-filter."""

import os
import sysconfig

import pytest
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from expectations import fixture_files
from sigpipe_lint.engine import analyze_source
from sigpipe_lint.rules import ALL_RULES

ALL_CODES = [r.code for r in ALL_RULES]
STDLIB = Path(sysconfig.get_paths()["stdlib"])


def stdlib_files():
    out = []
    for root, dirs, files in os.walk(STDLIB):
        dirs[:] = [d for d in dirs if d not in ("site-packages", "__pycache__")]
        out.extend(Path(root) / f for f in files if f.endswith(".py"))
    return sorted(out)


# Files the engine may fail on: the stdlib's own deliberately broken test data (Python
# refuses them too, checked below), and grammar tests libcst's parser does not accept
# (e.g. `(pars): bool = True`, a parenthesised annotated target).
LIBCST_LIMITS = {"test_grammar.py", "ann_module.py"}


def _both_ways(path):
    source = path.read_bytes()
    filtered = analyze_source(source, str(path), ALL_CODES)
    full = filtered
    if filtered.prefiltered:
        full = analyze_source(source, str(path), ALL_CODES, prefilter=False)
    python_accepts = True
    if full.error:
        try:
            compile(source, str(path), "exec", dont_inherit=True)
        except (SyntaxError, ValueError):
            python_accepts = False
    dropped = [(f.line, f.code) for f in full.findings] if filtered.prefiltered else []
    return str(path), filtered.prefiltered, dropped, full.error, python_accepts, len(full.findings)


def test_stdlib_without_crash_and_prefilter_drops_no_finding():
    files = stdlib_files()
    assert len(files) > 1000  # the whole stdlib with its tests: about 1,800 files
    dropped_with_findings, unexplained_errors = [], []
    analysed = findings = 0
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        for path, prefiltered, dropped, error, python_accepts, n in pool.map(_both_ways, files, chunksize=8):
            if dropped:
                dropped_with_findings.append((path, dropped))
            if error and (python_accepts and os.path.basename(path) not in LIBCST_LIMITS or "internal" in error):
                unexplained_errors.append((path, error))
            if not prefiltered:
                analysed += 1
                findings += n
    assert dropped_with_findings == []
    assert unexplained_errors == []
    # socket.py, socketserver.py, http/*, ftplib, ... survive the pre-filter; ftplib,
    # http.server, nntplib and telnetlib alone hold more than ten findings.
    assert analysed > 20 and findings > 10


def test_prefilter_drops_no_fixture_finding():
    for path in fixture_files():
        source = path.read_bytes()
        full = analyze_source(source, str(path), ALL_CODES, prefilter=False)
        if full.findings:
            assert not analyze_source(source, str(path), ALL_CODES).prefiltered, path



@pytest.mark.parametrize(
    "imports, write, survives",
    [
        ("import os", "os.write(fd, b'x')", True),
        ("import posix", "posix.write(fd, b'x')", True),
        ("import os as _os", "_os.write(fd, b'x')", True),
        ("from os import write as put", "put(fd, b'x')", True),
        ("import os", "print(fd)", False),
        ("import sys", "sys.stdout.write(str(fd))", False),
    ],
)
def test_prefilter_keeps_fileno_only_with_os_write_in_sight(imports, write, survives):
    # A descriptor from fileno() is written to only through os.write: a file whose only
    # way to write is `fileno` survives the pre-filter when os.write can be named in it;
    # each one that survives here holds a finding, each one dropped holds none.
    from sigpipe_lint.prefilter import may_match

    source = (
        f"import socket\n{imports}\n\n"
        f"def f():\n    sock = socket.create_connection(('h', 1))\n    fd = sock.fileno()\n    {write}\n"
    ).encode()
    assert may_match(source) is survives
    full = analyze_source(source, "m.py", ALL_CODES, prefilter=False)
    assert bool(full.findings) is survives, full.findings


def test_prefilter_looks_up_the_project_only_when_the_bytes_leave_it_open():
    # Finding a file's project costs stats; a file its bytes decide never asks for it.
    from sigpipe_lint.prefilter import may_match

    def never():
        raise AssertionError("looked up the project of a file its bytes decide")

    assert may_match(b"x = 1\n", never) is False  # no way to write
    assert may_match(b"import socket\ns.sendall(b'x')\n", never) is True  # a socket source
    asked = []
    assert may_match(b"def f(s):\n    s.sendall(b'x')\n", lambda: asked.append(1) or ("pkg",)) is True
    assert asked == [1]


_SOCK = "import socket\n\ndef f(data):\n    sock = socket.create_connection(('h', 1))\n    "


@pytest.mark.parametrize(
    "source",
    [
        _SOCK + "sock.send(data)\n",
        _SOCK + "sock.sendall(data)\n",
        _SOCK + "sock.sendto(data, ('h', 1))\n",
        _SOCK + "sock.sendmsg([data])\n",
        _SOCK + "sock.sendfile(data)\n",
        _SOCK + "sock.makefile('wb').write(data)\n",
        "import socketserver\n\nclass H(socketserver.StreamRequestHandler):\n    def handle(self):\n        self.wfile.write(b'x')\n",
        "import socket, ssl\n\ndef f(ctx, data):\n    s = ctx.wrap_socket(socket.create_connection(('h', 1)))\n    s.write(data)\n",
        "import asyncio\n\nasync def f(data):\n    r, w = await asyncio.open_connection('h', 1)\n    w.write(data)\n    await w.drain()\n",
        "import asyncio, socket\n\nasync def f(loop, data):\n    s = socket.create_connection(('h', 1))\n    await loop.sock_sendall(s, data)\n",
    ],
    ids=["send", "sendall", "sendto", "sendmsg", "sendfile", "makefile", "wfile", "wrap_socket", "drain", "sock_sendall"],
)
def test_prefilter_keeps_every_way_to_write(source):
    # Each way the pre-filter knows to write (its _WRITE pattern, and the substrings it
    # tests before it): a file whose only write is that one survives, and holds a finding.
    from sigpipe_lint.prefilter import may_match

    source = source.encode()
    assert may_match(source)
    assert analyze_source(source, "m.py", ALL_CODES, prefilter=False).findings


def test_prefilter_keeps_sigpipe_only_beside_sig_dfl_or_a_write():
    # A reset names both; SIGPIPE alone (subprocess.py: in a tuple of signal names, or
    # a policy that sets it to SIG_IGN) can only matter to a module that writes.
    from sigpipe_lint.prefilter import may_match

    reset = b"import signal\n\nsignal.signal(signal.SIGPIPE, signal.SIG_DFL)\n"
    assert may_match(reset)
    assert analyze_source(reset, "m.py", ALL_CODES, prefilter=False).findings
    for alone in (
        b"import signal\n\nfor name in ('SIGPIPE', 'SIGXFSZ'):\n    signal.signal(getattr(signal, name), handler)\n",
        b"import signal\n\nsignal.signal(signal.SIGPIPE, signal.SIG_IGN)\n",
    ):
        assert not may_match(alone)
        assert not analyze_source(alone, "m.py", ALL_CODES, prefilter=False).findings
