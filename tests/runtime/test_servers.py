"""Server fixtures: a client (the pytest plugin's `dying_client`, in both variants) asks
for a long response and dies mid-stream; the server must still answer a fresh connection
(and, once fixed, print no traceback)."""
import pytest

import runtime_harness as h

SERVERS = h.fixtures_of("server")
IDS = [p.stem for p in SERVERS]


def test_there_are_server_fixtures_with_valid_headers():
    assert len(SERVERS) >= 2
    for p in SERVERS:
        hd = h.headers(p)
        assert hd.get("dies") in ("traceback", "handler-traceback"), p
        assert hd.get("protocol") in h.REQUESTS, p


def _answers(port, protocol):
    expected = h.REQUESTS[protocol][2]
    answer = h.probe(port, protocol)
    return expected in answer, answer


@pytest.mark.peer_variants
@pytest.mark.parametrize("script", SERVERS, ids=IDS)
def test_original_server(script, dying_client):
    hd = h.headers(script)
    server, port = h.start_server(script)
    try:
        ok, answer = _answers(port, hd["protocol"])
        assert ok, f"the server does not answer before any client died: {answer!r}\n{server.describe()}"
        dying_client(port, h.REQUESTS[hd["protocol"]][0])
        if hd["dies"] == "traceback":
            rc = server.wait(h.DEATH_TIMEOUT)
            server.stop()
            d = server.describe()
            assert rc is not None and rc > 0, f"expected the server to crash (rc={rc})\n{d}"
            assert "Traceback" in server.err.text, d
            assert any(e in server.err.text for e in h.ERRORS), d
        else:
            # The servers are single-threaded: the fresh connection is answered only after
            # the dead client's handler has ended, so its traceback has been written.
            ok, answer = _answers(port, hd["protocol"])
            assert ok, f"the server stopped answering: {answer!r}\n{server.describe()}"
            assert server.alive(), server.describe()
            m = server.err.wait_for("|".join(h.ERRORS), h.DEATH_TIMEOUT)
            assert m is not None, "expected socketserver to print the handler's traceback\n" + server.describe()
            assert "Traceback" in server.err.text, server.describe()
    finally:
        server.stop()


@pytest.mark.peer_variants
@pytest.mark.parametrize("script", SERVERS, ids=IDS)
def test_fixed_server_keeps_serving_quietly(script, fixed, dying_client):
    hd = h.headers(script)
    stream, ping, pong = h.REQUESTS[hd["protocol"]]
    copy = fixed(script)
    server, port = h.start_server(copy)
    d = f"--- fixed source ---\n{copy.read_text()}\n"
    try:
        # two dead clients, each followed by a fresh connection that must be answered
        for _ in range(2):
            answer = dying_client.assert_server_survives(port, stream, ping)
            assert pong in answer, f"the fixed server answered {answer!r}\n{d}{server.describe()}"
        assert server.alive(), d + server.describe()
    finally:
        server.stop()
    assert "Traceback" not in server.err.text, d + server.describe()
