"""The conversation a socket write belongs to, and the place that can end it.

A write to a dead peer raises in the function that writes, and the exception climbs the
call stack. Catching it at the write, or in a helper that others keep calling, lets the
callers go on writing to the dead (and by then closed) connection: the program still
crashes, now with `OSError: [Errno 9] Bad file descriptor`. The place that can end the
conversation is its *owner*, a frame on that call stack:

- the code that creates or accepts the connection (`socket.create_connection()`,
  `srv.accept()`, `with ... as s:`, an instance of a class of this module that holds one)
  and uses it until it closes; or
- an entry that a thread or a server runs: a `Thread(target=...)` function, a
  `threading.Thread` subclass's `run()`, a request handler's `handle()`/`do_GET()`.

`owners()` climbs from the write through this module's call sites to those owners.
`conversation()` finds, in an owner, the statements from its first use of the connection
to its last one (a plain `close()` after them excepted): the fix wraps that range, so a
peer's death skips every later write, `flush()` and `shutdown()` of the conversation and
the owner goes on after it (a client ends or reconnects, a server serves the next client,
a thread ends). When no owner is in sight (a library function writing to a socket its
callers pass in), `NoOwner` says why and no automatic fix is offered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Iterator, List, Optional, Sequence, Set, Tuple

import libcst as cst

from sigpipe_lint.facts import PEER_DEATH, ModuleFacts, Write, arg_at, dotted, keyword_arg
from sigpipe_lint.facts.names import child_nodes, is_handler_entry, method_kind
from sigpipe_lint.facts.sockets import expr_at
from sigpipe_lint.fixes.streams import IMPORTS as STREAM_CLOSE_IMPORTS
from sigpipe_lint.fixes.streams import close_stream_lines

MAX_DEPTH = 8  # call levels between an owner and the write
# Methods of a socket that cannot raise for a dead peer: their statements may stay
# outside the wrapped range (a plain close after the conversation).
_CLOSE = "close"
_WRITING_CALLS = frozenset(
    {"send", "sendall", "sendto", "sendmsg", "sendfile", "write", "writelines", "flush", "shutdown"}
)
# Calls on a socket that give another handle of the same connection (not accept()).
_SAME_CONNECTION = frozenset({"makefile", "dup"})
# Calls that set a connection up and cannot meet a dead peer: the wrapped range starts
# after them.
_SETUP_CALLS = frozenset(
    {"connect", "connect_ex", "settimeout", "setsockopt", "setblocking", "bind", "fileno", "getsockname", "getpeername"}
)
class NoOwner(Exception):
    """No place in this module can end the conversation: the reason, for the finding's fix."""


@dataclass(frozen=True)
class Holder:
    """What stands for the connection in one frame."""

    kind: str  # "name": a name of that frame; "global": a module-level name; "self": self.<name>
    name: str

    def text(self, self_name: str = "self") -> str:
        return f"{self_name}.{self.name}" if self.kind == "self" else self.name


@dataclass
class Owner:
    func: object  # FunctionInfo, or None for module-level code
    holder: Holder
    entry: str  # "creator" (makes it here), "thread", "run", "handler", "callback"
    site: object = None  # the owner's statement through which the write is reached
    others: list = field(default_factory=list)  # more such statements

    def where(self) -> str:
        return _where(self.func)


@dataclass
class Conversation:
    """The statements of an owner that the fix wraps, and what the `except` does."""

    container: cst.CSTNode  # the IndentedBlock or Module whose `body` holds the range
    first: cst.BaseStatement
    last: cst.BaseStatement
    except_lines: List[str]  # after the line that says so on stderr
    imports: Tuple[Tuple[str, Optional[str]], ...]


def _where(func) -> str:
    if func is None:
        return "the module-level code"
    if func.cls is not None:
        return f"{func.cls.name}.{func.name}()"
    return f"{func.name}()"


# ---------------------------------------------------------------------------------------
# Climbing from the write to its owners
# ---------------------------------------------------------------------------------------


def receiver_expr(write: Write) -> Optional[cst.BaseExpression]:
    """The expression the write writes to (a socket, a socket file, a socket's fileno())."""
    if write.method == "os.write":
        fd = write.target
        if isinstance(fd, cst.Call) and isinstance(fd.func, cst.Attribute) and fd.func.attr.value == "fileno":
            return fd.func.value
        return None
    if write.target is not None:
        return write.target
    if isinstance(write.call.func, cst.Attribute):
        return write.call.func.value
    return None


def _binding_kind(facts: ModuleFacts, name: str, scope) -> Optional[str]:
    bs, _ = facts.lookup(name, scope)
    if bs and len(bs) == 1:
        return bs[0].kind
    return None


def _holder_of(facts: ModuleFacts, expr, ctx) -> Optional[Holder]:
    if isinstance(expr, cst.Name):
        return Holder("name", expr.value)
    if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name):
        if _binding_kind(facts, expr.value.value, ctx.scope) == "self":
            return Holder("self", expr.attr.value)
    return None


def _is_creation(facts: ModuleFacts, b) -> bool:
    """A binding that makes a connection (or an instance of a class of this module) here."""
    if b.kind not in ("value", "unpack"):
        return False
    value = b.value.expression if isinstance(b.value, cst.Await) else b.value  # asyncio
    if not isinstance(value, cst.Call):
        return False
    if _local_class(facts, value.func, b.scope) is not None:
        return b.kind == "value"
    info = facts.sock_info(b.value, b.scope)
    if info is None:
        return False
    if b.kind == "unpack":
        if info.kind == "streams":  # reader, writer = await asyncio.open_connection(...)
            return b.index == 1
        return info.kind == "pair" and (b.index == 0 or (info.pair_both and b.index == 1))
    return info.kind in ("socket", "file", "stream", "streams")


def _is_alias(b) -> bool:
    return b.kind == "value" and isinstance(b.value, (cst.Name, cst.Attribute))


def _local_class(facts: ModuleFacts, expr, scope):
    if isinstance(expr, cst.Name):
        bs, _ = facts.lookup(expr.value, scope)
        classes = [b.info for b in bs or () if b.kind == "class"]
        if len(classes) == 1:
            return classes[0]
    return None


def _bases(facts: ModuleFacts, cls, _seen=None) -> List[object]:
    seen = _seen if _seen is not None else set()
    out = []
    for base in cls.node.bases:
        other = _local_class(facts, base.value, cls.outer)
        if other is not None and id(other) not in seen:
            seen.add(id(other))
            out.append(other)
            out.extend(_bases(facts, other, seen))
    return out


def _is_or_inherits(facts: ModuleFacts, cls, wanted) -> bool:
    return cls is wanted or wanted in _bases(facts, cls)


def _instance_classes(facts: ModuleFacts, expr, scope, depth: int = 0) -> List[object]:
    """Classes of this module that `expr` may be an instance of (empty: unknown)."""
    if depth > 2 * MAX_DEPTH:  # an instance handed down as many calls as the fixer climbs
        return []
    if isinstance(expr, cst.Call):
        cls = _local_class(facts, expr.func, scope)
        return [cls] if cls is not None else []
    if isinstance(expr, cst.Name):
        bs, _ = facts.lookup(expr.value, scope)
        out = []
        for b in bs or ():
            if b.kind == "self":
                out.append(b.info)
            elif b.kind == "value" and b.value is not None:
                out.extend(_instance_classes(facts, b.value, b.scope, depth + 1))
            elif b.kind == "param" and b.info is not None and b.index is not None:
                for arg, actx in _param_args(facts, b.info, b.index):
                    if arg is not None:
                        out.extend(_instance_classes(facts, arg, actx.scope, depth + 1))
            elif b.kind == "elem":  # for r in rlist: an item of a container (or of select's lists)
                for desc in facts._items_of(b.value, b.scope, depth, None):
                    at = expr_at(desc, b.index)
                    if at is not None:
                        out.extend(_instance_classes(facts, at[0], at[1], depth + 1))
        return out
    if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name):
        bs, _ = facts.lookup(expr.value.value, scope)
        if bs and len(bs) == 1 and bs[0].kind == "self":
            cls = bs[0].info
            out = []
            for c in [cls] + _bases(facts, cls):
                for value, vscope in c.attrs.get(expr.attr.value, ()):
                    out.extend(_instance_classes(facts, value, vscope, depth + 1))
            return out
    return []


def _param_args(facts: ModuleFacts, func, index: int):
    """(argument, ctx) for each call of `func` in this module that fills its parameter at
    `index` (of `filled_params(func)`), thread targets included."""
    out = []
    for call, ctx in call_sites(facts, func):
        out.append((facts.argument_for(func, call, ctx.scope, index), ctx))
    for call, ctx in _thread_calls(facts, func):
        args = keyword_arg(call, "args")
        at = index + (1 if facts.passes_instance(func, keyword_arg(call, "target"), ctx.scope) else 0)
        arg = None
        if isinstance(args, (cst.Tuple, cst.List)) and at < len(args.elements):
            arg = args.elements[at].value
        out.append((arg, ctx))
    return out


def call_sites(facts: ModuleFacts, func) -> List[Tuple[cst.Call, object]]:
    """Calls of `func` in this module: the facts' call sites, and method calls on a receiver
    known to be an instance of the method's class (`self.conn.send(...)`, a parameter that
    every caller fills with an instance)."""
    cache = _cache(facts).setdefault("sites", {})
    key = id(func)
    if key in cache:
        return cache[key]
    cache[key] = []  # recursion guard
    sites = list(facts.caller_contexts(func))  # coroutines: where awaited
    if func.cls is not None and func.name != "<lambda>":
        # the facts' own calls were judged by caller_contexts (a coroutine handed to
        # create_task is not called where it is written): never add them back
        seen = {id(c) for c, _ in facts.call_sites(func)} | {id(c) for c, _ in sites}
        for call, ctx in facts.calls_by_name.get(func.name, ()):
            if id(call) in seen or not isinstance(call.func, cst.Attribute):
                continue
            classes = _instance_classes(facts, call.func.value, ctx.scope)
            # a receiver that may be of func's class (`for r in rlist` over instances of
            # two classes) may call it: a caller, whose guard must count
            if any(_is_or_inherits(facts, c, func.cls) for c in classes):
                sites.extend(facts.surfacing(func, call, ctx))
                seen.add(id(call))
    cache[key] = sites
    return sites


def caller_sites(facts: ModuleFacts):
    """`call_sites` for this module's facts, one function per module: the callers that the
    fixer climbs to the connection's owner. Rules hand it to the facts as `sites` (guards,
    where a write runs), so that what they judge and what the fix changes agree."""
    c = _cache(facts)
    found = c.get("caller_sites")
    if found is None:
        found = c["caller_sites"] = lambda func: call_sites(facts, func)
    return found


def _thread_calls(facts: ModuleFacts, func) -> List[Tuple[cst.Call, object]]:
    """`Thread(target=func, ...)` calls (a name, or `self.method` of func's class)."""
    out = []
    for call, ctx in getattr(facts, "thread_targets", ()):
        target = keyword_arg(call, "target")
        if isinstance(target, cst.Name) and target.value == func.name and func.cls is None:
            bs, _ = facts.lookup(target.value, ctx.scope)
            if bs and any(b.kind == "def" and b.info is func for b in bs):
                out.append((call, ctx))
        elif isinstance(target, cst.Attribute) and target.attr.value == func.name and func.cls is not None:
            classes = _instance_classes(facts, target.value, ctx.scope)
            if classes and all(_is_or_inherits(facts, c, func.cls) for c in classes):
                out.append((call, ctx))
    return out


def _entry_kind(facts: ModuleFacts, func) -> Optional[str]:
    """How a thread or a server runs `func` without a call in this module, if it does."""
    if func is None:
        return None
    if _thread_calls(facts, func):
        return "thread"
    if getattr(facts, "is_stream_callback", lambda f: False)(func):
        return "callback"  # asyncio.start_server's client_connected_cb
    cls = func.cls
    if cls is None:
        return None
    if facts.is_thread_run(func):
        return "run"
    if facts.handler_attrs(cls) and is_handler_entry(func.name):
        return "handler"
    return None


def _handler_bases(facts: ModuleFacts, cls) -> Set[str]:
    """The library request-handler classes `cls` derives from (qualified names)."""
    out: Set[str] = set()
    for c in [cls] + _bases(facts, cls):
        for b in c.node.bases:
            q = facts.qname(b.value, c.outer)
            if q is not None and not q.startswith("<local>."):
                out.add(q)
    for q in list(out):
        if q.startswith("http.server.") or q.startswith("socketserver.Stream"):
            out.add("socketserver.StreamRequestHandler")
    return out


def _guarded(facts: ModuleFacts, ctx) -> bool:
    return all(facts.handled_locally(ctx, e) for e in PEER_DEATH)


def owners(facts: ModuleFacts, write: Write) -> List[Owner]:
    """The owners of the write's connection on every call path to it (empty: every path is
    already handled); raises NoOwner when a path has none in this module."""
    expr = receiver_expr(write)
    holder = _holder_of(facts, expr, write.ctx) if expr is not None else None
    if holder is None:
        raise NoOwner(
            f"{write.label} writes to an expression that names no connection "
            f"(only a name or self.<attribute> can be followed to its owner)"
        )
    out: List[Owner] = []
    _climb(facts, write.ctx.func, holder, write.ctx, out, set(), 0)
    unique: Dict[tuple, Owner] = {}
    for o in out:
        first = unique.setdefault((id(o.func), o.holder, o.entry), o)
        if first is not o:
            first.others.append(o.site)
    return list(unique.values())


def _climb(facts: ModuleFacts, func, holder: Holder, ctx, out: List[Owner], seen: Set[tuple], depth: int) -> None:
    if _guarded(facts, ctx):
        return  # caught around this use: the exception never leaves this path
    key = (id(func), holder)
    if key in seen:
        return
    seen.add(key)
    if depth > MAX_DEPTH:
        raise NoOwner(f"the calls from the connection's owner down to this write are more than {MAX_DEPTH} deep")
    if func is not None and func.name == "<lambda>":
        raise NoOwner("the connection is written through a lambda; its owner cannot be followed")
    frame_scope = func.scope if func is not None else facts.module_scope
    if holder.kind == "global":
        if func is None:
            out.append(Owner(None, Holder("name", holder.name), "creator", ctx.stmt))
            return
        _climb_callers(facts, func, holder, None, ctx, out, seen, depth)
        return
    if holder.kind == "self":
        if func is None or func.cls is None:
            raise NoOwner("self.<attribute> outside a method")
        if _assigns_self_attr(facts, func, holder.name):
            out.append(Owner(func, holder, "creator", ctx.stmt))
            return
        _climb_callers(facts, func, holder, None, ctx, out, seen, depth)
        return
    bs, bscope = facts.lookup(holder.name, ctx.scope)
    if not bs:
        raise NoOwner(f"nothing in this module binds `{holder.name}`")
    if bscope is not frame_scope:
        if bscope is facts.module_scope and any(_is_creation(facts, b) for b in bs):
            if func is None:
                out.append(Owner(None, holder, "creator", ctx.stmt))
                return
            _climb_callers(facts, func, Holder("global", holder.name), None, ctx, out, seen, depth)
            return
        if bscope is facts.module_scope:
            raise NoOwner(f"`{holder.name}` in {_where(func)} is a module-level name, not a connection this module makes")
        raise NoOwner(f"`{holder.name}` comes from an enclosing function of {_where(func)}")
    if any(_is_creation(facts, b) for b in bs):
        out.append(Owner(func, holder, "creator", ctx.stmt))
        return
    aliases = [b for b in bs if _is_alias(b)]
    if aliases and len(aliases) == len(bs):
        targets = {_holder_of(facts, b.value, ctx) for b in aliases}
        if len(targets) == 1 and None not in targets:
            _climb(facts, func, targets.pop(), ctx, out, seen, depth)
            return
    params = [b for b in bs if b.kind == "param" and b.index is not None]
    if params and len(params) == len(bs) and func is not None:
        _climb_callers(facts, func, holder, params[0].index, ctx, out, seen, depth)
        return
    raise NoOwner(
        f"`{holder.name}` in {_where(func)} is neither a connection made there nor a parameter "
        f"that callers in this module fill"
    )


def _climb_callers(facts, func, holder: Holder, index: Optional[int], ctx, out, seen, depth) -> None:
    sites = call_sites(facts, func)
    entry = _entry_kind(facts, func)
    if entry == "callback":  # start_server(lambda r, w: func(r, w)): the lambda only forwards
        sites = [(c, cctx) for c, cctx in sites if cctx.func is None or cctx.func.name != "<lambda>"]
    if entry is not None:
        kind = "name" if holder.kind == "global" else holder.kind
        out.append(Owner(func, Holder(kind, holder.name), entry, ctx.stmt))
    if not sites and entry is None:
        what = f"the parameter `{holder.name}`" if index is not None else f"`{holder.text()}`"
        raise NoOwner(
            f"{what} of {_where(func)} comes from its callers and nothing in this module calls it: "
            f"only the code that owns the connection can end the conversation"
        )
    for call, cctx in sites:
        new = _translate(facts, func, holder, index, call, cctx)
        if new is None:
            if holder.kind == "self":
                raise NoOwner(
                    f"{_where(func)} is called on an object that has no name where it is called "
                    f"(like `Client(...).send()`), so the connection's owner cannot be followed"
                )
            raise NoOwner(
                f"a call of {_where(func)} in {_where(cctx.func)} passes the connection as an "
                f"expression, not a name, so the connection's owner cannot be followed"
            )
        _climb(facts, cctx.func, new, cctx, out, seen, depth + 1)


def _translate(facts, func, holder: Holder, index, call: cst.Call, cctx) -> Optional[Holder]:
    """The holder of `func`'s frame as the caller at `call` names it."""
    if holder.kind == "global":
        return holder
    if holder.kind == "name":  # a parameter
        arg = facts.argument_for(func, call, cctx.scope, index) if index is not None else None
        return _holder_of(facts, arg, cctx) if arg is not None else None
    # self.<attr>: the instance the method is called on
    if not isinstance(call.func, cst.Attribute):
        return None  # Class(...) running __init__
    receiver = call.func.value
    if isinstance(receiver, cst.Name) and _binding_kind(facts, receiver.value, cctx.scope) in ("class", "import"):
        # Base.method(self, ...): the instance is the first argument
        receiver = call.args[0].value if call.args and call.args[0].keyword is None else None
        if receiver is None:
            return None
    if isinstance(receiver, cst.Name) and _binding_kind(facts, receiver.value, cctx.scope) == "self":
        return holder
    return _holder_of(facts, receiver, cctx)


def _assigns_self_attr(facts: ModuleFacts, func, attr: str) -> bool:
    """Whether `func` sets self.<attr> to a new connection (or instance) itself."""
    cls = func.cls
    for value, scope in cls.attrs.get(attr, ()):
        if scope is func.scope and isinstance(value, cst.Call):
            if _local_class(facts, value.func, scope) is not None or facts.sock_info(value, scope) is not None:
                return True
    return False


def _cache(facts: ModuleFacts) -> dict:
    c = getattr(facts, "_sigpipe_lint_conversation", None)
    if c is None:
        c = {}
        facts._sigpipe_lint_conversation = c
    return c


# ---------------------------------------------------------------------------------------
# The owner's statements: where its conversation starts and ends
# ---------------------------------------------------------------------------------------


@dataclass
class _Family:
    """The names through which an owner reaches one connection."""

    names: Set[str] = field(default_factory=set)
    self_name: Optional[str] = None
    self_attrs: Set[str] = field(default_factory=set)
    funcs: Set[str] = field(default_factory=set)  # functions (by name) that use it
    methods: Set[str] = field(default_factory=set)  # methods (self.m()) that use it


@dataclass
class _Use:
    stmt: cst.BaseStatement
    path: Tuple[Tuple[int, int], ...]  # (id(container), index) from the owner's body down
    guarded: bool  # inside a try of the owner that catches both


def _sub_blocks(stmt) -> List[Tuple[cst.BaseSuite, bool]]:
    """The indented blocks of a compound statement, with 'is a loop body'."""
    out: List[Tuple[cst.BaseSuite, bool]] = []
    if isinstance(stmt, cst.If):
        out.append((stmt.body, False))
        if stmt.orelse is not None:
            if isinstance(stmt.orelse, cst.If):
                out.extend(_sub_blocks(stmt.orelse))
            else:
                out.append((stmt.orelse.body, False))
    elif isinstance(stmt, (cst.For, cst.While)):
        out.append((stmt.body, True))
        if stmt.orelse is not None:
            out.append((stmt.orelse.body, False))
    elif isinstance(stmt, (cst.Try, cst.TryStar)):
        out.append((stmt.body, False))
        out.extend((h.body, False) for h in stmt.handlers)
        if stmt.orelse is not None:
            out.append((stmt.orelse.body, False))
        if stmt.finalbody is not None:
            out.append((stmt.finalbody.body, False))
    elif isinstance(stmt, cst.With):
        out.append((stmt.body, False))
    elif isinstance(stmt, cst.Match):
        out.extend((case.body, False) for case in stmt.cases)
    return out


def _header(stmt) -> List[cst.CSTNode]:
    """The parts of a statement evaluated by the statement itself (not its blocks)."""
    if isinstance(stmt, cst.SimpleStatementLine):
        return [stmt]
    parts: List[cst.CSTNode] = []
    if isinstance(stmt, cst.If):
        parts.append(stmt.test)
        if isinstance(stmt.orelse, cst.If):
            parts.extend(_header(stmt.orelse))
    elif isinstance(stmt, cst.While):
        parts.append(stmt.test)
    elif isinstance(stmt, cst.For):
        parts.extend([stmt.target, stmt.iter])
    elif isinstance(stmt, cst.With):
        parts.extend(item for item in stmt.items)
    elif isinstance(stmt, cst.Match):
        parts.append(stmt.subject)
    # One-line bodies (`if x: sock.send(b)`) belong to the statement.
    for block, _loop in _sub_blocks(stmt):
        if isinstance(block, cst.SimpleStatementSuite):
            parts.append(block)
    return parts


def _mentions(node, fam: _Family) -> bool:
    stack = [node]
    while stack:
        n = stack.pop()
        t = type(n)
        if t is cst.Name:
            if n.value in fam.names or n.value in fam.funcs:
                return True
            continue
        if t is cst.Attribute:
            if type(n.value) is cst.Name and n.value.value == fam.self_name and fam.self_name is not None:
                if n.attr.value in fam.self_attrs or n.attr.value in fam.methods:
                    return True
            stack.append(n.value)
            continue
        if t is cst.Arg:
            stack.append(n.value)
            continue
        if t is cst.FunctionDef or t is cst.ClassDef:
            continue
        stack.extend(child_nodes(n))
    return False


def _walk(container, fam: _Family, facts, scope, path=(), guarded=False, loops=()) -> Iterator[tuple]:
    """(stmt, path, guarded, loops, container) for every statement of the owner, in order."""
    body = container.body
    for i, stmt in enumerate(body):
        here = path + ((id(container), i),)
        yield stmt, here, guarded, loops, container
        if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
            continue
        try_guard = isinstance(stmt, (cst.Try, cst.TryStar)) and _catches_both(facts, stmt, scope)
        for block, is_loop in _sub_blocks(stmt):
            if isinstance(block, cst.IndentedBlock):
                g = guarded or (try_guard and block is stmt.body)
                yield from _walk(block, fam, facts, scope, here, g, loops + ((id(block),) if is_loop else ()))


def _catches_both(facts, stmt, scope) -> bool:
    return all(any(facts.covers(h.type, scope, e) for h in stmt.handlers) for e in PEER_DEATH)


def _binds(stmt, names: Set[str]) -> Set[str]:
    """Names of `names` that a simple statement binds by assignment."""
    out: Set[str] = set()
    if not isinstance(stmt, cst.SimpleStatementLine):
        return out
    for small in stmt.body:
        targets = []
        if isinstance(small, cst.Assign):
            targets = [t.target for t in small.targets]
        elif isinstance(small, cst.AnnAssign) and small.value is not None:
            targets = [small.target]
        for t in targets:
            stack = [t]
            while stack:
                x = stack.pop()
                if isinstance(x, cst.Name) and x.value in names:
                    out.add(x.value)
                elif isinstance(x, (cst.Tuple, cst.List)):
                    stack.extend(el.value for el in x.elements)
    return out


def _makes(stmt, creations: Set[int]) -> bool:
    """Whether a statement's assigned (or `with`-entered) value is a creation."""
    values = []
    if isinstance(stmt, cst.SimpleStatementLine):
        for small in stmt.body:
            if isinstance(small, (cst.Assign, cst.AnnAssign)) and small.value is not None:
                values.append(small.value)
    elif isinstance(stmt, cst.With):
        values = [item.item for item in stmt.items]
    while values:
        v = values.pop()
        if id(v) in creations:
            return True
        if type(v) in (cst.Tuple, cst.List):  # a, b = connect(...), 0: each name binds its item
            values.extend(el.value for el in v.elements)
    return False


def _binds_self_attr(stmt, self_name, attrs) -> bool:
    if not isinstance(stmt, cst.SimpleStatementLine) or self_name is None:
        return False
    for small in stmt.body:
        if isinstance(small, cst.Assign):
            for t in small.targets:
                x = t.target
                if isinstance(x, cst.Attribute) and isinstance(x.value, cst.Name) and x.value.value == self_name and x.attr.value in attrs:
                    return True
    return False


def _with_binds(stmt, names: Set[str]) -> Set[str]:
    out: Set[str] = set()
    if isinstance(stmt, cst.With):
        for item in stmt.items:
            if item.asname is not None and isinstance(item.asname.name, cst.Name) and item.asname.name.value in names:
                out.add(item.asname.name.value)
    return out


def _setup_only(stmt, fam: _Family) -> bool:
    """`sock.connect(addr)`, `fd = sock.fileno()`: setting up, no write on the line."""
    if not isinstance(stmt, cst.SimpleStatementLine):
        return False
    for small in stmt.body:
        value = small.value if isinstance(small, (cst.Expr, cst.Assign)) else None
        if not (
            isinstance(value, cst.Call)
            and isinstance(value.func, cst.Attribute)
            and value.func.attr.value in _SETUP_CALLS
            and isinstance(value.func.value, cst.Name)
            and value.func.value.value in fam.names
            and not any(_mentions(a.value, fam) for a in value.args)
        ):
            return False
    return True


def _close_call(stmt) -> Optional[cst.Call]:
    if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
        return None
    small = stmt.body[0]
    if not isinstance(small, cst.Expr) or not isinstance(small.value, cst.Call):
        return None
    call = small.value
    if call.args or not isinstance(call.func, cst.Attribute) or call.func.attr.value != _CLOSE:
        return None
    return call


def _close_target(stmt) -> Optional[str]:
    """`x.close()` or `self.x.close()` alone on its line: what is closed."""
    call = _close_call(stmt)
    if call is None:
        return None
    receiver = call.func.value
    if isinstance(receiver, cst.Name):
        return receiver.value
    if isinstance(receiver, cst.Attribute) and isinstance(receiver.value, cst.Name):
        return f"{receiver.value.value}.{receiver.attr.value}"
    return None


def _owner_body(facts: ModuleFacts, owner: Owner):
    if owner.func is None:
        return facts.module
    node = owner.func.node
    if isinstance(node, cst.FunctionDef) and isinstance(node.body, cst.IndentedBlock):
        return node.body
    raise NoOwner(f"{owner.where()} is a one-line function; the fix cannot wrap its body")


def _self_name(owner: Owner) -> Optional[str]:
    func = owner.func
    if func is None or func.cls is None or not isinstance(func.node, cst.FunctionDef):
        return None
    params = list(func.node.params.posonly_params) + list(func.node.params.params)
    if not params or method_kind(func) == "static":
        return None
    return params[0].name.value


def _family(facts: ModuleFacts, owner: Owner) -> Tuple[_Family, Dict[str, str]]:
    """The names of the connection in the owner, and each local name's kind:
    "socket", "file", "instance", "alias" or "param"."""
    fam = _Family(self_name=_self_name(owner))
    kinds: Dict[str, str] = {}
    scope = owner.func.scope if owner.func is not None else facts.module_scope
    if owner.holder.kind == "self":
        fam.self_attrs.add(owner.holder.name)
        cls = owner.func.cls
        handler = facts.handler_attrs(cls)
        if owner.holder.name in handler:
            fam.self_attrs.update(handler)
            fam.self_attrs.add("rfile")
    else:
        fam.names.add(owner.holder.name)
    # Local names made from, or aliasing, the connection (out = sock.makefile("wb"),
    # conn = self.request), and the names those are made from: to a fixed point.
    changed = True
    while changed:
        changed = False
        for name, bs in scope.bindings.items():
            for b in bs:
                if b.kind not in ("value", "unpack") or b.value is None:
                    continue
                if name not in fam.names and _mentions(b.value, fam) and (
                    _is_alias(b) or facts.sock_info(b.value, b.scope) is not None
                ):
                    fam.names.add(name)
                    changed = True
                if (
                    name in fam.names
                    and isinstance(b.value, cst.Call)
                    and isinstance(b.value.func, cst.Attribute)
                    and b.value.func.attr.value in _SAME_CONNECTION
                ):
                    base = b.value.func.value
                    if isinstance(base, cst.Name) and base.value not in fam.names:
                        bb, bscope = facts.lookup(base.value, scope)
                        if bscope is scope and bb and any(_is_creation(facts, x) for x in bb):
                            fam.names.add(base.value)
                            changed = True
    for name in fam.names:
        bs = scope.bindings.get(name, [])
        kind = "param"
        for b in bs:
            if _is_creation(facts, b):
                value = b.value.expression if isinstance(b.value, cst.Await) else b.value
                if _local_class(facts, value.func, b.scope) is not None:
                    kind = "instance"
                else:
                    info = facts.sock_info(b.value, b.scope)
                    # an asyncio StreamWriter closes like a socket (it never raises there)
                    kind = "file" if info is not None and info.kind == "file" else "socket"
                    if info is not None and info.kind in ("stream", "streams"):
                        kind = "stream"
                break
            if _is_alias(b):
                kind = "alias"
        kinds[name] = kind
    # Functions and methods that reach the connection without naming it here: functions
    # using a module-level connection, nested functions, self.<method>() using self.<attr>.
    _add_users(facts, owner, fam)
    return fam, kinds


def _add_users(facts: ModuleFacts, owner: Owner, fam: _Family) -> None:
    if owner.func is None and fam.names:
        funcs = [f for f in facts.functions if f.cls is None and f.name != "<lambda>" and f.outer is facts.module_scope]
        globals_ = set(fam.names)
        changed = True
        while changed:
            changed = False
            for f in funcs:
                if f.name in fam.funcs:
                    continue
                local = set(f.scope.bindings) - f.scope.globals
                probe = _Family(names=globals_ - local, funcs=set(fam.funcs))
                if _mentions(f.node.body, probe):
                    fam.funcs.add(f.name)
                    changed = True
    if fam.self_attrs and owner.func is not None and owner.func.cls is not None:
        cls = owner.func.cls
        methods = {}
        for c in reversed([cls] + _bases(facts, cls)):
            methods.update(c.methods)
        changed = True
        while changed:
            changed = False
            for name, m in methods.items():
                if name in fam.methods or m is owner.func or not isinstance(m.node, cst.FunctionDef):
                    continue
                params = list(m.node.params.posonly_params) + list(m.node.params.params)
                if not params:
                    continue
                probe = _Family(self_name=params[0].name.value, self_attrs=fam.self_attrs, methods=fam.methods)
                if _mentions(m.node.body, probe):
                    fam.methods.add(name)
                    changed = True


def _pure_close(facts: ModuleFacts, owner: Owner, stmt, fam: _Family, kinds: Dict[str, str]) -> bool:
    """A plain close of a socket (or of an instance whose close() writes nothing)."""
    name = _close_target(stmt)
    if name is None:
        return False
    scope = owner.func.scope if owner.func is not None else facts.module_scope
    if "." in name:  # self.<attr>.close()
        head, attr = name.split(".", 1)
        if head != fam.self_name or attr not in fam.self_attrs:
            return False
        expr = _close_call(stmt).func.value
        info = facts.sock_info(expr, scope, self_cls=owner.func.cls)
        if info is not None and info.kind == "socket" and not info.handler:
            return True
        kind = "instance"
    else:
        if name not in fam.names:
            return False
        kind = kinds.get(name)
        expr = cst.Name(name)
    if kind in ("socket", "stream"):
        return True
    if kind == "instance":
        classes = _instance_classes(facts, expr, scope)
        for cls in classes:
            m = None
            for c in [cls] + _bases(facts, cls):
                m = c.methods.get(_CLOSE)
                if m is not None:
                    break
            if m is None or not _writes_nothing(m.node):
                return False
        return bool(classes)
    return False


def _writes_nothing(node) -> bool:
    stack = [node.body]
    while stack:
        n = stack.pop()
        if isinstance(n, cst.Call) and isinstance(n.func, cst.Attribute):
            if n.func.attr.value in _WRITING_CALLS:
                return False
            if isinstance(n.func.value, cst.Name) and n.func.attr.value != _CLOSE:
                # self.other_method(): it may write
                return False
        stack.extend(child_nodes(n))
    return True


def _escapes(facts: ModuleFacts, body, fam: _Family) -> bool:
    """Whether the owner hands its connection on: returns, yields, stores it in an object,
    or shares it with a thread (then closing it here could hurt a later user)."""
    stack = [body]
    while stack:
        n = stack.pop()
        if isinstance(n, (cst.Return, cst.Yield)) and n.value is not None and _mentions(n.value, fam):
            return True
        if isinstance(n, cst.Assign) and _mentions(n.value, fam):
            if any(not isinstance(t.target, cst.Name) for t in n.targets):
                return True
        if isinstance(n, cst.Call) and dotted(n.func) in ("threading.Thread", "Thread", "start_new_thread", "_thread.start_new_thread"):
            if _mentions(n, fam):
                return True
        if isinstance(n, cst.Global) and any(x.name.value in fam.names for x in n.names):
            return True
        if isinstance(n, (cst.FunctionDef, cst.ClassDef)) and n is not body:
            if _mentions(n.body, fam):
                return True
            continue
        stack.extend(child_nodes(n))
    return False


def conversation(facts: ModuleFacts, owner: Owner) -> Optional[Conversation]:
    """The statements of `owner` that hold its conversation; None when a `try` of the owner
    already catches both exceptions around all of it. Raises NoOwner when it cannot be
    wrapped so that no later statement reaches the connection."""
    body = _owner_body(facts, owner)
    fam, kinds = _family(facts, owner)
    scope = owner.func.scope if owner.func is not None else facts.module_scope
    creator = owner.entry == "creator"
    # Where the connection comes into being in the owner: its first creation, or (for an
    # entry, which receives it) the start of the body.
    binding_path: Optional[tuple] = None if creator else ((id(body), -1),)
    creations = {
        id(b.value)
        for name in fam.names
        for b in scope.bindings.get(name, ())
        if _is_creation(facts, b)
    }
    with_bound: Set[str] = set()
    uses: List[_Use] = []
    statements = list(_walk(body, fam, facts, scope))
    binding_positions: Dict[str, tuple] = {}
    for stmt, path, guarded, loops, container in statements:
        bound = _binds(stmt, fam.names) | _with_binds(stmt, fam.names)
        made = _makes(stmt, creations)
        if owner.holder.kind == "self" and _binds_self_attr(stmt, fam.self_name, {owner.holder.name}):
            made = True
            bound.add("self." + owner.holder.name)
        if bound:
            where = path
            if isinstance(stmt, cst.With):
                with_bound |= _with_binds(stmt, fam.names)
                where = path + ((id(stmt.body), -1),)
            if made:
                for name in bound:
                    binding_positions.setdefault(name, where)
                if creator and binding_path is None:
                    binding_path = where
            continue  # a (re)binding of the connection's names is no use of it (a with's body is walked on its own)
        if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
            continue
        if binding_path is None:
            continue  # before the connection exists
        if any(_mentions(part, fam) for part in _header(stmt)):
            uses.append(_Use(stmt, path, guarded))
    if binding_path is None:
        raise NoOwner(f"{owner.where()} never binds the connection it owns")
    if not uses:
        raise NoOwner(f"{owner.where()} makes the connection but no statement of it uses it")
    paths = [binding_path] + [u.path for u in uses]
    depth = 0
    while all(len(p) > depth for p in paths) and len({p[depth][0] for p in paths}) == 1:
        depth += 1
    depth -= 1  # paths[*][depth] share one container
    if depth < 0:
        raise NoOwner("the uses of the connection share no block")  # pragma: no cover
    container_id = paths[0][depth][0]
    # A connection bound before a loop of the owner and used in it: a range inside the loop
    # would leave the next iteration writing again. Widen to the outermost such loop.
    depth = _widen_for_loops(statements, binding_path, depth, container_id)
    container_id = binding_path[depth][0] if len(binding_path) > depth else uses[0].path[depth][0]
    container = next(c for _s, _p, _g, _l, c in statements if id(c) == container_id)
    b_index = binding_path[depth][1] if len(binding_path) > depth else -1
    start = end = None
    for u in uses:
        i = u.path[depth][1]
        if i < b_index:
            continue
        top_level = len(u.path) == depth + 1
        can_raise = not (_setup_only(u.stmt, fam) or _pure_close(facts, owner, u.stmt, fam, kinds))
        if not u.guarded and can_raise and (start is None or i < start):
            start = i
        if not (top_level and _pure_close(facts, owner, u.stmt, fam, kinds)):
            end = i if end is None else max(end, i)
    if start is None:
        # Every use is already inside a try that catches both: handled, if the write is
        # reached through one of them.
        guarded = {id(u.stmt) for u in uses if u.guarded}
        if all(id(w) in guarded for w in [owner.site, *owner.others]):
            return None
        raise NoOwner(
            f"in {owner.where()} the write can run outside the span from the connection's "
            f"making to its close"
        )
    if end is None or end < start:
        end = start
    items = container.body
    if owner.entry == "callback" and owner.holder.kind == "name":
        kinds[owner.holder.name] = "stream"  # the client's StreamWriter, this callback's to close
    end = _widen_for_names(statements, container, start, end)
    # Verify: every way the owner reaches the write is inside the range.
    for wanted in [owner.site, *owner.others]:
        site = next((p for st, p, _g, _l, _c in statements if st is wanted), None)
        if site is None or len(site) <= depth or site[depth][0] != container_id or not start <= site[depth][1] <= end:
            raise NoOwner(
                f"in {owner.where()} the write can run outside the span from the connection's "
                f"making to its close"
            )
    later_closes = {
        _close_target(s)
        for s in items[end + 1:]
        if _close_target(s) is not None and _pure_close(facts, owner, s, fam, kinds)
    }
    closes_inside = _closes_inside(items[start:end + 1], fam)
    lines: List[str] = []
    imports: List[Tuple[str, Optional[str]]] = [("sys", None)]
    if owner.entry == "handler":
        bases = _handler_bases(facts, owner.func.cls)
        if any(not b.startswith("socketserver.") for b in bases):
            # http.server flushes wfile after the method returns and closes the connection
            # itself: tell it not to keep the connection alive.
            lines.append(f"{fam.self_name}.close_connection = True")
        elif "socketserver.StreamRequestHandler" in bases:
            # socketserver's finish() closes wfile, which would flush a buffered one again.
            lines.append(_drop_file(f"{fam.self_name}.wfile", None))
    if owner.entry == "callback" and owner.holder.kind == "name":
        name = owner.holder.name
        if name not in later_closes and name not in closes_inside:
            lines.append(close_stream_lines(name, owner.func))
            imports.extend(STREAM_CLOSE_IMPORTS)
    escapes = creator and _escapes(facts, body, fam)
    if creator and owner.holder.kind != "self" and not escapes:
        for name in sorted(fam.names, key=lambda n: binding_positions.get(n, ())):
            pos = binding_positions.get(name)
            if pos is None or name in with_bound:
                continue
            if len(pos) > depth and pos[depth][0] == container_id and pos[depth][1] >= start:
                continue  # bound inside the range: it may not exist when the except runs
            if kinds.get(name) == "file":
                lines.append(_drop_file(name, _made_by(scope, name)))
                if lines[-1].startswith("with contextlib"):
                    imports.append(("contextlib", None))
            elif kinds.get(name) in ("socket", "stream") and name not in later_closes and name not in closes_inside:
                if kinds[name] == "stream":  # close, and await wait_closed() quietly
                    lines.append(close_stream_lines(name, owner.func))
                    imports.extend(STREAM_CLOSE_IMPORTS)
                else:
                    lines.append(f"{name}.close()")
    return Conversation(container, items[start], items[end], lines, tuple(imports))


def _bound_names(node) -> Set[str]:
    """Names a statement binds anywhere inside it (nested functions and classes aside)."""
    out: Set[str] = set()
    stack = [node]

    def targets(t):
        if isinstance(t, cst.Name):
            out.add(t.value)
        elif isinstance(t, (cst.Tuple, cst.List)):
            for el in t.elements:
                targets(el.value)
        elif isinstance(t, cst.StarredElement):
            targets(t.value)

    while stack:
        n = stack.pop()
        if isinstance(n, (cst.FunctionDef, cst.ClassDef)):
            out.add(n.name.value)
            continue
        if isinstance(n, cst.Assign):
            for t in n.targets:
                targets(t.target)
        elif isinstance(n, (cst.AnnAssign, cst.AugAssign)):
            targets(n.target)
        elif isinstance(n, (cst.For, cst.CompFor)):
            targets(n.target)
        elif isinstance(n, cst.NamedExpr):
            targets(n.target)
        elif isinstance(n, cst.AsName):
            targets(n.name)
        stack.extend(child_nodes(n))
    return out


def _widen_for_names(statements, container, start: int, end: int) -> int:
    """Extend the range over later statements that read a name only the range binds: after
    a peer's death they would meet it unbound (or stale)."""
    items = container.body
    before: Set[str] = set()
    for stmt, path, _g, _l, c in statements:
        if c is container and path[-1][1] >= start:
            break
        if isinstance(stmt, cst.SimpleStatementLine) or not _sub_blocks(stmt):
            before |= _bound_names(stmt)
        elif isinstance(stmt, cst.For):
            before |= _bound_names(cst.CompFor(target=stmt.target, iter=cst.Name("_")))
        elif isinstance(stmt, cst.With):
            before |= {n for item in stmt.items if item.asname is not None for n in _bound_names(item.asname)}
    changed = True
    while changed:
        changed = False
        inside: Set[str] = set()
        for stmt in items[start:end + 1]:
            inside |= _bound_names(stmt)
        only = _Family(names=inside - before)
        if not only.names:
            break
        for j in range(end + 1, len(items)):
            if _mentions(items[j], only):
                end = j
                changed = True
    return end


def _made_by(scope, name: str) -> Optional[cst.Call]:
    for b in scope.bindings.get(name, ()):
        if isinstance(b.value, cst.Call) and isinstance(b.value.func, cst.Attribute) and b.value.func.attr.value == "makefile":
            return b.value
    return None


def _drop_file(name: str, makefile: Optional[cst.Call]) -> str:
    """Close a socket file without flushing it: what it still buffers can reach nobody, and
    a flush would write to the dead peer again. Closing the raw stream under the buffer
    closes the file (its own close(), by the program or the garbage collector, then does
    nothing)."""
    if makefile is not None:
        mode = arg_at(makefile, 0, "mode")
        buffering = arg_at(makefile, 1, "buffering")
        text = mode.evaluated_value if isinstance(mode, cst.SimpleString) else None
        if isinstance(buffering, cst.Integer) and buffering.value == "0":
            return f"{name}.close()"  # unbuffered: closing writes nothing
        if isinstance(text, str) and "b" not in text:
            return f"{name}.buffer.raw.close()"  # a text file over a buffered one
        if isinstance(text, str) and not ("r" in text and ("w" in text or "a" in text)):
            return f"{name}.raw.close()"
        # a read-write pair, or a mode not known here: close it as it is, the flush's
        # failure suppressed
        return f"with contextlib.suppress(OSError):\n    getattr({name}, \"raw\", {name}).close()"
    # a request handler's wfile: a BufferedWriter (wbufsize > 0) or an unbuffered writer
    return f"getattr({name}, \"raw\", {name}).close()"


def _closes_inside(stmts: Sequence[cst.BaseStatement], fam: _Family) -> Set[str]:
    """Names the range itself closes on every path: `with x:` or a `finally: x.close()`."""
    out: Set[str] = set()
    for s in stmts:
        if isinstance(s, cst.With):
            for item in s.items:
                e = item.item
                if isinstance(e, cst.Call) and dotted(e.func) in ("closing", "contextlib.closing") and e.args:
                    e = e.args[0].value
                if isinstance(e, cst.Name) and e.value in fam.names:
                    out.add(e.value)
        if isinstance(s, (cst.Try, cst.TryStar)) and s.finalbody is not None:
            for f in s.finalbody.body.body if isinstance(s.finalbody.body, cst.IndentedBlock) else ():
                name = _close_target(f)
                if name in fam.names:
                    out.add(name)
    return out


def _widen_for_loops(statements, binding_path, depth: int, container_id: int) -> int:
    """Move the range up while it sits in a loop of the owner that does not make the
    connection anew before it on every iteration."""
    loops_of = {}
    for _s, path, _g, loops, container in statements:
        loops_of[id(container)] = loops
    while depth > 0:
        loops = loops_of.get(container_id, ())
        if not loops:
            return depth
        direct = len(binding_path) == depth + 1  # made by a statement of this very block
        if direct or _binding_in_exiting_try(statements, binding_path, depth):
            return depth
        depth -= 1
        container_id = binding_path[depth][0]
    return depth


def _binding_in_exiting_try(statements, binding_path, depth) -> bool:
    """`try: sock = connect() except OSError: ...; continue` in the loop body: every path
    that reaches the statements after it made the connection anew."""
    if len(binding_path) != depth + 2:
        return False
    cid, index = binding_path[depth]
    stmt = next((s for s, p, _g, _l, c in statements if id(c) == cid and p[-1][1] == index), None)
    if not isinstance(stmt, cst.Try) or stmt.orelse is not None:
        return False
    if binding_path[depth + 1][0] != id(stmt.body):
        return False
    for h in stmt.handlers:
        last = h.body.body[-1] if isinstance(h.body, cst.IndentedBlock) and h.body.body else None
        if not (isinstance(last, cst.SimpleStatementLine) and isinstance(last.body[-1], (cst.Continue, cst.Break, cst.Return, cst.Raise))):
            return False
    return True


def conversations(facts: ModuleFacts, write: Write) -> List[Conversation]:
    """Every range the fix of `write` wraps (one per owner); raises NoOwner."""
    cache = _cache(facts).setdefault("write", {})
    key = id(write.call)
    if key not in cache:
        try:
            result = []
            for owner in owners(facts, write):
                conv = conversation(facts, owner)
                if conv is not None:
                    result.append(conv)
            cache[key] = result
        except NoOwner as e:
            cache[key] = e
    value = cache[key]
    if isinstance(value, NoOwner):
        raise value
    return value
