"""A small tree with known findings, shared by the audit, cache, format and parallel tests."""

from pathlib import Path

# Written by hand; the expected numbers in the tests are counted from these texts.
UNPROTECTED = 'import socket\n\nsock = socket.create_connection(("broker", 9092))\nwhile True:\n    sock.sendall(b"x")\n'
SIGPIPE_RESET = "import signal\n\nsignal.signal(signal.SIGPIPE, signal.SIG_DFL)\n"
BROKEN = 'import socket\ndef f(:\n    socket.socket().send(b"")\n'
CLEAN = "x = 1\n"


def make_tree(root: Path, pyproject: bool = True) -> Path:
    """root/pkg/a.py (SPL001 at line 5, 5 lines; SPL004 too when SPL001 is off), root/b.py (SPL002 at line 3, 3 lines),
    root/pkg/bad.py (syntax error, 3 lines), root/pkg/clean.py (pre-filtered, 1 line)."""
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "a.py").write_text(UNPROTECTED)
    (root / "b.py").write_text(SIGPIPE_RESET)
    (root / "pkg" / "bad.py").write_text(BROKEN)
    (root / "pkg" / "clean.py").write_text(CLEAN)
    if pyproject:
        (root / "pyproject.toml").write_text('[project]\nname = "tree"\n')
    return root
