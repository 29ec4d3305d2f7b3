"""Module facts, layer 1: names and scopes, and the one walk that learns them.

`ModuleNames(module)` walks the libcst tree once (a plain iterative walk over the dataclass
fields: libcst's own visitor rebuilds every node and costs about as much as the parse) and
records scopes and bindings, calls, `try`/`with` guards, loops and statements. It answers:

- `qname(expr, scope)`: what a name means through the module's imports and bindings
  (`import socket as s; s.MSG_NOSIGNAL` is `socket.MSG_NOSIGNAL`; `from signal import *`
  makes `SIGPIPE` `signal.SIGPIPE`; a local `class ConnectionError` is not the builtin).
  A small scope model of our own instead of libcst's QualifiedNameProvider, whose scope
  analysis costs several times the parse (README, "How it works").
- `lookup`, `value_exprs`, `mentions`: bindings, tuples bound to names, flag expressions.
- `call_sites(func)`: the calls of a function or method inside the module.

The other layers build on it: `sockets.py` (what is a socket, what is a write),
`guards.py` (what catches a dead peer's exceptions), `signals.py` (SIGPIPE dispositions).
"""

from __future__ import annotations

import builtins
import dataclasses
import errno as _errno_mod
import signal as _signal_mod
import socket as _socket_mod
import ssl as _ssl_mod
from typing import Dict, Iterable, Iterator, List, Optional, Set, Tuple

import libcst as cst

# ---------------------------------------------------------------------------------------
# What names mean
# ---------------------------------------------------------------------------------------

_BUILTINS = frozenset(dir(builtins))


def _exports(mod) -> frozenset:
    names = getattr(mod, "__all__", None)
    if names is None:
        names = [n for n in dir(mod) if not n.startswith("_")]
    return frozenset(names)


# What `from X import *` brings in, for the modules whose names matter to the rules.
# SIGPIPE and MSG_NOSIGNAL are listed by hand: they are absent on some platforms, and the
# code we analyse may be meant for another platform than the one we run on.
STAR_EXPORTS: Dict[str, frozenset] = {
    "signal": _exports(_signal_mod) | {"SIGPIPE", "SIG_DFL", "SIG_IGN", "SIG_BLOCK"},
    "socket": _exports(_socket_mod) | {"MSG_NOSIGNAL", "SO_NOSIGPIPE", "SOCK_DGRAM"},
    "errno": _exports(_errno_mod) | {"EPIPE", "ECONNRESET"},
    "ssl": _exports(_ssl_mod),
    "socketserver": frozenset(
        {"BaseRequestHandler", "StreamRequestHandler", "DatagramRequestHandler"}
    ),
    "os": frozenset({"write"}),
    # what runs a function in a thread or a process (names.runs_in)
    "threading": frozenset({"Thread", "Timer"}),
    "_thread": frozenset({"start_new_thread", "start_new"}),
    "multiprocessing": frozenset({"Process"}),
}

# Different spellings of one thing.
_ALIASES = {
    "socket.error": "builtins.OSError",
    "select.error": "builtins.OSError",
    "builtins.IOError": "builtins.OSError",
    "builtins.EnvironmentError": "builtins.OSError",
    "builtins.WindowsError": "builtins.OSError",
    "socket.SocketType": "socket.socket",
    "_socket.socket": "socket.socket",
    "signal.Handlers.SIG_DFL": "signal.SIG_DFL",
    "signal.Handlers.SIG_IGN": "signal.SIG_IGN",
    "signal.Signals.SIGPIPE": "signal.SIGPIPE",
    "signal.Sigmasks.SIG_BLOCK": "signal.SIG_BLOCK",
    **{f"socket.SocketKind.{n}": f"socket.{n}" for n in ("SOCK_STREAM", "SOCK_DGRAM", "SOCK_RAW")},
    "_signal.signal": "signal.signal",
    "posix.write": "os.write",
    # gevent's cooperative sockets are sockets (`from gevent import socket`)
    "gevent.socket": "socket",
    "gevent.ssl": "ssl",
    **{f"gevent.socket.{n}": f"socket.{n}" for n in ("socket", "create_connection", "socketpair", "fromfd", "error")},
    **{f"gevent.ssl.{n}": f"ssl.{n}" for n in ("wrap_socket", "SSLSocket", "SSLContext")},
}
# An alias of an alias ends at the last one: `from gevent.socket import error` is
# gevent.socket.error -> socket.error -> builtins.OSError (a lookup is one step).
for _k, _v in list(_ALIASES.items()):
    while _v in _ALIASES:
        _v = _ALIASES[_v]
    _ALIASES[_k] = _v

# The classes above each exception, itself included.

# ---------------------------------------------------------------------------------------
# Scopes, bindings, contexts
# ---------------------------------------------------------------------------------------


class Binding:
    __slots__ = ("kind", "value", "scope", "index", "qname", "info", "tick", "loops")

    def __init__(self, kind, value=None, scope=None, index=None, qname=None, info=None):
        self.kind = kind  # import, value, unpack, elem, def, class, param, self, annot, other
        self.value = value  # an expression (value, unpack), iterable (elem), annotation (param, annot)
        self.scope = scope  # where `value` is evaluated
        self.index = index  # position in a tuple target (unpack); path into the item (elem)
        self.qname = qname  # for import
        self.info = info  # FunctionInfo (def), ClassInfo (class, self)
        self.tick = 0  # when the walk met it (source order of statements)
        self.loops: Tuple[cst.CSTNode, ...] = ()  # the loops around it


class Scope:
    __slots__ = ("kind", "parent", "bindings", "globals", "star_imports")

    def __init__(self, kind: str, parent: Optional["Scope"]):
        self.kind = kind  # module, function, class
        self.parent = parent
        self.bindings: Dict[str, List[Binding]] = {}
        self.globals: Set[str] = set()
        self.star_imports: List[str] = []

    def bind(self, name: str, binding: Binding) -> None:
        self.bindings.setdefault(name, []).append(binding)


class ClassInfo:
    __slots__ = ("name", "node", "scope", "outer", "attrs", "methods", "annots")

    def __init__(self, name, node, scope, outer):
        self.name = name
        self.node = node
        self.scope = scope  # the class body's scope
        self.outer = outer  # where the class statement stands
        self.attrs: Dict[str, List[Tuple[cst.BaseExpression, Scope]]] = {}
        self.methods: Dict[str, "FunctionInfo"] = {}
        # `sock: socket.socket` in the class body, `self.sock: socket.socket = ...` in a method
        self.annots: Dict[str, List[Tuple[cst.BaseExpression, Scope]]] = {}


class FunctionInfo:
    __slots__ = ("name", "node", "scope", "outer", "cls", "returns", "ctx")

    def __init__(self, name, node, scope, outer, cls):
        self.name = name
        self.node = node
        self.scope = scope
        self.outer = outer
        self.cls = cls  # ClassInfo when a method
        self.returns: List[Tuple[cst.BaseExpression, Scope]] = []


class Guard:
    """Something that catches exceptions around code: an `except` chain or a `with` (a
    context manager, `suppress(...)` among them)."""

    __slots__ = ("node", "types", "scope", "handlers")

    def __init__(self, node, types, scope, handlers=None):
        self.node = node  # cst.Try, cst.TryStar or cst.With
        self.types = types  # list of handler type expressions (None = bare except)
        self.scope = scope
        self.handlers = handlers or []  # the ExceptHandler nodes, in order


class Ctx:
    """Where a node stands: scope, function, enclosing guards and loops, statement."""

    __slots__ = ("scope", "func", "guards", "loops", "stmt", "block")

    def __init__(self, scope, func, guards, loops, stmt, block):
        self.scope = scope
        self.func: Optional[FunctionInfo] = func
        self.guards: Tuple[Guard, ...] = guards  # innermost last, same function only
        self.loops: Tuple[cst.CSTNode, ...] = loops  # For/While, innermost last
        self.stmt = stmt  # innermost statement
        self.block = block  # the statement list holding `stmt`

    def replace(self, **kw) -> "Ctx":
        new = Ctx(self.scope, self.func, self.guards, self.loops, self.stmt, self.block)
        for k, v in kw.items():
            setattr(new, k, v)
        return new


_SKIP_FIELD_PREFIXES = (
    "whitespace",
    "lpar",
    "rpar",
    "comma",
    "leading_lines",
    "lines_after_decorators",
    "header",
    "footer",
    "semicolon",
    "equal",
    "colon",
    "operator",
    "dot",
    "lbracket",
    "rbracket",
    "lbrace",
    "rbrace",
    "trailing_whitespace",
    "asynchronous",
    "star",
    "indent",
    "newline",
    "default_",
    "encoding",
    "has_trailing",
)
_FIELDS: Dict[type, Tuple[str, ...]] = {}


_NODE_TYPES: Dict[type, bool] = {}


def _is_node(t: type) -> bool:
    """issubclass(t, CSTNode), memoised: CSTNode is an ABC, and isinstance against an ABC
    goes through Python-level __instancecheck__ (370,000 of them for the stdlib's survivors)."""
    known = _NODE_TYPES.get(t)
    if known is None:
        known = _NODE_TYPES[t] = issubclass(t, cst.CSTNode)
    return known


def _child_fields(t: type) -> Tuple[str, ...]:
    f = _FIELDS.get(t)
    if f is None:
        f = tuple(
            x.name for x in dataclasses.fields(t) if not x.name.startswith(_SKIP_FIELD_PREFIXES)
        )
        _FIELDS[t] = f
    return f


def child_nodes(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """The child nodes of `node` that can hold a name (no whitespace, brackets or
    punctuation), in field order. The walks of this package go through it rather than
    libcst's `visit()`, which rebuilds every node it passes and calls two hooks a node
    (a class walk by a visitor was 5 % of a cold stdlib run in one process)."""
    for name in _child_fields(type(node)):
        v = getattr(node, name)
        tv = type(v)
        if tv is list or tv is tuple:
            for c in v:
                if _is_node(type(c)):
                    yield c
        elif _is_node(tv):
            yield v


def absolute_import(name: str, modname: Optional[str], is_package: bool) -> Optional[str]:
    """`.x` seen in module `modname` as an absolute name (None when it cannot be told)."""
    from sigpipe_lint.program.resolve import absolute

    return absolute(name, modname, is_package)


def dotted(expr) -> Optional[str]:
    """`a.b.c` as a string, for Name/Attribute chains; None otherwise."""
    parts = []
    while isinstance(expr, cst.Attribute):
        parts.append(expr.attr.value)
        expr = expr.value
    if isinstance(expr, cst.Name):
        parts.append(expr.value)
        return ".".join(reversed(parts))
    return None


def call_name(call: cst.Call) -> Optional[str]:
    f = call.func
    if isinstance(f, cst.Attribute):
        return f.attr.value
    if isinstance(f, cst.Name):
        return f.value
    return None


def positional_args(call: cst.Call) -> List[cst.BaseExpression]:
    out = []
    for a in call.args:
        if a.keyword is not None or a.star:
            break
        out.append(a.value)
    return out


def keyword_arg(call: cst.Call, name: str) -> Optional[cst.BaseExpression]:
    for a in call.args:
        if a.keyword is not None and a.keyword.value == name:
            return a.value
    return None


def arg_at(call: cst.Call, index: int, keyword: str) -> Optional[cst.BaseExpression]:
    pos = positional_args(call)
    if index < len(pos):
        return pos[index]
    return keyword_arg(call, keyword)


def method_kind(func) -> Optional[str]:
    """"static", "class" or "instance" for a function defined in a class body; None for
    other functions."""
    if func.cls is None or not isinstance(func.node, cst.FunctionDef):
        return None
    decorators = {dotted(d.decorator) for d in func.node.decorators}
    if decorators & {"staticmethod", "builtins.staticmethod"}:
        return "static"
    if decorators & {"classmethod", "builtins.classmethod"}:
        return "class"
    return "instance"


def filled_params(func) -> List[str]:
    """The names of a function's positional parameters that a call's arguments fill, in
    order: a method's after its receiver (`self`, a class method's `cls`), all of a static
    method's. A parameter binding's `index` counts in this list."""
    node = func.node
    if not isinstance(node, cst.FunctionDef):
        return []
    names = [p.name.value for p in list(node.params.posonly_params) + list(node.params.params)]
    return names[1:] if method_kind(func) in ("instance", "class") else names


def _literal_string(expr) -> Optional[str]:
    if isinstance(expr, cst.SimpleString):
        try:
            v = expr.evaluated_value
        except Exception:  # noqa: BLE001 - odd literals are simply unknown
            return None
        return v if isinstance(v, str) else None
    return None


# ---------------------------------------------------------------------------------------
# The walk
# ---------------------------------------------------------------------------------------


class ModuleNames:
    def _init_names(self, module: cst.Module, modname: Optional[str] = None, is_package: bool = False) -> None:
        self.module = module
        self.modname = modname  # dotted name, when the file's place is known
        self.is_package = is_package
        self.module_scope = Scope("module", None)
        self.functions: List[FunctionInfo] = []
        self.classes: List[ClassInfo] = []
        self.calls_by_name: Dict[str, List[Tuple[cst.Call, Ctx]]] = {}
        self.name_refs: Dict[str, List[Tuple[cst.CSTNode, Ctx]]] = {}
        self.preexec_values: List[Tuple[cst.BaseExpression, Ctx]] = []
        self.thread_targets: List[Tuple[cst.Call, Ctx]] = []  # Thread(target=f, args=(...))
        self.guards: List[Tuple[Guard, Ctx]] = []
        self.subscript_stores: List[Tuple[cst.Subscript, cst.BaseExpression, Ctx]] = []
        self.awaits: List[Tuple[cst.Await, Ctx]] = []  # where each `await` stands (asyncio tasks)
        self.method_aliases: List[Tuple[cst.BaseExpression, cst.BaseExpression, Ctx]] = []  # (target, value, ctx)
        # attribute name -> [(`obj.name` target, value, ctx)] for `obj.name = value` on a name not `self`
        self.outside_attr_stores: Dict[str, List[Tuple[cst.Attribute, cst.BaseExpression, Ctx]]] = {}
        self.imported_modules: Set[str] = set()
        self.imported_names: Set[str] = set()  # qualified names brought in by `from X import y`
        # `from X import y as z`: {"X.y": {"z"}} (calls are indexed by the name called, z)
        self.import_aliases: Dict[str, Set[str]] = {}
        self._qcache: Dict[tuple, Optional[str]] = {}
        # Expressions parsed from string annotations, kept as long as these facts: the caches
        # key on id(node), and a freed node's id is given to the next node made.
        self.annotation_exprs: Dict[int, cst.BaseExpression] = {}
        self._class_of_scope: Dict[int, ClassInfo] = {}
        self._tick = 0
        self._call_tick: Dict[int, int] = {}
        self._walk()


    _REFS = frozenset({"MSG_NOSIGNAL", "SO_NOSIGPIPE", "EPIPE"})
    # Methods that write, recorded as attributes too: `retry(sock.sendall, data)` passes one on.
    _WRITE_METHODS = frozenset({"send", "sendall", "sendto", "sendmsg", "sendfile", "write", "writelines", "flush"})
    _ATTR_REFS = _REFS | _WRITE_METHODS

    def _walk(self) -> None:
        root = Ctx(self.module_scope, None, (), (), None, self.module.body)
        stack: List[Tuple[cst.CSTNode, Ctx]] = [(self.module, root)]
        push = stack.append
        pop = stack.pop
        special = self._special
        REFS = self._REFS
        is_node = _is_node
        while stack:
            node, ctx = pop()
            self._tick += 1
            t = type(node)
            handler = special.get(t)
            if handler is not None:
                if handler(self, node, ctx, push):
                    continue
            elif t is cst.Name:
                if node.value in REFS:
                    self.name_refs.setdefault(node.value, []).append((node, ctx))
                continue
            for name in _child_fields(t):
                v = getattr(node, name)
                tv = type(v)
                if tv in (list, tuple):
                    for c in reversed(v):
                        if is_node(type(c)):
                            push((c, ctx))
                elif is_node(tv):
                    push((v, ctx))

    # Each handler returns True when it pushed the children itself.

    def _h_statement_block(self, node, ctx, push):
        # IndentedBlock / Module / SimpleStatementSuite: remember the statement list.
        body = node.body
        for stmt in reversed(body):
            push((stmt, ctx.replace(stmt=stmt, block=body)))
        return True

    def _h_function(self, node: cst.FunctionDef, ctx: Ctx, push):
        outer = ctx.scope
        cls = None
        if outer.kind == "class":
            cls = self._class_of_scope.get(id(outer))
        scope = Scope("function", outer)
        info = FunctionInfo(node.name.value, node, scope, outer, cls)
        self.functions.append(info)
        self._bind(ctx, node.name.value, Binding("def", info=info))
        if cls is not None:
            cls.methods[node.name.value] = info
        params = node.params
        is_static = method_kind(info) == "static"
        first = True
        index = 0
        for p in list(params.posonly_params) + list(params.params):
            if first and cls is not None and not is_static:
                scope.bind(p.name.value, Binding("self", info=cls))
            else:
                ann = p.annotation and p.annotation.annotation
                scope.bind(p.name.value, Binding("param", value=ann, scope=outer, index=index, info=info))
                index += 1
            first = False
        for p in list(params.kwonly_params):
            scope.bind(p.name.value, Binding("param", value=p.annotation and p.annotation.annotation, scope=outer))
        for p in (params.star_arg, params.star_kwarg):
            if isinstance(p, cst.Param):
                scope.bind(p.name.value, Binding("other"))
        inner = Ctx(scope, info, (), (), None, None)
        push((node.body, inner))
        # Decorators, defaults and annotations are evaluated where the def stands.
        for d in node.decorators:
            push((d, ctx))
        for p in list(params.posonly_params) + list(params.params) + list(params.kwonly_params):
            if p.default is not None:
                push((p.default, ctx))
        return True

    def _h_lambda(self, node: cst.Lambda, ctx: Ctx, push):
        scope = Scope("function", ctx.scope)
        info = FunctionInfo("<lambda>", node, scope, ctx.scope, None)
        self.functions.append(info)
        params = node.params
        for p in list(params.posonly_params) + list(params.params) + list(params.kwonly_params):
            scope.bind(p.name.value, Binding("other"))
        for p in (params.star_arg, params.star_kwarg):
            if isinstance(p, cst.Param):
                scope.bind(p.name.value, Binding("other"))
        push((node.body, Ctx(scope, info, (), (), ctx.stmt, None)))
        return True

    def _h_class(self, node: cst.ClassDef, ctx: Ctx, push):
        scope = Scope("class", ctx.scope)
        info = ClassInfo(node.name.value, node, scope, ctx.scope)
        self.classes.append(info)
        self._class_of_scope[id(scope)] = info
        self._bind(ctx, node.name.value, Binding("class", info=info))
        push((node.body, Ctx(scope, None, (), (), None, None)))
        for b in node.bases:
            push((b, ctx))
        for d in node.decorators:
            push((d, ctx))
        return True

    def _h_try(self, node, ctx: Ctx, push):
        types = []
        for h in node.handlers:
            types.append(h.type)
            if h.name is not None and isinstance(h.name.name, cst.Name):
                self._bind(ctx, h.name.name.value, Binding("other"))
        guard = Guard(node, types, ctx.scope, list(node.handlers))
        self.guards.append((guard, ctx))
        # Pushed last-first, so the walk meets them in source order.
        for part in reversed(list(node.handlers) + [node.orelse, node.finalbody]):
            if part is not None:
                push((part, ctx))
        push((node.body, ctx.replace(guards=ctx.guards + (guard,))))
        return True

    def _h_with(self, node: cst.With, ctx: Ctx, push):
        guards = ctx.guards
        for item in node.items:
            expr = item.item
            if isinstance(expr, cst.Call):
                # A context manager may swallow what its body raises: `contextlib.suppress`
                # under any name, a manager of this module or another (guards.py decides).
                g = Guard(node, [("manager", expr, None)], ctx.scope)
                self.guards.append((g, ctx))
                guards = guards + (g,)
            elif isinstance(expr, cst.Name):  # guard = Quiet(); with guard:
                g = Guard(node, [("manager", expr, None)], ctx.scope)
                self.guards.append((g, ctx))
                guards = guards + (g,)
            if item.asname is not None:
                self._bind_target(item.asname.name, expr, ctx)
        push((node.body, ctx.replace(guards=guards)))
        for item in reversed(node.items):
            push((item.item, ctx))
        return True

    def _h_loop(self, node, ctx: Ctx, push):
        loops = ctx.loops + (node,)
        if node.orelse is not None:
            push((node.orelse, ctx))
        push((node.body, ctx.replace(loops=loops)))
        if isinstance(node, cst.For):
            self._bind_elements(node.target, node.iter, ctx, ())
            push((node.iter, ctx))
        else:
            push((node.test, ctx))
        return True

    def _h_assign(self, node: cst.Assign, ctx: Ctx, push):
        for t in node.targets:
            self._bind_target(t.target, node.value, ctx)
            if type(t.target) is cst.Subscript:  # clients[fd] = conn: what a container holds
                self.subscript_stores.append((t.target, node.value, ctx))
        v = node.value
        if self._aliasable(v):
            for t in node.targets:
                self.method_aliases.append((t.target, v, ctx))  # send = sock.sendall; send(data)
        return False

    def _aliasable(self, v) -> bool:
        """A bound write method or a partial, worth remembering where it is assigned."""
        return (type(v) is cst.Attribute and v.attr.value in self._WRITE_METHODS) or (
            type(v) is cst.Call and call_name(v) == "partial"
        )

    def _h_annassign(self, node: cst.AnnAssign, ctx: Ctx, push):
        if node.value is not None:
            self._bind_target(node.target, node.value, ctx)
        ann = node.annotation.annotation
        if isinstance(node.target, cst.Name):
            self._bind(ctx, node.target.value, Binding("annot", value=ann, scope=ctx.scope))
            if ctx.scope.kind == "class":
                cls = self._class_of_scope.get(id(ctx.scope))
                if cls is not None:
                    cls.annots.setdefault(node.target.value, []).append((ann, ctx.scope))
        elif isinstance(node.target, cst.Attribute) and isinstance(node.target.value, cst.Name):
            cls = self._self_class(node.target.value.value, ctx.scope)
            if cls is not None:
                cls.annots.setdefault(node.target.attr.value, []).append((ann, ctx.scope))
        push((node.value, ctx)) if node.value is not None else None
        return True

    def _h_namedexpr(self, node: cst.NamedExpr, ctx: Ctx, push):
        self._bind_target(node.target, node.value, ctx)
        return False

    def _h_import(self, node: cst.Import, ctx: Ctx, push):
        for alias in node.names:
            full = dotted(alias.name)
            if full is None:
                continue
            self.imported_modules.add(full)
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self._bind(ctx, alias.asname.name.value, Binding("import", qname=full))
            else:
                top = full.split(".")[0]
                self._bind(ctx, top, Binding("import", qname=top))
        return True

    def _h_importfrom(self, node: cst.ImportFrom, ctx: Ctx, push):
        mod = dotted(node.module) if node.module is not None else ""
        if node.relative:
            rel = "." * len(node.relative) + (mod or "")
            # Absolute where the module's place is known: the program view resolves it.
            mod = absolute_import(rel, self.modname, self.is_package) or rel
        if mod:
            self.imported_modules.add(mod)
        if isinstance(node.names, cst.ImportStar):
            ctx.scope.star_imports.append(mod)
            return True
        for alias in node.names:
            name = alias.name.value if isinstance(alias.name, cst.Name) else dotted(alias.name)
            if name is None:
                continue
            local = name
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                local = alias.asname.name.value
            self._bind(ctx, local, Binding("import", qname=f"{mod}.{name}"))
            self.imported_names.add(f"{mod}.{name}")
            if local != name:
                self.import_aliases.setdefault(f"{mod}.{name}", set()).add(local)
        return True

    def _h_global(self, node, ctx: Ctx, push):
        for n in node.names:
            ctx.scope.globals.add(n.name.value)
        return True

    def _h_return(self, node: cst.Return, ctx: Ctx, push):
        if node.value is not None and ctx.func is not None:
            ctx.func.returns.append((node.value, ctx.scope))
        return False

    def _h_call(self, node: cst.Call, ctx: Ctx, push):
        name = call_name(node)
        if name is not None:
            self.calls_by_name.setdefault(name, []).append((node, ctx))
            self._call_tick[id(node)] = self._tick
        for a in node.args:
            if a.keyword is not None and a.keyword.value == "preexec_fn":
                self.preexec_values.append((a.value, ctx))
            elif a.keyword is not None and a.keyword.value == "target":
                self.thread_targets.append((node, ctx))
        return False

    def _h_attribute(self, node: cst.Attribute, ctx: Ctx, push):
        if node.attr.value in self._ATTR_REFS:
            self.name_refs.setdefault(node.attr.value, []).append((node, ctx))
        push((node.value, ctx))
        return True

    def _h_await(self, node: cst.Await, ctx: Ctx, push):
        self.awaits.append((node, ctx))
        return False

    _special = {
        cst.Module: _h_statement_block,
        cst.IndentedBlock: _h_statement_block,
        cst.SimpleStatementSuite: _h_statement_block,
        cst.FunctionDef: _h_function,
        cst.Lambda: _h_lambda,
        cst.ClassDef: _h_class,
        cst.Try: _h_try,
        cst.TryStar: _h_try,
        cst.With: _h_with,
        cst.For: _h_loop,
        cst.While: _h_loop,
        cst.Assign: _h_assign,
        cst.AnnAssign: _h_annassign,
        cst.NamedExpr: _h_namedexpr,
        cst.Import: _h_import,
        cst.ImportFrom: _h_importfrom,
        cst.Global: _h_global,
        cst.Return: _h_return,
        cst.Call: _h_call,
        cst.Attribute: _h_attribute,
        cst.Await: _h_await,
    }

    def _bind(self, ctx: Ctx, name: str, binding: Binding) -> None:
        binding.tick = self._tick
        binding.loops = ctx.loops
        scope = ctx.scope
        if name in scope.globals:
            scope = self.module_scope
        scope.bind(name, binding)

    def _bind_elements(self, target, iterable, ctx: Ctx, path: Tuple[int, ...]) -> None:
        """`for conn, addr in self.conns`: each name is bound to an item of `iterable` (at
        `path` inside the item when the target unpacks it)."""
        if isinstance(target, cst.Name):
            self._bind(ctx, target.value, Binding("elem", value=iterable, scope=ctx.scope, index=path))
        elif isinstance(target, (cst.Tuple, cst.List)) and len(path) < 3:
            for i, el in enumerate(target.elements):
                if isinstance(el, cst.StarredElement):
                    self._bind_target(el.value, None, ctx)
                else:
                    self._bind_elements(el.value, iterable, ctx, path + (i,))
        else:
            self._bind_target(target, None, ctx)

    def _bind_target(self, target, value, ctx: Ctx) -> None:
        if isinstance(target, cst.Name):
            if value is None:
                self._bind(ctx, target.value, Binding("other"))
            else:
                self._bind(ctx, target.value, Binding("value", value=value, scope=ctx.scope))
        elif isinstance(target, (cst.Tuple, cst.List)):
            items = _parallel_items(target, value)
            if items is not None:
                # a, b = sock, 1: each name holds its own item, as if assigned alone
                for el, item in zip(target.elements, items):
                    self._bind_target(el.value, item, ctx)
                    if item is not None and type(el.value) is cst.Subscript:
                        self.subscript_stores.append((el.value, item, ctx))
                    if self._aliasable(item):  # send, recv = s.sendall, s.recv
                        self.method_aliases.append((el.value, item, ctx))
                return
            for i, el in enumerate(target.elements):
                t = el.value
                if isinstance(el, cst.StarredElement):
                    self._bind_target(t, None, ctx)
                elif isinstance(t, cst.Name) and value is not None:
                    self._bind(ctx, t.value, Binding("unpack", value=value, scope=ctx.scope, index=i))
                elif isinstance(t, cst.Attribute) and value is not None:
                    # self.reader, self.writer = await open_connection(...): self.writer is value[1]
                    self._bind_target(t, _item_expr(value, i), ctx)
                else:
                    self._bind_target(t, None, ctx)
        elif isinstance(target, cst.Attribute) and value is not None:
            # self.x = value inside a method
            if isinstance(target.value, cst.Name):
                cls = self._self_class(target.value.value, ctx.scope)
                if cls is not None:
                    cls.attrs.setdefault(target.attr.value, []).append((value, ctx.scope))
                else:  # obj.x = value: an attribute set on an instance from outside its class
                    self.outside_attr_stores.setdefault(target.attr.value, []).append((target, value, ctx))

    # -- names --------------------------------------------------------------------------

    def lookup(self, name: str, scope: Scope) -> Tuple[Optional[List[Binding]], Optional[Scope]]:
        start = scope
        s = scope
        while s is not None:
            if name in s.globals:
                s = self.module_scope
            if s.kind != "class" or s is start:
                b = s.bindings.get(name)
                if b:
                    return b, s
            s = s.parent
        return None, None

    def _self_class(self, name: str, scope: Scope) -> Optional[ClassInfo]:
        bs, _ = self.lookup(name, scope)
        if bs and len(bs) == 1 and bs[0].kind == "self":
            return bs[0].info
        return None

    def _self_class_name(self, expr, scope: Scope) -> bool:
        return isinstance(expr, cst.Name) and self._self_class(expr.value, scope) is not None

    def calls_named(self, *qnames: str) -> List[Tuple[cst.Call, Ctx]]:
        """The calls that may call one of `qnames`, in source order: those whose called
        name is its last part (`signal.signal(...)`, `signal(...)`), and those through a
        name it was imported as (`from signal import signal as on; on(...)`). Calls are
        indexed by the name called, so a lookup by the last part alone misses the second
        kind; the caller still checks each call's qualified name."""
        names = {q.rsplit(".", 1)[-1] for q in qnames}
        for q in qnames:
            names |= self.import_aliases.get(q, set())
        found = [c for n in names for c in self.calls_by_name.get(n, ())]
        if len(names) > 1:
            found.sort(key=lambda c: self._call_tick.get(id(c[0]), 0))
        return found

    def qname(self, expr, scope: Scope, _depth: int = 0) -> Optional[str]:
        """The qualified name an expression stands for, or None when unknown or ambiguous."""
        if _depth > 20:
            return None
        key = (id(expr), id(scope))
        if key in self._qcache:
            return self._qcache[key]
        result = None
        if isinstance(expr, cst.Name):
            result = self._qname_of_name(expr.value, scope, _depth)
        elif isinstance(expr, cst.Attribute):
            base = self.qname(expr.value, scope, _depth + 1)
            if base is not None:
                result = _ALIASES.get(base + "." + expr.attr.value, base + "." + expr.attr.value)
        self._qcache[key] = result
        return result

    def _qname_of_name(self, name: str, scope: Scope, depth: int) -> Optional[str]:
        bindings, bscope = self.lookup(name, scope)
        if bindings is None:
            s = scope
            while s is not None:
                for mod in s.star_imports:
                    if name in STAR_EXPORTS.get(mod, ()):
                        q = f"{mod}.{name}"
                        return _ALIASES.get(q, q)
                s = s.parent
            if name in _BUILTINS:
                q = "builtins." + name
                return _ALIASES.get(q, q)
            return None
        found = set()
        for b in bindings:
            if b.kind == "import":
                found.add(_ALIASES.get(b.qname, b.qname))
            elif b.kind == "value":
                if isinstance(b.value, (cst.Name, cst.Attribute)):
                    q = self.qname(b.value, b.scope, depth + 1)
                    if q is not None:
                        found.add(q)
                elif isinstance(b.value, cst.Call) and isinstance(b.value.func, (cst.Name, cst.Attribute)):
                    # getattr(socket, "MSG_NOSIGNAL", 0) and friends
                    q = self._getattr_qname(b.value, b.scope, depth)
                    if q is not None:
                        found.add(q)
            elif b.kind in ("def", "class"):
                found.add(f"<local>.{name}")
        if len(found) == 1:
            return found.pop()
        return None

    def qnames(self, expr, scope: Scope) -> List[str]:
        """Every qualified name `expr` may stand for: one per binding of an ambiguous name
        (`try: from http.server import X` / `except ImportError: from BaseHTTPServer import X`)."""
        q = self.qname(expr, scope)
        if q is not None:
            return [q]
        if isinstance(expr, cst.Name):
            bs, _ = self.lookup(expr.value, scope)
            out = []
            for b in bs or ():
                if b.kind == "import":
                    out.append(_ALIASES.get(b.qname, b.qname))
                elif b.kind == "value" and isinstance(b.value, (cst.Name, cst.Attribute)):
                    q = self.qname(b.value, b.scope)
                    if q is not None:
                        out.append(q)
                elif b.kind in ("def", "class"):
                    out.append(f"<local>.{expr.value}")
            return list(dict.fromkeys(out))
        if isinstance(expr, cst.Attribute):
            return [f"{base}.{expr.attr.value}" for base in self.qnames(expr.value, scope)]
        return []

    def qname_of_import(self, b: Binding) -> Optional[str]:
        return _ALIASES.get(b.qname, b.qname)

    def value_exprs_of_binding_list(self, bindings: List[Binding]) -> List[Tuple[cst.BaseExpression, Scope]]:
        out = []
        for b in bindings:
            if isinstance(b.value, (cst.Tuple, cst.List, cst.Set)):
                for el in b.value.elements:
                    out.extend(self.value_exprs(el.value, b.scope))
            else:
                out.extend(self.value_exprs(b.value, b.scope))
        return out

    def has_main_guard(self) -> bool:
        """Whether the module is a script: `if __name__ == "__main__":` at module level."""
        for stmt in self.module.body:
            if isinstance(stmt, cst.If) and isinstance(stmt.test, cst.Comparison):
                t = stmt.test
                parts = [t.left] + [c.comparator for c in t.comparisons]
                if any(isinstance(x, cst.Name) and x.value == "__name__" for x in parts) and any(
                    isinstance(x, cst.SimpleString) and "__main__" in x.value for x in parts
                ):
                    return True
        return False

    def _getattr_qname(self, call: cst.Call, scope: Scope, depth: int) -> Optional[str]:
        if self.qname(call.func, scope, depth + 1) != "builtins.getattr":
            return None
        pos = positional_args(call)
        if len(pos) >= 2:
            base = self.qname(pos[0], scope, depth + 1)
            attr = _literal_string(pos[1])
            if base is not None and attr is not None:
                return base + "." + attr
        return None

    def value_exprs(self, expr, scope: Scope, _depth: int = 0) -> List[Tuple[cst.BaseExpression, Scope]]:
        """For a name bound to a tuple (ERRORS = (A, B)), the tuple's elements; else [expr]."""
        if isinstance(expr, cst.Name) and _depth < 10:
            bs, _ = self.lookup(expr.value, scope)
            bs = [b for b in bs or () if b.kind != "annot"]  # ERRORS: tuple[type, ...] = (A, B)
            if bs and all(b.kind == "value" for b in bs):
                out = []
                for b in bs:
                    if isinstance(b.value, (cst.Tuple, cst.List, cst.Set)):
                        for el in b.value.elements:
                            out.extend(self.value_exprs(el.value, b.scope, _depth + 1))
                    else:
                        out.extend(self.value_exprs(b.value, b.scope, _depth + 1))
                return out
        if isinstance(expr, (cst.Tuple, cst.List, cst.Set)):
            out = []
            for el in expr.elements:
                out.extend(self.value_exprs(el.value, scope, _depth + 1))
            return out
        return [(expr, scope)]

    def mentions(self, expr, scope: Scope, qnames: Iterable[str]) -> bool:
        """Whether a flags/type expression names one of `qnames` (A | B, tuples, getattr)."""
        wanted = set(qnames)
        stack = [expr]
        while stack:
            e = stack.pop()
            if isinstance(e, (cst.Name, cst.Attribute)):
                q = self.qname(e, scope)
                if q in wanted:
                    return True
                if isinstance(e, cst.Attribute):
                    stack.append(e.value)
            elif isinstance(e, cst.BinaryOperation):
                stack.extend([e.left, e.right])
            elif isinstance(e, cst.Call):
                q = self._getattr_qname(e, scope, 0)
                if q in wanted:
                    return True
            elif isinstance(e, (cst.Tuple, cst.List, cst.Set)):
                stack.extend(el.value for el in e.elements)
        return False

    def _local_classes(self, expr, scope) -> List[ClassInfo]:
        if isinstance(expr, cst.Name):
            bs, _ = self.lookup(expr.value, scope)
            return [b.info for b in bs or () if b.kind == "class"]
        return []

    def _class_attr_bindings(self, cls: ClassInfo, attr: str, _seen=None, field: str = "attrs"):
        """(value, scope) of `self.attr = value` in cls and its local bases; with
        field="annots", the annotations of `attr` instead."""
        seen = _seen or set()
        if id(cls) in seen:
            return []
        seen.add(id(cls))
        out = list(getattr(cls, field).get(attr, ()))
        for base in cls.node.bases:
            for other in self._local_classes(base.value, cls.outer):
                out.extend(self._class_attr_bindings(other, attr, seen, field))
        return out


    # -- the call graph inside the module --------------------------------------------------

    def call_sites(self, func: FunctionInfo) -> List[Tuple[cst.Call, Ctx]]:
        """Calls of `func` made in this module: `f(...)` and, for methods, `self.f(...)`:
        in its class and the classes below it, and in the classes above it, where `self`
        may be an instance of `func`'s class (a base's `write()` calling `self._write()`,
        which each subclass defines)."""
        out = []
        for call, ctx in self.calls_by_name.get(func.name, ()):
            f = call.func
            if func.cls is None and isinstance(f, cst.Name):
                bs, _ = self.lookup(f.value, ctx.scope)
                if bs and any(b.kind == "def" and b.info is func for b in bs):
                    out.append((call, ctx))
            elif func.cls is not None and isinstance(f, cst.Attribute) and isinstance(f.value, cst.Name):
                cls = self._self_class(f.value.value, ctx.scope)
                if cls is not None and (
                    cls is func.cls or func.cls in self._local_bases(cls) or cls in self._local_bases(func.cls)
                ):
                    out.append((call, ctx))
                elif f.value.value == func.cls.name:
                    out.append((call, ctx))
                elif self._instance_of(f.value, ctx.scope, func.cls):
                    out.append((call, ctx))
        if func.name == "__init__" and func.cls is not None:
            # Cls(...) calls Cls.__init__: its arguments are __init__'s parameters after self.
            for call, ctx in self.calls_by_name.get(func.cls.name, ()):
                if isinstance(call.func, cst.Name) and func.cls in self._local_classes(call.func, ctx.scope):
                    out.append((call, ctx))
            # ... and so does a call of a value holding Cls, or a subclass that keeps this
            # __init__ (`self.client_handler(client, ...)`)
            through = self._constructions_through_values()
            for c in self.classes:
                if id(c) in through and self._init_of(c) is func:
                    out.extend(through[id(c)])
        return out

    def _init_of(self, cls: ClassInfo) -> Optional[FunctionInfo]:
        """The `__init__` that constructing `cls` runs, when this module defines it."""
        for c in [cls] + self._local_bases(cls):
            if "__init__" in c.methods:
                return c.methods["__init__"]
        return None

    def _constructions_through_values(self) -> Dict[int, List[Tuple[cst.Call, Ctx]]]:
        """id(ClassInfo) -> the calls that construct the class through a value holding it:
        `factory = Handler; factory(conn)`, or `self.client_handler(client, ...)` where the
        attribute holds a parameter that every call fills with classes (the Cookbook's
        `TCPServer(addr, TCPEchoClient, handlers)`). Built once; while it is built, calls of
        another `__init__` are its direct ones."""
        index = getattr(self, "_classcalls", None)
        if index is not None:
            return index
        self._classcalls = {}
        out: Dict[int, List[Tuple[cst.Call, Ctx]]] = {}
        for calls in self.calls_by_name.values():
            for call, ctx in calls:
                f = call.func
                if isinstance(f, cst.Name) and self._local_classes(f, ctx.scope):
                    continue  # Cls(...): a direct construction
                for cls in self._classes_held(f, ctx.scope):
                    out.setdefault(id(cls), []).append((call, ctx))
        self._classcalls = out
        return out

    def _classes_held(self, f, scope: Scope, depth: int = 0) -> List[ClassInfo]:
        """The module's classes a called name or `self.attr` holds: bound to a class, or to a
        parameter that every call in the module fills with one. [] when any value it may
        hold is something else (nothing is claimed then)."""
        values: List[Tuple[cst.BaseExpression, Scope]] = []
        if depth > 2:
            return []
        if isinstance(f, cst.Name):
            bs, _ = self.lookup(f.value, scope)
            for b in bs or ():
                if b.kind == "value":
                    values.append((b.value, b.scope))
                elif b.kind == "param" and b.info is not None and b.index is not None and b.info.name != "<lambda>":
                    sites = self.call_sites(b.info)
                    args = [(self.argument_for(b.info, call, ctx.scope, b.index), ctx.scope) for call, ctx in sites]
                    if not args or any(a is None for a, _ in args):
                        return []
                    values.extend(args)
                else:
                    return []
        elif isinstance(f, cst.Attribute) and isinstance(f.value, cst.Name):
            cls = self._self_class(f.value.value, scope)
            if cls is None or any(f.attr.value in c.methods for c in [cls] + self._local_bases(cls)):
                return []
            values = list(self._class_attr_bindings(cls, f.attr.value))
        out: List[ClassInfo] = []
        for v, s in values:
            held = self._local_classes(v, s) or (
                self._classes_held(v, s, depth + 1) if isinstance(v, (cst.Name, cst.Attribute)) else []
            )
            if not held:
                return []
            out.extend(held)
        return out

    def passes_instance(self, func: FunctionInfo, callee, scope: Scope) -> bool:
        """Whether calling method `func` through `callee` passes the instance as the first
        argument: a plain method called through a class of this module (`Wire.push(w,
        data)`, `Base.__init__(self, conn)`)."""
        return (
            method_kind(func) == "instance"
            and isinstance(callee, cst.Attribute)
            and bool(self._local_classes(callee.value, scope))
        )

    def argument_for(self, func: FunctionInfo, call: cst.Call, scope: Scope, index: int) -> Optional[cst.BaseExpression]:
        """The argument of `call` (a call of `func`, made in `scope`) that fills the
        parameter at `index` of `filled_params(func)`: by position, or by its name."""
        names = filled_params(func)
        if index >= len(names):
            return None
        shift = 1 if self.passes_instance(func, call.func, scope) else 0
        return arg_at(call, index + shift, names[index])

    # Calls that run a function later or elsewhere, with arguments for it:
    # name -> (qualified names accepted, None: any receiver's method of that name;
    #          index of the function; index where its positional arguments start, or the
    #          index/keyword of an `args` tuple; keyword of a `kwargs` dict; what runs the
    #          function, for runs_in: a thread, an executor (the exception is kept in a
    #          future) or an event loop's callback)
    _SPAWNERS = {
        "start_new_thread": (("_thread.start_new_thread", "thread.start_new_thread"), 0, ("args", 1), ("kwargs", 2), "thread"),
        "start_new": (("_thread.start_new",), 0, ("args", 1), ("kwargs", 2), "thread"),
        "Timer": (("threading.Timer",), 1, ("args", 2), ("kwargs", 3), "thread"),
        "submit": (None, 0, ("star", 1), "star", "executor"),
        "run_in_executor": (None, 1, ("star", 2), None, "executor"),
        "call_soon": (None, 0, ("star", 1), None, "callback"),
        "call_soon_threadsafe": (None, 0, ("star", 1), None, "callback"),
        "call_later": (None, 1, ("star", 2), None, "callback"),
        "apply_async": (None, 0, ("args", 1), ("kwds", 2), "executor"),
    }
    # gevent: a greenlet runs a function with the arguments it is given; an uncaught
    # exception is printed and ends the greenlet, as in a thread. name -> qualified name ->
    # index of the function (its positional arguments follow it).
    _GEVENT_SPAWNS = {
        "spawn": {"gevent.spawn": 0, "gevent.Greenlet.spawn": 0, "gevent.greenlet.Greenlet.spawn": 0},
        "spawn_raw": {"gevent.spawn_raw": 0},
        "spawn_later": {"gevent.spawn_later": 1, "gevent.Greenlet.spawn_later": 1, "gevent.greenlet.Greenlet.spawn_later": 1},
        "Greenlet": {"gevent.Greenlet": 0, "gevent.greenlet.Greenlet": 0},
    }
    # gevent.pool.Pool/Group: `pool.spawn(f, *args)` is gevent.spawn in a bounded group.
    GEVENT_POOLS = frozenset({"gevent.pool.Pool", "gevent.pool.Group"})
    # gevent servers calling `handle(socket, address)` for each connection, in a greenlet.
    GEVENT_SERVERS = frozenset({"gevent.server.StreamServer"})

    def spawned_calls(self) -> List[Tuple[cst.BaseExpression, Optional[list], Optional[dict], cst.Call, Ctx]]:
        """Calls that hand a function and its arguments to a thread, an executor or a loop:
        `Thread(target=f, args=(conn,), kwargs={...})`, `_thread.start_new_thread(f, (conn,))`,
        `threading.Timer(1, f, args=...)`, `executor.submit(f, conn)`,
        `loop.run_in_executor(None, f, conn)`, `loop.call_soon(f, conn)`.

        Each is (function expression, positional arguments or None when unknown, keyword
        arguments or None when unknown, the call, its ctx). Memoised.
        """
        cached = getattr(self, "_spawned", None)
        if cached is not None:
            return cached
        out = []
        for call, ctx in self.thread_targets:  # Thread(target=f, args=(...), kwargs={...})
            args = keyword_arg(call, "args")
            kwargs = keyword_arg(call, "kwargs")
            out.append((keyword_arg(call, "target"), _literal_items(args, ()), _literal_dict(kwargs, {}), call, ctx))
        for name, (qnames, fi, (akind, ai), kw, _runs_in) in self._SPAWNERS.items():
            for call, ctx in self.calls_by_name.get(name, ()):
                if qnames is not None:
                    if self.qname(call.func, ctx.scope) not in qnames:
                        continue
                elif not isinstance(call.func, cst.Attribute):
                    continue
                pos = positional_args(call)
                if fi >= len(pos):
                    continue
                if akind == "star":
                    starred = any(a.star for a in call.args)
                    args = None if starred else pos[ai:]
                    kwargs = None if starred else {
                        a.keyword.value: a.value for a in call.args if a.keyword is not None
                    } if kw == "star" else {}
                else:
                    args = _literal_items(arg_at(call, ai, akind), ())
                    kwargs = _literal_dict(arg_at(call, kw[1], kw[0]), {}) if kw else {}
                out.append((pos[fi], args, kwargs, call, ctx))
        for name, spawns in self._GEVENT_SPAWNS.items():
            for call, ctx in self.calls_by_name.get(name, ()):
                # every meaning: `try: import gevent` / `except ImportError: gevent = None`
                fi = next((spawns[q] for q in self.qnames(call.func, ctx.scope) if q in spawns), None)
                if fi is None and name == "spawn" and isinstance(call.func, cst.Attribute):
                    if self.made_by(call.func.value, ctx.scope, self.GEVENT_POOLS):
                        fi = 0  # pool.spawn(f, conn)
                pos = positional_args(call)
                if fi is None or fi >= len(pos):
                    continue
                starred = any(a.star for a in call.args)
                args = None if starred else pos[fi + 1:]
                kwargs = None if starred else {a.keyword.value: a.value for a in call.args if a.keyword is not None}
                out.append((pos[fi], args, kwargs, call, ctx))
        for handle, call, ctx in self.server_handles():
            out.append((handle, None, None, call, ctx))  # what it passes is not in the source
        self._spawned = out
        return out

    def server_handles(self) -> List[Tuple[cst.BaseExpression, cst.Call, Ctx]]:
        """`StreamServer(listener, handle)` (gevent): (the handle expression, the call, its
        ctx). The server calls `handle(socket, address)` in a greenlet of its own."""
        out = []
        for call, ctx in self.calls_named("gevent.server.StreamServer", "gevent.StreamServer"):
            if self.qname(call.func, ctx.scope) in self.GEVENT_SERVERS:
                handle = arg_at(call, 1, "handle")
                if handle is not None:
                    out.append((handle, call, ctx))
        return out

    def made_by(self, expr, scope: Scope, qnames) -> bool:
        """Whether `expr` (a name, or `self.x`) is bound only to calls of one of `qnames`."""
        if isinstance(expr, cst.Name):
            bs, _ = self.lookup(expr.value, scope)
            values = [(b.value, b.scope) if b.kind == "value" else (None, None) for b in bs or ()]
        elif isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name):
            cls = self._self_class(expr.value.value, scope)
            values = self._class_attr_bindings(cls, expr.attr.value) if cls is not None else []
        else:
            return False
        return bool(values) and all(
            isinstance(v, cst.Call) and self.qname(v.func, s) in qnames for v, s in values
        )

    def functions_named_by(self, expr, scope: Scope) -> List[FunctionInfo]:
        """The module's functions an expression names as a value: `f`, `self.method`."""
        if isinstance(expr, cst.Name):
            bs, _ = self.lookup(expr.value, scope)
            return [b.info for b in bs or () if b.kind == "def"]
        if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name):
            cls = self._self_class(expr.value.value, scope)
            if cls is None:
                return []
            for c in [cls] + self._local_bases(cls):
                m = c.methods.get(expr.attr.value)
                if m is not None:
                    return [m]
        return []

    # Methods that keep what they are given for later, without calling it now.
    _KEEPERS = frozenset({"append", "appendleft", "add", "insert", "extend", "setdefault", "put", "put_nowait", "register"})

    def reference_sites(self, func: FunctionInfo) -> List[Tuple[str, cst.CSTNode, Ctx]]:
        """Where `func` runs although no call names it: the places it is used as a value.

        ("call", call, ctx): `cb = self._flush; cb()`, `for fn in (self._a, self._b): fn()`,
        `self._cb = self._flush; self._cb()`, or `retry(self._flush)` (the receiving call runs
        it: what is caught around that call is what handles it). ("returned", value, ctx):
        returned by the function of ctx, so called by that function's callers (their guards
        count). ("spawn", call, ctx): a thread,
        executor or event loop runs it (`Thread(target=...)`, `submit(f)`), nothing of ours
        catches there. ("escape", node, ctx): stored (`callbacks.append(f)`,
        `atexit.register(f)`): callers unknown. A function used as a value has call sites
        that `call_sites` does not see; these are the ones the module shows.
        """
        index = getattr(self, "_refsites", None)
        if index is None:
            index = self._refsites = self._reference_index()
        return index.get(id(func), [])

    def _reference_index(self) -> Dict[int, List[Tuple[str, cst.CSTNode, Ctx]]]:
        out: Dict[int, List[Tuple[str, cst.CSTNode, Ctx]]] = {}
        spawners = {id(call) for _t, _a, _k, call, _c in self.spawned_calls()}
        for calls in self.calls_by_name.values():
            for call, ctx in calls:
                f = call.func
                # cb() / fn() / self._cb(): a name or attribute bound to functions of ours
                for target in self._called_values(f, ctx.scope):
                    out.setdefault(id(target), []).append(("call", call, ctx))
                # f passed as an argument
                for a in call.args:
                    if type(a.value) not in (cst.Name, cst.Attribute):
                        continue
                    targets = self.functions_named_by(a.value, ctx.scope)
                    if not targets and id(call) in spawners:
                        # gevent.spawn(sending_function, msg): a variable holding functions
                        targets = self._called_values(a.value, ctx.scope)
                    for target in targets:
                        if id(call) in spawners:
                            kind = "spawn"
                        elif isinstance(f, cst.Attribute) and f.attr.value in self._KEEPERS:
                            # a selector's callback: run where the module calls key.data(...)
                            runs = self.selector_dispatches(call, ctx) if f.attr.value == "register" else None
                            for run, rctx in runs or ():
                                out.setdefault(id(target), []).append(("call", run, rctx))
                            if runs:
                                continue
                            kind = "escape"
                        else:
                            kind = "call"
                        out.setdefault(id(target), []).append((kind, call, ctx))
        for info in self.functions:
            for value, scope in info.returns:
                for el in value.elements if isinstance(value, (cst.Tuple, cst.List)) else (value,):
                    el = getattr(el, "value", el)
                    for target in self.functions_named_by(el, scope):
                        # Returned: called by whoever called `info` (its callers' guards count).
                        out.setdefault(id(target), []).append(("returned", value, Ctx(scope, info, (), (), None, None)))
        return out

    def _called_values(self, f, scope: Scope) -> List[FunctionInfo]:
        """The module's functions a called name stands for when it holds them as values."""
        if isinstance(f, cst.Name):
            bs, _ = self.lookup(f.value, scope)
            out = []
            for b in bs or ():
                if b.kind == "value":
                    out.extend(self.functions_named_by(b.value, b.scope))
                elif b.kind == "elem" and not b.index:
                    items = b.value
                    if isinstance(items, cst.Name):  # HANDLERS = (a, b); for fn in HANDLERS
                        items = [v for v, _s in self.value_exprs(items, b.scope)]
                    elif isinstance(items, (cst.Tuple, cst.List, cst.Set)):
                        items = [el.value for el in items.elements]
                    else:
                        items = []
                    for item in items:
                        out.extend(self.functions_named_by(item, b.scope))
            return out
        if isinstance(f, cst.Attribute) and isinstance(f.value, cst.Name):
            cls = self._self_class(f.value.value, scope)
            if cls is None or any(f.attr.value in c.methods for c in [cls] + self._local_bases(cls)):
                return []
            out = []
            for value, s in self._class_attr_bindings(cls, f.attr.value):
                out.extend(self.functions_named_by(value, s))
            return out
        return []

    def _instance_of(self, name: cst.Name, scope: Scope, cls: ClassInfo) -> bool:
        """`pub` in `pub = Publisher(...)`: a name bound only to instances of `cls` (or subclasses)."""
        bs, _ = self.lookup(name.value, scope)
        if not bs:
            return False
        for b in bs:
            if b.kind != "value" or not isinstance(b.value, cst.Call):
                return False
            made = self._local_classes(b.value.func, b.scope)
            if not made or not any(m is cls or cls in self._local_bases(m) for m in made):
                return False
        return True

    # What a `target=` call runs its function in (the other spawners say it in _SPAWNERS):
    # where an exception that escapes it goes differs (semantics.md 13 for a thread).
    _TARGET_KINDS = {
        "threading.Thread": "thread",
        "multiprocessing.Process": "process",
        "multiprocessing.context.Process": "process",
    }

    def runs_in(self, func: Optional[FunctionInfo], sites=None, _depth: int = 3) -> Optional[str]:
        """What runs `func` when only a spawner of this module does ("thread", "greenlet",
        "process", "executor", "callback": see `_spawn_kind`; "start_server callback"; "handler":
        the entry points of a request-handler class, `handle`, `setup`, `finish`, `do_*`): it is the target
        (`Thread(target=f)`, `start_new_thread(f, ...)`, `gevent.spawn(f, ...)`,
        `executor.submit(f)`, the `run` of a `threading.Thread` subclass), or every place
        the module runs it from is such a function, of one kind. None when it also runs
        elsewhere, or when the module cannot tell (passed on, stored, returned).
        `sites(func)`: the callers to follow instead of `call_sites` (as for `handled_at`).
        Memoised."""
        if func is None:
            return None
        memo = self.__dict__.setdefault("_runs_in", {})
        key = (id(func), id(sites))
        if key in memo:
            return memo[key]
        memo[key] = None  # recursion guard: a cycle says nothing
        is_stream_callback = getattr(self, "is_stream_callback", None)  # the asyncio layer's
        if is_stream_callback is not None and is_stream_callback(func):
            # asyncio runs it for each client (start_server's argument is how it is named)
            memo[key] = "start_server callback"
            return memo[key]
        is_request_handler = getattr(self, "is_request_handler", None)  # the sockets layer's
        if is_request_handler is not None and func.cls is not None and is_handler_entry(func.name) and is_request_handler(func.cls):
            # the server runs it for each request (socketserver/http.server, or a handler
            # base of the program that subclasses theirs)
            memo[key] = "handler"
            return memo[key]
        kinds: Set[Optional[str]] = set()
        callers: List[Ctx] = [ctx for _call, ctx in (sites or self.call_sites)(func)]
        for kind, node, ctx in self.reference_sites(func):
            if kind == "spawn":
                kinds.add(self._spawn_kind(node, ctx))
            elif kind == "call":
                callers.append(ctx)
            else:  # returned or stored: run by code the module does not show
                kinds.add(None)
        if self.is_thread_run(func):
            kinds.add("thread")
        elif self.is_process_run(func):
            kinds.add("process")
        if kinds:
            found = kinds.pop() if len(kinds) == 1 and not callers else None
        elif callers and _depth > 0:
            outer = {"process" if self.in_fork_child(ctx) else self.runs_in(ctx.func, sites, _depth - 1) for ctx in callers}
            found = outer.pop() if len(outer) == 1 else None
        else:
            found = None
        memo[key] = found
        return found

    def in_fork_child(self, ctx: Ctx) -> bool:
        """Whether the statement of `ctx` runs only in the child of an `os.fork()`: in the
        branch of `if pid == 0:` (`if not pid:`, or the `else` of `if pid:`/`if pid > 0:`/
        `if pid != 0:`) that follows `pid = os.fork()` in the same block."""
        nodes = self.__dict__.get("_fork_child_nodes")
        if nodes is None:
            nodes = self._fork_child_nodes = set()
            for call, fctx in self.calls_by_name.get("fork", ()):
                stmt = fctx.stmt
                pid = assigned_name(stmt, call)
                if self.qname(call.func, fctx.scope) != "os.fork" or fctx.block is None or pid is None:
                    continue
                after = list(fctx.block)
                after = after[after.index(stmt) + 1:] if stmt in after else []
                for nxt in after:
                    if isinstance(nxt, cst.If):
                        branch = _fork_child_branch(nxt, pid)
                        if branch is not None:
                            nodes.update(_node_ids(branch))
                        break
        return ctx.stmt is not None and id(ctx.stmt) in nodes

    def is_thread_run(self, func: FunctionInfo) -> bool:
        """The `run()` of a `threading.Thread` subclass (here or through this module's
        bases): `start()` runs it in a thread of its own."""
        return self._run_of_subclass(func, _THREAD_CLASSES)

    def is_process_run(self, func: FunctionInfo) -> bool:
        """The `run()` of a `multiprocessing.Process` subclass: `start()` runs it in a child
        process, which prints an exception's traceback and exits 1."""
        return self._run_of_subclass(func, _PROCESS_CLASSES)

    def _run_of_subclass(self, func: FunctionInfo, bases: frozenset) -> bool:
        return (
            func.cls is not None
            and func.name == "run"
            and any(
                self.qname(b.value, c.outer) in bases
                for c in [func.cls] + self._local_bases(func.cls)
                for b in c.node.bases
            )
        )

    def _spawn_kind(self, call: cst.Call, ctx: Ctx) -> Optional[str]:
        """What a spawning call runs its function in: "thread", "greenlet", "process",
        "executor" (the exception is kept in a future), "callback" (an event loop's), or
        None (a server's handler, or unknown)."""
        if keyword_arg(call, "target") is not None:  # Thread(target=f) or Process(target=f)
            if self._context_process(call.func, ctx.scope):
                return "process"  # multiprocessing.get_context("fork").Process(target=f)
            return self._TARGET_KINDS.get(self.qname(call.func, ctx.scope) or "")
        name = call_name(call)
        if name in self._GEVENT_SPAWNS:
            return "greenlet"  # spawned_calls took it as gevent's, or a gevent pool's, spawn
        spawner = self._SPAWNERS.get(name or "")  # spawned_calls checked its qualified name
        return spawner[4] if spawner is not None else None

    def _context_process(self, func, scope) -> bool:
        """`ctx.Process` of a multiprocessing context: `multiprocessing.get_context(...)`,
        called there or bound to a name."""
        if not isinstance(func, cst.Attribute) or func.attr.value != "Process":
            return False
        values = [(func.value, scope)]
        if isinstance(func.value, cst.Name):
            bs, _ = self.lookup(func.value.value, scope)
            if not bs or any(b.kind != "value" for b in bs):
                return False
            values = [(b.value, b.scope) for b in bs]
        return all(
            isinstance(v, cst.Call) and self.qname(v.func, sc) == "multiprocessing.get_context" for v, sc in values
        )

    def _local_bases(self, cls: ClassInfo, _seen=None) -> List[ClassInfo]:
        seen = _seen or set()
        out = []
        for base in cls.node.bases:
            for other in self._local_classes(base.value, cls.outer):
                if id(other) not in seen:
                    seen.add(id(other))
                    out.append(other)
                    out.extend(self._local_bases(other, seen))
        return out


def _literal_items(expr, missing):
    """The items of a tuple/list literal; `missing` when there is none; None when unknown."""
    if expr is None:
        return missing
    if isinstance(expr, (cst.Tuple, cst.List)) and not any(isinstance(e, cst.StarredElement) for e in expr.elements):
        return [e.value for e in expr.elements]
    return None


def _parallel_items(target, value) -> Optional[List[Optional[cst.BaseExpression]]]:
    """The item of `value` each element of a tuple/list target receives, when `value` is a
    literal tuple/list whose length settles it (`a, b = sock, 1`; `a, *rest, z = w, x, y,
    z`): None for a starred target (a list of what is left); None as the whole answer when
    `value` is anything else or its length cannot match (its items unknown, `*xs`)."""
    if type(value) not in (cst.Tuple, cst.List):
        return None
    values = value.elements
    if any(type(v) is cst.StarredElement for v in values):
        return None
    targets = target.elements
    stars = [i for i, t in enumerate(targets) if type(t) is cst.StarredElement]
    if not stars:
        if len(values) != len(targets):
            return None
        return [v.value for v in values]
    if len(stars) > 1 or len(values) < len(targets) - 1:
        return None
    star = stars[0]
    after = len(targets) - star - 1
    return (
        [v.value for v in values[:star]] + [None] + [v.value for v in values[len(values) - after:]]
    )


def _literal_dict(expr, missing):
    """{"name": value} of a dict literal (or dict(name=value)); `missing` when there is none;
    None when unknown."""
    if expr is None:
        return missing
    if isinstance(expr, cst.Dict):
        out = {}
        for el in expr.elements:
            key = _literal_string(el.key) if isinstance(el, cst.DictElement) else None
            if key is None:
                return None
            out[key] = el.value
        return out
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and expr.func.value == "dict":
        if all(a.keyword is not None for a in expr.args):
            return {a.keyword.value: a.value for a in expr.args}
    return None


def _item_expr(value: cst.BaseExpression, index: int) -> cst.Subscript:
    """`value[index]`, built for an item of a tuple target (never printed or located)."""
    return cst.Subscript(value, [cst.SubscriptElement(cst.Index(cst.Integer(str(index))))])


def _subscript_index(expr: cst.Subscript) -> Optional[int]:
    if len(expr.slice) != 1 or not isinstance(expr.slice[0].slice, cst.Index):
        return None
    v = expr.slice[0].slice.value
    if isinstance(v, cst.Integer):
        try:
            return int(v.value)
        except ValueError:
            return None
    return None


def is_handler_entry(name: str) -> bool:
    """A method a socketserver/http.server server calls on a request handler of its own:
    `setup`/`handle`/`finish` (BaseRequestHandler's `__init__`), `handle_one_request`, the
    `do_<COMMAND>` methods (BaseHTTPRequestHandler's `handle`) and `copyfile`
    (SimpleHTTPRequestHandler's `do_GET`, with the client's socket file)."""
    return name in ("setup", "handle", "finish", "handle_one_request", "copyfile") or name.startswith("do_")


_THREAD_CLASSES = frozenset({"threading.Thread"})
_PROCESS_CLASSES = frozenset({"multiprocessing.Process", "multiprocessing.context.Process"})


def assigned_name(stmt, value: cst.Call) -> Optional[str]:
    """The name the statement binds `value` to: `task = create_task(...)`, `pid = os.fork()`."""
    if isinstance(stmt, cst.SimpleStatementLine):
        for s in stmt.body:
            if isinstance(s, cst.Assign) and s.value is value and len(s.targets) == 1:
                t = s.targets[0].target
                if isinstance(t, cst.Name):
                    return t.value
            if isinstance(s, cst.AnnAssign) and s.value is value and isinstance(s.target, cst.Name):
                return s.target.value
    return None


def _fork_child_branch(node: cst.If, pid: str):
    """The block of `node` that runs in a fork's child, for `pid = os.fork()`; None."""
    test = node.test
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not) and isinstance(test.expression, cst.Name) and test.expression.value == pid:
        return node.body
    if isinstance(test, cst.Name) and test.value == pid:
        return node.orelse.body if isinstance(node.orelse, cst.Else) else None
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1 and isinstance(test.left, cst.Name) and test.left.value == pid:
        op, right = test.comparisons[0].operator, test.comparisons[0].comparator
        if isinstance(right, cst.Integer) and right.value == "0":
            if isinstance(op, cst.Equal):
                return node.body
            if isinstance(op, (cst.NotEqual, cst.GreaterThan)):
                return node.orelse.body if isinstance(node.orelse, cst.Else) else None
    return None


def _node_ids(node) -> Set[int]:
    """The ids of `node` and every node below it that can hold a name (statements and
    expressions: what a Ctx's stmt may be)."""
    out: Set[int] = set()
    stack = [node]
    while stack:
        n = stack.pop()
        out.add(id(n))
        stack.extend(child_nodes(n))
    return out
