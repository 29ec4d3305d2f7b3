"""Step 2 of the pipeline: decide from a file's bytes, before any parse, whether a rule can match.

A rule can only report something in a file that
- mentions SIGPIPE and SIG_DFL (SPL002 looks for resets of the one to the other: the
  stdlib's subprocess.py, 88 KB, names SIGPIPE only in a tuple of strings), or
- both imports a source of sockets (socket, ssl, socketserver, http.server, xmlrpc,
  wsgiref, gevent) or calls `.wrap_socket(`, and holds a way to write through
  one: `.send*` (called, or passed on as a bound method), a socket file (`.makefile(`, `wfile`: its `write`/`flush` need one of
  those to exist; library functions such as `shutil.copyfileobj` write into those too), a
  descriptor (`fileno`, for `os.write(sock.fileno(), ...)`, with `os.write` in sight) or a TLS socket, whose
  `write()` is a write (`wrap_socket`, `SSLSocket`); for asyncio (an `asyncio` import),
  `.drain(`, `.wait_closed(`, `.sock_sendall(`/`.sock_sendfile(`; an override of a
  handler's `copyfile` (`def copyfile(`: http.server hands it the client's socket file).

With the program view, a socket can also come from another module of the project: a file
that writes through `.send*(`/`.makefile(`/... also survives when it imports a module of its
own project (a relative import, or an import of one of the project's top-level packages,
which the caller passes as `local`), any file that writes through `.wfile` survives, and in a project any file that calls
`.sendall(`/`.sendmsg(` (a parameter that callers elsewhere fill with a socket) (a request
handler whose base class comes from another package), and any file with one of those
writes that a module of its project importing a source of sockets imports by name (a
helper module of `.send(` loops that imports nothing: `imported_by_socket_module`; over
the 9,734 files of the real-code trees this keeps 6 more, 16 KB).

The test suite checks, on the fixtures and the standard library, that no file this drops
holds a finding of the full analysis.
"""

from __future__ import annotations

import os
import re
from typing import Callable, Dict, FrozenSet, Optional, Tuple, Union

# The engine only knows a value is a socket through an import of a module that makes or
# hands out sockets (resolved names: socket.socket, a socketserver/http.server handler base,
# an annotation), or through a `.wrap_socket(...)` call. The word "socket" in a docstring
# is not enough: an import line naming one of those modules is.
_SOCKET_SOURCE = re.compile(
    rb"(?:^|[;:\r]|\xef\xbb\xbf)[ \t\f]*(?:from|import)[ \t\f][^\n]*\b(?:socket|ssl|socketserver|http|xmlrpc|wsgiref|asyncio|gevent)\b|wrap_socket",
    re.MULTILINE,
)
_WRITE = re.compile(
    rb"\.\s*send(?:all|to|msg|file)?\b|\.\s*makefile\s*\(|wfile|wrap_socket|SSLSocket"
    rb"|\.\s*(?:drain|wait_closed|sock_send(?:all|file))\s*\(|\bdef\s+copyfile\s*\("
)
# Each alternative of _WRITE holds one of these (`sock_send...` holds "send").
_WRITE_HINTS = (b"send", b"makefile", b"wfile", b"wrap_socket", b"SSLSocket", b"drain", b"wait_closed", b"copyfile")
# A descriptor from `fileno()` is written to only by `os.write` (or `posix.write`), which the
# engine knows through `os.`/`posix.` or an import from (or of) those modules: without one
# of those, `fileno` alone (mailbox.py, logging/config.py: 150 KB of the stdlib's survivors)
# cannot lead to a finding.
_OS_WRITE = re.compile(
    rb"\b(?:os|posix)\s*\.\s*write\b|^[ \t\f]*(?:from[ \t\f]+(?:os|posix)[ \t\f]+import|import[ \t\f]+(?:os|posix)[ \t\f]+as)\b",
    re.MULTILINE,
)


# The two searches below answer what `_WRITE.search` and `_SOCKET_SOURCE.search` answer
# (the same files over the 26,000 of the stdlib, site-packages and the real-code trees,
# and a test), five times faster on the files that reach them: a regex tries every position
# of a file, these look only where the word that a match must hold stands (`bytes.find`).
_SPACE = b" \t\n\r\f\v"  # what `\s` matches in a bytes pattern
_WORD_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")  # `\w`


def _before_space(source: bytes, j: int) -> int:
    """The index of the last byte at or before `j` that is not whitespace (-1: none)."""
    while j >= 0 and source[j] in _SPACE:
        j -= 1
    return j


def _writes(source: bytes) -> bool:
    """`_WRITE.search(source)`: each match starts at the `.` before a hint (across
    whitespace; before `sock_` for `sock_send*`) or at the `def` of `def copyfile(`, or is
    a hint itself (`wfile`, `wrap_socket`, `SSLSocket`)."""
    if b"wfile" in source or b"wrap_socket" in source or b"SSLSocket" in source:
        return True
    match = _WRITE.match
    for hint in (b"send", b"makefile", b"drain", b"wait_closed"):
        i = source.find(hint)
        while i >= 0:
            j = _before_space(source, i - 1)
            if j >= 0 and source[j] == 46 and match(source, j):  # 46: "."
                return True
            if hint == b"send" and source[i - 5:i] == b"sock_":
                j = _before_space(source, i - 6)
                if j >= 0 and source[j] == 46 and match(source, j):
                    return True
            i = source.find(hint, i + 1)
    i = source.find(b"copyfile")
    while i >= 0:
        j = _before_space(source, i - 1)
        if 2 <= j < i - 1 and source[j - 2:j + 1] == b"def" and (j < 3 or source[j - 3] not in _WORD_BYTES):
            if match(source, j - 2):
                return True
        i = source.find(b"copyfile", i + 1)
    return False


_SOURCE_WORDS = (b"socket", b"ssl", b"socketserver", b"http", b"xmlrpc", b"wsgiref", b"asyncio", b"gevent")
_IMPORT_START = re.compile(rb"(?:^|[;:\r]|\xef\xbb\xbf)[ \t\f]*(?:from|import)[ \t\f]", re.MULTILINE)


def _imports_socket_source(source: bytes) -> bool:
    """`_SOCKET_SOURCE.search(source)`: `wrap_socket` anywhere, or one of the modules'
    names as a whole word on a line where an import statement starts before it."""
    if b"wrap_socket" in source:
        return True
    search = _IMPORT_START.search
    end = len(source)
    for word in _SOURCE_WORDS:
        n = len(word)
        i = source.find(word)
        while i >= 0:
            if (i == 0 or source[i - 1] not in _WORD_BYTES) and (i + n == end or source[i + n] not in _WORD_BYTES):
                if search(source, source.rfind(b"\n", 0, i) + 1, i):
                    return True
            i = source.find(word, i + 1)
    return False


_RELATIVE_IMPORT = re.compile(rb"^[ \t\f]*from[ \t\f]+\.", re.MULTILINE)
_SOCKET_ONLY_WRITE = re.compile(rb"\.\s*send(?:all|msg)\s*\(")
_HANDLER_FILE = re.compile(rb"\.\s*wfile\b")
_LOCAL_IMPORTS: Dict[Tuple[str, ...], "re.Pattern[bytes]"] = {}


def _local_import(names: Tuple[str, ...]) -> "re.Pattern[bytes]":
    pattern = _LOCAL_IMPORTS.get(names)
    if pattern is None:
        alts = b"|".join(re.escape(n.encode()) for n in names)
        pattern = re.compile(rb"^[ \t\f]*(?:from|import)[ \t\f]+(?:" + alts + rb")\b", re.MULTILINE)
        _LOCAL_IMPORTS[names] = pattern
    return pattern


def may_match(
    source: bytes, local: Union[Tuple[str, ...], Callable[[], Tuple[str, ...]]] = (), path: Optional[str] = None
) -> bool:
    """False only when no rule of sigpipe-lint can report anything in `source`.

    `local`: the top-level packages of the file's project (the program view follows
    sockets made there), or a function giving them, called only when the bytes leave the
    answer to them (finding a file's project costs stats; most files are decided before:
    over site-packages' 17,000 files that was 0.67 s in the process that reads them); empty
    when the file is analysed alone. `path`: the file's, for the last question, asked
    only of a file of a project that writes through `.send(` and imports nothing of the
    project: does a module of the project that makes sockets import it by name
    (`imported_by_socket_module`)?
    """
    if b"SIGPIPE" in source and b"SIG_DFL" in source:
        return True  # a reset (SPL002) names both; a SIGPIPE policy matters only beside a write
    # The writes first: they reject most files, and `_writes` only looks for the words a
    # write must hold (the stdlib: 84 of 732 files hold one, 43 match), so no substring
    # test before it (it was one more scan of the file for the 84).
    if not _writes(source) and not (
        b"fileno" in source and _OS_WRITE.search(source)
    ):
        return False
    if _imports_socket_source(source):
        return True
    if _HANDLER_FILE.search(source) or _RELATIVE_IMPORT.search(source):
        return True
    if callable(local):
        local = local()
    if local and _SOCKET_ONLY_WRITE.search(source):
        # `sock.sendall(data)` on a parameter that callers elsewhere in the project fill
        # with a socket: `sendall`/`sendmsg` belong to sockets (a generator's is `send`).
        return True
    if not local:
        return False
    if _local_import(local).search(source):
        return True
    # `def send_from(arr, dest): dest.send(view)` in a helper module that the server script
    # imports (`from zerocopy import send_from`) and calls with the accepted socket
    return path is not None and imported_by_socket_module(path)


# root -> the words of the import statements of its files that import a source of sockets
_SOCKET_IMPORTS: Dict[str, FrozenSet[bytes]] = {}
_IMPORT_LINE = re.compile(
    rb"^[ \t\f]*(?:from[ \t\f]+[\w.]+[ \t\f]+import[ \t\f]*(?:\([^)]*\)|[^\n]*)|import[ \t\f]+[^\n]*)", re.MULTILINE
)
_WORD = re.compile(rb"[A-Za-z_]\w*")


def may_depend_on_project(source: bytes) -> bool:
    """Whether `may_match`'s False for `source` may turn True when another file of its
    project changes (it writes, so the project's imports of it are asked): such a result
    must not be remembered by the file's own stat alone."""
    return any(hint in source for hint in _WRITE_HINTS) or b"fileno" in source


def forget_projects() -> None:
    """Read the projects' import lines afresh at the next question (program.forget_program)."""
    _SOCKET_IMPORTS.clear()


def imported_by_socket_module(path: str) -> bool:
    """Whether a module of `path`'s project (or folder of scripts) that imports a source
    of sockets imports `path`'s module by its name. The project is read once per process
    (its files' import lines); a project too big to scan answers False."""
    from sigpipe_lint.program.resolve import is_script_folder, project_root, scan_files

    folder = os.path.dirname(os.path.abspath(path))
    root = project_root(folder)
    if root is None:
        if not is_script_folder(folder):
            return False
        root = folder
    words = _SOCKET_IMPORTS.get(root)
    if words is None:
        found = set()
        for f in scan_files(root):
            try:
                with open(f, "rb") as fh:
                    data = fh.read()
            except OSError:
                continue
            if _imports_socket_source(data):
                for line in _IMPORT_LINE.findall(data):
                    found.update(_WORD.findall(line))
        words = _SOCKET_IMPORTS[root] = frozenset(found - {b"from", b"import", b"as"})
    base = os.path.basename(path)
    name = os.path.basename(folder) if base == "__init__.py" else os.path.splitext(base)[0]
    return name.encode() in words
