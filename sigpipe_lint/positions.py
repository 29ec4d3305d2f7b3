"""Positions of the few nodes that are reported, without libcst's PositionProvider.

PositionProvider records a range for every node of the module and measured here at 2-3x
the cost of the parse; a plain code generation costs about a sixth of it. We run one plain
code generation and note line and column only when it reaches a node we were asked about.
"""

from __future__ import annotations

from typing import Dict, Iterable, Tuple

import libcst as cst
from libcst._nodes.internal import CodegenState

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


def positions(module: cst.Module, nodes: Iterable[cst.CSTNode]) -> Dict[int, Position]:
    """Map id(node) -> (line, column, end_line, end_column) for the given nodes."""
    targets = {id(n): n for n in nodes}
    if not targets:
        return {}
    state = _TargetedState(module, targets)
    module._codegen(state)
    out: Dict[int, Position] = {}
    for key, node in targets.items():
        if key not in state.starts:
            continue
        line, col = state.starts[key]
        end_line, end_col = state.ends[key]
        out[key] = (line, col + 1, end_line, end_col + 1)
    return out
