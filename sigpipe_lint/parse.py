"""Step 3 of the pipeline: bytes -> libcst Module, or one clear reason why not."""

from __future__ import annotations

import ast
import contextlib
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
_BRACKETS = re.compile(
    rb"#[^\r\n]*"
    rb"|[A-Za-z]{0,2}(?:'''(?:[^\\]|\\.)*?'''|\"\"\"(?:[^\\]|\\.)*?\"\"\")"
    rb"|[A-Za-z]{0,2}(?:'(?:[^'\\\r\n]|\\.)*'|\"(?:[^\"\\\r\n]|\\.)*\")"
    rb"|[(\[{]|[)\]}]",
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
    """While the parser builds a tree, skip the check each node runs on construction.

    Every libcst node validates itself in `CSTNode.__post_init__` (that spaces separate
    keywords, that a name is not empty, ...). The parser only builds nodes from source it
    has just parsed, so the check can only repeat what the grammar said; libcst's own note
    there ("PERF: ... avoid validating the tree when parsing a file") says as much. It is
    a fifth of the parse here (1.56 s against 1.23 s of CPU for eight of the stdlib's
    largest survivors, median of six alternating runs), and the parse is two thirds of a
    cold run. Nodes built after the parse (the fixes' edits) are validated as always:
    the check is restored when the parse ends, also when it fails. Workers are processes
    and a parse runs on one thread, so no other code builds nodes in the meantime.
    """
    original = _cst_base.CSTNode.__dict__.get("__post_init__")
    if original is None:  # pragma: no cover - a libcst without the hook: parse as it does
        yield
        return
    _cst_base.CSTNode.__post_init__ = _skip_validation
    try:
        yield
    finally:
        _cst_base.CSTNode.__post_init__ = original


def _skip_validation(self: object) -> None:
    return None


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
