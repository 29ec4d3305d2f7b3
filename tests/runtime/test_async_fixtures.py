"""The asyncio runtime fixtures die where facts 16-17 say, not merely "with a traceback".

test_clients.py and test_servers.py run them like every fixture (the original dies as its
header says, the fixed copy survives FIN and RST, a fixed server serves the next clients);
this file checks the async specifics: which call raised what, for each way the peer died.
"""
import pytest

import runtime_harness as h

A = h.FIXTURES
RESET = "ConnectionResetError: [Errno 104] Connection reset by peer"


def _last_exception_line(stderr: str) -> str:
    """The final `Name: message` line of the (last) traceback."""
    lines = [ln for ln in stderr.splitlines() if ln and not ln.startswith(" ")]
    return lines[-1] if lines else ""


def _run(dying_peer, name):
    script = A / name
    return dying_peer.run([h.PY, script, "{port}"], cwd=script.parent)


@pytest.mark.peer_variants
def test_client_dies_at_the_first_failing_drain(dying_peer):
    run = _run(dying_peer, "a01_async_open_connection.py")
    d = run.describe()
    assert run.returncode == 1, d
    assert "await writer.drain()" in run.stderr, d
    expected = "ConnectionResetError: Connection lost" if run.variant == "fin" else RESET
    assert _last_exception_line(run.stderr) == expected, d


@pytest.mark.peer_variants
def test_broken_pipe_alone_misses_the_first_failure_for_both_peers(dying_peer):
    run = _run(dying_peer, "a05_async_broken_pipe_only.py")
    d = run.describe()
    assert run.returncode == 1 and "server went away" not in run.stderr, d
    assert run.exception == "ConnectionResetError", d


@pytest.mark.peer_variants
def test_reset_alone_survives_the_drain_then_wait_closed_raises(dying_peer):
    run = _run(dying_peer, "a06_async_reset_only.py")
    d = run.describe()
    assert run.returncode == 1 and "server went away" in run.stderr, d
    assert "await writer.wait_closed()" in run.stderr, d
    # FIN: BrokenPipeError, which `except ConnectionResetError` would not have caught either
    assert run.exception == ("BrokenPipeError" if run.variant == "fin" else "ConnectionResetError"), d


@pytest.mark.peer_variants
def test_start_server_logs_the_callback_and_serves_the_next_client(dying_client):
    server, port = h.start_server(A / "a04_async_start_server.py")
    try:
        dying_client(port, h.REQUESTS["line"][0])
        m = server.err.wait_for("Unhandled exception in client_connected_cb", h.DEATH_TIMEOUT)
        assert m is not None, server.describe()
        assert b"PONG" in h.probe(port, "line"), server.describe()
        assert server.alive(), server.describe()
    finally:
        server.stop()
