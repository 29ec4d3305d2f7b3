"""Idioms of issue 9 that a folder fixture cannot judge alone: columns, fixes, messages."""

from expectations import FIXTURES, all_codes
from sigpipe_lint.engine import analyze_source
from sigpipe_lint.parse import LibcstOnlyFailure, parse

import pytest

CODES = all_codes()
MIXED = FIXTURES / "program" / "p13_mixed_indentation" / "mixed.py"


def test_mixed_indentation_is_analysed_in_the_users_columns_and_never_fixed():
    source = MIXED.read_bytes()
    with pytest.raises(LibcstOnlyFailure):  # the premise: libcst alone refuses this file
        parse(source)
    compile(source, str(MIXED), "exec")  # and Python accepts it
    lines = source.decode().splitlines()
    line = next(i for i, text in enumerate(lines, 1) if "sock.sendall" in text)
    text = lines[line - 1]
    assert "\t" in text[: text.index("self")]  # the reported line's indentation holds a tab
    column = text.index("self.sock.sendall") + 1  # characters, as in every other file
    end = text.index("(data)") + len("(data)") + 1
    result = analyze_source(source, str(MIXED), CODES)
    assert result.error is None
    # One finding per write: SPL001 reports it, SPL004 yields.
    assert [(f.line, f.column, f.end_column, f.code) for f in result.findings] == [(line, column, end, "SPL001")]
    # no fix, and the fix says why (the reason is the indentation)
    assert all(f.fix.applicability == "none" and "mixes tabs and spaces" in f.fix.reasons[0] for f in result.findings)
    for mode in ("safe", "unsafe"):
        fixed = analyze_source(source, str(MIXED), CODES, fix=mode)
        assert fixed.error is None and fixed.fixed_source is None, mode  # never the expanded text
        assert not any(f.fix.has_unsafe_part for f in fixed.findings)  # no unsafe fix held back


def assert_escapes(source: bytes, expected: dict, marker: str = "sendall(b", path: str = "t.py") -> None:
    """Each write line holding `marker` and `b"<mark>` says, in SPL001's and SPL004's
    messages, where its exception goes: `expected[mark]`, or (None) that the program
    crashes."""
    lines = source.decode().splitlines()
    line_of = {text.split('b"')[1][0]: i for i, text in enumerate(lines, 1) if marker in text}
    assert sorted(line_of) == sorted(expected)
    one = {f.line: f.message for f in analyze_source(source, path, ["SPL001"]).findings}
    per_call = {f.line: f.message for f in analyze_source(source, path, ["SPL004"]).findings}
    assert sorted(one) == sorted(per_call) == sorted(line_of.values())
    for mark, says in expected.items():
        line = line_of[mark]
        if says is None:
            assert "and the program crashes with a traceback" in one[line], mark
            assert "the program (or this thread) crashes" in per_call[line], mark
            assert "out of this" not in one[line] + per_call[line], mark
        else:
            assert "ConnectionResetError " + says in one[line], mark
            assert "it is raised " + says in per_call[line], mark
            assert "crashes" not in one[line] + per_call[line], mark


def test_a_write_that_only_a_thread_greenlet_process_executor_or_loop_runs_says_where_it_goes():
    # semantics.md 13: a thread that dies with the exception ends alone (the process may
    # exit 0); the same holds for a greenlet. A child process prints the traceback and exits
    # 1, an executor keeps the exception in the task's future, an event loop logs a
    # callback's and goes on. A function that also runs in the main program, or under two
    # kinds of spawner, still crashes the program as far as the module can tell.
    source = b"""\
import asyncio
import concurrent.futures
import multiprocessing
import socket
import threading
import gevent

CONN = socket.create_connection(("db", 1))


def in_thread():
    CONN.sendall(b"1")


def helper():
    CONN.sendall(b"2")


def thread_body():
    helper()


def also_main():
    CONN.sendall(b"3")


def in_greenlet():
    CONN.sendall(b"4")


def in_child():
    CONN.sendall(b"5")


def in_executor():
    CONN.sendall(b"6")


def in_callback():
    CONN.sendall(b"7")


def two_kinds():
    CONN.sendall(b"8")


class Pusher(threading.Thread):
    def run(self):
        CONN.sendall(b"9")


class Child(multiprocessing.Process):
    def run(self):
        CONN.sendall(b"A")


def in_context_child():
    CONN.sendall(b"B")


def in_named_context_child():
    CONN.sendall(b"C")


def main(loop):
    threading.Thread(target=in_thread).start()
    threading.Thread(target=thread_body).start()
    threading.Thread(target=also_main).start()
    also_main()
    gevent.spawn(in_greenlet)
    multiprocessing.Process(target=in_child).start()
    concurrent.futures.ThreadPoolExecutor().submit(in_executor)
    loop.call_soon(in_callback)
    threading.Thread(target=two_kinds).start()
    gevent.spawn(two_kinds)
    Pusher().start()
    multiprocessing.get_context("fork").Process(target=in_context_child).start()
    mp = multiprocessing.get_context("spawn")
    mp.Process(target=in_named_context_child).start()
"""
    thread = "out of this thread: only the thread dies, with the traceback on stderr as the only sign"
    expected = {
        "1": thread,
        "2": thread,  # its only caller is a thread's function
        "3": None,
        "4": "out of this greenlet: gevent prints the traceback and ends only this greenlet",
        "5": "out of this child process: it prints the traceback and exits with status 1",
        "6": "out of this executor task: the executor keeps it in the task's future",
        "7": "out of this event-loop callback: the loop logs 'Exception in callback' and goes on",
        "8": None,
        "9": thread,
        "A": "out of this child process: it prints the traceback and exits with status 1",
        "B": "out of this child process: it prints the traceback and exits with status 1",
        "C": "out of this child process: it prints the traceback and exits with status 1",
    }
    assert_escapes(source, expected, "CONN.sendall")
    # SPL003 says it too, for an except that lets ConnectionResetError through
    partial = source.replace(
        b'def in_thread():\n    CONN.sendall(b"1")\n',
        b'def in_thread():\n    try:\n        CONN.sendall(b"1")\n    except BrokenPipeError:\n        pass\n',
    )
    assert partial != source
    clause = [f for f in analyze_source(partial, "t.py", ["SPL003"]).findings]
    assert len(clause) == 1 and "the write raises ConnectionResetError " + thread in clause[0].message
    assert "crashes" not in clause[0].message


def test_a_write_that_only_a_forked_child_runs_says_the_child_exits():
    # a forking server (q737645224's dict_server.py, the precision sample): the child of
    # os.fork() serves the client; an exception ends the child (traceback, status 1) and
    # the parent's accept loop goes on. The parent's own writes still crash the program.
    source = b"""\
import os
import socket


def serve(c):
    c.sendall(b"1")


def both(c):
    c.sendall(b"2")


def main():
    s = socket.create_server(("", 0))
    while True:
        c, a = s.accept()
        pid = os.fork()
        if pid == 0:
            serve(c)
            both(c)
            c.sendall(b"3")
        else:
            both(c)
            c.sendall(b"4")
        pid = os.fork()
        if pid:
            c.sendall(b"5")
        else:
            c.sendall(b"6")
"""
    child = "out of this child process: it prints the traceback and exits with status 1"
    assert_escapes(source, {"1": child, "3": child, "6": child, "2": None, "4": None, "5": None})


WAKEUP_PAIR = """\
import select
import socket
from concurrent.futures import ThreadPoolExecutor


class ThreadPoolHandler:
    def __init__(self):
        self.signal_done_sock, self.done_sock = socket.socketpair()
        self.pool = ThreadPoolExecutor(4)

    def fileno(self):
        return self.done_sock.fileno()

    def _complete(self, r):
        self.signal_done_sock.send(b"x")

    def run(self, func):
        self.pool.submit(func).add_done_callback(self._complete)

    def handle_receive(self):
        select.select([self.done_sock], [], [], 1.0)
        self.done_sock.recv(1)
        {extra}


def loop():
    r, w = socket.socketpair()
    select.select([r], [], [])
    w.send(b"y")
    r.recv(1)
    {extra_names}
"""


@pytest.mark.parametrize(
    "extra, extra_names, reported",
    [
        ("pass", "pass", ()),  # both ends stay here: wake-up pairs, no remote peer
        ("start_reader(self.done_sock)", "pass", (15,)),  # the reading end handed on
        ("self.peers.append(self.done_sock)", "pass", (15,)),  # stored where anything may take it
        ("pass", "return r", (29,)),  # returned
        ("pass", "import os\n    os.fork()", (15, 29)),  # a child gets both ends, unnamed
        ("pass", "import os\n    os.forkpty()", (15, 29)),
        ("pass", "import multiprocessing\n    multiprocessing.Process(target=print).start()", (15, 29)),
        ("pass", "import subprocess\n    subprocess.Popen(['true'], pass_fds=(r.fileno(),))", (15, 29)),
        ("pass", "import os\n    os.posix_spawn('/bin/true', ['true'], {})", (15, 29)),
    ],
)
def test_a_socketpair_whose_other_end_this_module_only_reads_has_no_remote_peer(extra, extra_names, reported):
    # the Python Cookbook's threadpool.py (holdout 4): a worker's callback writes a byte to
    # wake the event loop, which reads the other end
    source = WAKEUP_PAIR.replace("{extra}", extra).replace("{extra_names}", extra_names).encode()
    lines = [f.line for f in analyze_source(source, "t.py", ["SPL001", "SPL004"]).findings]
    assert sorted(set(lines)) == sorted(reported)


@pytest.mark.parametrize(
    "made",
    [
        "pair = socket.socketpair()\n    a, b = pair",  # not unpacked where it is made
        "a, b = c = socket.socketpair()",  # two targets
        "a, b = socket.socketpair() if True else (None, None)",  # not the call itself
        "(a, b), x = socket.socketpair(), 1",  # a nested target
        "a, b, c = socket.socketpair()",  # not two ends
        "a, d[0] = socket.socketpair()\n    b = d[0]",  # an end that is not a name or self.x
    ],
)
def test_only_a_socketpair_unpacked_where_it_is_made_is_taken_for_a_wakeup_pair(made):
    # the shapes the wake-up rule does not read: their writes stay reported
    source = f"""\
import select
import socket


def loop():
    {made}
    select.select([b], [], [])
    a.send(b"y")
    b.recv(1)
""".encode()
    line = source.decode().splitlines().index('    a.send(b"y")') + 1
    assert [f.line for f in analyze_source(source, "t.py", ["SPL001"]).findings] == [line]


@pytest.mark.parametrize(
    "uses, local",
    [
        ("r.recv_into(buf)", True),
        ("r.recvfrom(1)", True),
        ("sel.register(r, selectors.EVENT_READ)", True),  # watched: an argument of a selector
        ("sel.modify(r, selectors.EVENT_READ)\n    sel.unregister(r)\n    r.recv(1)", True),
        ("select.poll().poll()\n    select.select([r], [], [])", True),  # an item of a watched list
        ("r.setblocking(False)\n    r.settimeout(1)\n    r.getsockname()\n    r.recv(1)\n    r.shutdown(2)\n    r.close()", True),
        ("conf.r = 1\n    keep(conf.r)\n    r.recv(1)", True),  # `conf.r`: another object's attribute
        ("r.fileno()", False),  # never read: not a wake-up pair
        ("keep(r)\n    r.recv(1)", False),  # handed on
        ("rs = [r]\n    r.recv(1)", False),  # stored in a list nobody watches
        ("rs = {r: 1}\n    r.recv(1)", False),
        ("r.sendall(b'x')\n    r.recv(1)", False),  # written to: a conversation
        ("return r", False),
    ],
)
def test_what_a_wakeup_pairs_reading_end_may_do(uses, local):
    source = f"""\
import select
import selectors
import socket


def loop(sel, buf):
    r, w = socket.socketpair()
    w.send(b"y")
    {uses}
""".encode()
    lines = [f.line for f in analyze_source(source, "t.py", ["SPL001", "SPL004"]).findings]
    assert (8 not in lines) is local, lines


def test_a_wakeup_pairs_self_attributes_are_read_in_their_class_only():
    # `self.done_sock` in another class of the module is another object's attribute: what
    # that class does with it says nothing of this pair
    source = WAKEUP_PAIR.replace("{extra}", "pass").replace("{extra_names}", "pass") + """

class Other:
    def __init__(self, done_sock):
        self.done_sock = done_sock

    def hand_on(self):
        keep(self.done_sock)
"""
    assert [f.line for f in analyze_source(source.encode(), "t.py", ["SPL001", "SPL004"]).findings] == []


def test_only_a_handlers_copyfile_method_gets_the_clients_file_from_the_server():
    # http.server's do_GET calls self.copyfile(f, self.wfile): the override's outputfile is
    # the client's socket file; a function or another class's method of that name is not
    source = b"""\
import http.server


def copyfile(source, outputfile):
    outputfile.write(source.read())


class NotAHandler:
    def copyfile(self, source, outputfile):
        outputfile.write(source.read())


class Handler(http.server.SimpleHTTPRequestHandler):
    def copyfile(self, source, outputfile):
        outputfile.write(source.read())

    def do_POST(self):
        other = NotAHandler()
        other.copyfile(self, self.rfile)  # ok: not the base's copyfile
        http.server.SimpleHTTPRequestHandler.copyfile(self.rfile, self.wfile)  # ok: no self: a TypeError
"""
    findings = analyze_source(source, "t.py", ["SPL001", "SPL004"]).findings
    assert [f.line for f in findings] == [15]
    assert "out of this request handler" in findings[0].message


def test_a_write_in_a_request_handlers_method_says_the_server_goes_on_whatever_the_socket():
    # semantics.md 14: the server catches what a handler raises, prints it and serves on;
    # that holds for a write to an upstream socket the handler made (DarthWilliam36's
    # do_CONNECT), not only for its own client's connection. The same methods outside a
    # handler class, and a function main() runs, still crash the program.
    source = b"""\
import socket
import socketserver
from http.server import BaseHTTPRequestHandler

UPSTREAM = ("backend", 80)


class Proxy(BaseHTTPRequestHandler):
    def do_GET(self):
        s = socket.create_connection(UPSTREAM)
        s.sendall(b"1")
        self.forward(s)

    def forward(self, s):
        s.sendall(b"2")


class Echo(socketserver.StreamRequestHandler):
    def handle(self):
        up = socket.create_connection(UPSTREAM)
        up.sendall(b"3")


class Udp(socketserver.DatagramRequestHandler):
    def handle(self):
        up = socket.create_connection(UPSTREAM)
        up.sendall(b"4")


class NotAHandler:
    def do_GET(self):
        s = socket.create_connection(UPSTREAM)
        s.sendall(b"5")


def main():
    s = socket.create_connection(UPSTREAM)
    s.sendall(b"6")
"""
    handler = "out of this request handler: the server prints the traceback and keeps serving"
    # a datagram handler's server goes on too
    assert_escapes(source, {"1": handler, "2": handler, "3": handler, "4": handler, "5": None, "6": None})


def test_a_start_server_callback_run_by_a_thread_says_asyncio_logs_it_and_star_imports_spawn():
    # A start_server callback's exception is logged by asyncio (semantics.md 17), even when
    # the loop runs in a thread: SPL004 says so as SPL001 does. `from threading import *`
    # and `from multiprocessing import *` spawn as their qualified names do.
    source = b"""\
import asyncio
import threading
from multiprocessing import *
from threading import *
from socket import *


def admin():
    async def handle(reader, writer):
        writer.write(b"hi")
        await writer.drain()

    async def main():
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        await server.serve_forever()

    asyncio.run(main())


def child(conn):
    conn.send(b"c")


def worker(conn):
    conn.send(b"t")


threading.Thread(target=admin).start()
s = socket()
conn, _ = s.accept()
Process(target=child, args=(conn,)).start()
Thread(target=worker, args=(conn,)).start()
"""
    logged = "out of this start_server callback: asyncio logs 'Unhandled exception in client_connected_cb'"
    for code in ("SPL001", "SPL004"):
        by = {f.line: f.message for f in analyze_source(source, "t.py", [code]).findings}
        assert sorted(by) == [11, 21, 25], code
        assert logged in by[11] and "thread" not in by[11], code
        assert "out of this child process" in by[21], code
        assert "out of this thread: only the thread dies" in by[25], code


def test_a_request_handlers_write_says_its_server_keeps_serving():
    # semantics.md 14: socketserver and http.server catch a handler's exception, print it
    # (handle_error) and keep serving: the messages say so, not that the program crashes
    # (tests/runtime/test_servers.py holds the socketserver fixtures to it at run time).
    # A plain socket's write in the same module still crashes the program.
    source = b"""\
import socket
import socketserver


class Echo(socketserver.StreamRequestHandler):
    def handle(self):
        for line in self.rfile:
            self.wfile.write(line)
        try:
            self.request.sendall(b"bye")
        except BrokenPipeError:
            pass


def ping(host):
    s = socket.create_connection((host, 7))
    s.sendall(b"ping")
"""
    by = {}
    for f in analyze_source(source, "t.py", ["SPL001", "SPL003", "SPL004"]).findings:
        by[(f.line, f.code)] = f.message
    keeps = "the server prints the traceback and keeps serving"
    assert sorted(by) == [(8, "SPL004"), (10, "SPL004"), (11, "SPL003"), (17, "SPL004")]
    for line in (8, 10):
        assert keeps in by[(line, "SPL004")] and "crashes" not in by[(line, "SPL004")]
    assert "ConnectionResetError out of this request handler: " + keeps in by[(11, "SPL003")]
    assert "crashes" not in by[(11, "SPL003")]
    assert keeps not in by[(17, "SPL004")] and "the program (or this thread) crashes" in by[(17, "SPL004")]
    # SPL001 (the module has no handler at all without the try): the same outcome
    unguarded = source.replace(b"        try:\n            self.request.sendall(b\"bye\")\n        except BrokenPipeError:\n            pass\n", b"")
    assert unguarded != source
    one = {f.line: f.message for f in analyze_source(unguarded, "t.py", ["SPL001"]).findings}
    assert sorted(one) == [8, 13]
    assert "out of this request handler: " + keeps in one[8]
    assert keeps not in one[13] and "the program crashes with a traceback" in one[13]


def _outcome_said(message: str) -> str:
    at = message.find("out of this ")
    if at >= 0:
        return message[at + len("out of this "):].split(":")[0]  # thread, request handler, ...
    if "SIG_DFL" in message:  # SPL002, or a write that a reset makes die by the signal
        return "sigpipe"
    assert "crashes" in message, message
    return "crash"


# What each runtime fixture's header (held at run time by tests/runtime) lets its messages say.
_SAYABLE = {
    "traceback": {"crash"},
    "none": {"crash"},  # survives a FIN peer, crashes on a reset one
    "sigpipe": {"sigpipe"},
    "thread-traceback": {"thread"},
    "handler-traceback": {"request handler", "start_server callback", "thread"},  # a server goes on
}


@pytest.mark.parametrize("script", sorted((FIXTURES / "runtime").glob("*.py")), ids=lambda p: p.stem)
def test_each_runtime_fixtures_messages_say_what_it_does_when_run(script):
    # The runtime tests hold each fixture to its `dies:` header against a real dying peer;
    # here its findings' messages must tell the same story (a thread that dies alone is not
    # "the program crashes", a server that goes on is not either).
    source = script.read_bytes()
    dies = next((line.split(":", 1)[1].strip() for line in source.decode().splitlines() if line.startswith("# dies:")), "traceback")
    findings = analyze_source(source, str(script), CODES).findings
    assert findings, script
    said = {_outcome_said(f.message) for f in findings}
    assert said and said <= _SAYABLE[dies], (dies, said)


def test_a_proxy_that_forwards_to_a_socket_writes_where_the_socket_does():
    # __getattr__ returning getattr(self._socket, name), __init__ keeping its argument
    # there: the proxy's sendall is the socket's. Around a generator it is not a socket.
    source = b'''\
import socket


class Shared(object):
    """Forwards to what it wraps."""

    def __init__(self, sock):
        self._socket = sock

    def __getattr__(self, name):
        return getattr(self._socket, name)


class Plain(object):
    def __init__(self, sock):
        self._socket = sock


def push(data):
    Shared(socket.create_connection(("h", 1))).sendall(data)


def pull(data):
    Shared(x for x in range(3)).send(data)


def plain(data):
    Plain(socket.create_connection(("h", 1))).sendall(data)
'''
    found = [(f.line, f.code) for f in analyze_source(source, "t.py", CODES).findings]
    assert found == [(20, "SPL001")]


def test_a_container_passed_as_a_parameter_holds_what_its_callers_put_in_it():
    # dalder1/CompetitiveWordle (holdout 2): the accept loop appends each connection to a
    # list that the broadcast function receives as a parameter.
    source = b'''\
import socket


def broadcast(msg, clients):
    for client in clients:
        client.send(msg)


def main():
    server = socket.create_server(("", 5000))
    conns = []
    while len(conns) < 2:
        conn, addr = server.accept()
        conns.append(conn)
    broadcast(b"start", conns)
'''
    assert [(f.line, f.code) for f in analyze_source(source, "t.py", CODES).findings] == [(6, "SPL001")]
    # the twin: callers put generators in the list (generators have .send too)
    gens = source.replace(b"        conns.append(conn)\n", b"        conns.append(x for x in range(3))\n")
    assert gens != source
    assert analyze_source(gens, "t.py", CODES).findings == []
    # a second caller passes a container the module cannot read: unknown, not reported
    unknown = source + b"\n\ndef other(given):\n    broadcast(b\"x\", given)\n"
    assert analyze_source(unknown, "t.py", CODES).findings == []


SPAWNED = """\
import _thread
import asyncio
import concurrent.futures
import multiprocessing
import multiprocessing.context
import multiprocessing.pool
import socket
import threading

CONN = socket.create_connection(("db", 1))


def work():
    CONN.sendall(b"x")


def main(loop):
    {spawn}
"""


@pytest.mark.parametrize("spawn, says", [
    ("_thread.start_new_thread(work, ())", "out of this thread: only the thread dies"),
    ("_thread.start_new(work, ())", "out of this thread: only the thread dies"),
    ("threading.Timer(1.0, work).start()", "out of this thread: only the thread dies"),
    ("threading.Thread(target=work).start()", "out of this thread: only the thread dies"),
    ("multiprocessing.Process(target=work).start()", "out of this child process"),
    ("multiprocessing.context.Process(target=work).start()", "out of this child process"),
    ("concurrent.futures.ThreadPoolExecutor().submit(work)", "out of this executor task"),
    ("loop.run_in_executor(None, work)", "out of this executor task"),
    ("multiprocessing.pool.ThreadPool().apply_async(work)", "out of this executor task"),
    ("loop.call_soon(work)", "out of this event-loop callback"),
    ("loop.call_soon_threadsafe(work)", "out of this event-loop callback"),
    ("loop.call_later(1.0, work)", "out of this event-loop callback"),
    # not a spawner of ours: the module cannot tell, so the program crashes
    ("threading.Thread(work).start()", None),
])
def test_each_spawner_says_where_its_functions_exception_goes(spawn, says):
    source = SPAWNED.format(spawn=spawn).encode()
    found = analyze_source(source, "t.py", ["SPL001"]).findings
    assert [f.line for f in found] == [14]
    if says is None:
        assert "and the program crashes with a traceback" in found[0].message
    else:
        assert says in found[0].message and "crashes" not in found[0].message


def test_a_function_called_through_a_variable_in_a_thread_runs_in_that_thread():
    source = b"""\
import socket
import threading

CONN = socket.create_connection(("db", 1))


def helper():
    CONN.sendall(b"x")


def body():
    step = helper
    step()


threading.Thread(target=body).start()
"""
    found = analyze_source(source, "t.py", ["SPL001"]).findings
    assert [f.line for f in found] == [8]
    assert "out of this thread: only the thread dies" in found[0].message
    # the twin: main also calls it through the variable
    both = source + b"helper()\n"
    found = analyze_source(both, "t.py", ["SPL001"]).findings
    assert "and the program crashes with a traceback" in found[0].message


@pytest.mark.parametrize("forward, init, forwards", [
    ('        """Forward to the socket."""\n        return getattr(self._socket, name)\n', "self._socket = sock", True),
    ("        return getattr(self._socket, name)\n", "self._socket = sock", True),
    # not a plain forward: another statement first, a default, a fixed name, another object
    ("        print(name)\n        return getattr(self._socket, name)\n", "self._socket = sock", False),
    ("        return getattr(self._socket, name, None)\n", "self._socket = sock", False),
    ('        return getattr(self._socket, "send")\n', "self._socket = sock", False),
    ("        return getattr(OTHER, name)\n", "self._socket = sock", False),
    ("        return self._socket\n", "self._socket = sock", False),
    # __init__ keeps something else than its parameter there
    ("        return getattr(self._socket, name)\n", "self._socket = OTHER", False),
    ("        return getattr(self._socket, name)\n", "self._socket = socket.socket()", False),
    ("        return getattr(self._socket, name)\n", "sock = OTHER\n        self._socket = sock", False),
    # a body that is one compound statement
    ("        if name:\n            return getattr(self._socket, name)\n", "self._socket = sock", False),
])
def test_only_a_plain_forwarding_getattr_makes_a_proxy_a_socket(forward, init, forwards):
    source = f'''\
import socket

OTHER = object()


class Proxy(object):
    def __init__(self, sock):
        {init}

    def __getattr__(self, name):
{forward}

def push(data):
    Proxy(socket.create_connection(("h", 1))).sendall(data)
'''.encode()
    result = analyze_source(source, "t.py", CODES)
    assert result.error is None
    assert [f.code for f in result.findings] == (["SPL001"] if forwards else [])


def test_a_forwarding_getattr_without_an_init_is_not_a_proxy_of_its_argument():
    source = b'''\
import socket


class Proxy(object):
    _socket = None

    def __getattr__(self, name):
        return getattr(self._socket, name)


def push(data):
    Proxy(socket.create_connection(("h", 1))).sendall(data)
'''
    result = analyze_source(source, "t.py", CODES)
    assert result.error is None and result.findings == []


def test_a_parameter_annotated_with_the_socket_module_is_a_socket_and_star_imported_start_new_thread_spawns():
    # duccanhole/shooting-game, ywchiao/mute: `def handle(conn: socket)` after `import
    # socket` means the class; 09ejacob/Inscribed: `from _thread import *` then
    # start_new_thread(threaded_client, (conn, id)) hands the connection to a thread.
    annotated = b"""\
import socket


def reply(conn: socket, data):
    conn.sendall(data)
"""
    assert [f.line for f in analyze_source(annotated, "t.py", ["SPL001"]).findings] == [5]
    # the twins: another module's name, and a class named socket of this module
    other = annotated.replace(b"conn: socket,", b"conn: zmq,").replace(b"import socket\n", b"import zmq\n")
    assert analyze_source(other, "t.py", ["SPL001"]).findings == []
    local = b"class socket:\n    def sendall(self, data):\n        pass\n\n\ndef reply(conn: socket, data):\n    conn.sendall(data)\n"
    assert analyze_source(local, "t.py", ["SPL001"]).findings == []
    star = b"""\
import socket
from _thread import *


def serve(conn):
    conn.send(b"hello")


srv = socket.create_server(("", 5555))
while True:
    conn, addr = srv.accept()
    start_new_thread(serve, (conn,))
"""
    found = analyze_source(star, "t.py", ["SPL001"]).findings
    assert [f.line for f in found] == [6] and "out of this thread" in found[0].message


RELAY = b'''\
import select
import socket


def relay(host):
    client = socket.create_connection((host, 80))
    target = {target}
    conns = [client, target]
    while True:
        rlist, _, _ = select.select(conns, [], [])
        for r in rlist:
            other = conns[1] if r is conns[0] else conns[0]
            data = r.recv(65535)
            if not data:
                return
            other.sendall(data)
'''


def test_a_relays_other_end_picked_by_a_conditional_from_a_list_of_sockets_is_a_socket():
    # sjmikee/rdef (original set): `other = conns[1] if r is conns[0] else conns[0]`
    source = RELAY.replace(b"{target}", b"socket.create_connection((host, 81))")
    assert [(f.line, f.code) for f in analyze_source(source, "t.py", CODES).findings] == [(16, "SPL001")]
    # the twin: neither end is known as a socket, so neither is the one written to
    unknown = source.replace(b"    client = socket.create_connection((host, 80))\n", b"    client = host.peer()\n")
    unknown = unknown.replace(b"socket.create_connection((host, 81))", b"host.other()")
    assert unknown.count(b"host.") == 2
    assert analyze_source(unknown, "t.py", CODES).findings == []


@pytest.mark.parametrize("value, reported", [
    ("self._sock or socket.create_connection(addr)", True),
    ("self._sock or make_queue()", False),
    ("socket.create_connection(addr) if fresh else self._sock", True),
    ("make_queue() if fresh else self._sock", False),
])
def test_a_socket_chosen_by_or_or_a_conditional_is_a_socket_when_a_choice_is(value, reported):
    source = f'''\
import socket


def make_queue():
    return []


class Client:
    _sock = None

    def send(self, addr, data, fresh=False):
        sock = {value}
        sock.sendall(data)
'''.encode()
    found = [(f.line, f.code) for f in analyze_source(source, "t.py", CODES).findings]
    assert found == ([(13, "SPL001")] if reported else [])


SUBCLASS_SOCK = b'''\
import socket


class StreamClientBase:
    def connect(self):
        raise NotImplementedError()

    def close(self):
        if self._sock:
            self._sock.close()
        self._sock = None

    def _send(self, data):
        if not self._sock:
            self.connect()
        self._sock.sendall(data)


class TCPStatsClient(StreamClientBase):
    def __init__(self, host):
        self._host = host
        self._sock = None

    def connect(self):
        self._sock = {made}
'''


def test_a_base_class_writes_to_the_socket_its_subclass_makes():
    # jsocol/pystatsd (original set): the base's `_do_send` writes `self._sock`, which only
    # the subclasses' `connect()` make
    source = SUBCLASS_SOCK.replace(b"{made}", b"socket.create_connection((self._host, 8125))")
    assert [(f.line, f.code) for f in analyze_source(source, "t.py", CODES).findings] == [(16, "SPL001")]
    # the twin: the subclass keeps a generator there (it has .send too): nothing is a socket
    gen = SUBCLASS_SOCK.replace(b"{made}", b"(x for x in range(3))").replace(b"sendall(data)", b"send(data)")
    assert gen.count(b".send(data)") == 1
    assert analyze_source(gen, "t.py", CODES).findings == []
    # an unrelated class binding the same attribute to a socket says nothing of the base
    other = source.replace(b"class TCPStatsClient(StreamClientBase):", b"class TCPStatsClient:")
    assert analyze_source(other, "t.py", CODES).findings == []


HANDLER_PARAM = b'''\
import http.server


def send_page(handler{annotation}):
    handler.send_response(200)
    handler.end_headers()
    handler.wfile.write(b"<html></html>")


class Handler({base}):
    def do_GET(self):
        send_page(self)
'''


@pytest.mark.parametrize("annotation, base, reported", [
    # Densaugeo/uploadserver (holdout 3): the page helper gets the handler's self
    ("", "http.server.BaseHTTPRequestHandler", True),
    (": http.server.BaseHTTPRequestHandler", "object", True),
    (": http.server.SimpleHTTPRequestHandler", "http.server.SimpleHTTPRequestHandler", True),
    # twins: the self passed in is not a request handler's, nor is the annotated class one
    ("", "object", False),
    (": Handler", "object", False),
])
@pytest.mark.parametrize("passed", ["self", "make_handler()", "other"])
def test_a_request_handler_passed_to_a_helper_writes_to_its_client_there(annotation, base, reported, passed):
    source = HANDLER_PARAM.replace(b"{annotation}", annotation.encode()).replace(b"{base}", base.encode())
    if passed != "self":
        # what is passed is not a handler's `self` (a call, another name): only the
        # annotation, when there is one, says the parameter is a handler
        source = source.replace(b"        send_page(self)\n", f"        other = make_handler()\n        send_page({passed})\n".encode())
        source += b"\n\ndef make_handler():\n    return object()\n"
        reported = reported and bool(annotation)
    findings = analyze_source(source, "t.py", CODES).findings
    assert [(f.line, f.code) for f in findings] == ([(7, "SPL001")] if reported else [])
    if reported:
        assert "out of this request handler" in findings[0].message


SELECT_RELAY = b'''\
import select
import socket
import threading


class ProxyConnection:
    def __init__(self, local_skt, proxy_skt):
        self.local_skt = local_skt
        self.proxy_skt = proxy_skt

    def fileno(self):
        return self.proxy_skt.fileno()

    def read(self):
        data = self.proxy_skt.recv(4096)
        self.local_skt.sendall(data)


class LocalConnection:
    def __init__(self, local_skt, proxy_skt):
        self.local_skt = local_skt
        self.proxy_skt = proxy_skt

    def fileno(self):
        return self.local_skt.fileno()

    def read(self):
        data = self.local_skt.recv(4096)
        self.proxy_skt.sendall(data)


def relay(local_conn, proxy_conn):
    inputs = [proxy_conn, local_conn]
    while True:
        rlist, _, _ = select.select(inputs, [], [], 3)
        for r in rlist:
{call}


def serve():
    server = socket.create_server(("", 1081))
    while True:
        local_skt, _ = server.accept()
        proxy_skt = socket.create_connection(("proxy", 1080))
        local_conn = LocalConnection(local_skt, proxy_skt)
        proxy_conn = ProxyConnection(local_skt, proxy_skt)
        threading.Thread(target=relay, args=(local_conn, proxy_conn)).start()
'''


def test_a_call_on_an_item_of_objects_of_two_classes_is_a_caller_of_both_methods():
    # kaiwk/messsocks (holdout 3's false positives): select() over the two connection
    # objects, `r.read()` guarded; each class's read() writes to the other socket
    guarded = SELECT_RELAY.replace(
        b"{call}", b"            try:\n                r.read()\n            except OSError:\n                return"
    )
    source = guarded + b"\n\ndef guarded(host):\n    try:\n        socket.create_connection((host, 1)).sendall(b'x')\n    except OSError:\n        pass\n"
    assert analyze_source(source, "t.py", CODES).findings == []
    # the twin: the same call unguarded lets both writes out of the relay thread
    bare = SELECT_RELAY.replace(b"{call}", b"            r.read()") + source[len(guarded):]
    found = [(f.line, f.code) for f in analyze_source(bare, "t.py", CODES).findings]
    assert found == [(16, "SPL004"), (29, "SPL004")]
    # the objects as first items of pairs, taken apart by the loop's target
    pairs = source.replace(b"    inputs = [proxy_conn, local_conn]\n", b"    inputs = [proxy_conn, local_conn]\n    pairs = [(proxy_conn, 1), (local_conn, 2)]\n")
    pairs = pairs.replace(b"        for r in rlist:\n", b"        for r, _n in pairs:\n")
    assert pairs.count(b"for r, _n in pairs") == 1
    assert analyze_source(pairs, "t.py", CODES).findings == []
    # the second items are numbers: a call on them calls neither read()
    seconds = pairs.replace(b"for r, _n in pairs", b"for _n, r in pairs")
    assert len(analyze_source(seconds, "t.py", CODES).findings) == 2


@pytest.mark.parametrize("body, reported", [
    # jasonrbriggs/stomp.py (holdout 3): the caught exception fetched again and re-raised
    ("_, e, _ = sys.exc_info()\n        log.error('send failed')\n        raise e", True),
    ("e = sys.exc_info()[1]\n        raise e", True),
    ("e = sys.exception()\n        raise e", True),
    ("err = exc\n        raise err", True),
    # twins: something else is raised (a translation), or the names are not the exception
    ("_, e, _ = sys.exc_info()\n        raise ConnectionLost(e)", False),
    ("t = sys.exc_info()[0]\n        raise ConnectionLost(t)", False),
    ("e = ConnectionLost()\n        raise e", False),
    ("info = sys.exc_info()\n        raise ConnectionLost(info)", False),
    ("err = LOST\n        raise err", False),
])
def test_an_exception_fetched_from_sys_exc_info_and_raised_is_sent_on(body, reported):
    source = f'''\
import logging
import socket
import sys

log = logging.getLogger(__name__)


class ConnectionLost(Exception):
    pass


LOST = ConnectionLost("lost")


def send(host, data):
    sock = socket.create_connection((host, 61613))
    try:
        sock.sendall(data)
    except Exception as exc:
        {body}
'''.encode()
    # (SPL001 when nothing else in the module handles it: the clause does not)
    found = [f.line for f in analyze_source(source, "t.py", CODES).findings]
    assert found == ([18] if reported else [])


STREAM_SUBCLASS = b'''\
import asyncio
from asyncio import StreamWriter


class TCPStream({base}):
    def __init__(self, writer):
        super().__init__(writer._transport, writer._protocol, writer._reader, writer._loop)


class Client:
    def __init__(self):
        self.stream: TCPStream = None

    async def connect(self, host):
        _, writer = await asyncio.open_connection(host, 25565)
        self.stream = TCPStream(writer)

    async def write_packet(self, data):
        self.stream.write(data)
        await self.stream.drain()


async def send(stream: TCPStream, data):
    stream.write(data)
    await stream.drain()
'''


@pytest.mark.parametrize("base, reported", [
    # py-mine/PyMine-Net (holdout 3): a StreamWriter subclass wrapping open_connection's writer
    ("StreamWriter", [(20, "SPL001"), (25, "SPL001")]),
    ("asyncio.StreamWriter", [(20, "SPL001"), (25, "SPL001")]),
    # the twin: a class of its own with write() and drain() (a buffer, a test double)
    ("object", []),
])
def test_instances_of_a_stream_writer_subclass_are_streams(base, reported):
    source = STREAM_SUBCLASS.replace(b"{base}", base.encode())
    assert [(f.line, f.code) for f in analyze_source(source, "t.py", CODES).findings] == reported


OPTION = '''\
import logging
import socket


class Sender:
    def __init__(self, host, raise_send_errors={raise_default}):
        self.sock = socket.create_connection((host, 2003))
        self.raise_send_errors = raise_send_errors
        self.closing = False

    def close(self):
        self.closing = True

    def set_option(self, raise_send_errors=False):
        {set_option}

    def send(self, message, retries=0, ignore_errors={ignore_default}):
        try:
            self.sock.sendall(message)
        except OSError:
            {clause}
            logging.error("send failed")
'''


@pytest.mark.parametrize("raise_default, ignore_default, clause, reported", [
    # benhoyt/graphyte (holdout 1), richardpenman/whois (holdout 3): the clause re-raises
    # only for a caller who asked for it; by default it logs and goes on
    ("False", "True", "if self.raise_send_errors:\n                raise", False),
    ("False", "True", "if not ignore_errors:\n                raise", False),
    # the twins: the default is to raise
    ("True", "True", "if self.raise_send_errors:\n                raise", True),
    ("False", "False", "if not ignore_errors:\n                raise", True),
    # a test of the program's state is not an option: it says nothing of the peer
    ("False", "True", "if not self.closing:\n                raise", True),
    # an option the function rebinds is not its default any more
    ("False", "True", "ignore_errors = message.startswith(b'x')\n            if not ignore_errors:\n                raise", True),
])
def test_a_re_raise_that_a_caller_must_opt_into_leaves_the_exception_handled(raise_default, ignore_default, clause, reported):
    source = OPTION.format(raise_default=raise_default, ignore_default=ignore_default, clause=clause, set_option="pass").encode()
    assert [f.line for f in analyze_source(source, "t.py", CODES).findings] == ([19] if reported else [])


@pytest.mark.parametrize("ignore_default, reported", [
    ("1", False), ("0", True), ("'yes'", False), ("''", True), ("2.5", False), ("0.0", True),
])
def test_an_options_default_of_any_literal_says_whether_it_raises(ignore_default, reported):
    source = OPTION.format(
        raise_default="False", ignore_default=ignore_default, set_option="pass",
        clause="if not ignore_errors:\n                raise",
    ).encode()
    assert [f.line for f in analyze_source(source, "t.py", CODES).findings] == ([19] if reported else [])


def test_an_option_another_method_also_sets_is_state():
    # set_option() rebinds it after construction: its value at the write is not the default
    source = OPTION.format(
        raise_default="False", ignore_default="True", set_option="self.raise_send_errors = raise_send_errors",
        clause="if self.raise_send_errors:\n                raise",
    ).encode()
    assert [f.line for f in analyze_source(source, "t.py", CODES).findings] == [19]


OUTSIDE_STORE = b'''\
import socket


class SerialToNet:
    def __init__(self):
        self.socket = None

    def data_received(self, data):
        if self.socket is not None:
            self.socket.sendall(data)


class Other:
    socket = None


if __name__ == "__main__":
    ser_to_net = SerialToNet()
    other = Other()
    srv = socket.create_server(("", 7777))
    while True:
        client_socket, addr = srv.accept()
        {store}
'''


@pytest.mark.parametrize("store, reported", [
    # pyserial's examples/tcp_serial_redirect.py (holdout 3): the accepted socket is set on
    # the protocol object from the main loop
    ("ser_to_net.socket = client_socket", True),
    # twins: a socket set on an instance of another class, or something else set here
    ("other.socket = client_socket", False),
    ("ser_to_net.socket = (x for x in range(3))", False),
])
def test_an_attribute_set_on_an_instance_from_outside_its_class_is_what_was_set(store, reported):
    source = OUTSIDE_STORE.replace(b"{store}", store.encode())
    assert [f.line for f in analyze_source(source, "t.py", CODES).findings] == ([10] if reported else [])


COPYFILE = b'''\
import http.server
import io


class UploadHandler(http.server.{base}):
    def do_POST(self):
        f = io.BytesIO(b"uploaded")
        self.send_response(200)
        self.end_headers()
        self.copyfile(f, {out})
{override}
'''


@pytest.mark.parametrize("base, out, override, reported", [
    # sgrontflix/simplehttpserverwithupload (holdout 1): the inherited copyfile is
    # shutil.copyfileobj into the handler's wfile
    ("SimpleHTTPRequestHandler", "self.wfile", "", True),
    ("CGIHTTPRequestHandler", "self.wfile", "", True),
    # twins: into a file that is not the client's; a class whose copyfile is its own; a
    # base that has no copyfile (the call fails, it writes nothing)
    ("SimpleHTTPRequestHandler", "open('log', 'wb')", "", False),
    ("SimpleHTTPRequestHandler", "self.wfile", "\n    def copyfile(self, source, outputfile):\n        pass\n", False),
    ("BaseHTTPRequestHandler", "self.wfile", "", False),
    # by keyword; and into the socket itself, which copyfileobj cannot write to
    ("SimpleHTTPRequestHandler", "outputfile=self.wfile", "", True),
    ("SimpleHTTPRequestHandler", "self.request", "", False),
])
def test_an_inherited_copyfile_into_the_handlers_wfile_is_a_write(base, out, override, reported):
    source = COPYFILE.replace(b"{base}", base.encode()).replace(b"{out}", out.encode()).replace(b"{override}", override.encode())
    assert [f.line for f in analyze_source(source, "t.py", CODES).findings] == ([10] if reported else [])


@pytest.mark.parametrize("call, reported", [
    # the Python 2 spelling, still imported under try/except ImportError
    ("self.copyfile(f, self.wfile)", True),
    # another object's copyfile: whatever it is, it is not the inherited one
    ("helper.copyfile(f, self.wfile)", False),
])
def test_copyfile_of_the_python2_base_and_of_another_object(call, reported):
    source = f'''\
import io
try:
    from SimpleHTTPServer import SimpleHTTPRequestHandler
except ImportError:
    from http.server import SimpleHTTPRequestHandler


class UploadHandler(SimpleHTTPRequestHandler):
    def do_POST(self, helper):
        f = io.BytesIO(b"uploaded")
        {call}
'''.encode()
    assert [f.line for f in analyze_source(source, "t.py", CODES).findings] == ([11] if reported else [])


@pytest.mark.parametrize("extra, reported", [
    # a caller of the module passes the default, or its own option of the same default on
    ("\n\ndef main():\n    Sender('h').send(b'x', ignore_errors=True)\n", False),
    ("\n\ndef relay(sender, data, ignore_errors=True):\n    sender.send(data, 0, ignore_errors)\n\n\nrelay(Sender('h'), b'x')\n", False),
    # a caller asks for the exception: that path re-raises
    ("\n\ndef main():\n    Sender('h').send(b'x', ignore_errors=False)\n", True),
    ("\n\ndef main():\n    Sender('h').send(b'x', 0, 0)\n", True),
    ("\n\ndef relay(sender, data, ignore_errors=False):\n    sender.send(data, 0, ignore_errors)\n", True),
])
def test_an_option_a_caller_of_the_module_sets_otherwise_is_not_its_default(extra, reported):
    source = OPTION.format(
        raise_default="False", ignore_default="True", set_option="pass",
        clause="if not ignore_errors:\n                raise",
    ).encode() + extra.encode()
    assert [f.line for f in analyze_source(source, "t.py", CODES).findings] == ([19] if reported else [])


@pytest.mark.parametrize("construction, reported", [
    ("Sender('h')", False),
    ("Sender('h', raise_send_errors=False)", False),
    ("Sender('h', raise_send_errors=True)", True),
    ("Sender('h', True)", True),
])
def test_an_option_the_module_constructs_with_otherwise_is_not_its_default(construction, reported):
    source = OPTION.format(
        raise_default="False", ignore_default="True", set_option="pass",
        clause="if self.raise_send_errors:\n                raise",
    ).encode() + f"\n\nSENDER = {construction}\n".encode()
    assert [f.line for f in analyze_source(source, "t.py", CODES).findings] == ([19] if reported else [])


TEST_MODULE = b"""\
import socket
import unittest
from unittest import TestCase as Case
from unittest.async_case import IsolatedAsyncioTestCase as AsyncCase
from unittest.case import TestCase as PlainCase

CONN = socket.create_connection(("db", 1))


def test_push():
    CONN.sendall(b"a")


def helper():
    CONN.sendall(b"h")


class TestThing:
    def test_push(self):
        CONN.sendall(b"c")

    def push(self):
        CONN.sendall(b"d")


class Checks(unittest.TestCase):
    def test_push(self):
        CONN.sendall(b"e")


class Base(Case):
    pass


class MoreChecks(Base):
    def test_push(self):
        CONN.sendall(b"f")


class Other:
    def test_push(self):
        CONN.sendall(b"g")


class AsyncChecks(unittest.IsolatedAsyncioTestCase):
    async def test_push(self):
        CONN.sendall(b"i")


class AsyncChecks2(AsyncCase):
    async def test_push(self):
        CONN.sendall(b"j")


class PlainChecks(PlainCase):
    def test_push(self):
        CONN.sendall(b"k")
"""


def test_a_test_that_a_runner_calls_says_the_runner_goes_on(tmp_path):
    # A test function or a TestCase's test method: the runner records the error and runs
    # the other tests. A helper, another method, a class no runner collects, or the same
    # code outside a test module: the program crashes, as far as the module can tell.
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / "tests").mkdir()
    test = "out of this test: the test runner records it as an error and goes on with the other tests"
    assert_escapes(
        TEST_MODULE,
        {"a": test, "h": None, "c": test, "d": None, "e": test, "f": test, "g": None, "i": test, "j": test, "k": test},
        path=str(tmp_path / "tests" / "test_client.py"),
    )
    assert_escapes(TEST_MODULE, dict.fromkeys("acdefghijk"), path=str(tmp_path / "client.py"))



FACTORY = """\
import socket


class Server:
    def __init__(self, address, client_class):
        self.sock = socket.create_server(address)
        self.client_class = client_class

    def serve(self):
        conn, addr = self.sock.accept()
        self.clients = [self.client_class(conn, addr)]


class Client:
    def __init__(self, sock, addr):
        self.sock = sock

    def push(self):
        self.sock.send(b"x")


class EchoClient(Client):
    def echo(self):
        self.sock.send(b"y")


def make(sock, addr):
    return sock


class Other(Client):
    def __init__(self, name, addr):
        self.sock = None
        self.name = name

{calls}
"""


@pytest.mark.parametrize(
    "calls, reported",
    [
        # the class handed to the server, which constructs it with an accepted connection:
        # Client.__init__'s sock is that connection, in the class and its subclass
        ("Server(('', 1), EchoClient).serve()", [19, 24]),
        ("Server(('', 1), Client).serve()", [19, 24]),
        # the value is also a function somewhere: what it constructs is not claimed
        ("Server(('', 1), EchoClient).serve()\nServer(('', 2), make).serve()", []),
        # a subclass with an __init__ of its own: Client's is not what the server runs
        ("Server(('', 1), Other).serve()", []),
    ],
)
def test_a_class_passed_as_a_value_is_constructed_where_the_value_is_called(calls, reported):
    source = FACTORY.format(calls=calls).encode()
    lines = sorted(f.line for f in analyze_source(source, "t.py", ["SPL001", "SPL004"]).findings)
    assert lines == reported


@pytest.mark.parametrize(
    "body, reported",
    [
        # a local name bound to the class
        ("    factory = Client\n    factory(conn)\n", [7]),
        # a parameter every call fills with the class
        ("    make(conn)\n\n\nserve(Client)\n", [7]),
        # a call that fills it by ** only: what it holds is unknown
        ("    make(conn)\n\n\nserve(**{'make': Client})\n", []),
    ],
)
def test_a_class_held_by_a_name_is_constructed_where_the_name_is_called(body, reported):
    source = (
        "import socket\n\n\nclass Client:\n    def __init__(self, sock):\n        self.sock = sock\n"
        "        self.sock.send(b'hi')\n\n\ndef serve(make=None):\n"
        "    conn, _ = socket.create_server(('', 1)).accept()\n" + body
    ).encode()
    result = analyze_source(source, "t.py", ["SPL001", "SPL004"])
    assert result.error is None
    assert sorted(f.line for f in result.findings) == reported


def test_no_wrap_is_offered_in_a_test_that_a_runner_calls(tmp_path):
    # The runner reports a dead peer as the test's error: a wrap that prints and goes on
    # would turn that failure into a pass. A helper the tests call keeps its fix.
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / "tests").mkdir()
    path = str(tmp_path / "tests" / "test_client.py")
    lines = TEST_MODULE.decode().splitlines()
    line_of = {text.split('b"')[1][0]: i for i, text in enumerate(lines, 1) if "sendall(b" in text}
    fixes = {f.line: f.fix for f in analyze_source(TEST_MODULE, path, ["SPL004"]).findings}
    for mark in "acefijk":
        assert fixes[line_of[mark]].applicability == "none", mark
        assert "is in a test that a runner calls" in fixes[line_of[mark]].message, mark
    for mark in "dgh":  # (no wrap there either, for another reason: CONN is the module's)
        assert "is in a test" not in fixes[line_of[mark]].message, mark
    outside = analyze_source(TEST_MODULE, str(tmp_path / "client.py"), ["SPL004"]).findings
    assert outside and not any("is in a test" in f.fix.message for f in outside)
    # a test that owns its connection: still no wrap
    owned = b"import socket\n\n\ndef test_push():\n    s = socket.create_connection(('h', 1))\n    s.sendall(b'x')\n"
    [finding] = analyze_source(owned, path, ["SPL004"]).findings
    assert finding.fix.applicability == "none" and "is in a test" in finding.fix.message
    [finding] = analyze_source(owned, str(tmp_path / "client.py"), ["SPL004"]).findings
    assert finding.fix.applicability == "unsafe"
