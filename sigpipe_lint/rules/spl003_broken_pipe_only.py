"""SPL003: a handler around a socket write catches BrokenPipeError but not ConnectionResetError."""

from __future__ import annotations

from typing import Iterable

from sigpipe_lint.rules.base import Invalid, Report, Rule, Valid


class BrokenPipeOnly(Rule):
    """
    ## What it does
    Reports an `except` clause around a socket write that catches `BrokenPipeError` but
    neither `ConnectionResetError` nor a common base (`ConnectionError`, `OSError`,
    `Exception`, ...), when no other handler around the same write (in the same function)
    catches it either. Also one that catches both by its type but lets
    `ConnectionResetError` go on: `except OSError as e: if e.errno != errno.EPIPE: raise`
    (no fix is offered for that one: the condition is the author's to widen).

    A clause counts only when it *handles* what it catches: a body that re-raises it
    (`except OSError: raise`, `except: log(...); raise`) handles nothing; one that cleans up
    first (`except OSError: self.close(); raise`) or raises another exception has decided
    what a dead peer means, and counts. Python runs the first clause whose type matches.
    A test of the program's state does not say whether the peer died (it dies in any
    state): `if not self.closing: raise` re-raises it, while `if self.sock is not None:
    self.sock.close()` then `raise` decided in every state and counts.

    ## Why is this bad?
    A peer's death surfaces as either exception. If the peer was reading when it died, its
    kernel sends FIN and the next write raises `BrokenPipeError`; if it had unread data in
    its receive buffer, its kernel sends RST and the write raises `ConnectionResetError`.
    Code that catches only the first crashes in the second case.

    asyncio streams: around an awaited `writer.drain()` or `writer.wait_closed()`, catching
    either exception alone leaks the other, so both directions are reported there.
    `except BrokenPipeError` misses the first failure whichever way the peer died: the
    first failing drain raises `ConnectionResetError('Connection lost')`.
    `except ConnectionResetError` misses what comes next after a peer that closed the
    connection (FIN): every later drain, and `wait_closed()`, raise `BrokenPipeError`.

    ## Example
    ```python
    try:
        conn.sendall(payload)
    except BrokenPipeError:
        log.warning("client went away")
    ```

    ## Use instead
    ```python
    try:
        conn.sendall(payload)
    except (BrokenPipeError, ConnectionResetError):
        log.warning("client went away")
    ```

    ## Fix safety
    Safe: `except BrokenPipeError` becomes `except (BrokenPipeError, ConnectionResetError)`
    (a tuple gets the name appended); around a drain, `except ConnectionResetError` becomes
    `except (ConnectionResetError, BrokenPipeError)`. The handler already treats a broken pipe as the
    peer's death; a reset connection is the same event seen from the other timing.
    """

    code = "SPL003"
    name = "broken-pipe-without-connection-reset"
    summary = "Handler around a socket write catches BrokenPipeError but not ConnectionResetError"
    default_enabled = True

    VALID = [
        Valid(
            """
import socket
s = socket.create_connection(("h", 1))
try:
    s.sendall(b"x")
except (BrokenPipeError, ConnectionResetError):
    pass
"""
        ),
        Valid(
            """
import socket
s = socket.create_connection(("h", 1))
try:
    s.sendall(b"x")
except ConnectionError:
    pass
"""
        ),
        Valid(
            """
import socket
s = socket.create_connection(("h", 1))
try:
    try:
        s.sendall(b"x")
    except BrokenPipeError:
        pass
except ConnectionResetError:
    pass
"""
        ),
        Valid(
            """
import errno, socket
s = socket.create_connection(("h", 1))
try:
    s.sendall(b"x")
except OSError as e:
    if e.errno not in (errno.EPIPE, errno.ECONNRESET):
        raise
"""
        ),
        Valid(
            """
import queue
q = queue.Queue()
try:
    q.put(1)
except BrokenPipeError:
    pass
"""
        ),
    ]
    INVALID = [
        Invalid(
            """
import asyncio
async def main():
    _, writer = await asyncio.open_connection("h", 1)
    writer.write(b"x")
    try:
        await writer.drain()
    except ConnectionResetError:
        pass
""",
            line=8,
            fixed="""
import asyncio
async def main():
    _, writer = await asyncio.open_connection("h", 1)
    writer.write(b"x")
    try:
        await writer.drain()
    except (ConnectionResetError, BrokenPipeError):
        pass
""",
        ),
        Invalid(
            """
import asyncio
async def main():
    _, writer = await asyncio.open_connection("h", 1)
    writer.write(b"x")
    try:
        await writer.drain()
    except BrokenPipeError:
        pass
""",
            line=8,
            fixed="""
import asyncio
async def main():
    _, writer = await asyncio.open_connection("h", 1)
    writer.write(b"x")
    try:
        await writer.drain()
    except (BrokenPipeError, ConnectionResetError):
        pass
""",
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
            line=6,
            column=8,
            fixed="""
import socket
s = socket.create_connection(("h", 1))
try:
    s.sendall(b"x")
except (BrokenPipeError, ConnectionResetError):
    pass
""",
        ),
        Invalid(
            """
import socket
ERRORS = (BrokenPipeError, ValueError)
s = socket.create_connection(("h", 1))
try:
    s.sendall(b"x")
except ERRORS:
    pass
""",
            line=7,
            fixed="""
import socket
ERRORS = (BrokenPipeError, ValueError)
s = socket.create_connection(("h", 1))
try:
    s.sendall(b"x")
except (ERRORS, ConnectionResetError):
    pass
""",
        ),
        Invalid(
            """
import errno, socket
s = socket.create_connection(("h", 1))
try:
    s.sendall(b"x")
except OSError as e:
    if e.errno != errno.EPIPE:
        raise
""",
            line=6,
            column=8,
            fixed=None,
        ),
        Invalid(
            """
import socket
s = socket.create_connection(("h", 1))
try:
    s.sendall(b"x")
except BrokenPipeError:
    pass
except ConnectionResetError:
    raise
""",
            line=6,
            fixed="""
import socket
s = socket.create_connection(("h", 1))
try:
    s.sendall(b"x")
except (BrokenPipeError, ConnectionResetError):
    pass
except ConnectionResetError:
    raise
""",
        ),
    ]

    def check(self, facts) -> Iterable[Report]:
        from sigpipe_lint.facts.streams import STREAM_RAISING  # libcst only when analysing
        from sigpipe_lint.fixes import no_fix, plan_extend_except
        seen = set()
        for w in facts.writes:
            stream = w.method in STREAM_RAISING
            pairs = [("BrokenPipeError", "ConnectionResetError")]
            if stream:  # a drain raises both, whichever way the peer died (fact 16)
                pairs.append(("ConnectionResetError", "BrokenPipeError"))
            for caught, missing in pairs:
                if facts.handled_locally(w.ctx, missing):
                    continue
                for handler in facts.handlers_catching(w.ctx, caught):
                    if id(handler) in seen:
                        continue
                    seen.add(id(handler))
                    if facts.covers(handler.type, w.ctx.scope, missing):
                        # Caught by its type, then sent on by the body (an errno filter):
                        # adding the type would change nothing, so no fix is offered.
                        yield Report(
                            handler.type,
                            f"this except handles {caught} but re-raises {missing} "
                            f"(errno {_ERRNO[missing]}) around {w.label}: "
                            f"{_consequence(caught, stream)} {_escape(facts, w)}; handle "
                            f"{_ERRNO[missing]} too",
                            fixes=[
                                no_fix(
                                    f"the handler's body re-raises {missing}, and how to widen "
                                    f"that condition is the author's choice",
                                    handler.type,
                                )
                            ],
                        )
                        continue
                    yield Report(
                        handler.type,
                        f"this except catches {caught} but not {missing} around {w.label}: "
                        f"{_consequence(caught, stream)} {_escape(facts, w)}; catch "
                        f"(BrokenPipeError, ConnectionResetError)",
                        fixes=[p for p in (plan_extend_except(handler.type, missing),) if p],
                    )


_ERRNO = {"BrokenPipeError": "EPIPE", "ConnectionResetError": "ECONNRESET"}


def _escape(facts, w) -> str:
    """Where the exception the clause lets through goes."""
    from sigpipe_lint.fixes.conversation import caller_sites  # libcst only when analysing

    return facts.escape_of(w, caller_sites(facts)) or "and the program crashes"


def _consequence(caught: str, stream: bool) -> str:
    if not stream:
        return (
            "a peer that dies with unread data resets the connection, the write raises "
            "ConnectionResetError"
        )
    if caught == "BrokenPipeError":
        return (
            "the first drain after the peer's death raises ConnectionResetError('Connection "
            "lost'), whether the peer closed (FIN) or reset (RST) the connection"
        )
    return (
        "after a peer that closed the connection (FIN), every drain after the first failing "
        "one and wait_closed() raise BrokenPipeError"
    )
