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
