"""Idioms of issue 9 that a folder fixture cannot judge alone: columns, fixes, messages."""

from expectations import FIXTURES, all_codes
from sigpipe_lint.engine import analyze_source
from sigpipe_lint.parse import LibcstOnlyFailure, parse

import pytest

CODES = all_codes()
MIXED = FIXTURES / "program" / "p13_mixed_indentation" / "mixed.py"


def test_mixed_indentation_is_analysed_in_the_users_columns_and_never_fixed():
    source = MIXED.read_bytes()
    with pytest.raises(LibcstOnlyFailure):  # the premise: libcst alone refuses this file
        parse(source)
    compile(source, str(MIXED), "exec")  # and Python accepts it
    lines = source.decode().splitlines()
    line = next(i for i, text in enumerate(lines, 1) if "sock.sendall" in text)
    text = lines[line - 1]
    assert "\t" in text[: text.index("self")]  # the reported line's indentation holds a tab
    column = text.index("self.sock.sendall") + 1  # characters, as in every other file
    end = text.index("(data)") + len("(data)") + 1
    result = analyze_source(source, str(MIXED), CODES)
    assert result.error is None
    # One finding per write: SPL001 reports it, SPL004 yields.
    assert [(f.line, f.column, f.end_column, f.code) for f in result.findings] == [(line, column, end, "SPL001")]
    # no fix, and the fix says why (the reason is the indentation)
    assert all(f.fix.applicability == "none" and "mixes tabs and spaces" in f.fix.reasons[0] for f in result.findings)
    for mode in ("safe", "unsafe"):
        fixed = analyze_source(source, str(MIXED), CODES, fix=mode)
        assert fixed.error is None and fixed.fixed_source is None, mode  # never the expanded text
        assert not any(f.fix.has_unsafe_part for f in fixed.findings)  # no unsafe fix held back
