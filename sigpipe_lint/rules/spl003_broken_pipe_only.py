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
    catches it either.

    ## Why is this bad?
    A peer's death surfaces as either exception. If the peer was reading when it died, its
    kernel sends FIN and the next write raises `BrokenPipeError`; if it had unread data in
    its receive buffer, its kernel sends RST and the write raises `ConnectionResetError`.
    Code that catches only the first crashes in the second case.

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
    (a tuple gets the name appended). The handler already treats a broken pipe as the
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
    ]

    def check(self, facts) -> Iterable[Report]:
        from sigpipe_lint.fixes import plan_extend_except  # libcst only when analysing
        seen = set()
        for w in facts.writes:
            if facts.handled_locally(w.ctx, "ConnectionResetError"):
                continue
            for handler in facts.handlers_catching(w.ctx, "BrokenPipeError"):
                if id(handler) in seen:
                    continue
                seen.add(id(handler))
                yield Report(
                    handler.type,
                    f"this except catches BrokenPipeError but not ConnectionResetError "
                    f"around {w.label}: a peer that dies with unread data resets the "
                    f"connection, the write raises ConnectionResetError and the program "
                    f"crashes; catch (BrokenPipeError, ConnectionResetError)",
                    fixes=[p for p in (plan_extend_except(handler.type),) if p],
                )
