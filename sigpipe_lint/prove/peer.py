"""The peer that dies: a server for client programs, a client for server programs.

A process that dies leaves its sockets to the kernel, which ends each connection in one
of two ways (docs/semantics.md, facts 1-2):

- `fin`: the peer was reading, its receive queue is empty: the kernel sends FIN. The
  program's next write is answered by RST, and the write after that fails with EPIPE
  (SIGPIPE under SIG_DFL, BrokenPipeError otherwise).
- `rst`: the peer left bytes unread: the kernel sends RST at once. The program's next
  write fails with ECONNRESET (ConnectionResetError; no signal).

Here the peer lives in a thread of this process and reproduces both endings on purpose:
`fin` shuts its side down (FIN), reads what is left, then closes; `rst` stops reading and
closes with SO_LINGER 0. Only 127.0.0.1 with an ephemeral port (or a Unix socket in a
private temporary folder) is used, and every wait has a deadline.
"""

from __future__ import annotations

import os
import select
import shutil
import socket
import struct
import tempfile
import threading
import time
from typing import Optional, Tuple, Union

VARIANTS = ("fin", "rst")
HOST = "127.0.0.1"
DEFAULT_TIMEOUT = 15.0  # connect and first bytes, on a busy machine
MAX_LIFETIME = 600.0  # a peer nobody kills dies by itself after this long

Address = Union[Tuple[str, int], str]


class PeerError(Exception):
    """The proof could not be set up (nothing connected, nothing was written, ...)."""


def check_variant(variant: str) -> str:
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {', '.join(VARIANTS)}, not {variant!r}")
    return variant


def die(conn: socket.socket, variant: str) -> None:
    """End `conn` as the kernel of a process killed in this variant would."""
    try:
        if variant == "fin":
            try:
                conn.shutdown(socket.SHUT_WR)  # FIN now, whatever arrives afterwards
            except OSError:
                pass
            _drain(conn)
        else:
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    finally:
        conn.close()


def _drain(conn: socket.socket) -> None:
    """Read what is already queued, without waiting for more."""
    conn.setblocking(False)
    try:
        while conn.recv(65536):
            pass
    except OSError:  # BlockingIOError: nothing left; or the program reset the connection
        pass


def free_port() -> int:
    """An ephemeral port on 127.0.0.1 that was free a moment ago (for a server to bind)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class DyingPeer:
    """A server for one connection that dies on demand (`kill()`) or after `after_bytes`.

    `fin` reads everything it is sent until it dies; `rst` reads `after_bytes` (at least
    one) and stops reading. Use it as a context manager, or call `close()`.

        with DyingPeer("rst", after_bytes=1) as peer:
            ... connect to peer.address (peer.host, peer.port) ...
            peer.wait_died(timeout=10)
    """

    def __init__(self, variant: str = "fin", after_bytes: Optional[int] = 1,
                 unix: bool = False, timeout: float = DEFAULT_TIMEOUT):
        self.variant = check_variant(variant)
        if after_bytes is not None and after_bytes < 1:
            raise ValueError("after_bytes must be 1 or more (or None: die on demand only)")
        self.after_bytes = after_bytes
        self.timeout = timeout
        self.connected = threading.Event()
        self.received = threading.Event()  # set once `after_bytes` (or 1) bytes arrived
        self.died = threading.Event()
        self.bytes_received = 0
        self._kill = threading.Event()
        self._wake_r, self._wake_w = os.pipe()
        self._tmpdir: Optional[str] = None
        if unix:
            self._tmpdir = tempfile.mkdtemp(prefix="sigpipe-lint-")
            self.unix: Optional[str] = os.path.join(self._tmpdir, "peer.sock")
            self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self._listener.bind(self.unix)
            self.host, self.port = "", 0
        else:
            self.unix = None
            self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self._listener.bind((HOST, 0))
            self.host, self.port = self._listener.getsockname()
        self._listener.listen(1)
        self._thread = threading.Thread(target=self._run, name="dying-peer", daemon=True)
        self._thread.start()

    @property
    def address(self) -> Address:
        return self.unix if self.unix is not None else (self.host, self.port)

    def __repr__(self):
        where = self.unix if self.unix is not None else f"{self.host}:{self.port}"
        return f"<DyingPeer {self.variant} on {where}>"

    # -- the peer's thread

    def _wait(self, sock, deadline) -> bool:
        """True when `sock` is readable; False when killed or at the deadline."""
        while not self._kill.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            ready, _, _ = select.select([sock, self._wake_r], [], [], left)
            if sock in ready:
                return True
        return False

    def _run(self):
        conn = None
        try:
            if not self._wait(self._listener, time.monotonic() + self.timeout):
                return
            conn, _ = self._listener.accept()
            self.connected.set()
            threshold = self.after_bytes or 1
            # The program may write for a long time before the peer dies on demand; a
            # peer nobody kills still dies after MAX_LIFETIME.
            end = time.monotonic() + MAX_LIFETIME
            while True:
                if self.after_bytes is not None and self.bytes_received >= self.after_bytes:
                    break
                if self.variant == "rst" and self.bytes_received >= threshold:
                    self._kill.wait(max(0.0, end - time.monotonic()))  # unread bytes stay queued
                    break
                if not self._wait(conn, end):
                    break
                want = 65536 if self.variant == "fin" else threshold - self.bytes_received
                try:
                    data = conn.recv(want)
                except OSError:
                    break
                if not data:  # the program closed first: nothing left to kill
                    self._kill.wait(max(0.0, end - time.monotonic()))
                    break
                self.bytes_received += len(data)
                if self.bytes_received >= threshold:
                    self.received.set()
        finally:
            if conn is not None:
                die(conn, self.variant)
            self._listener.close()  # a dead peer refuses new connections
            self.died.set()

    # -- the test's side

    def wait_connected(self, timeout: Optional[float] = None) -> bool:
        return self.connected.wait(self.timeout if timeout is None else timeout)

    def wait_received(self, timeout: Optional[float] = None) -> bool:
        return self.received.wait(self.timeout if timeout is None else timeout)

    def wait_died(self, timeout: Optional[float] = None) -> bool:
        return self.died.wait(self.timeout if timeout is None else timeout)

    def kill(self, timeout: float = 10.0) -> None:
        """Die now (before a connection: refuse it). Returns once the connection is ended."""
        self._kill.set()
        try:
            os.write(self._wake_w, b"x")
        except OSError:
            pass
        if not self.died.wait(timeout):  # pragma: no cover - the thread only waits on select
            raise PeerError(f"{self!r} did not die within {timeout}s")

    def run(self, target, **kw):
        """Run `target` against this peer (it dies once `target` has written) and return
        the Outcome. `target`: a command (list of arguments; {host}, {port}, {unix} are
        filled in) or a callable. `connect_timeout`, `death_timeout`, and for commands
        `cwd` and `env` are passed on."""
        from sigpipe_lint.prove.run import run_callable, run_client

        if self.died.is_set() or self.connected.is_set():
            raise PeerError(f"{self!r} has served its one connection: use a new peer for each run")
        if callable(target):
            return run_callable(target, self, **kw)
        if isinstance(target, (str, bytes)):
            raise TypeError("give the command as a list of arguments, or a callable")
        return run_client(list(target), self, **kw)

    def assert_survives(self, target, **kw):
        """Like run(), but an AssertionError that says how `target` died unless it survived."""
        __tracebackhide__ = True
        from sigpipe_lint.prove.run import require_survival

        return require_survival(self.run(target, **kw), _name(target))

    def close(self) -> None:
        self.kill()
        self._thread.join(10)
        for fd in (self._wake_r, self._wake_w):
            try:
                os.close(fd)
            except OSError:
                pass
        if self._tmpdir is not None:
            shutil.rmtree(self._tmpdir, ignore_errors=True)

    def __enter__(self) -> "DyingPeer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class DyingClient:
    """Connects to a server, sends a request, reads a little and dies (`fin` or `rst`).

    `fin` keeps reading what the server sent so far, then ends with FIN; `rst` leaves the
    rest unread and resets. Returns the bytes it read."""

    def __init__(self, variant: str = "fin", timeout: float = DEFAULT_TIMEOUT):
        self.variant = check_variant(variant)
        self.timeout = timeout

    def __call__(self, address: Union[Address, int], request: bytes = b"", read: int = 1,
                 timeout: Optional[float] = None) -> bytes:
        timeout = self.timeout if timeout is None else timeout
        conn = connect(address, timeout)
        try:
            if request:
                try:
                    conn.sendall(request)
                except (BrokenPipeError, ConnectionResetError) as e:
                    raise PeerError(f"the server went away before the request was sent: {e}") from None
            got = b""
            deadline = time.monotonic() + timeout
            while len(got) < read:
                conn.settimeout(max(0.01, deadline - time.monotonic()))
                try:
                    chunk = conn.recv(max(read - len(got), 1))
                except socket.timeout:
                    raise PeerError(f"the server sent {len(got)} of {read} bytes within {timeout}s") from None
                if not chunk:
                    raise PeerError(f"the server closed the connection after {len(got)} bytes")
                got += chunk
            return got
        finally:
            die(conn, self.variant)

    def run_server(self, argv, request: bytes = b"GET / HTTP/1.0\r\n\r\n", probe: Optional[bytes] = None,
                   port_from_output: Optional[str] = None, unix: bool = False, **kw):
        """Start the server `argv` ({host}, {port} or {unix} filled in, or the port read
        from its stdout with `port_from_output`), die on it after sending `request`, ask
        again with `probe` (default: `request`), stop it; the Outcome."""
        from sigpipe_lint.prove.run import ServerSpec, run_server

        if isinstance(argv, (str, bytes)):
            raise TypeError("give the command as a list of arguments")
        spec = ServerSpec(request=request, probe=probe, port_from_output=port_from_output, unix=unix)
        kw.setdefault("connect_timeout", self.timeout)
        return run_server(list(argv), self.variant, spec, **kw)

    def assert_server_survives(self, target, request: bytes = b"GET / HTTP/1.0\r\n\r\n",
                               probe: Optional[bytes] = None, **kw):
        """AssertionError unless the server survives a client's death in this variant.

        `target`: a command (a list, run with run_server()) or the address of a server
        that already runs (a port, a (host, port) pair or a Unix socket path): a client
        dies on it, then a second client must get an answer to `probe`."""
        __tracebackhide__ = True
        from sigpipe_lint.prove.run import ask, require_survival

        if isinstance(target, (list, tuple)) and not _is_address(target):
            return require_survival(self.run_server(target, request, probe, **kw), _name(target))
        self(target, request, **kw)
        try:
            answer = ask(target, request if probe is None else probe, kw.get("timeout") or self.timeout)
        except PeerError as e:
            answer, why = b"", str(e)
        else:
            why = "no answer"
        if not answer:
            raise AssertionError(f"the server at {target} did not answer a second client after a client "
                                 f"died ({self.variant}): {why}")
        return answer


def _is_address(target) -> bool:
    return len(target) == 2 and isinstance(target[0], str) and isinstance(target[1], int)


def _name(target) -> str:
    if callable(target):
        return getattr(target, "__qualname__", None) or repr(target)
    return " ".join(str(a) for a in target) if not isinstance(target, (str, bytes)) else repr(target)


def connect(address: Union[Address, int], timeout: float) -> socket.socket:
    """A connection to 127.0.0.1:PORT (an int or a (host, port) pair) or a Unix path."""
    if isinstance(address, int):
        address = (HOST, address)
    try:
        if isinstance(address, str):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(timeout)
            try:
                s.connect(address)
            except BaseException:
                s.close()
                raise
            return s
        return socket.create_connection(address, timeout=timeout)
    except OSError as e:
        raise PeerError(f"cannot connect to {address}: {e.strerror or e}") from None
