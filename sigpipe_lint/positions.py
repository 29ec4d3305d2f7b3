"""Positions of the few nodes that are reported, without libcst's PositionProvider.

PositionProvider records a range for every node of the module and measured here at 2-3x
the cost of the parse; a plain code generation costs about a sixth of it. We run one plain
code generation and note line and column only when it reaches a node we were asked about.

Given the module's text, not even that: for each node asked about, only the smallest
statement that holds it and whose text stands exactly once in the module's text is
generated (with the indentation of the blocks around it), and placed where that text stands:
the line of a method, not the class of 300 lines around it, nor the module of 3,000. A
line found twice goes up to the statement around it (its method). Where even the top-level
statement cannot be placed (its text found twice or not at all, a node outside the body),
the whole module is generated.
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


_UNIT_TYPES: Dict[type, bool] = {}


def _is_unit(t: type) -> bool:
    """Whether nodes of type `t` are whole statements: a line of simple statements or a
    compound statement, each generated with its own leading lines and indentation."""
    unit = _UNIT_TYPES.get(t)
    if unit is None:
        unit = _UNIT_TYPES[t] = issubclass(t, (cst.SimpleStatementLine, cst.BaseCompoundStatement))
    return unit


# A statement and the indentation of the blocks around it (outermost first).
_Unit = Tuple[cst.CSTNode, Tuple[str, ...]]


def _holders(module: cst.Module, wanted: Set[int]) -> Optional[Dict[int, Tuple[_Unit, ...]]]:
    """For each of the `wanted` node ids, the statements that hold it, outermost first (a
    top-level statement first, the innermost last), each with the indentation of the
    blocks around it; None if some are not found in the body."""
    left = set(wanted)
    out: Dict[int, Tuple[_Unit, ...]] = {}
    default = module.default_indent
    for stmt in module.body:
        stack: List[Tuple[cst.CSTNode, Tuple[_Unit, ...], Tuple[str, ...]]] = [(stmt, ((stmt, ()),), ())]
        while stack:
            node, chain, indents = stack.pop()
            if id(node) in left:
                left.discard(id(node))
                out[id(node)] = chain
                if not left:
                    return out
            t = type(node)
            if t is cst.IndentedBlock:
                indents = indents + (default if node.indent is None else node.indent,)
            for name in _child_fields(t):
                v = getattr(node, name)
                tv = type(v)
                if tv in (list, tuple):
                    for c in v:
                        tc = type(c)
                        if _is_node(tc):
                            stack.append((c, chain + ((c, indents),) if _is_unit(tc) else chain, indents))
                elif _is_node(tv):
                    stack.append((v, chain + ((v, indents),) if _is_unit(tv) else chain, indents))
    return None


def _by_statement(module: cst.Module, targets: Dict[int, cst.CSTNode], text: str) -> Optional[Dict[int, Position]]:
    """Each node's position from the smallest statement holding it whose text stands exactly
    once in the module's text (a line of a method, not the class of 300 lines around it);
    None if for some node not even its top-level statement's text does."""
    chains = _holders(module, set(targets))
    if chains is None:
        return None
    out: Dict[int, Position] = {}
    tried: Set[int] = set()  # statements generated whose text is not unique
    for key, chain in chains.items():
        for unit, indents in reversed(chain):
            if key in out:
                break
            if id(unit) in tried:
                continue
            tried.add(id(unit))
            state = _TargetedState(module, targets)
            state.indent_tokens = list(indents)
            unit._codegen(state)
            code = "".join(state.tokens)
            # The statement's text must stand exactly once in the module's text: else where
            # it stands is not known for sure.
            if not code or text.count(code) != 1:
                continue
            start = text.find(code)
            before = text[:start]
            lines = before.count("\n") + before.count("\r") - before.count("\r\n")
            col0 = start - 1 - max(before.rfind("\n"), before.rfind("\r"))
            for k, (line, col, end_line, end_col) in _collect(state, targets).items():
                out[k] = (
                    line + lines,
                    col + (col0 if line == 1 else 0),
                    end_line + lines,
                    end_col + (col0 if end_line == 1 else 0),
                )
        if key not in out:
            return None
    return out
