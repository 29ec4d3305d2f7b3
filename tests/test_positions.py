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
    # the same line in two methods (its text is not unique: the method's is), leading
    # comments and blank lines, a multi-line statement, blocks indented by tabs and by an
    # odd mix, a one-line suite, a statement that is the last of its class
    b"class C:\n    def a(self, d):\n        self.s.sendall(d)\n    def b(self, d):\n        self.s.sendall(d)\n"
    b"class D:\n\tdef c(self):\n\t\t# lead\n\n\t\tx = f(\n\t\t\t1,\n\t\t)\n\t\tif x:\n\t\t\t  y = g(x)  # odd\n"
    b"\t\t\t  if y: h(y); k()\n\t\telse:\n\t\t\tpass\nz = C()\n",
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
    ids=["twice", "tabs-crlf", "nested", "nested-blocks", "bom", "socketserver"],
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
    source = (STDLIB / "socketserver.py").read_bytes()
    texts = _generated(monkeypatch, source, lambda nodes: [n for n in nodes if isinstance(n, cst.Call)][-1:])
    assert len(texts) == 1 and len(texts[0]) < len(source) // 4  # one statement, not the module

def _generated(monkeypatch, source: bytes, pick):
    import sigpipe_lint.positions as P

    module = parse(source)
    nodes = pick(_nodes(module))
    generated = []
    real = P._TargetedState.__init__

    def spy(self, *a, **k):
        generated.append(self)
        real(self, *a, **k)

    monkeypatch.setattr(P._TargetedState, "__init__", spy)
    got = positions(module, nodes, module_text(module, source))
    assert len(got) == len(nodes)
    return ["".join(state.tokens) for state in generated]


def test_positions_generate_the_line_not_the_class_around_it(monkeypatch):
    # socketserver's last call is in a method of a class of 30 lines: only its line is
    # generated, with the indentation of the blocks around it.
    source = (STDLIB / "socketserver.py").read_bytes()
    texts = _generated(monkeypatch, source, lambda nodes: [n for n in nodes if isinstance(n, cst.Call)][-1:])
    assert len(texts) == 1 and texts[0].count("\n") == 1 and texts[0].startswith("        ")


def test_positions_go_up_to_a_statement_whose_text_is_unique(monkeypatch):
    source = SOURCES[3]
    texts = _generated(
        monkeypatch, source, lambda nodes: [n for n in nodes if isinstance(n, cst.Call) and isinstance(n.func, cst.Attribute) and n.func.attr.value == "sendall"][1:2]
    )
    # the line stands twice in the module: the method around it is generated next
    assert texts == ["        self.s.sendall(d)\n", "    def b(self, d):\n        self.s.sendall(d)\n"]
