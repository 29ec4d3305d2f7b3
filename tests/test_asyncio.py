"""asyncio streams (issue 11): what is a stream, which call is the write, which caller counts.

Each negative case has a positive twin that differs only in what the case is about, so a
negative cannot pass because the engine saw nothing at all.
"""

import textwrap

import pytest

from expectations import FIXTURES, all_codes, expected_findings
from sigpipe_lint.engine import analyze_source
from sigpipe_lint.prefilter import may_match


def findings(source, codes=None):
    result = analyze_source(textwrap.dedent(source).encode(), "t.py", codes or all_codes())
    assert result.error is None, result.error
    return sorted((f.line, f.code) for f in result.findings)


CLIENT = """
import asyncio
async def main(host, port):
    reader, writer = await asyncio.open_connection(host, port)
    for i in range(10):
        writer.write(b"x")
        {await_}writer.drain()
"""


def test_the_drain_is_reported_not_the_write():
    assert findings(CLIENT.format(await_="await ")) == [(7, "SPL001")]


def test_a_drain_never_awaited_is_not_a_write():
    assert findings(CLIENT.format(await_="")) == []


# (case, the guarded source, the same source with the guard removed or made partial)
TWINS = {
    "except ConnectionError around the loop": (
        """
        import asyncio
        async def main(host, port):
            _, w = await asyncio.open_connection(host, port)
            try:
                while True:
                    w.write(b"x")
                    await w.drain()
            except {exc}:
                pass
        """,
        {"ConnectionError": [], "ValueError": [(8, "SPL001")]},
    ),
    "a guard around an async with block": (
        """
        import asyncio
        async def main(host, port):
            _, w = await asyncio.open_connection(host, port)
            try:
                async with asyncio.timeout(5):
                    w.write(b"x")
                    await w.drain()
            except {exc}:
                pass
        """,
        {"OSError": [], "TimeoutError": [(8, "SPL001")]},
    ),
    "an awaited task whose caller catches OSError": (
        """
        import asyncio
        async def pump(w):
            w.write(b"x")
            await w.drain()
        async def main(host, port):
            _, w = await asyncio.open_connection(host, port)
            task = asyncio.create_task(pump(w))
            try:
                await task
            except {exc}:
                pass
        """,
        {"OSError": [], "KeyError": [(5, "SPL001")]},
    ),
    "a task never awaited raises where nobody catches": (
        """
        import asyncio
        async def pump(w):
            w.write(b"x")
            await w.drain()
        async def main(host, port):
            _, w = await asyncio.open_connection(host, port)
            try:
                {stmt}
            except OSError:
                pass
        """,
        {"await pump(w)": [], "asyncio.create_task(pump(w))": [(5, "SPL004")]},
    ),
    "a TaskGroup raises an ExceptionGroup: except* catches it, except does not": (
        """
        import asyncio
        async def pump(w):
            w.write(b"x")
            await w.drain()
        async def main(host, port):
            _, w = await asyncio.open_connection(host, port)
            try:
                async with asyncio.TaskGroup() as tg:
                    tg.create_task(pump(w))
            {exc}
                pass
        """,
        {"except* OSError:": [], "except Exception:": [], "except:": [], "except OSError:": [(5, "SPL004")]},
    ),
    "gather(return_exceptions=True) returns the exception": (
        """
        import asyncio
        async def pump(w):
            w.write(b"x")
            await w.drain()
        async def main(host, port):
            _, w = await asyncio.open_connection(host, port)
            await asyncio.gather(pump(w), return_exceptions={exc})
        """,
        {"True": [], "False": [(5, "SPL001")]},  # SPL001 too skips a write every caller handles
    ),
    "a Protocol's transport.write() never raises": (
        """
        import asyncio
        async def main(host, port):
            reader, writer = await asyncio.open_connection(host, port)
            {stmt}
        """,
        {"writer.transport.write(b'x')": [], "await writer.drain()": [(5, "SPL001")]},
    ),
    "wait_closed() raises only after writing": (
        """
        import asyncio
        async def main(host, port):
            reader, writer = await asyncio.open_connection(host, port)
            {stmt}
            writer.close()
            await writer.wait_closed()
        """,
        {"await reader.read(10)": [], "writer.write(b'x')": [(7, "SPL001")]},
    ),
    "sock_sendall on a stream socket, not on a datagram one": (
        """
        import asyncio, socket
        async def main(loop):
            s = socket.socket(socket.AF_INET, {exc})
            await loop.sock_sendall(s, b"x")
        """,
        {"socket.SOCK_DGRAM": [], "socket.SOCK_STREAM": [(5, "SPL001")]},
    ),
    "loop.sendfile raises ConnectionError and RuntimeError, not only the usual two": (
        """
        import asyncio
        async def main(loop, host, port, f):
            _, w = await asyncio.open_connection(host, port)
            try:
                await loop.sendfile(w.transport, f)
            except {exc}:
                pass
        """,
        {
            "(ConnectionError, RuntimeError)": [],
            "Exception": [],
            "(BrokenPipeError, ConnectionResetError)": [(6, "SPL004")],
            "ConnectionError": [(6, "SPL004")],
        },
    ),
    # The cases below came from a mutation run over facts/streams.py (benchmarks/mutation.py).
    "asyncio.streams spells the openers too": (
        """
        import asyncio
        {stmt}
        async def main(path):
            _, w = await open_unix_connection(path)
            w.write(b"x")
            await w.drain()
        """,
        {
            "from asyncio import open_unix_connection": [(7, "SPL001")],
            "from asyncio.streams import open_unix_connection": [(7, "SPL001")],
            "from mylib import open_unix_connection": [],
        },
    ),
    "a start_server callback through asyncio.streams": (
        """
        import asyncio, asyncio.streams
        async def handle(reader, writer):
            writer.write(b"x")
            await writer.drain()
        async def main(path):
            await {stmt}(handle, path)
        """,
        {
            "asyncio.streams.start_server": [(5, "SPL001")],
            "asyncio.streams.start_unix_server": [(5, "SPL001")],
            "asyncio.get_running_loop().create_server": [],  # a protocol factory: no writer
        },
    ),
    "a writer annotated through asyncio.streams": (
        """
        import asyncio.streams
        async def push(w: {exc}):
            w.write(b"x")
            await w.drain()
        """,
        {
            "asyncio.streams.StreamWriter": [(5, "SPL001")],
            "asyncio.StreamWriter": [(5, "SPL001")],
            "asyncio.streams.StreamReader": [],
        },
    ),
    "wait_for and shield hand on what their awaitable returns, keyword or not": (
        """
        import asyncio
        async def main(host, port):
            _, w = await {stmt}
            w.write(b"x")
            await w.drain()
        """,
        {
            "asyncio.wait_for(asyncio.open_connection(host, port), 5)": [(6, "SPL001")],
            "asyncio.wait_for(fut=asyncio.open_connection(host, port), timeout=5)": [(6, "SPL001")],
            "asyncio.shield(arg=asyncio.open_connection(host, port))": [(6, "SPL001")],
            "asyncio.wait_for(fut=open_elsewhere(host, port), timeout=5)": [],
        },
    ),
    "a lambda callback hands its writer on by place or by keyword": (
        """
        import asyncio
        async def session(reader, writer=None, *, log=None):
            writer.write(b"x")
            await writer.drain()
        async def main():
            await asyncio.start_server(lambda r, w: {stmt}, "127.0.0.1", 0)
        """,
        {
            "session(r, w)": [(5, "SPL001")],
            "session(r, writer=w)": [(5, "SPL001")],
            "session(reader=r, writer=w)": [(5, "SPL001")],
            "session(w, r)": [],  # the writer lands in `reader`: `writer` is the reader
            "session(r, log=w)": [],
            "session(r, None)": [],  # no writer handed on
            "None": [],
        },
    ),
    "functools.partial: the writer comes after the positional arguments bound, not the keywords": (
        """
        import asyncio, functools
        async def banner(reader, writer, text=b""):
            writer.write(text)
            await writer.drain()
        async def main():
            await asyncio.start_server({stmt}, "127.0.0.1", 0)
        """,
        {
            "functools.partial(banner, text=b'hi')": [(5, "SPL001")],
            "functools.partial(banner, None)": [],  # the writer lands in `text`
        },
    ),
    "create_task imported from asyncio; wait_for and shield raise in their awaiter": (
        """
        import asyncio
        from asyncio import create_task, ensure_future
        async def pump(w):
            w.write(b"x")
            await w.drain()
        async def main(host, port):
            _, w = await asyncio.open_connection(host, port)
            try:
                {stmt}
            except OSError:
                pass
        """,
        {
            "await pump(w)": [],
            "await asyncio.wait_for(pump(w), 5)": [],
            "await asyncio.shield(pump(w))": [],
            "create_task(pump(w))": [(6, "SPL004")],
            "ensure_future(pump(w))": [(6, "SPL004")],
        },
    ),
    "a task made by a loop nothing in the module binds (a star import)": (
        """
        import asyncio
        from runner import *
        async def pump(w):
            w.write(b"x")
            await w.drain()
        async def main(host, port):
            _, w = await asyncio.open_connection(host, port)
            task = LOOP.create_task(pump(w))
            try:
                await task
            except {exc}:
                pass
        """,
        {"OSError": [], "KeyError": [(6, "SPL001")]},
    ),
    "a loop's task is awaited where it is, whatever TaskGroup the module has elsewhere": (
        """
        import asyncio
        async def pump(w):
            w.write(b"x")
            await w.drain()
        async def other():
            async with asyncio.TaskGroup() as tg:
                tg.create_task(asyncio.sleep(1))
        async def main(host, port):
            _, w = await asyncio.open_connection(host, port)
            loop = asyncio.get_running_loop()
            task = loop.create_task(pump(w))
            try:
                await task
            except {exc}:
                pass
        """,
        {"OSError": [], "KeyError": [(5, "SPL001")]},
    ),
    "loop.sendfile runs only when awaited, and only on a known stream's transport": (
        """
        import asyncio
        async def main(loop, host, port, f, t):
            _, w = await asyncio.open_connection(host, port)
            {stmt}
        """,
        {
            "await loop.sendfile(w.transport, f)": [(5, "SPL001")],
            "loop.sendfile(w.transport, f)": [],  # a coroutine object that never runs
            "await loop.sendfile(t.transport, f)": [],  # nothing says what `t` is
        },
    ),
    "a task bound with an annotation is awaited by that name": (
        """
        import asyncio
        async def pump(w):
            w.write(b"x")
            await w.drain()
        async def main(host, port):
            _, w = await asyncio.open_connection(host, port)
            task: asyncio.Task = asyncio.create_task(pump(w))
            try:
                await task
            except {exc}:
                pass
        """,
        {"OSError": [], "KeyError": [(5, "SPL001")]},
    ),
    "a method's loop writes to the socket and the stream its class holds": (
        """
        import asyncio, socket
        class Link:
            def __init__(self, host, port):
                self.sock = socket.create_connection((host, port))
            async def open(self, host, port):
                _, self.writer = await asyncio.open_connection(host, port)
            async def push(self, loop, f):
                {stmt}
        """,
        {
            "await loop.sock_sendall(self.sock, b'x')": [(9, "SPL001")],
            "await loop.sendfile(self.writer.transport, f)": [(9, "SPL001")],
            "await loop.sock_sendall(self.other, b'x')": [],
        },
    ),
    "a task awaited directly or through gather and wait_for": (
        """
        import asyncio
        async def pump(w):
            w.write(b"x")
            await w.drain()
        async def main(host, port):
            _, w = await asyncio.open_connection(host, port)
            task = asyncio.create_task(pump(w))
            try:
                {stmt}
            except OSError:
                pass
        """,
        {
            "await task": [],
            "await asyncio.gather(task)": [],
            "await asyncio.wait_for(task, 5)": [],
            "await asyncio.sleep(1)": [(5, "SPL004")],  # the task is never awaited
        },
    ),
    "start_server's callback is a function of ours, or nothing known": (
        """
        import asyncio
        async def handle(reader, writer):
            writer.write(b"x")
            await writer.drain()
        async def main(path, registry):
            await asyncio.start_unix_server({stmt}, path)
        """,
        {"handle": [(5, "SPL001")], "registry.handle": [], "registry.handler()": []},
    ),
    "wait_closed() on a writer without a name raises only after writing": (
        """
        import asyncio
        def log(text):
            print(text)
        async def main(host, port):
            pair = await asyncio.open_connection(host, port)
            {stmt}
            pair[1].close()
            await pair[1].wait_closed()
        """,
        {"log('bye')": [], "pair[1].write(b'x')": [(9, "SPL001")]},
    ),
    "wait_closed() after handing the writer to a helper that writes": (
        """
        import asyncio
        async def send(w, data):
            w.write(data)
        async def main(host, port):
            _, writer = await asyncio.open_connection(host, port)
            {stmt}
            writer.close()
            await writer.wait_closed()
        """,
        {"await send(writer, b'x')": [(9, "SPL001")], "print(writer)": []},
    ),
    "wait_closed() in a close() method, after another method wrote to the same writer": (
        # mcstatus (holdout 4): `close()` of a connection class awaits `self.writer.wait_closed()`
        """
        import asyncio
        class Conn:
            async def connect(self, host, port):
                self.reader, self.writer = await asyncio.open_connection(host, port)
            async def talk(self):
                {stmt}
            async def close(self):
                self.writer.close()
                await self.writer.wait_closed()
        """,
        {"self.writer.write(b'x')": [(10, "SPL001")], "await self.reader.read(10)": []},
    ),
    "wait_closed() in a helper that every caller hands a writer it wrote to": (
        # rcon (holdout 4): `async def close(writer)`, called after the exchange
        """
        import asyncio
        async def close(writer):
            writer.close()
            await writer.wait_closed()
        async def main(host, port):
            reader, writer = await asyncio.open_connection(host, port)
            {stmt}
            await close(writer)
        """,
        {"writer.write(b'x')": [(5, "SPL001")], "await reader.read(10)": []},
    ),
    "loop.sock_sendall needs a known socket": (
        """
        import asyncio, socket
        async def main(loop, s):
            {stmt}
            await loop.sock_sendall(s, b"x")
        """,
        {"s = socket.socket()": [(5, "SPL001")], "pass": []},
    ),
}


def test_messages_name_the_write_and_what_a_dead_peer_does_there():
    source = """
    import asyncio
    async def handle(reader, writer):
        writer.write(b"x")
        await writer.drain()
    async def main(loop, host, port, f):
        await asyncio.start_server(handle, "127.0.0.1", 0)
        _, w = await asyncio.open_connection(host, port)
        w.write(b"x")
        await w.drain()
        await loop.sendfile(w.transport, f)
    """
    # SPL001's message says what a dead peer does at each write (facts.write_outcome).
    result = analyze_source(textwrap.dedent(source).encode(), "t.py", ["SPL001"])
    messages = {f.line: f.message for f in result.findings}
    assert sorted(messages) == [5, 10, 11]
    callback, client, sendfile = messages[5], messages[10], messages[11]
    assert callback.startswith("writer.drain() ") and "client_connected_cb" in callback
    assert client.startswith("w.drain() ") and "client_connected_cb" not in client
    assert "BrokenPipeError or ConnectionResetError" in client and "RuntimeError" not in client
    assert sendfile.startswith("loop.sendfile(w.transport) ")
    assert "RuntimeError('Transport is closing')" in sendfile and "client_connected_cb" not in sendfile
    # The advice names what must be caught there: catching the usual two does not handle sendfile.
    assert client.endswith("; catch (BrokenPipeError, ConnectionResetError) around it")
    assert sendfile.endswith("; catch (ConnectionError, RuntimeError) around it")


@pytest.mark.parametrize("case", list(TWINS))
def test_twins(case):
    template, variants = TWINS[case]
    for fill, expected in variants.items():
        source = template.replace("{exc}", fill).replace("{stmt}", fill)
        assert findings(source) == expected, (case, fill)


def test_start_server_callbacks_writer_is_a_stream():
    source = """
    import asyncio, functools
    async def handle(reader, writer):
        writer.write(b"x")
        await writer.drain()
    async def banner(text, reader, writer):
        writer.write(text)
        await writer.drain()
    async def session(db, writer, reader):
        writer.write(b"x")
        await writer.drain()
    async def main():
        await asyncio.start_server(handle, "127.0.0.1", 0)
        await asyncio.start_server(functools.partial(banner, b"hi"), "127.0.0.1", 0)
        await asyncio.start_server(lambda r, w: session(None, w, r), "127.0.0.1", 0)
    """
    assert findings(source, ["SPL004"]) == [(5, "SPL004"), (8, "SPL004"), (11, "SPL004")]
    # The same coroutine not registered as a callback: nothing says `writer` is a stream.
    assert findings(source.replace("await asyncio.start_server", "print"), ["SPL004"]) == []


def test_spl003_both_directions_and_their_safe_fixes():
    source = textwrap.dedent(
        """
        import asyncio
        async def main(host, port):
            _, w = await asyncio.open_connection(host, port)
            w.write(b"x")
            try:
                await w.drain()
            except BrokenPipeError:
                pass
            w.close()
            try:
                await w.wait_closed()
            except ConnectionResetError:
                pass
        """
    ).encode()
    found = analyze_source(source, "t.py", ["SPL003"]).findings
    assert [(f.line, f.code) for f in found] == [(8, "SPL003"), (13, "SPL003")]
    result = analyze_source(source, "t.py", ["SPL003"], fix="safe")
    fixed = result.fixed_source.decode()
    assert "except (BrokenPipeError, ConnectionResetError):" in fixed
    assert "except (ConnectionResetError, BrokenPipeError):" in fixed
    assert analyze_source(result.fixed_source, "t.py", all_codes()).findings == []


def test_spl003_on_plain_sockets_is_unchanged():
    """ConnectionResetError alone around a plain socket write is not SPL003's business."""
    source = """
    import socket
    s = socket.create_connection(("h", 1))
    try:
        s.sendall(b"x")
    except ConnectionResetError:
        pass
    """
    assert findings(source, ["SPL003"]) == []


def test_prefilter_keeps_every_async_fixture_with_findings():
    positives = [p for p in sorted((FIXTURES / "static").glob("async_*.py")) if expected_findings(p)]
    assert len(positives) >= 6
    for path in positives:
        assert may_match(path.read_bytes()), path
    assert not may_match(b"import asyncio\nasync def f(q):\n    await q.join()\n")


def test_a_stream_from_another_module_is_followed(tmp_path, capsys):
    """The program view summarises a module that imports asyncio (no project file here)."""
    import json

    from sigpipe_lint.cli import main

    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "net.py").write_text(
        "import asyncio\n\n\nasync def connect(host, port):\n    return await asyncio.open_connection(host, port)\n"
    )
    (pkg / "app.py").write_text(
        "import asyncio\nfrom pkg.net import connect\n\n\nasync def main():\n"
        "    reader, writer = await connect('h', 1)\n    writer.write(b'x')\n    await writer.drain()\n"
    )
    capsys.readouterr()
    status = main(["check", str(pkg), "--select", "SPL", "--output-format", "json", "--no-cache", "--jobs", "1"])
    found = [(item["path"].rsplit("/", 1)[-1], item["line"], item["code"]) for item in json.loads(capsys.readouterr().out)]
    assert (status, found) == (1, [("app.py", 8, "SPL001")])
# ---------------------------------------------------------------------------------------
# Fixes: the conversation's owner closes the writer and waits for it, quietly
# ---------------------------------------------------------------------------------------


def _fix(source, codes=("SPL001", "SPL004")):
    source = textwrap.dedent(source).encode()
    result = analyze_source(source, "t.py", list(codes), fix="unsafe")
    assert result.error is None, result.error
    return result


def test_fixed_client_closes_and_waits_under_suppress_and_rechecks_clean():
    result = _fix(
        """
        import asyncio
        async def main(host, port):
            reader, writer = await asyncio.open_connection(host, port)
            for i in range(3):
                writer.write(b"x")
                await writer.drain()
            writer.close()
            await writer.wait_closed()
            print("client done")
        """
    )
    fixed = result.fixed_source.decode()
    assert "    except (BrokenPipeError, ConnectionResetError) as exc:\n" in fixed
    assert (
        "        writer.close()\n"
        "        with contextlib.suppress(OSError):\n"
        "            await writer.wait_closed()\n"
        '    print("client done")\n'
    ) in fixed, fixed
    # The range holds the loop and the closing wait_closed(): nothing after it writes.
    assert fixed.index("    try:\n") < fixed.index("for i in range(3)") < fixed.index("        await writer.wait_closed()\n    except")
    assert analyze_source(result.fixed_source, "t.py", all_codes()).findings == []


def test_fixed_helper_coroutine_is_wrapped_at_its_owner():
    result = _fix(
        """
        import asyncio
        async def send(writer, data):
            writer.write(data)
            await writer.drain()
        async def main(host, port):
            _, writer = await asyncio.open_connection(host, port)
            for i in range(3):
                await send(writer, b"x")
        """
    )
    fixed = result.fixed_source.decode()
    helper, owner = fixed.split("async def main")
    assert "try:" not in helper and "try:" in owner, fixed
    assert analyze_source(result.fixed_source, "t.py", all_codes()).findings == []


def test_fixed_start_server_callback_ends_that_connection_only():
    result = _fix(
        """
        import asyncio
        async def handle(reader, writer):
            writer.write(b"hello")
            await writer.drain()
        async def main():
            server = await asyncio.start_server(handle, "127.0.0.1", 0)
            async with server:
                await server.serve_forever()
        """
    )
    fixed = result.fixed_source.decode()
    handle, main = fixed.split("async def main")
    assert "except (BrokenPipeError, ConnectionResetError)" in handle and "await writer.wait_closed()" in handle
    assert "try:" not in main, "the server's loop is not the conversation: it goes on serving"
    assert analyze_source(result.fixed_source, "t.py", all_codes()).findings == []


def test_loop_sendfile_gets_no_automatic_fix_and_says_why():
    source = textwrap.dedent(
        """
        import asyncio
        async def main(loop, host, port, f):
            _, w = await asyncio.open_connection(host, port)
            await loop.sendfile(w.transport, f)
        """
    ).encode()
    result = analyze_source(source, "t.py", ["SPL004"])
    [finding] = result.findings
    assert finding.fix is not None and finding.fix.applicability == "none"
    assert "ConnectionError and RuntimeError" in finding.fix.message
    assert analyze_source(source, "t.py", ["SPL004"], fix="unsafe").fixed_source is None


def test_a_lambda_callback_is_fixed_in_the_coroutine_it_forwards_to():
    result = _fix(
        """
        import asyncio
        async def session(db, writer, reader):
            writer.write(b"x")
            await writer.drain()
        async def main():
            await asyncio.start_server(lambda r, w: session(None, w, r), "127.0.0.1", 0)
        """,
        ("SPL004",),
    )
    fixed = result.fixed_source.decode()
    session, main = fixed.split("async def main")
    assert "writer.close()" in session and "await writer.wait_closed()" in session, fixed
    assert analyze_source(result.fixed_source, "t.py", ["SPL004"]).findings == []


BROADCAST = """
import asyncio


class Server:
    def __init__(self):
        self.writers = []

    async def broadcast(self, message):
        for writer in self.writers:
            writer.write(message)
            await writer.drain()

    async def on_connect(self, reader, writer):
        self.writers.append(writer)
        message = await reader.readline()
        try:
            {call}
        except Exception:
            pass

    async def main(self):
        server = await asyncio.start_server(self.on_connect, port=8888)
        await server.serve_forever()
"""


@pytest.mark.parametrize("call, reported, says", [
    # a task that nobody awaits: the try around create_task catches nothing of it
    ("self.loop.create_task(self.broadcast(message))", True, "out of a task that nothing awaits: asyncio logs 'Task exception was never retrieved'"),
    ("asyncio.create_task(self.broadcast(message))", True, "out of a task that nothing awaits"),
    # the twin: awaited inside the try, the except catches both
    ("await self.broadcast(message)", False, None),
    ("await asyncio.gather(self.broadcast(message))", False, None),
])
def test_a_method_coroutine_made_a_task_is_not_guarded_where_the_task_is_made(call, reported, says):
    # kaitlynia/uwuchat (holdout 2): `self.loop.create_task(self.broadcast(m))` inside a
    # bare try. The fixer's callers (methods called on instances) had added that call back
    # as a guarded caller, so the drain was never reported.
    source = textwrap.dedent(BROADCAST.format(call=call)).encode()
    result = analyze_source(source, "t.py", all_codes())
    assert result.error is None
    got = [(f.line, f.code, f.message) for f in result.findings]
    if not reported:
        assert got == []
        return
    assert [(line, code) for line, code, _ in got] == [(12, "SPL004")]
    assert says in got[0][2] and "crashes" not in got[0][2]


def test_a_helper_awaited_only_by_a_start_server_callback_says_asyncio_logs_it():
    # The callback awaits the helper without a guard: the helper's exception leaves the
    # callback, which asyncio logs (semantics.md 17); the program does not crash.
    source = textwrap.dedent(BROADCAST.format(call="pass").replace(
        "        message = await reader.readline()\n", "        message = await reader.readline()\n        await self.broadcast(message)\n"
    )).encode()
    result = analyze_source(source, "t.py", all_codes())
    # SPL004: the module's `except Exception` (around `pass`) silences SPL001
    assert [(f.line, f.code) for f in result.findings] == [(12, "SPL004")]
    assert "it is raised out of this start_server callback: asyncio logs" in result.findings[0].message


HUB = """
import asyncio


class Hub:
    async def send_to(self, writer: asyncio.StreamWriter, message):
        writer.write(message)
        await writer.drain()


class Server:
    def __init__(self):
        self.hub = Hub()

    async def on_connect(self, reader, writer):
        message = await reader.readline()
        try:
            {call}
        except Exception:
            pass

    async def main(self):
        server = await asyncio.start_server(self.on_connect, port=8888)
        await server.serve_forever()
"""


@pytest.mark.parametrize("call, reported", [
    # a method of another object of the module, made a task nobody awaits: not guarded here
    ("asyncio.create_task(self.hub.send_to(writer, message))", True),
    # the twin: awaited inside the try
    ("await self.hub.send_to(writer, message)", False),
])
def test_a_coroutine_method_of_another_object_made_a_task_is_not_guarded_where_it_is_made(call, reported):
    # self.hub.send_to(...) is found as a caller by the fixer's instance-method callers,
    # which must map it through the coroutine rule as caller_contexts does
    source = textwrap.dedent(HUB.format(call=call)).encode()
    got = [(f.line, f.code) for f in analyze_source(source, "t.py", all_codes()).findings]
    assert got == ([(8, "SPL004")] if reported else [])
