"""Step 3 of the pipeline: bytes -> libcst Module, or one clear reason why not."""

from __future__ import annotations

import ast
import contextlib
import dataclasses
import re
import sys

from typing import Dict, Iterator, Optional, Tuple

import libcst as cst
from libcst._nodes import base as _cst_base

# libcst's code generation recurses once per nesting level; deep but valid code needs room.
_RECURSION_LIMIT = 20000


# CPython's tokenizer refuses more than 200 nested brackets (MAXLEVEL); libcst's parser does
# not, and nesting far beyond that takes it minutes, then overflows its stack (SIGSEGV).
_MAX_NESTING = 200
# Strings and comments are skipped (their brackets do not count); approximate for f-strings
# that nest quotes (3.12), which can only make a real depth look smaller or larger by a little.
# A string's prefix (b, rb, f...) needs no match of its own: the search steps over it to
# the quote. Brackets come first, as the most frequent match: 2.7x faster than with the
# prefixes and brackets last, same matches on 800 stdlib files.
_BRACKETS = re.compile(
    rb"[(\[{)\]}]|#[^\r\n]*"
    rb"|'''(?:[^\\]|\\.)*?'''|\"\"\"(?:[^\\]|\\.)*?\"\"\""
    rb"|'(?:[^'\\\r\n]|\\.)*'|\"(?:[^\"\\\r\n]|\\.)*\"",
    re.DOTALL,
)


class ParseFailure(Exception):
    """The file cannot be analysed; str(self) is the one-line reason."""


class LibcstOnlyFailure(ParseFailure):
    """Python accepts the file, libcst's parser does not."""


def _check_nesting(source: bytes) -> None:
    if source.count(b"(") + source.count(b"[") + source.count(b"{") <= _MAX_NESTING:
        return
    depth = 0
    for m in _BRACKETS.finditer(source):
        c = m.group()
        if c in (b"(", b"[", b"{"):
            depth += 1
            if depth > _MAX_NESTING:
                line = source.count(b"\n", 0, m.start()) + 1
                raise ParseFailure(f"too many nested parentheses (more than {_MAX_NESTING}) at line {line}")
        elif c in (b")", b"]", b"}"):
            depth = max(0, depth - 1)


@contextlib.contextmanager
def _unvalidated_nodes() -> Iterator[None]:
    """While the parser builds a tree, build each node the short way and skip its check.

    Every libcst node validates itself in `CSTNode.__post_init__` (that spaces separate
    keywords, that a name is not empty, ...). The parser only builds nodes from source it
    has just parsed, so the check can only repeat what the grammar said; libcst's own note
    there ("PERF: ... avoid validating the tree when parsing a file") says as much. It is
    a fifth of the parse here (1.56 s against 1.23 s of CPU for eight of the stdlib's
    largest survivors, median of six alternating runs), and the parse is two thirds of a
    cold run.

    The nodes are frozen dataclasses with `__slots__`: the `__init__` dataclasses write
    sets each field through `object.__setattr__`, which looks the name up through the
    class's MRO every time. `_fast_init` sets the same fields, with the same defaults and
    default factories, through each slot's own descriptor: about 8 % of the parse (see
    `_fast_init`). Both hold only for the parse: nodes built after it (the
    fixes' edits, other code in the same process) are built and validated as always; the
    originals come back when the parse ends, also when it fails. Workers are processes and
    a parse runs on one thread, so no other code builds nodes in the meantime.
    """
    original = _cst_base.CSTNode.__dict__.get("__post_init__")
    if original is None:  # pragma: no cover - a libcst without the hook: parse as it does
        yield
        return
    fast = _fast_inits()
    shared = _shared_leaves()
    saved = {name: getattr(cst, name) for name in shared}
    _cst_base.CSTNode.__post_init__ = _skip_validation
    for cls, (_, quick) in fast.items():
        cls.__init__ = quick
    for name, make in shared.items():
        setattr(cst, name, make)
    try:
        yield
    finally:
        for name, cls in saved.items():
            setattr(cst, name, cls)
        for cls, (slow, _) in fast.items():
            cls.__init__ = slow
        _cst_base.CSTNode.__post_init__ = original


# Whitespace leaves the parser makes one of per gap between tokens and per line end: two
# fifths of a tree's nodes (pydoc.py: 18,838 SimpleWhitespace of 45,801 nodes, 13,735 of
# them empty and 4,841 one space; 2,571 Newline). Immutable and holding nothing but their
# text, so one object per distinct text serves a whole tree, as interned strings do.
SHARED_LEAVES = ("SimpleWhitespace", "Newline")


_NO_VALUE = object()


def _shared_leaves() -> Dict[str, object]:
    """{name in libcst: a maker that gives one object per distinct value}, for one parse.

    The native parser builds each node by calling `libcst.<Name>(**fields)`, looked up on
    the module each time: while a parse runs, those names are these makers (the parse is
    about a tenth faster: ten of the stdlib's largest survivors, 0.85-0.94 s of CPU against
    0.96-1.09 s, alternating). A call they do not expect (other arguments, another libcst)
    builds the node as the class does. No code of ours keys anything on a whitespace
    node's identity (findings, positions and fixes key on calls, names and statements), and
    libcst's transformers and code generation do not care.
    """
    out: Dict[str, object] = {}
    for name in SHARED_LEAVES:
        cls = getattr(cst, name)
        made: Dict[object, object] = {}

        # (`value` by name, with a default, and a dict's own get: half the cost of a
        # maker taking *args and **kw, for the 232,000 leaves of the stdlib's survivors)
        def make(value=_NO_VALUE, _cls=cls, _get=made.get, _made=made, **kw):
            if kw or value is _NO_VALUE:
                return _cls(**kw) if value is _NO_VALUE else _cls(value=value, **kw)
            node = _get(value)
            if node is None:
                node = _made[value] = _cls(value=value)
            return node

        out[name] = make
    return out


def _skip_validation(self: object) -> None:
    return None


_FAST_INITS: Optional[Dict[type, Tuple[object, object]]] = None


def _fast_inits() -> Dict[type, Tuple[object, object]]:
    """{node class: (its dataclass __init__, the short one)}, built once per process."""
    global _FAST_INITS
    if _FAST_INITS is None:
        out = {}
        seen = set()
        todo = [_cst_base.CSTNode]
        while todo:
            cls = todo.pop()
            for sub in cls.__subclasses__():
                if sub not in seen:
                    seen.add(sub)
                    todo.append(sub)
                    slow = sub.__dict__.get("__init__")
                    quick = _fast_init(sub) if slow is not None else None
                    if quick is not None:
                        out[sub] = (slow, quick)
        _FAST_INITS = out
    return _FAST_INITS


def _fast_init(cls: type):
    """An `__init__` for node class `cls` that does what its dataclass `__init__` does
    while `__post_init__` is a no-op: take the same arguments (same order, names and
    defaults), call a default factory for each omitted one, and store each field in its
    slot. None (keep the dataclass one) for any class this cannot mirror exactly: not a
    dataclass, a field outside `__init__` or keyword-only, a field without a slot.

    Ten of the stdlib's largest survivors (0.64 MB) parse in 0.80 s of CPU against 0.875 s
    (median of nine, alternating, validation skipped in both, the runner's GC threshold).
    Most of the rest is libcst's native parser and the creation of the objects, which no
    `__init__` can save: with an `__init__` that stores nothing, redis-py's connection.py
    (149 KB) still takes 0.12 s.
    """
    if not dataclasses.is_dataclass(cls) or cls.__dict__.get("__init__") is None:
        return None
    if not cls.__dataclass_params__.init:  # type: ignore[attr-defined]
        return None
    env: Dict[str, object] = {"_MISSING": dataclasses.MISSING}
    params = []
    body = []
    for i, f in enumerate(dataclasses.fields(cls)):
        if not f.init or getattr(f, "kw_only", False) is True or not f.name.isidentifier():
            return None
        slot = next((k.__dict__[f.name] for k in cls.__mro__ if f.name in k.__dict__), None)
        if type(slot).__name__ != "member_descriptor":
            return None
        env[f"_set{i}"] = slot.__set__
        value = f.name
        if f.default is not dataclasses.MISSING:
            env[f"_default{i}"] = f.default
            params.append(f"{f.name}=_default{i}")
        elif f.default_factory is not dataclasses.MISSING:
            env[f"_factory{i}"] = f.default_factory
            params.append(f"{f.name}=_MISSING")
            value = f"_factory{i}() if {f.name} is _MISSING else {f.name}"
        else:
            params.append(f.name)
        body.append(f"    _set{i}(self, {value})")
    code = "def __init__(" + ", ".join(["self"] + params) + "):\n" + "\n".join(body or ["    pass"]) + "\n"
    namespace: Dict[str, object] = {}
    try:
        exec(compile(code, f"<sigpipe_lint fast init of {cls.__name__}>", "exec"), env, namespace)
    except SyntaxError:  # pragma: no cover - e.g. a field without a default after one with
        return None
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"  # type: ignore[attr-defined]
    return init


def parse(source: bytes) -> cst.Module:
    if sys.getrecursionlimit() < _RECURSION_LIMIT:
        sys.setrecursionlimit(_RECURSION_LIMIT)
    _check_nesting(source)
    try:
        with _unvalidated_nodes():
            return cst.parse_module(source)
    except cst.ParserSyntaxError as e:
        message = _syntax_error(source, e)
        if message.startswith(_LIBCST_ONLY):
            raise LibcstOnlyFailure(message) from None
        raise ParseFailure(message) from None
    except UnicodeDecodeError as e:
        raise ParseFailure(f"cannot decode: {e.reason} at byte {e.start} ({e.encoding})") from None
    except LookupError as e:  # unknown coding cookie
        raise ParseFailure(f"cannot decode: {e}") from None
    except SyntaxError as e:  # pragma: no cover - libcst raises its own, kept for safety
        raise ParseFailure(f"syntax error: {e}") from None
    except RecursionError:
        raise ParseFailure("too deeply nested to parse") from None
    except (ValueError, TypeError) as e:  # e.g. NUL bytes
        raise ParseFailure(f"cannot parse: {e}") from None


_LIBCST_ONLY = "libcst cannot parse it (Python can)"
_INDENT = re.compile(rb"[ \t]*")


def parse_lenient(source: bytes) -> Tuple[cst.Module, Optional[Dict[int, int]]]:
    """`parse`, and for a file Python accepts but libcst rejects because its indentation
    mixes tabs and spaces ("no matching outer block for dedent"): the parse of the text
    with the tabs of each line's indentation expanded to spaces (tab stops of 8, as
    Python's tokenizer counts them), so that the file is analysed all the same.

    Returns (module, shifts). shifts is None for a normal parse; else {line: characters
    added to that line's indentation}. Lines do not move, but a column after an expanded
    indentation is `shift` characters to the right in the module: the engine subtracts it
    before reporting. The module's code is not the user's text: no fix may be generated
    from it (the engine offers none for such a file).
    """
    try:
        return parse(source), None
    except LibcstOnlyFailure as first:
        if b"\t" not in source:
            raise
        lines = source.splitlines(keepends=True)
        shifts: Dict[int, int] = {}
        for i, line in enumerate(lines):
            indent = _INDENT.match(line).group()
            if b"\t" in indent:
                wide = indent.expandtabs(8)
                shifts[i + 1] = len(wide) - len(indent)
                lines[i] = wide + line[len(indent) :]
        if not shifts:
            raise
        try:
            return parse(b"".join(lines)), shifts
        except ParseFailure:
            raise first from None


def _syntax_error(source: bytes, e: "cst.ParserSyntaxError") -> str:
    """Python's own account of a syntax error: libcst's native parser places it imprecisely.

    Only called for files that failed to parse, so the second parse costs nothing in the
    common case.
    """
    try:
        compile(source, "<file>", "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
    except SyntaxError as py:
        if not py.lineno:
            return f"syntax error: {py.msg}"
        where = f"line {py.lineno}" + (f", column {py.offset}" if py.offset else "")
        return f"syntax error at {where}: {py.msg}"
    except ValueError as bad:  # Python 3.9-3.11: NUL bytes
        return f"syntax error: {bad}"
    except (RecursionError, MemoryError):
        pass
    # Python accepts it: a construct libcst cannot parse.
    return f"{_LIBCST_ONLY}: {e.message.splitlines()[0] if e.message else e}"
