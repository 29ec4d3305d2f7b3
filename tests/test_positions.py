"""positions() (one targeted code generation) against libcst's PositionProvider, the reference,
for the expressions that findings point at (calls, attributes, names)."""

from __future__ import annotations

import sysconfig
from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from sigpipe_lint.parse import parse
from sigpipe_lint.positions import module_text, positions

STDLIB = Path(sysconfig.get_paths()["stdlib"])
SOURCES = [
    # the same function twice (its text is not unique: the whole module is generated),
    # then a unique one; a header comment; no newline at the end
    b"# header\n\ndef f(s):\n    s.send(b'x')\n\ndef f(s):\n    s.send(b'x')\n\ndef g(s): s.sendall(b'y')",
    # tabs, CRLF, a continuation line, a multi-line string before the node, nested calls
    b"def f(s):\r\n\tx = '''a\r\nb'''\r\n\ts.send(\r\n\t\tg(1), \\\r\n\t\t2)\r\n",
    b"class C:\n    def m(self):\n        return [self.s.sendall(b'x') for _ in ()]\n# c\n@d(e(f))\ndef g(): pass\n",
]


def _nodes(module: cst.Module):
    found = []

    class Collect(cst.CSTVisitor):
        def on_visit(self, node: cst.CSTNode) -> bool:
            if isinstance(node, (cst.Call, cst.Attribute, cst.Name)):
                found.append(node)
            return True

    module.visit(Collect())
    return found


@pytest.mark.parametrize(
    "source",
    SOURCES + [b"\xef\xbb\xbf" + SOURCES[2], (STDLIB / "socketserver.py").read_bytes()],
    ids=["twice", "tabs-crlf", "nested", "bom", "socketserver"],
)
@pytest.mark.parametrize("every", [1, 7])
@pytest.mark.parametrize("with_text", [False, True], ids=["whole-module", "by-statement"])
def test_positions_equal_libcsts_position_provider(source, every, with_text):
    # Without the text, the whole module is generated; with it, only the statements that
    # hold the nodes asked about (every node, or every 7th: a few statements of many).
    module = parse(source)
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    reference = wrapper.resolve(PositionProvider)
    nodes = _nodes(module)[::every]
    got = positions(module, nodes, module_text(module, source) if with_text else None)
    assert len(got) == len(nodes) > 0
    for node in nodes:
        r = reference[node]
        assert got[id(node)] == (r.start.line, r.start.column + 1, r.end.line, r.end.column + 1), node


def test_positions_by_statement_generates_only_the_statements_that_hold_the_nodes(monkeypatch):
    import sigpipe_lint.positions as P

    source = (STDLIB / "socketserver.py").read_bytes()
    module = parse(source)
    calls = [n for n in _nodes(module) if isinstance(n, cst.Call)]
    generated = []
    real = P._TargetedState.__init__

    def spy(self, *a, **k):
        generated.append(self)
        real(self, *a, **k)

    monkeypatch.setattr(P._TargetedState, "__init__", spy)
    got = positions(module, calls[-1:], module_text(module, source))
    assert len(got) == 1 and len(generated) == 1
    assert len("".join(generated[0].tokens)) < len(source) // 4  # one statement, not the module
