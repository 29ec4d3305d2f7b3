"""SPL001: a socket write in a module with no SIGPIPE policy, no MSG_NOSIGNAL, no handling."""

from __future__ import annotations

from typing import Iterable

from sigpipe_lint.rules.base import Invalid, Report, Rule, Valid
from sigpipe_lint.rules.spl004_unhandled_write import CALLER_DEPTH


class UnprotectedSocketWrite(Rule):
    """
    ## What it does
    Reports every socket write (`send`, `sendall`, `sendto`, `sendmsg`, `sendfile` on a
    socket; `write`/`writelines`/`flush` on a socket file from `makefile()` or a request
    handler's `wfile`; `os.write` on a socket's `fileno()`; `SSLSocket.write()`; and
    `shutil.copyfileobj`, `json.dump`, `pickle.dump`, `marshal.dump` or `print(file=...)`
    into a socket file, as `self.copyfile(f, self.wfile)` does in a handler that inherits
    `SimpleHTTPRequestHandler.copyfile` (and `SimpleHTTPRequestHandler.copyfile(self, src,
    out)` from an override, whose `outputfile` parameter is the client's socket file:
    http.server's `do_GET` passes `self.wfile`); and a write method passed on as a bound method: reported at the
    call that receives it, `retry(sock.sendall, data)`, since the write happens during that
    call and what is caught around it handles it; at each call of a name bound to it,
    `send = sock.sendall; send(data)` or a `functools.partial(sock.send, ...)`; at the
    partial itself when nothing in the module calls it, with no fix; and the unbound
    `socket.socket.sendall(sock, data)`) in a module that has none of:
    a SIGPIPE policy (`signal.signal(SIGPIPE, SIG_IGN)` or a handler,
    `pthread_sigmask(SIG_BLOCK, {SIGPIPE})`), `MSG_NOSIGNAL`/`SO_NOSIGPIPE`, an `except`
    that handles `BrokenPipeError` (catches it: itself, `ConnectionError`, `OSError` and its
    aliases, `Exception`, `BaseException`, a bare `except:`; and does not re-raise it, see
    SPL003), `contextlib.suppress(BrokenPipeError)` (or a base), a test's
    `pytest.raises(BrokenPipeError)`/`self.assertRaises(...)` (or a base) around a write,
    a context manager class whose `__exit__` swallows it, or an `errno.EPIPE` test.

    A `.send()` counts only when something in the module says the receiver is a socket:
    `socket.socket()`, `create_connection()`, `socketpair()`, `fromfd()`, `create_server()`,
    `accept()`, `wrap_socket()`, a parameter annotated `socket.socket`, a request handler's
    `self.request`/`self.connection`/`self.wfile` (also `handler.wfile` in a helper whose
    parameter is annotated with a handler class or filled with a handler's `self` by every
    call in the module), or a name or `self.x` bound to one of
    those (through helpers and methods that return one, and parameters that every call in
    the module fills with one, thread, executor and event-loop calls included:
    `Thread(target=f, args=(conn,))`, `_thread.start_new_thread(f, (conn,))`,
    `executor.submit(f, conn)`, `loop.run_in_executor(None, f, conn)`, and gevent's
    `gevent.spawn(f, conn)`, `spawn_later`, `Greenlet(f, conn)`, a `gevent.pool` pool's
    `spawn`), an attribute annotated as one (`sock: socket.socket` in the class body,
    `Optional[...]`, `X | None`, strings), or an item of a container the module fills with
    them (`self.clients[fd] = conn`, `.append((conn, addr))`, `queue.put(conn)`, read back
    by `for` loops, subscripts, `pop()`/`get()`; a list literal of sockets too, as a relay's
    `other = conns[1] if r is conns[0] else conns[0]`). `a or b` and `a if c else b` are
    sockets when either choice is one, and `self.x` in a base class's method is a socket
    when a subclass (in the module, or in another module of the program) binds it to one
    or is a request handler that has it (a mixin's `self.connection`), or when the module
    sets it on an instance from outside the class (`protocol.socket = client_socket`). What
    one subclass binds holds only in the base's own methods, never in its other subclasses. gevent's `socket` module makes sockets,
    and a `gevent.server.StreamServer(listener, handle)` passes one to `handle` (and to the
    `handle` method of a subclass). A selector's key (`for key, mask in sel.select()`,
    `sel.get_key(...)`) has a socket as `key.fileobj` (or `key.data`) when a socket is
    registered (or given as data) in that selector, and a function registered as a key's
    data and called as `key.data(key.fileobj, mask)` receives it; the lists
    `select.select(rlist, wlist, xlist)` returns hold items of the lists it was given.
    Generators, queues, ZeroMQ (`zmq.green` too) and websocket objects are never
    reported. Datagram sockets (`SOCK_DGRAM`) and peerless families (`AF_ALG`,
    `AF_NETLINK`, ...) are not reported: they never get EPIPE. Nor is a wake-up pair, whose
    both ends stay in this process: a loopback pair built by hand (listen on 127.0.0.1,
    connect to the listener's `getsockname()`, accept), or a `socketpair()` whose other end
    the module only reads (`recv`, `select()`, a selector) and never hands on, in a module
    that neither forks nor starts processes.

    asyncio: the writer of `asyncio.open_connection()`/`open_unix_connection()` and the
    second parameter of a `start_server`/`start_unix_server` callback (or a parameter
    annotated `asyncio.StreamWriter`, an instance of a subclass of it, here or in another
    module, or a name annotated with such a class) is a stream, followed through names, `self.x`,
    helpers and parameters like a socket. `writer.write()`, `writelines()` and
    `write_eof()` never raise (they fill a buffer), so they are never reported; the
    `await writer.drain()` after them is, because that is where the exception comes out
    (and where a traceback points). `await writer.wait_closed()` on a writer that was
    written to is reported too (in a function that wrote to a stream, a `close()` method
    whose class writes to the same `self.writer`, a helper that every caller hands a
    writer it wrote to): after a dead peer it raises as well. `await
    loop.sock_sendall(sock, ...)` and `loop.sock_sendfile(sock, ...)` on a socket and `await
    loop.sendfile(writer.transport, ...)` are writes. A `Protocol`'s `transport.write()`
    never raises (asyncio hands the error to `connection_lost()`) and is never reported.

    ## Why is this bad?
    When the peer dies, the next write (or the one after it: the first may still succeed)
    fails. CPython ignores SIGPIPE at start-up, so the write raises `BrokenPipeError`, or
    `ConnectionResetError` when the peer died with unread data, and the program crashes
    with a traceback. If anything reset SIGPIPE to `SIG_DFL` (see SPL002), or the code runs
    in an embedded interpreter that did not ignore SIGPIPE, the process is killed by the
    signal instead: exit status 141, no traceback, no `finally`.

    In asyncio the exception comes out of the drain: for a peer that closed the connection
    (FIN) the first failing drain raises `ConnectionResetError('Connection lost')` and the
    later ones, and `wait_closed()`, `BrokenPipeError`; for a peer that reset it (RST) all
    raise `ConnectionResetError`. `asyncio.run()` then ends the program with a traceback
    (exit 1); in a `start_server` callback asyncio logs "Unhandled exception in
    client_connected_cb" and that client's conversation ends without any cleanup.

    A request handler's write (socketserver, http.server, gevent's StreamServer; any write in
    a handler's `handle`/`setup`/`finish`/`do_*` method or a method only those call, to its
    client or to a socket it opened) does not end the server: it prints the traceback (`handle_error`) and keeps serving the others, but
    that client's response is cut short and the rest of the handler never runs. A write in
    a function that only a thread of the module runs (a `Thread` target, a `Thread`
    subclass's `run()`, or a function only those call) ends that thread alone, with the
    traceback on stderr as the only sign: the process goes on without it and may exit 0.
    Likewise a greenlet (`gevent.spawn`) ends alone, a child process
    (`multiprocessing.Process(target=...)`) exits 1, an executor task (`submit`,
    `run_in_executor`) keeps the exception in its future, an event loop's callback
    (`call_soon`) is logged and skipped, and a coroutine made a task that nothing awaits
    ends with asyncio's "Task exception was never retrieved". A test that a runner calls
    (in a test module, a `test*` function, or a `test*` method of a `Test*` class or of a
    `unittest.TestCase` subclass) errors, and the runner goes on with the other tests.
    The message says which of these happens.

    This rule looks at the module as a whole, as the project is specified. A SIGPIPE policy
    or `MSG_NOSIGNAL` stops the signal, **not** the exception: a module with either, or
    with one handler somewhere, is not reported here although some of its writes can still
    crash it. SPL004 checks every write on its own.

    ## Example
    ```python
    import socket

    sock = socket.create_connection(("broker", 9092))
    while True:
        sock.sendall(next_record())
    ```

    ## Use instead
    ```python
    import socket

    sock = socket.create_connection(("broker", 9092))
    try:
        while True:
            sock.sendall(next_record())
    except (BrokenPipeError, ConnectionResetError):
        print("broker went away", file=sys.stderr)
    finally:
        sock.close()
    ```

    ## Fix safety
    Two parts. The safe part passes `getattr(socket, "MSG_NOSIGNAL", 0)` in the flags of
    `send`/`sendall`/`sendto`/`sendmsg` (merged with existing flags by `|`; 0 where the
    constant does not exist): behaviour is unchanged except that a dead peer can no longer
    kill the process by the signal. It stops the signal, not the exception. It is never
    offered for a socket that may be TLS (`ssl.SSLSocket` raises `ValueError` for any flags),
    nor for file writes and `sendfile`, which take no flags.

    The unsafe part (`--unsafe-fixes`) ends the conversation where its owner can stop it.
    The owner is the code that makes or accepts the connection and uses it until it
    closes (following helpers, methods and instances of this module up the call chain),
    or the entry a thread or server runs (a `Thread` target, a `Thread` subclass's `run()`,
    a request handler's `handle()`/`do_GET()`). The owner's statements from its first use
    of the connection to its last one go into a `try` that catches `(BrokenPipeError,
    ConnectionResetError)`, says so on stderr, and closes what the owner made and does not
    close anyway (a buffered socket file by closing its raw stream: a flush would write to
    the dead peer again; in a request handler it closes a socketserver handler's `wfile`
    that way or sets http.server's `self.close_connection`, and lets the server close the
    connection). So later writes, `flush()` and
    `shutdown()` of that conversation are skipped, and the owner goes on after it: a client
    ends or reconnects, a server serves the next client, a thread ends. When no owner is in
    sight (a function writing to a socket its callers pass in, and nothing in the module
    calls it), no automatic fix is offered and the finding's fix says why. It is unsafe
    because it changes control flow: code after the conversation now runs after a peer's
    death.

    asyncio: the owner of a writer is the coroutine that awaits `open_connection()`, or a
    `start_server` callback (an entry: asyncio runs it per client, so its fix ends that
    client's conversation only and the server goes on serving). The `except` closes the
    writer and awaits `wait_closed()` under `contextlib.suppress(OSError)`, since that
    raises after a dead peer too; a plain `writer.close()` after the conversation stays
    where it is. `loop.sendfile()` gets no automatic fix: it raises `ConnectionError` and
    `RuntimeError`, which the wrap does not catch.
    """

    code = "SPL001"
    name = "unprotected-socket-write"
    summary = "Socket write in a module with no SIGPIPE policy, no MSG_NOSIGNAL and no BrokenPipeError handling"
    default_enabled = True

    VALID = [
        Valid(
            """
import socket
s = socket.create_connection(("h", 1))
try:
    s.sendall(b"x")
except OSError:
    pass
"""
        ),
        Valid(
            """
import signal, socket
signal.signal(signal.SIGPIPE, signal.SIG_IGN)
s = socket.socket()
s.send(b"x")
"""
        ),
        Valid(
            """
import socket as s
conn = s.create_connection(("h", 1))
conn.send(b"x", s.MSG_NOSIGNAL)
"""
        ),
        Valid(
            """
import asyncio
class Echo(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport
    def data_received(self, data):
        self.transport.write(data)
async def main():
    reader, writer = await asyncio.open_connection("h", 1)
    writer.write(b"never drained: only buffered")
"""
        ),
        Valid(
            """
def gen():
    yield 1
g = gen()
g.send(None)
"""
        ),
        Valid(
            """
import socket
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.sendto(b"x", ("h", 1))
"""
        ),
        Valid(
            """
import socket
algo = socket.socket(socket.AF_ALG, socket.SOCK_SEQPACKET, 0)
algo.bind(("hash", "sha256"))
op, _ = algo.accept()
op.sendall(b"abc")
"""
        ),
        Valid(
            """
import socket
class socket_like:
    def send(self, data): pass
zmq_sock = context.socket(1)
zmq_sock.send(b"x")
"""
        ),
    ]
    INVALID = [
        Invalid(
            """
import asyncio
async def main(host, port):
    reader, writer = await asyncio.open_connection(host, port)
    for line in [b"a", b"b"]:
        writer.write(line)
        await writer.drain()
    writer.close()
""",
            line=7,
            column=15,
            fixed=None,
            unsafe_fixed="""
import asyncio
import sys
async def main(host, port):
    reader, writer = await asyncio.open_connection(host, port)
    try:
        for line in [b"a", b"b"]:
            writer.write(line)
            await writer.drain()
    except (BrokenPipeError, ConnectionResetError) as exc:
        print(f"sigpipe-lint: the peer closed the connection: {exc!r}", file=sys.stderr)
    writer.close()
""",
        ),
        Invalid(
            """
import socket
s = socket.create_connection(("h", 1))
s.sendall(b"x")
""",
            line=4,
            column=1,
            fixed="""
import socket
s = socket.create_connection(("h", 1))
s.sendall(b"x", getattr(socket, "MSG_NOSIGNAL", 0))
""",
            unsafe_fixed="""
import socket
import sys
s = socket.create_connection(("h", 1))
try:
    s.sendall(b"x", getattr(socket, "MSG_NOSIGNAL", 0))
except (BrokenPipeError, ConnectionResetError) as exc:
    print(f"sigpipe-lint: the peer closed the connection: {exc!r}", file=sys.stderr)
    s.close()
""",
        ),
        Invalid(
            """
from socket import socket as Sock
def serve(srv: Sock):
    conn, addr = srv.accept()
    conn.send(b"hello")
""",
            line=5,
            fixed="""
from socket import socket as Sock
import socket
def serve(srv: Sock):
    conn, addr = srv.accept()
    conn.send(b"hello", getattr(socket, "MSG_NOSIGNAL", 0))
""",
            unsafe_fixed="""
from socket import socket as Sock
import socket
import sys
def serve(srv: Sock):
    conn, addr = srv.accept()
    try:
        conn.send(b"hello", getattr(socket, "MSG_NOSIGNAL", 0))
    except (BrokenPipeError, ConnectionResetError) as exc:
        print(f"sigpipe-lint: the peer closed the connection: {exc!r}", file=sys.stderr)
        conn.close()
""",
        ),
        Invalid(
            """
import socketserver
class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        self.wfile.write(b"data")
""",
            line=5,
            unsafe_fixed="""
import socketserver
import sys
class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        try:
            self.wfile.write(b"data")
        except (BrokenPipeError, ConnectionResetError) as exc:
            print(f"sigpipe-lint: the peer closed the connection: {exc!r}", file=sys.stderr)
            getattr(self.wfile, "raw", self.wfile).close()
""",
        ),
        Invalid(
            """
import socket
def send_frame(sock, data):
    sock.sendall(data)
def main():
    sock = socket.create_connection(("h", 1))
    send_frame(sock, b"hello")
    for i in range(10):
        send_frame(sock, b"tick")
    send_frame(sock, b"bye")
    sock.shutdown(socket.SHUT_WR)
    sock.close()
""",
            line=4,
            fixed="""
import socket
def send_frame(sock, data):
    sock.sendall(data, getattr(socket, "MSG_NOSIGNAL", 0))
def main():
    sock = socket.create_connection(("h", 1))
    send_frame(sock, b"hello")
    for i in range(10):
        send_frame(sock, b"tick")
    send_frame(sock, b"bye")
    sock.shutdown(socket.SHUT_WR)
    sock.close()
""",
            unsafe_fixed="""
import socket
import sys
def send_frame(sock, data):
    sock.sendall(data, getattr(socket, "MSG_NOSIGNAL", 0))
def main():
    sock = socket.create_connection(("h", 1))
    try:
        send_frame(sock, b"hello")
        for i in range(10):
            send_frame(sock, b"tick")
        send_frame(sock, b"bye")
        sock.shutdown(socket.SHUT_WR)
    except (BrokenPipeError, ConnectionResetError) as exc:
        print(f"sigpipe-lint: the peer closed the connection: {exc!r}", file=sys.stderr)
    sock.close()
""",
        ),
        Invalid(
            """
import socket
def push(sock: socket.socket, data):
    sock.sendall(data)
""",
            line=4,
            fixed="""
import socket
def push(sock: socket.socket, data):
    sock.sendall(data, getattr(socket, "MSG_NOSIGNAL", 0))
""",
            # No owner in this module: no unsafe part (the finding's fix says why).
            unsafe_fixed="""
import socket
def push(sock: socket.socket, data):
    sock.sendall(data, getattr(socket, "MSG_NOSIGNAL", 0))
""",
        ),
    ]

    def check(self, facts) -> Iterable[Report]:
        from sigpipe_lint.fixes import plan_nosignal, plan_wrap  # libcst only when analysing
        from sigpipe_lint.fixes.conversation import caller_sites

        if facts.has_sigpipe_policy or facts.uses_nosignal or facts.handles_broken_pipe_anywhere:
            return
        resets = facts.sigpipe_resets_in_program()
        memo: dict = {}
        for w in facts.writes:
            if not resets and (facts.handled_by_receiver(w) or facts.handled_at(w.ctx, CALLER_DEPTH, memo)):
                continue  # every caller, in other modules too, catches both: it cannot crash
            if resets:
                outcome = (
                    f"{resets} resets SIGPIPE to SIG_DFL, so when the peer dies the process "
                    "is killed silently by SIGPIPE (exit 141)"
                )
            else:
                outcome = facts.write_outcome(w, caller_sites(facts)) or (
                    "when the peer dies it raises BrokenPipeError or ConnectionResetError and "
                    "the program crashes with a traceback"
                )
            fixes = [f for f in (plan_nosignal(facts, w), plan_wrap(facts, w)) if f is not None]
            yield Report(
                w.call,
                f"{w.label} writes to a socket in a module with no SIGPIPE policy, no "
                f"MSG_NOSIGNAL and no BrokenPipeError handling: {outcome}; catch "
                f"({', '.join(w.raises)}) around it",  # loop.sendfile raises others
                fixes=fixes,
            )
