"""The program view through every adapter: warm-cache invalidation through an import, one
file alone (flake8, pre-commit) gets the package's answer, and the resolution rules."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sigpipe_lint.cli import main
from sigpipe_lint.program import resolve

TIMEOUT = 300

ERRORS = "import socket\n\nCONNECTION_ERRORS = (socket.error, EOFError)\n"
ERRORS_NARROW = "import socket\n\nCONNECTION_ERRORS = (EOFError,)\n"
CLIENT = """\
import socket

from .errors import CONNECTION_ERRORS
from .conn import connect


def ping(host):
    s = connect(host)
    try:
        s.sendall(b"ping")
    except CONNECTION_ERRORS:
        pass


def hello(host):
    s = connect(host)
    s.sendall(b"hello")
"""
CONN = "import socket\n\n\ndef connect(host):\n    return socket.create_connection((host, 7))\n"


def _package(root: Path, init: str = "") -> Path:
    """A project (pyproject.toml) at `root` holding package `pkg`, `init` its __init__."""
    (root / "pkg").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "p"\n')
    (root / "pkg" / "__init__.py").write_text(init)
    return root


def _project(root: Path) -> Path:
    _package(root)
    (root / "pkg" / "errors.py").write_text(ERRORS)
    (root / "pkg" / "conn.py").write_text(CONN)
    (root / "pkg" / "client.py").write_text(CLIENT)
    return root


def _check(root: Path, *args: str):
    proc = subprocess.run(
        [sys.executable, "-m", "sigpipe_lint", "check", "--select", "SPL", "--output-format", "json", *args],
        cwd=root,
        capture_output=True,
        timeout=TIMEOUT,
    )
    assert proc.returncode in (0, 1), proc.stderr.decode()
    return sorted((f["path"], f["line"], f["code"]) for f in json.loads(proc.stdout))


def test_editing_an_imported_module_rechecks_its_importer_on_a_warm_run(tmp_path):
    root = _project(tmp_path / "p")
    client = os.path.join("pkg", "client.py")
    # ping()'s guard names a tuple from errors.py holding socket.error: handled there.
    # The module has a handler covering BrokenPipeError, so SPL001 is quiet; hello() is SPL004.
    first = _check(root)
    assert first == [(client, 17, "SPL004")]
    assert _check(root) == first  # warm: served by the cache
    assert os.path.isdir(root / ".sigpipe_lint_cache")
    # Narrow the tuple: client.py itself did not change, but its answer did.
    (root / "pkg" / "errors.py").write_text(ERRORS_NARROW)
    assert _check(root) == [(client, 10, "SPL001"), (client, 17, "SPL001")]
    # And back.
    (root / "pkg" / "errors.py").write_text(ERRORS)
    assert _check(root) == first


def test_a_new_caller_elsewhere_rechecks_the_callee_on_a_warm_run(tmp_path):
    # net.py's write is handled by its only caller (a.py guards it). A new module calling
    # it unguarded makes it a finding, although neither net.py nor a.py changed: the
    # cached answer of net.py depended on a scan of the whole project for callers.
    root = _package(tmp_path / "p")
    (root / "pkg" / "net.py").write_text("def push(sock, data):\n    sock.sendall(data)\n")
    (root / "pkg" / "a.py").write_text(
        "import socket\n\nfrom .net import push\n\n\ndef go(host):\n"
        "    s = socket.create_connection((host, 7))\n    try:\n        push(s, b'x')\n    except OSError:\n        s.close()\n"
    )
    net = os.path.join("pkg", "net.py")
    assert _check(root) == []
    assert _check(root) == []  # warm
    (root / "pkg" / "b.py").write_text(
        "import socket\n\nfrom .net import push\n\n\ndef go(host):\n    s = socket.create_connection((host, 7))\n    push(s, b'y')\n"
    )
    cold = _check(root, "--no-cache")
    assert cold == [(net, 2, "SPL001")]  # net.py has no protection at all: SPL001 wins
    assert _check(root) == cold  # warm, b.py new: net.py re-checked
    (root / "pkg" / "b.py").unlink()
    assert _check(root) == []


def test_classes_whose_bases_name_each_other_across_modules_end(tmp_path):
    # A and B (in two modules) each name the other as a base: Python refuses to import it,
    # a reader must not follow the chain forever (it did, asking for `self.sock`).
    root = _package(tmp_path / "p")
    (root / "pkg" / "a.py").write_text("import socket\n\nfrom .b import B\n\n\nclass A(B):\n    pass\n")
    (root / "pkg" / "b.py").write_text("import socket\n\nfrom .a import A\n\n\nclass B(A):\n    pass\n")
    (root / "pkg" / "c.py").write_text(
        "import socket\n\nfrom .a import A\n\n\ndef go():\n    x = A()\n    x.sock.sendall(b'x')\n    x.conn().sendall(b'y')\n"
    )
    assert _check(root, "--no-cache") == []  # nothing says x.sock is a socket; and it ends


def test_one_file_alone_gets_the_packages_answer(tmp_path):
    """pre-commit and flake8 pass single files: they are placed in their project."""
    root = _project(tmp_path / "p")
    whole = _check(root, ".")
    alone = _check(root, os.path.join("pkg", "client.py"))
    assert alone == whole and alone  # the socket from conn.py and the tuple from errors.py


def test_flake8_on_a_package_equals_the_cli(tmp_path):
    root = _project(tmp_path / "p")
    proc = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "SPL", "--format", "%(path)s\t%(row)d\t%(code)s", "pkg"],
        cwd=root,
        capture_output=True,
        timeout=TIMEOUT,
    )
    assert proc.returncode in (0, 1), proc.stderr.decode()
    got = sorted(
        (os.path.normpath(p), int(r), c) for p, r, c in (line.split("\t") for line in proc.stdout.decode().splitlines())
    )
    assert got == _check(root, "pkg") == [(os.path.join("pkg", "client.py"), 17, "SPL004")]


def test_without_the_program_view_the_module_is_alone(tmp_path, capsys):
    """The same file analysed alone (stdin) cannot see conn.py's socket: nothing to report."""
    root = _project(tmp_path / "p")
    proc = subprocess.run(
        [sys.executable, "-m", "sigpipe_lint", "check", "--select", "SPL", "-"],
        cwd=root,
        input=(root / "pkg" / "client.py").read_bytes(),
        capture_output=True,
        timeout=TIMEOUT,
    )
    assert proc.returncode == 0, proc.stdout.decode() + proc.stderr.decode()


def test_resolution_order_and_relative_imports(tmp_path):
    root = _project(tmp_path / "p")
    client = str(root / "pkg" / "client.py")
    assert resolve.module_of(client)[:1] == ("pkg.client",)
    assert resolve.module_of(str(root / "pkg" / "__init__.py"))[0] == "pkg"
    assert resolve.absolute(".errors", "pkg.client", False) == "pkg.errors"
    assert resolve.absolute("..x", "pkg.sub.mod", False) == "pkg.x"
    assert resolve.absolute(".", "pkg", True) == "pkg"
    assert resolve.absolute("...x", "pkg.mod", False) is None  # beyond the top package
    paths = resolve.search_path(client)
    assert paths[0] == str(root)  # the file's own import root first
    assert resolve.find_module("pkg.errors", paths) == str(root / "pkg" / "errors.py")
    # src layout: the project root's src/ is searched
    (root / "src" / "other").mkdir(parents=True)
    (root / "src" / "other" / "__init__.py").write_text("")
    resolve.find_module.cache_clear()
    resolve._search_path.cache_clear()
    assert resolve.find_module("other", resolve.search_path(client)) == str(root / "src" / "other" / "__init__.py")
    # installed packages are read from the interpreter's path, never imported
    assert resolve.find_module("json", paths).endswith(os.path.join("json", "__init__.py"))
    assert resolve.project_root(str(root / "pkg")) == str(root)
    assert resolve.local_packages(client) == ("other", "pkg")  # src/other too


def test_a_module_is_never_imported(tmp_path, capsys):
    """The analysed project's modules are read, never run: a module that would raise (or
    write a file) on import changes nothing."""
    root = _project(tmp_path / "p")
    (root / "pkg" / "conn.py").write_text(CONN + "\nopen('IMPORTED', 'w').write('x')\nraise SystemExit(3)\n")
    old = os.getcwd()
    os.chdir(root)
    try:
        assert main(["check", "--no-cache", "--select", "SPL", "."]) == 1
    finally:
        os.chdir(old)
    assert "pkg/client.py:17:5: SPL004" in capsys.readouterr().out
    assert not (root / "IMPORTED").exists()


TRANSPORT = """\
import socket


class Transport:
    def __init__(self, address):
        self.sock = socket.create_connection(address)

    def transmit(self, msg):
        self.sock.sendall(msg)
"""
HANDLER = """\
from pkg import transport


class Handler:
    def __init__(self, address):
        self.transport = transport.Transport(address)

    def emit(self, msg):
        try:
            self.transport.transmit(msg)
        except OSError:
            pass
"""


def test_a_methods_caller_in_another_module_counts_and_its_edit_rechecks_the_method(tmp_path):
    """transmit() is called only as self.transport.transmit() from handler.py, guarded: the
    write is handled there. Unguard that call and transport.py's answer changes on a warm run."""
    root = _package(tmp_path / "p")
    (root / "pkg" / "transport.py").write_text(TRANSPORT)
    (root / "pkg" / "handler.py").write_text(HANDLER)
    assert _check(root) == []
    unguarded = HANDLER.replace("        try:\n            self.transport", "        self.transport").replace(
        "        except OSError:\n            pass\n", ""
    )
    assert unguarded != HANDLER
    (root / "pkg" / "handler.py").write_text(unguarded)
    assert _check(root) == [(os.path.join("pkg", "transport.py"), 9, "SPL001")]
    (root / "pkg" / "handler.py").write_text(HANDLER)
    assert _check(root) == []


def test_name_uses_reads_code_not_comments_or_strings():
    from sigpipe_lint.program.view import name_uses

    src = b'# transmit is documented here\nx = "transmit"\ndef transmit(m):\n    t.transmit(m)\n    t . transmit (m)\n'
    assert name_uses(src, "transmit") == (2, 1, 0)
    assert name_uses(src + b"f = t.transmit\n", "transmit") == (2, 1, 1)
    assert name_uses(src + b"getattr(t, 'x')(transmit=1)\n", "transmit") == (2, 1, 1)
    # a string that holds a call, a call split at its dot: not a call the records can match
    assert name_uses(src + b"s = 't.transmit(1)'\nt.\\\n  transmit(m)\n", "transmit") == (2, 1, 1)
    # a docstring holding a call and a quote, a comment holding a call, a word in a comment
    src2 = b'"""t.transmit(m)\n# \'"""\nt.transmit(m)  # t.transmit(\n# see transmit\n'
    assert name_uses(src2, "transmit") == (1, 0, 0)


def test_a_module_is_parsed_once_for_its_analysis_and_for_a_summary(tmp_path, monkeypatch):
    # conn.py analysed first, then client.py, which asks conn.py's summary: the tree of the
    # analysis serves the summary (a parse is most of a cold run's cost). The answer is the
    # same as when the summary comes from a fresh parse.
    import sigpipe_lint.parse as parse_mod
    from sigpipe_lint.engine import analyze_source
    from sigpipe_lint.program.view import Program
    from sigpipe_lint.rules import RULES_BY_CODE

    root = _project(tmp_path)
    conn = root / "pkg" / "conn.py"
    # A conn.py that can match (a guarded write), so its own analysis parses it.
    conn.write_text(CONN + "\n\ndef greet(host):\n    s = connect(host)\n    try:\n        s.sendall(b'hi')\n    except OSError:\n        s.close()\n")
    parsed = []
    real = parse_mod.parse
    monkeypatch.setattr(parse_mod, "parse", lambda source: parsed.append(source) or real(source))
    program = Program()
    codes = sorted(RULES_BY_CODE)
    client = root / "pkg" / "client.py"
    assert analyze_source(conn.read_bytes(), str(conn), codes, program=program).findings == []
    found = analyze_source(client.read_bytes(), str(client), codes, program=program).findings
    assert parsed.count(conn.read_bytes()) == 1
    assert parsed.count(client.read_bytes()) == 1
    alone = analyze_source(client.read_bytes(), str(client), codes, program=Program()).findings
    assert [(f.line, f.code) for f in found] == [(f.line, f.code) for f in alone] == [(17, "SPL004")]


def test_spl002_names_the_writes_in_source_order_whatever_the_hash_seed(tmp_path):
    # The writes of a module were collected by iterating a set of method names, so their
    # order (shown in SPL002's message) changed with the process's string hash seed.
    root = _package(tmp_path / "p", init="import signal\n\nsignal.signal(signal.SIGPIPE, signal.SIG_DFL)\n")
    (root / "pkg" / "m.py").write_text(
        "import socket\n\n\ndef go(host):\n    s = socket.create_connection((host, 7))\n"
        "    s.sendall(b'a')\n    s.send(b'b')\n    f = s.makefile('wb')\n    f.write(b'c')\n    f.flush()\n"
    )
    outputs = set()
    for seed in ("1", "2", "3", "4"):
        proc = subprocess.run(
            [sys.executable, "-m", "sigpipe_lint", "check", "--no-cache", "--select", "SPL002", "pkg/__init__.py"],
            cwd=root, capture_output=True, timeout=TIMEOUT, env={**os.environ, "PYTHONHASHSEED": seed},
        )
        outputs.add(proc.stdout)
    assert len(outputs) == 1
    assert b"(s.sendall(), s.send(), f.write(), f.flush())" in outputs.pop()


def test_the_facts_caches_only_hold_nodes_that_live_as_long_as_they_do():
    # The facts' caches key on id(node). A string annotation was parsed into a throwaway
    # expression: once freed, its id went to the next node made, which then got its cached
    # answer (the CLI and flake8 disagreed on p07's `other: "typing.Optional[...]"`,
    # depending on what a worker had analysed before). Every node a cache holds an answer
    # for must belong to the module or to an expression the facts keep.
    import libcst as cst

    from sigpipe_lint.facts import ModuleFacts
    from sigpipe_lint.parse import parse

    client = Path(__file__).resolve().parent.parent / "fixtures" / "program" / "p07_annotations" / "client.py"
    module = parse(client.read_bytes())
    facts = ModuleFacts(module)
    assert len(facts.writes) == 7  # the seven `# expect:` lines, so the annotations were read

    alive = set()

    class Collect(cst.CSTVisitor):
        def on_visit(self, node):
            alive.add(id(node))
            return True

    module.visit(Collect())
    for expr in facts.annotation_exprs.values():
        expr.visit(Collect())
    assert facts._qcache and {key[0] for key in facts._qcache} <= alive


FACTORY = "import socket\n\n\ndef open_link(address):\n    return socket.create_connection(address)\n"
FACTORY_MAILBOX = (
    "import socket\n\n\nclass Mailbox:\n    def sendall(self, item):\n        return item\n\n\n"
    "def open_link(address):\n    return Mailbox()\n"
)
WIRE = "def send_frame(sock, data):\n    sock.sendall(data)\n"
APP = "from pkg import factory, wire\n\n\ndef run(address):\n    s = factory.open_link(address)\n    wire.send_frame(s, b'x')\n"


def test_a_socket_from_a_third_modules_factory_makes_the_parameter_a_socket_and_a_dependency(tmp_path):
    """app.py passes wire.send_frame() what factory.open_link() returns: app.py's summary
    records only which function made the argument; wire.py's analysis asks factory.py what
    it returns, so its answer depends on factory.py (recorded, whatever the order in which
    the modules are met), and on what factory.py says: a Mailbox there, no finding."""
    from sigpipe_lint.engine import analyze_source
    from sigpipe_lint.program.view import Program, _sha
    from sigpipe_lint.rules import RULES_BY_CODE

    root = _package(tmp_path / "p")
    factory, wire, app = (root / "pkg" / f"{n}.py" for n in ("factory", "wire", "app"))
    factory.write_text(FACTORY)
    wire.write_text(WIRE)
    app.write_text(APP)
    codes = sorted(RULES_BY_CODE)

    def wire_result(program, first=()):
        for other in first:  # analysed before, in the same process: summaries memoised
            analyze_source(other.read_bytes(), str(other), codes, program=program)
        return analyze_source(wire.read_bytes(), str(wire), codes, program=program)

    for first in ((), (app,), (factory, app), (app, factory)):
        result = wire_result(Program(), first)
        assert [(f.line, f.code) for f in result.findings] == [(2, "SPL001")], first
        deps = {os.path.abspath(p): h for p, h in result.deps.items()}
        assert deps.get(str(factory.resolve())) == _sha(FACTORY.encode()), first
    factory.write_text(FACTORY_MAILBOX)
    assert wire_result(Program()).findings == []


WIRE_CLASS = "class Wire:\n    def __init__(self, sock):\n        self.sock = sock\n\n    def push(self, data):\n        self.sock.sendall(data)\n"
APP_CONSTRUCTS = "import socket\n\nfrom pkg.wire import Wire\n\n\ndef run(a):\n    Wire(socket.create_connection(a)).push(b'x')\n"


def test_a_construction_elsewhere_counts_and_its_edit_rechecks_the_class_on_a_warm_run(tmp_path):
    """Wire's only construction (app.py) passes a socket: self.sock is one. app.py making a
    second Wire with a Mailbox, or naming the class as a value, re-checks wire.py on a warm
    run (neither changed wire.py) and the write is no longer known to be a socket's."""
    root = _package(tmp_path / "p")
    (root / "pkg" / "wire.py").write_text(WIRE_CLASS)
    (root / "pkg" / "app.py").write_text(APP_CONSTRUCTS)
    reported = [(os.path.join("pkg", "wire.py"), 6, "SPL001")]
    assert _check(root) == reported
    assert _check(root) == reported  # warm
    mixed = APP_CONSTRUCTS + "\n\nclass Mailbox:\n    def sendall(self, d):\n        pass\n\n\ndef box():\n    Wire(Mailbox()).push(b'y')\n"
    (root / "pkg" / "app.py").write_text(mixed)
    assert _check(root) == [] == _check(root, "--no-cache")
    (root / "pkg" / "app.py").write_text(APP_CONSTRUCTS + "\n\nFACTORY = Wire\n")
    assert _check(root) == [] == _check(root, "--no-cache")
    (root / "pkg" / "app.py").write_text(APP_CONSTRUCTS)
    assert _check(root) == reported


def test_the_word_scan_is_shared_by_modules_yet_each_leaves_itself_and_tests_out(tmp_path):
    # _naming keeps one scan per word and kind of file (a large project asks the same word
    # for many modules): each module still gets the others' files, never its own, and a
    # library module never a test's (tests are not the program's callers), a test does.
    from sigpipe_lint.program.view import Program

    root = _package(tmp_path / "p")
    files = {
        "a.py": "def push(s):\n    s.sendall(b'x')\n",
        "b.py": "from .a import push\n\ndef run(s):\n    push(s)\n",
        "c.py": "x = 1\n",
    }
    for name, text in files.items():
        (root / "pkg" / name).write_text(text)
    (root / "tests").mkdir()
    (root / "tests" / "test_a.py").write_text("from pkg.a import push\n\ndef test_push(s):\n    push(s)\n")
    (root / "tests" / "test_b.py").write_text("from pkg.a import push\n\ndef test_run(s):\n    push(s)\n")

    def naming(program, path):
        found = program._files_naming(str(path), "push")
        return sorted(os.path.relpath(f, root) for f, _ in found)

    a, b, c = (root / "pkg" / n for n in ("a.py", "b.py", "c.py"))
    ta, tb = root / "tests" / "test_a.py", root / "tests" / "test_b.py"
    pkg = lambda n: os.path.join("pkg", n)  # noqa: E731
    tests = lambda n: os.path.join("tests", n)  # noqa: E731
    for order in ((a, b, c, ta, tb), (tb, ta, c, b, a)):
        program = Program()
        got = {p: naming(program, p) for p in order}
        assert got[a] == [pkg("b.py")]
        assert got[b] == [pkg("a.py")]
        assert got[c] == [pkg("a.py"), pkg("b.py")]
        assert got[ta] == [pkg("a.py"), pkg("b.py"), tests("test_b.py")]
        assert got[tb] == [pkg("a.py"), pkg("b.py"), tests("test_a.py")]
    # callers() reads the same scan: b.py's call, not the tests'
    records = Program().callers("pkg.a.push", str(a))
    assert [os.path.relpath(r.where, root) for r in records] == [pkg("b.py")]


# statsd-metrics (holdout 2): the base class binds `self._socket = self._create_socket()`,
# each client subclass in its own module makes its socket, wrapped in a proxy of the
# package's __init__ whose __getattr__ forwards to the socket it was given.
BASE_AND_PROXY = '''\
import socket


class Shared(object):
    def __init__(self, sock):
        self._socket = sock
        self._users = []

    def __getattr__(self, name):
        return getattr(self._socket, name)


class Client(object):
    def __init__(self, host):
        self.host = host
        self._socket = None
        self._socket = self._create_socket()

    def _create_socket(self):
        raise NotImplementedError
'''
TCP_CLIENT = '''\
import socket

from . import Client, Shared


def _open(client):
    sock = {made}
    sock.connect((client.host, 8125))
    return sock


class TCPClient(Client):
    def _create_socket(self):
        return _open(self)

    def request(self, data):
        self._socket.sendall(data)
'''


def test_a_subclass_makes_the_socket_its_base_elsewhere_binds_and_a_proxy_forwards_to_it(tmp_path):
    root = _package(tmp_path / "p", init=BASE_AND_PROXY)
    tcp = os.path.join("pkg", "tcp.py")
    cases = {
        # the subclass's own factory, through the base's self._create_socket(): a socket
        "socket.socket(socket.AF_INET, socket.SOCK_STREAM)": [(tcp, 17, "SPL001")],
        # the same socket wrapped in the forwarding proxy of another module
        "Shared(socket.socket(socket.AF_INET, socket.SOCK_STREAM))": [(tcp, 17, "SPL001")],
        # negatives: a proxy around something that is not a socket; a UDP socket
        "Shared(object())": [],
        "socket.socket(socket.AF_INET, socket.SOCK_DGRAM)": [],
    }
    for made, expected in cases.items():
        (root / "pkg" / "tcp.py").write_text(TCP_CLIENT.format(made=made))
        assert _check(root, "--no-cache") == expected, made
    # a class without the forwarding __getattr__ is not a socket because it was given one
    (root / "pkg" / "__init__.py").write_text(BASE_AND_PROXY.replace("__getattr__", "lookup"))
    (root / "pkg" / "tcp.py").write_text(TCP_CLIENT.format(made="Shared(socket.socket(socket.AF_INET, socket.SOCK_STREAM))"))
    assert _check(root, "--no-cache") == []
