"""Idioms of issue 9 that a folder fixture cannot judge alone: columns, fixes, messages."""

from expectations import FIXTURES, all_codes
from sigpipe_lint.engine import analyze_source
from sigpipe_lint.parse import LibcstOnlyFailure, parse

import pytest

CODES = all_codes()
MIXED = FIXTURES / "program" / "p13_mixed_indentation" / "mixed.py"


def test_mixed_indentation_is_analysed_in_the_users_columns_and_never_fixed():
    source = MIXED.read_bytes()
    with pytest.raises(LibcstOnlyFailure):  # the premise: libcst alone refuses this file
        parse(source)
    compile(source, str(MIXED), "exec")  # and Python accepts it
    lines = source.decode().splitlines()
    line = next(i for i, text in enumerate(lines, 1) if "sock.sendall" in text)
    text = lines[line - 1]
    assert "\t" in text[: text.index("self")]  # the reported line's indentation holds a tab
    column = text.index("self.sock.sendall") + 1  # characters, as in every other file
    end = text.index("(data)") + len("(data)") + 1
    result = analyze_source(source, str(MIXED), CODES)
    assert result.error is None
    # One finding per write: SPL001 reports it, SPL004 yields.
    assert [(f.line, f.column, f.end_column, f.code) for f in result.findings] == [(line, column, end, "SPL001")]
    # no fix, and the fix says why (the reason is the indentation)
    assert all(f.fix.applicability == "none" and "mixes tabs and spaces" in f.fix.reasons[0] for f in result.findings)
    for mode in ("safe", "unsafe"):
        fixed = analyze_source(source, str(MIXED), CODES, fix=mode)
        assert fixed.error is None and fixed.fixed_source is None, mode  # never the expanded text
        assert not any(f.fix.has_unsafe_part for f in fixed.findings)  # no unsafe fix held back


def test_a_request_handlers_write_says_its_server_keeps_serving():
    # semantics.md 14: socketserver and http.server catch a handler's exception, print it
    # (handle_error) and keep serving: the messages say so, not that the program crashes
    # (tests/runtime/test_servers.py holds the socketserver fixtures to it at run time).
    # A plain socket's write in the same module still crashes the program.
    source = b"""\
import socket
import socketserver


class Echo(socketserver.StreamRequestHandler):
    def handle(self):
        for line in self.rfile:
            self.wfile.write(line)
        try:
            self.request.sendall(b"bye")
        except BrokenPipeError:
            pass


def ping(host):
    s = socket.create_connection((host, 7))
    s.sendall(b"ping")
"""
    by = {}
    for f in analyze_source(source, "t.py", ["SPL001", "SPL003", "SPL004"]).findings:
        by[(f.line, f.code)] = f.message
    keeps = "the server prints the traceback and keeps serving"
    assert sorted(by) == [(8, "SPL004"), (10, "SPL004"), (11, "SPL003"), (17, "SPL004")]
    for line in (8, 10):
        assert keeps in by[(line, "SPL004")] and "crashes" not in by[(line, "SPL004")]
    assert "ConnectionResetError out of this request handler: " + keeps in by[(11, "SPL003")]
    assert "crashes" not in by[(11, "SPL003")]
    assert keeps not in by[(17, "SPL004")] and "the program (or this thread) crashes" in by[(17, "SPL004")]
    # SPL001 (the module has no handler at all without the try): the same outcome
    unguarded = source.replace(b"        try:\n            self.request.sendall(b\"bye\")\n        except BrokenPipeError:\n            pass\n", b"")
    assert unguarded != source
    one = {f.line: f.message for f in analyze_source(unguarded, "t.py", ["SPL001"]).findings}
    assert sorted(one) == [8, 13]
    assert "out of this request handler: " + keeps in one[8]
    assert keeps not in one[13] and "the program crashes with a traceback" in one[13]
