"""Decisions of the program view that the folder fixtures left untested.

Each test here was written for a mutant of `sigpipe_lint/program/` that the fast tests let
live (benchmarks/mutation.py; the survivors and the mutants judged equivalent are listed in
its docstring). The packages are small and written inline; as in fixtures/program/, what
must be reported carries a trailing `# expect: CODE` comment and a line the engine must
not report carries `# ok` with the reason, and the whole package is checked with
`sigpipe-lint check --select SPL` (`reported_in`).
"""

from __future__ import annotations

import json
import os
import pickle
import textwrap
from pathlib import Path

import pytest

from sigpipe_lint.cli import main
from sigpipe_lint.program import resolve
from test_idioms import STREAM_SUBCLASS
from test_program_fixtures import expected_in, reported_in

# A guarded write in every client module: the module handles BrokenPipeError somewhere, so
# an unguarded write is the per-call SPL004 (SPL001 is for modules with no handling at all).
GUARDED = '''

def guarded(host):
    s = socket.create_connection((host, 7))
    try:
        s.sendall(b"x")  # ok: OSError caught
    except OSError:
        pass
'''


def _package(root: Path, files: dict) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text('[project]\nname = "p"\n')
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def _src(text: str) -> str:
    return textwrap.dedent(text)


def _check(root: Path, capsys):
    """(reported, expected) for the package, each a sorted list of (file, line, code)."""
    got, _status = reported_in(root, capsys)
    return got, expected_in(root)


# -- resolve.py ------------------------------------------------------------------------


@pytest.mark.parametrize("marker", ["pyproject.toml", "setup.cfg", "setup.py", ".git"])
def test_every_project_marker_makes_a_project_root(tmp_path, marker):
    root = tmp_path / "proj"
    (root / "a" / "b").mkdir(parents=True)
    if marker == ".git":
        (root / marker).mkdir()
    else:
        (root / marker).write_text("")
    assert resolve.project_root(str(root / "a" / "b")) == str(root)


def test_module_names_of_nested_packages_and_unimportable_files(tmp_path):
    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "sub" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "sub" / "mod.py").write_text("")
    assert resolve.module_of(str(tmp_path / "pkg" / "sub" / "mod.py")) == ("pkg.sub.mod", str(tmp_path), False)
    assert resolve.module_of(str(tmp_path / "pkg" / "sub" / "__init__.py")) == ("pkg.sub", str(tmp_path), True)
    # a script that cannot be imported by name, and a module in a folder that cannot either
    (tmp_path / "my-script.py").write_text("")
    assert resolve.module_of(str(tmp_path / "my-script.py")) == (None, str(tmp_path), False)
    (tmp_path / "my-pkg").mkdir()
    (tmp_path / "my-pkg" / "__init__.py").write_text("")
    (tmp_path / "my-pkg" / "mod.py").write_text("")
    assert resolve.module_of(str(tmp_path / "my-pkg" / "mod.py"))[0] is None


def test_an_absolute_name_stays_as_it_is():
    assert resolve.absolute("pkg.errors", "other.mod", False) == "pkg.errors"


def test_search_path_lists_each_existing_folder_once(tmp_path):
    root = _package(tmp_path / "p", {"pkg/__init__.py": "", "pkg/client.py": ""})
    paths = resolve.search_path(str(root / "pkg" / "client.py"))
    # the import root is also the project root: once; there is no src/ folder: not listed
    assert paths.count(str(root)) == 1
    assert str(root / "src") not in paths
    assert len(paths) == len(set(paths))


def test_local_packages_include_top_level_modules_but_not_setup_py(tmp_path):
    root = _package(tmp_path / "p", {"setup.py": "", "tool.py": "", "pkg/__init__.py": "", "notes.txt": ""})
    assert resolve.local_packages(str(root / "tool.py")) == ("pkg", "tool")


# -- summary.py: names, exceptions, functions, classes ---------------------------------


def test_names_that_stand_for_something_elsewhere(tmp_path, capsys):
    """An alias of socket.error guards; an alias of a local class leads to its socket; a
    module-level function is not confused with a nested function or a method of its name."""
    root = _package(
        tmp_path / "p",
        {
            "pkg/__init__.py": "",
            "pkg/defs.py": _src('''\
                import socket

                Dead = socket.error


                class _Conn:
                    def __init__(self, host):
                        self.sock = socket.create_connection((host, 7))


                Connection = _Conn


                def outer():
                    def make():
                        return socket.create_connection(("h", 7))
                    return make


                class Pool:
                    def make(self):
                        return socket.create_connection(("h", 7))


                def make():
                    return b"not a socket"
                '''),
            "pkg/client.py": _src('''\
                import socket

                from .defs import Connection, Dead, make


                def caught_by_alias(host):
                    s = socket.create_connection((host, 7))
                    try:
                        s.sendall(b"x")  # ok: Dead is socket.error
                    except Dead:
                        pass


                def through_an_alias_of_a_class(host):
                    c = Connection(host)
                    c.sock.sendall(b"x")  # expect: SPL004


                def not_a_socket():
                    s = make()
                    s.sendall(b"x")  # ok: the module-level make() returns bytes
                ''')
            + GUARDED,
        },
    )
    got, expected = _check(root, capsys)
    assert got == expected


# The same exception names, defined in the module of the write or imported from another
# one: the answer must not depend on where the name is defined.
EXCEPTION_NAMES = {
    # a tuple holding socket.error catches, whatever its other element is
    "tuple_with_an_unknown_element": ("ERRS = (socket.error, extra())", "ok"),
    # bound by an import in one branch and a tuple in the other: unknown, not a guard
    "import_or_tuple": (
        "try:\n    from ._compat import ERRS\nexcept ImportError:\n    ERRS = (socket.error,)",
        "expect: SPL004",
    ),
    # a tuple whose elements catch nothing of a dead peer
    "tuple_of_other_errors": ("ERRS = (ValueError, KeyError)", "expect: SPL004"),
}
DEFS_HEAD = "import socket\n\n\ndef extra():\n    return ValueError\n\n\n"
WRITE = '''

def write(host):
    s = socket.create_connection((host, 7))
    try:
        s.sendall(b"x")  # {mark}
    except ERRS:
        pass
'''


@pytest.mark.parametrize("case", sorted(EXCEPTION_NAMES))
@pytest.mark.parametrize("where", ["here", "imported"])
def test_exception_names_mean_the_same_here_and_imported(tmp_path, capsys, case, where):
    defs, mark = EXCEPTION_NAMES[case]
    write = WRITE.format(mark=mark) + GUARDED
    if where == "here":
        files = {"pkg/__init__.py": "", "pkg/client.py": DEFS_HEAD + defs + "\n" + write}
    else:
        files = {
            "pkg/__init__.py": "",
            "pkg/defs.py": DEFS_HEAD + defs + "\n",
            "pkg/client.py": "import socket\n\nfrom .defs import ERRS\n" + write,
        }
    got, expected = _check(_package(tmp_path / "p", files), capsys)
    assert got == expected


def test_a_base_class_three_modules_away(tmp_path, capsys):
    """Client(Mid) <- Mid(Mid2) <- Mid2(Base) <- Base sets self.sock: past the depth one
    summary may ask, the bases recorded in each summary lead on."""
    root = _package(
        tmp_path / "p",
        {
            "pkg/__init__.py": "",
            "pkg/base.py": _src('''\
                import socket


                class Base:
                    def __init__(self, host):
                        self.sock = socket.create_connection((host, 7))
                '''),
            "pkg/mid2.py": "from .base import Base\n\n\nclass Mid2(Base):\n    pass\n",
            "pkg/mid.py": "from .mid2 import Mid2\n\n\nclass Mid(Mid2):\n    pass\n",
            "pkg/client.py": _src('''\
                import socket

                from .mid import Mid


                class Client(Mid):
                    def ping(self):
                        self.sock.sendall(b"x")  # expect: SPL004
                ''')
            + GUARDED,
        },
    )
    got, expected = _check(root, capsys)
    assert got == expected


def test_context_managers_of_another_module(tmp_path, capsys):
    """Managers imported from other modules: generator functions (in a module with no
    `__exit__` at all) and classes; a manager that is not found, or that is a method of a
    class elsewhere, is no guard."""
    root = _package(
        tmp_path / "p",
        {
            "pkg/__init__.py": "",
            "pkg/managers.py": _src('''\
                import contextlib


                @contextlib.contextmanager
                def quiet():
                    try:
                        yield
                    except OSError:
                        pass


                @contextlib.contextmanager
                def timed():
                    yield
                '''),
            "pkg/exits.py": _src('''\
                import contextlib


                class Swallow:
                    def __enter__(self):
                        return self

                    def __exit__(self, exc_type, exc, tb):
                        return exc_type is not None and issubclass(exc_type, OSError)


                class Loud:
                    def __enter__(self):
                        return self

                    def __exit__(self, exc_type, exc, tb):
                        return False

                    @staticmethod
                    @contextlib.contextmanager
                    def timed():
                        yield
                '''),
            "pkg/client.py": _src('''\
                import socket

                from missing_lib import session

                from .exits import Loud, Swallow
                from .managers import quiet, timed


                def a(host):
                    s = socket.create_connection((host, 7))
                    with quiet():
                        s.sendall(b"x")  # ok: quiet() swallows OSError


                def b(host):
                    s = socket.create_connection((host, 7))
                    with timed():
                        s.sendall(b"x")  # expect: SPL004


                def c(host):
                    s = socket.create_connection((host, 7))
                    with Swallow():
                        s.sendall(b"x")  # ok: __exit__ returns True for OSError


                def d(host):
                    s = socket.create_connection((host, 7))
                    with Loud():
                        s.sendall(b"x")  # expect: SPL004


                def e(host):
                    s = socket.create_connection((host, 7))
                    with session():
                        s.sendall(b"x")  # expect: SPL004


                def f(host):
                    s = socket.create_connection((host, 7))
                    with Loud.timed():
                        s.sendall(b"x")  # expect: SPL004
                ''')
            + GUARDED,
        },
    )
    got, expected = _check(root, capsys)
    assert got == expected


def test_what_imported_names_make(tmp_path, capsys):
    """A classmethod of a class elsewhere that returns a socket makes one; a function
    elsewhere that returns an object of another class makes no socket attribute."""
    root = _package(
        tmp_path / "p",
        {
            "pkg/__init__.py": "",
            "pkg/conn.py": _src('''\
                import socket


                class Conn:
                    @classmethod
                    def open(cls, host):
                        return socket.create_connection((host, 7))


                class FakeSocket:
                    def sendall(self, data):
                        pass


                class Fake:
                    def __init__(self):
                        self.sock = FakeSocket()


                def make_fake():
                    return Fake()
                '''),
            "pkg/client.py": _src('''\
                import socket

                from .conn import Conn, make_fake


                def real(host):
                    s = Conn.open(host)
                    s.sendall(b"x")  # expect: SPL004


                def fake():
                    f = make_fake()
                    f.sock.sendall(b"x")  # ok: make_fake() makes no socket
                ''')
            + GUARDED,
        },
    )
    got, expected = _check(root, capsys)
    assert got == expected


# -- summary.py: resets and calls ------------------------------------------------------

NET = '''\
import socket


def run(host):
    s = socket.create_connection((host, 80))
    try:
        s.sendall(b"x")  # {mark}
    except OSError:
        pass
'''


@pytest.mark.parametrize(
    "where, code, mark",
    [
        # SIG_IGN is Python's default, not a reset: the OSError handler is reached
        ("__init__.py", "import signal\n\nsignal.signal(signal.SIGPIPE, signal.SIG_IGN)\n", "ok: SIGPIPE ignored"),
        # SIG_DFL set in a child process only (preexec_fn), not in this one
        (
            "__main__.py",
            "import signal\nimport subprocess\n\n"
            "subprocess.run(['ls'], preexec_fn=lambda: signal.signal(signal.SIGPIPE, signal.SIG_DFL))\n",
            "ok: the reset runs in the child",
        ),
        # the reset itself, in the program's entry, in the package, in the module: the
        # handler is never reached
        (
            "__main__.py",
            "import signal\n\nsignal.signal(signal.SIGPIPE, signal.SIG_DFL)  # expect: SPL002\n",
            "expect: SPL004",
        ),
        (
            "__init__.py",
            "import signal\n\nsignal.signal(signal.SIGPIPE, signal.SIG_DFL)  # expect: SPL002\n",
            "expect: SPL004",
        ),
        (
            "net.py",
            "import signal\n\nsignal.signal(signal.SIGPIPE, signal.SIG_DFL)  # expect: SPL002\n",
            "expect: SPL004",
        ),
    ],
    ids=["sig_ign_in_init", "reset_in_child", "reset_in_main", "reset_in_init", "reset_here"],
)
def test_only_a_reset_in_this_process_is_a_reset_for_the_program(tmp_path, capsys, where, code, mark):
    files = {
        "tool/__init__.py": "",
        "tool/__main__.py": "from tool import net\n\nnet.run('example.org')\n",
        "tool/net.py": NET.format(mark=mark),
    }
    files[f"tool/{where}"] = code + files[f"tool/{where}"]
    got, expected = _check(_package(tmp_path / "p", files), capsys)
    assert got == expected


def test_callers_in_other_modules(tmp_path, capsys):
    """The socket a caller passes reaches the callee's parameter: through `import ... as`,
    by keyword in any order (a UDP socket has no peer to lose, a TCP one has), through the
    module (`net.send_mod(s)`), and through a re-export by the package. A function of the
    same name elsewhere, found or not, is not a caller."""
    root = _package(
        tmp_path / "p",
        {
            "pkg/__init__.py": "from .net import send_once\n",
            "pkg/net.py": _src('''\
                import socket


                def send(sock, data):
                    sock.sendall(data)  # expect: SPL004


                def forward(src, dst):
                    dst.sendall(src.recv(512))  # expect: SPL004


                def send_mod(sock):
                    sock.sendall(b"x")  # expect: SPL004


                def send_once(sock):
                    sock.sendall(b"x")  # expect: SPL004


                def send_safe(sock):
                    sock.sendall(b"x")  # ok: its one caller catches OSError
                ''')
            + GUARDED,
            # another module of the package that works with sockets (so it can be read)
            "pkg/other.py": "import socket\n\n\ndef send_safe(sock):\n    pass\n",
            "pkg/user.py": _src('''\
                import socket

                from pkg import send_once

                from . import net
                from .net import forward, send_safe
                from .net import send as push


                def go(host):
                    s = socket.create_connection((host, 7))
                    push(s, b"x")


                def bridge(host):
                    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                    tcp = socket.create_connection((host, 7))
                    forward(dst=tcp, src=udp)


                def through_module(host):
                    s = socket.create_connection((host, 7))
                    net.send_mod(s)


                def reexported(host):
                    s = socket.create_connection((host, 7))
                    send_once(s)


                def safe(host):
                    s = socket.create_connection((host, 7))
                    try:
                        send_safe(s)
                    except OSError:
                        pass
                '''),
            "pkg/user2.py": _src('''\
                import socket

                from .other import send_safe


                def unrelated(host):
                    s = socket.create_connection((host, 7))
                    send_safe(s)
                '''),
            "pkg/user3.py": _src('''\
                import socket

                from missing_lib import send_safe


                def unrelated(host):
                    s = socket.create_connection((host, 7))
                    send_safe(s)
                '''),
        },
    )
    got, expected = _check(root, capsys)
    assert got == expected


# -- view.py ---------------------------------------------------------------------------


@pytest.mark.parametrize("folder", ["venv", "env", "__pycache__", "node_modules", "build", "dist", "site-packages"])
def test_callers_in_copies_and_environments_are_not_the_programs(tmp_path, capsys, folder):
    """The one caller of send() catches OSError; an unguarded copy of it under a build
    output, a virtualenv or a vendored tree is not a caller in this program."""
    caller = _src('''\
        import socket

        from pkg.net import send


        def go(host):
            s = socket.create_connection((host, 7))
            try:
                send(s)
            except OSError:
                pass
        ''')
    copy = caller.replace("    try:\n        send(s)\n    except OSError:\n        pass\n", "    send(s)\n")
    assert copy != caller
    root = _package(
        tmp_path / "p",
        {
            "pkg/__init__.py": "",
            "pkg/net.py": "def send(sock):\n    sock.sendall(b'x')  # ok: its caller catches OSError\n",
            "pkg/user.py": caller,
            f"{folder}/lib/pkg/user.py": copy,
        },
    )
    got, expected = _check(root, capsys)
    assert got == expected == []


def test_the_summaries_a_file_consulted_are_recorded_built_or_remembered(tmp_path):
    """`consulted` decides when a cached result is stale: a summary counts whether it was
    built for this file or remembered from an earlier one; and it is kept on disk."""
    from sigpipe_lint.program.view import ANY_LEVEL, Program, _sha

    root = _package(tmp_path / "p", {"pkg/__init__.py": "", "pkg/errors.py": "import socket\n\nERRS = (socket.error,)\n"})
    errors = str(root / "pkg" / "errors.py")
    sha = _sha((root / "pkg" / "errors.py").read_bytes())
    cache = tmp_path / "cache"
    program = Program(str(cache))
    program.begin()
    assert program.summary(errors).exceptions == {"ERRS": ("builtins.OSError",)}
    assert program.consulted == {errors: sha}  # built
    program.begin()
    assert program.consulted == {}
    program.summary(errors)
    assert program.consulted == {errors: sha}  # remembered
    assert len(list(cache.rglob("*.pickle"))) == 1
    # a new process reads it from the disk
    again = Program(str(cache))
    assert again._load(errors, sha, ANY_LEVEL).exceptions == {"ERRS": ("builtins.OSError",)}  # asks nothing


def test_a_summary_does_not_depend_on_which_module_asked_for_it_first(tmp_path):
    """b.open_() returns c.connect()'s socket. Asked for directly, b's summary follows that
    into c; summarised for a's (one module further), it may not. Before, whichever came
    first was kept for both: `--jobs 2` runs differed from each other and from `--jobs 1`."""
    from sigpipe_lint.program.view import Program

    root = _package(
        tmp_path / "p",
        {
            "pkg/__init__.py": "",
            "pkg/c.py": "import socket\n\n\ndef connect(host):\n    return socket.create_connection((host, 7))\n",
            "pkg/b.py": "from .c import connect\n\n\ndef open_(host):\n    return connect(host)\n",
            "pkg/a.py": "from .b import open_\n\n\ndef link(host):\n    return open_(host)\n",
        },
    )
    a, b = (str(root / "pkg" / f) for f in ("a.py", "b.py"))
    alone = Program().summary(b)
    program = Program()
    program.summary(a)  # summarises b on the way, one module further from the question
    assert set(alone.functions) == set(program.summary(b).functions) == {"open_"}


def test_a_cached_summary_is_stale_once_a_module_it_was_built_from_changes(tmp_path):
    """client.py's summary says open_() returns a socket because conn.connect() does: it
    records conn.py's hash, and a later process does not load it once conn.py changed."""
    from sigpipe_lint.program.view import ANY_LEVEL, MAX_DEPTH, Program, _sha

    root = _package(
        tmp_path / "p",
        {
            "pkg/__init__.py": "",
            "pkg/conn.py": "import socket\n\n\ndef connect(host):\n    return socket.create_connection((host, 7))\n",
            "pkg/client.py": "from .conn import connect\n\n\ndef open_(host):\n    return connect(host)\n",
        },
    )
    conn, client = root / "pkg" / "conn.py", root / "pkg" / "client.py"
    cache = str(tmp_path / "cache")
    first = Program(cache).summary(str(client))
    assert set(first.functions) == {"open_"}
    assert first.deps == {str(conn): _sha(conn.read_bytes())}
    assert first.level == MAX_DEPTH - 1  # it asked conn.py: kept for its level only
    client_sha = _sha(client.read_bytes())
    assert Program(cache)._load(str(client), client_sha, first.level) is not None  # unchanged: served
    assert Program(cache)._load(str(client), client_sha, ANY_LEVEL) is None
    conn.write_text("def connect(host):\n    return host\n")
    assert Program(cache)._load(str(client), client_sha, first.level) is None  # conn.py changed: stale
    assert Program(cache).summary(str(client)).functions == {}
    # an entry that is not a summary (another tool's file, a truncated write) is a miss
    with open(Program(cache)._cache_file(str(client), client_sha, first.level), "wb") as f:
        f.write(pickle.dumps({"sha": client_sha}))
    assert Program(cache)._load(str(client), client_sha, first.level) is None


def test_a_kept_tree_serves_only_the_same_bytes(tmp_path):
    from sigpipe_lint.program.view import Program

    path = str(tmp_path / "m.py")
    program = Program()
    first = program.parsed(path, b"x = 1\n")
    assert program.parsed(path, b"x = 1\n") is first  # kept
    assert program.parsed(path, b"y = 2\n")[0].code == "y = 2\n"  # changed: parsed again


def test_the_files_of_a_package_outside_any_project(tmp_path):
    """Without a project marker a package's modules see their package; a top-level script
    sees the scripts of its folder (not its subfolders); a script that cannot be imported
    has no callers to scan for."""
    from sigpipe_lint.program.view import Program

    assert resolve.project_root(str(tmp_path)) is None  # nothing above the test's folder
    (tmp_path / "pkg").mkdir()
    for name in ("__init__.py", "a.py", "b.py"):
        (tmp_path / "pkg" / name).write_text("")
    (tmp_path / "alone.py").write_text("")
    (tmp_path / "my-script.py").write_text("")
    files = sorted(os.path.basename(f) for f in Program().project_files(str(tmp_path / "pkg" / "a.py")))
    assert files == ["__init__.py", "a.py", "b.py"]
    assert len(Program().project_files(str(tmp_path / "pkg" / "__init__.py"))) == 3
    scripts = sorted(os.path.basename(f) for f in Program().project_files(str(tmp_path / "alone.py")))
    assert scripts == ["alone.py", "my-script.py"]  # the folder's scripts, not pkg/'s modules
    assert Program().project_files(str(tmp_path / "my-script.py")) == []


def test_a_scripts_caller_in_a_sibling_script_counts_outside_any_project(tmp_path, capsys):
    """duccanhole/shooting-game's server folder: a helper script's parameter is the socket
    that another script of the folder passes, and that script's guard handles the write.
    The folder has no project marker; a folder on the interpreter's path (the stdlib) is
    not a folder of scripts. (Two folders: one process keeps one program view, whose scans
    of a folder are kept for the process's life.)"""
    from sigpipe_lint.cli import main

    assert resolve.project_root(str(tmp_path)) is None
    server = (
        "import socket\n\nimport helpers\n\nconn = socket.create_connection(('h', 1))\n"
        "try:\n    helpers.send(conn)\nexcept OSError:\n    conn.close()\n"
    )
    unguarded = server.replace("try:\n    helpers", "helpers").replace("except OSError:\n    conn.close()\n", "")
    assert unguarded != server

    def found(folder, text):
        folder.mkdir()
        (folder / "helpers.py").write_text("def send(conn):\n    conn.sendall(b'x')\n")
        (folder / "server.py").write_text(text)
        main(["check", "--no-cache", "--output-format", "json", "--exit-zero", str(folder)])
        return sorted((os.path.basename(f["path"]), f["line"]) for f in json.loads(capsys.readouterr().out))

    assert found(tmp_path / "guarded", server) == []  # handled by the caller in server.py
    # the same socket, unguarded: the sibling's call is what makes the parameter a socket
    assert found(tmp_path / "unguarded", unguarded) == [("helpers.py", 2)]
    assert not resolve.is_script_folder(os.path.dirname(os.__file__))  # the stdlib


# -- signals.py ------------------------------------------------------------------------


def test_a_reset_in_a_function_only_a_child_runs_is_the_childs(tmp_path, capsys):
    """preexec_fn=_child runs _child, and _reset, which only _child calls, in the child
    process; _setup, called from main(), resets this process."""
    root = _package(
        tmp_path / "p",
        {
            "pkg/__init__.py": "",
            "pkg/child.py": _src('''\
                import signal
                import socket
                import subprocess


                def _reset():
                    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # ok: in the child only


                def _child():
                    _reset()


                def spawn():
                    subprocess.run(["ls"], preexec_fn=_child)


                def send(host):
                    s = socket.create_connection((host, 7))
                    try:
                        s.sendall(b"x")  # ok: OSError caught, SIGPIPE not reset here
                    except OSError:
                        pass
                '''),
            "pkg/parent.py": _src('''\
                import signal
                import socket


                def _setup():
                    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # expect: SPL002


                def main():
                    _setup()


                def send(host):
                    s = socket.create_connection((host, 7))
                    try:
                        s.sendall(b"x")  # expect: SPL004
                    except OSError:
                        pass
                '''),
        },
    )
    got, expected = _check(root, capsys)
    assert got == expected


def test_what_a_reset_reaches_is_named_in_the_messages(tmp_path, capsys):
    """SPL002 in a package `__init__` names the writes of its package's other modules (not
    its own, not those outside the package); SPL004 names the file that resets, relative to
    the project root."""
    root = _package(
        tmp_path / "p",
        {
            "tool/__init__.py": "import signal\n\nsignal.signal(signal.SIGPIPE, signal.SIG_DFL)\n",
            "tool/net.py": NET.format(mark="expect: SPL004"),
            "other/side.py": "import socket\n\n\ndef side(host):\n    socket.create_connection((host, 7)).sendall(b'y')\n",
        },
    )
    capsys.readouterr()
    main(["check", str(root), "--select", "SPL", "--output-format", "json", "--no-cache", "--jobs", "1"])
    findings = {(Path(f["path"]).name, f["code"]): f["message"] for f in json.loads(capsys.readouterr().out)}
    spl002 = findings[("__init__.py", "SPL002")]
    assert "elsewhere too: 1 write(s) in tool/net.py (s.sendall())" in spl002
    assert "side.py" not in spl002
    assert findings[("net.py", "SPL004")].startswith("s.sendall(): tool/__init__.py resets SIGPIPE to SIG_DFL")


@pytest.mark.parametrize(
    "tail, is_script",
    [
        ('if __name__ == "__main__":\n    main()\n', True),
        ("if '__main__' == __name__:\n    main()\n", True),
        ('if __name__ == "tool.app":\n    main()\n', False),
        ('if __file__ == "__main__":\n    main()\n', False),
        ("main()\n", False),
    ],
)
def test_a_script_that_resets_names_the_program_writes_it_reaches(tmp_path, capsys, tail, is_script):
    """A file with an `if __name__ == "__main__":` block is a script: a reset there reaches
    every module of the project, and SPL002 says which writes; a module without one does not."""
    root = _package(
        tmp_path / "p",
        {
            "tool/__init__.py": "",
            "tool/app.py": "import signal\n\n\ndef main():\n    pass\n\n\n"
            "signal.signal(signal.SIGPIPE, signal.SIG_DFL)\n" + tail,
            "tool/net.py": NET.format(mark="ok"),
        },
    )
    capsys.readouterr()
    main(["check", str(root), "--select", "SPL002", "--output-format", "json", "--no-cache", "--jobs", "1"])
    [spl002] = [f["message"] for f in json.loads(capsys.readouterr().out) if f["path"].endswith("app.py")]
    assert ("1 write(s) in tool/net.py (s.sendall())" in spl002) is is_script, spl002


@pytest.mark.parametrize(
    "path, is_test",
    [
        ("pkg/test/helpers.py", True),
        ("pkg/tests/helpers.py", True),
        ("pkg/testing/helpers.py", True),
        ("pkg/test_client.py", True),
        ("pkg/client_test.py", True),
        ("pkg/conftest.py", True),
        ("pkg/client.py", False),
        ("pkg/contest.py", False),
        ("pkg/latest/client.py", False),
        ("pkg/testsuite.py", False),
    ],
)
def test_which_files_are_tests(path, is_test):
    """Tests are not the program's callers: the folder and file names pytest and unittest
    use say which files are tests."""
    from sigpipe_lint.program.view import is_test_file

    assert is_test_file(path) is is_test


def test_class_uses_counts_calls_and_every_other_use_of_a_class_name():
    from sigpipe_lint.program.view import class_uses

    src = b'"""Wire docs: Wire(x) in a docstring."""\nfrom pkg.wire import (\n    Other,\n    Wire,\n)\nimport pkg.wire\n\nWire(a)\npkg.wire.Wire (b)\n# Wire here\n'
    assert class_uses(src, "Wire") == (2, 0)
    for other in (b"f = Wire\n", b"isinstance(x, Wire)\n", b"class Sub(Wire):\n    pass\n", b"def g(w: Wire): pass\n",
                  b"class Wire:\n    pass\n", b"class Wire(Base):\n    pass\n", b"partial(Wire, s)\n",
                  b"import os; f = Wire\n", b"run(\n    Wire)\n"):
        assert class_uses(src + other, "Wire")[1] == 1, other
    assert class_uses(b"from pkg.wire import Wire as W\nW(s)\n", "Wire") == (0, 0)
    assert class_uses(b"x = 1\n", "Wire") == (0, 0)


@pytest.mark.parametrize(
    "maker",
    ["return type(self)(box)", "return self.__class__(box)", "return cls(box)", "return None"],
)
def test_a_class_that_makes_its_own_instances_keeps_its_constructor_callers_unknown(tmp_path, capsys, maker):
    """app.py constructs Wire with a socket only, but a method of Wire may make instances
    without naming the class (`clone`): what it passes is not among the calls. Without
    such a maker, app.py's construction is every one and the write is reported."""
    decorator = "    @classmethod\n" if maker == "return cls(box)" else ""
    first = "cls" if decorator else "self"
    mark = "# expect: SPL001" if maker == "return None" else "# ok: clone() may make a Wire of anything"
    root = _package(tmp_path / "p", {
        "pkg/__init__.py": "",
        "pkg/wire.py": (
            "class Wire:\n    def __init__(self, sock):\n        self.sock = sock\n\n"
            f"{decorator}    def clone({first}, box):\n        {maker}\n\n"
            f"    def push(self, data):\n        self.sock.sendall(data)  {mark}\n"
        ),
        "pkg/app.py": "import socket\n\nfrom pkg.wire import Wire\n\n\ndef run(a):\n    Wire(socket.create_connection(a)).push(b'x')\n",
    })
    got, expected = _check(root, capsys)
    assert got == expected
    assert len(expected) == (1 if maker == "return None" else 0)


HOSTS = '''\
import socket


class Host:
    def __init__(self, addr):
        self.socket = socket.create_connection(addr)

    def send_cmds(self, cmds):
        self.socket.sendall(cmds)


class Client:
    def __init__(self, servers):
        self.servers = {s: Host(s) for s in servers}

    def delete_multi(self, keys):
        for server in self._map(keys).keys():
            try:
                server.send_cmds(b"delete")
            except OSError:
                server.mark_dead()

    def set_multi(self, mapping):
        for server in self._map(mapping).keys():
            {set_call}

    def _map(self, keys):
        return {}
'''


@pytest.mark.parametrize("set_call, elsewhere, reported", [
    # every call of the name, whatever its receiver, is guarded: handled
    ("try:\n                server.send_cmds(b'set')\n            except OSError:\n                pass", "", False),
    # one call is not guarded
    ("server.send_cmds(b'set')", "", True),
    # the name is also used otherwise than called: a caller may be anywhere
    ("try:\n                server.send_cmds(b'set')\n            except OSError:\n                pass\n            hook = server.send_cmds", "", True),
    # another module of the program calls it unguarded on a receiver it cannot name
    ("try:\n                server.send_cmds(b'set')\n            except OSError:\n                pass", "def use(h):\n    h.send_cmds(b'x')\n", True),
    # the same call guarded there: still unknown, as another module's summary keeps only
    # calls on receivers of a known class (a miss, never a wrong "handled")
    ("try:\n                server.send_cmds(b'set')\n            except OSError:\n                pass", "def use(h):\n    try:\n        h.send_cmds(b'x')\n    except OSError:\n        pass\n", True),
])
def test_a_method_called_only_on_receivers_of_unknown_class_is_handled_when_every_call_of_its_name_is(
    tmp_path, capsys, set_call, elsewhere, reported
):
    # linsomniac/python-memcached (a false positive of the original set): `send_cmds` is
    # called only as `server.send_cmds(...)` on servers taken from a dict, each call in an
    # `except OSError`
    files = {"pkg/__init__.py": "", "pkg/memcache.py": HOSTS.replace("{set_call}", set_call)}
    if elsewhere:
        files["pkg/other.py"] = elsewhere
    root = _package(tmp_path / "p", files)
    got, _ = reported_in(root, capsys)
    assert [(Path(f).name, line) for f, line, code in got] == ([("memcache.py", 9)] if reported else [])


# Names that code outside the program calls on objects it is given (files: print, shutil,
# io wrappers, contextlib.closing, select; sockets: ssl, socket.sendfile; threads;
# logging handlers; socketserver; a request handler's dispatch; any callable object).
IMPLICIT_NAMES = [
    "write", "writelines", "flush", "close", "read", "readline", "readinto", "fileno",
    "send", "sendall", "sendto", "sendmsg", "sendfile", "recv", "run", "emit", "process_request",
    "finish_request", "handle_error", "serve_forever", "handle", "setup", "finish", "__call__",
]


@pytest.mark.parametrize("name", IMPLICIT_NAMES)
def test_a_method_of_a_name_the_standard_library_calls_is_not_handled_by_its_named_calls(tmp_path, capsys, name):
    # `write` is what print(file=...) and shutil call on an object they are given: the
    # module's own guarded calls are not all its callers
    src = HOSTS.replace("send_cmds", name).replace(
        "{set_call}", f"try:\n                server.{name}(b'set')\n            except OSError:\n                pass"
    )
    root = _package(tmp_path / "p", {"pkg/__init__.py": "", "pkg/memcache.py": src})
    got, _ = reported_in(root, capsys)
    assert [(Path(f).name, line) for f, line, code in got] == [("memcache.py", 9)]


@pytest.mark.parametrize("base, reported", [("StreamWriter", True), ("object", False)])
def test_a_stream_writer_subclass_of_another_module_makes_streams(tmp_path, capsys, base, reported):
    # py-mine/PyMine-Net (holdout 3): the subclass lives in net/stream.py, the writes in
    # the client and server modules, through a constructor call and an annotation
    stream = f"from asyncio import StreamWriter\n\n\nclass TCPStream({base}):\n    pass\n"
    # test_idioms' module-alone shape, with the class imported instead of defined here
    client = "import asyncio\n\nfrom pkg.stream import TCPStream\n\n\n" + STREAM_SUBCLASS.decode().split("\n\n\n", 2)[2]
    assert client.splitlines()[5] == "class Client:"
    root = _package(tmp_path / "p", {"pkg/__init__.py": "", "pkg/stream.py": stream, "pkg/client.py": client})
    got, _ = reported_in(root, capsys)
    assert [(Path(f).name, line) for f, line, code in got] == ([("client.py", 16), ("client.py", 21)] if reported else [])


@pytest.mark.parametrize("base, reported", [("http.server.SimpleHTTPRequestHandler", True), ("http.server.BaseHTTPRequestHandler", False)])
def test_copyfile_inherited_through_a_base_of_another_module_is_a_write(tmp_path, capsys, base, reported):
    # the upload handler's base lives in the project's own module, which subclasses the
    # stdlib's handler: copyfile is SimpleHTTPRequestHandler's only when that is above
    files = {
        "pkg/__init__.py": "",
        "pkg/base.py": f"import http.server\n\n\nclass Base({base}):\n    pass\n",
        "pkg/upload.py": _src('''\
            import io

            from pkg.base import Base


            class Upload(Base):
                def do_POST(self):
                    f = io.BytesIO(b"done")
                    self.send_response(200)
                    self.end_headers()
                    self.copyfile(f, self.wfile)
            '''),
    }
    root = _package(tmp_path / "p", files)
    got, _ = reported_in(root, capsys)
    assert [(Path(f).name, line) for f, line, code in got] == ([("upload.py", 11)] if reported else [])


def test_a_second_run_in_the_same_process_reads_the_program_again(tmp_path, capsys):
    # An editor or a test suite that calls `main()` again after a file of the program
    # changed: the second run must see the change, not the first run's reading of it.
    files = {
        "pkg/__init__.py": "",
        "pkg/errors.py": "NETWORK_ERRORS = (OSError,)\n",
        "pkg/client.py": _src('''\
            import socket

            from pkg.errors import NETWORK_ERRORS


            def push(host, data):
                sock = socket.create_connection((host, 1))
                try:
                    sock.sendall(data)
                except NETWORK_ERRORS:
                    pass
            '''),
    }
    root = _package(tmp_path / "p", files)
    got, _ = reported_in(root, capsys)
    assert got == []
    (root / "pkg" / "errors.py").write_text("NETWORK_ERRORS = (ValueError,)\n")
    got, _ = reported_in(root, capsys)
    assert [(Path(f).name, line) for f, line, code in got] == [("client.py", 9)]


@pytest.mark.parametrize("base, reported", [("http.server.BaseHTTPRequestHandler", True), ("object", False)])
def test_a_helper_annotated_with_a_handler_class_of_another_module_writes_to_its_client(tmp_path, capsys, base, reported):
    # the annotation names the project's own handler class, defined in another module
    files = {
        "pkg/__init__.py": "",
        "pkg/handler.py": f"import http.server\n\n\nclass Handler({base}):\n    pass\n",
        "pkg/pages.py": _src('''\
            from pkg.handler import Handler


            def send_page(handler: Handler):
                handler.send_response(200)
                handler.end_headers()
                handler.wfile.write(b"<html></html>")
            '''),
    }
    root = _package(tmp_path / "p", files)
    got, _ = reported_in(root, capsys)
    assert [(Path(f).name, line) for f, line, code in got] == ([("pages.py", 7)] if reported else [])


@pytest.mark.parametrize(
    "bases, attr_line, reported",
    [
        ("http.server.BaseHTTPRequestHandler, RelayMixin", "", True),  # a handler has self.connection
        ("RelayMixin", "        self.connection = socket.create_connection(('up', 1))\n", True),  # binds a socket
        ("RelayMixin", "        self.connection = queue.Queue()\n", False),  # binds a queue: .sendall is not a socket's
        ("object", "", False),  # nothing subclasses the mixin: nothing says what self.connection is
    ],
)
def test_a_mixin_writes_to_the_socket_its_subclasses_in_other_modules_have(tmp_path, capsys, bases, attr_line, reported):
    # DarthWilliam36/HTTP_Proxy (original set): `class MyRequestHandler(BaseHTTPRequestHandler,
    # CustomProxy)` in the server modules, the relay loop in the mixin's module
    files = {
        "pkg/__init__.py": "",
        "pkg/relay.py": _src('''\
            class RelayMixin:
                def relay(self, data):
                    self.connection.sendall(data)
            '''),
        "pkg/server.py": (
            "import http.server\nimport queue\nimport socket\n\nfrom pkg.relay import RelayMixin\n\n\n"
            f"class Handler({bases}):\n    def setup_link(self):\n{attr_line}        pass\n"
        ),
    }
    root = _package(tmp_path / "p", files)
    got, _ = reported_in(root, capsys)
    assert [(Path(f).name, line) for f, line, code in got] == ([("relay.py", 3)] if reported else [])
    if bases.startswith("http.server"):
        out = capsys.readouterr().out
        assert main(["check", "--no-cache", "--select", "SPL", str(root)]) == 1
        assert "out of this request handler: the server prints the traceback" in capsys.readouterr().out, out
        # the server that serves the handler is not read: it may wrap it in TLS, whose
        # send methods reject flags, so no MSG_NOSIGNAL is offered
        assert main(["check", "--no-cache", "--select", "SPL", "--diff", str(root)]) == 1
        assert "MSG_NOSIGNAL" not in capsys.readouterr().out


def test_what_one_subclass_makes_an_attribute_stays_out_of_its_siblings(tmp_path, capsys):
    # pexpect (holdout 3): SpawnBase binds `self.child_fd = -1`; SocketSpawn (another module)
    # binds a socket's fileno() there, fdspawn (a third) whatever descriptor it is given.
    # SpawnBase's own write is a socket write when self is a SocketSpawn; fdspawn's is not.
    # (Here with the socket itself: a module writing only with os.write and no fileno()
    # in sight does not pass the pre-filter.)
    files = {
        "pkg/__init__.py": "",
        "pkg/base.py": _src('''\
            import socket  # (a module that imports nothing of sockets is not asked about them)


            class SpawnBase:
                def __init__(self):
                    self.conn = None

                def send_base(self, data):
                    self.conn.sendall(data)  # expect: SPL001
            '''),
        "pkg/sock.py": _src('''\
            import socket

            from pkg.base import SpawnBase


            class SocketSpawn(SpawnBase):
                def __init__(self, host):
                    self.conn = socket.create_connection((host, 1))
            '''),
        "pkg/fd.py": _src('''\
            from pkg.base import SpawnBase


            class fdspawn(SpawnBase):
                def __init__(self, conn):
                    self.conn = conn

                def send(self, data):
                    self.conn.sendall(data)  # ok: whatever the caller gives
            '''),
    }
    root = _package(tmp_path / "p", files)
    got, expected = _check(root, capsys)
    assert got == expected and [(Path(f).name, line) for f, line, code in got] == [("base.py", 9)]


@pytest.mark.parametrize("base, reported", [("http.server.SimpleHTTPRequestHandler", True), ("http.server.BaseHTTPRequestHandler", False)])
def test_an_override_of_copyfile_gets_the_clients_socket_file_from_the_server(tmp_path, capsys, base, reported):
    # danvk/RangeHTTPServer (holdout 4): SimpleHTTPRequestHandler.do_GET calls
    # self.copyfile(f, self.wfile); the override copies a byte range into its outputfile
    # through a helper, or hands it back to the base's copyfile. The module writes through
    # no `.send`/`wfile` spelling: the pre-filter must keep it for its `def copyfile(`.
    files = {
        "srv/__init__.py": "",
        "srv/ranges.py": _src(f'''\
            import http.server


            def copy_range(infile, outfile, start, stop):
                infile.seek(start)
                outfile.write(infile.read(stop - start))


            class RangeHandler({base}):
                range = None

                def copyfile(self, source, outputfile):
                    if not self.range:
                        return {base}.copyfile(self, source, outputfile)
                    copy_range(source, outputfile, *self.range)
            '''),
    }
    root = _package(tmp_path / "p", files)
    got, _ = reported_in(root, capsys)
    assert [(Path(f).name, line) for f, line, code in got] == ([("ranges.py", 6), ("ranges.py", 14)] if reported else [])
    if reported:
        assert main(["check", "--no-cache", "--select", "SPL", str(root)]) == 1
        out = capsys.readouterr().out
        assert "http.server.SimpleHTTPRequestHandler.copyfile() into outputfile" in out
        assert out.count("out of this request handler: the server prints the traceback") == 2, out


@pytest.mark.parametrize("server_imports_socket", [True, False])
def test_a_helper_module_that_only_sends_is_kept_when_a_socket_module_imports_it(tmp_path, capsys, server_imports_socket):
    # the Python Cookbook's zerocopy.py (holdout 4): `dest.send(view)` in a module that
    # imports nothing; the server script imports it and passes the accepted socket. A
    # `.send(` alone is too common (generators) to keep every file for: the pre-filter
    # keeps it because a module that imports a source of sockets imports it by name.
    from sigpipe_lint.prefilter import may_match

    helper = _src('''\
        def send_from(data, dest):
            view = memoryview(data)
            while len(view):
                nsent = dest.send(view)
                view = view[nsent:]
        ''')
    if server_imports_socket:
        server = "import socket\nfrom zerocopy import send_from\n\ns = socket.socket()\nc, a = s.accept()\nsend_from(b'x', c)\n"
    else:
        server = "from zerocopy import send_from\n\n\ndef gen():\n    yield\n\n\nsend_from(b'x', gen())\n"
    root = _package(tmp_path / "p", {"zerocopy.py": helper, "server.py": server})
    helper_path = str(root / "zerocopy.py")
    assert may_match(helper.encode(), ("zerocopy", "server"), helper_path) is server_imports_socket
    assert may_match(helper.encode(), ("zerocopy", "server")) is False  # no path: the question is not asked
    got, _ = reported_in(root, capsys)
    assert [(Path(f).name, line) for f, line, code in got] == ([("zerocopy.py", 4)] if server_imports_socket else [])
    if server_imports_socket:  # a second command in the same process reads the project again
        (root / "server.py").write_text(server.replace("import socket\n", "").replace("s = socket.socket()", "s = None"))
        got, _ = reported_in(root, capsys)
        assert got == [] and may_match(helper.encode(), ("zerocopy", "server"), helper_path) is False


def test_a_warm_run_keeps_a_helper_module_once_a_socket_module_imports_it(tmp_path, capsys):
    # the pre-filter's answer for zerocopy.py depends on server.py's imports: a warm run
    # must not keep the first run's "nothing to see" once server.py makes sockets
    helper = "def send_from(data, dest):\n    dest.send(data)\n"
    plain = "from zerocopy import send_from\n\nsend_from(b'x', None)\n"
    root = _package(tmp_path / "p", {"zerocopy.py": helper, "server.py": plain})
    for f in root.rglob("*.py"):  # old enough for the cache to remember them by their stat
        os.utime(f, (f.stat().st_atime - 60, f.stat().st_mtime - 60))
    cache = ["--cache-dir", str(tmp_path / "cache")]
    assert main(["check", "--select", "SPL", *cache, str(root)]) == 0
    assert main(["check", "--select", "SPL", *cache, str(root)]) == 0  # warm: from the index
    (root / "server.py").write_text(
        "import socket\nfrom zerocopy import send_from\n\nc, a = socket.socket().accept()\nsend_from(b'x', c)\n"
    )
    capsys.readouterr()
    assert main(["check", "--select", "SPL", *cache, str(root)]) == 1
    assert "zerocopy.py:2:5: SPL001" in capsys.readouterr().out
