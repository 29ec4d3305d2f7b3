"""Step 4 of the pipeline: everything a rule may ask about one module, learnt in one walk.

`ModuleFacts(module)` walks the libcst tree once (a plain iterative walk over the dataclass
fields: libcst's own visitor rebuilds every node and costs about as much as the parse) and
records scopes and bindings, calls, `try` statements, loops and statements. Questions are
then answered lazily and memoised:

- `qname(expr, scope)`: what a name means through the module's imports and bindings
  (`import socket as s; s.MSG_NOSIGNAL` is `socket.MSG_NOSIGNAL`; `from signal import *`
  makes `SIGPIPE` `signal.SIGPIPE`; a local `class ConnectionError` is not the builtin).
  This is a small scope model of our own instead of libcst's QualifiedNameProvider, whose
  scope analysis costs several times the parse (see docs/architecture in the README).
- `sock_info(expr, scope)`: whether an expression is a socket, a socket file or a socket
  descriptor, and whether it may be TLS or datagram.
- `writes`: every socket write in the module, with its context (function, enclosing
  handlers, loops, statement).
- `sigpipe_calls`, `uses_nosignal`, `handles_epipe_anywhere`: the module's SIGPIPE policy
  and protection.
- `covers(handler_type, exc)`: whether an `except` clause's types catch an exception.
"""

from __future__ import annotations

import builtins
import dataclasses
import errno as _errno_mod
import signal as _signal_mod
import socket as _socket_mod
import ssl as _ssl_mod
from typing import Dict, Iterable, List, Optional, Set, Tuple

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
    "_signal.signal": "signal.signal",
    "posix.write": "os.write",
}

# The classes above each exception, itself included.
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
}
PEER_DEATH = ("BrokenPipeError", "ConnectionResetError")

# Calls whose result is a socket.
SOCKET_CONSTRUCTORS = {
    "socket.socket": "stream?",
    "socket.create_connection": "stream",
    "socket.create_server": "stream",
    "socket.fromfd": "stream?",
    "socket.fromshare": "stream",
    "ssl.wrap_socket": "tls",
    "ssl.SSLSocket": "tls",
}
SOCKET_PAIR_CONSTRUCTORS = {"socket.socketpair"}
PEERLESS_FAMILIES = tuple(
    "socket." + prefix + f
    for f in ("ALG", "RDS", "CAN", "NETLINK", "PACKET", "QIPCRTR")
    for prefix in ("AF_", "PF_")
)

# Annotations that say "this parameter is a socket".
SOCKET_TYPES = {"socket.socket": False, "ssl.SSLSocket": True}

# Request handler base classes whose attributes are sockets and socket files.
HANDLER_BASES = {
    "socketserver.BaseRequestHandler": ("request",),
    "socketserver.StreamRequestHandler": ("request", "connection", "wfile"),
    "http.server.BaseHTTPRequestHandler": ("request", "connection", "wfile"),
    "http.server.SimpleHTTPRequestHandler": ("request", "connection", "wfile"),
    "http.server.CGIHTTPRequestHandler": ("request", "connection", "wfile"),
    "xmlrpc.server.SimpleXMLRPCRequestHandler": ("request", "connection", "wfile"),
    "wsgiref.simple_server.WSGIRequestHandler": ("request", "connection", "wfile"),
}
NOT_HANDLER_BASES = {"socketserver.DatagramRequestHandler"}

SEND_METHODS = frozenset({"send", "sendall", "sendto", "sendmsg", "sendfile"})
FLAG_METHODS = {"send": 1, "sendall": 1, "sendto": 1, "sendmsg": 2}  # index of `flags`
FILE_WRITE_METHODS = frozenset({"write", "writelines", "flush"})
# Functions that write into a file argument: (positional index or -1, keyword).
WRITING_FUNCTIONS = {
    "shutil.copyfileobj": (1, "fdst"),
    "json.dump": (1, "fp"),
    "pickle.dump": (1, "file"),
    "marshal.dump": (1, "file"),
    "builtins.print": (-1, "file"),
}


@dataclasses.dataclass(frozen=True)
class SockInfo:
    """What is known of a socket-like value."""

    kind: str  # "socket", "file" (makefile/wfile), "pair" (accept()/socketpair()), "fd"
    tls: bool = False  # may be an ssl.SSLSocket
    dgram: bool = False  # known to be SOCK_DGRAM/SOCK_RAW: no EPIPE
    origin: str = ""  # how we know, for messages
    pair_both: bool = False  # for "pair": both items are sockets (socketpair)
    stream: bool = False  # known to be SOCK_STREAM (not merely "not known to be datagram")
    handler: bool = False  # a request handler's connection: the server closes it


# ---------------------------------------------------------------------------------------
# Scopes, bindings, contexts
# ---------------------------------------------------------------------------------------


class Binding:
    __slots__ = ("kind", "value", "scope", "index", "qname", "info", "tick", "loops")

    def __init__(self, kind, value=None, scope=None, index=None, qname=None, info=None):
        self.kind = kind  # import, value, unpack, def, class, param, self, annot, other
        self.value = value  # an expression (value, unpack), annotation (param, annot)
        self.scope = scope  # where `value` is evaluated
        self.index = index  # position in a tuple target (unpack)
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
    __slots__ = ("name", "node", "scope", "outer", "attrs", "methods")

    def __init__(self, name, node, scope, outer):
        self.name = name
        self.node = node
        self.scope = scope  # the class body's scope
        self.outer = outer  # where the class statement stands
        self.attrs: Dict[str, List[Tuple[cst.BaseExpression, Scope]]] = {}
        self.methods: Dict[str, "FunctionInfo"] = {}


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
    """Something that catches exceptions around code: an `except` chain or `suppress(...)`."""

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


@dataclasses.dataclass
class Write:
    """One socket write."""

    call: cst.Call
    ctx: Ctx
    method: str  # send, sendall, ..., write, os.write
    receiver: SockInfo
    label: str  # e.g. "sock.sendall()"
    target: Optional[cst.BaseExpression] = None  # what is written to, when not `call.func.value`


@dataclasses.dataclass
class SignalCall:
    """One `signal.signal(SIGPIPE, ...)` or `pthread_sigmask(SIG_BLOCK, {SIGPIPE})`."""

    call: cst.Call
    ctx: Ctx
    disposition: str  # "default", "ignore", "handler", "block"
    in_child: bool  # runs only in a child process (preexec_fn)


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


def _child_fields(t: type) -> Tuple[str, ...]:
    f = _FIELDS.get(t)
    if f is None:
        f = tuple(
            x.name for x in dataclasses.fields(t) if not x.name.startswith(_SKIP_FIELD_PREFIXES)
        )
        _FIELDS[t] = f
    return f


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


class ModuleFacts:
    def __init__(self, module: cst.Module):
        self.module = module
        self.module_scope = Scope("module", None)
        self.functions: List[FunctionInfo] = []
        self.classes: List[ClassInfo] = []
        self.calls_by_name: Dict[str, List[Tuple[cst.Call, Ctx]]] = {}
        self.name_refs: Dict[str, List[Tuple[cst.CSTNode, Ctx]]] = {}
        self.preexec_values: List[Tuple[cst.BaseExpression, Ctx]] = []
        self.thread_targets: List[Tuple[cst.Call, Ctx]] = []  # Thread(target=f, args=(...))
        self.guards: List[Tuple[Guard, Ctx]] = []
        self.imported_modules: Set[str] = set()
        self.imported_names: Set[str] = set()  # qualified names brought in by `from X import y`
        self._qcache: Dict[tuple, Optional[str]] = {}
        self._scache: Dict[tuple, Optional[SockInfo]] = {}
        self._class_of_scope: Dict[int, ClassInfo] = {}
        self._tick = 0
        self._call_tick: Dict[int, int] = {}
        self._walk()
        self.writes: List[Write] = self._find_writes()
        self.sigpipe_calls: List[SignalCall] = self._find_signal_calls()

    # -- walking ------------------------------------------------------------------------

    _REFS = frozenset({"MSG_NOSIGNAL", "SO_NOSIGPIPE", "EPIPE"})

    def _walk(self) -> None:
        root = Ctx(self.module_scope, None, (), (), None, self.module.body)
        stack: List[Tuple[cst.CSTNode, Ctx]] = [(self.module, root)]
        push = stack.append
        pop = stack.pop
        CSTNode = cst.CSTNode
        special = self._special
        REFS = self._REFS
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
                if isinstance(v, CSTNode):
                    push((v, ctx))
                elif type(v) in (list, tuple):
                    for c in reversed(v):
                        if isinstance(c, CSTNode):
                            push((c, ctx))

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
        is_static = any(
            isinstance(d.decorator, cst.Name) and d.decorator.value == "staticmethod"
            for d in node.decorators
        )
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
            if isinstance(expr, cst.Call) and call_name(expr) == "suppress":
                g = Guard(node, [("suppress", expr, a.value) for a in expr.args], ctx.scope)
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
            self._bind_target(node.target, None, ctx)
            push((node.iter, ctx))
        else:
            push((node.test, ctx))
        return True

    def _h_assign(self, node: cst.Assign, ctx: Ctx, push):
        for t in node.targets:
            self._bind_target(t.target, node.value, ctx)
        return False

    def _h_annassign(self, node: cst.AnnAssign, ctx: Ctx, push):
        if node.value is not None:
            self._bind_target(node.target, node.value, ctx)
        if isinstance(node.target, cst.Name):
            self._bind(ctx, node.target.value, Binding("annot", value=node.annotation.annotation, scope=ctx.scope))
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
            mod = "." * len(node.relative) + (mod or "")
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
        if node.attr.value in self._REFS:
            self.name_refs.setdefault(node.attr.value, []).append((node, ctx))
        push((node.value, ctx))
        return True

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
    }

    def _bind(self, ctx: Ctx, name: str, binding: Binding) -> None:
        binding.tick = self._tick
        binding.loops = ctx.loops
        scope = ctx.scope
        if name in scope.globals:
            scope = self.module_scope
        scope.bind(name, binding)

    def _bind_target(self, target, value, ctx: Ctx) -> None:
        if isinstance(target, cst.Name):
            if value is None:
                self._bind(ctx, target.value, Binding("other"))
            else:
                self._bind(ctx, target.value, Binding("value", value=value, scope=ctx.scope))
        elif isinstance(target, (cst.Tuple, cst.List)):
            for i, el in enumerate(target.elements):
                t = el.value
                if isinstance(el, cst.StarredElement):
                    self._bind_target(t, None, ctx)
                elif isinstance(t, cst.Name) and value is not None:
                    self._bind(ctx, t.value, Binding("unpack", value=value, scope=ctx.scope, index=i))
                else:
                    self._bind_target(t, None, ctx)
        elif isinstance(target, cst.Attribute) and value is not None:
            # self.x = value inside a method
            if isinstance(target.value, cst.Name):
                cls = self._self_class(target.value.value, ctx.scope)
                if cls is not None:
                    cls.attrs.setdefault(target.attr.value, []).append((value, ctx.scope))

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

    # -- exceptions ---------------------------------------------------------------------

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

    def module_mentions_ssl(self) -> bool:
        return any(m == "ssl" or m.startswith("ssl.") for m in self.imported_modules)

    def handler_attrs(self, cls: ClassInfo, _seen=None) -> Tuple[str, ...]:
        """Socket attributes a request-handler class inherits (request, connection, wfile)."""
        seen = _seen or set()
        if id(cls) in seen:
            return ()
        seen.add(id(cls))
        attrs: Set[str] = set()
        for base in cls.node.bases:
            q = self.qname(base.value, cls.outer)
            if q in NOT_HANDLER_BASES:
                continue
            if q in HANDLER_BASES:
                attrs.update(HANDLER_BASES[q])
            elif q is not None and q.startswith("<local>."):
                for other in self._local_classes(base.value, cls.outer):
                    attrs.update(self.handler_attrs(other, seen))
        return tuple(sorted(attrs))

    def _local_classes(self, expr, scope) -> List[ClassInfo]:
        if isinstance(expr, cst.Name):
            bs, _ = self.lookup(expr.value, scope)
            return [b.info for b in bs or () if b.kind == "class"]
        return []

    def _class_attr_bindings(self, cls: ClassInfo, attr: str, _seen=None):
        seen = _seen or set()
        if id(cls) in seen:
            return []
        seen.add(id(cls))
        out = list(cls.attrs.get(attr, ()))
        for base in cls.node.bases:
            for other in self._local_classes(base.value, cls.outer):
                out.extend(self._class_attr_bindings(other, attr, seen))
        return out

    def sock_info(self, expr, scope: Scope, _depth: int = 0, self_cls: Optional[ClassInfo] = None) -> Optional[SockInfo]:
        """What is known of `expr` as a socket, or None when nothing says it is one.

        `self_cls` is the class of `self` at the write being judged: `self.x` and
        `self.method()` are looked up from there, so a subclass's override counts.
        """
        if _depth > 12:
            return None
        key = (id(expr), id(scope), id(self_cls))
        if key in self._scache:
            return self._scache[key]
        self._scache[key] = None  # cycle guard
        result = self._sock_info(expr, scope, _depth, self_cls)
        self._scache[key] = result
        return result

    def _self_cls_of(self, name_expr, scope: Scope, self_cls: Optional[ClassInfo]) -> Optional[ClassInfo]:
        if not isinstance(name_expr, cst.Name):
            return None
        cls = self._self_class(name_expr.value, scope)
        if cls is None:
            return None
        if self_cls is not None and (self_cls is cls or cls in self._local_bases(self_cls)):
            return self_cls
        return cls

    def _sock_info(self, expr, scope: Scope, depth: int, self_cls) -> Optional[SockInfo]:
        if isinstance(expr, cst.Call):
            return self._sock_of_call(expr, scope, depth, self_cls)
        if isinstance(expr, cst.Name):
            bindings, bscope = self.lookup(expr.value, scope)
            if not bindings:
                return None
            return _merge(self._sock_of_binding(b, depth, self_cls) for b in bindings)
        if isinstance(expr, cst.Attribute):
            if isinstance(expr.value, cst.Name):
                cls = self._self_cls_of(expr.value, scope, self_cls)
                if cls is not None:
                    attr = expr.attr.value
                    infos = [
                        self.sock_info(v, s, depth + 1, cls)
                        for v, s in self._class_attr_bindings(cls, attr)
                    ]
                    if attr in self.handler_attrs(cls):
                        tls = self.module_mentions_ssl()
                        kind = "file" if attr == "wfile" else "socket"
                        infos.append(SockInfo(kind, tls=tls, origin=f"self.{attr} of a request handler", handler=True))
                    return _merge(infos)
            return None
        if isinstance(expr, cst.Tuple) and expr.elements:
            # return conn, size: a tuple whose first item is a socket, like accept()'s
            first = self.sock_info(expr.elements[0].value, scope, depth + 1, self_cls)
            if first is not None and first.kind == "socket":
                return dataclasses.replace(first, kind="pair", pair_both=False)
            return None
        if isinstance(expr, cst.Subscript):
            inner = self.sock_info(expr.value, scope, depth + 1, self_cls)
            idx = _subscript_index(expr)
            if inner is not None and inner.kind == "pair" and idx is not None:
                if idx == 0 or (inner.pair_both and idx == 1):
                    return dataclasses.replace(inner, kind="socket", pair_both=False)
            return None
        return None

    def _sock_of_binding(self, b: Binding, depth: int, self_cls) -> Optional[SockInfo]:
        if b.kind == "value":
            return self.sock_info(b.value, b.scope, depth + 1, self_cls)
        if b.kind == "unpack":
            inner = self.sock_info(b.value, b.scope, depth + 1, self_cls)
            if inner is not None and inner.kind == "pair":
                if b.index == 0 or (inner.pair_both and b.index == 1):
                    return dataclasses.replace(inner, kind="socket", pair_both=False)
            return None
        if b.kind in ("param", "annot") and b.value is not None:
            return self._sock_of_annotation(b.value, b.scope)
        if b.kind == "param" and b.info is not None:
            return self._sock_of_param(b, depth)
        return None

    def _sock_of_param(self, b: Binding, depth: int) -> Optional[SockInfo]:
        """An unannotated parameter is a socket when every call in this module passes one."""
        func: FunctionInfo = b.info
        if func.name == "<lambda>" or not isinstance(func.node, cst.FunctionDef):
            return None
        sites = self.call_sites(func)
        passed = self._thread_target_args(func, b.index)
        if not sites and not passed:
            return None
        params = [p.name.value for p in list(func.node.params.posonly_params) + list(func.node.params.params)]
        if func.cls is not None and params:
            params = params[1:]
        name = params[b.index] if b.index is not None and b.index < len(params) else None
        infos = []
        for call, ctx in sites:
            arg = arg_at(call, b.index, name) if name is not None else None
            info = self.sock_info(arg, ctx.scope, depth + 1, _method_class(ctx)) if arg is not None else None
            if info is None:
                return None
            infos.append(info)
        for arg, ctx in passed:
            info = self.sock_info(arg, ctx.scope, depth + 1, _method_class(ctx)) if arg is not None else None
            if info is None:
                return None
            infos.append(info)
        return _merge(infos)

    def _thread_target_args(self, func: FunctionInfo, index: Optional[int]):
        """(argument, ctx) for `Thread(target=func, args=(...))` calls naming `func`."""
        out = []
        for call, ctx in self.thread_targets:
            target = keyword_arg(call, "target")
            if not isinstance(target, cst.Name):
                continue
            bs, _ = self.lookup(target.value, ctx.scope)
            if not bs or not any(b.kind == "def" and b.info is func for b in bs):
                continue
            args = keyword_arg(call, "args")
            arg = None
            if isinstance(args, (cst.Tuple, cst.List)) and index is not None and index < len(args.elements):
                arg = args.elements[index].value
            out.append((arg, ctx))
        return out

    def _sock_of_annotation(self, ann, scope) -> Optional[SockInfo]:
        if isinstance(ann, cst.SimpleString):
            text = _literal_string(ann)
            if text is None:
                return None
            try:
                ann = cst.parse_expression(text)
            except Exception:  # noqa: BLE001 - an unparsable string annotation says nothing
                return None
        exprs = [ann]
        if isinstance(ann, cst.Subscript):  # Optional[socket.socket], Union[...]
            exprs = [el.slice.value for el in ann.slice if isinstance(el.slice, cst.Index)]
        elif isinstance(ann, cst.BinaryOperation):  # socket.socket | None
            exprs = [ann.left, ann.right]
        for e in exprs:
            q = self.qname(e, scope)
            if q in SOCKET_TYPES:
                tls = SOCKET_TYPES[q] or self.module_mentions_ssl()
                return SockInfo("socket", tls=tls, origin=f"annotated {q}")
        return None

    def _sock_of_call(self, call: cst.Call, scope: Scope, depth: int, self_cls) -> Optional[SockInfo]:
        func = call.func
        q = self.qname(func, scope)
        if q in SOCKET_CONSTRUCTORS:
            what = SOCKET_CONSTRUCTORS[q]
            dgram = False
            stream = what != "stream?"
            family_index = {"socket.socket": 0, "socket.fromfd": 1}.get(q)
            family = arg_at(call, family_index, "family") if family_index is not None else None
            if family is not None and self.mentions(family, scope, PEERLESS_FAMILIES):
                # Kernel interfaces (crypto, netlink, raw packets) and datagram families
                # have no peer to die: never a finding.
                return SockInfo("socket", dgram=True, origin=q + "()")
            type_index = {"socket.socket": 1, "socket.fromfd": 2}.get(q)
            if type_index is not None:
                t = arg_at(call, type_index, "type")
                if t is None:
                    stream = q == "socket.socket"  # socket.socket() defaults to SOCK_STREAM
                else:
                    dgram = self.mentions(t, scope, ("socket.SOCK_DGRAM", "socket.SOCK_RAW"))
                    stream = self.mentions(t, scope, ("socket.SOCK_STREAM",))
            return SockInfo("socket", tls=(what == "tls"), dgram=dgram, origin=q + "()", stream=stream)
        if q in SOCKET_PAIR_CONSTRUCTORS:
            return SockInfo("pair", origin=q + "()", pair_both=True, stream=True)
        if isinstance(func, cst.Attribute):
            attr = func.attr.value
            if attr == "wrap_socket":
                return SockInfo("socket", tls=True, origin="wrap_socket()", stream=True)
            if self._self_class_name(func.value, scope):
                return self._sock_of_method_call(func, scope, depth, self_cls)
            recv = self.sock_info(func.value, scope, depth + 1, self_cls)
            if recv is not None and recv.kind == "socket":
                if attr == "accept":
                    return dataclasses.replace(recv, kind="pair", origin="accept()", stream=not recv.dgram)
                if attr == "dup":
                    return recv
                if attr == "makefile":
                    mode = _literal_string(arg_at(call, 0, "mode"))
                    if mode is None and arg_at(call, 0, "mode") is None:
                        mode = "r"
                    if mode is not None and not any(c in mode for c in "wa+"):
                        return None  # a read-only file cannot be written to
                    return dataclasses.replace(recv, kind="file", origin="makefile()")
                if attr == "fileno":
                    return dataclasses.replace(recv, kind="fd", origin="fileno()")
            return None
        if isinstance(func, cst.Name):
            # A helper of this module that returns a socket.
            bindings, _ = self.lookup(func.value, scope)
            infos = []
            for b in bindings or ():
                if b.kind == "def" and b.info.cls is None:
                    infos.extend(self.sock_info(v, s, depth + 1, self_cls) for v, s in b.info.returns)
            return _merge(infos)
        return None

    def _sock_of_method_call(self, func: cst.Attribute, scope: Scope, depth: int, self_cls) -> Optional[SockInfo]:
        """`self.connect_helper()` where that method (as `self`'s class resolves it) returns a socket."""
        cls = self._self_cls_of(func.value, scope, self_cls)
        if cls is None:
            return None
        infos = []
        for c in [cls] + self._local_bases(cls):
            m = c.methods.get(func.attr.value)
            if m is not None:
                infos.extend(self.sock_info(v, s, depth + 1, cls) for v, s in m.returns)
                break
        else:
            # self._connect = socket.create_connection; ...; self._connect(address)
            for v, s in self._class_attr_bindings(cls, func.attr.value):
                q = self.qname(v, s)
                if q in SOCKET_CONSTRUCTORS:
                    what = SOCKET_CONSTRUCTORS[q]
                    infos.append(SockInfo("socket", tls=what == "tls", origin=q + "()", stream=what != "stream?"))
        return _merge(infos)

    # -- writes and signals -------------------------------------------------------------

    def _find_writes(self) -> List[Write]:
        out: List[Write] = []
        for method in SEND_METHODS | FILE_WRITE_METHODS:
            for call, ctx in self.calls_by_name.get(method, ()):
                func = call.func
                if not isinstance(func, cst.Attribute):
                    continue
                info = self._receiver_info(func.value, call, ctx)
                if info is None or info.dgram:
                    continue
                if not info.stream and (
                    method == "sendto" or (method == "sendmsg" and len(positional_args(call)) >= 4)
                ):
                    continue  # a destination address is the datagram idiom: report only known streams
                if method in SEND_METHODS and info.kind != "socket":
                    continue
                if method in FILE_WRITE_METHODS and info.kind != "file":
                    if not (method == "write" and info.kind == "socket" and info.tls):
                        continue  # SSLSocket.write() is a write; a plain socket has none
                label = f"{dotted(func.value) or '<socket>'}.{method}()"
                out.append(Write(call, ctx, method, info, label))
        for call, ctx in self.calls_by_name.get("write", ()):
            if self.qname(call.func, ctx.scope) != "os.write":
                continue
            pos = positional_args(call)
            if not pos:
                continue
            info = self.sock_info(pos[0], ctx.scope)
            if info is not None and info.kind == "fd" and not info.dgram:
                out.append(Write(call, ctx, "os.write", info, "os.write()", target=pos[0]))
        # Library functions that write into a file they are given: a socket file there is
        # a socket write (http.server's copyfile(source, self.wfile) is the classic one).
        for qualified, (index, keyword) in WRITING_FUNCTIONS.items():
            for call, ctx in self.calls_by_name.get(qualified.rsplit(".", 1)[1], ()):
                if self.qname(call.func, ctx.scope) != qualified:
                    continue
                arg = arg_at(call, index, keyword) if index >= 0 else keyword_arg(call, keyword)
                if arg is None:
                    continue
                info = self.sock_info(arg, ctx.scope, self_cls=_method_class(ctx))
                if info is not None and info.kind == "file" and not info.dgram:
                    short = qualified.replace("builtins.", "")
                    label = f"{short}() into {dotted(arg) or 'a socket file'}"
                    out.append(Write(call, ctx, qualified, info, label, target=arg))
        return out

    def _receiver_info(self, expr, call: cst.Call, ctx: Ctx) -> Optional[SockInfo]:
        """sock_info of a write's receiver, counting only the bindings that can reach it.

        In a function, a local name bound several times is judged by the bindings that can
        reach the write: those before it, and those inside a loop that also holds the write
        (the next iteration sees them). `c = Client(addr); c.send(m)` followed later by
        `c = socket.socket()` is not a socket write.
        """
        self_cls = _method_class(ctx)
        if isinstance(expr, cst.Name) and ctx.scope.kind == "function":
            bindings, bscope = self.lookup(expr.value, ctx.scope)
            if bindings and bscope is ctx.scope and len(bindings) > 1:
                tick = self._call_tick.get(id(call), 0)
                around = {id(loop) for loop in ctx.loops}
                before = [b for b in bindings if b.tick < tick or any(id(lp) in around for lp in b.loops)]
                if before and len(before) < len(bindings):
                    return _merge(self._sock_of_binding(b, 0, self_cls) for b in before)
        return self.sock_info(expr, ctx.scope, self_cls=self_cls)

    def _find_signal_calls(self) -> List[SignalCall]:
        out: List[SignalCall] = []
        child_funcs = self._child_only_functions()
        for call, ctx in self.calls_by_name.get("signal", ()):
            if self.qname(call.func, ctx.scope) != "signal.signal":
                continue
            signum = arg_at(call, 0, "signalnum")
            handler = arg_at(call, 1, "handler")
            if signum is None or handler is None:
                continue
            if self.qname(signum, ctx.scope) != "signal.SIGPIPE":
                continue
            hq = self.qname(handler, ctx.scope)
            if hq == "signal.SIG_DFL":
                disp = "default"
            elif hq == "signal.SIG_IGN":
                disp = "ignore"
            else:
                disp = "handler"
            in_child = ctx.func is not None and id(ctx.func) in child_funcs
            out.append(SignalCall(call, ctx, disp, in_child))
        for call, ctx in self.calls_by_name.get("pthread_sigmask", ()):
            if self.qname(call.func, ctx.scope) != "signal.pthread_sigmask":
                continue
            how = arg_at(call, 0, "how")
            mask = arg_at(call, 1, "mask")
            if how is None or mask is None:
                continue
            if self.qname(how, ctx.scope) == "signal.SIG_BLOCK" and self.mentions(
                mask, ctx.scope, ("signal.SIGPIPE",)
            ):
                out.append(SignalCall(call, ctx, "block", False))
        return out

    def _child_only_functions(self) -> Set[int]:
        """Functions passed as `preexec_fn`: they run in the child process only."""
        out: Set[int] = set()
        for value, ctx in self.preexec_values:
            if isinstance(value, cst.Lambda):
                for f in self.functions:
                    if f.node is value:
                        out.add(id(f))
            elif isinstance(value, cst.Name):
                bs, _ = self.lookup(value.value, ctx.scope)
                for b in bs or ():
                    if b.kind == "def":
                        out.add(id(b.info))
        # A function only ever called from such functions runs there too.
        changed = True
        while changed:
            changed = False
            for f in self.functions:
                if id(f) in out or f.node is None or isinstance(f.node, cst.Lambda):
                    continue
                sites = self.call_sites(f)
                if sites and all(c.func is not None and id(c.func) in out for _, c in sites):
                    out.add(id(f))
                    changed = True
        return out

    # -- protection ---------------------------------------------------------------------

    @property
    def has_sigpipe_policy(self) -> bool:
        return any(s.disposition in ("ignore", "handler", "block") for s in self.sigpipe_calls)

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

    # -- the call graph inside the module --------------------------------------------------

    def call_sites(self, func: FunctionInfo) -> List[Tuple[cst.Call, Ctx]]:
        """Calls of `func` made in this module: `f(...)` and, for methods, `self.f(...)`."""
        out = []
        for call, ctx in self.calls_by_name.get(func.name, ()):
            f = call.func
            if func.cls is None and isinstance(f, cst.Name):
                bs, _ = self.lookup(f.value, ctx.scope)
                if bs and any(b.kind == "def" and b.info is func for b in bs):
                    out.append((call, ctx))
            elif func.cls is not None and isinstance(f, cst.Attribute) and isinstance(f.value, cst.Name):
                cls = self._self_class(f.value.value, ctx.scope)
                if cls is not None and (cls is func.cls or func.cls in self._local_bases(cls)):
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
        return out

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


def _merge(infos) -> Optional[SockInfo]:
    found = [i for i in infos if i is not None]
    if not found:
        return None
    kinds = {i.kind for i in found}
    kind = found[0].kind if len(kinds) == 1 else sorted(kinds)[0]
    same = [i for i in found if i.kind == kind]
    return SockInfo(
        kind,
        tls=any(i.tls for i in found),
        dgram=all(i.dgram for i in same),
        origin=same[0].origin,
        pair_both=all(i.pair_both for i in same),
        stream=all(i.stream for i in same),
        handler=any(i.handler for i in found),
    )


def _method_class(ctx: Ctx) -> Optional[ClassInfo]:
    return ctx.func.cls if ctx.func is not None else None


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

