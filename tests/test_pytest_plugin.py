"""The pytest plugin (`dying_peer`, `dying_client`, `peer_variants`) as users meet it: in
test files run by pytester, and from a separate folder against a fresh install."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CLIENTS = '''
import signal, socket, sys, threading, time

import pytest

from sigpipe_lint.pytest_plugin import PeerError, assert_survives_peer_death


def push(port, careful):
    """A client: streams until its peer dies; careful ones stop quietly."""
    s = socket.create_connection(("127.0.0.1", port))
    try:
        for i in range(500):
            s.sendall(b"x" * 1000)
            time.sleep(0.01)
    except (BrokenPipeError, ConnectionResetError):
        if not careful:
            raise
    finally:
        s.close()
    return "stopped"


@pytest.mark.peer_variants
def test_careful_client(dying_peer):
    outcome = dying_peer.assert_survives(lambda: push(dying_peer.port, careful=True))
    assert outcome.verdict == "survived" and outcome.how == "returned 'stopped'"


@pytest.mark.peer_variants
def test_careless_client(dying_peer):
    dying_peer.assert_survives(lambda: push(dying_peer.port, careful=False))


def test_careless_command_under_sig_dfl(dying_peer, tmp_path):
    script = tmp_path / "client.py"
    script.write_text(
        "import signal, socket, sys, time\\n"
        "signal.signal(signal.SIGPIPE, signal.SIG_DFL)\\n"
        "s = socket.create_connection((sys.argv[1], int(sys.argv[2])))\\n"
        "for i in range(500):\\n"
        "    s.sendall(b'x' * 1000)\\n"
        "    time.sleep(0.01)\\n"
    )
    assert_survives_peer_death([sys.executable, str(script), "{host}", "{port}"], dying_peer)


def test_outcome_of_a_crash_can_be_asserted(make_dying_peer):
    peer = make_dying_peer("rst")
    outcome = peer.run(lambda: push(peer.port, careful=False))
    assert (outcome.verdict, outcome.exception) == ("crashed", "ConnectionResetError")


def test_hanging_client(dying_peer):
    def hang():
        s = socket.create_connection(("127.0.0.1", dying_peer.port))
        s.sendall(b"hello")
        threading.Event().wait(30)

    dying_peer.assert_survives(hang, death_timeout=0.5)


def test_on_demand(dying_peer):
    dying_peer.after_bytes = None
    s = socket.create_connection(("127.0.0.1", dying_peer.port))
    s.sendall(b"x" * 100000)  # the peer reads it all and stays alive
    assert dying_peer.wait_received(10) and not dying_peer.died.is_set()
    dying_peer.kill()
    with pytest.raises(BrokenPipeError):  # FIN, the RST answering a write, then EPIPE
        for i in range(100):
            s.sendall(b"x" * 1000)
            time.sleep(0.01)
    s.close()


def test_never_connects(dying_peer):
    with pytest.raises(PeerError, match="never connected"):
        dying_peer.run(lambda: None, connect_timeout=0.5)


@pytest.mark.parametrize("peer_variant", ["rst"])
@pytest.mark.peer_variants
def test_explicit_variant_wins(dying_peer, peer_variant):
    assert dying_peer.variant == "rst"
'''

SERVERS = '''
import socket, threading, time

import pytest


def serve(careful):
    """A one-thread server: each client gets a long stream; careless ones die with it."""
    srv = socket.create_server(("127.0.0.1", 0))
    srv.settimeout(30)

    def loop():
        while True:
            try:
                conn, _ = srv.accept()
            except OSError:
                return
            conn.recv(100)
            try:
                for i in range(2000):
                    conn.sendall(b"y" * 1000)
                    time.sleep(0.002)
            except (BrokenPipeError, ConnectionResetError):
                if not careful:
                    raise
            finally:
                conn.close()

    threading.Thread(target=loop, daemon=True).start()
    return srv


@pytest.mark.peer_variants
def test_careful_server(dying_client):
    srv = serve(careful=True)
    assert dying_client.assert_server_survives(srv.getsockname()[1], b"GO\\n")
    srv.close()


def test_careless_server(dying_client):
    srv = serve(careful=False)
    dying_client.assert_server_survives(srv.getsockname()[1], b"GO\\n", timeout=2)
'''


def test_client_fixtures_in_a_user_test_file(pytester):
    pytester.makepyfile(test_user_clients_of_the_plugin=CLIENTS)
    result = pytester.runpytest("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=6, failed=4)
    result.stdout.fnmatch_lines_random([
        "E *AssertionError: *<lambda> did not survive its peer's death (fin): crashed: raised BrokenPipeError: *",
        "E *AssertionError: *<lambda> did not survive its peer's death (rst): crashed: raised ConnectionResetError: *",
        "E *AssertionError: * did not survive its peer's death (fin): crashed: SIGPIPE (exit status 141)",
        "E *AssertionError: *hang did not survive its peer's death (fin): kept running: still running 0.5s after its peer died",
    ])
    # what ran: both variants where asked, and the explicit one alone
    result.stdout.no_fnmatch_line("*test_explicit_variant_wins?fin*")


def test_server_fixtures_in_a_user_test_file(pytester):
    pytester.makepyfile(test_user_servers_of_the_plugin=SERVERS)
    result = pytester.runpytest("-p", "no:cacheprovider", "-v")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines_random([
        "*test_careful_server?fin? PASSED*",
        "*test_careful_server?rst? PASSED*",
        "E *AssertionError: the server at * did not answer a second client after a client died (fin): no answer",
    ])


def test_the_marker_is_registered(pytester):
    pytester.makepyfile(test_user_marker_of_the_plugin="import pytest\n@pytest.mark.peer_variants\ndef test_x(peer_variant): pass\n")
    result = pytester.runpytest("-p", "no:cacheprovider", "--strict-markers", "-q")
    result.assert_outcomes(passed=2)


USER_TEST = '''
import socket, subprocess, sys, time

import pytest


def test_a_careless_client_dies(dying_peer):
    def push():
        s = socket.create_connection(("127.0.0.1", dying_peer.port))
        for i in range(500):
            s.sendall(b"x" * 1000)
            time.sleep(0.01)

    outcome = dying_peer.run(push)
    assert outcome.verdict == "crashed" and outcome.exception == "BrokenPipeError"


@pytest.mark.peer_variants
def test_a_careful_command_survives(dying_peer, tmp_path):
    script = tmp_path / "client.py"
    script.write_text(
        "import socket, sys, time\\n"
        "s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))\\n"
        "try:\\n"
        "    for i in range(500):\\n"
        "        s.sendall(b'x' * 1000)\\n"
        "        time.sleep(0.01)\\n"
        "except (BrokenPipeError, ConnectionResetError):\\n"
        "    pass\\n"
    )
    dying_peer.assert_survives([sys.executable, str(script), "{port}"])


@pytest.mark.peer_variants
def test_a_server_survives(dying_client, tmp_path):
    script = tmp_path / "server.py"
    script.write_text(
        "import socket, sys\\n"
        "srv = socket.create_server(('127.0.0.1', int(sys.argv[1])))\\n"
        "while True:\\n"
        "    conn, _ = srv.accept()\\n"
        "    conn.recv(100)\\n"
        "    try:\\n"
        "        for i in range(2000):\\n"
        "            conn.sendall(b'y' * 1000)\\n"
        "    except (BrokenPipeError, ConnectionResetError):\\n"
        "        pass\\n"
        "    conn.close()\\n"
    )
    dying_client.assert_server_survives([sys.executable, str(script), "{port}"], b"GO\\n")
'''


def test_installed_package_serves_a_separate_test_folder(tmp_path):
    """pip install the project into a fresh venv (pip's cache makes it quick), then run a
    user's test folder with no conftest and no configuration: the fixtures are there."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    py = venv / "bin" / "python"
    install = subprocess.run(
        [str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check", str(ROOT), "pytest"],
        capture_output=True, text=True, timeout=600,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    user = tmp_path / "user_project"
    user.mkdir()
    (user / "test_network.py").write_text(USER_TEST)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "PYTHONPATH"))}
    run = subprocess.run(
        [str(py), "-m", "pytest", "-p", "no:cacheprovider", "-v"],
        cwd=user, capture_output=True, text=True, timeout=300, env=env,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "5 passed" in run.stdout, run.stdout
    assert "test_a_server_survives[rst] PASSED" in run.stdout, run.stdout
    # the plugin came from the fresh install, not from this checkout
    where = subprocess.run([str(py), "-c", "import sigpipe_lint.pytest_plugin as p; print(p.__file__)"],
                           cwd=user, capture_output=True, text=True, timeout=60, env=env)
    assert where.stdout.startswith(str(venv)), where.stdout + where.stderr
