"""Server fixtures: a client asks for a long response and is SIGKILLed mid-stream; the
server must still answer a fresh connection (and, once fixed, print no traceback)."""
import pytest

import runtime_harness as h

SERVERS = h.fixtures_of("server")
IDS = [p.stem for p in SERVERS]
MODES = ("rst", "fin")  # how the killed client dies: with unread bytes, or while reading


def test_there_are_server_fixtures_with_valid_headers():
    assert len(SERVERS) >= 2
    for p in SERVERS:
        hd = h.headers(p)
        assert hd.get("dies") in ("traceback", "handler-traceback"), p
        assert hd.get("protocol") in h.PROBES, p


def _answers(port, protocol):
    expected = h.PROBES[protocol][1]
    answer = h.probe(port, protocol)
    return expected in answer, answer


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("script", SERVERS, ids=IDS)
def test_original_server(script, mode):
    hd = h.headers(script)
    server, port = h.start_server(script)
    try:
        ok, answer = _answers(port, hd["protocol"])
        assert ok, f"the server does not answer before any client died: {answer!r}\n{server.describe()}"
        h.kill_a_streaming_client(port, hd["protocol"], mode)
        if hd["dies"] == "traceback":
            rc = server.wait(h.DEATH_TIMEOUT)
            server.finish()
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
        server.finish()


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("script", SERVERS, ids=IDS)
def test_fixed_server_keeps_serving_quietly(script, mode, fixed):
    hd = h.headers(script)
    copy = fixed(script)
    server, port = h.start_server(copy)
    try:
        h.kill_a_streaming_client(port, hd["protocol"], mode)
        ok, answer = _answers(port, hd["protocol"])
        d = f"--- fixed source ---\n{copy.read_text()}\n"
        assert ok, f"the fixed server stopped answering: {answer!r}\n{d}{server.describe()}"
        # a second dead client, then a second fresh connection: it keeps serving
        h.kill_a_streaming_client(port, hd["protocol"], mode)
        ok, answer = _answers(port, hd["protocol"])
        assert ok, f"the fixed server stopped answering: {answer!r}\n{d}{server.describe()}"
        assert server.alive(), d + server.describe()
    finally:
        server.finish()
    assert "Traceback" not in server.err.text, d + server.describe()
