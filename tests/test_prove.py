"""`sigpipe-lint prove`: verdicts on small real programs, server mode, --fix on every
runnable fixture, output formats, usage errors, and no orphan process or port left behind."""

import hashlib
import json
import os
import select
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from expectations import FIXTURES
from sigpipe_lint.cli import main
from sigpipe_lint.prove.run import _listening

RUNTIME = FIXTURES / "runtime"
PY = sys.executable

# ---------------------------------------------------------------- small programs

WRITER = """
import signal, socket, sys, time
{prelude}
s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
try:
    for i in range(500):  # ends by itself after ~5 s if the peer never dies
        s.sendall(b"x" * 1000)
        time.sleep(0.01)
except {catch} as e:
    print("peer gone:", type(e).__name__, file=sys.stderr)
{after}
print("client done")
"""


def program(tmp_path, name="client.py", prelude="", catch="()", after=""):
    path = tmp_path / name
    path.write_text(WRITER.format(prelude=prelude, catch=catch, after=after))
    return path


def prove(capsys, *argv):
    status = main(["prove", *map(str, argv)])
    out, err = capsys.readouterr()
    return status, out, err


def prove_json(capsys, *argv):
    status, out, err = prove(capsys, "--output-format", "json", *argv)
    return status, json.loads(out), err


def verdicts(doc, version="original"):
    return {r["variant"]: (r["verdict"], r["how"]) for r in doc["runs"] if r["version"] == version}


# ---------------------------------------------------------------- client verdicts

def test_crash_by_exception_in_both_variants(tmp_path, capsys):
    script = program(tmp_path)
    status, doc, err = prove_json(capsys, "--", PY, script, "{host}", "{port}")
    assert status == 1, err
    runs = {r["variant"]: r for r in doc["runs"]}
    assert set(runs) == {"fin", "rst"}
    assert runs["fin"]["verdict"] == runs["rst"]["verdict"] == "crashed"
    # FIN, then the RST that answers the next write: EPIPE; unread data: ECONNRESET (facts 1-2)
    assert runs["fin"]["exception"] == "BrokenPipeError"
    assert runs["rst"]["exception"] == "ConnectionResetError"
    assert runs["fin"]["returncode"] == 1 and "Traceback" in runs["fin"]["stderr"]
    assert doc["survives"] is False and doc["exit_status"] == 1


def test_crash_by_sigpipe_under_sig_dfl(tmp_path, capsys):
    script = program(tmp_path, prelude="signal.signal(signal.SIGPIPE, signal.SIG_DFL)")
    status, doc, _ = prove_json(capsys, "--variant", "fin", "--", PY, script, "{host}", "{port}")
    (run,) = doc["runs"]
    assert status == 1
    assert (run["verdict"], run["signal"], run["returncode"], run["exit_status"]) == ("crashed", "SIGPIPE", -13, 141)
    assert run["how"] == "SIGPIPE (exit status 141)"
    assert run["stderr"] == ""


def test_survivor_exits_0_and_the_text_says_so(tmp_path, capsys):
    script = program(tmp_path, catch="(BrokenPipeError, ConnectionResetError)")
    status, out, err = prove(capsys, "--", PY, script, "{host}", "{port}")
    assert status == 0, out + err
    lines = out.splitlines()
    assert lines[0].startswith(f"{PY} {script} {{host}} {{port}}  (client")
    assert lines[1].split() == ["variant", "original"]
    assert lines[2].split() == ["fin", "survived:", "exit", "status", "0"]
    assert lines[3].split() == ["rst", "survived:", "exit", "status", "0"]
    assert lines[-1] == "the program survives every peer death"


def test_show_output_prints_the_end_of_the_traceback(tmp_path, capsys):
    script = program(tmp_path)
    status, out, _ = prove(capsys, "--variant", "rst", "--show-output", "--", PY, script, "{host}", "{port}")
    assert status == 1
    tail = out.split("--- original, rst: stderr (last ", 1)[1].splitlines()
    assert tail[1] == "Traceback (most recent call last):"
    assert tail[-1] == "ConnectionResetError: [Errno 104] Connection reset by peer"


def test_kept_running_is_stopped_after_the_timeout(tmp_path, capsys):
    script = program(tmp_path, catch="OSError", after="import threading; threading.Event().wait(60)")
    # 2 s: time enough, on a busy machine, for the line printed before it hangs
    status, doc, _ = prove_json(capsys, "--variant", "rst", "--timeout", "2", "--", PY, script, "{host}", "{port}")
    (run,) = doc["runs"]
    assert status == 1
    assert run["verdict"] == "kept running" and run["returncode"] is None
    assert run["how"] == "still running 2s after its peer died (killed)"
    assert "peer gone: ConnectionResetError" in run["stderr"]


def test_the_address_also_comes_from_the_environment(tmp_path, capsys):
    script = tmp_path / "env_client.py"
    script.write_text(textwrap.dedent("""
        import os, socket, time
        s = socket.create_connection((os.environ["SIGPIPE_LINT_HOST"], int(os.environ["SIGPIPE_LINT_PORT"])))
        for i in range(500):
            s.sendall(b"x" * 1000)
            time.sleep(0.01)
    """))
    status, doc, _ = prove_json(capsys, "--variant", "rst", "--", PY, script)
    assert status == 1
    assert verdicts(doc)["rst"][0] == "crashed"


def test_unix_socket_peer(tmp_path, capsys):
    script = tmp_path / "unix_client.py"
    script.write_text(textwrap.dedent("""
        import os, socket, sys, time
        assert os.environ["SIGPIPE_LINT_UNIX"] == sys.argv[1]
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(sys.argv[1])
        for i in range(500):
            s.sendall(b"x" * 1000)
            time.sleep(0.01)
    """))
    status, doc, err = prove_json(capsys, "--unix", "--", PY, script, "{unix}")
    assert status == 1, err
    assert doc["transport"] == "unix"
    # Small writes on a Unix socket get EPIPE in both variants (Linux); a writer blocked on a
    # full buffer when its reader closes with unread data gets ECONNRESET (see the server test).
    assert {r["variant"]: r["exception"] for r in doc["runs"]} == {"fin": "BrokenPipeError", "rst": "BrokenPipeError"}


def test_after_bytes_waits_for_that_many_bytes(tmp_path, capsys):
    script = tmp_path / "counter.py"
    script.write_text(textwrap.dedent("""
        import socket, sys
        s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
        sent = 0
        try:
            while True:
                s.sendall(b"x" * 100)
                sent += 100
        except OSError:
            print("sent", sent)
    """))
    status, doc, _ = prove_json(capsys, "--variant", "fin", "--after-bytes", "50000", "--", PY, script, "{port}")
    (run,) = doc["runs"]
    assert status == 0 and run["verdict"] == "survived"
    assert int(run["stdout"].split()[1]) >= 50000


# ---------------------------------------------------------------- setup errors: exit 2, one line

def test_a_program_that_never_connects(tmp_path, capsys):
    script = tmp_path / "quits.py"
    script.write_text("import sys\nprint('bad config', file=sys.stderr)\nsys.exit(3)\n")
    status, out, err = prove(capsys, "--", PY, script, "{port}")
    assert status == 2 and out == ""
    assert err == ("sigpipe-lint prove: error: the program never connected (it ended with exit status 3); "
                   "its last line on stderr: bad config\n")


def test_a_program_that_connects_and_never_writes(tmp_path, capsys):
    script = tmp_path / "mute.py"
    script.write_text("import socket, sys, threading\ns = socket.create_connection(('127.0.0.1', int(sys.argv[1])))\n"
                      "threading.Event().wait(60)\n")
    # 3 s: the interpreter must start and connect in that time, even on a busy machine
    status, out, err = prove(capsys, "--connect-timeout", "3", "--", PY, script, "{port}")
    assert status == 2 and out == ""
    assert err == "sigpipe-lint prove: error: the program connected but wrote nothing (within 3s)\n"


@pytest.mark.parametrize("argv, message", [
    ([], "give the program to run after --"),
    (["--"], "give the program to run after --"),
    (["--connect", "127.0.0.1:80", "--", PY, "x.py"], "--connect is for --server"),
    (["--request", "x", "--", PY, "x.py"], "--request is for --server"),
    (["--fix-path", "x.py", "--", PY, "x.py"], "--fix-path is for --fix"),
    (["--unix", "--", PY, "x.py", "{port}"], "with --unix the peer has no port"),
    (["--server", "--connect", "10.0.0.1:80", "--", PY, "x.py"], "only 127.0.0.1 is used"),
    (["--server", "--connect", "127.0.0.1", "--", PY, "x.py"], "--connect takes HOST:PORT"),
    (["--server", "--connect", "127.0.0.1:80", "--port-from-output", "(\\d+)", "--", PY, "x.py"], "give one"),
    (["--server", "--port-from-output", "(", "--", PY, "x.py"], "not a regular expression"),
    (["--fix", "--", "sleep", "1"], "names no .py file of yours"),
])
def test_usage_errors(capsys, argv, message):
    status, out, err = prove(capsys, *argv)
    assert status == 2 and out == ""
    assert err.startswith("sigpipe-lint prove: error: ") and message in err and err.count("\n") == 1, err


@pytest.mark.parametrize("argv", [["--variant", "both-ways"], ["--timeout", "0"], ["--after-bytes", "x"]])
def test_argparse_errors_exit_2(capsys, argv):
    status, _, err = prove(capsys, *argv, "--", PY, "x.py")
    assert status == 2 and "error:" in err


# ---------------------------------------------------------------- servers

SERVER = """
import socket, sys, threading, time
srv = socket.create_server(("127.0.0.1", int(sys.argv[1])))
while True:
    conn, _ = srv.accept()
    conn.recv(100)
    try:
        for i in range(3000):
            conn.sendall(b"y" * 1000)
            time.sleep(0.002)
    except {catch}:
        {handler}
    conn.close()
"""


def server(tmp_path, catch="()", handler="pass"):
    path = tmp_path / "server.py"
    path.write_text(SERVER.format(catch=catch, handler=handler))
    return path


def test_server_that_crashes(tmp_path, capsys):
    status, doc, _ = prove_json(capsys, "--server", "--request", "GO\\n", "--", PY, server(tmp_path), "{port}")
    assert status == 1 and doc["mode"] == "server"
    assert verdicts(doc) == {"fin": ("crashed", "BrokenPipeError (exit status 1)"),
                             "rst": ("crashed", "ConnectionResetError (exit status 1)")}


def test_server_that_survives(tmp_path, capsys):
    script = server(tmp_path, catch="(BrokenPipeError, ConnectionResetError)")
    status, doc, err = prove_json(capsys, "--server", "--request", "GO\\n", "--", PY, script, "{port}")
    assert status == 0, err
    assert verdicts(doc) == {v: ("survived", "still serving, answered a second client") for v in ("fin", "rst")}
    assert [(r["returncode"], r["exit_status"]) for r in doc["runs"]] == [(None, None)] * 2  # stopped by prove


def test_server_that_stops_serving(tmp_path, capsys):
    script = server(tmp_path, catch="OSError", handler="threading.Event().wait(60)")
    status, doc, _ = prove_json(capsys, "--server", "--variant", "rst", "--timeout", "1", "--request", "GO\\n",
                                "--", PY, script, "{port}")
    assert status == 1
    assert verdicts(doc)["rst"] == ("stopped serving", "still running, but no answer to a second client within 1s")


def test_server_on_a_unix_socket(tmp_path, capsys):
    script = tmp_path / "unix_server.py"
    script.write_text(textwrap.dedent("""
        import os, socket, sys
        assert os.environ["SIGPIPE_LINT_UNIX"] == sys.argv[1]
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        srv.bind(sys.argv[1])
        srv.listen()
        while True:
            conn, _ = srv.accept()
            conn.recv(100)
            try:
                for i in range(3000):
                    conn.sendall(b"y" * 1000)
            except (BrokenPipeError, ConnectionResetError):  # blocked in a full buffer: ECONNRESET
                pass
            conn.close()
    """))
    status, doc, err = prove_json(capsys, "--server", "--unix", "--request", "GO\\n", "--", PY, script, "{unix}")
    assert status == 0, doc["runs"]
    assert doc["transport"] == "unix"
    assert verdicts(doc) == {v: ("survived", "still serving, answered a second client") for v in ("fin", "rst")}


def test_server_at_a_given_address(tmp_path, capsys):
    from sigpipe_lint.prove.peer import free_port

    port = free_port()
    script = server(tmp_path, catch="(BrokenPipeError, ConnectionResetError)")
    status, doc, err = prove_json(capsys, "--server", "--variant", "fin", "--connect", f"127.0.0.1:{port}",
                                  "--request", "GO\\n", "--", PY, script, port)
    assert status == 0, err
    assert verdicts(doc)["fin"][0] == "survived"


def test_server_whose_port_is_in_use(tmp_path, capsys):
    script = server(tmp_path)
    with socket.socket() as holder:  # bound, not listening: the server's bind fails
        holder.bind(("127.0.0.1", 0))
        port = holder.getsockname()[1]
        status, out, err = prove(capsys, "--server", "--connect", f"127.0.0.1:{port}", "--", PY, script, port)
    assert status == 2 and out == ""
    assert err.startswith(f"sigpipe-lint prove: error: the server ended before listening on 127.0.0.1:{port} "
                          "(exit status 1); its last line on stderr: OSError: [Errno 98] Address already in use")
    assert "TIME_WAIT" in err and "leave out --connect" in err  # why, and what to do


# ---------------------------------------------------------------- --fix on the bundled fixtures

def _headers(path):
    out = {}
    for line in path.read_text().splitlines():
        if not line.startswith("#"):
            break
        key, _, value = line[1:].partition(":")
        out[key.strip()] = value.strip()
    return out


RUNNABLE = sorted(p for p in RUNTIME.glob("*.py") if _headers(p).get("runtime") in ("client", "server"))
SERVER_ARGS = {
    "line": ["--request", "STREAM\\n", "--probe", "PING\\n"],
    "http": ["--request", "GET /stream HTTP/1.0\\r\\n\\r\\n", "--probe", "GET /ping HTTP/1.0\\r\\n\\r\\n"],
}


def _tree(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("script", RUNNABLE, ids=[p.stem for p in RUNNABLE])
def test_fix_on_every_runnable_fixture(script, capsys, monkeypatch):
    """Originals crash as their header says (in FIN; every one in RST), fixed copies survive;
    the fixtures' folder is unchanged."""
    hd = _headers(script)
    monkeypatch.chdir(RUNTIME)
    before = _tree(RUNTIME)
    if hd["runtime"] == "client":
        argv = ["--fix", "--", PY, script.name, "{port}"]
    else:
        argv = ["--fix", "--server", "--port-from-output", r"^listening (\d+)", *SERVER_ARGS[hd["protocol"]],
                "--", PY, script.name]
    status, doc, err = prove_json(capsys, *argv)
    assert _tree(RUNTIME) == before
    assert doc["fixed_files"] == [{"path": script.name, "changed": True}]
    original, fixed = verdicts(doc), verdicts(doc, "fixed")
    assert fixed == {v: ("survived", fixed[v][1]) for v in ("fin", "rst")}, doc
    assert status == 0, err
    expected_fin = {"traceback": "crashed", "sigpipe": "crashed", "thread-traceback": "crashed",
                    "handler-traceback": "crashed", "none": "survived"}[hd["dies"]]
    assert original["fin"][0] == expected_fin, doc
    assert original["rst"][0] == "crashed", doc
    if hd["dies"] == "sigpipe":
        assert original["fin"][1] == "SIGPIPE (exit status 141)"
    if hd["dies"] == "handler-traceback":
        # socketserver: the write after the one the dead peer answered with RST gets EPIPE;
        # an asyncio drain raises ConnectionResetError('Connection lost') first (fact 16)
        first = "ConnectionResetError" if "import asyncio" in script.read_text() else "BrokenPipeError"
        assert original["fin"][1] == f"{first} in a request handler (the server kept serving)"


def test_fix_prints_both_versions_side_by_side(capsys, monkeypatch):
    monkeypatch.chdir(RUNTIME)
    status, out, err = prove(capsys, "--fix", "--", PY, "c09_sigdfl_cli.py", "{port}")
    assert status == 0, err
    lines = out.splitlines()
    assert lines[1].split() == ["variant", "original", "fixed", "copy"]
    assert lines[2].split() == ["fin", "crashed:", "SIGPIPE", "(exit", "status", "141)", "survived:", "exit", "status", "0"]
    assert lines[3].split()[:3] == ["rst", "crashed:", "ConnectionResetError"]
    assert "fixed copy of c09_sigdfl_cli.py: changed by check --fix --unsafe-fixes" in lines
    assert lines[-1] == "the fixed copy survives every peer death"


def test_fix_keeps_sibling_modules_importable(tmp_path, capsys, monkeypatch):
    (tmp_path / "helper.py").write_text(textwrap.dedent("""
        import socket, time
        def push(port):
            s = socket.create_connection(("127.0.0.1", port))
            for i in range(500):
                s.sendall(b"x" * 1000)
                time.sleep(0.01)
    """))
    (tmp_path / "main.py").write_text("import sys\nimport helper\nhelper.push(int(sys.argv[1]))\n")
    monkeypatch.chdir(tmp_path)
    status, doc, _ = prove_json(capsys, "--fix", "--fix-path", "helper.py", "--fix-path", "main.py",
                                "--", PY, "main.py", "{port}")
    assert {f["path"] for f in doc["fixed_files"]} == {"helper.py", "main.py"}
    assert [f["changed"] for f in doc["fixed_files"] if f["path"] == "helper.py"] == [True]
    assert set(verdicts(doc).values()) == {("crashed", "BrokenPipeError (exit status 1)"),
                                           ("crashed", "ConnectionResetError (exit status 1)")}
    assert {v[0] for v in verdicts(doc, "fixed").values()} == {"survived"}
    assert status == 0


def test_fix_refuses_a_command_that_would_run_the_originals(tmp_path, capsys, monkeypatch):
    (tmp_path / "helper.py").write_text("import socket\n")
    (tmp_path / "main.py").write_text("import helper\n")
    monkeypatch.chdir(tmp_path)
    status, out, err = prove(capsys, "--fix", "--fix-path", "helper.py", "--", PY, "-m", "main")
    assert status == 2 and out == ""
    assert err.startswith("sigpipe-lint prove: error: --fix: CMD names none of the copied files")
    assert err.count("\n") == 1


def test_rich_table_on_a_terminal(tmp_path, capsys, monkeypatch):
    from sigpipe_lint.prove import cli as prove_cli

    monkeypatch.setattr(prove_cli, "_is_terminal", lambda: True)
    script = program(tmp_path)
    status, out, _ = prove(capsys, "--variant", "rst", "--", PY, script, "{host}", "{port}")
    assert status == 1
    assert "┃ variant ┃ original" in out and "│ rst     │ crashed: ConnectionResetError (exit status 1)" in out
    assert out.splitlines()[-1] == "the program does not survive (rst: crashed)"


# ---------------------------------------------------------------- no orphans, no leaked ports

FORKER = """
import os, socket, subprocess, sys, threading
child = subprocess.Popen([sys.executable, "-c", "import threading; threading.Event().wait(120)"])
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
try:
    while True:
        s.sendall(b"x" * 1000)
except OSError:
    pass
with open(sys.argv[2], "w") as fifo:  # the test waits on this line: the peer is dead
    fifo.write(f"{os.getpid()} {child.pid} {sys.argv[1]}\\n")
threading.Event().wait(120)  # hangs, with a child
"""


def _gone(pid, timeout=10.0):
    """The process no longer runs (a zombie left to a non-reaping init counts as gone)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return True
        except FileNotFoundError:
            return True
        time.sleep(0.05)
    return False


def _read_fifo(path, timeout):
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        data = b""
        deadline = time.monotonic() + timeout
        while not data.endswith(b"\n"):
            left = deadline - time.monotonic()
            ready, _, _ = select.select([fd], [], [], max(0, left))
            if not ready:
                raise AssertionError(f"nothing on {path} within {timeout}s")
            data += os.read(fd, 100)
        return data.decode().split()
    finally:
        os.close(fd)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
@pytest.mark.parametrize("how", ["timeout", "SIGINT", "SIGTERM"])
def test_no_orphans_and_no_ports_left(tmp_path, how):
    script = tmp_path / "forker.py"
    script.write_text(FORKER)
    fifo = tmp_path / "pids"
    os.mkfifo(fifo)
    timeout = "3" if how == "timeout" else "60"  # 3 s: time to write the fifo on a busy machine
    prove_proc = subprocess.Popen(
        [PY, "-m", "sigpipe_lint", "prove", "--variant", "fin", "--timeout", timeout, "--",
         PY, script, "{port}", fifo],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        pid, child, port = map(int, _read_fifo(fifo, 30))
        if how != "timeout":
            prove_proc.send_signal(getattr(signal, how))
        out, err = prove_proc.communicate(timeout=30)
    finally:
        if prove_proc.poll() is None:
            prove_proc.kill()
            prove_proc.communicate()
    if how == "timeout":
        assert prove_proc.returncode == 1 and "kept running: still running 3s" in out, out + err
    else:
        assert prove_proc.returncode == 130, out + err
        assert err == "sigpipe-lint prove: interrupted; the program was stopped\n"
    assert _gone(pid) and _gone(child), f"left behind: {pid} {child}"
    assert _listening(port) is False
