"""Client fixtures: kill the peer mid-stream; the original dies as its header says, the
fixed copy (`check --fix --unsafe-fixes --select SPL`) ends normally."""
import pytest

import runtime_harness as h

CLIENTS = h.fixtures_of("client")
IDS = [p.stem for p in CLIENTS]
VARIANTS = ("fin", "rst")


def test_there_are_client_fixtures_with_valid_headers():
    assert len(CLIENTS) >= 10
    for p in CLIENTS:
        assert h.headers(p).get("dies") in ("traceback", "sigpipe", "thread-traceback", "none"), p


def _names_error(text, variant):
    if variant == "rst":  # the peer died with unread bytes: RST, ECONNRESET (fact 2)
        return "ConnectionResetError" in text
    return any(e in text for e in h.ERRORS)


def assert_original_outcome(run: h.ClientRun, dies: str):
    d = run.describe()
    assert run.returncode is not None, "the original did not end after its peer died\n" + d
    if dies == "none" and run.variant == "rst":
        dies = "traceback"  # it survives FIN only (catches BrokenPipeError, not a reset)
    if dies == "sigpipe" and run.variant == "rst":
        dies = "traceback"  # ECONNRESET raises and sends no signal (fact 10)
    if dies == "sigpipe":
        assert run.returncode == -13, "expected death by SIGPIPE (-13)\n" + d
        assert "Traceback" not in run.stderr, d
        assert "client done" not in run.stdout, d
    elif dies == "traceback":
        assert run.returncode > 0, "expected a crash with a traceback\n" + d
        assert "Traceback" in run.stderr and _names_error(run.stderr, run.variant), d
        assert "client done" not in run.stdout, d
    elif dies == "thread-traceback":
        assert run.returncode == 0, "a dead worker thread does not change the exit status\n" + d
        assert "Traceback" in run.stderr and _names_error(run.stderr, run.variant), d
        assert "client done" in run.stdout, d
    elif dies == "none":
        assert run.returncode == 0, d
        assert "Traceback" not in run.stderr, d
        assert "client done" in run.stdout, d
    else:  # pragma: no cover
        raise AssertionError(f"unknown dies: {dies}")


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("script", CLIENTS, ids=IDS)
def test_original_dies_as_its_header_says(script, variant):
    run = h.run_client_against_dying_peer(script, variant)
    assert_original_outcome(run, h.headers(script)["dies"])


@pytest.mark.parametrize("script", CLIENTS, ids=IDS)
def test_fixed_copy_survives_the_dead_peer(script, fixed):
    copy = fixed(script)
    for variant in VARIANTS:
        run = h.run_client_against_dying_peer(copy, variant)
        d = f"--- fixed source ---\n{copy.read_text()}\n" + run.describe()
        assert run.returncode is not None, "the fixed copy did not end after its peer died\n" + d
        assert run.returncode >= 0, f"the fixed copy was killed by signal {-run.returncode}\n" + d
        assert "Traceback" not in run.stderr, d
        assert run.returncode == 0, d
        assert "client done" in run.stdout.splitlines(), d
