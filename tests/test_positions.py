"""positions() (one targeted code generation) against libcst's PositionProvider, the reference,
for the expressions that findings point at (calls, attributes, names)."""

from __future__ import annotations

import sysconfig
from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from sigpipe_lint.parse import parse
from sigpipe_lint.positions import positions

STDLIB = Path(sysconfig.get_paths()["stdlib"])
SOURCES = [
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


@pytest.mark.parametrize("source", SOURCES + [(STDLIB / "socketserver.py").read_bytes()], ids=["tabs-crlf", "nested", "socketserver"])
def test_positions_equal_libcsts_position_provider(source):
    module = parse(source)
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    reference = wrapper.resolve(PositionProvider)
    nodes = _nodes(module)
    got = positions(module, nodes)
    assert len(got) == len(nodes) > 0
    for node in nodes:
        r = reference[node]
        assert got[id(node)] == (r.start.line, r.start.column + 1, r.end.line, r.end.column + 1), node
