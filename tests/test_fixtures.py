"""Every fixture's expected findings (its `# expect:` comments) hold, and nothing else is reported."""

import pytest

from expectations import FIXTURES, expected_findings, fixture_files
from sigpipe_lint.engine import analyze_source
from sigpipe_lint.rules import ALL_RULES

ALL_CODES = [r.code for r in ALL_RULES]


# fixtures/program/ holds packages, checked folder by folder in test_program_fixtures.py.
SINGLE_FILES = [p for p in fixture_files() if "program" not in p.relative_to(FIXTURES).parts[:1]]


@pytest.mark.parametrize("path", SINGLE_FILES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_fixture_findings(path):
    result = analyze_source(path.read_bytes(), str(path), ALL_CODES)
    assert result.error is None
    got = {(f.line, f.code) for f in result.findings}
    assert got == expected_findings(path)


def test_there_are_positive_and_negative_fixtures():
    files = SINGLE_FILES
    positives = [p for p in files if expected_findings(p)]
    negatives = [p for p in files if not expected_findings(p)]
    assert len(positives) >= 8 and len(negatives) >= 5
