"""Module facts, layer 3: what catches a dead peer's exceptions.

`except` clauses (their types resolved through names and tuples bound to names),
`contextlib.suppress(...)`, context managers of this module that swallow or translate
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
"""

from __future__ import annotations

import errno as _errno
import re
from typing import Dict, FrozenSet, List, Optional, Union

import libcst as cst

from sigpipe_lint.facts.names import ClassInfo, Ctx, FunctionInfo, Guard, Scope, _literal_string, call_name, dotted

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
# The errno a write to a dead peer raises each exception with (semantics.md, fact 2).
PEER_DEATH_ERRNOS = {"BrokenPipeError": frozenset({"EPIPE"}), "ConnectionResetError": frozenset({"ECONNRESET"})}
_ERRNO_NAMES = {v: k for k, v in _errno.errorcode.items()}  # number -> name, on this platform

# Statements before a re-raise that are not a decision about the connection.
# A dotted name with a part like these is logging: log.info, self._logger.error,
# logging.exception, self.log_error (http.server), LOG.warning.
_LOGGING_PART = re.compile(r"^_*(log|logger|logging)(_\w*)?$|_(log|logger)$", re.IGNORECASE)
_REPORTING_MODULES = frozenset({"warnings", "traceback"})  # warnings.warn, traceback.print_exc



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
        """Whether `exc` raised inside the guard stops there (caught and not sent on)."""
        if guard.handlers:  # an except chain
            h = self._first_catching(guard, exc)
            return h is not None and self.handler_handles(h, guard.scope, exc)
        # suppress(...), context managers, and guards made of types alone (streams.py)
        for t in guard.types:
            kind = t[0] if isinstance(t, tuple) else None  # None: an exception type expression
            if kind == "suppress":
                _, call, arg = t
                if self.qname(call.func, guard.scope) != "contextlib.suppress":
                    return False
                if self.covers(arg, guard.scope, exc):
                    return True
            elif kind == "cm":
                if exc in self.context_manager_swallows(self.context_manager_of(t[1], guard.scope)):
                    return True
            elif self.covers(t, guard.scope, exc):
                return True
        return False

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

    # -- what an except clause does with what it caught --------------------------------

    def handler_handles(self, handler: cst.ExceptHandler, scope: Scope, exc: str) -> bool:
        """Whether a clause that catches `exc` by type also keeps it from going on (module doc)."""
        memo = self.__dict__.setdefault("_hmemo", {})
        key = (id(handler), exc)
        if key not in memo:
            name = None
            if handler.name is not None and isinstance(handler.name.name, cst.Name):
                name = handler.name.name.value
            memo[key] = not self._reraises(list(handler.body.body), scope, exc, name, False)
        return memo[key]

    def _reraises(self, stmts, scope: Scope, exc: str, name: Optional[str], cleaned: bool) -> bool:
        """Whether a path through `stmts` sends the caught exception on."""
        for i, stmt in enumerate(stmts):
            if isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    if isinstance(small, cst.Raise):
                        if small.exc is None or (isinstance(small.exc, cst.Name) and small.exc.value == name):
                            return not cleaned  # re-raise (after cleanup: a decision)
                        return False  # raises something else: translated
                    if isinstance(small, (cst.Return, cst.Break, cst.Continue)):
                        return False
                    if not cleaned and _is_cleanup(small):
                        cleaned = True
            elif isinstance(stmt, cst.If):
                rest = stmts[i + 1 :]
                verdict = self._condition(stmt.test, scope, exc, name)
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
                for b in branches:
                    if self._reraises(b + rest, scope, exc, name, cleaned):
                        return True
                return False
            elif isinstance(stmt, (cst.With, cst.For, cst.While)):
                if self._reraises(list(stmt.body.body), scope, exc, name, cleaned):
                    return True
                cleaned = True
            elif isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
                continue
            else:  # try, match: something the handler decided to do
                cleaned = True
        return False

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

    def context_manager_of(self, expr, scope: Scope) -> Union[FunctionInfo, ClassInfo, None]:
        """The function or class of this module behind a `with` item: `self._errors()`,
        `socket_errors()`, `Translator()`, an instance `self._guard` made from a local class."""
        if isinstance(expr, cst.Call):
            f = expr.func
            funcs = self.functions_named_by(f, scope)
            if funcs:
                return funcs[0]
            classes = self._local_classes(f, scope)
            return classes[0] if classes else None
        if isinstance(expr, cst.Name):
            bs, _ = self.lookup(expr.value, scope)
            made = [b for b in bs or () if b.kind == "value" and isinstance(b.value, cst.Call)]
            if made and len(made) == len(bs):
                classes = self._local_classes(made[0].value.func, made[0].scope)
                return classes[0] if classes else None
        return None

    def context_manager_swallows(self, target: Union[FunctionInfo, ClassInfo, None]) -> FrozenSet[str]:
        """Which of PEER_DEATH a context manager keeps from leaving its `with` block.

        A `@contextmanager` generator: the `try` around its `yield` handles them (as an
        `except` clause does, module doc). A class: its `__exit__` returns true for them
        (`return issubclass(exc_type, OSError)`, `return True`) or raises another exception
        (translation). The program view calls this for managers of any module.
        """
        if target is None:
            return frozenset()
        memo = self.__dict__.setdefault("_cmmemo", {})
        if id(target) in memo:
            return memo[id(target)]
        memo[id(target)] = frozenset()  # cycle guard
        out = set()
        if isinstance(target, FunctionInfo):
            for guard, ctx in self.guards:
                if ctx.func is target and isinstance(guard.node, (cst.Try, cst.TryStar)) and _yields(guard.node.body):
                    out.update(e for e in PEER_DEATH if self.guard_covers(guard, e))
        elif isinstance(target, ClassInfo):
            exit_ = target.methods.get("__exit__") or target.methods.get("__aexit__")
            if exit_ is None:
                for base in self._local_bases(target):
                    exit_ = base.methods.get("__exit__") or base.methods.get("__aexit__")
                    if exit_ is not None:
                        break
            if exit_ is not None and isinstance(exit_.node, cst.FunctionDef):
                out.update(e for e in PEER_DEATH if self._exit_swallows(exit_, e))
        memo[id(target)] = frozenset(out)
        return memo[id(target)]

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
        for cls in self.classes:
            if "BrokenPipeError" in self.context_manager_swallows(cls):
                return True
        return False


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
