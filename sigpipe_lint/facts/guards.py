"""Module facts, layer 3: what catches a dead peer's exceptions.

`except` clauses (their types resolved through names and tuples bound to names),
`contextlib.suppress(...)`, and the module-wide protection SPL001 asks about: `MSG_NOSIGNAL`
or `SO_NOSIGPIPE` in use, an `errno.EPIPE` test, a handler covering `BrokenPipeError`.
"""

from __future__ import annotations

from typing import List, Optional, Set, Tuple

import libcst as cst

from sigpipe_lint.facts.names import ClassInfo, Ctx, FunctionInfo, Guard, Scope

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
# Methods a request handler runs outside `handle()`.
_NOT_DISPATCHED = frozenset({"handle", "setup", "finish", "__init__", "__del__"})


class GuardFacts:
    def covers(self, handler_type, scope: Scope, exc: str) -> bool:
        """Whether an except clause's type expression (None: bare) catches `exc`."""
        if handler_type is None:
            return True
        wanted = EXCEPTION_ANCESTORS[exc]
        for e, s in self.value_exprs(handler_type, scope):
            if self._names_catch(self.qname(e, s), wanted):
                return True
        return False

    def _names_catch(self, q: Optional[str], wanted, depth: int = 0) -> bool:
        """`q` is one of `wanted`, or (program view) a tuple or alias elsewhere holding one."""
        if q is None:
            return False
        if q in wanted:
            return True
        if self.program is None or depth > 4 or q.startswith(("builtins.", "<local>.")):
            return False
        names = self.program.exception_names(q, self.search_paths)
        return bool(names) and any(self._names_catch(n, wanted, depth + 1) for n in names if n != q)

    def guard_covers(self, guard: Guard, exc: str) -> bool:
        for t in guard.types:
            if isinstance(t, tuple) and t and t[0] == "suppress":
                _, call, arg = t
                if self.qname(call.func, guard.scope) != "contextlib.suppress":
                    return False
                if self.covers(arg, guard.scope, exc):
                    return True
            elif isinstance(t, tuple) and t and t[0] == "manager":
                if exc in self.manager_call_swallows(t[1], guard.scope):
                    return True
            elif self.covers(t, guard.scope, exc):
                return True
        return False

    # -- context managers that swallow or translate a dead peer's exceptions -------------

    def manager_call_swallows(self, call: cst.Call, scope: Scope) -> Tuple[str, ...]:
        """What `with call:` swallows or translates of PEER_DEATH (local or elsewhere)."""
        func = call.func
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
            cls = self._self_class(func.value.value, scope)
            if cls is not None:  # with self._socket_errors():
                for c in [cls] + self._local_bases(cls):
                    m = c.methods.get(func.attr.value)
                    if m is not None:
                        return self.manager_swallows(m)
                return ()
        if isinstance(func, cst.Name):
            bs, _ = self.lookup(func.value, scope)
            local = [b.info for b in bs or () if b.kind in ("def", "class")]
            if local:
                out: Set[str] = set()
                for target in local:
                    out.update(self.manager_swallows(target))
                return tuple(sorted(out))
        q = self.qname(func, scope)
        if q is None or self.program is None or q.startswith(("builtins.", "<local>.", "contextlib.")):
            return ()
        return self.program.manager_swallows(q, self.search_paths)

    def manager_swallows(self, target) -> Tuple[str, ...]:
        """PEER_DEATH exceptions a context manager defined here swallows or translates.

        A `@contextmanager` generator whose `yield` stands in a `try` with a handler that
        catches them and does not just re-raise them; a class whose `__exit__` can return
        True (swallows what the body raised) or raises an exception of its own (translates).
        """
        key = ("mgr", id(target))
        if key in self._gcache:
            return self._gcache[key]
        self._gcache[key] = ()
        out: Tuple[str, ...] = ()
        if isinstance(target, ClassInfo):
            exit_ = target.methods.get("__exit__") or target.methods.get("__aexit__")
            if exit_ is not None and isinstance(exit_.node, cst.FunctionDef) and _exit_swallows(exit_.node):
                out = PEER_DEATH
        elif isinstance(target, FunctionInfo) and isinstance(target.node, cst.FunctionDef):
            decorated = any(
                (self.qname(d.decorator, target.outer) or "").endswith("contextmanager")
                for d in target.node.decorators
            )
            if decorated:
                out = tuple(
                    e for e in PEER_DEATH
                    if any(self._handler_stops(h, target.scope, e) for h in _handlers_around_yield(target.node))
                )
        self._gcache[key] = out
        return out

    # -- handled where the write is, or by every caller in the program -------------------

    def handled_at(self, ctx: Ctx, depth: int, memo: Optional[dict] = None, missing=PEER_DEATH, sites=None) -> bool:
        """Whether `missing` are caught around ctx, or at every caller of its function.

        Callers are those in this module (`call_sites`, up to `depth` levels) and, through the
        program view, calls of a module-level function made in other modules of the project
        (one level: what is caught around each of those calls and by its module's callers).
        A method of a request handler whose `handle()` runs the dispatch under a guard is
        handled there. A function with no caller in sight is not handled: its callers are
        unknown. `sites(func)`: the callers to follow instead of `caller_contexts` (SPL004
        passes the fixer's, which also follows methods called on instances).
        """
        memo = {} if memo is None else memo
        still = tuple(e for e in missing if not self.handled_locally(ctx, e))
        if not still:
            return True
        func = ctx.func
        if func is None or depth <= 0 or func.name == "<lambda>":
            return False
        key = (id(func), depth, still)
        if key in memo:
            return memo[key]
        memo[key] = False  # recursion guard: a cycle proves nothing
        if func.cls is not None and func.name not in _NOT_DISPATCHED and self.dispatch_guarded(func.cls, still):
            memo[key] = True
            return True
        callers = (sites or self.caller_contexts)(func)  # for a coroutine, where its task is awaited
        ok = all(self.handled_at(c, depth - 1, memo, still, sites) for _, c in callers)
        remote = []
        if ok and self.program is not None and func.cls is None and func.outer is self.module_scope and self.modname:
            remote = self.program.callers(f"{self.modname}.{func.name}", self.path) or []  # None: too many to read
            ok = all(set(still) <= set(r.handled) for r in remote)
        result = bool(callers or remote) and ok
        memo[key] = result
        return result

    def dispatch_guarded(self, cls: ClassInfo, missing=PEER_DEATH) -> bool:
        """A class (or a base, here or elsewhere) whose `handle()` dispatches under a guard.

        `def handle(self): try: super().handle() except OSError: ...` guards everything
        `handle()` goes on to call: the request's methods of every subclass.
        """
        key = ("dispatch", id(cls), tuple(missing))
        if key in self._gcache:
            return self._gcache[key]
        self._gcache[key] = False
        result = False
        handle = cls.methods.get("handle")
        if handle is not None:
            for name in ("handle", "handle_one_request", "handle_request"):
                for call, ctx in self.calls_by_name.get(name, ()):
                    if ctx.func is handle and all(self.handled_locally(ctx, e) for e in missing):
                        result = True
        if not result:
            for base in cls.node.bases:
                local = self._local_classes(base.value, cls.outer)
                if local:
                    result = any(self.dispatch_guarded(b, missing) for b in local)
                elif self.program is not None:
                    q = self.qname(base.value, cls.outer)
                    found = self.program.class_summary(q, self.search_paths) if q else None
                    result = found is not None and found[0].dispatch_guarded
                if result:
                    break
        self._gcache[key] = result
        return result

    def _handler_stops(self, handler: cst.ExceptHandler, scope: Scope, exc: str) -> bool:
        return self.covers(handler.type, scope, exc) and not _only_reraises(handler)

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
        # `except` clauses first; a context manager counts only around a write here (to
        # know what it swallows may need another module read).
        around_writes = {id(g) for w in self.writes for g in w.ctx.guards}
        for guard, _ctx in sorted(self.guards, key=lambda g: _is_manager(g[0])):
            if _is_manager(guard) and id(guard) not in around_writes:
                continue
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



def _is_manager(guard: Guard) -> bool:
    return any(isinstance(t, tuple) and t and t[0] == "manager" for t in guard.types)


def _only_reraises(handler: cst.ExceptHandler) -> bool:
    """`except OSError: raise`: the handler hands the exception on unchanged."""
    body = handler.body.body
    stmts = [x for st in body for x in (st.body if isinstance(st, cst.SimpleStatementLine) else [st])]
    return bool(stmts) and all(isinstance(x, (cst.Pass, cst.Expr)) for x in stmts[:-1]) and (
        isinstance(stmts[-1], cst.Raise) and stmts[-1].exc is None
    )


def _handlers_around_yield(func: cst.FunctionDef) -> List[cst.ExceptHandler]:
    """The handlers of the `try` statements whose body holds the generator's `yield`."""
    out: List[cst.ExceptHandler] = []

    def walk(node, tries):
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)) and node is not func:
            return
        if isinstance(node, cst.Yield):
            for t in tries:
                out.extend(t.handlers)
            return
        if isinstance(node, (cst.Try, cst.TryStar)):
            walk(node.body, tries + [node])
            for part in list(node.handlers) + [node.orelse, node.finalbody]:
                if part is not None:
                    walk(part, tries)
            return
        for child in node.children:
            walk(child, tries)

    walk(func.body, [])
    return out


def _exit_swallows(func: cst.FunctionDef) -> bool:
    """`__exit__` returns True somewhere, or raises an exception of its own (translation)."""
    found = False

    def walk(node):
        nonlocal found
        if found or (isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)) and node is not func):
            return
        if isinstance(node, cst.Return) and isinstance(node.value, cst.Name) and node.value.value == "True":
            found = True
            return
        if isinstance(node, cst.Raise) and node.exc is not None:
            found = True
            return
        for child in node.children:
            walk(child)

    walk(func)
    return found
