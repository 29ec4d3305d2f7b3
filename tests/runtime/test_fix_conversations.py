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
import re
import textwrap

import pytest

import runtime_harness as h
from fix_audit import AUDIT_MARK, FIX_MESSAGE, audit_env, extra_headers, wait_count


def conversations(kind):
    return [p for p in h.fixtures_of(kind) if "conversation" in extra_headers(p)]


CLIENTS = conversations("client")
SERVERS = conversations("server")


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


def test_the_audit_sees_a_write_to_a_closed_socket(tmp_path, dying_peer):
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
    run = dying_peer.run([h.PY, script, "{port}"], cwd=tmp_path, env=audit_env())
    assert run.returncode not in (0, None), run.describe()
    assert f"{AUDIT_MARK} sendall() on a closed socket" in run.stderr, run.describe()


@pytest.mark.peer_variants
@pytest.mark.parametrize("script", CLIENTS, ids=[p.stem for p in CLIENTS])
def test_fixed_client_ends_the_conversation(script, fixed, dying_peer):
    copy = fixed(script)
    run = dying_peer.run([h.PY, copy, "{port}"], cwd=copy.parent, env=audit_env())
    d = f"--- fixed source ---\n{copy.read_text()}\n" + run.describe()
    assert run.returncode == 0, d
    assert "Traceback" not in run.stderr and AUDIT_MARK not in run.stderr, d
    assert FIX_MESSAGE in run.stderr, "the peer's death was never met\n" + d
    assert "client done" in run.stdout.splitlines(), d
    wanted = extra_headers(script).get("fixed-stdout")
    if wanted:
        assert re.search(wanted, run.stdout, re.M), d


@pytest.mark.parametrize("script", SERVERS, ids=[p.stem for p in SERVERS])
def test_fixed_server_ends_each_conversation_and_serves_the_next(script, fixed, monkeypatch):
    from sigpipe_lint.prove.peer import DyingClient

    for name, value in audit_env().items():
        monkeypatch.setenv(name, value)  # the server inherits the audit
    stream, ping, pong = h.REQUESTS[h.headers(script)["protocol"]]
    copy = fixed(script)
    server, port = h.start_server(copy)
    try:
        for variant in ("rst", "fin"):
            answer = DyingClient(variant).assert_server_survives(port, stream, ping)
            assert pong in answer, f"not served after a {variant} death: {answer!r}\n{server.describe()}"
        # each dead client's conversation has been ended and said so (a thread per client:
        # the second may say so after the fresh connection was answered)
        assert wait_count(server.err, FIX_MESSAGE, 2, h.DEATH_TIMEOUT) == 2, server.describe()
        assert server.alive(), server.describe()
    finally:
        server.stop()
    d = f"--- fixed source ---\n{copy.read_text()}\n{server.describe()}"
    assert "Traceback" not in server.err.text and AUDIT_MARK not in server.err.text, d
    assert server.err.text.count(FIX_MESSAGE) == 2, d
