"""SPL004 (per call): a socket write whose peer-death exceptions nobody in the program handles."""

from __future__ import annotations

from typing import Iterable

from sigpipe_lint.rules.base import Invalid, Report, Rule, Valid

# How many levels of callers inside the module to follow. 0 would check the write's own
# function only. The unsafe fix climbs as far (fixes.conversation.MAX_DEPTH) to put the
# `try` at the connection's owner, so a write it handled there is seen handled on a
# re-check (a thread's run() -> talk() -> phase() -> publish() -> _write() -> Link.send()
# is five levels). On the standard library 3 and 8 report the same 172 writes (measured
# 2026-11-30).
CALLER_DEPTH = 8


class UnhandledWrite(Rule):
    """
    ## What it does
    Checks each socket write on its own, whatever policy or handling the rest of the
    module has: the write is reported unless both `BrokenPipeError` and
    `ConnectionResetError` are caught around it in its own function, or at every call
    site, following the function's callers inside the module (up to eight levels) and, for
    a module-level function, its calls in the other modules of the project (the program
    view; one level there; a test file's calls are not the program's, unless the write is
    in test code itself); for a method, its calls there on receivers of a known class
    (`self.transport.transmit()` after `self.transport = transport.TCPTransport(...)`),
    as long as every call of that name in the project has a receiver of known class and
    the name is not used otherwise. In the module, a call on a receiver that may be an
    instance of the method's class counts as a caller (`for r in rlist: r.read()` after
    `select.select([proxy_conn, local_conn], ...)` calls both classes' `read`). A method no
    call names a known receiver for (`server.
    send_cmds(...)` on servers taken from a dict) is handled when every call of its name
    in the module is, the name is used only in those calls, and no other module calls it
    (not for names the standard library calls on objects it is given: `write`, `flush`,
    `send`, `run`, ...). A method of a request handler whose `handle()` (here or in a
    base class elsewhere) runs the dispatch under a guard is handled there. A context
    manager that swallows or translates `OSError` (`with self._socket_errors():`, here or
    imported) guards its body, and so does a test's expectation of the exception,
    `with pytest.raises((BrokenPipeError, ConnectionResetError)):` or
    `with self.assertRaises(OSError):` (`assertRaisesRegex`), for the types it names (no
    wrap is offered inside one: it would catch what the test expects); exception tuples are resolved across modules
    (`except errors.CONNECTION_ERRORS:`). Calls through a value count as call sites:
    `cb = self._flush; cb()`, `for fn in (self._a, self._b): fn()`, `retry(self._flush)`
    (the receiving call runs it), and a function returned by another is called by that
    one's callers. A socket's bound write passed to a function of the module that only
    calls it under a guard (`Error.wrap(self._sock.sendall, data)`, where `wrap(fn,
    *args)` runs `fn(*args)` in a `try` that translates `OSError`) is handled there. A
    function also handed to a thread, executor or greenlet (`Thread(target=...)`,
    `submit(f)`, `gevent.spawn(f)`, a gevent `StreamServer`'s handle) or stored for later (`callbacks.append(f)`, `atexit.register(f)`) has
    callers the module does not show, and one nobody in the program calls has unknown
    callers: both count as unhandled.

    Caught means handled, as SPL003 says: a clause that sends the exception on with a bare
    `raise` (or `raise e` of it, also fetched again as `_, e, _ = sys.exc_info()`) handles
    it only after a decision (`self.close(); raise`), not after logging.
    A test of the program's state does not say whether the peer died (it can die in any
    state): `if not self.closing: raise` handles nothing, while `if self.sock is not None:
    self.sock.close()` then `raise` decided in each state and handles it. An option the
    caller sets is not state: `if self.raise_send_errors: raise` (bound only in `__init__`
    from a parameter defaulting to False) or `if not ignore_errors: raise` (a parameter
    defaulting to True) re-raises only for a caller who asked for the exception, and the
    clause handles it by default, unless a call in the module passes the other value
    (`Sender(host, raise_send_errors=True)`, `x.send(data, ignore_errors=False)`).

    When something in the program resets SIGPIPE to `SIG_DFL` (this module, a package
    `__init__` above it, its package's `__main__.py`, or a project script importing its
    package), every write without `MSG_NOSIGNAL` is reported, guarded or not: the signal
    kills the process before any `except` runs.

    One write, one finding: where SPL001 reports the same call, SPL001 wins and SPL004 is
    silent (SPL001 says more: the module has no protection at all).

    ## Why is this bad?
    A SIGPIPE policy or `MSG_NOSIGNAL` stops the signal, not the exception: the write still
    raises `BrokenPipeError` or `ConnectionResetError` when the peer dies, and an unhandled
    one crashes the program (or, in a worker thread, silently ends that thread: the message
    says so when only threads of the module run the function, as SPL001's). This is the
    precise, per-call view that SPL001 does not take. It is on by default since its
    precision on hand-labelled real code reached 0.95 (issue 9); `--ignore SPL004` (or
    `extend-ignore`) leaves it out.

    asyncio: the writes are the awaited `writer.drain()` (not `writer.write()`, which only
    buffers), `writer.wait_closed()` after writing, and `loop.sock_sendall`/`sock_sendfile`/
    `sendfile` (see SPL001). A coroutine's exception reaches whoever awaits it, so its
    callers are followed through the ways asyncio runs it: `await helper(...)` and
    `asyncio.gather(...)` or `wait_for(...)` awaited in a `try` count like a call; a task
    from `asyncio.create_task()`/`ensure_future()` counts where the task is awaited (a
    task nobody awaits is unhandled: asyncio only logs "Task exception was never
    retrieved"); a `TaskGroup` task raises an `ExceptionGroup` out of the `async with`,
    which only `except*` (or a handler catching `Exception`) stops; `gather(...,
    return_exceptions=True)` returns the exception instead of raising it. A `start_server`
    callback has no caller in the module: asyncio calls it and only logs what it raises.

    ## Example
    ```python
    import signal, socket
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)   # stops the signal only

    def push(sock, data):
        sock.sendall(data)
    ```

    ## Use instead
    ```python
    def push(sock: socket.socket, data):
        try:
            sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            sock.close()
            raise PeerGone from None
    ```

    ## Fix safety
    Where a handler around the write already catches `BrokenPipeError`, the fix adds
    `ConnectionResetError` to it (safe, as SPL003). Otherwise the fix is SPL001's unsafe
    one: the conversation is ended where its owner (the code that makes the connection and
    uses it until it closes, or a thread's or server's entry) can stop it, with the owner's
    statements from its first use of the connection to its last one in a `try` that
    catches both. No owner in this module (a function writing to a socket that only
    unknown callers pass in): no automatic fix, and the finding's fix says why. Nor in a
    test that a runner calls, or inside `pytest.raises(...)`/`self.assertRaises(...)`: a
    dead peer there is the test's error to report, and a wrap would hide it. Unsafe: it
    changes control flow after a peer's death.
    """

    code = "SPL004"
    name = "unhandled-socket-write"
    summary = "Socket write whose BrokenPipeError/ConnectionResetError is handled neither here nor by every caller in the program"
    default_enabled = True
    # SPL001 says more (the module has no protection at all) and its fix has a safe part.
    yields_to = ("SPL001",)

    VALID = [
        Valid(
            """
import asyncio
async def pump(writer):
    while True:
        writer.write(b"x")
        await writer.drain()
async def main():
    _, w = await asyncio.open_connection("h", 1)
    task = asyncio.create_task(pump(w))
    try:
        await task
    except OSError:
        pass
"""
        ),
        Valid(
            """
import socket
def push(sock: socket.socket, data):
    sock.sendall(data)
def main():
    s = socket.create_connection(("h", 1))
    try:
        push(s, b"x")
    except ConnectionError:
        pass
"""
        ),
        Valid(
            """
import contextlib, socket
s = socket.create_connection(("h", 1))
with contextlib.suppress(BrokenPipeError, ConnectionResetError):
    s.sendall(b"x")
"""
        ),
        Valid(
            """
import socket
class Link:
    def __init__(self, sock: socket.socket):
        self.sock = sock
    def push(self, data):
        try:
            self.sock.sendall(data)
        except OSError:
            if self.sock is not None:  # a decision in this state, the same raise in both
                self.sock.close()
                self.sock = None
            raise
"""
        ),
    ]
    INVALID = [
        Invalid(
            """
import asyncio
async def echo(reader, writer):
    while data := await reader.read(100):
        writer.write(data)
        await writer.drain()
async def main():
    await asyncio.start_server(echo, "127.0.0.1", 8888)
""",
            line=6,
            fixed=None,
            unsafe_fixed="""
import asyncio
import sys
import contextlib
async def echo(reader, writer):
    try:
        while data := await reader.read(100):
            writer.write(data)
            await writer.drain()
    except (BrokenPipeError, ConnectionResetError) as exc:
        print(f"sigpipe-lint: the peer closed the connection: {exc!r}", file=sys.stderr)
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
async def main():
    await asyncio.start_server(echo, "127.0.0.1", 8888)
""",
        ),
        Invalid(
            """
import signal, socket
signal.signal(signal.SIGPIPE, signal.SIG_IGN)
s = socket.create_connection(("h", 1))
s.sendall(b"x")
""",
            line=5,
            unsafe_fixed="""
import signal, socket
import sys
signal.signal(signal.SIGPIPE, signal.SIG_IGN)
s = socket.create_connection(("h", 1))
try:
    s.sendall(b"x")
except (BrokenPipeError, ConnectionResetError) as exc:
    print(f"sigpipe-lint: the peer closed the connection: {exc!r}", file=sys.stderr)
    s.close()
""",
        ),
        Invalid(
            """
import socket
def push(sock: socket.socket, data):
    sock.sendall(data)
def main():
    s = socket.create_connection(("h", 1))
    try:
        push(s, b"x")
    except ConnectionError:
        pass
    push(s, b"unguarded")
""",
            line=4,
            unsafe_fixed="""
import socket
import sys
def push(sock: socket.socket, data):
    sock.sendall(data)
def main():
    s = socket.create_connection(("h", 1))
    try:
        push(s, b"x")
    except ConnectionError:
        pass
    try:
        push(s, b"unguarded")
    except (BrokenPipeError, ConnectionResetError) as exc:
        print(f"sigpipe-lint: the peer closed the connection: {exc!r}", file=sys.stderr)
        s.close()
""",
        ),
        Invalid(
            """
import signal, socket
signal.signal(signal.SIGPIPE, signal.SIG_IGN)
class Link:
    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.closing = False
    def push(self, data):
        try:
            self.sock.sendall(data)
        except OSError:
            if not self.closing:  # a peer dies in any state: this only filters
                raise
""",
            line=10,
            # No caller in sight: its callers own the connection.
            fixed=None,
            unsafe_fixed=None,
        ),
        Invalid(
            """
import signal, socket
signal.signal(signal.SIGPIPE, signal.SIG_IGN)
def push(sock: socket.socket, data):
    sock.sendall(data)
""",
            line=5,
            # A library function: its callers own the connection, and none is in sight.
            fixed=None,
            unsafe_fixed=None,
        ),
        Invalid(
            """
import socket
s = socket.create_connection(("h", 1))
try:
    s.sendall(b"x")
except BrokenPipeError:
    pass
""",
            line=5,
            fixed="""
import socket
s = socket.create_connection(("h", 1))
try:
    s.sendall(b"x")
except (BrokenPipeError, ConnectionResetError):
    pass
""",
        ),
    ]

    def check(self, facts) -> Iterable[Report]:
        # The callers the fixer climbs to the connection's owner (the facts' own, and
        # methods called on instances the module can follow, like `self.conn.send()`): a
        # write the fix handled at its owner is seen handled.
        from sigpipe_lint.fixes.conversation import caller_sites  # libcst only when analysing

        sites = caller_sites(facts)
        memo = {}
        killers = facts.sigpipe_resets_in_program()
        for w in facts.writes:
            if killers and not facts.passes_nosignal(w):
                # Under SIG_DFL the signal kills the process before any `except` runs.
                yield Report(
                    w.call,
                    f"{w.label}: {killers} resets SIGPIPE to SIG_DFL, so when the peer dies "
                    f"this write kills the whole process silently (exit 141) and no except "
                    f"around it runs; keep SIGPIPE ignored, or pass MSG_NOSIGNAL",
                    fixes=[p for p in (_nosignal(facts, w),) if p],
                )
                continue
            if facts.handled_by_receiver(w, w.raises) or facts.handled_at(
                w.ctx, CALLER_DEPTH, memo, w.raises, sites=sites
            ):
                continue
            escape = facts.escape_of(w, sites)
            crash = f"it is raised {escape}" if escape else "the program (or this thread) crashes"
            yield Report(
                w.call,
                f"{w.label} can raise {' or '.join(w.raises)} when the peer "
                f"dies, and neither this function nor every caller in the program catches "
                f"both: {crash}; catch ({', '.join(w.raises)}) "
                f"where the program can stop talking to that peer",
                fixes=[p for p in (_extend_or_wrap(facts, w),) if p],
            )


def _nosignal(facts, w):
    from sigpipe_lint.fixes import plan_nosignal  # libcst only when analysing

    return plan_nosignal(facts, w)


def _extend_or_wrap(facts, w):
    """Where a handler already catches BrokenPipeError here, extending it is enough (safe)."""
    from sigpipe_lint.fixes import plan_extend_except, plan_wrap  # libcst only when analysing

    for caught, missing in (("BrokenPipeError", "ConnectionResetError"), ("ConnectionResetError", "BrokenPipeError")):
        if facts.handled_locally(w.ctx, missing):
            continue
        for handler in facts.handlers_catching(w.ctx, caught):
            if facts.covers(handler.type, w.ctx.scope, missing):
                break  # its type catches both, its body re-raises one: not a type to extend
            plan = plan_extend_except(handler.type, missing)
            if plan is not None:
                return plan
    return plan_wrap(facts, w)
