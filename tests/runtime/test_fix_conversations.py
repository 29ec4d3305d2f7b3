"""Issue 10: a fixed program ends the whole conversation with a dead peer.

The fixtures with a `# conversation:` header are the everyday shapes where a fix at the
write used to leave the program writing to the closed socket. Their fixed copies run under
the audit in `audit/sitecustomize.py` (loaded through PYTHONPATH): after the peer's death
no write, flush or shutdown may reach that socket again, nothing may write to a closed
socket, and no socket may be closed twice. The fix's own message on stderr proves the
death was met (not dodged by timing). A `# fixed-stdout:` header is a line the fixed copy
must print (the reconnecting client tries again).

test_clients.py / test_servers.py already check that each original dies and each fixed
copy survives both kinds of death; this file adds what "ends the conversation" means.
"""
import os
import re
import textwrap
from pathlib import Path

import pytest

import runtime_harness as h

AUDIT_DIR = Path(__file__).resolve().parent / "audit"
AUDIT_MARK = "sigpipe-lint-audit:"
FIX_MESSAGE = "sigpipe-lint: the peer closed the connection"


def extra_headers(path: Path) -> dict:
    out = {}
    for line in path.read_text().splitlines():
        m = re.match(r"#\s*(conversation|fixed-stdout):\s*(.+)$", line)
        if m:
            out[m.group(1)] = m.group(2).strip()
        elif line.strip() and not line.startswith("#"):
            break
    return out


def conversations(kind):
    return [p for p in h.fixtures_of(kind) if "conversation" in extra_headers(p)]


CLIENTS = conversations("client")
SERVERS = conversations("server")


@pytest.fixture
def audited(monkeypatch):
    path = os.environ.get("PYTHONPATH")
    monkeypatch.setenv("PYTHONPATH", str(AUDIT_DIR) + (os.pathsep + path if path else ""))
    monkeypatch.setenv("SIGPIPE_LINT_AUDIT", "1")


def test_every_shape_of_the_issue_has_a_client_and_servers_where_they_fit():
    shapes = [extra_headers(p)["conversation"] for p in CLIENTS]
    for wanted in (
        "before, in and after a loop",
        "two functions, each with its own loop",
        "two helper levels",
        "thread's run() loop",
        "flush() raises",
        "generator-driven loop",
        "followed by shutdown()",
        "reconnecting client",
    ):
        assert any(wanted in s for s in shapes), wanted
    server_shapes = " | ".join(extra_headers(p)["conversation"] for p in SERVERS)
    for wanted in ("socketserver handler writing through a helper method", "http.server", "thread's run()", "shutdown()"):
        assert wanted in server_shapes, wanted


def test_the_audit_sees_a_write_to_a_closed_socket(tmp_path, audited):
    """Positive control: the statement-level fix issue 10 describes (close and return in
    the helper; the loop calls it again) is caught by the audit."""
    script = tmp_path / "old_fix.py"
    script.write_text(textwrap.dedent(
        """
        import socket, sys, time

        def send_frame(sock, data):
            try:
                sock.sendall(data)
            except (BrokenPipeError, ConnectionResetError):
                sock.close()
                return

        sock = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
        for i in range(2000):
            send_frame(sock, b"x" * 4000)
            time.sleep(0.02)
        print("client done")
        """
    ))
    run = h.run_client_against_dying_peer(script, "fin")
    assert run.returncode not in (0, None), run.describe()
    assert f"{AUDIT_MARK} sendall() on a closed socket" in run.stderr, run.describe()


@pytest.mark.parametrize("script", CLIENTS, ids=[p.stem for p in CLIENTS])
def test_fixed_client_ends_the_conversation(script, fixed, audited):
    copy = fixed(script)
    wanted = extra_headers(script).get("fixed-stdout")
    for variant in ("fin", "rst"):
        run = h.run_client_against_dying_peer(copy, variant)
        d = f"--- fixed source ---\n{copy.read_text()}\n" + run.describe()
        assert run.returncode == 0, d
        assert "Traceback" not in run.stderr and AUDIT_MARK not in run.stderr, d
        assert FIX_MESSAGE in run.stderr, "the peer's death was never met\n" + d
        assert "client done" in run.stdout.splitlines(), d
        if wanted:
            assert re.search(wanted, run.stdout, re.M), d


@pytest.mark.parametrize("script", SERVERS, ids=[p.stem for p in SERVERS])
def test_fixed_server_ends_each_conversation_and_serves_the_next(script, fixed, audited):
    protocol = h.headers(script)["protocol"]
    copy = fixed(script)
    server, port = h.start_server(copy)
    try:
        for mode in ("rst", "fin"):
            h.kill_a_streaming_client(port, protocol, mode)
            answer = h.probe(port, protocol)
            assert h.PROBES[protocol][1] in answer, f"not served after a {mode} death: {answer!r}\n{server.describe()}"
        # Each dead client's handler has said so before the server stops.
        assert server.err.wait_for(FIX_MESSAGE, h.DEATH_TIMEOUT) is not None, server.describe()
        assert server.alive(), server.describe()
    finally:
        server.finish()
    d = f"--- fixed source ---\n{copy.read_text()}\n{server.describe()}"
    assert "Traceback" not in server.err.text and AUDIT_MARK not in server.err.text, d
    assert server.err.text.count(FIX_MESSAGE) == 2, d
