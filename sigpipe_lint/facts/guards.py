"""Module facts, layer 3: what catches a dead peer's exceptions.

`except` clauses (their types resolved through names and tuples bound to names),
`contextlib.suppress(...)`, a test's `with pytest.raises(...)`/`self.assertRaises(...)`,
context managers of this module that swallow or translate
`OSError`, and the module-wide protection SPL001 asks about: `MSG_NOSIGNAL` or
`SO_NOSIGPIPE` in use, an `errno.EPIPE` test, a handler covering `BrokenPipeError`.

What an `except` clause *handles* (`handler_handles`): it catches the exception by its type
(`covers`), and its body does not send the same exception on. Sending it on is a bare
`raise` (or `raise e` of the caught name) that some path through the body reaches, unless
that path first did something else than logging (`except OSError: self.close(); raise`
is a deliberate decision: it counts as handled). An `if` on the caught exception's errno
(`e.errno`, `e.args[0]`, `getattr(e, "errno", None)`) or on `isinstance(e, ...)` is
evaluated for each exception (EPIPE for `BrokenPipeError`, ECONNRESET for
`ConnectionResetError`): `if e.errno != errno.EPIPE: raise` handles `BrokenPipeError` only.
Any other condition may go either way: a re-raise behind it counts (`if timeout: ...;
raise` only filters). Raising another exception (`raise ClientGone from e`) translates it:
handled. Python runs the first clause whose type matches, so that clause alone decides.

A condition on the program's state (a flag, a timeout, whether the socket is still set)
says nothing of whether the peer died: a dead peer raises whatever state the program is in
(semantics.md, facts 2 and 11). So a path that sends the exception on with no decision
counts through whichever branch it goes: `if not self.closing: raise` and `if
self.closing: return` then `raise` swallow it only while closing, and a peer can die at any
time; they are filters, not guards. But when one branch of such a test decides and every
branch then goes on to the same `raise`, the handler weighed the connection's state and
chose, in each state, to send the exception on: `if self.sock and not self.connected:
self.sock.close(); self.sock = None` then `raise` (py-amqp's `connect()`) is handled, as
`self.sock.close(); raise` is. That holds only for a test that does not read the caught
exception (its name, `sys.exc_info()`): a test of the exception the engine cannot
evaluate (`if 'timed out' in str(e): self.close()`) may be true for other errors only.
"""

from __future__ import annotations

import errno as _errno
import re
from typing import FrozenSet, List, Optional, Set, Tuple

import libcst as cst

from sigpipe_lint.facts.names import (
    ClassInfo,
    Ctx,
    FunctionInfo,
    Guard,
    Scope,
    _literal_string,
    call_name,
    dotted,
    filled_params,
    keyword_arg,
)

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
# Methods that code outside the program calls on objects it is given: a file's (print,
# shutil, logging, io wrappers), a socket's, a thread's, a handler's.
_CALLED_IMPLICITLY = frozenset({
    "write", "writelines", "flush", "close", "read", "readline", "readinto", "fileno",
    "send", "sendall", "sendto", "sendmsg", "sendfile", "recv", "run", "emit", "process_request",
    "finish_request", "handle_error", "serve_forever",
})
# The errno a write to a dead peer raises each exception with (semantics.md, fact 2).
PEER_DEATH_ERRNOS = {"BrokenPipeError": frozenset({"EPIPE"}), "ConnectionResetError": frozenset({"ECONNRESET"})}
_ERRNO_NAMES = {v: k for k, v in _errno.errorcode.items()}  # number -> name, on this platform

# Statements before a re-raise that are not a decision about the connection.
# A dotted name with a part like these is logging: log.info, self._logger.error,
# logging.exception, self.log_error (http.server), LOG.warning.
_LOGGING_PART = re.compile(r"^_*(log|logger|logging)(_\w*)?$|_(log|logger)$", re.IGNORECASE)
_REPORTING_MODULES = frozenset({"warnings", "traceback"})  # warnings.warn, traceback.print_exc



# `x.__class__(...)`, `type(x)(...)`: an instance of whatever class x has.
_ANONYMOUS_INSTANCE = re.compile(rb"\.[ \t]*__class__[ \t]*\(|\btype[ \t]*\([^()\n]*\)[ \t]*\(")


def _literal_truth(expr) -> Optional[bool]:
    """The truth of a literal (True, False, None, a number, a string); None for anything else."""
    if isinstance(expr, cst.Name) and expr.value in ("True", "False", "None"):
        return expr.value == "True"
    if isinstance(expr, (cst.Integer, cst.Float)):
        return float(expr.value) != 0
    if isinstance(expr, cst.SimpleString):
        return len(expr.evaluated_value) > 0
    return None


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
        """Whether `exc` raised inside the guard stops there (caught and not sent on)."""
        if guard.handlers:  # an except chain
            h = self._first_catching(guard, exc)
            return h is not None and self.handler_handles(h, guard.scope, exc)
        # context managers (suppress(...) among them), and guards made of types alone (streams.py)
        for t in guard.types:
            kind = t[0] if isinstance(t, tuple) else None  # None: an exception type expression
            if kind == "manager":
                call = t[1]
                # `contextlib.suppress(...)` under whatever name it was imported as
                if isinstance(call, cst.Call) and self.qname(call.func, guard.scope) == "contextlib.suppress":
                    if any(self.covers(a.value, guard.scope, exc) for a in call.args if a.keyword is None):
                        return True
                elif isinstance(call, cst.Call) and self._is_expectation(call, guard.scope):
                    # pytest.raises(E) / self.assertRaises(E): the block's E is caught there
                    # (the test then passes, or fails with its own report: no crash)
                    expected = _expected_exception(call)
                    if expected is not None and self.covers(expected, guard.scope, exc):
                        return True
                elif exc in self.manager_call_swallows(call, guard.scope):
                    return True
            elif self.covers(t, guard.scope, exc):
                return True
        return False

    def _is_expectation(self, call: cst.Call, scope) -> bool:
        """A test's expectation of an exception: `pytest.raises(...)`, or unittest's
        `self.assertRaises(...)`/`self.assertRaisesRegex(...)` (on `self` only: another
        object's method of that name may be anything)."""
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value in _UNITTEST_EXPECTS:
            return isinstance(func.value, cst.Name) and func.value.value == "self"
        return self.qname(func, scope) == "pytest.raises"

    def expectation_around(self, ctx: Ctx) -> Optional[cst.Call]:
        """The innermost `pytest.raises(...)`/`self.assertRaises(...)` around ctx (same
        function): the test expects an exception there, and catching it inside would
        fail the test (the fixer offers no wrap there)."""
        for guard in reversed(ctx.guards):
            for t in guard.types:
                if isinstance(t, tuple) and t[0] == "manager" and isinstance(t[1], cst.Call):
                    if self._is_expectation(t[1], guard.scope):
                        return t[1]
        return None

    def _first_catching(self, guard: Guard, exc: str) -> Optional[cst.ExceptHandler]:
        for h in guard.handlers:
            if self.covers(h.type, guard.scope, exc):
                return h
        return None

    def handlers_catching(self, ctx: Ctx, exc: str) -> List[cst.ExceptHandler]:
        """The `except` clauses around ctx (same function, innermost first) that handle `exc`."""
        out = []
        for guard in reversed(ctx.guards):
            if guard.handlers:
                h = self._first_catching(guard, exc)
                if h is not None and self.handler_handles(h, guard.scope, exc):
                    out.append(h)
        return out

    def handled_locally(self, ctx: Ctx, exc: str) -> bool:
        return any(self.guard_covers(g, exc) for g in ctx.guards)

    # -- handled where the write is, or by every caller in the program -------------------

    def handled_at(self, ctx: Ctx, depth: int, memo: Optional[dict] = None, missing=PEER_DEATH, sites=None) -> bool:
        """Whether `missing` are caught around ctx, or at every caller of its function.

        Callers are those in this module (`call_sites`, up to `depth` levels) and, through the
        program view, calls of a module-level function made in other modules of the project
        (one level: what is caught around each of those calls and by its module's callers).
        A method of a request handler whose `handle()` runs the dispatch under a guard is
        handled there. Calls through a value count (`cb = self._flush; cb()`, a loop over
        `(self._a, self._b)`, a call it is passed to, the callers of a function returning
        it: `reference_sites`); a function also handed to a thread or stored for later is
        not handled. A function with no caller in sight is not handled: its callers are
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
        # call sites (for a coroutine, where its task is awaited)
        callers = [(c, depth - 1) for _, c in (sites or self.caller_contexts)(func)]
        for kind, _node, c in self.reference_sites(func):
            if kind not in ("call", "returned"):
                memo[key] = False  # run by a thread, or by callers this module does not show
                return False
            # A returned function is called by the returning function's callers: the hop
            # through the `return` is not a level of calls.
            callers.append((c, depth if kind == "returned" else depth - 1))
        ok = all(self.handled_at(c, d, memo, still, sites) for c, d in callers)
        remote = []
        if ok and self.program is not None and func.cls is None and func.outer is self.module_scope and self.modname:
            remote = self.program.callers(f"{self.modname}.{func.name}", self.path) or []  # None: too many to read
            ok = all(set(still) <= set(r.handled) for r in remote)
        elif ok and self.program is not None and func.cls is not None:
            found = self.method_callers_elsewhere(func, alone=not callers)
            if not found and not callers:
                # no call on a receiver of a known class: every call of the name may be one
                named = self._every_call_of_name(func, still)
                if named is None:
                    memo[key] = False  # callers unknown
                    return False
                callers = [(c, depth - 1) for c in named]
                ok = all(self.handled_at(c, depth - 1, memo, still, sites) for c in named)
                found = []
            remote = found or []
            ok = ok and all(set(still) <= set(r.handled) for r in remote)
        result = bool(callers or remote) and ok
        memo[key] = result
        return result

    def handled_by_receiver(self, write, missing=PEER_DEATH) -> bool:
        """A bound method passed to a function of this module that calls it only under a
        guard: `SocketError.wrap(self._sock.sendall, data)` where `wrap(fn, *args)` runs
        `fn(*args)` in a `try` whose `except OSError` translates or handles it.

        The function is named directly (`wrap(...)`, `Cls.wrap(...)` or `self.wrap(...)`),
        its parameter in that position is used only as `param(...)` right in its body, and
        every such call is guarded; anything else (the parameter passed on, stored, called
        in a nested function, a function of another module) is not followed.
        """
        if getattr(write, "via", "") != "passed":
            return False
        call, ctx = write.call, write.ctx
        position = None
        keyword = None
        index = 0
        for a in call.args:
            if isinstance(a.value, cst.Attribute) and a.value.value is write.target and a.value.attr.value == write.method:
                if a.star:
                    return False
                position, keyword = (None, a.keyword.value) if a.keyword is not None else (index, None)
                break
            if a.keyword is None and not a.star:
                index += 1
            elif a.star:
                return False
        if position is None and keyword is None:
            return False
        callee = self._called_function(call.func, ctx)
        if callee is None or not isinstance(callee.node, cst.FunctionDef):
            return False
        names = filled_params(callee)
        if keyword is not None:
            name = keyword if keyword in names else None
        else:
            if self.passes_instance(callee, call.func, ctx.scope):
                position -= 1  # Cls.wrap(instance, fn, ...): the instance fills `self`
            name = names[position] if 0 <= position < len(names) else None
        if name is None:
            return False
        uses = [n for n in _names_in(callee.node.body) if n.value == name]
        runs = [
            (c, cctx)
            for c, cctx in self.calls_by_name.get(name, ())
            if cctx.func is callee and isinstance(c.func, cst.Name) and c.func.value == name
        ]
        if not runs or len(runs) != len(uses):
            return False
        return all(self.handled_locally(cctx, e) for _, cctx in runs for e in missing)

    def _called_function(self, func, ctx: Ctx) -> Optional[FunctionInfo]:
        """The function of this module a call names: `f`, `Cls.m` (a local class), `self.m`."""
        if isinstance(func, cst.Name):
            bs, _ = self.lookup(func.value, ctx.scope)
            defs = [b.info for b in bs or () if b.kind == "def"]
            return defs[0] if bs and len(defs) == len(bs) == 1 else None
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
            classes = self._local_classes(func.value, ctx.scope)
            cls = classes[0] if len(classes) == 1 else self._self_class(func.value.value, ctx.scope)
            if cls is None:
                return None
            for c in [cls] + self._local_bases(cls):
                m = c.methods.get(func.attr.value)
                if m is not None:
                    return m
        return None

    def method_callers_elsewhere(self, func: FunctionInfo, alone: bool) -> Optional[list]:
        """The calls of method `func` made in other modules of the program (MethodCallRecords:
        what each passes, what is handled around it), or None when its callers there are not
        all known.

        A call counts when its receiver's class is known (`recv = Cls(...)`, `self.x`
        bound only to such calls, `self`) and may be `func`'s class: the class or a
        subclass of it, or for `self`, a class above or below it. Receivers of other
        classes are not callers. Unknown: a call of that method name on a receiver of
        unknown class anywhere in the project, the name used otherwise than called
        (a value passed or stored, `getattr`), a class that cannot be read. With `alone`
        (no caller in this module), this module's calls of the name must be known too.
        """
        cls = func.cls
        name = func.name
        if cls.outer is not self.module_scope or not self.modname or name.startswith("__") or name == "<lambda>":
            return None
        records = self.program.method_calls(name, self.path)
        if records is None:
            return None
        out = []
        for r in records:
            related = None
            for q, exact in r.receiver:
                rel = self._class_related(q, exact, cls)
                if rel is None:
                    return None
                related = related or rel
            if related:
                out.append(r)
        if alone and out and not self._own_calls_unrelated(func):
            return None  # (asked last: it may tokenize this module)
        return out

    def constructions_elsewhere(self, cls: ClassInfo) -> Optional[list]:
        """The calls `Cls(...)` of class `cls` made in other modules of the program
        (CallRecords: what each passes to `__init__` after `self`, what is handled around
        it), or None when they are not all known (`Program.constructions`), or when this
        module may make instances another way: the class name used here otherwise than in
        its `class` statement and its calls (a subclass, a value, `isinstance`), or a method
        of the class making one without naming it (`cls(...)`, `type(self)(...)`,
        `self.__class__(...)`)."""
        memo = self.__dict__.setdefault("_constructions", {})
        if id(cls) not in memo:
            memo[id(cls)] = self._constructions_elsewhere(cls)
        return memo[id(cls)]

    def _constructions_elsewhere(self, cls: ClassInfo) -> Optional[list]:
        from sigpipe_lint.program.view import _code_only, class_uses

        if cls.outer is not self.module_scope or not self.modname or not self.path:
            return None
        data = self.program.read(self.path)
        if data is None:
            return None
        calls, other = class_uses(data, cls.name)
        local = [
            c for c, ctx in self.calls_by_name.get(cls.name, ())
            if isinstance(c.func, cst.Name) and cls in self._local_classes(c.func, ctx.scope)
        ]
        if other != 1 or calls != len(local) or self._makes_own_instances(cls, _code_only(data)):
            return None
        return self.program.constructions(f"{self.modname}.{cls.name}", self.path)

    def _makes_own_instances(self, cls: ClassInfo, code: bytes) -> bool:
        """Whether `cls` may be instantiated without its name: a method calling its first
        parameter (`cls(...)` in a classmethod), or anywhere in the module's code
        `x.__class__(...)` or `type(x)(...)`."""
        if _ANONYMOUS_INSTANCE.search(code):
            return True
        for m in cls.methods.values():
            params = list(m.node.params.posonly_params) + list(m.node.params.params)
            if not params:
                continue
            for call, ctx in self.calls_by_name.get(params[0].name.value, ()):
                if not isinstance(call.func, cst.Name):
                    continue
                scope = ctx.scope
                while scope is not None and scope is not cls.scope:
                    scope = scope.parent
                if scope is not None:
                    return True
        return False

    def _every_call_of_name(self, func: FunctionInfo, still) -> Optional[List[Ctx]]:
        """The contexts of every `x.<name>(...)` of this module, as the callers of method
        `func` when no receiver's class says which of them call it: all of them may, so all
        must catch what `func` lets out (python-memcached's `server.send_cmds(...)` on
        servers taken from a dict). Only when the name is used nowhere in this module but
        in such calls and its definitions, every call of it in the program's other modules
        catches `still` too, and it is not a name the standard library calls by itself
        (`write` for `print(file=...)`, `handle`, `run`, dunders). None: not known."""
        name = func.name
        if name.startswith("__") or name in _NOT_DISPATCHED or name in _CALLED_IMPLICITLY or not self.path:
            return None
        named = self._method_calls_of(name)
        # where each call's exception surfaces (a coroutine made a task: where it is awaited)
        surfaces = [c for call, ctx in named for _, c in self.surfacing(func, call, ctx)]
        if not surfaces or not self._only_called(name, named):
            return None
        elsewhere = self.program.method_calls(name, self.path)
        if elsewhere is None or not all(set(still) <= set(r.handled) for r in elsewhere):
            return None
        return surfaces

    def _own_calls_unrelated(self, func: FunctionInfo) -> bool:
        """Every `x.<name>(...)` in this module (but `func`'s callers) has a receiver of a
        known class other than `func`'s, and the name is used nowhere else (values, strings)."""
        calls = self._method_calls_of(func.name)
        for call, ctx in calls:
            cls = ctx.func.cls if ctx.func is not None else None
            found = self.receiver_classes(call.func.value, ctx.scope, cls)
            if not found:
                return False
            for q, exact in found:
                if self._class_related(q, exact, func.cls) is not False:
                    return False
        return self._only_called(func.name, calls)

    def _method_calls_of(self, name: str) -> List[Tuple[cst.Call, Ctx]]:
        """Every `x.<name>(...)` of this module, whatever `x` is."""
        return [(c, ctx) for c, ctx in self.calls_by_name.get(name, ()) if isinstance(c.func, cst.Attribute)]

    def _only_called(self, name: str, calls) -> bool:
        """Whether this module's text uses `name` only in `calls` (its `x.<name>(...)`
        calls) and definitions: no value, keyword, string or `getattr` that could call it
        unseen (program.view.name_uses)."""
        from sigpipe_lint.program.view import name_uses

        data = self.program.read(self.path) if self.path else None
        uses = name_uses(data, name) if data is not None else None
        return uses is not None and not uses[2] and uses[0] == len(calls)

    def _class_related(self, q: str, exact: bool, cls: ClassInfo) -> Optional[bool]:
        """Whether a call on an instance of `q` (exact: made by calling `q`; else `q` or a
        subclass) may run a method of `cls` (a top-level class of this module); None: unknown."""
        from sigpipe_lint.program.view import OPAQUE

        own = f"{self.modname}."
        if q.startswith("<local>."):
            q = own + q[len("<local>."):]
        mine = f"{own}{cls.name}"
        if q == mine:
            return True
        if q.startswith(own) and "." not in q[len(own):]:
            local = [b.info for b in self.module_scope.bindings.get(q[len(own):], ()) if b.kind == "class"]
            if len(local) != 1:
                return None
            other = local[0]
            return cls in self._local_bases(other) or (not exact and other in self._local_bases(cls))
        if q.split(".", 1)[0] in OPAQUE:
            return False  # a library class: not one of this program's subclasses
        ancestors = self._remote_ancestors(q)
        if ancestors is None:
            return None
        if mine in ancestors:
            return True
        if not exact:
            mine_up = self._own_ancestors(cls)
            return None if mine_up is None else q in mine_up
        return False

    def _own_ancestors(self, cls: ClassInfo) -> Optional[Set[str]]:
        """The qualified names of the classes above `cls`, here and elsewhere; None: unknown."""
        from sigpipe_lint.program.view import OPAQUE

        out: Set[str] = set()
        for c in [cls] + self._local_bases(cls):
            for base in c.node.bases:
                q = self.qname(base.value, c.outer)
                if q is None:
                    return None
                if q.startswith("<local>."):
                    out.add(f"{self.modname}.{q[len('<local>.'):]}")
                elif not q.startswith("builtins.") and q.split(".", 1)[0] not in OPAQUE:
                    out.add(q)
                    up = self._remote_ancestors(q)
                    if up is None:
                        return None
                    out |= up
        return out

    def _remote_ancestors(self, q: str, depth: int = 0) -> Optional[Set[str]]:
        """The qualified names of the classes above class `q` (through the program's
        summaries); None when one of them cannot be read."""
        from sigpipe_lint.program.view import OPAQUE

        found = self.program.class_summary(q, self.search_paths, "cls")
        if found is None or depth > 8:
            return None
        out: Set[str] = set()
        for b in found[0].bases:
            if not b or b.startswith("builtins.") or b.split(".", 1)[0] in OPAQUE:
                continue
            out.add(b)
            up = self._remote_ancestors(b, depth + 1)
            if up is None:
                return None
            out |= up
        return out

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

    # -- what an except clause does with what it caught --------------------------------

    def handler_handles(self, handler: cst.ExceptHandler, scope: Scope, exc: str) -> bool:
        """Whether a clause that catches `exc` by type also keeps it from going on (module doc)."""
        memo = self.__dict__.setdefault("_hmemo", {})
        key = (id(handler), exc)
        if key not in memo:
            name = None
            if handler.name is not None and isinstance(handler.name.name, cst.Name):
                name = handler.name.name.value
            body = list(handler.body.body)
            memo[key] = not self._reraises(body, scope, exc, name, False, self._caught_aliases(body, scope, name))
        return memo[key]

    def _caught_aliases(self, body, scope: Scope, name: Optional[str]) -> FrozenSet[str]:
        """Names a handler's body binds to the exception it caught, besides `as name`:
        `_, e, _ = sys.exc_info()`, `e = sys.exc_info()[1]`, `e = sys.exception()`,
        `err = name`. `raise e` with one of them re-raises it, as stomp.py's send does."""
        out: Set[str] = set()
        for stmt in body:
            if not isinstance(stmt, cst.SimpleStatementLine):
                continue
            for small in stmt.body:
                if not isinstance(small, cst.Assign) or len(small.targets) != 1:
                    continue
                target, value = small.targets[0].target, small.value
                index = None
                if isinstance(value, cst.Subscript) and len(value.slice) == 1:
                    sl = value.slice[0].slice
                    if isinstance(sl, cst.Index) and isinstance(sl.value, cst.Integer):
                        index, value = sl.value.value, value.value
                if isinstance(value, cst.Call) and isinstance(value.func, (cst.Name, cst.Attribute)):
                    q = self.qname(value.func, scope)
                    if q == "sys.exception" and index is None and isinstance(target, cst.Name):
                        out.add(target.value)
                    elif q == "sys.exc_info" and index == "1" and isinstance(target, cst.Name):
                        out.add(target.value)
                    elif q == "sys.exc_info" and index is None and isinstance(target, (cst.Tuple, cst.List)):
                        els = target.elements
                        if len(els) == 3 and isinstance(els[1].value, cst.Name):
                            out.add(els[1].value.value)
                elif isinstance(value, cst.Name) and name is not None and value.value in ({name} | out):
                    if isinstance(target, cst.Name):
                        out.add(target.value)
        return frozenset(out)

    def _reraises(self, stmts, scope: Scope, exc: str, name: Optional[str], cleaned: bool, aliases=frozenset()) -> bool:
        """Whether a path through `stmts` sends the caught exception on."""
        return self._flow(stmts, scope, exc, name, cleaned, aliases)[0]

    def _flow(self, stmts, scope: Scope, exc: str, name: Optional[str], cleaned: bool, aliases=frozenset()):
        """(whether a path through `stmts` sends the caught exception on with no decision
        before it, the set of `cleaned` values of the paths that run off the end).
        `aliases`: other names of the caught exception (`_caught_aliases`)."""
        states = {cleaned}  # the live paths, by whether they made a decision
        for stmt in stmts:
            if not states:
                break
            if isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    if isinstance(small, cst.Raise):
                        if small.exc is None or (
                            isinstance(small.exc, cst.Name) and (small.exc.value == name or small.exc.value in aliases)
                        ):
                            if False in states:
                                return True, frozenset()  # re-raise (after cleanup: a decision)
                        states = set()  # raises something else: translated
                        break
                    if isinstance(small, (cst.Return, cst.Break, cst.Continue)):
                        states = set()
                        break
                    if _is_cleanup(small):
                        states = {True}
            elif isinstance(stmt, cst.If):
                verdict = self._condition(stmt.test, scope, exc, name)
                if verdict is None:
                    verdict = self._option_default(stmt.test, scope)
                branches = []
                if verdict is not False:
                    branches.append(list(stmt.body.body))
                if verdict is not True:
                    orelse = stmt.orelse
                    if isinstance(orelse, cst.If):
                        branches.append([orelse])
                    elif isinstance(orelse, cst.Else):
                        branches.append(list(orelse.body.body))
                    else:
                        branches.append([])
                after = set()
                for state in states:
                    for b in branches:
                        sends, out = self._flow(b, scope, exc, name, state, aliases)
                        if sends:
                            return True, frozenset()
                        after |= out
                if verdict is None and True in after and not _reads_exception(stmt.test, name):
                    # A test of the program's state, not of the exception: a decision in
                    # one state and the same way on for every state is a decision (module doc).
                    after = {True}
                states = after
            elif isinstance(stmt, (cst.With, cst.For, cst.While)):
                for state in states:
                    if self._flow(list(stmt.body.body), scope, exc, name, state, aliases)[0]:
                        return True, frozenset()
                states = {True}
            elif isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
                continue
            else:  # try, match: something the handler decided to do
                states = {True}
        return False, frozenset(states)

    def _option_default(self, test, scope: Scope) -> Optional[bool]:
        """The value of an `if` test in a handler when it reads only an option the caller
        may set and the test follows its default: a parameter of the function with a
        literal default that the function never rebinds (`ignore_socket_errors=True`), or
        `self.x` bound only in `__init__`, to such a parameter of it
        (`self.raise_send_errors = raise_send_errors`, default False). The clause then
        re-raises only for a caller who asked for the exception: by default it handles it
        (whois, graphyte). A test of other state (`self.closing`) is not an option: None."""
        if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
            v = self._option_default(test.expression, scope)
            return None if v is None else not v
        if isinstance(test, cst.Name):
            return self._param_default(test.value, scope)
        if isinstance(test, cst.Attribute) and isinstance(test.value, cst.Name):
            cls = self._self_class(test.value.value, scope)
            if cls is None:
                return None
            bound = self._class_attr_bindings(cls, test.attr.value)
            init = cls.methods.get("__init__")
            if not bound or init is None or any(s is not init.scope or not isinstance(v, cst.Name) for v, s in bound):
                return None
            values = {self._param_default(v.value, s) for v, s in bound}
            return values.pop() if len(values) == 1 else None
        return None

    def _param_default(self, name: str, scope: Scope, _seen=None) -> Optional[bool]:
        """The truth of parameter `name`'s literal default (True, False, None, a number or
        a string), when it is the only binding of the name in its function and no call of
        the function in this module passes another value (a literal of the other truth, or
        anything but the caller's own parameter of the same default); else None."""
        bs, _ = self.lookup(name, scope)
        if not bs or len(bs) != 1 or bs[0].kind != "param" or bs[0].info is None:
            return None
        func = bs[0].info
        params = func.node.params
        value = None
        for param in list(params.params) + list(params.kwonly_params):
            if param.name.value == name and param.default is not None:
                value = _literal_truth(param.default)
                break
        if value is None:
            return None
        seen = (_seen or frozenset()) | {(id(func), name)}
        names = filled_params(func)
        index = names.index(name) if name in names else None
        sites = list(self.call_sites(func))
        if func.cls is not None and func.name != "__init__":
            # a method: any `x.<name>(...)` of the module may call it (its receivers' classes
            # are not all known), and any of them may ask for the exception
            known = {id(c) for c, _ in sites}
            sites += [(c, x) for c, x in self._method_calls_of(func.name) if id(c) not in known]
        for call, ctx in sites:
            arg = self.argument_for(func, call, ctx.scope, index) if index is not None else keyword_arg(call, name)
            if arg is None:
                continue  # the default
            passed = _literal_truth(arg)
            if passed is None and isinstance(arg, cst.Name) and ctx.func is not None:
                caller = (id(ctx.func), arg.value)
                # whois(..., ignore_socket_errors=ignore_socket_errors): the caller's own option
                passed = value if caller in seen else self._param_default(arg.value, ctx.scope, seen)
            if passed != value:
                return None
        return value

    def _condition(self, test, scope: Scope, exc: str, name: Optional[str]) -> Optional[bool]:
        """The value of an `if` test in a handler that caught `exc` (as `name`); None: unknown."""
        if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
            v = self._condition(test.expression, scope, exc, name)
            return None if v is None else not v
        if isinstance(test, cst.BooleanOperation):
            a = self._condition(test.left, scope, exc, name)
            b = self._condition(test.right, scope, exc, name)
            if isinstance(test.operator, cst.And):
                return False if (a is False or b is False) else (True if a and b else None)
            return True if (a is True or b is True) else (False if a is False and b is False else None)
        if isinstance(test, cst.Call) and name is not None and call_name(test) == "isinstance":
            args = [a.value for a in test.args]
            if len(args) == 2 and isinstance(args[0], cst.Name) and args[0].value == name:
                qs = [self.qname(e, s) for e, s in self.value_exprs(args[1], scope)]
                if any(q in EXCEPTION_ANCESTORS[exc] for q in qs):
                    return True
                return False if all(q is not None for q in qs) else None
            return None
        if isinstance(test, cst.Comparison) and name is not None and len(test.comparisons) == 1:
            left, comp = test.left, test.comparisons[0]
            right, op = comp.comparator, comp.operator
            if not self._is_errno_of(left, name):
                if isinstance(op, (cst.Equal, cst.NotEqual)) and self._is_errno_of(right, name):
                    left, right = right, left
                else:
                    return None
            values = self._errno_names(right, scope)
            if values is None or exc not in PEER_DEATH_ERRNOS:
                return None
            hit = bool(PEER_DEATH_ERRNOS[exc] & values)
            if isinstance(op, (cst.Equal, cst.In, cst.Is)):
                return hit
            if isinstance(op, (cst.NotEqual, cst.NotIn, cst.IsNot)):
                return not hit
            return None
        return None

    @staticmethod
    def _is_errno_of(expr, name: str) -> bool:
        """`e.errno`, `e.args[0]`, `getattr(e, "errno", ...)` of the caught exception `e`."""
        if isinstance(expr, cst.Attribute):
            return expr.attr.value == "errno" and isinstance(expr.value, cst.Name) and expr.value.value == name
        if isinstance(expr, cst.Subscript):
            return dotted(expr.value) == f"{name}.args" and len(expr.slice) == 1 and (
                isinstance(expr.slice[0].slice, cst.Index)
                and isinstance(expr.slice[0].slice.value, cst.Integer)
                and expr.slice[0].slice.value.value == "0"
            )
        if isinstance(expr, cst.Call) and call_name(expr) == "getattr" and len(expr.args) >= 2:
            a0, a1 = expr.args[0].value, expr.args[1].value
            return isinstance(a0, cst.Name) and a0.value == name and _literal_string(a1) == "errno"
        return False

    def _errno_names(self, expr, scope: Scope) -> Optional[FrozenSet[str]]:
        """{"EPIPE", ...} for `errno.EPIPE`, `32`, a tuple/set/frozenset of them (or a name
        bound to one); None when something in it is unknown."""
        if isinstance(expr, cst.Call) and call_name(expr) in ("frozenset", "set", "tuple", "list") and len(expr.args) == 1:
            expr = expr.args[0].value
        out = set()
        for e, s in self.value_exprs(expr, scope):
            if isinstance(e, cst.Integer):
                try:
                    n = _ERRNO_NAMES.get(int(e.value, 0))
                except ValueError:
                    n = None
            else:
                q = self.qname(e, s) or ""
                n = q[len("errno.") :] if q.startswith("errno.") else None
            if n is None:
                return None
            out.add(n)
        return frozenset(out)

    # -- context managers ---------------------------------------------------------------

    def manager_call_swallows(self, expr, scope: Scope) -> Tuple[str, ...]:
        """What `with expr:` swallows or translates of PEER_DEATH: `self._socket_errors()`,
        `socket_errors()`, `Translator()`, a name bound to an instance of a local class
        (`guard = Quiet(); with guard:`), or (program view) a manager of another module."""
        func = expr.func if isinstance(expr, cst.Call) else None
        if isinstance(expr, cst.Name):
            bs, _ = self.lookup(expr.value, scope)
            made = [b for b in bs or () if b.kind == "value" and isinstance(b.value, cst.Call)]
            if not made or len(made) != len(bs):
                return ()
            classes = self._local_classes(made[0].value.func, made[0].scope)
            return self.manager_swallows(classes[0]) if classes else ()
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
                return tuple(e for e in PEER_DEATH if e in out)
        if func is None:
            return ()
        q = self.qname(func, scope)
        if q is None or self.program is None or q.startswith(("builtins.", "<local>.", "contextlib.")):
            return ()
        return self.program.manager_swallows(q, self.search_paths)

    def manager_swallows(self, target) -> Tuple[str, ...]:
        """Which of PEER_DEATH a context manager defined here keeps from leaving its block.

        A `@contextmanager` generator: the `try` around its `yield` handles them, as an
        `except` clause does (module doc: catching and re-raising is not handling). A class:
        its `__exit__` (its own or a local base's) returns true for them (`return True`,
        `return issubclass(exc_type, OSError)`) or raises an exception of its own
        (translation). The program view summarises this for every module.
        """
        key = ("mgr", id(target))
        if key in self._gcache:
            return self._gcache[key]
        self._gcache[key] = ()  # cycle guard
        out: Set[str] = set()
        if isinstance(target, FunctionInfo) and isinstance(target.node, cst.FunctionDef):
            decorated = any(
                (self.qname(d.decorator, target.outer) or "").endswith("contextmanager")
                for d in target.node.decorators
            )
            if decorated:
                for guard, ctx in self.guards:
                    if ctx.func is target and guard.handlers and _yields(guard.node.body):
                        out.update(e for e in PEER_DEATH if self.guard_covers(guard, e))
        elif isinstance(target, ClassInfo):
            exit_ = None
            for c in [target] + self._local_bases(target):
                exit_ = c.methods.get("__exit__") or c.methods.get("__aexit__")
                if exit_ is not None:
                    break
            if exit_ is not None and isinstance(exit_.node, cst.FunctionDef):
                out.update(e for e in PEER_DEATH if self._exit_swallows(exit_, e))
        result = tuple(e for e in PEER_DEATH if e in out)
        self._gcache[key] = result
        return result

    def _exit_swallows(self, func: FunctionInfo, exc: str) -> bool:
        params = [p.name.value for p in func.node.params.params]
        # __exit__(self, exc_type, exc_value, tb)
        type_name = params[1] if len(params) > 1 else None
        value_name = params[2] if len(params) > 2 else None
        return self._exit_flow(list(func.node.body.body), func.scope, exc, type_name, value_name)

    def _exit_flow(self, stmts, scope, exc, type_name, value_name) -> bool:
        for i, stmt in enumerate(stmts):
            if isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    if isinstance(small, cst.Return):
                        if small.value is None:
                            return False
                        return self._exit_value(small.value, scope, exc, type_name, value_name) is True
                    if isinstance(small, cst.Raise):
                        return small.exc is not None and not (
                            isinstance(small.exc, cst.Name) and small.exc.value == value_name
                        )
            elif isinstance(stmt, cst.If):
                v = self._exit_value(stmt.test, scope, exc, type_name, value_name)
                rest = stmts[i + 1 :]
                if v is True:
                    return self._exit_flow(list(stmt.body.body) + rest, scope, exc, type_name, value_name)
                orelse = stmt.orelse
                other = [orelse] if isinstance(orelse, cst.If) else list(orelse.body.body) if orelse else []
                if v is False:
                    return self._exit_flow(other + rest, scope, exc, type_name, value_name)
                return self._exit_flow(list(stmt.body.body) + rest, scope, exc, type_name, value_name) and self._exit_flow(
                    other + rest, scope, exc, type_name, value_name
                )
        return False

    def _exit_value(self, expr, scope, exc, type_name, value_name) -> Optional[bool]:
        """An `__exit__` expression's truth when `exc` is leaving the block; None: unknown."""
        if isinstance(expr, cst.Name) and expr.value in ("True", "False"):
            return expr.value == "True"
        if isinstance(expr, cst.Name) and expr.value in (type_name, value_name):
            return True  # an exception is passing: its type and value are set
        if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, cst.Not):
            v = self._exit_value(expr.expression, scope, exc, type_name, value_name)
            return None if v is None else not v
        if isinstance(expr, cst.BooleanOperation):
            a = self._exit_value(expr.left, scope, exc, type_name, value_name)
            b = self._exit_value(expr.right, scope, exc, type_name, value_name)
            if isinstance(expr.operator, cst.And):
                return False if (a is False or b is False) else (True if a and b else None)
            return True if (a is True or b is True) else (False if a is False and b is False else None)
        if isinstance(expr, cst.Comparison) and len(expr.comparisons) == 1:
            comp = expr.comparisons[0]
            if isinstance(expr.left, cst.Name) and expr.left.value in (type_name, value_name):
                if isinstance(comp.comparator, cst.Name) and comp.comparator.value == "None":
                    return isinstance(comp.operator, cst.IsNot)
        if isinstance(expr, cst.Call) and call_name(expr) in ("issubclass", "isinstance") and len(expr.args) == 2:
            first = expr.args[0].value
            wanted = type_name if call_name(expr) == "issubclass" else value_name
            if isinstance(first, cst.Name) and first.value == wanted:
                qs = [self.qname(e, s) for e, s in self.value_exprs(expr.args[1].value, scope)]
                if any(q in EXCEPTION_ANCESTORS[exc] for q in qs):
                    return True
                return False if all(q is not None for q in qs) else None
        return None

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
        for call, ctx in self.calls_named("contextlib.suppress"):  # `with` or not
            if self.guard_covers(Guard(call, [("manager", call, None)], ctx.scope), "BrokenPipeError"):
                return True
        return False


# unittest.TestCase's context managers that expect an exception of the block
_UNITTEST_EXPECTS = frozenset({"assertRaises", "assertRaisesRegex"})


def _expected_exception(call: cst.Call) -> Optional[cst.BaseExpression]:
    """E of `pytest.raises(E)` / `self.assertRaises(E)`: the first positional argument, or
    the `expected_exception=` keyword (both name it so); None when neither is given."""
    for a in call.args:
        if a.star:
            return None  # raises(*types): what it holds is not read
        if a.keyword is None:
            return a.value
        if a.keyword.value == "expected_exception":
            return a.value
    return None


def _is_cleanup(small) -> bool:
    """A statement that acts on the connection or the program's state before a re-raise:
    a call that is not logging (`self.close()`), an attribute or item assignment
    (`self.sock = None`), `del`. Logging, `print`, writing to stderr, `pass` and plain
    local names are not."""
    if isinstance(small, (cst.Assign, cst.AugAssign, cst.AnnAssign)):
        targets = [t.target for t in small.targets] if isinstance(small, cst.Assign) else [small.target]
        return any(isinstance(t, (cst.Attribute, cst.Subscript)) for t in targets)
    if isinstance(small, cst.Del):
        return True
    if not isinstance(small, cst.Expr):
        return False
    v = small.value.expression if isinstance(small.value, cst.Await) else small.value
    if not isinstance(v, cst.Call):
        return False
    name = dotted(v.func)
    if name is None:
        return True  # factory().close() and the like
    parts = name.split(".")
    if parts == ["print"] or parts[0] in _REPORTING_MODULES or parts[-2:] in (["stderr", "write"], ["stdout", "write"]):
        return False
    return not any(_LOGGING_PART.search(p) for p in parts)


def _reads_exception(test, name: Optional[str]) -> bool:
    """Whether an `if` test reads the caught exception: its name (`e`, not an attribute
    `self.e`), or `sys.exc_info()` / `sys.exception()`."""
    stack = [test]
    while stack:
        n = stack.pop()
        if isinstance(n, cst.Name) and name is not None and n.value == name:
            return True
        if isinstance(n, cst.Call) and dotted(n.func) in ("sys.exc_info", "sys.exception", "exc_info"):
            return True
        if isinstance(n, cst.Attribute):
            stack.append(n.value)  # `.attr` is a name of the object's, not a variable
            continue
        stack.extend(n.children)
    return False


def _names_in(node) -> List[cst.Name]:
    """The Name nodes under `node` (nested functions and classes included)."""
    out = []
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, cst.Name):
            out.append(n)
        stack.extend(n.children)
    return out


def _is_manager(guard: Guard) -> bool:
    return any(isinstance(t, tuple) and t and t[0] == "manager" for t in guard.types)


def _yields(block) -> bool:
    """Whether a block's statements (not nested functions) hold a `yield`."""
    stack = list(block.body) if hasattr(block, "body") else []
    while stack:
        n = stack.pop()
        if isinstance(n, (cst.Yield,)):
            return True
        if isinstance(n, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            continue
        for child in n.children:
            stack.append(child)
    return False

