"""`# noqa` comments: where a finding's comment goes, reading them, and `--add-noqa`.

A comment is legal only at the end of a physical line that is not inside a multi-line
string and does not end with a backslash continuation. A finding is reported at the first
line of its node; its noqa line is that line when a comment can stand there, else the first
line after it where one can (the end of the string, the last line of the continuation),
as ruff does. The engine reads a noqa on either line, and `--add-noqa` writes it on the
noqa line, so the two always agree.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple

_NOQA = re.compile(
    rb"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?",
    re.IGNORECASE,
)
_NOQA_TEXT = re.compile(_NOQA.pattern.decode(), re.IGNORECASE)


def noqa_codes(line: bytes) -> Optional[Set[str]]:
    """None: no noqa. Empty set: a bare `# noqa` (everything). Else the codes named.

    Every noqa on the line counts (one may be inside a string, the real one after it).
    """
    found: Optional[Set[str]] = None
    for m in _NOQA.finditer(line):
        codes = m.group("codes")
        if not codes:
            return set()
        found = (found or set()) | {c.decode().upper() for c in re.split(rb"[,\s]+", codes) if c}
    return found


def _covers(codes: Optional[Set[str]], code: str) -> bool:
    if codes is None:
        return False
    return not codes or code in codes or any(code.startswith(c) for c in codes)


def comment_lines(source: bytes) -> Optional[Set[int]]:
    """The 1-based lines at whose end a comment is legal; None if the file does not tokenize."""
    legal: Set[int] = set()
    try:
        for tok in tokenize.tokenize(io.BytesIO(source).readline):
            if tok.type in (tokenize.NEWLINE, tokenize.NL, tokenize.COMMENT):
                legal.add(tok.start[0])
    except (tokenize.TokenError, SyntaxError, UnicodeDecodeError):
        return None
    return legal


def noqa_line(legal: Optional[Set[int]], line: int, last_line: int) -> int:
    """Where the noqa comment for a finding reported at `line` goes."""
    if legal is None:
        return line
    n = line
    while n not in legal and n < last_line:
        n += 1
    return n if n in legal else line


class NoqaIndex:
    """Answers "is this finding suppressed?" for one file, tokenizing only when it must."""

    def __init__(self, source: bytes):
        self.lines = source.splitlines()
        self._source = source
        self._legal: Optional[Set[int]] = None
        self._tokenized = False
        # No "noqa" anywhere: nothing can be suppressed, nothing to tokenize.
        self.any = re.search(rb"noqa", source, re.IGNORECASE) is not None

    def line_for(self, line: int) -> int:
        if not self._tokenized:
            self._legal = comment_lines(self._source)
            self._tokenized = True
        return noqa_line(self._legal, line, len(self.lines))

    def suppressed(self, line: int, code: str) -> bool:
        if not self.any or line - 1 >= len(self.lines):
            return False
        if _covers(noqa_codes(self.lines[line - 1]), code):
            return True
        target = self.line_for(line)
        return target != line and _covers(noqa_codes(self.lines[target - 1]), code)


# ---------------------------------------------------------------------------------------
# --add-noqa
# ---------------------------------------------------------------------------------------


def _comments_by_line(source: bytes) -> Dict[int, List[tokenize.TokenInfo]]:
    out: Dict[int, List[tokenize.TokenInfo]] = {}
    for tok in tokenize.tokenize(io.BytesIO(source).readline):
        if tok.type == tokenize.COMMENT:
            out.setdefault(tok.start[0], []).append(tok)
    return out


def _merged_comment(comment: str, new: Sequence[str]) -> Optional[str]:
    """The comment with `new` codes merged into its noqa; None when it has no noqa.

    A bare `# noqa` already silences everything: returned unchanged.
    """
    m = _NOQA_TEXT.search(comment)
    if m is None:
        return None
    if not m.group("codes"):
        return comment
    have = [c.upper() for c in re.split(r"[,\s]+", m.group("codes")) if c]
    missing = [c for c in new if not _covers(set(have), c)]
    if not missing:
        return comment
    text = "# noqa: " + ", ".join(have + missing)
    return comment[: m.start()] + text + comment[m.end():]


def _still_valid(old: bytes, new: bytes) -> bool:
    """The edited file compiles (or, where the original did not, libcst still parses it)."""
    try:
        compile(new, "<add-noqa>", "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
        return True
    except (SyntaxError, ValueError):
        pass
    try:
        compile(old, "<add-noqa>", "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
        return False  # it compiled before: we broke it
    except (SyntaxError, ValueError):
        from sigpipe_lint.parse import ParseFailure, parse

        try:
            parse(new)
        except ParseFailure:
            return False
        return True


class NoqaFailed(Exception):
    """The file would not compile after adding the comments: left unchanged."""


def add_noqa(source: bytes, findings: Iterable[Tuple[int, str]]) -> Tuple[bytes, int]:
    """`source` with `# noqa: CODE` for each (line, code); returns (new source, lines edited).

    Existing noqa codes are kept and merged; a code already covered adds nothing, so a
    second run changes nothing.
    """
    findings = list(findings)
    if not findings:
        return source, 0
    lines = source.splitlines(keepends=True)
    legal = comment_lines(source)
    if legal is None:
        raise NoqaFailed("it does not tokenize")
    wanted: Dict[int, List[str]] = {}
    for line, code in findings:
        target = noqa_line(legal, line, len(lines))
        codes = wanted.setdefault(target, [])
        if code not in codes:
            codes.append(code)
    comments = _comments_by_line(source)
    encoding, _ = tokenize.detect_encoding(io.BytesIO(source).readline)
    if encoding == "utf-8-sig":
        encoding = "utf-8"  # the BOM stays in line 1's bytes (and its text, as U+FEFF)
    edited = 0
    for target, codes in sorted(wanted.items()):
        raw = lines[target - 1]
        body = raw.rstrip(b"\r\n")
        ending = raw[len(body):]
        text = body.decode(encoding, "surrogateescape")
        bom = 1 if target == 1 and text.startswith("\ufeff") else 0  # tokenize's columns skip it
        new_text = None
        for tok in comments.get(target, []):
            merged = _merged_comment(tok.string, codes)
            if merged is not None:
                if merged != tok.string:
                    # token columns count characters of the decoded line
                    start = tok.start[1] + bom
                    new_text = text[:start] + merged + text[start + len(tok.string):]
                else:
                    new_text = text
                break
        if new_text is None:
            new_text = text.rstrip(" \t") + "  # noqa: " + ", ".join(sorted(codes))
        if new_text != text:
            lines[target - 1] = new_text.encode(encoding, "surrogateescape") + ending
            edited += 1
    new = b"".join(lines)
    if new != source and not _still_valid(source, new):
        raise NoqaFailed("the file would not compile with the comments added; left unchanged")
    return new, edited
