"""The unsafe fix's scope (issue 10): the owner of the connection, its range, the checks
made before a fix is offered, and the reason given when none is. Runtime proof is in
tests/runtime/test_fix_conversations.py and test_fix_shapes.py."""

import json
import subprocess
import sys
import textwrap

import pytest

from expectations import FIXTURES
from sigpipe_lint.engine import analyze_source
from sigpipe_lint.rules import ALL_RULES

CODES = [r.code for r in ALL_RULES]


def fixed(code: str) -> str:
    result = analyze_source(textwrap.dedent(code).encode(), "t.py", CODES, fix="unsafe")
    assert result.error is None, result.error
    assert result.fixed_source is not None
    assert result.findings == [], [(f.line, f.code, f.fix) for f in result.findings]
    again = analyze_source(result.fixed_source, "t.py", CODES, fix="unsafe")
    assert again.fixed_source is None and again.findings == []  # idempotent, and clean
    return result.fixed_source.decode()


def fixes(code: str):
    result = analyze_source(textwrap.dedent(code).encode(), "t.py", CODES)
    return [(f.code, f.fix) for f in result.findings]


def body_of_try(text: str, first_line: str) -> str:
    """The text from `try:` down to its `except`, for asserting what the range holds."""
    start = text.index("try:")
    end = text.index("except (BrokenPipeError, ConnectionResetError)", start)
    assert first_line in text[start:end]
    return text[start:end]


LIBRARY = """
import signal, socket
signal.signal(signal.SIGPIPE, signal.SIG_IGN)

def push(sock: socket.socket, data):
    sock.sendall(data)
"""


def test_no_owner_in_sight_no_fix_and_the_reason(tmp_path):
    (code, fix), = fixes(LIBRARY)
    assert code == "SPL004" and fix.applicability == "none"
    assert "nothing in this module calls it" in fix.message
    path = tmp_path / "lib.py"
    path.write_text(textwrap.dedent(LIBRARY))
    cmd = [sys.executable, "-m", "sigpipe_lint", "check", "--no-cache", "--select", "SPL004"]
    r = subprocess.run(cmd + ["--output-format", "json", str(path)], capture_output=True, text=True, timeout=120)
    (item,) = json.loads(r.stdout)
    assert item["fix"]["applicability"] == "none" and item["fix"]["message"].startswith("no automatic fix: ")
    r = subprocess.run(cmd + ["--fix", "--unsafe-fixes", str(path)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 1 and path.read_text() == textwrap.dedent(LIBRARY)
    assert "unsafe fix" not in r.stderr  # nothing held back: there is no fix


def test_a_write_before_the_connection_is_made_gets_no_fix():
    code = """
    import socket
    def main(sock):
        sock.sendall(b"early")
    def run():
        sock = None
        main(sock)
        sock = socket.create_connection(("h", 1))
        main(sock)
    """
    found = [fix for _code, fix in fixes(code)]
    # the safe MSG_NOSIGNAL part stays; there is no unsafe part, and the fix says why
    assert found and all("no automatic fix: " in f.message and f.applicability != "unsafe" for f in found), found


def test_helper_before_in_and_after_the_loop_and_shutdown_share_one_range():
    text = fixed(
        """
        import socket
        def frame(sock, data):
            sock.sendall(data)
        def main():
            sock = socket.create_connection(("h", 1))
            frame(sock, b"hello")
            for i in range(3):
                frame(sock, b"x")
            frame(sock, b"bye")
            sock.shutdown(socket.SHUT_WR)
            sock.close()
            print("done")
        """
    )
    inside = body_of_try(text, 'frame(sock, b"hello")')
    assert 'frame(sock, b"bye")' in inside and "sock.shutdown" in inside
    assert "sock.close()" not in inside and text.count("sock.close()") == 1  # closed once
    assert text.index('print("done")') > text.index("except (BrokenPipeError")
    assert "return" not in text and "break" not in text


def test_each_owner_gets_its_own_range():
    text = fixed(
        """
        import socket
        def frame(sock, data):
            sock.sendall(data)
        def upload(host):
            sock = socket.create_connection((host, 1))
            for i in range(3):
                frame(sock, b"x")
        def report(host):
            with socket.create_connection((host, 2)) as conn:
                frame(conn, b"report")
        """
    )
    assert text.count("except (BrokenPipeError, ConnectionResetError) as exc:") == 2
    # upload() made sock and closes nothing: the except closes it; the with closes conn
    assert text.count("sock.close()") == 1 and "conn.close()" not in text


PARALLEL = """
import socket
def two(host):
    {bind}
    a.sendall(b"x")
    b.sendall(b"y")
    return b.recv(10)
def mixed(host):
    {mixed}
    s.sendall(b"y")
    return n
"""


def test_connections_made_by_one_parallel_assignment_are_fixed_as_if_made_apart():
    together = ('a, b = socket.create_connection((host, 1)), socket.create_connection((host, 2))',
                'n, s = 0, socket.create_connection((host, 1))')
    apart = ('a = socket.create_connection((host, 1))\n    b = socket.create_connection((host, 2))',
             'n = 0\n    s = socket.create_connection((host, 1))')
    text = fixed(PARALLEL.format(bind=together[0], mixed=together[1]))
    assert text.count("except (BrokenPipeError, ConnectionResetError) as exc:") == 3
    for t, a in zip(together, apart):
        text = text.replace(t, a)
    assert text == fixed(PARALLEL.format(bind=apart[0], mixed=apart[1]))


def test_a_connection_handed_on_is_not_closed_under_its_new_user():
    text = fixed(
        """
        import socket
        def connect(host):
            sock = socket.create_connection((host, 1))
            sock.sendall(b"HELLO")
            return sock
        def main():
            sock = connect("h")
            for i in range(3):
                sock.sendall(b"x")
            sock.close()
        """
    )
    head = text[text.index("def connect"):text.index("def main")]
    assert "except (BrokenPipeError" in head and "sock.close()" not in head
    assert text.count("except (BrokenPipeError") == 2


def test_names_the_range_binds_are_not_read_after_it():
    text = fixed(
        """
        import socket
        def stream(sock):
            for i in range(3):
                sock.sendall(b"x")
            return True
        def main():
            for attempt in range(3):
                sock = socket.create_connection(("h", 1))
                finished = stream(sock)
                sock.close()
                if finished:
                    break
        """
    )
    inside = body_of_try(text, "finished = stream(sock)")
    assert "if finished:" in inside
    assert "sock.close()" in text[text.index("except (BrokenPipeError"):]  # closed on that path


def test_a_loop_that_does_not_make_the_connection_anew_is_wrapped_whole():
    text = fixed(
        """
        import socket
        def main():
            sock = None
            for attempt in range(3):
                if sock is None:
                    sock = socket.create_connection(("h", 1))
                sock.sendall(b"x")
        """
    )
    assert body_of_try(text, "for attempt in range(3):")


def test_a_use_already_handled_at_the_owner_needs_no_fix():
    code = """
    import socket
    def frame(sock, data):
        sock.sendall(data)
    def main():
        sock = socket.create_connection(("h", 1))
        try:
            for i in range(3):
                frame(sock, b"x")
        except (BrokenPipeError, ConnectionResetError):
            pass
        sock.close()
    """
    assert analyze_source(textwrap.dedent(code).encode(), "t.py", CODES).findings == []


@pytest.mark.parametrize(
    "decorator, params, call",
    [
        ("", "self, data, sock", "Wire.push(w, data=b'x', sock=conn)"),
        ("", "self, sock, data", "Wire.push(w, sock=conn, data=b'x')"),
        ("", "self, sock, data", "Wire.push(w, conn, b'x')"),
        ("@staticmethod", "data, sock", "Wire.push(b'x', conn)"),
        ("@staticmethod", "sock, data", "Wire.push(data=b'x', sock=conn)"),
        ("@classmethod", "cls, data, sock", "Wire.push(data=b'x', sock=conn)"),
    ],
)
def test_the_owner_is_found_through_the_argument_that_fills_the_parameter(decorator, params, call):
    """A plain method called through its class takes the instance first; its parameters
    named by keyword are its own, as a static method's and a class method's are."""
    text = fixed(
        f"""
        import socket
        class Wire:
            {decorator}
            def push({params}):
                sock.sendall(data)
        def main():
            conn = socket.create_connection(('h', 1))
            w = Wire()
            {call}
        """
    )
    assert call in body_of_try(text, call)
    assert "        conn.close()" in text


def test_entries_end_their_own_conversation():
    text = fixed(
        """
        import http.server, socketserver, threading

        class Page(http.server.BaseHTTPRequestHandler):
            def _chunk(self, data):
                self.wfile.write(data)
            def do_GET(self):
                self.send_response(200)
                self.end_headers()
                for i in range(3):
                    self._chunk(b"x")

        class Lines(socketserver.StreamRequestHandler):
            def handle(self):
                self.wfile.write(b"x")
        """
    )
    assert "self.close_connection = True" in text
    assert 'getattr(self.wfile, "raw", self.wfile).close()' in text  # no flush: no write


RUNNABLE = sorted(p for p in (FIXTURES / "runtime").glob("*.py"))


@pytest.mark.parametrize("path", RUNNABLE, ids=[p.stem for p in RUNNABLE])
def test_runtime_fixtures_fix_once_and_recheck_clean(path):
    """Every runnable fixture: fixed once, the second pass changes nothing, and the re-check
    reports only what has no automatic fix (and says why)."""
    source = path.read_bytes()
    first = analyze_source(source, str(path), CODES, fix="unsafe")
    assert first.error is None
    if first.fixed_source is None:
        return
    compile(first.fixed_source, str(path), "exec")
    again = analyze_source(first.fixed_source, str(path), CODES, fix="unsafe")
    assert again.fixed_source is None
    for f in again.findings:
        assert f.fix is not None and f.fix.applicability == "none", (f.line, f.code, f.fix)
