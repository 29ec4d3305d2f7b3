"""The program view, step 2: what other modules need to know of one module (its summary).

A summary is small and picklable, computed from the module's facts (the same engine that
analyses the file, never a second inference) and cached by content:

- `names`: module-level names that stand for something elsewhere (`from .conn import
  connect`, `Error = socket.error`): re-exports and aliases are followed through them;
- `functions`: module-level functions that return a socket, a socket file or a pair;
- `classes`: bases (qualified), socket attributes (`self.sock = ...`), methods returning a
  socket, the request-handler attributes inherited, whether it is itself a socket class,
  and whether a `handle()` runs everything it dispatches to under a guard;
- `exceptions`: names bound to tuples of exception classes (`CONNECTION_ERRORS = (...)`);
- `guard_managers`: context managers (functions and classes) that swallow or translate the
  exceptions a dead peer raises;
- `calls`: the calls this module makes to other modules' functions, with which arguments
  are sockets and which peer-death exceptions are handled around each call (callers in
  other modules are found through these);
- `method_calls`: method calls `recv.m(...)` whose receiver's class is known (made by
  calling a class, or `self`), by method name, with which arguments are sockets and what
  is handled around each (callers of another module's methods are found through these);
- `resets`: `signal.signal(SIGPIPE, SIG_DFL)` calls that run in this process (lines);
  `writes`: the module's socket writes (labels, for SPL002's message).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import libcst as cst

from sigpipe_lint.facts.guards import PEER_DEATH
from sigpipe_lint.facts.sockets import SockInfo


@dataclass
class ClassSummary:
    qname: str
    bases: Tuple[str, ...] = ()
    attrs: Dict[str, SockInfo] = field(default_factory=dict)
    # `self.<attr> = self.<method>(...)`: what that method returns is the subclass's to say
    # (`self._socket = self._create_socket()` in a base, the method in each subclass).
    attr_self_calls: Dict[str, Tuple[str, ...]] = field(default_factory=dict)
    methods: Dict[str, SockInfo] = field(default_factory=dict)
    method_names: Tuple[str, ...] = ()
    handler_attrs: Tuple[str, ...] = ()
    is_socket: Optional[SockInfo] = None
    # A proxy whose __getattr__ forwards to what __init__'s parameter (position, name) holds.
    delegates: Optional[Tuple[int, str]] = None
    dispatch_guarded: bool = False


@dataclass
class CallRecord:
    """One call of another module's function: what it passes, what is caught around it."""

    args: Tuple[Optional[SockInfo], ...]
    kwargs: Dict[str, SockInfo]
    handled: Tuple[str, ...]  # of PEER_DEATH, caught at the call or by every caller in its module
    # An argument not known to be a socket from the calling module alone, by position or
    # keyword: the other modules' functions whose result (or which item of it) it may be
    # (`made_by_elsewhere`), and the calling module's path, from which they are looked up.
    made_by: Dict[object, Tuple[Tuple[str, Optional[int]], ...]] = field(default_factory=dict)
    where: str = ""


@dataclass
class MethodCallRecord:
    """One method call `recv.m(...)` whose receiver's classes are known: what it passes
    (after the receiver, as CallRecord's), what is caught around it."""

    receiver: Tuple[Tuple[str, bool], ...]  # (qualified class name, exact) as receiver_classes
    args: Tuple[Optional[SockInfo], ...]
    kwargs: Dict[str, SockInfo]
    handled: Tuple[str, ...]  # of PEER_DEATH, as CallRecord.handled
    made_by: Dict[object, Tuple[Tuple[str, Optional[int]], ...]] = field(default_factory=dict)  # as CallRecord's
    where: str = ""


@dataclass
class ModuleSummary:
    path: str
    modname: Optional[str]
    sha: str
    names: Dict[str, str] = field(default_factory=dict)
    functions: Dict[str, SockInfo] = field(default_factory=dict)
    function_names: Tuple[str, ...] = ()
    classes: Dict[str, ClassSummary] = field(default_factory=dict)
    exceptions: Dict[str, Tuple[str, ...]] = field(default_factory=dict)
    guard_managers: Dict[str, Tuple[str, ...]] = field(default_factory=dict)
    calls: Dict[str, List[CallRecord]] = field(default_factory=dict)
    method_calls: Dict[str, List[MethodCallRecord]] = field(default_factory=dict)
    resets: Tuple[int, ...] = ()
    is_script: bool = False
    writes: Tuple[str, ...] = ()
    deps: Dict[str, str] = field(default_factory=dict)  # path -> sha of what it was built from
    # How many more modules its build's questions could reach (view.MAX_DEPTH); -1
    # (view.ANY_LEVEL) when it asked none, so that it is the same at every level.
    level: int = -1


def summarise(facts, path: str, sha: str) -> ModuleSummary:
    """The summary of a module from its facts (which may consult other summaries)."""
    from sigpipe_lint.facts.names import dotted

    mod = facts.modname
    s = ModuleSummary(path=path, modname=mod, sha=sha)

    def absolute(q: Optional[str]) -> Optional[str]:
        if q is not None and q.startswith("<local>."):
            return f"{mod}.{q[len('<local>.'):]}" if mod else None
        return q

    scope = facts.module_scope
    for name, bindings in scope.bindings.items():
        kinds = {b.kind for b in bindings}
        if kinds <= {"import", "value"}:
            qs = set()
            for b in bindings:
                if b.kind == "import":
                    qs.add(facts.qname_of_import(b))
                elif b.kind == "value" and dotted(b.value) is not None:
                    qs.add(facts.qname(b.value, b.scope))
                else:
                    qs.add(None)
            if len(qs) == 1 and None not in qs:
                s.names[name] = absolute(qs.pop())
            # A tuple (or list) of exception classes bound to a name.
            vals = [b for b in bindings if b.kind == "value"]
            if vals and len(vals) == len(bindings):
                # An element not known here catches nothing known, and the others still
                # catch what they catch: `(socket.error, extra())` catches OSError, as the
                # same tuple in the module of the `except` does (guards.covers).
                elems = []
                for e, es in facts.value_exprs_of_binding_list(vals):
                    q = absolute(facts.qname(e, es))
                    if q is not None:
                        elems.append(q)
                if elems and any(isinstance(b.value, (cst.Tuple, cst.List, cst.Set)) for b in vals):
                    s.exceptions[name] = tuple(elems)

    names = []
    for f in facts.functions:
        if f.cls is None and f.outer is scope and f.name != "<lambda>":
            names.append(f.name)
            info = facts.function_returns_sock(f)
            if info is not None:
                s.functions[f.name] = info
            swallowed = facts.manager_swallows(f)
            if swallowed:
                s.guard_managers[f.name] = swallowed
    s.function_names = tuple(names)

    for c in facts.classes:
        if c.outer is not scope:
            continue
        cs = ClassSummary(qname=f"{mod}.{c.name}" if mod else c.name)
        cs.bases = tuple(absolute(facts.qname(b.value, c.outer)) or "" for b in c.node.bases)
        for attr in c.attrs:
            info = facts.class_attr_sock(c, attr, subclasses=False)  # what it is in every subclass
            if info is not None:
                cs.attrs[attr] = info
            made = facts.attr_self_calls(c, attr)
            if made:
                cs.attr_self_calls[attr] = made
        for m_name, m in c.methods.items():
            info = facts.function_returns_sock(m)
            if info is not None:
                cs.methods[m_name] = info
        cs.method_names = tuple(c.methods)
        cs.handler_attrs = facts.handler_attrs(c)
        cs.is_socket = facts.class_is_socket(c)
        cs.delegates = facts.class_delegate(c)
        cs.dispatch_guarded = facts.dispatch_guarded(c)
        swallowed = facts.manager_swallows(c)
        if swallowed:
            s.guard_managers[c.name] = swallowed
        s.classes[c.name] = cs

    memo: dict = {}  # what is handled where, shared by both
    s.calls = _outgoing_calls(facts, memo)
    s.method_calls = _method_calls(facts, absolute, memo)

    s.resets = tuple(i for i, sc in enumerate(facts.sigpipe_calls) if sc.disposition == "default" and not sc.in_child)
    s.is_script = facts.has_main_guard()
    s.writes = tuple(w.label for w in facts.writes)
    return s


def _outgoing_calls(facts, memo: dict) -> Dict[str, List[CallRecord]]:
    """Calls of functions imported from other modules, with socket arguments and guards.

    What is caught around a call counts the call's own function and that function's callers
    in this module (`handled_at` without the program: one module at a time, so a chain of
    callers across modules is followed one level).
    """
    from sigpipe_lint.program.view import OPAQUE

    out: Dict[str, List[CallRecord]] = {}
    where = _where(facts)
    program, facts.program = facts.program, None  # one level: no callers of callers
    try:
        for name, calls in facts.calls_by_name.items():
            for call, ctx in calls:
                if not isinstance(call.func, (cst.Name, cst.Attribute)):
                    continue
                q = facts.qname(call.func, ctx.scope)
                if q is None or q.startswith(("<local>.", "builtins.")) or q.split(".", 1)[0] in OPAQUE:
                    continue
                # Under its qualified name, which ends with the real name even when the call
                # uses another (`from .net import send as push; push(...)`).
                args, kwargs, made_by = _arguments(facts, call, ctx)
                handled = tuple(e for e in PEER_DEATH if facts.handled_at(ctx, 3, memo, (e,)))
                out.setdefault(q, []).append(CallRecord(args, kwargs, handled, made_by, where))
    finally:
        facts.program = program
    return out


def _method_calls(facts, absolute, memo: dict) -> Dict[str, List[MethodCallRecord]]:
    """Method calls on receivers of known classes, with what is caught around each (this
    module's callers counted, as `_outgoing_calls` does). A call whose receiver is unknown is
    not recorded: a reader counting the calls in the module's bytes sees it is missing."""
    out: Dict[str, List[MethodCallRecord]] = {}
    where = _where(facts)
    program, facts.program = facts.program, None  # one level: no callers of callers
    try:
        for name, calls in facts.calls_by_name.items():
            if name.startswith("__"):
                continue
            for call, ctx in calls:
                func = call.func
                if not isinstance(func, cst.Attribute) or func.attr.value != name:
                    continue
                cls = ctx.func.cls if ctx.func is not None else None
                found = facts.receiver_classes(func.value, ctx.scope, cls)
                if not found:
                    continue
                receiver = []
                for q, exact in found:
                    q = absolute(q)
                    if q is None:
                        break
                    receiver.append((q, exact))
                else:
                    args, kwargs, made_by = _arguments(facts, call, ctx)
                    handled = tuple(e for e in PEER_DEATH if facts.handled_at(ctx, 3, memo, (e,)))
                    out.setdefault(name, []).append(
                        MethodCallRecord(tuple(receiver), args, kwargs, handled, made_by, where)
                    )
    finally:
        facts.program = program
    return out


def _where(facts) -> str:
    """The module's path as records keep it: absolute, since a summary cached on disk may
    be read by a run started elsewhere."""
    return os.path.abspath(facts.path) if facts.path else ""


def _arguments(facts, call, ctx):
    """The socket-ness of a call's arguments, judged from this module alone (the program set
    aside by the caller): positional ones up to the first keyword or star (None where not
    known to be a socket), and keyword ones known to be sockets. For a method call these
    are the arguments after the receiver.

    Third, by position or keyword, the other modules' functions whose result an argument
    not known to be a socket may be (`s = factory.open_link(a); send_frame(s, data)`):
    the reader asks the program about them (`SocketFacts.argument_sock`)."""
    cls = ctx.func.cls if ctx.func is not None else None
    args = []
    kwargs = {}
    made_by: Dict[object, Tuple[Tuple[str, Optional[int]], ...]] = {}

    def judge(value, at) -> Optional[SockInfo]:
        if not _cheap(value):
            return None
        info = facts.sock_info(value, ctx.scope, 0, cls)
        if info is None:
            found = facts.made_by_elsewhere(value, ctx.scope, cls)
            if found:
                made_by[at] = found
        return info

    for a in call.args:
        if a.keyword is not None or a.star:
            break
        args.append(judge(a.value, len(args)))
    for a in call.args:
        if a.keyword is not None:
            info = judge(a.value, a.keyword.value)
            if info is not None:
                kwargs[a.keyword.value] = info
    return tuple(args), kwargs, made_by


def _cheap(expr) -> bool:
    """An argument whose socket-ness is worth recording: a name or attribute, an item, and
    a call made inline (`send_frame(socket.create_connection(a), data)`, `push(ctx.wrap_socket(
    raw))`), which counts as the same call bound to a name first does. With the program
    set aside, as here, a call is judged from this module alone (constructors, helpers)."""
    return isinstance(expr, (cst.Name, cst.Attribute, cst.Subscript, cst.Call, cst.Await))
