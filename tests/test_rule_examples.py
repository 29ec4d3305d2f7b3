"""Every rule's documented examples, run as tests (the docs and the checks cannot drift)."""

import textwrap

import pytest

from sigpipe_lint.engine import analyze_source
from sigpipe_lint.rules import ALL_RULES


def _cases(kind):
    for rule in ALL_RULES:
        for i, ex in enumerate(getattr(rule, kind)):
            yield pytest.param(rule, ex, id=f"{rule.code}-{kind.lower()}-{i}")


def _findings(rule, code):
    # The examples start with a newline in the rule files; their line numbers count it.
    source = textwrap.dedent(code).encode()
    result = analyze_source(source, "example.py", [rule.code])
    assert result.error is None, result.error
    return result.findings


@pytest.mark.parametrize("rule,example", list(_cases("VALID")))
def test_valid_examples_are_clean(rule, example):
    assert _findings(rule, example.code) == []


@pytest.mark.parametrize("rule,example", list(_cases("INVALID")))
def test_invalid_examples_are_reported(rule, example):
    found = _findings(rule, example.code)
    assert [f.line for f in found] == [example.line], [(f.line, f.message) for f in found]
    if example.column is not None:
        assert found[0].column == example.column
    assert found[0].code == rule.code


def test_every_rule_has_docs_and_examples():
    for rule in ALL_RULES:
        docs = rule.docs()
        for section in ("## What it does", "## Why is this bad?", "## Example", "## Use instead", "## Fix safety"):
            assert section in docs, (rule.code, section)
        assert rule.VALID and rule.INVALID, rule.code
        assert rule.code.startswith("SPL") and len(rule.code) == 6


@pytest.mark.parametrize("rule,example", list(_cases("INVALID")))
def test_invalid_examples_fix_as_documented(rule, example):
    """`fixed` is the code after --fix, `unsafe_fixed` after --unsafe-fixes (default: `fixed`).
    None means: no fix; the fixer must leave the code as it is."""
    source = textwrap.dedent(example.code).encode()
    unsafe = example.unsafe_fixed if example.unsafe_fixed is not None else example.fixed
    for mode, expected in (("safe", example.fixed), ("unsafe", unsafe)):
        result = analyze_source(source, "example.py", [rule.code], fix=mode)
        assert result.error is None
        if expected is None:
            assert result.fixed_source is None, mode
            continue
        assert result.fixed_source is not None, mode
        assert result.fixed_source.decode() == textwrap.dedent(expected), mode
        # Idempotent: the fixed code has nothing left to fix.
        again = analyze_source(result.fixed_source, "example.py", [rule.code], fix=mode)
        assert again.fixed_source is None and again.findings == []


def test_no_fix_ever_adds_nosignal_to_tls():
    source = textwrap.dedent(
        """
        import socket, ssl
        ctx = ssl.create_default_context()
        tls = ctx.wrap_socket(socket.create_connection(("h", 443)), server_hostname="h")
        tls.sendall(b"x")
        """
    ).encode()
    result = analyze_source(source, "tls.py", ["SPL001"], fix="unsafe")
    assert [f.code for f in result.findings] == [] and result.fixed_source is not None
    assert b"MSG_NOSIGNAL" not in result.fixed_source
