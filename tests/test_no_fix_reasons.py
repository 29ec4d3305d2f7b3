"""Where the engine offers no fix, the finding's fix says why (applicability "none").

One case per place where a planner declines; the SARIF side is in test_formats.py. Text
and flake8 output keep showing the message only."""

import textwrap

import pytest

from sigpipe_lint.engine import analyze_source
from sigpipe_lint.rules import ALL_RULES

CODES = [r.code for r in ALL_RULES]

TLS_UNDER_RESET = """
import signal
import socket
import ssl

signal.signal(signal.SIGPIPE, signal.SIG_IGN)
signal.signal(signal.SIGPIPE, signal.SIG_DFL)


def main():
    raw = socket.create_connection(("example.org", 443))
    s = ssl.create_default_context().wrap_socket(raw, server_hostname="example.org")
    try:
        s.sendall(b"x")
    except (BrokenPipeError, ConnectionResetError):
        pass
    f = raw.makefile("wb")
    try:
        f.write(b"x")
    except (BrokenPipeError, ConnectionResetError):
        pass
"""

# Python accepts this file (tabs, then 8 spaces); libcst parses it only tab-expanded.
MIXED_TABS = (
    "import socket\n\n\nclass Client:\n"
    "\tdef __init__(self, addr):\n"
    "                self.sock = socket.create_connection(addr)\n"
    "\tdef push(self, data):\n"
    "\t        self.sock.sendall(data)\n"
    "\n\ndef main():\n"
    "\tc = Client(('h', 1))\n"
    "\tc.push(b'x')\n"
)

ERRNO_FILTER = """
import errno
import socket

def push(data):
    sock = socket.create_connection(("h", 1))
    try:
        sock.sendall(data)
    except OSError as e:
        if e.errno != errno.EPIPE:
            raise
"""

PARTIAL = """
import functools
import socket

def schedule(loop, addr, data):
    sock = socket.create_connection(addr)
    loop.call_soon(functools.partial(sock.send, data))
"""

RESET_VALUE_USED = """
import signal
old = signal.signal(signal.SIGPIPE, signal.SIG_DFL)
"""

RESET_SHARES_LINE = """
import signal
import sys; signal.signal(signal.SIGPIPE, signal.SIG_DFL)
"""

LIBRARY_NO_OWNER = """
import socket

def push(sock: socket.socket, data):
    sock.sendall(data)
"""


def _findings(code, text=None):
    source = text.encode() if text is not None else textwrap.dedent(code).encode()
    result = analyze_source(source, "t.py", CODES)
    assert result.error is None, result.error
    return result.findings


@pytest.mark.parametrize(
    "source, code, line, reason",
    [
        (TLS_UNDER_RESET, "SPL004", 14, "MSG_NOSIGNAL is not passed: s.sendall() may write to a TLS socket, whose send methods raise ValueError for any flags"),
        (TLS_UNDER_RESET, "SPL004", 19, "MSG_NOSIGNAL is not passed: f.write() takes no flags"),
        (ERRNO_FILTER, "SPL003", 9, "the handler's body re-raises ConnectionResetError, and how to widen that condition is the author's choice"),
        (PARTIAL, "SPL001", 7, "the write happens where functools.partial(sock.send) is called, and nothing in this module calls it"),
        (RESET_VALUE_USED, "SPL002", 3, "the reset's return value is used, and the fix replaces the whole statement"),
        (RESET_SHARES_LINE, "SPL002", 3, "the reset shares its line with other code, and the fix replaces the whole line"),
    ],
    ids=["tls", "no-flags", "errno-filter", "partial", "reset-value-used", "reset-shares-line"],
)
def test_a_finding_without_a_fix_says_why(source, code, line, reason):
    found = [f for f in _findings(source) if f.code == code and f.line == line]
    assert len(found) == 1, [(f.line, f.code) for f in _findings(source)]
    fix = found[0].fix
    assert fix is not None and fix.applicability == "none", fix
    assert reason in fix.reasons, fix.reasons
    assert fix.message.startswith("no automatic fix: ")


def test_mixed_indentation_no_fix_and_why():
    (f,) = [f for f in _findings(None, MIXED_TABS) if f.code == "SPL001"]
    assert f.fix is not None and f.fix.applicability == "none"
    assert f.fix.reasons[0].startswith("the file's indentation mixes tabs and spaces")
    # with the tabs expanded this file's write would have had its safe and unsafe fix
    expanded = _findings(None, MIXED_TABS.expandtabs(8))
    assert [g.fix.applicability for g in expanded if g.code == "SPL001"] == ["safe"]


def test_only_the_safe_part_says_why_the_unsafe_one_is_missing():
    (f,) = _findings(LIBRARY_NO_OWNER)
    assert f.code == "SPL001" and f.fix.applicability == "safe"
    assert f.fix.message.startswith("pass MSG_NOSIGNAL")
    (reason,) = f.fix.reasons
    assert "nothing in this module calls it" in reason


def test_a_declined_safe_part_says_nothing_when_the_complete_fix_exists():
    """A TLS socket gets no MSG_NOSIGNAL, but the wrap ends the crash: the fix is unsafe and
    complete, and no "no automatic fix" reason goes with it."""
    code = """
    import socket
    import ssl

    def main():
        raw = socket.create_connection(("h", 443))
        s = ssl.create_default_context().wrap_socket(raw, server_hostname="h")
        s.sendall(b"x")
        s.close()
    """
    (f,) = _findings(code)
    assert f.code == "SPL001" and f.fix.applicability == "unsafe"
    assert f.fix.reasons == () and "no automatic fix" not in f.fix.message


def test_text_output_is_the_message_only(tmp_path, capsys):
    from sigpipe_lint.cli import main

    path = tmp_path / "t.py"
    path.write_text(textwrap.dedent(TLS_UNDER_RESET))
    assert main(["check", str(path), "--no-cache", "--select", "SPL004"]) == 1
    out = capsys.readouterr().out
    lines = [ln for ln in out.splitlines() if ":14:" in ln]
    assert len(lines) == 1 and lines[0].endswith("or pass MSG_NOSIGNAL") and "no automatic fix" not in out
