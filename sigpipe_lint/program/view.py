"""The program view's questions and answers: `Program`.

`Program` answers the questions module facts cannot answer alone, by reading (never
importing) the modules a name leads to, inside the analysed project and in the packages
installed for the interpreter running sigpipe-lint (`resolve.py` gives the order):

- `function_sock(qname)`: does this function (or class) return (or make) a socket?
- `class_summary(qname)`: bases, socket attributes, handler attributes, guards of a class;
- `exception_names(qname)`: the exception classes a name stands for (tuples, aliases);
- `manager_swallows(qname)`: the peer-death exceptions a context manager swallows;
- `callers(qname)`: every call of a function made in other modules of the project (tests
  are not callers, `_program_pool`);
- `method_calls(name)`: every call of a method of that name made in other modules of the
  project, with its receiver's classes (None when one receiver is unknown);
- `resets_for(path)`: SIGPIPE resets to SIG_DFL in the entry points of a file's program.

Summaries (`summary.py`) are computed lazily, only for modules a question reaches, memoised
per process and cached on disk by content. While a file is analysed, the program records
every summary it consulted, with its content hash (`consulted`): the file's cached result
is valid only while those files are unchanged (editing `errors.py` re-checks `client.py`).
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import re
from typing import Dict, List, Optional, Tuple

from sigpipe_lint.program import resolve
from sigpipe_lint.program.resolve import MAX_SCAN_FILES, SKIP_DIRS, TREE_DEP, scan_files, tree_signature  # noqa: F401
from sigpipe_lint.program.summary import ClassSummary, ModuleSummary, summarise

# Modules whose meaning the facts know by heart (tables in facts/): never read.
OPAQUE = frozenset(
    """builtins socket _socket ssl _ssl signal _signal errno os posix sys select selectors
    typing typing_extensions contextlib functools threading _thread time struct io abc
    collections dataclasses enum logging re json pickle marshal shutil subprocess
    multiprocessing concurrent queue weakref itertools operator types asyncio
    unittest pytest _pytest mock copy""".split()
)
# How far a chain of modules is followed while summaries are built: the analysed file's
# question reaches module A, whose summary may ask module B, whose summary asks no further.
# Each level multiplies the modules parsed (measured on redis-py: depth 6 parsed 188
# modules for 17 files and took minutes).
#
# A summary is kept by its level, the number of modules its questions may still reach
# (A's is 1, B's 0), so that an answer never depends on the order in which the files
# were analysed: B summarised first for another file (its questions answered) and B
# summarised within A (asking nothing) are two summaries. Before, whichever came first
# was kept for both, and `--jobs 2` runs differed from one another and from `--jobs 1`
# (the fixtures' SPL002 message counted 241 to 243 writes). A summary whose build asked
# nothing of other modules is the same at every level, and is kept once (ANY_LEVEL).
MAX_DEPTH = 2
ANY_LEVEL = -1
# At most this many other modules are summarised to find a function's callers; past it the
# callers are unknown (as a library function's are).
MAX_CALLER_FILES = 24
# Trees kept for a later question about the same module: parsed for a summary, kept for the
# file's own analysis; parsed for the file's analysis, kept for a later summary (redis-py:
# connection.py, analysed, was parsed again for the summaries its tests needed). A tree
# takes about 60 bytes of memory per byte of source since its whitespace leaves are shared
# (8.7 MiB for redis-py's 149 KB connection.py, RSS), so the budget, in bytes of source,
# is 256 KB, about 16 MiB per process. 1 MiB saved a few parses in one process (redis-py
# 28 -> 26) but cost more CPU than it saved (stdlib, -j 1: 3.29-3.39 s against 3.22-3.31 s,
# six alternating runs).
KEEP_PARSED_BYTES = 256 * 1024


# What a module that makes, keeps or hands out sockets must import (prefilter._SOCKET_SOURCE,
# plus relative imports: a factory may call a factory of its own package).
_SOCKETISH = re.compile(
    rb"^[ \t]*(?:from|import)[ \t][^\n]*\b(?:socket|ssl|socketserver|http|xmlrpc|wsgiref|asyncio)\b|wrap_socket"
    rb"|^[ \t]*from[ \t]+\.",
    re.M,
)


_WORD = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*")
_DEFINES = re.compile(rb"^[ \t]*(?:async[ \t]+)?(?:def|class)[ \t]+([A-Za-z_][A-Za-z0-9_]*)", re.M)
_ASSIGNS = re.compile(rb"^([A-Za-z_][A-Za-z0-9_]*)[ \t]*(?::[^=\n]*)?=[^=]", re.M)
_CONTEXTMANAGER = re.compile(
    rb"@[\w.]*contextmanager[^\n]*\n(?:[ \t]*@[^\n]*\n)*[ \t]*(?:async[ \t]+)?def[ \t]+([A-Za-z_][A-Za-z0-9_]*)"
)
_EXIT = re.compile(rb"def[ \t]+__a?exit__[ \t]*\(")
# `return True`, `return issubclass(exc_type, OSError)`, ...: any return but False or None.
_EXIT_SWALLOWS = re.compile(rb"return[ \t]+(?!(?:False|None)\b)[^\s#]|\braise[ \t]+\w")
_FROM_IMPORT = re.compile(rb"^[ \t]*from[ \t]+[\w.]+[ \t]+import[ \t]*(\([^)]*\)|[^\n]*)", re.M)
_IMPORT = re.compile(rb"^[ \t]*import[ \t]+([^\n]*)", re.M)


def _imports_name(source: bytes, name: str) -> bool:
    """Whether an import statement of `source` binds or names `name`."""
    word = re.compile(rb"\b" + re.escape(name.encode()) + rb"\b")
    return any(word.search(m.group(1)) for m in _FROM_IMPORT.finditer(source)) or any(
        word.search(m.group(1)) for m in _IMPORT.finditer(source)
    )


_TEST_DIRS = frozenset({"test", "tests", "testing"})


def is_test_file(path: str, root: Optional[str] = None) -> bool:
    """A test module: under a `test`/`tests`/`testing` folder (below `root`), `test_*.py`,
    `*_test.py`, `conftest.py`."""
    parts = os.path.normpath(os.path.relpath(path, root) if root else path).split(os.sep)
    base = parts[-1]
    return (
        base.startswith("test_") or base.endswith("_test.py") or base == "conftest.py" or bool(_TEST_DIRS & set(parts[:-1]))
    )


# Comments and string literals (any prefix: the search steps over it to the quote), left
# to right as the tokenizer meets them: what is left is the module's code.
_NOT_CODE = re.compile(
    rb"#[^\r\n]*"
    rb"|'''(?:[^\\]|\\.)*?'''|\"\"\"(?:[^\\]|\\.)*?\"\"\""
    rb"|'(?:[^'\\\r\n]|\\.)*'|\"(?:[^\"\\\r\n]|\\.)*\"",
    re.DOTALL,
)


@functools.lru_cache(maxsize=32)
def _code_only(data: bytes) -> bytes:
    return _NOT_CODE.sub(b" ", data)


def name_uses(data: bytes, name: str) -> Tuple[int, int, int]:
    """How the source's code (not its comments or strings) uses `name`: (method calls
    `.name(`, definitions `def name`, anything else).

    When every mention of the word in the bytes is a call or a definition, that is the
    answer (a `.name(` inside a string then counts as one more call: a reader matching
    calls to records sees one missing, which only ever makes the answer unknown); only
    otherwise are comments and strings taken out, by one regex pass kept per file (the
    tokenizer did this before: 0.9 s of a 3.3 s cold run over redis-py, for 16 names).
    A call split over lines at its dot (`obj.\\n name(`) counts as "anything else", which
    makes a caller's answer unknown, never wrong.
    """
    n = re.escape(name.encode())
    word, call, define = rb"\b" + n + rb"\b", rb"\.[ \t]*" + n + rb"[ \t]*\(", rb"\bdef[ \t]+" + n + rb"[ \t]*\("
    words = len(re.findall(word, data))
    fast_calls = len(re.findall(call, data))
    fast_defs = len(re.findall(define, data))
    if words == fast_calls + fast_defs:
        return fast_calls, fast_defs, 0
    code = _code_only(data)
    calls = len(re.findall(call, code))
    defs = len(re.findall(define, code))
    return calls, defs, len(re.findall(word, code)) - calls - defs


_IMPORT_START = re.compile(rb"[ \t]*(?:from|import)[ \t]")
_IMPORT_OPEN = re.compile(rb"\bimport[ \t]*\Z")
_DEFINES_HERE = re.compile(rb"\b(?:class|def)[ \t]+\Z")
_CALL_OPEN = re.compile(rb"[ \t]*\(")


def class_uses(data: bytes, name: str) -> Tuple[int, int]:
    """How the source's code uses class name `name`: (calls `name(` or `mod.name(`, any other
    use), imports naming it not counted. A base (`class Sub(name)`), a value passed or
    stored, an annotation, `isinstance`, a definition of `name` here: all "other".

    Each mention is judged where it stands (a whole-file regex per kind cost 5 ms on a
    150 KB module); an import is a statement starting its line (no `;` before the name) or
    the parenthesised list after `import (`. As name_uses: when every mention in the bytes
    is a call or an import, that is the answer (a call in a string counts as one more, which
    only ever makes a reader's answer unknown); only otherwise are comments and strings
    taken out."""
    word = re.compile(rb"\b" + re.escape(name.encode()) + rb"\b")

    def count(code: bytes) -> Tuple[int, int]:
        calls = other = 0
        for m in word.finditer(code):
            start, end = m.span()
            line = code.rfind(b"\n", 0, start) + 1
            if _IMPORT_START.match(code, line) and b";" not in code[line:start]:
                continue
            paren = code.rfind(b"(", 0, start)
            if paren >= 0 and b")" not in code[paren:start] and _IMPORT_OPEN.search(code, max(0, paren - 40), paren):
                continue
            if _CALL_OPEN.match(code, end) and not _DEFINES_HERE.search(code, line, start):
                calls += 1
            else:
                other += 1
        return calls, other

    fast = count(data)
    return fast if not fast[1] else count(_code_only(data))


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def dep_current(dep: str, sha: Optional[str], read) -> bool:
    """Whether a recorded dependency still holds: a file's content hash, or a project's
    tree signature (TREE_DEP). `read(path)` gives a file's bytes or None."""
    if dep.startswith(TREE_DEP):
        return tree_signature(dep[len(TREE_DEP):]) == sha
    data = read(dep)
    return data is not None and _sha(data) == sha


class Program:
    def __init__(self, cache_dir: Optional[str] = None):
        self.cache_dir = cache_dir
        self._summaries: Dict[Tuple[str, int], Optional[ModuleSummary]] = {}  # (path, level)
        self._asked: List[bool] = []  # per summary being built: did it ask other modules?
        self._bytes: Dict[str, Optional[bytes]] = {}
        self._project_files: Dict[str, List[str]] = {}
        self._tree_sigs: Dict[str, str] = {}
        self._callers: Dict[Tuple[str, str], Optional[list]] = {}
        self._parsed: Dict[str, tuple] = {}
        self._resetting: Dict[int, List[str]] = {}
        self._may: Dict[Tuple[str, str, str], bool] = {}
        self._indexes: Dict[str, Optional[tuple]] = {}
        self._non_tests: Dict[tuple, List[str]] = {}
        self._named: Dict[tuple, List[Tuple[str, bytes]]] = {}
        # Stack of "consulted" maps: the file being analysed at the bottom, summaries being
        # built above it. Each maps path -> sha of a module whose summary was used.
        self._consulted: List[Dict[str, str]] = [{}]
        self._depth = 0

    # -- the file being analysed ---------------------------------------------------------

    def begin(self) -> None:
        self._consulted = [{}]

    @property
    def consulted(self) -> Dict[str, str]:
        return dict(self._consulted[0])

    def _use(self, summary: ModuleSummary) -> None:
        top = self._consulted[-1]
        top[summary.path] = summary.sha
        top.update(summary.deps)

    # -- reading modules -----------------------------------------------------------------

    def read(self, path: str) -> Optional[bytes]:
        if path not in self._bytes:
            try:
                with open(path, "rb") as f:
                    self._bytes[path] = f.read()
            except OSError:
                self._bytes[path] = None
        return self._bytes[path]

    def _level(self) -> int:
        """The level of a summary asked for now: how many more modules its questions may reach."""
        return MAX_DEPTH - 1 - self._depth

    def _asks(self) -> None:
        """The summary being built asks about other modules: its answer depends on its level."""
        if self._asked:
            self._asked[-1] = True

    def summary(self, path: str) -> Optional[ModuleSummary]:
        """The summary of the module in `path` (None if it cannot be read or parsed, or is
        too far from the question: see _too_far)."""
        self._asks()
        level = self._level()
        if level < 0:
            return None  # too far: it proves nothing, whatever was summarised before
        for key in ((path, ANY_LEVEL), (path, level)):
            if key in self._summaries:
                s = self._summaries[key]
                if s is not None:
                    self._use(s)
                return s
        source = self.read(path)
        if source is None:
            self._summaries[(path, ANY_LEVEL)] = None
            return None
        sha = _sha(source)
        s = self._load(path, sha, ANY_LEVEL) or self._load(path, sha, level)
        if s is None:
            s = self._build(path, source, sha, level)
            if s is not None:
                self._store(s)
        self._summaries[(path, s.level if s is not None else level)] = s
        if s is not None:
            self._use(s)
        return s

    def _too_far(self) -> bool:
        """Whether every summary() is None now: the chain of modules is MAX_DEPTH long (an
        answer that needs one is unknown at this level, and kept as such). Levels fall by
        one along a chain, so a chain cannot come back to a summary being built: no cycle
        to guard against."""
        return self._level() < 0

    def _build(self, path: str, source: bytes, sha: str, level: int) -> Optional[ModuleSummary]:
        from sigpipe_lint.facts import ModuleFacts
        from sigpipe_lint.parse import ParseFailure, parse_lenient

        self._depth += 1
        self._consulted.append({})
        self._asked.append(False)
        try:
            kept = self._parsed.get(os.path.abspath(path))
            if kept is not None and kept[0] == sha:
                module, shifts = kept[2]
            else:
                try:
                    module, shifts = parse_lenient(source)
                except ParseFailure:
                    return None
                self.keep_parse(path, source, (module, shifts), sha)
            facts = ModuleFacts(module, program=self, path=path)
            s = summarise(facts, path, sha)
            s.deps = {p: h for p, h in self._consulted[-1].items() if p != path}
            s.level = level if self._asked[-1] else ANY_LEVEL
            return s
        except RecursionError:
            return None
        finally:
            self._asked.pop()
            self._consulted.pop()
            self._depth -= 1

    def keep_parse(self, path: str, source: bytes, parsed: tuple, sha: Optional[str] = None) -> None:
        """Keep the last trees, up to KEEP_PARSED_BYTES of source: a module summarised for
        another file is often analysed itself next, and an analysed module is often asked
        about by the next file (parsing is most of the cost)."""
        key = os.path.abspath(path)
        self._parsed.pop(key, None)
        if len(source) > KEEP_PARSED_BYTES:
            return
        self._parsed[key] = (sha or _sha(source), len(source), parsed)
        while sum(size for _, size, _ in self._parsed.values()) > KEEP_PARSED_BYTES:
            self._parsed.pop(next(iter(self._parsed)))

    def parsed(self, path: str, source: bytes):
        """(tree, shifts) of `source` at `path` as `parse_lenient` gives them, reusing a
        kept parse."""
        from sigpipe_lint.parse import parse_lenient

        kept = self._parsed.get(os.path.abspath(path))
        if kept is not None and kept[0] == _sha(source):
            return kept[2]
        parsed = parse_lenient(source)
        self.keep_parse(path, source, parsed)
        return parsed

    def _cache_file(self, path: str, sha: str, level: int) -> Optional[str]:
        if not self.cache_dir:
            return None
        from sigpipe_lint.cache import ENGINE_VERSION, _safe

        key = _sha(f"{sha}\0{os.path.abspath(path)}\0{level}".encode())
        return os.path.join(self.cache_dir, _safe(ENGINE_VERSION), "summaries", key[:2], key + ".pickle")

    def _load(self, path: str, sha: str, level: int) -> Optional[ModuleSummary]:
        f = self._cache_file(path, sha, level)
        if f is None:
            return None
        try:
            with open(f, "rb") as fh:
                s = pickle.load(fh)
        except Exception:  # noqa: BLE001 - a missing or unreadable entry is a miss
            return None
        if not isinstance(s, ModuleSummary) or s.sha != sha or s.level != level:
            return None
        for dep, h in s.deps.items():  # built from modules that have changed since: stale
            if not dep_current(dep, h, self.read):
                return None
        return s

    def _store(self, s: ModuleSummary) -> None:
        f = self._cache_file(s.path, s.sha, s.level)
        if f is None:
            return
        from sigpipe_lint.atomic import replace_file

        try:
            os.makedirs(os.path.dirname(f), exist_ok=True)
            replace_file(f, pickle.dumps(s, protocol=pickle.HIGHEST_PROTOCOL))
        except OSError:
            self.cache_dir = None  # read-only: go on without

    # -- names ---------------------------------------------------------------------------

    def locate(
        self, qname: str, paths: Tuple[str, ...], kind: str = "sock", depth: int = 0
    ) -> Optional[Tuple[ModuleSummary, List[str]]]:
        """The summary holding what `qname` names, and the attribute path inside it.

        `kind` says what the question is about ("sock", "exc", "mgr", "cls"): a module whose bytes
        cannot hold such an answer (or a re-export of one) is not parsed at all.
        """
        if depth > MAX_DEPTH or not qname or qname.split(".", 1)[0] in OPAQUE or qname.startswith("<"):
            return None
        found = resolve.split_qname(qname, paths)
        if found is None:
            return None
        path, _mod, rest = found
        if not self._may_define(path, rest[0], kind):
            return None
        s = self.summary(path)
        if s is None:
            return None
        alias = s.names.get(rest[0])
        if alias is not None and alias != qname and not alias.startswith(qname + "."):
            target = ".".join([alias] + rest[1:])
            return self.locate(target, resolve.search_path(path), kind, depth + 1) or (s, rest)
        return s, rest

    def _may_define(self, path: str, name: str, kind: str) -> bool:
        """A cheap look at the bytes before a parse: can the module answer at all?

        The module must define `name` (`def`, `class`, an assignment) or re-export it (an
        import naming it). For sockets it must also import a source of sockets (as the
        pre-filter asks) or a module of its own package; for exception tuples, assign the
        name; for context managers, define it as a `@contextmanager` function, or as a
        class in a module where some `__exit__` can return something true or raise.
        """
        key = (path, name, kind)
        if key not in self._may:
            self._may[key] = self._may_define_uncached(path, name, kind)
        return self._may[key]

    def _may_define_uncached(self, path: str, name: str, kind: str) -> bool:
        index = self._index(path)
        if index is None:
            return False
        imported, defined, assigned, managers, socketish, exits = index
        if name in imported:
            return True  # a re-export leads on
        if kind == "exc":
            return name in assigned
        if kind == "mgr":
            return name in managers or (name in defined and exits)
        if kind == "cls":
            return name in defined
        return (name in defined or name in assigned) and socketish

    def _index(self, path: str):
        """What a module's bytes say, once: names imported, defined, assigned, ..."""
        if path in self._indexes:
            return self._indexes[path]
        source = self.read(path)
        out = None
        if source is not None:
            imported = set()
            for m in _FROM_IMPORT.finditer(source):
                imported.update(_WORD.findall(m.group(1)))
            for m in _IMPORT.finditer(source):
                imported.update(_WORD.findall(m.group(1)))
            defined = set(_DEFINES.findall(source))
            assigned = set(_ASSIGNS.findall(source))
            managers = set(_CONTEXTMANAGER.findall(source))
            exits = any(_EXIT_SWALLOWS.search(source, m.end(), m.end() + 2000) for m in _EXIT.finditer(source))
            out = (
                {n.decode() for n in imported},
                {n.decode() for n in defined},
                {n.decode() for n in assigned},
                {n.decode() for n in managers},
                _SOCKETISH.search(source) is not None,
                exits,
            )
        self._indexes[path] = out
        return out

    def function_sock(self, qname: str, paths):
        """What a call of `qname` returns, when it is a socket (a function or a socket class)."""
        loc = self.locate(qname, paths)
        if loc is None:
            return None
        s, rest = loc
        if len(rest) == 1:
            if rest[0] in s.functions:
                return s.functions[rest[0]]
            c = s.classes.get(rest[0])
            if c is not None:
                return c.is_socket
        elif len(rest) == 2 and rest[0] in s.classes:
            # Cls.factory(...): a classmethod or staticmethod returning a socket
            return s.classes[rest[0]].methods.get(rest[1])
        return None

    def class_summary(self, qname: str, paths, kind: str = "sock") -> Optional[Tuple[ClassSummary, ModuleSummary]]:
        """The summary of class `qname`; kind "cls" asks of any class, "sock" only of a
        module that can make or hand out sockets (cheaper: most are not parsed)."""
        loc = self.locate(qname, paths, kind)
        if loc is None:
            return None
        s, rest = loc
        if len(rest) == 1 and rest[0] in s.classes:
            return s.classes[rest[0]], s
        return None

    def exception_names(self, qname: str, paths) -> Optional[Tuple[str, ...]]:
        """The exception classes `qname` stands for when it is a tuple or an alias elsewhere."""
        loc = self.locate(qname, paths, "exc")
        if loc is None:
            return None
        s, rest = loc
        if len(rest) == 1:
            if rest[0] in s.exceptions:
                return s.exceptions[rest[0]]
            alias = s.names.get(rest[0])
            if alias is not None:
                return (alias,)
        return None

    def manager_swallows(self, qname: str, paths) -> Tuple[str, ...]:
        loc = self.locate(qname, paths, "mgr")
        if loc is None:
            return ()
        s, rest = loc
        if len(rest) == 1:
            return s.guard_managers.get(rest[0], ())
        return ()

    # -- callers in other modules --------------------------------------------------------

    def _scan_root(self, path: str) -> Optional[str]:
        """The root of the project holding `path`, or of its package, or the folder of
        scripts it sits in (`resolve.is_script_folder`: a top-level script outside any
        project); None for a script that cannot be imported, or a module on the
        interpreter's path outside any project."""
        here = os.path.dirname(os.path.abspath(path))
        root = resolve.project_root(here)
        if root is None:
            modname, import_root, _ = resolve.module_of(path)
            if modname is None or "." not in modname and not os.path.basename(path) == "__init__.py":
                # a script beside others in a folder of scripts: they are its program
                return here if modname is not None and resolve.is_script_folder(here) else None
            root = os.path.join(import_root, modname.split(".")[0])
        return root

    def project_files(self, path: str) -> List[str]:
        """The `.py` files of the project holding `path` (its root), or of its package."""
        root = self._scan_root(path)
        if root is None:
            return []
        if root not in self._project_files:
            self._project_files[root] = scan_files(root)
        return self._project_files[root]

    def _scanned(self, path: str) -> None:
        """Record that the answer being built read the whole project of `path` (a scan for
        callers): it holds only while no file there changes and none is added."""
        self._asks()
        root = self._scan_root(path)
        if root is None or not self.project_files(path):
            return
        if root not in self._tree_sigs:
            self._tree_sigs[root] = tree_signature(root)
        self._consulted[-1][TREE_DEP + root] = self._tree_sigs[root]

    def _program_pool(self, me: str) -> List[str]:
        """The project's files whose calls are the program's calls (`me` among them, for
        the caller to leave out). One list is kept per project and kind of file: its id is
        a stable key for _naming.

        Tests exercise the program, they are not its callers: a test calling push()
        unguarded against a live server is no crash of the library, and a test calling it
        under a guard does not handle the library's write (unless `me` is itself test
        code, whose callers are tests)."""
        root = resolve.project_root(os.path.dirname(me))
        files = self.project_files(me)
        if not is_test_file(me, root):
            key = (id(files), root)  # project_files keeps its lists: the id is stable
            if key not in self._non_tests:
                self._non_tests[key] = [f for f in files if not is_test_file(os.path.abspath(f), root)]
            files = self._non_tests[key]
        return files

    def _naming(self, path: str, name: str) -> Tuple[List[Tuple[str, bytes]], str]:
        """(file, bytes) of the files of `path`'s pool (_program_pool) that hold the word
        `name`, and `path` made absolute. Memoised by pool and word: a large project asks
        the same word for many modules (scapy 2.8.0, 10 MB: 162 scans of 75 words in one
        process, 1.82 s of CPU scanning, 0.74 s with the memo)."""
        me = os.path.abspath(path)
        pool = self._program_pool(me)
        key = (id(pool), name)
        found = self._named.get(key)
        if found is None:
            name_b = name.encode()
            word = re.compile(rb"\b" + re.escape(name_b) + rb"\b")
            found = []
            for f in pool:
                data = self.read(f)
                if data is not None and name_b in data and word.search(data):
                    found.append((f, data))
            self._named[key] = found
        return found, me

    def callers(self, qname: str, path: str) -> Optional[list]:
        """Calls of function `qname` (defined in `path`) made in other modules of its project;
        None when there are too many modules to read (the callers are then unknown)."""
        name = qname.rsplit(".", 1)[-1]
        key = (qname, path, self._level())
        self._scanned(path)
        if key in self._callers:
            return self._callers[key]
        out = []
        called = re.compile(rb"\b" + re.escape(name.encode()) + rb"\s*\(")
        imported_as = re.compile(rb"\b" + re.escape(name.encode()) + rb"[ \t]+as[ \t]+([A-Za-z_][A-Za-z0-9_]*)")
        module_last = qname.rsplit(".", 2)[-2].encode() if qname.count(".") >= 1 else b""
        through_module = re.compile(rb"\b" + re.escape(module_last) + rb"\s*\.\s*" + re.escape(name.encode()) + rb"\s*\(")
        candidates = []
        found, me = self._naming(path, name)
        for f, data in found:
            # A caller calls the name (or the name it imports it as: `send as push`), and
            # imports it or calls it through its module. Every pattern below holds the name
            # as a word: _naming has already left out the files without it.
            if os.path.abspath(f) == me:
                continue
            if not called.search(data) and not any(
                re.search(rb"\b" + re.escape(alias) + rb"\s*\(", data) for alias in imported_as.findall(data)
            ):
                continue
            if _imports_name(data, name) or (module_last and through_module.search(data)):
                candidates.append(f)
        if len(candidates) > MAX_CALLER_FILES:
            self._callers[key] = None
            return None  # too many to read: unknown, as a library function's callers are
        if candidates and self._too_far():
            return None  # unknown at this level: the callers' summaries are out of reach
        for f in candidates:
            s = self.summary(f)
            if s is not None:
                out.extend(self._calls_of(qname, f, s))
        self._callers[key] = out
        return out

    def _calls_of(self, qname: str, f: str, s: ModuleSummary) -> list:
        """The records in `s` (the summary of file `f`) of calls of `qname`. `from .x import
        send as push; push(...)` is recorded under its qualified name, which ends with the
        real name."""
        name = qname.rsplit(".", 1)[-1]
        paths = resolve.search_path(f)
        return [
            r
            for callee, rs in s.calls.items()
            if callee.rsplit(".", 1)[-1] == name and (callee == qname or self._same(callee, qname, paths))
            for r in rs
        ]

    def _files_naming(self, path: str, name: str) -> Optional[List[Tuple[str, bytes]]]:
        """(file, bytes) of the program's other files holding the word `name` (see
        _program_pool); None when they are more than MAX_CALLER_FILES (too many to read)."""
        found, me = self._naming(path, name)
        out = [(f, data) for f, data in found if os.path.abspath(f) != me]
        return out if len(out) <= MAX_CALLER_FILES else None

    def method_calls(self, name: str, path: str) -> Optional[list]:
        """Every call `recv.<name>(...)` in the project's other modules, as MethodCallRecords;
        None when that is not known: a call whose receiver's class is unknown, the name used
        otherwise than called or defined (`f = obj.name`, `getattr(obj, "name")`, even in
        a comment), too many modules to read."""

        def count(data: bytes) -> Optional[int]:
            calls, _defs, other = name_uses(data, name)
            return None if other else calls  # a value, a keyword, ...

        return self._every_call(
            ("method", name, path), path, name, count,
            lambda f, s: s.method_calls.get(name, []),  # fewer: a receiver of unknown class
        )

    def constructions(self, qname: str, path: str) -> Optional[list]:
        """Every call `Cls(...)` of class `qname` (defined in `path`) in the project's other
        modules, as CallRecords (their arguments are `__init__`'s after `self`); None when
        they are not all known: the class name used otherwise than called in a module that
        mentions it (a base of a subclass, a value passed or stored, `isinstance`, an
        annotation, a class of the same name), a call not recorded as one of this class (an
        import under another name, a star import), too many modules to read."""
        name = qname.rsplit(".", 1)[-1]

        def count(data: bytes) -> Optional[int]:
            calls, other = class_uses(data, name)
            return None if other else calls

        return self._every_call(
            ("class", qname, path), path, name, count, lambda f, s: self._calls_of(qname, f, s)
        )

    def subclasses(self, qname: str, path: str) -> List[ClassSummary]:
        """The summaries of the classes in the program's other modules whose bases name class
        `qname` (defined in `path`): a mixin's subclasses, which say what the attributes its
        methods use are. [] when none is known (or too many modules name it to read)."""
        name = qname.rsplit(".", 1)[-1]
        key = ("subclasses", qname, path, self._level())
        self._scanned(path)
        if key in self._callers:
            return self._callers[key] or []
        self._callers[key] = []  # asked again while its modules are summarised: none yet
        mentioned = self._files_naming(path, name)
        based = re.compile(rb"^[ \t]*class[ \t]+\w+[ \t]*\([^)]*\b" + re.escape(name.encode()) + rb"\b", re.MULTILINE)
        candidates = [f for f, data in mentioned or () if based.search(data)]
        if not candidates:
            return []
        if self._too_far():
            del self._callers[key]
            return []  # unknown at this level, as in callers()
        out = []
        for f in candidates:
            s = self.summary(f)
            if s is None:
                continue
            paths = resolve.search_path(f)
            out.extend(
                cs for cs in s.classes.values()
                if any(b == qname or (b.rsplit(".", 1)[-1] == name and self._same(b, qname, paths)) for b in cs.bases)
            )
        self._callers[key] = out
        return out

    def _every_call(self, key: tuple, path: str, name: str, count, records_of) -> Optional[list]:
        """The records of every call of `name` in the program's other files (for `path`),
        while each one is known: `count(bytes)` is a file's number of calls of the name, or
        None when the file uses it otherwise; `records_of(file, summary)` the records its
        summary holds of them, which must be as many (else a call is of something unknown).
        None: not all known (or too many files). Memoised under `key` and the level."""
        key = key + (self._level(),)
        self._scanned(path)
        if key in self._callers:
            return self._callers[key]
        self._callers[key] = None
        mentioned = self._files_naming(path, name)
        if mentioned is None:
            return None
        candidates = []
        for f, data in mentioned:
            n_calls = count(data)
            if n_calls is None:
                return None
            if n_calls:
                candidates.append((f, n_calls))
        if candidates and self._too_far():
            del self._callers[key]
            return None  # unknown now, as in callers()
        out = []
        for f, n_calls in candidates:
            s = self.summary(f)
            records = records_of(f, s) if s is not None else []
            if len(records) != n_calls:
                return None
            out.extend(records)
        self._callers[key] = out
        return out

    def _same(self, callee: str, qname: str, paths) -> bool:
        loc = self.locate(callee, paths)
        if loc is None:
            return False
        s, rest = loc
        return s.modname is not None and ".".join([s.modname] + rest) == qname

    # -- SIGPIPE resets in the program's entry points ------------------------------------

    def resets_for(self, path: str) -> List[Tuple[str, Tuple[int, ...]]]:
        """Modules that reset SIGPIPE to SIG_DFL and run before `path`'s code: (path, resets).

        The package `__init__` files above the module, and the project's scripts (files with
        an `if __name__ == "__main__":` block, `__main__.py`) that import its top package.
        """
        modname, import_root, _ = resolve.module_of(path)
        if modname is None:
            return []
        out = []
        parts = modname.split(".")
        top = parts[0]
        inits = [os.path.join(import_root, *parts[:i], "__init__.py") for i in range(1, len(parts))]
        candidates = [p for p in inits if os.path.abspath(p) != os.path.abspath(path)]
        imports_top = re.compile(rb"^\s*(?:from|import)\s+" + re.escape(top.encode()) + rb"\b", re.M)
        for f in self._resetting_files(path):
            if os.path.abspath(f) == os.path.abspath(path) or f in candidates:
                continue
            data = self.read(f)
            # the package's own `python -m` entry, or a script that imports the package
            own_main = os.path.abspath(f) == os.path.abspath(os.path.join(import_root, top, "__main__.py"))
            if own_main or (b"__main__" in data and imports_top.search(data)):
                candidates.append(f)
        for f in candidates:
            data = self.read(f)
            if data is None or b"SIGPIPE" not in data:
                continue
            s = self.summary(f)
            if s is not None and s.resets:
                out.append((f, s.resets))
        return out


    def _resetting_files(self, path: str) -> List[str]:
        """The project's files that mention both SIGPIPE and SIG_DFL (scanned once per project)."""
        files = self.project_files(path)
        key = id(files)
        if key not in self._resetting:
            found = []
            for f in files:
                data = self.read(f)
                if data is not None and b"SIGPIPE" in data and b"SIG_DFL" in data:
                    found.append(f)
            self._resetting[key] = found
        return self._resetting[key]

    def writes_under(self, path: str) -> List[Tuple[str, Tuple[str, ...]]]:
        """The socket writes of the program that a reset in `path` reaches: (file, labels).

        A package `__init__` reaches its package's modules; a script (`__main__.py`, or a
        file with an `if __name__ == "__main__":` block) reaches the project's modules.
        """
        from sigpipe_lint.prefilter import may_match

        base = os.path.basename(path)
        me = os.path.abspath(path)
        if base == "__init__.py":
            folder = os.path.dirname(me)
            files = [f for f in self.project_files(path) if os.path.abspath(f).startswith(folder + os.sep)]
        else:
            files = self.project_files(path)
        local = resolve.local_packages(path)
        out = []
        for f in files:
            if os.path.abspath(f) == me:
                continue
            data = self.read(f)
            if data is None or not may_match(data, local, f):
                continue
            s = self.summary(f)
            if s is not None and s.writes:
                out.append((f, s.writes))
        return out
