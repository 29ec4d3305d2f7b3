"""Subprocess plumbing for the runtime suite: processes with line readers, bounded waits.

Nothing here sleeps to synchronise: readers are threads feeding a Condition, every wait
has a deadline, and every process started is killed in a `finally` by its own pid.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
FIXTURES = REPO / "fixtures" / "runtime"
PEER = HERE / "peer_server.py"
PY = sys.executable

STARTUP_TIMEOUT = 15.0  # interpreter start + bind + first bytes, on a busy 2-core box
DEATH_TIMEOUT = 10.0  # from the kill to the client's exit (normally well under 1 s)
FIX_TIMEOUT = 60.0

ERRORS = ("BrokenPipeError", "ConnectionResetError")


# ---------------------------------------------------------------- fixture headers

def headers(path: Path) -> Dict[str, str]:
    """The `# key: value` comment lines at the top of a fixture."""
    out: Dict[str, str] = {}
    for line in path.read_text().splitlines():
        m = re.match(r"#\s*(runtime|dies|protocol):\s*(\S+)", line)
        if m:
            out[m.group(1)] = m.group(2)
        elif line.strip() and not line.startswith("#"):
            break
    return out


def fixtures_of(kind: str) -> List[Path]:
    return sorted(p for p in FIXTURES.glob("*.py") if headers(p).get("runtime") == kind)


# ---------------------------------------------------------------- processes

class Stream:
    """Collects a pipe's lines in a thread; `wait_for` waits on them with a deadline."""

    def __init__(self, pipe):
        self._pipe = pipe
        self._lines: List[str] = []
        self._cond = threading.Condition()
        self._eof = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        try:
            for raw in iter(self._pipe.readline, b""):
                with self._cond:
                    self._lines.append(raw.decode(errors="replace"))
                    self._cond.notify_all()
        finally:
            with self._cond:
                self._eof = True
                self._cond.notify_all()

    @property
    def text(self) -> str:
        with self._cond:
            return "".join(self._lines)

    def wait_for(self, pattern: str, timeout: float, alive=None) -> Optional[re.Match]:
        """First match of `pattern` in a line; None at EOF, at the deadline, or when
        `alive()` turns false (checked at each wake-up, at least every 0.1 s)."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        seen = 0
        with self._cond:
            while True:
                for line in self._lines[seen:]:
                    m = rx.search(line)
                    if m:
                        return m
                seen = len(self._lines)
                left = deadline - time.monotonic()
                if self._eof or left <= 0 or (alive is not None and not alive()):
                    return None
                self._cond.wait(min(left, 0.1))

    def close(self, timeout: float = 5.0):
        self._thread.join(timeout)


class Proc:
    """A subprocess whose stdout and stderr are read line by line in threads."""

    def __init__(self, argv, cwd=None):
        self.argv = [str(a) for a in argv]
        self.p = subprocess.Popen(
            self.argv, cwd=cwd, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        self.out = Stream(self.p.stdout)
        self.err = Stream(self.p.stderr)

    @property
    def pid(self):
        return self.p.pid

    def alive(self) -> bool:
        return self.p.poll() is None

    def expect_line(self, pattern: str, timeout: float, what: str) -> re.Match:
        m = self.out.wait_for(pattern, timeout, alive=self.alive)
        if m is None:
            m = self.out.wait_for(pattern, 0.5)  # a line written just before exiting
        if m is None:
            raise AssertionError(
                f"{what}: no line matching {pattern!r} within {timeout}s "
                f"(returncode {self.p.poll()})\n{self.describe()}"
            )
        return m

    def sigkill(self):
        if self.p.poll() is None:
            os.kill(self.p.pid, signal.SIGKILL)
        self.p.wait(timeout=10)

    def wait(self, timeout: float) -> Optional[int]:
        try:
            return self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def finish(self):
        """Kill if still running, close stdin, drain the readers."""
        try:
            if self.p.poll() is None:
                os.kill(self.p.pid, signal.SIGKILL)
            self.p.wait(timeout=10)
        finally:
            try:
                self.p.stdin.close()
            except OSError:
                pass
            self.out.close()
            self.err.close()

    def describe(self) -> str:
        return (f"$ {' '.join(self.argv)}\n--- stdout ---\n{self.out.text}"
                f"--- stderr ---\n{self.err.text}")


# ---------------------------------------------------------------- client runs

@dataclass
class ClientRun:
    script: Path
    variant: str
    returncode: Optional[int]  # None: still running at the deadline (then killed)
    stdout: str
    stderr: str
    seconds: float  # from the peer's death to the client's exit

    def describe(self) -> str:
        return (f"{self.script.name} [{self.variant}] returncode={self.returncode} "
                f"after {self.seconds:.2f}s\n--- stdout ---\n{self.stdout}"
                f"--- stderr ---\n{self.stderr}")


def run_client_against_dying_peer(script: Path, variant: str,
                                  death_timeout: float = DEATH_TIMEOUT) -> ClientRun:
    """Start the peer (`fin` or `rst`), run `script PORT`, SIGKILL the peer once it has
    received bytes, and wait (bounded) for the client to end."""
    assert variant in ("fin", "rst")
    peer = Proc([PY, PEER, variant])
    client = None
    try:
        port = int(peer.expect_line(r"^listening (\d+)", STARTUP_TIMEOUT, "peer").group(1))
        client = Proc([PY, script, port], cwd=script.parent)
        m = peer.out.wait_for(r"^received \d+", STARTUP_TIMEOUT, alive=client.alive)
        if m is None:
            client.finish()
            raise AssertionError(
                f"{script.name} [{variant}]: the peer never received bytes\n"
                f"{client.describe()}\n{peer.describe()}")
        peer.sigkill()
        t0 = time.monotonic()
        rc = client.wait(death_timeout)
        seconds = time.monotonic() - t0
        client.finish()
        return ClientRun(script, variant, rc, client.out.text, client.err.text, seconds)
    finally:
        if client is not None:
            client.finish()
        peer.finish()


# ---------------------------------------------------------------- servers

# protocol -> (the short request of a fresh connection, what its answer contains)
PROBES = {
    "line": (b"PING\n", b"PONG"),
    "http": (b"GET /ping HTTP/1.0\r\n\r\n", b"pong"),
}

# A client that asks for the long response, reads a little, says so and then waits to be
# killed: `rst` stops reading (its unread bytes make its kernel send RST when killed),
# `fin` keeps reading (its kernel sends FIN).
DOOMED_CLIENT = r"""
import select, socket, sys
port, protocol, mode = int(sys.argv[1]), sys.argv[2], sys.argv[3]
s = socket.create_connection(("127.0.0.1", port), timeout=60)
s.sendall({"line": b"STREAM\n", "http": b"GET /stream HTTP/1.0\r\n\r\n"}[protocol])
data = s.recv(100)
print("got", len(data), flush=True)
if mode == "fin":
    while data:
        data = s.recv(65536)
select.select([sys.stdin], [], [], 60)  # until killed, the harness goes away, or 60 s
"""


def start_server(script: Path) -> "tuple[Proc, int]":
    server = Proc([PY, script], cwd=script.parent)
    try:
        port = int(server.expect_line(r"^listening (\d+)", STARTUP_TIMEOUT, script.name).group(1))
    except BaseException:
        server.finish()
        raise
    return server, port


def kill_a_streaming_client(port: int, protocol: str, mode: str):
    """Run DOOMED_CLIENT against the server and SIGKILL it once it has read bytes."""
    client = Proc([PY, "-c", DOOMED_CLIENT, port, protocol, mode])
    try:
        client.expect_line(r"^got [1-9]", STARTUP_TIMEOUT, "streaming client")
        client.sigkill()
    finally:
        client.finish()


def probe(port: int, protocol: str, timeout: float = 10.0) -> bytes:
    """A fresh connection: send the short request, read the whole answer."""
    request = PROBES[protocol][0]
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(request)
        chunks = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            chunk = s.recv(4096)
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)


# ---------------------------------------------------------------- the fixer

def fix_copy(src: Path, dest_dir: Path) -> Path:
    """Copy `src` into dest_dir and run the fixer on the copy through the command line."""
    dest = dest_dir / src.name
    shutil.copyfile(src, dest)
    cmd = [PY, "-m", "sigpipe_lint", "check", "--fix", "--unsafe-fixes", "--select", "SPL", str(dest)]
    # A fresh result cache: the cache is keyed by the tool's version, not its code, so an
    # engine edited in place would otherwise answer from a stale entry.
    env = dict(os.environ, SIGPIPE_LINT_CACHE_DIR=str(dest_dir / ".sigpipe_lint_cache"))
    r = subprocess.run(cmd, cwd=dest_dir, capture_output=True, text=True, timeout=FIX_TIMEOUT, env=env)
    after = dest.read_text()
    problems = []
    if r.returncode not in (0, 1):
        problems.append(f"exit status {r.returncode}")
    if after == src.read_text():
        problems.append("the file was not changed")
    try:
        compile(after, str(dest), "exec")
    except SyntaxError as e:
        problems.append(f"the fixed file does not compile: {e}")
    if problems:
        raise AssertionError(
            f"{' '.join(cmd)}: {'; '.join(problems)}\n--- stdout ---\n{r.stdout}"
            f"--- stderr ---\n{r.stderr}--- fixed file ---\n{after}")
    return dest
