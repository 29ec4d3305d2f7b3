"""Positions of the few nodes that are reported, without libcst's PositionProvider.

PositionProvider records a range for every node of the module and measured here at 2-3x
the cost of the parse; a plain code generation costs about a sixth of it. We run one plain
code generation and note line and column only when it reaches a node we were asked about.

Given the module's text, not even that: only the top-level statements that hold a node we
were asked about are generated, each placed where its text stands in the module's text
(a class of 300 lines instead of a module of 3,000). Where that cannot be done exactly (a
statement's text found twice or not at all, a node outside the body), the whole module is
generated as before.
"""

from __future__ import annotations

from typing import Dict, Iterable, List, Optional, Set, Tuple

import libcst as cst
from libcst._nodes.internal import CodegenState

from sigpipe_lint.facts.names import _child_fields, _is_node

Position = Tuple[int, int, int, int]  # line, column (1-based), end line, end column (exclusive)


class _NoRecord:
    """A context manager that does nothing, made once (see record_syntactic_position)."""

    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> bool:
        return False


_NO_RECORD = _NoRecord()


class _TargetedState(CodegenState):
    """A code generation that tracks line/column lazily, only at the target nodes."""

    def __init__(self, module: cst.Module, targets: Dict[int, cst.CSTNode]):
        super().__init__(default_indent=module.default_indent, default_newline=module.default_newline)
        self._targets = targets
        self._line = 1
        self._col = 0
        self._seen = 0  # tokens already counted into _line/_col
        self.starts: Dict[int, Tuple[int, int]] = {}
        self.ends: Dict[int, Tuple[int, int]] = {}

    def _where(self) -> Tuple[int, int]:
        tokens = self.tokens
        line, col = self._line, self._col
        for i in range(self._seen, len(tokens)):
            tok = tokens[i]
            n = tok.count("\n") + (tok.count("\r") - tok.count("\r\n"))
            if n:
                line += n
                last = max(tok.rfind("\n"), tok.rfind("\r"))
                col = len(tok) - last - 1
            else:
                col += len(tok)
        self._line, self._col, self._seen = line, col, len(tokens)
        return line, col

    def before_codegen(self, node: cst.CSTNode) -> None:
        if id(node) in self._targets:
            self.starts[id(node)] = self._where()

    def after_codegen(self, node: cst.CSTNode) -> None:
        if id(node) in self._targets:
            self.ends[id(node)] = self._where()

    def record_syntactic_position(self, node, *, start_node=None, end_node=None) -> _NoRecord:
        # The base class's is a @contextmanager that records nothing: a generator made and
        # run for each of the nodes generated (90,000 for the stdlib's reported modules),
        # about a third of this code generation (0.33 s against 0.20 s of CPU on four
        # modules, medians of four). Recording nothing needs no generator.
        return _NO_RECORD


def positions(module: cst.Module, nodes: Iterable[cst.CSTNode], text: Optional[str] = None) -> Dict[int, Position]:
    """Map id(node) -> (line, column, end_line, end_column) for the given nodes.

    `text`: the module's code (`module.code`, e.g. its source decoded), when the caller has
    it: then only the statements holding the nodes are generated.
    """
    targets = {id(n): n for n in nodes}
    if not targets:
        return {}
    if text is not None:
        found = _by_statement(module, targets, text)
        if found is not None:
            return found
    state = _TargetedState(module, targets)
    module._codegen(state)
    return _collect(state, targets)


def module_text(module: cst.Module, source: bytes) -> Optional[str]:
    """The source as text, as libcst reads it (the coding cookie or BOM decides); None if it
    cannot be decoded."""
    try:
        return source.decode(module.encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _collect(state: _TargetedState, targets: Dict[int, cst.CSTNode]) -> Dict[int, Position]:
    out: Dict[int, Position] = {}
    for key in targets:
        if key not in state.starts:
            continue
        line, col = state.starts[key]
        end_line, end_col = state.ends[key]
        out[key] = (line, col + 1, end_line, end_col + 1)
    return out


def _holders(module: cst.Module, wanted: Set[int]) -> Optional[List[int]]:
    """Indexes of the top-level statements holding the `wanted` node ids (None: some not
    found in the body)."""
    left = set(wanted)
    out = []
    for i, stmt in enumerate(module.body):
        stack = [stmt]
        hit = False
        while stack:
            node = stack.pop()
            if id(node) in left:
                left.discard(id(node))
                hit = True
            for name in _child_fields(type(node)):
                v = getattr(node, name)
                tv = type(v)
                if tv in (list, tuple):
                    stack.extend(c for c in v if _is_node(type(c)))
                elif _is_node(tv):
                    stack.append(v)
        if hit:
            out.append(i)
        if not left:
            return out
    return None


def _by_statement(module: cst.Module, targets: Dict[int, cst.CSTNode], text: str) -> Optional[Dict[int, Position]]:
    holders = _holders(module, set(targets))
    if holders is None:
        return None
    out: Dict[int, Position] = {}
    for i in holders:
        state = _TargetedState(module, targets)
        module.body[i]._codegen(state)
        code = "".join(state.tokens)
        # The statement's text must stand exactly once in the module's text: else where it
        # stands is not known for sure.
        if not code or text.count(code) != 1:
            return None
        start = text.find(code)
        before = text[:start]
        lines = before.count("\n") + before.count("\r") - before.count("\r\n")
        col0 = start - 1 - max(before.rfind("\n"), before.rfind("\r"))
        for key, (line, col, end_line, end_col) in _collect(state, targets).items():
            out[key] = (
                line + lines,
                col + (col0 if line == 1 else 0),
                end_line + lines,
                end_col + (col0 if end_line == 1 else 0),
            )
    return out if len(out) == len(targets) else None
