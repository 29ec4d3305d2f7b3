"""Module facts, layer 2: which values are sockets, and which calls write to one.

`sock_info(expr, scope)` says whether an expression is a socket, a socket file or a socket
descriptor, and whether it may be TLS or datagram: through constructors, `accept()`,
`makefile()`, helpers and methods returning one, `self.x` attributes (with the class of
`self` at the write), request-handler attributes, annotations, and parameters every call
fills with a socket. `writes` lists every socket write with its context.
"""

from __future__ import annotations

import dataclasses
from typing import Dict, List, Optional, Set, Tuple

import libcst as cst

from sigpipe_lint.facts.names import (
    Binding,
    ClassInfo,
    Ctx,
    FunctionInfo,
    Scope,
    _literal_string,
    _subscript_index,
    arg_at,
    call_name,
    child_nodes,
    dotted,
    filled_params,
    keyword_arg,
    method_kind,
    positional_args,
)
from sigpipe_lint.facts.streams import STREAM_WRITER_TYPES

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
# Hosts naming this machine in a connect() address (a loopback wake-up pair connects there).
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
PEERLESS_FAMILIES = tuple(
    "socket." + prefix + f
    for f in ("ALG", "RDS", "CAN", "NETLINK", "PACKET", "QIPCRTR")
    for prefix in ("AF_", "PF_")
)

# selectors' selectors: `sel.select()` yields (key, events), `key.fileobj` and `key.data`
# being what `sel.register(fileobj, events, data)` was given.
SELECTOR_TYPES = frozenset(
    "selectors." + n
    for n in ("DefaultSelector", "SelectSelector", "PollSelector", "EpollSelector", "KqueueSelector", "DevpollSelector")
)
# select.select(rlist, wlist, xlist): the lists it returns hold items of the lists it was given.
_SELECT_LISTS = ("rlist", "wlist", "xlist")

# Annotations that say "this parameter is a socket".
SOCKET_TYPES = {"socket.socket": False, "ssl.SSLSocket": True}

# Calls that run what they are given expecting it to raise (tests).
_EXPECTS_RAISE = frozenset({"assertRaises", "assertRaisesRegex", "assertRaisesRegexp", "raises"})

# Container methods that store an item: name -> (index of the item, index of its key).
_STORES = {
    "append": (0, None),
    "appendleft": (0, None),
    "add": (0, None),
    "insert": (1, None),
    "put": (0, None),
    "put_nowait": (0, None),
    "setdefault": (1, 0),
}
# Container methods that return one of the items.
_TAKES = frozenset({"pop", "popleft", "get", "get_nowait", "setdefault"})
# Calls whose iteration yields what iterating their argument yields.
_ITERATING = frozenset(
    "builtins." + n for n in ("list", "tuple", "set", "frozenset", "sorted", "reversed", "iter")
)
_DICT_TYPES = frozenset(
    {"builtins.dict", "collections.OrderedDict", "collections.defaultdict", "weakref.WeakValueDictionary",
     "weakref.WeakKeyDictionary"}
)

# Subscripted annotations whose arguments say what the value may be.
_WRAPPING_TYPES = frozenset(
    f"{mod}.{name}" for mod in ("typing", "typing_extensions") for name in ("Optional", "Union", "Final")
)

# Request handler base classes whose attributes are sockets and socket files.
HANDLER_BASES = {
    "socketserver.BaseRequestHandler": ("request",),
    "socketserver.StreamRequestHandler": ("request", "connection", "wfile"),
    "http.server.BaseHTTPRequestHandler": ("request", "connection", "wfile"),
    "http.server.SimpleHTTPRequestHandler": ("request", "connection", "wfile"),
    "http.server.CGIHTTPRequestHandler": ("request", "connection", "wfile"),
    "xmlrpc.server.SimpleXMLRPCRequestHandler": ("request", "connection", "wfile"),
    "wsgiref.simple_server.WSGIRequestHandler": ("request", "connection", "wfile"),
    # Python 2 spellings, still imported under `try/except ImportError` by code that runs on 3
    "SocketServer.BaseRequestHandler": ("request",),
    "SocketServer.StreamRequestHandler": ("request", "connection", "wfile"),
    "BaseHTTPServer.BaseHTTPRequestHandler": ("request", "connection", "wfile"),
    "SimpleHTTPServer.SimpleHTTPRequestHandler": ("request", "connection", "wfile"),
    "SimpleXMLRPCServer.SimpleXMLRPCRequestHandler": ("request", "connection", "wfile"),
}
NOT_HANDLER_BASES = {"socketserver.DatagramRequestHandler"}
# Every handler base whose server catches what the handler raises and serves on
# (semantics.md 14), a datagram handler's included.
SERVED_HANDLER_BASES = frozenset(HANDLER_BASES) | frozenset(NOT_HANDLER_BASES)

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
# Methods a request-handler class inherits that write into a file argument, by the classes
# that define them: SimpleHTTPRequestHandler.copyfile(source, outputfile) is
# shutil.copyfileobj into outputfile (`self.copyfile(f, self.wfile)` in an upload handler).
HANDLER_WRITING_METHODS = {
    # (code that runs on 3 and imports the Python 2 name under try/except ImportError has
    # the http.server meaning too: every meaning of a base is asked)
    "copyfile": ((1, "outputfile"), frozenset({"http.server.SimpleHTTPRequestHandler", "http.server.CGIHTTPRequestHandler"})),
}


@dataclasses.dataclass(frozen=True)
class SockInfo:
    """What is known of a socket-like value."""

    kind: str  # "socket", "file" (makefile/wfile), "pair" (accept()/socketpair()), "fd",
    # "stream" (an asyncio StreamWriter), "streams" (open_connection()'s (reader, writer)),
    # "selkey" (a selectors key: `items` are what its fileobj and its data are)
    tls: bool = False  # may be an ssl.SSLSocket
    dgram: bool = False  # known to be SOCK_DGRAM/SOCK_RAW: no EPIPE
    origin: str = ""  # how we know, for messages
    pair_both: bool = False  # for "pair": both items are sockets (socketpair)
    stream: bool = False  # known to be SOCK_STREAM (not merely "not known to be datagram")
    handler: bool = False  # a request handler's connection: the server closes it
    local: bool = False  # one end of a loopback pair this module connects to itself
    items: tuple = ()  # "selkey": (SockInfo or None of key.fileobj, of key.data)

    @property
    def peerless(self) -> bool:
        """No remote peer that can die: a datagram socket, or a hand-made wake-up pair."""
        return self.dgram or self.local


@dataclasses.dataclass
class Write:
    """One socket write."""

    call: cst.Call
    ctx: Ctx
    method: str  # send, sendall, ..., write, os.write
    receiver: SockInfo
    label: str  # e.g. "sock.sendall()"
    target: Optional[cst.BaseExpression] = None  # what is written to, when not `call.func.value`
    # What a dead peer makes it raise, when not (BrokenPipeError, ConnectionResetError):
    # loop.sendfile() raises ConnectionError('Connection closed by peer') and RuntimeError.
    raises: Tuple[str, ...] = ("BrokenPipeError", "ConnectionResetError")
    # How the write is reached when the call is not `receiver.method(...)`: "unbound"
    # (socket.socket.sendall(s, data)), "alias" (send = s.sendall; send(data)), "passed"
    # (retry(s.sendall, data): reported at the call that receives the bound method),
    # "partial" (functools.partial(s.send, ...) never called in the module: reported there).
    via: str = ""


class SocketFacts:
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
            attrs.update(self._class_handler_attrs(base.value, cls.outer, seen))
        return tuple(sorted(attrs))

    def _class_handler_attrs(self, expr, scope: Scope, seen: Set[int]) -> Set[str]:
        """The socket attributes of instances of the class `expr` names (a base in a class
        statement, an annotation): a handler base of the stdlib, a class of this module,
        or (program view) one elsewhere. Every meaning the name can have counts: a class
        imported under `try/except ImportError` or `if PY3:` is either of two classes."""
        attrs: Set[str] = set()
        for q in self.qnames(expr, scope):
            if q in NOT_HANDLER_BASES:
                continue
            if q in HANDLER_BASES:
                attrs.update(HANDLER_BASES[q])
            elif q.startswith("<local>."):
                for other in self._local_classes(expr, scope):
                    attrs.update(self.handler_attrs(other, seen))
            elif self.program is not None:
                found = self.program.class_summary(q, self.search_paths)
                if found is not None:
                    attrs.update(found[0].handler_attrs)
        return attrs

    def _handler_param_attrs(self, name: cst.Name, scope: Scope, depth: int) -> Tuple[str, ...]:
        """The socket attributes of the request handler a parameter is: one annotated with a
        handler class (`handler: http.server.BaseHTTPRequestHandler`), or one that every
        call of its function in this module fills with a handler method's `self`
        (`send_upload_page(self)` in `do_GET`). () for anything else."""
        bs, _ = self.lookup(name.value, scope)
        if not bs or len(bs) != 1 or bs[0].kind != "param":
            return ()
        b = bs[0]
        if b.value is not None:  # annotated
            return tuple(self._class_handler_attrs(b.value, b.scope, set()))
        if b.info is None or depth > 10:
            return ()
        _, passed = self._param_arguments(b)
        common = None
        for arg, ctx in passed:
            if not isinstance(arg, cst.Name):
                return ()
            abs_, _ = self.lookup(arg.value, ctx.scope)
            if not abs_ or len(abs_) != 1 or abs_[0].kind != "self":
                return ()
            attrs = set(self.handler_attrs(abs_[0].info))
            common = attrs if common is None else common & attrs
        return tuple(common or ())

    # -- what other modules ask (summaries) ---------------------------------------------

    def function_returns_sock(self, func: FunctionInfo) -> Optional[SockInfo]:
        return _merge(self.sock_info(v, s, 0, func.cls) for v, s in func.returns)

    def class_attr_sock(self, cls: ClassInfo, attr: str, depth: int = 0, subclasses: bool = True) -> Optional[SockInfo]:
        """What `self.<attr>` is in methods of `cls`: its bindings and annotations here, a
        request handler's attributes, then (program view) bases elsewhere, and last what
        its subclasses make it (`subclasses`), which holds only in `cls`'s own methods: a
        summary leaves it out, or every other subclass would inherit a sibling's socket
        (pexpect's `fdspawn` would take `SocketSpawn`'s `child_fd` through `SpawnBase`)."""
        infos = [self.sock_info(v, s, depth + 1, cls) for v, s in self._class_attr_bindings(cls, attr)]
        # `handler.socket = client_socket` on an instance of cls made in this module
        for target, v, ctx in self.outside_attr_stores.get(attr, ()):
            if self.instance_class(target.value, ctx.scope, _method_class(ctx)) is cls:
                infos.append(self.sock_info(v, ctx.scope, depth + 1, _method_class(ctx)))
        # An annotation says what type the attribute has, not where it is connected: when
        # every socket bound to it is one end of a loopback pair, `sock: socket.socket`
        # beside them does not make it a connection to a remote peer.
        local = any(infos) and all(i.local for i in infos if i is not None)
        infos.extend(self._sock_of_annotation(a, s) for a, s in self._class_attr_bindings(cls, attr, field="annots"))
        if attr in self.handler_attrs(cls):
            tls = self.module_mentions_ssl()
            kind = "file" if attr == "wfile" else "socket"
            infos.append(SockInfo(kind, tls=tls, origin=f"self.{attr} of a request handler", handler=True))
            local = False
        found = _merge(infos)
        if found is not None and local and not found.local:
            found = dataclasses.replace(found, local=True)
        if found is None and subclasses:
            found = self._attr_of_subclasses(cls, attr, depth)
        if found is None and self.program is not None:
            # `self.<attr> = self._create_socket()` in a base elsewhere: this class's own
            # `_create_socket` says what it is here, before what the base's would make
            found = self._attr_from_own_method(cls, attr, depth)
            if found is None:
                found = _merge(self._remote_bases_ask(cls, lambda cs: cs.attrs.get(attr)))
            if found is None and subclasses:
                found = self._attr_of_remote_subclasses(cls, attr)
        return found

    def _attr_of_remote_subclasses(self, cls: ClassInfo, attr: str) -> Optional[SockInfo]:
        """`self.<attr>` in a method of a class that never binds it, while its subclasses in
        other modules of the program do, or are request handlers that have it: a mixin
        (`class Handler(BaseHTTPRequestHandler, RelayMixin)`, whose `connect_relay` writes
        to `self.connection`). A handler elsewhere may be served over TLS: the server that
        would say is not read, so `tls` is assumed."""
        if self.modname is None or cls.outer is not self.module_scope:
            return None
        if not all(_placeholder(v) for v, _ in self._class_attr_bindings(cls, attr)):
            return None  # bound here to something real (a parameter, a call): that is what it is
        infos = []
        for cs in self.program.subclasses(f"{self.modname}.{cls.name}", self.path):
            if attr in cs.handler_attrs:
                kind = "file" if attr == "wfile" else "socket"
                infos.append(SockInfo(kind, tls=True, origin=f"self.{attr} of request handler {cs.qname.rsplit('.', 1)[-1]}", handler=True))
            elif attr in cs.attrs:
                infos.append(cs.attrs[attr])
        return _merge(infos)

    def _attr_of_subclasses(self, cls: ClassInfo, attr: str, depth: int) -> Optional[SockInfo]:
        """`self.<attr>` in a method of a base class that never binds it to a socket itself,
        while a subclass in this module does (`StreamClientBase._do_send` writes
        `self._sock`, which `TCPStatsClient.connect` makes): when `self` is that subclass,
        the base's method writes to its socket."""
        below = self.__dict__.get("_subclasses")
        if below is None:  # id(class) -> the classes of this module below it
            below = self._subclasses = {}
            for sub in self.classes:
                for base in self._local_bases(sub):
                    below.setdefault(id(base), []).append(sub)
        infos = []
        for sub in below.get(id(cls), ()):
            infos.extend(self.sock_info(v, s, depth + 1, sub) for v, s in sub.attrs.get(attr, ()))
        return _merge(infos)

    def attr_self_calls(self, cls: ClassInfo, attr: str) -> Tuple[str, ...]:
        """The methods M of `self.<attr> = self.M(...)` (awaited or not) in `cls`: in a
        subclass elsewhere, `self.M` may be the subclass's own M (a summary keeps these)."""
        out = []
        for v, s in self._class_attr_bindings(cls, attr):
            e = v.expression if isinstance(v, cst.Await) else v
            if isinstance(e, cst.Call) and isinstance(e.func, cst.Attribute) and self._self_class_name(e.func.value, s):
                out.append(e.func.attr.value)
        return tuple(dict.fromkeys(out))

    def _attr_from_own_method(self, cls: ClassInfo, attr: str, depth: int) -> Optional[SockInfo]:
        """`self._socket = self._create_socket()` in a base class of another module, and
        `_create_socket` defined in `cls` (or a base of it in this module): what it returns
        here is what `self._socket` is in `cls`'s methods. The base's module is read as for
        any socket question about it: one that imports nothing of sockets is not (reading
        every base module for this cost hazelcast's cold run a quarter more)."""
        asked = self._remote_bases_ask(cls, lambda cs: cs.attr_self_calls.get(attr))
        infos = []
        for name in dict.fromkeys(n for found in asked for n in found):
            for c in [cls] + self._local_bases(cls):
                m = c.methods.get(name)
                if m is not None:
                    infos.extend(self.sock_info(v, s, depth + 1, cls) for v, s in m.returns)
                    break
        return _merge(infos)

    def is_request_handler(self, cls: ClassInfo) -> bool:
        """A socketserver/http.server request handler class (a datagram one too): its server
        runs its methods for each request and survives what they raise."""
        return bool(self.handler_attrs(cls)) or self._inherits(cls, SERVED_HANDLER_BASES)

    def _inherits(self, cls: ClassInfo, qnames: frozenset) -> bool:
        """Whether `cls` has one of `qnames` among its bases, here or (program view) in the
        chain of a base class elsewhere."""
        for c in [cls] + self._local_bases(cls):
            for base in c.node.bases:
                for q in self.qnames(base.value, c.outer):
                    if q in qnames:
                        return True
                    if self.program is not None and not q.startswith(("<local>.", "builtins.")):
                        if any(b in qnames for cs in self._class_chain(q, self.search_paths) for b in cs.bases):
                            return True
        return False

    def class_is_socket(self, cls: ClassInfo, _seen=None) -> Optional[SockInfo]:
        """A class that subclasses `socket.socket` (or `ssl.SSLSocket`): its instances are sockets."""
        seen = _seen or set()
        if id(cls) in seen:
            return None
        seen.add(id(cls))
        for base in cls.node.bases:
            q = self.qname(base.value, cls.outer)
            if q in SOCKET_TYPES:
                return SockInfo("socket", tls=SOCKET_TYPES[q], origin=f"a subclass of {q}")
            if q in STREAM_WRITER_TYPES:  # a StreamWriter subclass: its drain() raises
                return SockInfo("stream", origin=f"a subclass of {q}", stream=True)
            for other in self._local_classes(base.value, cls.outer):
                found = self.class_is_socket(other, seen)
                if found is not None:
                    return found
        if self.program is not None:
            return _merge(self._remote_bases_ask(cls, lambda cs: cs.is_socket))
        return None

    def class_delegate(self, cls: ClassInfo) -> Optional[Tuple[int, str]]:
        """A proxy class: its `__getattr__` is `return getattr(self.X, name)` and its
        `__init__` sets `self.X` from a parameter P. (P's position after self, P's name):
        what a construction passes there is what the instance writes to (a wrapper that
        adds bookkeeping around a socket and forwards `sendall` and the rest)."""
        forward, init = cls.methods.get("__getattr__"), cls.methods.get("__init__")
        if forward is None or init is None or not isinstance(forward.node.body, cst.IndentedBlock):
            return None
        body = [s for s in forward.node.body.body if not _is_docstring(s)]
        if len(body) != 1 or not isinstance(body[0], cst.SimpleStatementLine) or len(body[0].body) != 1:
            return None
        ret = body[0].body[0]
        call = ret.value if isinstance(ret, cst.Return) else None
        wanted = filled_params(forward)
        if not (
            isinstance(call, cst.Call)
            and len(call.args) == 2
            and self.qname(call.func, forward.scope) == "builtins.getattr"
            and isinstance(call.args[1].value, cst.Name)
            and wanted[:1] == [call.args[1].value.value]
            and isinstance(call.args[0].value, cst.Attribute)
            and self._self_class_name(call.args[0].value.value, forward.scope)
        ):
            return None
        params = filled_params(init)
        held = call.args[0].value.attr.value
        for value, _scope in self._class_attr_bindings(cls, held):
            if isinstance(value, cst.Name) and value.value in params:
                bs, _ = self.lookup(value.value, init.scope)
                if bs and all(b.kind == "param" for b in bs):
                    return params.index(value.value), value.value
        return None

    def _delegated_sock(self, call: cst.Call, delegate, scope: Scope, depth: int, self_cls) -> Optional[SockInfo]:
        """What a proxy made by `call` writes to: the argument its `__init__` keeps (see
        `class_delegate`)."""
        if delegate is None:
            return None
        arg = arg_at(call, delegate[0], delegate[1])
        return None if arg is None else self.sock_info(arg, scope, depth + 1, self_cls)

    def _remote_proxy_sock(self, call: cst.Call, q: str, scope: Scope, depth: int, self_cls) -> Optional[SockInfo]:
        """`Proxy(sock)` of a class elsewhere that forwards to what it is given: asked only
        when an argument is a socket (the class's module is then parsed whatever it imports)."""
        if not any(a.keyword is None and not a.star and self.sock_info(a.value, scope, depth + 1, self_cls) for a in call.args):
            return None
        found = self.program.class_summary(q, self.search_paths, "cls")
        return None if found is None else self._delegated_sock(call, found[0].delegates, scope, depth, self_cls)

    def _remote_bases_ask(self, cls: ClassInfo, question) -> List[SockInfo]:
        """`question(ClassSummary)` over the bases of `cls` (and of its local bases) that live
        in other modules, following their own bases there."""
        out = []
        for c in [cls] + self._local_bases(cls):
            for base in c.node.bases:
                q = self.qname(base.value, c.outer)
                if q is None or q.startswith("<local>.") or q in HANDLER_BASES:
                    continue
                for cs in self._class_chain(q, self.search_paths, ("builtins.", "socketserver.", "http.server.")):
                    answer = question(cs)
                    if answer is not None:
                        out.append(answer)
                        break
        return out

    def _class_chain(self, qname: str, paths, stop=("builtins.",)):
        """The summaries of class `qname` (another module's) and of its first bases there,
        nearest first; at most 8, so that bases naming each other across modules end."""
        found = self.program.class_summary(qname, paths)
        for _ in range(8):
            if found is None:
                return
            cs, summary = found
            yield cs
            nxt = next((b for b in cs.bases if b and not b.startswith(stop)), None)
            found = self.program.class_summary(nxt, _paths_of(summary)) if nxt else None

    def _bound_values(self, expr, scope: Scope, self_cls=None):
        """What a name or `self.x` was bound to, as (value, scope) pairs: [] for another
        expression, None when a binding is not a plain value (a parameter, an import...)."""
        if isinstance(expr, cst.Name):
            bs, _ = self.lookup(expr.value, scope)
            if not bs or any(b.kind != "value" for b in bs):
                return None
            return [(b.value, b.scope) for b in bs]
        if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name):
            cls = self._self_cls_of(expr.value, scope, self_cls)
            return None if cls is None else self._class_attr_bindings(cls, expr.attr.value)
        return []

    def instance_class(self, expr, scope: Scope, self_cls=None):
        """The class `expr` is an instance of, when it was bound to `Cls(...)`: a ClassInfo
        of this module, or (program view) the qualified name of a class elsewhere."""
        values = self._bound_values(expr, scope, self_cls)
        if not values:
            return None
        found = set()
        out = None
        for v, s in values:
            if not isinstance(v, cst.Call):
                return None
            local = self._local_classes(v.func, s)
            if local:
                out = local[0]
                found.add(id(out))
                continue
            q = self.qname(v.func, s)
            if q is None or q.startswith(("builtins.", "<local>.")):
                return None
            out = q
            found.add(q)
        return out if len(found) == 1 else None

    def receiver_classes(self, expr, scope: Scope, self_cls=None, depth: int = 0):
        """The classes a method call's receiver is an instance of, or None when unknown.

        A tuple of (qualified name, exact): exact when the receiver was made by calling the
        class (`Cls(...)`, a name or `self.x` bound only to such calls, or to None); not
        exact for `self` (the method's class or any subclass). A class of this module is
        `<local>.Name` (top-level classes only). What the qualified name is (a class of the
        project, a class or function of a library) is judged by whoever reads the answer.
        """
        if depth > 4:
            return None
        if isinstance(expr, cst.Call):
            if not isinstance(expr.func, (cst.Name, cst.Attribute)):
                return None
            local = self._local_classes(expr.func, scope)
            if local:
                c = local[0]
                return ((f"<local>.{c.name}", True),) if c.outer is self.module_scope and len(local) == 1 else None
            q = self.qname(expr.func, scope)
            if q is None or q.startswith(("<local>.", "builtins.")):
                return None
            return ((q, True),)
        if isinstance(expr, cst.Name):
            bs, _ = self.lookup(expr.value, scope)
            if bs and len(bs) == 1 and bs[0].kind == "self":
                c = bs[0].info
                return ((f"<local>.{c.name}", False),) if c.outer is self.module_scope else None
        values = self._bound_values(expr, scope, self_cls)
        if values is None:
            return None
        out = []
        for v, vs in values:
            if isinstance(v, cst.Name) and v.value == "None":
                continue  # calling a method on None raises AttributeError: not a caller
            found = self.receiver_classes(v, vs, self_cls, depth + 1) if isinstance(v, cst.Call) else None
            if found is None:
                return None
            out.extend(found)
        return tuple(dict.fromkeys(out)) or None

    def _instance_attr_sock(self, cls, attr: str, depth: int) -> Optional[SockInfo]:
        if isinstance(cls, ClassInfo):
            return _merge(self.sock_info(v, s, depth + 1, cls) for v, s in self._class_attr_bindings(cls, attr))
        if self.program is None:
            return None
        for cs in self._class_chain(cls, self.search_paths):
            if attr in cs.attrs:
                return cs.attrs[attr]
        return None

    def _instance_method_sock(self, cls, method: str, depth: int) -> Optional[SockInfo]:
        if isinstance(cls, ClassInfo):
            for c in [cls] + self._local_bases(cls):
                m = c.methods.get(method)
                if m is not None:
                    return _merge(self.sock_info(v, s, depth + 1, cls) for v, s in m.returns)
            if self.program is not None:
                return _merge(self._remote_bases_ask(cls, lambda cs: cs.methods.get(method)))
            return None
        if self.program is None:
            return None
        for cs in self._class_chain(cls, self.search_paths):
            if method in cs.methods:
                return cs.methods[method]
            if method in cs.method_names:
                return None
        return None

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
        if isinstance(expr, cst.Await):  # asyncio: what the awaited call returns (streams.py)
            return self.sock_info(expr.expression, scope, depth + 1, self_cls)
        if isinstance(expr, cst.Call):
            return self._sock_of_call(expr, scope, depth, self_cls)
        if isinstance(expr, cst.Name):
            bindings, bscope = self.lookup(expr.value, scope)
            if not bindings:
                return None
            return self._mark_local(
                _merge(self._sock_of_binding(b, depth, self_cls) for b in bindings), expr, scope, self_cls
            )
        if isinstance(expr, cst.Attribute):
            if expr.attr.value in _KEY_FIELDS:  # key.fileobj, key.data of a selector's key
                key = self.sock_info(expr.value, scope, depth + 1, self_cls)
                if key is not None and key.kind == "selkey":
                    return _item_of(key, _KEY_FIELDS[expr.attr.value])
            if isinstance(expr.value, cst.Name):
                cls = self._self_cls_of(expr.value, scope, self_cls)
                if cls is not None:
                    found = self.class_attr_sock(cls, expr.attr.value, depth)
                    return self._mark_local(found, expr, scope, self_cls)
            # conn.sock, self.conn.sock: an attribute of an instance of a known class
            owner = self.instance_class(expr.value, scope, self_cls)
            if owner is not None:
                return self._instance_attr_sock(owner, expr.attr.value, depth)
            if isinstance(expr.value, cst.Name) and expr.attr.value in self._handler_param_attrs(expr.value, scope, depth):
                # send_page(handler): handler.wfile of the request handler passed in
                kind = "file" if expr.attr.value == "wfile" else "socket"
                return SockInfo(
                    kind, tls=self.module_mentions_ssl(), origin=f"{expr.value.value}.{expr.attr.value} of a request handler", handler=True
                )
            return None
        if isinstance(expr, cst.Tuple) and expr.elements:
            # return conn, size: a tuple whose first item is a socket, like accept()'s
            first = self.sock_info(expr.elements[0].value, scope, depth + 1, self_cls)
            if first is not None and first.kind == "socket":
                # return sock1, sock2: both items sockets, as socketpair()'s (when alike)
                second = (
                    self.sock_info(expr.elements[1].value, scope, depth + 1, self_cls)
                    if len(expr.elements) == 2
                    else None
                )
                both = second is not None and second.kind == "socket" and second.peerless == first.peerless
                return dataclasses.replace(first, kind="pair", pair_both=both)
            return self._stream_of_tuple(expr, scope, depth, self_cls)  # return reader, writer
        if isinstance(expr, cst.IfExp):  # other = conns[1] if r is conns[0] else conns[0]
            return _merge(self.sock_info(e, scope, depth + 1, self_cls) for e in (expr.body, expr.orelse))
        if isinstance(expr, cst.BooleanOperation) and isinstance(expr.operator, cst.Or):
            # sock = self._sock or socket.create_connection(addr)
            return _merge(self.sock_info(e, scope, depth + 1, self_cls) for e in (expr.left, expr.right))
        if isinstance(expr, cst.Subscript):
            inner = self.sock_info(expr.value, scope, depth + 1, self_cls)
            item = _item_of(inner, _subscript_index(expr))
            if item is not None:
                return item
            if inner is None:  # self.clients[fd]: an item of a container of sockets
                return _merge(
                    self._sock_at(d, (), depth, self_cls) for d in self._contents(expr.value, scope, self_cls, "item")
                )
            return None
        return None

    def _sock_of_binding(self, b: Binding, depth: int, self_cls) -> Optional[SockInfo]:
        if b.kind == "value":
            return self.sock_info(b.value, b.scope, depth + 1, self_cls)
        if b.kind == "unpack":
            return _item_of(self.sock_info(b.value, b.scope, depth + 1, self_cls), b.index)
        if b.kind == "elem":  # for conn, addr in self.conns
            return _merge(
                self._sock_at(d, b.index, depth, self_cls) for d in self._items_of(b.value, b.scope, depth, self_cls)
            )
        if b.kind in ("param", "annot") and b.value is not None:
            return self._sock_of_annotation(b.value, b.scope)
        if b.kind == "param" and b.info is not None:
            return self._sock_of_param(b, depth)
        return None

    def _sock_of_param(self, b: Binding, depth: int) -> Optional[SockInfo]:
        """An unannotated parameter is a socket when every call of its function passes one:
        the calls in this module, and those made in other modules of the program when all of
        these are known (a module-level function's `callers`, a method's calls on receivers of
        its class, `method_callers_elsewhere`)."""
        func: FunctionInfo = b.info
        if func.name == "<lambda>" or not isinstance(func.node, cst.FunctionDef):
            return None
        callback = self._stream_callback_param(func, b.index)  # start_server's (reader, writer)
        if callback is not None:
            return callback
        if b.index == 0 and id(func) in self.gevent_handles():
            return self.gevent_handles()[id(func)]  # StreamServer's handle(socket, address)
        served = self._served_param(func, b.index)
        name, passed = self._param_arguments(b)
        infos = [served] if served is not None else []
        for arg, ctx in passed:  # first: a call here passing something else settles it
            info = self.sock_info(arg, ctx.scope, depth + 1, _method_class(ctx)) if arg is not None else None
            if info is None:
                return None
            infos.append(info)
        remote = []
        if self.program is not None and self.modname:
            if func.cls is None and func.outer is self.module_scope:
                remote = self.program.callers(f"{self.modname}.{func.name}", self.path) or []  # None: too many to read
            elif func.cls is not None and func.name == "__init__":
                remote = self.constructions_elsewhere(func.cls) or []  # Cls(...) elsewhere; None: not all known
            elif func.cls is not None:
                remote = self.method_callers_elsewhere(func, alone=not passed) or []  # None: not all known
        if not passed and not remote:
            return served
        for record in remote:  # calls made in other modules of the project
            info = self.argument_sock(record, b.index, name)
            if info is None:
                return None
            infos.append(info)
        return _merge(infos)

    def _served_param(self, func: FunctionInfo, index: Optional[int]) -> Optional[SockInfo]:
        """What the server's own code passes for a parameter of a handler method it calls: an
        override of `copyfile(source, outputfile)` in a SimpleHTTPRequestHandler subclass
        gets the client's `self.wfile` from do_GET/do_HEAD (RangeHTTPServer)."""
        entry = HANDLER_WRITING_METHODS.get(func.name)
        if entry is None or func.cls is None or index is None or method_kind(func) != "instance":
            return None
        (position, keyword), owners = entry
        if index != position or not self._inherits(func.cls, owners):
            return None
        origin = f"{func.name}()'s {keyword}, which http.server fills with self.wfile"
        return SockInfo("file", tls=self.module_mentions_ssl(), origin=origin, handler=True)

    def argument_sock(self, record, index: Optional[int], name: Optional[str]) -> Optional[SockInfo]:
        """What a call recorded in another module's summary (a CallRecord or MethodCallRecord)
        passes for the parameter at `index` (after `self`) or named `name`: a socket its
        module knew alone, else what the functions it was made by return (`made_by`), asked
        of the program from here (this file's answer then depends on their summaries)."""
        info = record.args[index] if index is not None and index < len(record.args) else None
        if info is None and name is not None:
            info = record.kwargs.get(name)
        if info is not None or self.program is None:
            return info
        made_by = record.made_by.get(index) if index is not None and index < len(record.args) else None
        if made_by is None and name is not None:
            made_by = record.made_by.get(name)
        if not made_by:
            return None
        from sigpipe_lint.program.resolve import search_path

        paths = search_path(record.where) if record.where else self.search_paths
        infos = (self.program.function_sock(q, paths) for q, _ in made_by)
        return _merge(info if index is None else _item_of(info, index) for info, (_, index) in zip(infos, made_by))

    def _param_arguments(self, b: Binding):
        """(the parameter's name, [(argument or None, ctx)]) for each call of this module
        that fills parameter `b`: direct calls, threads, greenlets and executors running the
        function, and a selector's dispatch of a callback registered as a key's data."""
        func: FunctionInfo = b.info
        params = filled_params(func)
        name = params[b.index] if b.index is not None and b.index < len(params) else None
        out = [
            (self.argument_for(func, call, ctx.scope, b.index) if name is not None else None, ctx)
            for call, ctx in self.call_sites(func)
        ]
        out.extend(self._spawned_args(func, b.index, name))
        out.extend(self._dispatched_args(func, b.index, name))
        return name, out

    def gevent_handles(self):
        """id(FunctionInfo) -> SockInfo of the socket a gevent StreamServer passes to it:
        the `handle` given to `StreamServer(listener, handle)`, and the `handle` method of
        a class of this module subclassing StreamServer. Memoised."""
        cached = getattr(self, "_gevent_handles", None)
        if cached is not None:
            return cached
        out = {}
        for handle, call, ctx in self.server_handles():
            # keyfile=, certfile=, ssl_context=: the server wraps each connection in TLS
            tls = any(a.keyword is not None and a.keyword.value not in ("handle", "backlog", "spawn") for a in call.args)
            info = SockInfo("socket", tls=tls, origin="a gevent StreamServer's connection", stream=True, handler=True)
            for f in self.functions_named_by(handle, ctx.scope):
                out[id(f)] = info
        for cls in self.classes:
            handle = cls.methods.get("handle")
            if handle is not None and any(self.qname(base.value, cls.outer) in self.GEVENT_SERVERS for base in cls.node.bases):
                out[id(handle)] = SockInfo("socket", origin="a gevent StreamServer's connection", stream=True, handler=True)
        self._gevent_handles = out
        return out

    def _spawned_args(self, func: FunctionInfo, index: Optional[int], name: Optional[str]):
        """(argument or None, ctx) for each thread, executor or loop call that runs `func`
        (`Thread(target=f, args=(conn,))`, `executor.submit(self.serve, conn)`, ...)."""
        out = []
        for target, args, kwargs, _call, ctx in self.spawned_calls():
            if target is None or func not in self.functions_named_by(target, ctx.scope):
                continue
            arg = None
            at = None if index is None else index + (1 if self.passes_instance(func, target, ctx.scope) else 0)
            if args is not None and at is not None and at < len(args):
                arg = args[at]
            elif kwargs is not None and name is not None:
                arg = kwargs.get(name)
            out.append((arg, ctx))
        return out

    def _sock_of_annotation(self, ann, scope) -> Optional[SockInfo]:
        """`socket.socket`, `Optional[socket.socket]`, `Union[None, ssl.SSLSocket]`,
        `socket.socket | None`, and any of these as a string, also nested (`Optional["socket"]`)."""
        stack = [ann]
        while stack:
            e = stack.pop()
            if isinstance(e, cst.SimpleString):
                parsed = self.annotation_exprs.get(id(e))
                if parsed is None:
                    text = _literal_string(e)
                    if text is None:
                        continue
                    try:
                        parsed = cst.parse_expression(text.strip())
                    except Exception:  # noqa: BLE001 - an unparsable string annotation says nothing
                        continue
                    self.annotation_exprs[id(e)] = parsed  # kept alive: see ModuleFacts.annotation_exprs
                stack.append(parsed)
            elif isinstance(e, cst.Subscript):  # Optional[socket.socket], Union[...]
                if self.qname(e.value, scope) in _WRAPPING_TYPES:
                    stack.extend(el.slice.value for el in e.slice if isinstance(el.slice, cst.Index))
            elif isinstance(e, cst.BinaryOperation) and isinstance(e.operator, cst.BitOr):  # socket.socket | None
                stack.extend([e.left, e.right])
            else:
                q = self.qname(e, scope)
                writer = self._stream_of_annotation(q)
                if writer is not None:
                    return writer
                if q in SOCKET_TYPES:
                    tls = SOCKET_TYPES[q] or self.module_mentions_ssl()
                    return SockInfo("socket", tls=tls, origin=f"annotated {q}")
                if q == "socket" and isinstance(e, cst.Name):
                    # `conn: socket` after `import socket`: the module where the class was meant
                    return SockInfo("socket", tls=self.module_mentions_ssl(), origin="annotated socket (the module)")
                # a class whose instances are sockets or streams (a subclass of one), here or elsewhere
                found = self._class_instances_sock(e, q, scope)
                if found is not None:
                    return found
        return None

    def _class_instances_sock(self, expr, q: Optional[str], scope) -> Optional[SockInfo]:
        """What instances of the class `expr` names are: a socket or stream when it
        subclasses one, in this module or (program view) elsewhere."""
        local = self._local_classes(expr, scope)
        if local:
            return self.class_is_socket(local[0]) if len(local) == 1 else None
        if q is None or q.startswith(("builtins.", "<local>.")) or self.program is None:
            return None
        found = self.program.class_summary(q, self.search_paths)
        return found[0].is_socket if found is not None else None

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
            local = q == "socket.create_connection" and self._from_getsockname(arg_at(call, 0, "address"), scope) is not None
            return SockInfo("socket", tls=(what == "tls"), dgram=dgram, origin=q + "()", stream=stream, local=local)
        if q in SOCKET_PAIR_CONSTRUCTORS:
            return SockInfo("pair", origin=q + "()", pair_both=True, stream=True)
        streams = self._stream_of_call(call, q, scope, depth, self_cls)
        if streams is not None:
            return streams
        if isinstance(func, cst.Attribute):
            attr = func.attr.value
            if attr == "wrap_socket":
                return SockInfo("socket", tls=True, origin="wrap_socket()", stream=True)
            if attr == "get_key":  # sel.get_key(sock): the key registered for it
                key = self._selector_key(func.value, scope, depth, self_cls)
                if key is not None:
                    return key
            if self._self_class_name(func.value, scope):
                return self._sock_of_method_call(func, scope, depth, self_cls)
            if attr in _TAKES:  # self.clients.pop(fd), queue.get(): an item of a container
                taken = _merge(
                    self._sock_at(d, (), depth, self_cls) for d in self._contents(func.value, scope, self_cls, "item")
                )
                if taken is not None:
                    return taken
            if q is not None and not q.startswith("<local>.") and self.program is not None:
                found = self.program.function_sock(q, self.search_paths)  # pkg.connect(...)
                if found is None and call.args:
                    found = self._remote_proxy_sock(call, q, scope, depth, self_cls)
                if found is not None:
                    return found
            owner = self.instance_class(func.value, scope, self_cls)
            if owner is not None:  # conn.get_socket(), self.pool.connection()
                found = self._instance_method_sock(owner, attr, depth)
                if found is not None:
                    return found
            recv = self.sock_info(func.value, scope, depth + 1, self_cls)
            if recv is not None and recv.kind == "socket":
                if attr == "accept":
                    local = recv.local or self._container_key(func.value, scope, self_cls) in self._loopback()[1]
                    return dataclasses.replace(recv, kind="pair", origin="accept()", stream=not recv.dgram, local=local)
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
                elif b.kind == "class":
                    infos.append(self.class_is_socket(b.info))
                    infos.append(self._delegated_sock(call, self.class_delegate(b.info), scope, depth, self_cls))
            found = _merge(infos)
            if found is None and q is not None and not q.startswith("<local>.") and self.program is not None:
                found = self.program.function_sock(q, self.search_paths)  # from .conn import connect
                if found is None and call.args:
                    found = self._remote_proxy_sock(call, q, scope, depth, self_cls)
            return found
        return None

    def made_by_elsewhere(
        self, expr, scope: Scope, self_cls=None, item: Optional[int] = None, _depth: int = 0
    ) -> Tuple[Tuple[str, Optional[int]], ...]:
        """The functions (or classes) of other modules whose result `expr` may be, judged
        from this module alone: a call of one (awaited or not), a name or `self.x` bound to
        one, or a call of a helper of this module returning one (`s = factory.open_link(a)`,
        `def connect(a): return factory.open_link(a)`), or an item of such a result
        (`conn, addr = factory.accept_one(srv)`, `self.reader, self.writer = await
        factory.open(a)`, `pair[0]`). (qualified name, item index or None), in the order met.

        A summary records these for an argument it cannot judge alone (`summary._arguments`):
        whoever reads the call asks the program what each returns (`argument_sock`), at its
        own level, so the summary of the calling module never depends on the factory's."""
        from sigpipe_lint.program.view import OPAQUE

        if _depth > 4:
            return ()
        if isinstance(expr, cst.Await):
            return self.made_by_elsewhere(expr.expression, scope, self_cls, item, _depth + 1)
        values: List[Tuple[cst.BaseExpression, Scope, Optional[int]]] = []
        if isinstance(expr, cst.Call):
            func = expr.func
            if not isinstance(func, (cst.Name, cst.Attribute)):
                return ()
            if isinstance(func, cst.Name):
                bs, _ = self.lookup(func.value, scope)
                helpers = [b.info for b in bs or () if b.kind == "def" and b.info.cls is None]
                if helpers:
                    values = [(v, vs, item) for h in helpers for v, vs in h.returns]
                    return self._made_by_values(values, self_cls, _depth)
            elif self._self_class_name(func.value, scope):
                return ()  # self.method(): this module's, judged here
            q = self.qname(func, scope)
            if q is None or q.startswith(("<", "builtins.")) or q.split(".", 1)[0] in OPAQUE:
                return ()
            return ((q, item),)
        if item is None and isinstance(expr, cst.Subscript):
            index = _subscript_index(expr)
            if index is not None:
                values = [(expr.value, scope, index)]
        elif isinstance(expr, cst.Name):
            bs, _ = self.lookup(expr.value, scope)
            for b in bs or ():
                if b.kind == "value":
                    values.append((b.value, b.scope, item))
                elif b.kind == "unpack" and item is None:
                    values.append((b.value, b.scope, b.index))
        elif isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name):
            cls = self._self_cls_of(expr.value, scope, self_cls)
            if cls is not None:
                values = [(v, vs, item) for v, vs in self._class_attr_bindings(cls, expr.attr.value)]
        return self._made_by_values(values, self_cls, _depth)

    def _made_by_values(self, values, self_cls, depth: int) -> Tuple[Tuple[str, Optional[int]], ...]:
        out: list = []
        for v, vs, item in values:
            if isinstance(v, (cst.Call, cst.Await, cst.Name, cst.Attribute, cst.Subscript)):
                out.extend(self.made_by_elsewhere(v, vs, self_cls, item, depth + 1))
        return tuple(dict.fromkeys(out))

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
            if self.program is not None:  # a method of a base class elsewhere
                infos.extend(self._remote_bases_ask(cls, lambda cs: cs.methods.get(func.attr.value)))
            # self._connect = socket.create_connection; ...; self._connect(address)
            for v, s in self._class_attr_bindings(cls, func.attr.value):
                q = self.qname(v, s)
                if q in SOCKET_CONSTRUCTORS:
                    what = SOCKET_CONSTRUCTORS[q]
                    infos.append(SockInfo("socket", tls=what == "tls", origin=q + "()", stream=what != "stream?"))
        return _merge(infos)

    # -- selectors and select.select --------------------------------------------------------
    #
    # `sel = selectors.DefaultSelector(); sel.register(conn, EVENT_READ, data)`, then
    # `for key, mask in sel.select(): key.fileobj.send(...)`: a key's fileobj is a socket when
    # a socket is registered in that selector (the selector is the name or `self.x` bound
    # to it, followed through parameters every call fills with it); its data is what was
    # registered as data, and a function registered as data and called as
    # `key.data(key.fileobj, mask)` receives the key's fileobj.

    def _selectors(self, expr, scope: Scope, self_cls, depth: int = 0) -> frozenset:
        """Identities (container keys) of the selectors `expr` may be; empty when none."""
        memo = self.__dict__.setdefault("_selmemo", {})
        mkey = (id(expr), id(scope), id(self_cls))
        if mkey in memo:
            return memo[mkey]
        memo[mkey] = frozenset()  # cycle guard
        key = self._container_key(expr, scope, self_cls) if depth < 5 else None
        if key is None:
            return frozenset()
        params = []
        if isinstance(expr, cst.Name):
            bs, _ = self.lookup(expr.value, scope)
            values = [(b.value, b.scope) for b in bs or () if b.kind == "value"]
            params = [b for b in bs or () if b.kind == "param" and b.info is not None]
        else:
            values = self._class_attr_bindings(key[3], expr.attr.value)
        out = set()
        if any(isinstance(v, cst.Call) and self.qname(v.func, s) in SELECTOR_TYPES for v, s in values):
            out.add(key)
        for b in params:
            if isinstance(b.info.node, cst.FunctionDef):
                for arg, ctx in self._param_arguments(b)[1]:
                    if arg is not None:
                        out |= self._selectors(arg, ctx.scope, _method_class(ctx), depth + 1)
        memo[mkey] = frozenset(out)
        return memo[mkey]

    def _registrations(self):
        """[(selector identities, fileobj, data, ctx)] of each `register`/`modify` call on a
        selector of this module. Memoised."""
        cached = getattr(self, "_regs", None)
        if cached is not None:
            return cached
        self._regs = []  # cycle guard: a parameter filled by a dispatch asks for these
        out = []
        for method in ("register", "modify"):
            for call, ctx in self.calls_by_name.get(method, ()):
                if isinstance(call.func, cst.Attribute):
                    ids = self._selectors(call.func.value, ctx.scope, _method_class(ctx))
                    if ids:
                        out.append((ids, arg_at(call, 0, "fileobj"), arg_at(call, 2, "data"), ctx))
        self._regs = out
        return out

    def _selector_key(self, selector, scope: Scope, depth: int, self_cls) -> Optional[SockInfo]:
        """A key of the selector `selector`, when what is registered there holds a socket."""
        ids = self._selectors(selector, scope, self_cls)
        if not ids:
            return None
        files, datas = [], []
        for rids, fileobj, data, ctx in self._registrations():
            if rids & ids:
                for value, found in ((fileobj, files), (data, datas)):
                    if value is not None:
                        found.append(self.sock_info(value, ctx.scope, depth + 1, _method_class(ctx)))
        items = (_merge(files), _merge(datas))
        if items == (None, None):
            return None
        return SockInfo("selkey", origin="a selector's key", items=items)

    def _dispatched_args(self, func: FunctionInfo, index: Optional[int], name: Optional[str]):
        """(argument or None, ctx) for each `key.data(...)` call (also through a name bound
        to `key.data`) of a selector key, when `func` is registered as a key's data."""
        if not self.calls_by_name.get("register") and not self.calls_by_name.get("modify"):
            return []
        if not any(
            data is not None and func in self.functions_named_by(data, ctx.scope)
            for _ids, _f, data, ctx in self._registrations()
        ):
            return []
        out = []
        for call, ctx, key in self._dispatches():
            info = self.sock_info(key, ctx.scope, 1, _method_class(ctx))
            if info is None or info.kind != "selkey":
                continue
            pos = positional_args(call)
            arg = pos[index] if index is not None and index < len(pos) else None
            if arg is None and name is not None:
                arg = keyword_arg(call, name)
            out.append((arg, ctx))
        return out

    def selector_dispatches(self, call: cst.Call, ctx: Ctx):
        """For `sel.register(fileobj, events, callback)` on a selector of this module: the
        calls that run the callback, each `key.data(...)` (or a name bound to it) of a
        selector key holding a socket; None when `call` is no such registration or the
        module shows no dispatch (the callback's callers are then unknown)."""
        if not isinstance(call.func, cst.Attribute) or not self._selectors(call.func.value, ctx.scope, _method_class(ctx)):
            return None
        out = []
        for run, rctx, key in self._dispatches():
            info = self.sock_info(key, rctx.scope, 1, _method_class(rctx))
            if info is not None and info.kind == "selkey":
                out.append((run, rctx))
        return out or None

    def _dispatches(self):
        """[(call, ctx, key expression)] of calls of `key.data` or of a name bound to it."""
        cached = getattr(self, "_dispatch_calls", None)
        if cached is not None:
            return cached
        out = []
        for call, ctx in self.calls_by_name.get("data", ()):
            if isinstance(call.func, cst.Attribute):
                out.append((call, ctx, call.func.value))
        for calls in self.calls_by_name.values():
            for call, ctx in calls:
                if not isinstance(call.func, cst.Name):
                    continue
                bs, _ = self.lookup(call.func.value, ctx.scope)
                values = [b.value for b in bs or () if b.kind == "value"]
                if values and len(values) == len(bs):
                    keys = [v.value for v in values if isinstance(v, cst.Attribute) and v.attr.value == "data"]
                    if len(keys) == 1 == len(values):
                        out.append((call, ctx, keys[0]))
        self._dispatch_calls = out
        return out

    def _selected(self, expr, scope: Scope, depth: int, self_cls):
        """Item descriptors of `sel.select()` (a selector's (key, events) pairs) or of the
        list `select.select(...)[i]` / `r, w, x = select.select(...)` is; None when `expr`
        is neither."""
        if isinstance(expr, cst.Call):
            f = expr.func
            if not isinstance(f, cst.Attribute) or f.attr.value != "select" or self.qname(f, scope) == "select.select":
                return None
            key = self._selector_key(f.value, scope, depth, self_cls)
            return [("tuple", [("info", key), None])] if key is not None else None
        picked = []  # (select.select call, index, scope)
        if isinstance(expr, cst.Subscript) and isinstance(expr.value, cst.Call):
            picked.append((expr.value, _subscript_index(expr), scope))
        elif isinstance(expr, cst.Name):
            bs, _ = self.lookup(expr.value, scope)
            for b in bs or ():
                if b.kind == "unpack" and isinstance(b.value, cst.Call):
                    picked.append((b.value, b.index, b.scope))
                elif b.kind == "value" and isinstance(b.value, cst.Call):
                    found = self._selected(b.value, b.scope, depth + 1, self_cls)  # events = sel.select()
                    if found:
                        return found
        out = None
        for call, index, s in picked:
            if isinstance(index, int) and 0 <= index < 3 and self.qname(call.func, s) == "select.select":
                given = arg_at(call, index, _SELECT_LISTS[index])
                if given is not None:
                    out = (out or []) + self._items_of(given, s, depth + 1, self_cls)
        return out

    # -- containers of sockets -------------------------------------------------------------
    #
    # `self.clients[fd] = conn`, `self.conns.append((conn, addr))`, `queue.put(conn)`, a list
    # or dict literal: what a container holds is learnt from the stores into it, read back by
    # `for` loops (`for c in self.clients.values()`, `for conn, addr in self.conns`),
    # subscripts and `pop()`/`get()`. An item is a descriptor: ("expr", expression, scope),
    # or ("tuple", [descriptor or None, ...]) for what `items()` and `enumerate()` yield.

    def _container_key(self, expr, scope: Scope, self_cls):
        """What identifies a container: a name's binding scope, or `self.attr` (with its class)."""
        if isinstance(expr, cst.Name):
            bs, bscope = self.lookup(expr.value, scope)
            return ("name", id(bscope), expr.value, None) if bs else None
        if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name):
            cls = self._self_cls_of(expr.value, scope, self_cls)
            return ("attr", 0, expr.attr.value, cls) if cls is not None else None
        return None

    def _container_stores(self):
        """key (without the class) -> [(class, is_dict, item, key, scope)], built once."""
        stores = getattr(self, "_cstores", None)
        if stores is not None:
            return stores
        stores = {}

        def add(container, ctx, is_dict, item, key):
            k = self._container_key(container, ctx.scope, None)
            if k is not None and item is not None:
                stores.setdefault(k[:3], []).append((k[3], is_dict, item, key, ctx.scope))

        for name, (item_index, key_index) in _STORES.items():
            for call, ctx in self.calls_by_name.get(name, ()):
                if isinstance(call.func, cst.Attribute):
                    pos = positional_args(call)
                    item = pos[item_index] if item_index < len(pos) else None
                    key = pos[key_index] if key_index is not None and key_index < len(pos) else None
                    add(call.func.value, ctx, key_index is not None, item, key)
        for call, ctx in self.calls_by_name.get("extend", ()):
            if isinstance(call.func, cst.Attribute):
                pos = positional_args(call)
                if pos and isinstance(pos[0], (cst.List, cst.Tuple)):
                    for el in pos[0].elements:
                        add(call.func.value, ctx, False, el.value, None)
        for target, value, ctx in self.subscript_stores:
            index = target.slice[0].slice if len(target.slice) == 1 else None
            key = index.value if isinstance(index, cst.Index) else None
            add(target.value, ctx, not isinstance(key, cst.Integer), value, key)
        self._cstores = stores
        return stores

    def _contents(self, container, scope: Scope, self_cls, what: str):
        """Descriptors of what a container yields: "iter" (a for loop: a dict's keys),
        "keys", "values", "pairs" (items()), "item" (a subscript, pop(), get())."""
        memo = self.__dict__.setdefault("_cmemo", {})
        mkey = (id(container), id(scope), id(self_cls), what)
        if mkey in memo:
            return memo[mkey]
        memo[mkey] = []  # cycle guard
        key = self._container_key(container, scope, self_cls)
        if key is None:
            return []
        entries = []  # (is_dict, item, key, scope)
        cls = key[3]
        for scls, is_dict, item, k, s in self._container_stores().get(key[:3], ()):
            if cls is None or scls is None or scls is cls or scls in self._local_bases(cls) or cls in self._local_bases(scls):
                entries.append((is_dict, item, k, s))
        # The literal the container was made from: `clients = {}` / `self.conns = [a, b]`.
        if cls is None:
            bs, _ = self.lookup(container.value, scope)
            literals = [(b.value, b.scope) for b in bs or () if b.kind == "value"]
        else:
            literals = self._class_attr_bindings(cls, container.attr.value)
        for value, s in literals:
            if isinstance(value, cst.Dict):
                for el in value.elements:
                    if isinstance(el, cst.DictElement):
                        entries.append((True, el.value, el.key, s))
            elif isinstance(value, cst.Call) and isinstance(value.func, (cst.Name, cst.Attribute)):
                if (self.qname(value.func, s) or "") in _DICT_TYPES:
                    entries.append((True, None, None, s))  # marks the container as a dict
            elif isinstance(value, (cst.List, cst.Tuple, cst.Set)):
                for el in value.elements:
                    if isinstance(el, cst.Element):
                        entries.append((False, el.value, None, s))
        is_dict = any(e[0] for e in entries)
        out = []
        for _d, item, k, s in entries:
            if what == "pairs":
                out.append(("tuple", [("expr", k, s) if k is not None else None, ("expr", item, s) if item is not None else None]))
            elif what == "keys" or (what == "iter" and is_dict):
                if k is not None:
                    out.append(("expr", k, s))
            elif item is not None:
                out.append(("expr", item, s))
        if cls is None:
            out.extend(self._passed_contents(container, scope, what))
        memo[mkey] = out
        return out

    def _passed_contents(self, container, scope: Scope, what: str) -> list:
        """A container that is a parameter (`def broadcast(msg, clients): for c in
        clients: ...`): what the containers every call of this module passes for it hold.
        Nothing when some call passes a container whose contents the module cannot read."""
        bs, _ = self.lookup(container.value, scope)
        if not bs or any(b.kind != "param" or b.info is None for b in bs):
            return []
        out = []
        for b in bs:
            _name, passed = self._param_arguments(b)
            if not passed or any(arg is None for arg, _ctx in passed):
                return []
            for arg, ctx in passed:
                held = self._contents(arg, ctx.scope, _method_class(ctx), what)
                if not held:
                    return []
                out.extend(held)
        return out

    def _items_of(self, expr, scope: Scope, depth: int, self_cls):
        """Descriptors of what `for x in expr` binds x to."""
        if depth < 12 and isinstance(expr, (cst.Call, cst.Name, cst.Subscript)):
            selected = self._selected(expr, scope, depth, self_cls)
            if selected is not None:
                return selected
        if isinstance(expr, (cst.List, cst.Tuple, cst.Set)):
            return [("expr", el.value, scope) for el in expr.elements if isinstance(el, cst.Element)]
        if isinstance(expr, cst.Call) and depth < 12:
            f = expr.func
            pos = positional_args(expr)
            if isinstance(f, cst.Attribute) and not pos:
                what = {"values": "values", "keys": "keys", "items": "pairs"}.get(f.attr.value)
                if what is not None:
                    return self._contents(f.value, scope, self_cls, what)
                if f.attr.value == "copy":
                    return self._items_of(f.value, scope, depth + 1, self_cls)
            if isinstance(f, (cst.Name, cst.Attribute)) and len(pos) == 1:
                q = self.qname(f, scope)
                if q in _ITERATING:
                    return self._items_of(pos[0], scope, depth + 1, self_cls)
                if q == "builtins.enumerate":
                    return [("tuple", [None, d]) for d in self._items_of(pos[0], scope, depth + 1, self_cls)]
            return []
        if isinstance(expr, cst.Subscript):  # self.conns[:]
            return self._items_of(expr.value, scope, depth + 1, self_cls)
        return self._contents(expr, scope, self_cls, "iter")

    def _sock_at(self, desc, path, depth: int, self_cls) -> Optional[SockInfo]:
        """sock_info of an item descriptor, at `path` inside it (a `for a, b in` target)."""
        found, path = _descend(desc, path)
        if found is None:
            return None
        if found[0] == "info":  # what a library call yields (a selector's key)
            info = found[1]
        else:
            info = self.sock_info(found[1], found[2], depth + 1, self_cls)
        if not path or info is None:
            return info
        return _item_of(info, path[0]) if len(path) == 1 else None

    # -- loopback wake-up pairs ----------------------------------------------------------
    #
    # A socketpair() fallback or a self-pipe built by hand: listen on 127.0.0.1 port 0,
    # connect to that listener's getsockname(), accept. Both ends live in this process:
    # there is no remote peer to die, so their writes are never reported (issue 9, #11).

    def _from_getsockname(self, expr, scope: Scope, depth: int = 0):
        """The listener L when `expr` is (derived from) `L.getsockname()`: the call itself,
        `[:2]` of it, a tuple starting with a name unpacked from it, or a loopback host
        literal with L's port (`("127.0.0.1", port)` after `_, port = L.getsockname()`)."""
        if expr is None or depth > 6:
            return None
        if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value == "getsockname":
            return (expr.func.value, scope)
        if isinstance(expr, cst.Subscript):
            return self._from_getsockname(expr.value, scope, depth + 1)
        if isinstance(expr, cst.Tuple) and expr.elements:
            found = self._from_getsockname(expr.elements[0].value, scope, depth + 1)
            if found is None and len(expr.elements) >= 2 and self._loopback_host(expr.elements[0].value, scope):
                # ("127.0.0.1", port) with the port from L.getsockname(): L's own port on
                # this machine (`iface, port = L.getsockname()`, `L.getsockname()[1]`)
                found = self._from_getsockname(expr.elements[1].value, scope, depth + 1)
            return found
        if isinstance(expr, cst.Name):
            bs, _ = self.lookup(expr.value, scope)
            for b in bs or ():
                if b.kind in ("value", "unpack"):
                    found = self._from_getsockname(b.value, b.scope, depth + 1)
                    if found is not None:
                        return found
        return None

    def _loopback_host(self, expr, scope: Scope) -> bool:
        """A loopback host literal, or a name bound only to one (`host, port = "127.0.0.1",
        L.getsockname()[1]`, `HOST = "localhost"`)."""
        if isinstance(expr, cst.Name):
            bs, _ = self.lookup(expr.value, scope)
            return bool(bs) and all(b.kind == "value" and _literal_string(b.value) in _LOOPBACK_HOSTS for b in bs)
        return _literal_string(expr) in _LOOPBACK_HOSTS

    def _loopback(self):
        """(keys of sockets connected to a listener of this module, keys of those listeners)."""
        cached = getattr(self, "_loopback_keys", None)
        if cached is not None:
            return cached
        connectors, listeners = set(), set()
        for call, ctx in [*self.calls_by_name.get("connect", ()), *self.calls_by_name.get("connect_ex", ())]:
            if not isinstance(call.func, cst.Attribute):
                continue
            found = self._from_getsockname(arg_at(call, 0, "address"), ctx.scope)
            if found is None:
                continue
            self_cls = _method_class(ctx)
            listener = self._container_key(found[0], found[1], self_cls)
            connector = self._container_key(call.func.value, ctx.scope, self_cls)
            if listener is not None and connector is not None:
                listeners.add(listener)
                connectors.add(connector)
        self._loopback_keys = (connectors, listeners)
        return self._loopback_keys

    def _mark_local(self, info: Optional[SockInfo], expr, scope: Scope, self_cls) -> Optional[SockInfo]:
        if info is None or info.local or info.kind != "socket":
            return info
        if not self.calls_by_name.get("getsockname") and not self.calls_by_name.get("socketpair"):
            return info
        key = self._container_key(expr, scope, self_cls)
        if key is not None and (key in self._loopback()[0] or self._is_wakeup_end(key)):
            return dataclasses.replace(info, local=True)
        return info

    def _is_wakeup_end(self, key: tuple) -> bool:
        """Whether `key` (a name's or `self.x`'s) is one end of `a, b = socket.socketpair()`
        whose other end this module only reads: every use of it is a call of one of its own
        reading methods (`recv`, `fileno`, `close`...) or an item of a list handed to
        `select()`/a selector, never an argument, a return value or a stored value. Both ends
        then stay in this process (a wake-up pair: a worker's callback writes a byte, the
        event loop reads it): no remote peer can die. Never in a module that forks or starts
        processes, which copy both ends without naming them. The other end's uses are read
        only for a key that is such an end (a walk of its class or function), once."""
        pairs = self._socketpair_ends()
        if key not in pairs:
            return False
        memo = self.__dict__.setdefault("_wakeup_memo", {})
        text, where = pairs[key]
        if (id(where), text) not in memo:
            # one walk of that node for every end whose uses are there
            texts = {t for t, w in pairs.values() if w is where}
            memo.update(((id(where), t), ok) for t, ok in _only_read(where, texts).items())
        return memo[(id(where), text)]

    def _socketpair_ends(self) -> Dict[tuple, Tuple[str, cst.CSTNode]]:
        """key of one end of `a, b = socket.socketpair()` -> (the other end's text, the node
        its uses are in: the function of a name, the class of `self.x`); {} in a module
        that forks or starts processes. Memoised."""
        cached = getattr(self, "_pair_ends", None)
        if cached is not None:
            return cached
        self._pair_ends = ends = {}
        if any(self.calls_by_name.get(n) for n in _CHILD_SPAWNERS):
            return ends
        for call, ctx in self.calls_by_name.get("socketpair", ()):
            stmt = ctx.stmt
            if (
                self.qname(call.func, ctx.scope) not in SOCKET_PAIR_CONSTRUCTORS
                or not isinstance(stmt, cst.SimpleStatementLine)
                or len(stmt.body) != 1
                or not isinstance(stmt.body[0], cst.Assign)
                or stmt.body[0].value is not call
                or len(stmt.body[0].targets) != 1
                or not isinstance(stmt.body[0].targets[0].target, (cst.Tuple, cst.List))
            ):
                continue
            elems = stmt.body[0].targets[0].target.elements
            texts = [dotted(e.value) for e in elems]
            if len(elems) != 2 or None in texts or texts[0] == texts[1]:
                continue
            cls = _method_class(ctx)
            keys = [self._container_key(e.value, ctx.scope, cls) for e in elems]
            if None in keys:
                continue
            # a name is used in its function (or the module); `self.x` in its class's methods
            where = [
                (cls.node if cls is not None else self.module) if isinstance(e.value, cst.Attribute)
                else (ctx.func.node if ctx.func is not None else self.module)
                for e in elems
            ]
            for mine, other in ((0, 1), (1, 0)):
                ends[keys[mine]] = (texts[other], where[other])
        return ends

    # -- writes and signals -------------------------------------------------------------

    def _find_writes(self) -> List[Write]:
        out: List[Write] = []
        for method in SEND_METHODS | FILE_WRITE_METHODS:
            for call, ctx in self.calls_by_name.get(method, ()):
                func = call.func
                if not isinstance(func, cst.Attribute):
                    continue
                info = self._receiver_info(func.value, call, ctx)
                via, target = "", None
                if info is None and self.qname(func.value, ctx.scope) in SOCKET_TYPES:
                    # socket.socket.sendall(s, data): the unbound method, `s` is the receiver
                    pos = positional_args(call)
                    if pos:
                        via, target = "unbound", pos[0]
                        info = self.sock_info(target, ctx.scope, self_cls=_method_class(ctx))
                if info is None or info.peerless:
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
                out.append(Write(call, ctx, method, info, label, target=target, via=via))
        out.extend(self._bound_method_writes())
        for call, ctx in self.calls_named("os.write", "posix.write"):
            if self.qname(call.func, ctx.scope) != "os.write":
                continue
            pos = positional_args(call)
            if not pos:
                continue
            info = self.sock_info(pos[0], ctx.scope)
            if info is not None and info.kind == "fd" and not info.peerless:
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
                if info is not None and info.kind == "file" and not info.peerless:
                    short = qualified.replace("builtins.", "")
                    label = f"{short}() into {dotted(arg) or 'a socket file'}"
                    out.append(Write(call, ctx, qualified, info, label, target=arg))
        for method, ((index, keyword), owners) in HANDLER_WRITING_METHODS.items():
            for call, ctx in self.calls_by_name.get(method, ()):
                cls = _method_class(ctx)
                func = call.func
                if cls is None or not isinstance(func, cst.Attribute):
                    continue
                if self._self_class_name(func.value, ctx.scope):
                    if any(method in c.methods for c in [cls] + self._local_bases(cls)) or not self._inherits(cls, owners):
                        continue  # overridden here: its own body's writes are found where they are
                elif (
                    set(self.qnames(func.value, ctx.scope)) & owners
                    and call.args and self._self_class_name(call.args[0].value, ctx.scope)
                ):
                    # `SimpleHTTPRequestHandler.copyfile(self, source, outputfile)` from an
                    # override: the stdlib's own body, run on this handler
                    index += 1
                else:
                    continue
                arg = arg_at(call, index, keyword)
                info = self.sock_info(arg, ctx.scope, self_cls=cls) if arg is not None else None
                if info is not None and info.kind == "file" and not info.peerless:
                    label = f"{dotted(func) or 'self.' + method}() into {dotted(arg) or 'a socket file'}"
                    out.append(Write(call, ctx, method, info, label, target=arg))
        out.extend(self._find_stream_writes())  # asyncio: drains, wait_closed, loop.sock_sendall
        # In the order of the source: the loop above runs over a set of method names, whose
        # order changes from one process to the next (string hashes), and the order shows
        # (SPL002 names the writes a reset reaches).
        tick = self._call_tick
        out.sort(key=lambda w: tick.get(id(w.call), 0))
        return out

    def _bound_method_writes(self) -> List[Write]:
        """Writes through a bound method: `send = sock.sendall; send(data)` (at each call of
        `send`), `retry(sock.sendall, data)` (at the call it is passed to: the write happens
        inside it, and what is caught around that call is what handles it), and
        `functools.partial(sock.send, b"x")` (at the calls of the name it is bound to, or at
        the partial itself when nothing in the module calls it)."""
        methods = SEND_METHODS | FILE_WRITE_METHODS
        refs = [(n, c) for m in methods for n, c in self.name_refs.get(m, ())]
        if not refs:
            return []
        called = {id(call.func) for m in methods for call, _ in self.calls_by_name.get(m, ())}
        refs = [(n, c) for n, c in refs if id(n) not in called]
        if not refs:
            return []
        out: List[Write] = []
        passed_in = {}  # id(argument) -> (call, ctx)
        for calls in self.calls_by_name.values():
            for call, ctx in calls:
                for a in call.args:
                    if type(a.value) is cst.Attribute and a.value.attr.value in methods:
                        passed_in[id(a.value)] = (call, ctx)
        aliased: Dict[int, list] = {}  # id(value) -> [(target, value, ctx)]: `a = b = s.sendall` has two
        for alias in self.method_aliases:
            aliased.setdefault(id(alias[1]), []).append(alias)
        for node, ctx in refs:
            info = self._write_receiver(node, ctx)
            if info is None:
                continue
            method, name = node.attr.value, f"{dotted(node.value) or '<socket>'}.{node.attr.value}"
            holder = passed_in.get(id(node))
            partial = None
            if holder is not None and self.qname(holder[0].func, holder[1].scope) == "functools.partial":
                partial = holder[0]
                holder = None
            if holder is not None and call_name(holder[0]) in _EXPECTS_RAISE:
                continue  # assertRaises(OSError, sock.send, b"x"): the failure is the point
            if holder is not None:
                call, cctx = holder
                label = f"{name}() passed to {dotted(call.func) or 'a call'}()"
                out.append(Write(call, cctx, method, info, label, target=node.value, via="passed"))
                continue
            value = partial if partial is not None else node
            calls = [c for alias in aliased.get(id(value), ()) for c in self._alias_calls(alias)]
            for call, cctx in calls:
                label = f"{dotted(call.func)}() (bound to {name})"
                out.append(Write(call, cctx, method, info, label, target=node.value, via="alias"))
            if partial is not None and not calls:
                pctx = passed_in[id(node)][1]
                label = f"functools.partial({name})"
                out.append(Write(partial, pctx, method, info, label, target=node.value, via="partial"))
        return out

    def _write_receiver(self, node: cst.Attribute, ctx: Ctx) -> Optional[SockInfo]:
        """The receiver of a bound write method, if writing through it is a socket write."""
        info = self.sock_info(node.value, ctx.scope, self_cls=_method_class(ctx))
        method = node.attr.value
        if info is None or info.peerless:
            return None
        if method in SEND_METHODS:
            if info.kind != "socket" or (method == "sendto" and not info.stream):
                return None
        elif info.kind != "file" and not (method == "write" and info.kind == "socket" and info.tls):
            return None
        return info

    def _alias_calls(self, alias):
        """The calls of a name or `self.x` (`target`) bound to a bound method or partial
        (`value`) by an assignment."""
        target, value, actx = alias
        out = []
        if isinstance(target, cst.Name):
            for call, ctx in self.calls_by_name.get(target.value, ()):
                if isinstance(call.func, cst.Name):
                    bs, _ = self.lookup(target.value, ctx.scope)
                    if bs and any(b.kind == "value" and b.value is value for b in bs):
                        out.append((call, ctx))
        elif isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name):
            cls = self._self_class(target.value.value, actx.scope)
            if cls is None:
                return out
            for call, ctx in self.calls_by_name.get(target.attr.value, ()):
                f = call.func
                if isinstance(f, cst.Attribute) and isinstance(f.value, cst.Name):
                    other = self._self_class(f.value.value, ctx.scope)
                    if other is not None and (other is cls or cls in self._local_bases(other)):
                        out.append((call, ctx))
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


# key.fileobj is key[0], key.data is key[3] (a SelectorKey is a named tuple)
_KEY_FIELDS = {"fileobj": 0, "data": 3}


def _item_of(inner: Optional[SockInfo], index: Optional[int]) -> Optional[SockInfo]:
    """An item of a pair: accept()'s and socketpair()'s sockets, open_connection()'s writer."""
    if inner is None or index is None:
        return None
    if inner.kind == "pair" and (index == 0 or (inner.pair_both and index == 1)):
        return dataclasses.replace(inner, kind="socket", pair_both=False)
    if inner.kind == "streams" and index == 1:
        return dataclasses.replace(inner, kind="stream")
    if inner.kind == "selkey" and index in (0, 3):  # SelectorKey(fileobj, fd, events, data)
        return inner.items[0 if index == 0 else 1]
    return None


def _descend(desc, path):
    """Walk an item descriptor down `path` (a `for a, b in` target's position), through
    tuples of descriptors and tuple or list literals: (what stands there: ("info", x) or
    ("expr", expression, scope); None when nothing known does, a tuple included, the rest
    of the path)."""
    while desc is not None and desc[0] == "tuple":
        if not path:
            return None, path  # a tuple is not an item of its own
        parts = desc[1]
        desc = parts[path[0]] if path[0] < len(parts) else None
        path = path[1:]
    if desc is None or desc[0] == "info":
        return desc, path
    _, expr, scope = desc
    while path and isinstance(expr, (cst.Tuple, cst.List)):
        els = expr.elements
        if path[0] >= len(els) or not isinstance(els[path[0]], cst.Element):
            return None, path
        expr = els[path[0]].value
        path = path[1:]
    return ("expr", expr, scope), path


def expr_at(desc, path):
    """(expression, scope) at `path` inside an item descriptor, or None when the item
    there is not an expression of this module."""
    found, rest = _descend(desc, path)
    return (found[1], found[2]) if found is not None and found[0] == "expr" and not rest else None


def _merge(infos) -> Optional[SockInfo]:
    found = [i for i in infos if i is not None]
    if not found:
        return None
    kinds = {i.kind for i in found}
    kind = found[0].kind if len(kinds) == 1 else sorted(kinds)[0]
    same = [i for i in found if i.kind == kind]
    items = ()
    if kind == "selkey":
        items = tuple(_merge(i.items[n] for i in same) for n in range(2))
    return SockInfo(
        kind,
        tls=any(i.tls for i in found),
        dgram=all(i.dgram for i in same),
        origin=same[0].origin,
        pair_both=all(i.pair_both for i in same),
        stream=all(i.stream for i in same),
        handler=any(i.handler for i in found),
        local=all(i.local for i in same),
        items=items,
    )


def _method_class(ctx: Ctx) -> Optional[ClassInfo]:
    return ctx.func.cls if ctx.func is not None else None




def _paths_of(summary) -> tuple:
    from sigpipe_lint.program.resolve import search_path

    return search_path(summary.path)


def _is_docstring(stmt) -> bool:
    return (
        isinstance(stmt, cst.SimpleStatementLine)
        and len(stmt.body) == 1
        and isinstance(stmt.body[0], cst.Expr)
        and isinstance(stmt.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


# Calls that copy a process's descriptors into another (a socketpair's end among them,
# unnamed): after one, a wake-up pair may have its other end in a child.
# (Sockets are not inherited through exec since Python 3.4 unless passed: `Popen`'s
# `pass_fds` names them by `fileno()`, which a reading end may call.)
_CHILD_SPAWNERS = ("fork", "forkpty", "Process", "Popen", "posix_spawn")
# What a wake-up pair's reading end may do without leaving the process.
_READING_METHODS = frozenset({"recv", "recv_into", "recvfrom", "fileno", "close", "setblocking", "settimeout", "getsockname", "shutdown"})
# Calls whose list arguments only watch what they hold.
_WATCHERS = frozenset({"select", "register", "unregister", "modify", "poll"})
_RECEIVING_METHODS = frozenset({"recv", "recv_into", "recvfrom"})


def _only_read(node: cst.CSTNode, texts: Set[str]) -> Dict[str, bool]:
    """For each dotted text (`self.done_sock`, `r`): whether it is read in `node` (a class
    or a function: recv'd, or watched by select()/a selector) and used there only so: as the
    receiver of a reading method, an item of a list given to a watcher call, or the target
    of an assignment; never passed, returned, stored, yielded. One walk for all."""
    read: Set[str] = set()
    misused: Set[str] = set()
    # (node, its ancestors as a linked list: (parent, (grandparent, ...)) or None)
    stack: List[tuple] = [(node, None)]
    while stack:
        n, up = stack.pop()
        t = type(n)
        if t is cst.Name or t is cst.Attribute:
            text = dotted(n)
            if text in texts:
                if not _reading_use(n, up, text, read):
                    misused.add(text)
                continue
        here = (n, up)
        stack.extend((c, here) for c in child_nodes(n))
    return {t: t in read and t not in misused for t in texts}


def _reading_use(node, up, text: str, read: Set[str]) -> bool:
    """Whether this use of `text` (`node`, below the ancestors `up`) is one a reading end
    may have; adds `text` to `read` when it reads."""
    parents = []
    above = up
    while above is not None and len(parents) < 3:
        parents.append(above[0])
        above = above[1]
    parent = parents[0] if parents else None
    if isinstance(parent, cst.Attribute) and parent.attr is node:
        return True  # `x.r`: another object's attribute of that name
    if isinstance(parent, cst.Attribute) and parent.value is node:
        call = parents[1] if len(parents) > 1 else None
        if parent.attr.value in _RECEIVING_METHODS:
            read.add(text)
        return parent.attr.value in _READING_METHODS and isinstance(call, cst.Call) and call.func is parent
    if isinstance(parent, cst.AssignTarget) or (isinstance(parent, cst.Element) and len(parents) > 2 and isinstance(parents[2], cst.AssignTarget)):
        return True  # (re)bound here: the socketpair() assignment, `self.r = None`
    if isinstance(parent, cst.Element):
        # [r, sock] given to select.select(), a selector's register(r, ...): the nearest
        # call around the list
        outer = up[1]  # from the list out
        while outer is not None:
            o = outer[0]
            if isinstance(o, cst.Call):
                name = o.func.attr.value if isinstance(o.func, cst.Attribute) else dotted(o.func)
                if name in _WATCHERS:
                    read.add(text)
                return name in _WATCHERS
            outer = outer[1]
        return False
    if isinstance(parent, cst.Arg):
        call = parents[1] if len(parents) > 1 else None
        name = call.func.attr.value if isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute) else None
        if name in _WATCHERS:
            read.add(text)
        return name in _WATCHERS
    return False


def _placeholder(value) -> bool:
    """A value an attribute is bound to until a subclass (or a later call) sets it: None,
    a number, a string, -1."""
    if isinstance(value, cst.UnaryOperation):
        value = value.expression
    return isinstance(value, (cst.Name, cst.Integer, cst.Float, cst.SimpleString)) and (
        not isinstance(value, cst.Name) or value.value in ("None", "False", "True")
    )
