"""Client fixtures: the peer dies mid-stream (the pytest plugin's `dying_peer`, in both
variants); the original dies as its header says, the fixed copy (`--fix --unsafe-fixes`,
every rule) ends normally."""
import pytest

import runtime_harness as h

CLIENTS = h.fixtures_of("client")
IDS = [p.stem for p in CLIENTS]


def test_there_are_client_fixtures_with_valid_headers():
    assert len(CLIENTS) >= 10
    for p in CLIENTS:
        assert h.headers(p).get("dies") in ("traceback", "sigpipe", "thread-traceback", "none"), p


def _names_error(text, variant):
    if variant == "rst":  # the peer died with unread bytes: RST, ECONNRESET (fact 2)
        return "ConnectionResetError" in text
    return any(e in text for e in h.ERRORS)


def assert_original_outcome(run, dies: str):
    d = run.describe()
    assert run.returncode is not None, "the original did not end after its peer died\n" + d
    if dies == "none" and run.variant == "rst":
        dies = "traceback"  # it survives FIN only (catches BrokenPipeError, not a reset)
    if dies == "sigpipe" and run.variant == "rst":
        dies = "traceback"  # ECONNRESET raises and sends no signal (fact 10)
    if dies == "sigpipe":
        assert run.returncode == -13, "expected death by SIGPIPE (-13)\n" + d
        assert (run.verdict, run.signal, run.exit_status) == ("crashed", "SIGPIPE", 141), d
        assert "Traceback" not in run.stderr, d
        assert "client done" not in run.stdout, d
    elif dies == "traceback":
        assert run.returncode > 0, "expected a crash with a traceback\n" + d
        assert "Traceback" in run.stderr and _names_error(run.stderr, run.variant), d
        assert run.verdict == "crashed" and run.exception in h.ERRORS, d
        assert "client done" not in run.stdout, d
    elif dies == "thread-traceback":
        assert run.returncode == 0, "a dead worker thread does not change the exit status\n" + d
        assert "Traceback" in run.stderr and _names_error(run.stderr, run.variant), d
        assert run.verdict == "crashed" and run.exception in h.ERRORS, d  # prove still calls it a crash
        assert "client done" in run.stdout, d
    elif dies == "none":
        assert run.returncode == 0, d
        assert run.verdict == "survived", d
        assert "Traceback" not in run.stderr, d
        assert "client done" in run.stdout, d
    else:  # pragma: no cover
        raise AssertionError(f"unknown dies: {dies}")


@pytest.mark.peer_variants
@pytest.mark.parametrize("script", CLIENTS, ids=IDS)
def test_original_dies_as_its_header_says(script, dying_peer):
    run = dying_peer.run([h.PY, script, "{port}"], cwd=script.parent)
    assert_original_outcome(run, h.headers(script)["dies"])


@pytest.mark.peer_variants
@pytest.mark.parametrize("script", CLIENTS, ids=IDS)
def test_fixed_copy_survives_the_dead_peer(script, fixed, dying_peer):
    copy = fixed(script)
    run = dying_peer.assert_survives([h.PY, copy, "{port}"], cwd=copy.parent)
    d = f"--- fixed source ---\n{copy.read_text()}\n" + run.describe()
    assert run.returncode == 0, d
    assert "Traceback" not in run.stderr, d
    assert "client done" in run.stdout.splitlines(), d
