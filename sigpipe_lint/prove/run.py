"""Run a program against a peer that dies, watch it, and say how it ended.

Verdicts:

- `crashed`: it exited non-zero (the traceback's exception type, when there is one), was
  killed by a signal (e.g. SIGPIPE, exit status 141), or kept going after a thread or a
  request handler died of the peer's death (a traceback naming BrokenPipeError,
  ConnectionResetError or ConnectionAbortedError on stderr);
- `survived`: a client ended on its own with status 0; a server is still running and
  answers a second client;
- `kept running`: a client still running after the timeout (then killed);
- `stopped serving`: a server still running that does not answer a second client.
"""

from __future__ import annotations

import os
import re
import signal
import threading
import time
import traceback
from dataclasses import asdict, dataclass
from typing import Callable, Dict, List, Optional, Sequence

from sigpipe_lint.prove.peer import (
    HOST, DyingClient, DyingPeer, PeerError, check_variant, connect,
)
from sigpipe_lint.prove.process import Program

CRASHED, SURVIVED, KEPT_RUNNING, STOPPED_SERVING = "crashed", "survived", "kept running", "stopped serving"
PEER_DEATH_ERRORS = ("BrokenPipeError", "ConnectionResetError", "ConnectionAbortedError")
ENV_HOST, ENV_PORT, ENV_UNIX = "SIGPIPE_LINT_HOST", "SIGPIPE_LINT_PORT", "SIGPIPE_LINT_UNIX"

CONNECT_TIMEOUT = 15.0  # start, connect and write (or listen) on a busy machine
DEATH_TIMEOUT = 10.0  # from the peer's death to the verdict
OUTPUT_TAIL = 4000  # characters of stdout/stderr kept in an Outcome


@dataclass
class Outcome:
    """How one run ended, after its peer died in `variant`."""

    variant: str
    verdict: str
    how: str  # one line: "BrokenPipeError", "SIGPIPE (exit status 141)", "exit status 0", ...
    returncode: Optional[int]  # None: still running at the deadline (then killed), or a server still serving
    seconds: float  # from the peer's death to the verdict
    stdout: str = ""
    stderr: str = ""
    exception: Optional[str] = None  # the last traceback's exception type
    signal: Optional[str] = None

    @property
    def survived(self) -> bool:
        return self.verdict == SURVIVED

    @property
    def exit_status(self) -> Optional[int]:
        return exit_status(self.returncode)

    def summary(self) -> str:
        return f"{self.verdict}: {self.how}"

    def describe(self) -> str:
        return (f"[{self.variant}] {self.summary()} (returncode {self.returncode}, "
                f"{self.seconds:.2f}s after the peer died)\n--- stdout ---\n{self.stdout}"
                f"--- stderr ---\n{self.stderr}")

    def to_dict(self) -> Dict[str, object]:
        d = asdict(self)
        d["exit_status"] = self.exit_status
        d["stdout"], d["stderr"] = self.stdout[-OUTPUT_TAIL:], self.stderr[-OUTPUT_TAIL:]
        return d


def exit_status(returncode: Optional[int]) -> Optional[int]:
    """What a shell shows: 128 + N for a death by signal N."""
    if returncode is None:
        return None
    return 128 - returncode if returncode < 0 else returncode


# ---------------------------------------------------------------- reading the output

_TRACEBACK = "Traceback (most recent call last):"


def last_exception(stderr: str) -> Optional[str]:
    """The exception type of the last traceback in `stderr` (`BrokenPipeError`), if any."""
    start = stderr.rfind(_TRACEBACK)
    if start < 0:
        return None
    for line in stderr[start + len(_TRACEBACK):].splitlines()[1:]:
        if line and not line[0].isspace():
            m = re.match(r"([A-Za-z_][\w.]*)(?::|$)", line)
            return m.group(1).rsplit(".", 1)[-1] if m else None
    return None


def peer_death_traceback(stderr: str) -> Optional[str]:
    """The peer-death error of any traceback in `stderr` (a dead thread or handler)."""
    for chunk in stderr.split(_TRACEBACK)[1:]:
        exc = last_exception(_TRACEBACK + chunk)
        if exc in PEER_DEATH_ERRORS:
            return exc
    return None


def signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _ended(variant: str, rc: int, stdout: str, stderr: str, seconds: float,
           still_serving: bool = False) -> Outcome:
    """The verdict on a program that ended (or, `still_serving`, a server we stopped)."""
    exc = last_exception(stderr)
    kw = dict(variant=variant, returncode=None if still_serving else rc, seconds=seconds, stdout=stdout,
              stderr=stderr, exception=exc)
    if not still_serving:
        if rc < 0:
            name = signal_name(-rc)
            return Outcome(verdict=CRASHED, how=f"{name} (exit status {128 - rc})", signal=name, **kw)
        if rc != 0:
            return Outcome(verdict=CRASHED, how=f"{exc} (exit status {rc})" if exc else f"exit status {rc}", **kw)
    died = peer_death_traceback(stderr)
    if died:
        where = "a request handler" if still_serving else "a thread"
        status = "the server kept serving" if still_serving else "exit status 0"
        kw["exception"] = died
        return Outcome(verdict=CRASHED, how=f"{died} in {where} ({status})", **kw)
    how = "still serving, answered a second client" if still_serving else "exit status 0"
    return Outcome(verdict=SURVIVED, how=how, **kw)


# ---------------------------------------------------------------- placeholders

def substitute(argv: Sequence[str], values: Dict[str, str]) -> List[str]:
    """Replace `{host}`, `{port}`, `{unix}` in every argument (nothing else)."""
    out = []
    for arg in argv:
        arg = os.fspath(arg) if isinstance(arg, os.PathLike) else str(arg)
        for key, value in values.items():
            arg = arg.replace("{" + key + "}", value)
        out.append(arg)
    return out


def uses_placeholder(argv: Sequence[str], key: str) -> bool:
    return any("{" + key + "}" in a for a in argv)


def _address_values(host: str, port: int, unix: Optional[str]) -> Dict[str, str]:
    return {"host": host, "port": str(port) if port else "", "unix": unix or ""}


def _env(base: Optional[Dict[str, str]], values: Dict[str, str]) -> Dict[str, str]:
    env = dict(os.environ if base is None else base)
    env.update({ENV_HOST: values["host"], ENV_PORT: values["port"], ENV_UNIX: values["unix"]})
    return env


# ---------------------------------------------------------------- clients

def run_client(argv: Sequence[str], peer: DyingPeer, cwd=None, env: Optional[Dict[str, str]] = None,
               connect_timeout: float = CONNECT_TIMEOUT, death_timeout: float = DEATH_TIMEOUT) -> Outcome:
    """Run the client `argv` against `peer` (placeholders and environment filled in), kill
    the peer once the program has connected and written (unless the peer dies by itself
    after its `after_bytes`), and wait (bounded) for the program to end.

    Raises PeerError when the program never connected or never wrote."""
    values = _address_values(peer.host, peer.port, peer.unix)
    prog = Program(substitute(argv, values), cwd=cwd, env=_env(env, values))
    try:
        deadline = time.monotonic() + connect_timeout
        while not peer.received.wait(0.05):
            if not prog.alive() or time.monotonic() > deadline:
                break
        if not peer.received.is_set():
            rc = prog.poll()
            what = "connected but wrote nothing" if peer.connected.is_set() else "never connected"
            when = (f"it ended with exit status {exit_status(rc)}"
                    if rc is not None else f"within {connect_timeout:g}s")
            prog.stop()
            tail = _tail(prog.err.text)
            raise PeerError(f"the program {what} ({when}){tail}")
        peer.kill()
        t0 = time.monotonic()
        rc = prog.wait(death_timeout)
        seconds = time.monotonic() - t0
        prog.stop()
        if rc is None:
            return Outcome(variant=peer.variant, verdict=KEPT_RUNNING,
                           how=f"still running {death_timeout:g}s after its peer died (killed)",
                           returncode=None, seconds=seconds, stdout=prog.out.text, stderr=prog.err.text)
        return _ended(peer.variant, rc, prog.out.text, prog.err.text, seconds)
    finally:
        prog.stop()


def _tail(stderr: str) -> str:
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    return f"; its last line on stderr: {lines[-1].strip()}" if lines else ""


def _in_use(stderr: str) -> str:
    """Why a fixed port can be taken when nothing listens on it: the connections of an
    earlier run (prove runs the program once per peer variant, and again fixed) stay in
    TIME_WAIT for up to a minute, and a server that does not set SO_REUSEADDR cannot bind
    until they are gone."""
    if "Address already in use" not in stderr:
        return ""
    return (" (the port is taken: an earlier run's connections stay in TIME_WAIT for up to a "
            "minute; wait, let the server set SO_REUSEADDR, or leave out --connect so that prove "
            "gives the server a free port through {port} or $SIGPIPE_LINT_PORT)")


# ---------------------------------------------------------------- servers

@dataclass
class ServerSpec:
    """How to reach the server program and what to ask it."""

    request: bytes = b"GET / HTTP/1.0\r\n\r\n"
    probe: Optional[bytes] = None  # the second client's request (default: `request`)
    connect: Optional[str] = None  # "HOST:PORT" given by the user
    port_from_output: Optional[str] = None  # a regex whose group 1 is the port, on stdout
    unix: bool = False
    read: int = 1  # bytes the dying client reads before it dies


def parse_connect(text: str):
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"--connect takes HOST:PORT, not {text!r}")
    if host not in ("127.0.0.1", "localhost"):
        raise ValueError(f"--connect: only 127.0.0.1 is used, not {host!r}")
    return HOST, int(port)


def _listening(port: int) -> Optional[bool]:
    """Whether something listens on TCP `port` (Linux /proc), None if unknown."""
    found = None
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(name) as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        found = bool(found)
        for row in rows:
            cols = row.split()
            if len(cols) > 3 and cols[3] == "0A" and int(cols[1].rsplit(":", 1)[1], 16) == port:
                return True
    return found


def _unix_listening(path: str) -> bool:
    """Whether a Unix stream socket listens at `path` (Linux /proc; else: the file exists)."""
    try:
        with open("/proc/net/unix") as f:
            rows = f.read().splitlines()[1:]
    except OSError:
        return os.path.exists(path)
    for row in rows:
        cols = row.split(None, 7)
        # Num RefCount Protocol Flags Type St Inode Path; Flags 00010000: accepting
        if len(cols) == 8 and cols[7] == path and cols[3] == "00010000":
            return True
    return False


def _wait_listening(prog: Program, address, timeout: float) -> None:
    """Until the server listens on `address` (checked without connecting on Linux)."""
    deadline = time.monotonic() + timeout
    while True:
        if isinstance(address, str):
            ready = _unix_listening(address)
        else:
            ready = _listening(address[1])
            if ready is None:  # no /proc: a connection that we close at once
                try:
                    connect(address, 1.0).close()
                    ready = True
                except PeerError:
                    ready = False
        if ready:
            return
        if not prog.alive():
            raise PeerError(f"the server ended before listening on {_where(address)} "
                            f"(exit status {prog.poll()}){_tail(prog.err.text)}{_in_use(prog.err.text)}")
        if time.monotonic() > deadline:
            raise PeerError(f"the server did not listen on {_where(address)} within {timeout:g}s")
        prog.wait(0.05)


def _where(address) -> str:
    return address if isinstance(address, str) else f"{address[0]}:{address[1]}"


def start_server(argv: Sequence[str], spec: ServerSpec, cwd=None, env: Optional[Dict[str, str]] = None,
                 connect_timeout: float = CONNECT_TIMEOUT):
    """Start the server program and wait until it listens: (Program, address)."""
    tmpdir = None
    if spec.connect:
        address = parse_connect(spec.connect)
        values = _address_values(*address, None)
    elif spec.unix:
        import tempfile

        tmpdir = tempfile.mkdtemp(prefix="sigpipe-lint-")
        address = os.path.join(tmpdir, "server.sock")
        values = _address_values("", 0, address)
    else:
        from sigpipe_lint.prove.peer import free_port

        address = (HOST, free_port())
        values = _address_values(*address, None)
    prog = Program(substitute(argv, values), cwd=cwd, env=_env(env, values))
    prog.tmpdir = tmpdir
    try:
        if spec.port_from_output:
            m = prog.expect_line(spec.port_from_output, connect_timeout)
            if m is None:
                raise PeerError(f"the server printed no line matching {spec.port_from_output!r} "
                                f"within {connect_timeout:g}s (exit status {prog.poll()}){_tail(prog.err.text)}")
            try:
                address = (HOST, int(m.group(1)))
            except (IndexError, ValueError):
                raise PeerError(f"--port-from-output: group 1 of {spec.port_from_output!r} is not a port: {m.group(0)!r}") from None
        _wait_listening(prog, address, connect_timeout)
    except BaseException:
        prog.stop()
        raise
    return prog, address


def ask(address, request: bytes, timeout: float) -> bytes:
    """A fresh client: send `request`, read until the answer ends or a first chunk came and
    the connection stays quiet; at most `timeout`."""
    deadline = time.monotonic() + timeout
    chunks: List[bytes] = []
    with connect(address, timeout) as s:
        try:
            s.sendall(request)
            s.settimeout(timeout)
            while sum(map(len, chunks)) < 65536:
                chunk = s.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
                s.settimeout(min(0.2, max(0.01, deadline - time.monotonic())))
        except OSError:  # socket.timeout after the first chunk, or the server reset us
            pass
        return b"".join(chunks)


def run_server(argv: Sequence[str], variant: str, spec: ServerSpec, cwd=None,
               env: Optional[Dict[str, str]] = None, connect_timeout: float = CONNECT_TIMEOUT,
               death_timeout: float = DEATH_TIMEOUT) -> Outcome:
    """Start the server, let a client die on it in `variant`, then check that it is alive
    and answers a second client. The server is stopped before the verdict, so that all it
    wrote on stderr is read."""
    check_variant(variant)
    prog, address = start_server(argv, spec, cwd=cwd, env=env, connect_timeout=connect_timeout)
    try:
        try:
            DyingClient(variant, timeout=connect_timeout)(address, spec.request, read=spec.read)
        except PeerError as e:
            raise PeerError(f"the dying client got no answer to --request: {e}{_tail(prog.err.text)}") from None
        t0 = time.monotonic()
        try:
            answer = ask(address, spec.request if spec.probe is None else spec.probe, death_timeout)
        except PeerError:
            answer = b""
        if not answer:  # crashed, or alive and deaf: give it the time to end
            rc = prog.wait(death_timeout)
            seconds = time.monotonic() - t0
            if rc is None:
                prog.stop()
                return Outcome(variant=variant, verdict=STOPPED_SERVING,
                               how=f"still running, but no answer to a second client within {death_timeout:g}s",
                               returncode=None, seconds=seconds, stdout=prog.out.text, stderr=prog.err.text,
                               exception=peer_death_traceback(prog.err.text))
            prog.stop()
            return _ended(variant, rc, prog.out.text, prog.err.text, seconds)
        seconds = time.monotonic() - t0
        alive = prog.alive()
        rc = prog.stop(grace=2.0)  # a server still serving is stopped by us: its status says nothing
        return _ended(variant, rc if rc is not None else 0, prog.out.text, prog.err.text, seconds,
                      still_serving=alive)
    finally:
        prog.stop()
        if getattr(prog, "tmpdir", None):
            import shutil

            shutil.rmtree(prog.tmpdir, ignore_errors=True)


# ---------------------------------------------------------------- callables (the pytest plugin)

def run_callable(fn: Callable[[], object], peer: DyingPeer, connect_timeout: float = CONNECT_TIMEOUT,
                 death_timeout: float = DEATH_TIMEOUT) -> Outcome:
    """Call `fn()` in a thread while `peer` waits for it; kill the peer once `fn` has
    connected and written, then wait (bounded) for `fn` to return. A callable cannot be
    killed: one that keeps running is left behind in its (daemon) thread.

    Raises PeerError when `fn` never connected or never wrote."""
    box: Dict[str, object] = {}

    def target():
        try:
            box["value"] = fn()
        except BaseException as e:  # noqa: B902 - reported, not swallowed
            box["error"] = e
            box["traceback"] = traceback.format_exc()

    worker = threading.Thread(target=target, name="survives-peer-death", daemon=True)
    worker.start()
    deadline = time.monotonic() + connect_timeout
    while not peer.received.wait(0.05):
        if not worker.is_alive() or time.monotonic() > deadline:
            break
    if not peer.received.is_set():
        what = "connected but wrote nothing" if peer.connected.is_set() else "never connected"
        if "error" in box:
            when = f"it raised {type(box['error']).__name__}: {box['error']}"
        elif worker.is_alive():
            when = f"within {connect_timeout:g}s"
        else:
            when = "it returned"
        raise PeerError(f"the callable {what} to {peer!r} ({when})")
    peer.kill()
    t0 = time.monotonic()
    worker.join(death_timeout)
    seconds = time.monotonic() - t0
    if worker.is_alive():
        return Outcome(variant=peer.variant, verdict=KEPT_RUNNING,
                       how=f"still running {death_timeout:g}s after its peer died", returncode=None, seconds=seconds)
    if "error" in box:
        err = box["error"]
        name = type(err).__name__
        return Outcome(variant=peer.variant, verdict=CRASHED, how=f"raised {name}: {err}", returncode=None,
                       seconds=seconds, stderr=str(box["traceback"]), exception=name)
    return Outcome(variant=peer.variant, verdict=SURVIVED, how=f"returned {box.get('value')!r}"[:200],
                   returncode=None, seconds=seconds)


def require_survival(outcome: Outcome, what: str) -> Outcome:
    """AssertionError saying how `what` died, unless it survived."""
    __tracebackhide__ = True
    if not outcome.survived:
        raise AssertionError(f"{what} did not survive its peer's death ({outcome.variant}): "
                             f"{outcome.summary()}\n{outcome.describe()}")
    return outcome
