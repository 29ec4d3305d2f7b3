"""Module facts, layer 2b: asyncio streams and the event loop's socket calls.

What CPython 3.11 does when the peer dies (docs semantics.md, facts 16-17, re-checked by
tests/runtime/test_async_semantics.py):

- `StreamWriter.write()`, `writelines()` and `write_eof()` never raise: they fill a buffer.
  `await writer.drain()` raises. For a FIN peer the first failing drain raises
  `ConnectionResetError('Connection lost')` and every later drain, and `wait_closed()`,
  `BrokenPipeError`; for an RST peer every one raises `ConnectionResetError`.
  So the drain is the write the engine reports, and `await writer.wait_closed()` in a
  function that wrote to a stream is one too.
- `await loop.sock_sendall(sock, data)` and `loop.sock_sendfile(sock, file)` raise like
  the plain socket calls.
- `loop.sendfile(writer.transport, file)` raises `BrokenPipeError` or `ConnectionError(
  'Connection closed by peer')`, then `RuntimeError('Transport is closing')`: its Write
  says so (`raises`), and catching the two usual exceptions does not handle it.
- A `Protocol`'s `transport.write()` never raises (the error goes to `connection_lost`):
  transports are never sockets here.

Values: `asyncio.open_connection()`/`open_unix_connection()` return a (reader, writer)
pair, SockInfo kind "streams"; item 1 is the writer, kind "stream". The parameters of a
`start_server`/`start_unix_server` callback are (reader, writer). Everything else (names,
attributes, helpers returning one, parameters filled by callers) is the socket layer's
inference, unchanged.

Callers: a coroutine's exception reaches whoever awaits it. `caller_contexts(func)` is
`call_sites(func)` seen through the ways asyncio runs a coroutine: a task made by
`create_task`/`ensure_future` raises where the task is awaited (nowhere: nobody catches
it); a `TaskGroup` task raises an `ExceptionGroup` out of the `async with` (only
`except*` or a handler catching `Exception` stops it); `gather(..., return_exceptions=True)`
returns the exception instead of raising it.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Dict, List, Optional, Tuple

import libcst as cst

from sigpipe_lint.facts.names import Ctx, FunctionInfo, Guard, Scope, arg_at, assigned_name, dotted, keyword_arg

STREAM_OPENERS = frozenset(
    {
        "asyncio.open_connection",
        "asyncio.open_unix_connection",
        "asyncio.streams.open_connection",
        "asyncio.streams.open_unix_connection",
    }
)
STREAM_SERVERS = frozenset(
    {
        "asyncio.start_server",
        "asyncio.start_unix_server",
        "asyncio.streams.start_server",
        "asyncio.streams.start_unix_server",
    }
)
STREAM_WRITER_TYPES = frozenset({"asyncio.StreamWriter", "asyncio.streams.StreamWriter"})
# Awaitables that return what their first argument returns.
PASS_THROUGH = frozenset({"asyncio.wait_for", "asyncio.shield"})
# StreamWriter methods that buffer and never raise; the drain after them does.
STREAM_BUFFER_METHODS = frozenset({"write", "writelines", "write_eof"})
# The StreamWriter calls that raise when the peer is gone.
STREAM_RAISING = frozenset({"drain", "wait_closed"})
# Event-loop methods that write to the socket given as their first argument.
LOOP_SOCKET_WRITES = {"sock_sendall": "sock", "sock_sendfile": "sock"}
# loop.sendfile(transport, ...) after the peer's death (tests/runtime/test_async_semantics.py):
# BrokenPipeError or ConnectionError('Connection closed by peer'), then RuntimeError('Transport
# is closing'). Both must be caught.
SENDFILE_RAISES = ("ConnectionError", "RuntimeError")
TASK_MAKERS = frozenset({"asyncio.create_task", "asyncio.ensure_future"})


# Where the exception goes out of a function that only a thread, a greenlet, a process, an
# executor or an event loop runs (names.runs_in).
_SPAWNED_ESCAPES = {
    "handler": (
        "out of this request handler: the server prints the traceback and keeps "
        "serving, but this client's response is cut short and the rest of the "
        "handler never runs"
    ),
    "thread": (
        "out of this thread: only the thread dies, with the traceback on stderr as the only "
        "sign, and the process goes on without it (it may even exit 0)"
    ),
    "greenlet": (
        "out of this greenlet: gevent prints the traceback and ends only this greenlet, and "
        "the program goes on without it"
    ),
    "process": (
        "out of this child process: it prints the traceback and exits with status 1, and "
        "the parent goes on without it"
    ),
    "executor": (
        "out of this executor task: the executor keeps it in the task's future, and it "
        "surfaces only where that future's result is asked for"
    ),
    "start_server callback": (
        "out of this start_server callback: asyncio logs 'Unhandled exception in "
        "client_connected_cb' and that client's conversation ends without cleanup"
    ),
    "unawaited task": (
        "out of a task that nothing awaits: asyncio logs 'Task exception was never "
        "retrieved' and the rest of the coroutine never runs"
    ),
    "callback": (
        "out of this event-loop callback: the loop logs 'Exception in callback' and goes "
        "on, and the rest of the callback never runs"
    ),
    "test": (
        "out of this test: the test runner records it as an error and goes on with the "
        "other tests, and the rest of this test never runs"
    ),
}
# Base classes whose `test*` methods a test runner calls (unittest's, under any alias).
_TEST_CASES = frozenset({
    "unittest.TestCase", "unittest.IsolatedAsyncioTestCase", "unittest.case.TestCase",
    "unittest.async_case.IsolatedAsyncioTestCase",
})


class StreamFacts:
    # -- values -----------------------------------------------------------------------

    def _stream_of_call(self, call: cst.Call, q: Optional[str], scope: Scope, depth: int, self_cls):
        """SockInfo of an asyncio call's result, or None when the call is not one of ours."""
        from sigpipe_lint.facts.sockets import SockInfo

        if q in STREAM_OPENERS:
            return SockInfo("streams", tls=keyword_arg(call, "ssl") is not None, origin=q + "()", stream=True)
        if q in PASS_THROUGH:
            # The keywords are wait_for(fut, timeout) and shield(arg) (the docs say `aw`).
            inner = arg_at(call, 0, "fut" if q == "asyncio.wait_for" else "arg")
            return self.sock_info(inner, scope, depth + 1, self_cls) if inner is not None else None
        if isinstance(call.func, cst.Attribute) and call.func.attr.value == "sock_accept":
            # conn, addr = await loop.sock_accept(server_socket)
            srv = arg_at(call, 0, "sock")
            info = self.sock_info(srv, scope, depth + 1, self_cls) if srv is not None else None
            if info is not None and info.kind == "socket" and not info.dgram:
                return dataclasses.replace(info, kind="pair", origin="sock_accept()", stream=True)
        return None

    def _stream_of_tuple(self, expr: cst.Tuple, scope: Scope, depth: int, self_cls):
        """`return reader, writer`: a tuple whose second item is a writer is a streams pair."""
        if len(expr.elements) < 2:
            return None
        second = self.sock_info(expr.elements[1].value, scope, depth + 1, self_cls)
        if second is not None and second.kind == "stream":
            return dataclasses.replace(second, kind="streams")
        return None

    def _stream_of_annotation(self, q: Optional[str]):
        from sigpipe_lint.facts.sockets import SockInfo

        if q in STREAM_WRITER_TYPES:
            return SockInfo("stream", origin=f"annotated {q}", stream=True)
        return None

    def _stream_callback_param(self, func: FunctionInfo, index: Optional[int]):
        """The writer parameter of a start_server callback (its second, after partial's)."""
        from sigpipe_lint.facts.sockets import SockInfo

        writer_index = self.stream_callbacks().get(id(func))
        if writer_index is None or index is None:
            return None
        if index == writer_index:
            return SockInfo("stream", origin="a start_server callback's writer", stream=True)
        return None

    def stream_callbacks(self) -> Dict[int, int]:
        """id(FunctionInfo) of each start_server callback -> the index of its writer
        parameter: 1, or after `functools.partial`'s arguments, or where a lambda
        `lambda r, w: handle(r, w, ...)` passes its second parameter."""
        cached = getattr(self, "_stream_cbs", None)
        if cached is not None:
            return cached
        out: Dict[int, int] = {}
        for name in ("start_server", "start_unix_server"):
            for call, ctx in self.calls_by_name.get(name, ()):
                if self.qname(call.func, ctx.scope) not in STREAM_SERVERS:
                    continue
                cb = arg_at(call, 0, "client_connected_cb")
                writer_index = 1
                if isinstance(cb, cst.Call) and self.qname(cb.func, ctx.scope) == "functools.partial":
                    args = [a for a in cb.args if a.keyword is None and not a.star]
                    if not args:
                        continue
                    cb, writer_index = args[0].value, len(args)
                elif isinstance(cb, cst.Lambda):
                    cb, writer_index = _lambda_forwarding(cb)
                    if cb is None:
                        continue
                for info in self._functions_named_by(cb, ctx):
                    index = writer_index if isinstance(writer_index, int) else _param_index(info, writer_index)
                    if index is not None:
                        out[id(info)] = index
        self._stream_cbs = out
        return out

    def _functions_named_by(self, expr, ctx: Ctx) -> List[FunctionInfo]:
        """The local functions an expression names: `handle`, `self.handle`."""
        if isinstance(expr, cst.Name):
            bs, _ = self.lookup(expr.value, ctx.scope)
            return [b.info for b in bs or () if b.kind == "def"]
        if isinstance(expr, cst.Attribute):
            cls = self._self_cls_of(expr.value, ctx.scope, None)
            if cls is not None:
                for c in [cls] + self._local_bases(cls):
                    m = c.methods.get(expr.attr.value)
                    if m is not None:
                        return [m]
        return []

    def is_stream_callback(self, func: Optional[FunctionInfo]) -> bool:
        return func is not None and id(func) in self.stream_callbacks()

    # -- writes -----------------------------------------------------------------------

    def _find_stream_writes(self) -> list:
        from sigpipe_lint.facts.sockets import Write

        out = []
        for method in ("drain", "wait_closed"):
            for call, ctx in self.calls_by_name.get(method, ()):
                func = call.func
                if not isinstance(func, cst.Attribute) or call.args or _not_awaited(call, ctx):
                    continue
                info = self._receiver_info(func.value, call, ctx)
                if info is None or info.kind != "stream":
                    continue
                if method == "wait_closed" and not self._writes_before_closing(func.value, ctx):
                    continue
                label = f"{dotted(func.value) or '<writer>'}.{method}()"
                out.append(Write(call, ctx, method, info, label))
        for method, keyword in LOOP_SOCKET_WRITES.items():
            for call, ctx in self.calls_by_name.get(method, ()):
                if not isinstance(call.func, cst.Attribute) or _not_awaited(call, ctx):
                    continue
                sock = arg_at(call, 0, keyword)
                if sock is None:
                    continue
                info = self.sock_info(sock, ctx.scope, self_cls=_method_class(ctx))
                if info is None or info.kind != "socket" or info.dgram:
                    continue
                label = f"{dotted(call.func.value) or '<loop>'}.{method}({dotted(sock) or 'sock'})"
                out.append(Write(call, ctx, method, info, label, target=sock))
        for call, ctx in self.calls_by_name.get("sendfile", ()):
            # loop.sendfile(writer.transport, file)
            transport = arg_at(call, 0, "transport")
            if (
                not isinstance(call.func, cst.Attribute)
                or not isinstance(transport, cst.Attribute)
                or transport.attr.value != "transport"
                or _not_awaited(call, ctx)
            ):
                continue
            info = self.sock_info(transport.value, ctx.scope, self_cls=_method_class(ctx))
            if info is None or info.kind != "stream":
                continue
            label = f"{dotted(call.func.value) or '<loop>'}.sendfile({dotted(transport) or 'transport'})"
            out.append(Write(call, ctx, "loop.sendfile", info, label, target=transport.value, raises=SENDFILE_RAISES))
        return out

    def _writes_before_closing(self, writer, ctx: Ctx, _depth: int = 3, _closer=None) -> bool:
        """Whether the function awaiting `writer.wait_closed()` wrote to a stream (or handed
        the writer to a helper), or the writer is one that was written to before: a
        `self.writer` that another method of the class writes to (a connection's
        `close()`), a parameter that every caller fills with a writer it wrote to (rcon's
        `close(writer)`). After writing to a dead peer, wait_closed() raises too."""
        if self._wrote_in(ctx.func):
            return True
        text = dotted(writer)
        if text is None or ctx.func is None:
            return False
        if isinstance(writer, cst.Attribute) and ctx.func.cls is not None:
            for method in STREAM_BUFFER_METHODS | {"drain"}:
                for call, c in self.calls_by_name.get(method, ()):
                    if (
                        c.func is not None and c.func.cls is ctx.func.cls and isinstance(call.func, cst.Attribute)
                        and dotted(call.func.value) == text
                    ):
                        return True
        if isinstance(writer, cst.Name) and _depth > 0:
            bs, _ = self.lookup(writer.value, ctx.scope)
            if bs and len(bs) == 1 and bs[0].kind == "param" and bs[0].info is ctx.func:
                _, passed = self._param_arguments(bs[0])
                if passed and all(
                    arg is not None and self._writes_before_closing(arg, c, _depth - 1, _closer=ctx.func) for arg, c in passed
                ):
                    return True
        return self._hands_on(text, ctx, _closer)

    def _wrote_in(self, func) -> bool:
        """Whether `func` writes to a stream (a buffer method or a drain on one)."""
        for method in STREAM_BUFFER_METHODS | {"drain"}:
            for call, c in self.calls_by_name.get(method, ()):
                if c.func is func and isinstance(call.func, cst.Attribute):
                    info = self._receiver_info(call.func.value, call, c)
                    if info is not None and info.kind == "stream":
                        return True
        return False

    def _hands_on(self, text: str, ctx: Ctx, closer=None) -> bool:
        """`await send(writer, data)` in the function: a local helper is handed the writer
        (other than `closer`, the helper that closes it, whose callers are being asked)."""
        for calls in self.calls_by_name.values():
            for call, c in calls:
                if c.func is ctx.func and any(dotted(a.value) == text for a in call.args):
                    if [f for f in self._functions_named_by(call.func, c) if f is not closer]:
                        return True
        return False

    def escape_of(self, write, sites=None) -> Optional[str]:
        """For messages, where a dead peer's exception goes when it is not the program's
        end: out of an asyncio start_server callback, which asyncio logs (semantics.md 17);
        out of a request handler, whose server (socketserver and http.server through
        `handle_error`, gevent's StreamServer) prints the traceback and goes on serving the
        other clients (14); out of a function that only a thread (13), a greenlet, a
        process, an executor or an event loop of the module runs (`runs_in`). None: the
        program crashes, or the module cannot tell where the write runs. SPL001 (through
        `write_outcome`), SPL003 and SPL004 all say it. `sites`: as for `runs_in`."""
        if write.receiver.handler:
            return _SPAWNED_ESCAPES["handler"]
        if self.in_fork_child(write.ctx):
            return _SPAWNED_ESCAPES["process"]
        func = write.ctx.func
        if func is not None and _is_coroutine(func) and self.call_sites(func) and not self.caller_contexts(func):
            return _SPAWNED_ESCAPES["unawaited task"]  # every call made a task nobody awaits
        spawned = _SPAWNED_ESCAPES.get(self.runs_in(func, sites))
        if spawned is None and func is not None and self.is_test_function(func):
            return _SPAWNED_ESCAPES["test"]
        return spawned

    def is_test_function(self, func) -> bool:
        """A function a test runner calls, in a test module (a tests folder, `test_*.py`):
        a module-level `test*` function (pytest), or a `test*` method of a class named
        `Test*` (pytest) or of a `unittest.TestCase` subclass (here or through bases
        elsewhere). Its exception is the runner's to report: the test errors, the run goes on."""
        if not func.name.startswith("test") or not self.file:
            return False
        from sigpipe_lint.program.resolve import project_root
        from sigpipe_lint.program.view import is_test_file

        path = os.path.abspath(self.file)
        if not is_test_file(path, project_root(os.path.dirname(path))):
            return False
        if func.cls is None:
            return func.outer.kind == "module"
        return func.cls.outer.kind == "module" and (func.cls.name.startswith("Test") or self._inherits(func.cls, _TEST_CASES))

    def write_outcome(self, write, sites=None) -> Optional[str]:
        """What a dead peer does to this write, when it differs from a crash with a
        BrokenPipeError/ConnectionResetError traceback (for SPL001's message): what
        `loop.sendfile` raises, or where the exception goes (`escape_of`)."""
        if write.method == "loop.sendfile":
            return (
                "when the peer dies it raises BrokenPipeError or ConnectionError('Connection "
                "closed by peer'), then RuntimeError('Transport is closing'), and the program "
                "crashes with a traceback"
            )
        escape = self.escape_of(write, sites)
        if escape is not None:
            return f"when the peer dies it raises {' or '.join(write.raises)} {escape}"
        return None

    # -- callers of coroutines --------------------------------------------------------

    def caller_contexts(self, func: FunctionInfo) -> List[Tuple[cst.Call, Ctx]]:
        """Where an exception of `func` surfaces: its call sites, or, for a coroutine run as
        a task, where the task is awaited (with the guards that can catch it there)."""
        sites = self.call_sites(func)
        if not _is_coroutine(func):
            return sites
        return [where for call, ctx in sites for where in self.surfacing(func, call, ctx)]

    def surfacing(self, func: FunctionInfo, call: cst.Call, ctx: Ctx) -> List[Tuple[cst.Call, Ctx]]:
        """Where an exception of `func` surfaces for one call of it (`caller_contexts` for
        a call found some other way): the call itself, or for a coroutine, where the task it
        becomes is awaited (none: a task nobody awaits)."""
        if _is_coroutine(func):
            return self._where_coroutine_raises(call, ctx)
        return [(call, ctx)]

    def _where_coroutine_raises(self, call: cst.Call, ctx: Ctx) -> List[Tuple[cst.Call, Ctx]]:
        parent = _enclosing_call(ctx.stmt, call) if ctx.stmt is not None else None
        if parent is None:
            return [(call, ctx)]
        q = self.qname(parent.func, ctx.scope)
        if q == "asyncio.gather":
            flag = keyword_arg(parent, "return_exceptions")
            if isinstance(flag, cst.Name) and flag.value == "True":
                # the exception is returned as a result: nothing raises
                return [(call, ctx.replace(guards=ctx.guards + (Guard(parent, [None], ctx.scope),)))]
            return [(call, ctx)]
        if not (isinstance(parent.func, cst.Attribute) and parent.func.attr.value in ("create_task", "ensure_future")) and q not in TASK_MAKERS:
            return [(call, ctx)]
        group = self._task_group_ctx(parent, ctx)
        if group is not None:
            return [(call, group)]
        return [(call, c) for c in self._task_awaits(parent, ctx)]

    def _task_group_ctx(self, maker: cst.Call, ctx: Ctx) -> Optional[Ctx]:
        """For `tg.create_task(coro)` inside `async with asyncio.TaskGroup() as tg`: the
        context of the `async with`, keeping only the guards that catch an ExceptionGroup."""
        if not (isinstance(maker.func, cst.Attribute) and isinstance(maker.func.value, cst.Name)):
            return None
        bs, _ = self.lookup(maker.func.value.value, ctx.scope)
        if not bs or len(bs) != 1 or bs[0].kind != "value" or not isinstance(bs[0].value, cst.Call):
            return None
        made = bs[0].value
        for c_call, c_ctx in self.calls_by_name.get("TaskGroup", ()):
            if c_call is made and self.qname(c_call.func, c_ctx.scope) == "asyncio.TaskGroup":
                guards = []
                for g in c_ctx.guards:
                    if isinstance(g.node, cst.TryStar):
                        guards.append(g)
                    else:
                        types = [t for t in g.types if not isinstance(t, tuple) and self._catches_group(t, g.scope)]
                        if types:
                            guards.append(Guard(g.node, types, g.scope))
                return c_ctx.replace(guards=tuple(guards))
        return None

    def _catches_group(self, handler_type, scope: Scope) -> bool:
        if handler_type is None:
            return True
        wanted = {"builtins.Exception", "builtins.BaseException", "builtins.ExceptionGroup", "builtins.BaseExceptionGroup"}
        return any(self.qname(e, s) in wanted for e, s in self.value_exprs(handler_type, scope))

    def _task_awaits(self, maker: cst.Call, ctx: Ctx) -> List[Ctx]:
        """`task = asyncio.create_task(coro)`: the contexts where `task` is awaited (directly,
        or through gather/wait_for/shield). A task nobody awaits raises nowhere anyone
        catches: asyncio logs 'Task exception was never retrieved'."""
        name = assigned_name(ctx.stmt, maker)
        if name is None:
            return []
        bs, bscope = self.lookup(name, ctx.scope)
        if not bs:
            return []
        out = []
        for node, c in getattr(self, "awaits", ()):
            for e in _awaited_names(node.expression):
                if e.value == name:
                    bs2, s2 = self.lookup(name, c.scope)
                    if bs2 is bs:
                        out.append(c)
        return out


def _lambda_forwarding(lam: cst.Lambda):
    """`lambda r, w: handle(r, w, extra)`: (the called function's expression, the position
    the lambda's second parameter takes in that call, or the keyword it is passed by:
    `lambda r, w: handle(r, writer=w)`), or (None, None)."""
    params = list(lam.params.posonly_params) + list(lam.params.params)
    body = lam.body
    if len(params) != 2 or not isinstance(body, cst.Call):
        return None, None
    writer = params[1].name.value
    for i, a in enumerate(body.args):
        if a.star:
            break  # *args: the places after it are unknown
        if isinstance(a.value, cst.Name) and a.value.value == writer:
            return body.func, (i if a.keyword is None else a.keyword.value)
    return None, None


def _param_index(func: FunctionInfo, name: str) -> Optional[int]:
    """The position (self not counted) of the positional parameter `name` of `func`."""
    for b in func.scope.bindings.get(name, ()):
        if b.kind == "param" and b.index is not None:
            return b.index
    return None


def _is_coroutine(func: FunctionInfo) -> bool:
    return isinstance(func.node, cst.FunctionDef) and func.node.asynchronous is not None


def _not_awaited(call: cst.Call, ctx: Ctx) -> bool:
    """`w.drain()` as a bare statement only makes a coroutine object: it never runs."""
    stmt = ctx.stmt
    if isinstance(stmt, cst.SimpleStatementLine):
        return any(isinstance(s, cst.Expr) and s.value is call for s in stmt.body)
    return False


def _method_class(ctx: Ctx):
    return ctx.func.cls if ctx.func is not None else None


_EXPR_SKIP = (cst.IndentedBlock, cst.SimpleStatementSuite, cst.FunctionDef, cst.ClassDef, cst.Lambda)


def _enclosing_call(stmt, target: cst.Call) -> Optional[cst.Call]:
    """The call that has `target` as one of its arguments, in the statement's own
    expressions (not in nested blocks)."""
    stack = [stmt]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Call):
            for a in node.args:
                if a.value is target:
                    return node
        for child in node.children:
            if not isinstance(child, _EXPR_SKIP):
                stack.append(child)
    return None


def _awaited_names(expr) -> List[cst.Name]:
    """Names awaited by an `await` expression: `await t`, `await gather(t1, t2)`,
    `await wait_for(t, 5)`, `await shield(t)`."""
    if isinstance(expr, cst.Name):
        return [expr]
    if isinstance(expr, cst.Call):
        return [a.value for a in expr.args if isinstance(a.value, cst.Name) and a.keyword is None]
    return []
