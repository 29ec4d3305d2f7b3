"""Module facts, layer 3: what catches a dead peer's exceptions.

`except` clauses (their types resolved through names and tuples bound to names),
`contextlib.suppress(...)`, and the module-wide protection SPL001 asks about: `MSG_NOSIGNAL`
or `SO_NOSIGPIPE` in use, an `errno.EPIPE` test, a handler covering `BrokenPipeError`.
"""

from __future__ import annotations

from typing import List

import libcst as cst

from sigpipe_lint.facts.names import Ctx, Guard, Scope

EXCEPTION_ANCESTORS = {
    "BrokenPipeError": frozenset(
        {
            "builtins.BrokenPipeError",
            "builtins.ConnectionError",
            "builtins.OSError",
            "builtins.Exception",
            "builtins.BaseException",
        }
    ),
    "ConnectionResetError": frozenset(
        {
            "builtins.ConnectionResetError",
            "builtins.ConnectionError",
            "builtins.OSError",
            "builtins.Exception",
            "builtins.BaseException",
        }
    ),
    # loop.sendfile() (asyncio) raises these as well (facts/streams.py)
    "ConnectionError": frozenset(
        {"builtins.ConnectionError", "builtins.OSError", "builtins.Exception", "builtins.BaseException"}
    ),
    "RuntimeError": frozenset({"builtins.RuntimeError", "builtins.Exception", "builtins.BaseException"}),
}
PEER_DEATH = ("BrokenPipeError", "ConnectionResetError")


class GuardFacts:
    def covers(self, handler_type, scope: Scope, exc: str) -> bool:
        """Whether an except clause's type expression (None: bare) catches `exc`."""
        if handler_type is None:
            return True
        wanted = EXCEPTION_ANCESTORS[exc]
        for e, s in self.value_exprs(handler_type, scope):
            if self.qname(e, s) in wanted:
                return True
        return False

    def guard_covers(self, guard: Guard, exc: str) -> bool:
        for t in guard.types:
            if isinstance(t, tuple) and t and t[0] == "suppress":
                _, call, arg = t
                if self.qname(call.func, guard.scope) != "contextlib.suppress":
                    return False
                if self.covers(arg, guard.scope, exc):
                    return True
            elif self.covers(t, guard.scope, exc):
                return True
        return False

    def handlers_catching(self, ctx: Ctx, exc: str) -> List[cst.ExceptHandler]:
        """The `except` clauses around ctx (same function, innermost first) that catch `exc`."""
        return [
            h
            for guard in reversed(ctx.guards)
            for h in guard.handlers
            if self.covers(h.type, guard.scope, exc)
        ]

    def handled_locally(self, ctx: Ctx, exc: str) -> bool:
        return any(self.guard_covers(g, exc) for g in ctx.guards)

    # -- sockets ------------------------------------------------------------------------


    @property
    def uses_nosignal(self) -> bool:
        if self.imported_names & {"socket.MSG_NOSIGNAL", "socket.SO_NOSIGPIPE"}:
            return True
        for name in ("MSG_NOSIGNAL", "SO_NOSIGPIPE"):
            for node, ctx in self.name_refs.get(name, ()):
                if self.qname(node, ctx.scope) in ("socket.MSG_NOSIGNAL", "socket.SO_NOSIGPIPE"):
                    return True
        for call, ctx in self.calls_by_name.get("getattr", ()):
            q = self._getattr_qname(call, ctx.scope, 0)
            if q in ("socket.MSG_NOSIGNAL", "socket.SO_NOSIGPIPE"):
                return True
        return False

    @property
    def handles_broken_pipe_anywhere(self) -> bool:
        for guard, _ctx in self.guards:
            if self.guard_covers(guard, "BrokenPipeError"):
                return True
        if "errno.EPIPE" in self.imported_names:
            return True
        for node, ctx in self.name_refs.get("EPIPE", ()):
            if self.qname(node, ctx.scope) == "errno.EPIPE":
                return True
        for call, ctx in self.calls_by_name.get("suppress", ()):
            g = Guard(call, [("suppress", call, a.value) for a in call.args], ctx.scope)
            if self.guard_covers(g, "BrokenPipeError"):
                return True
        return False

