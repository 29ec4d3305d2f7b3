"""Fixer properties on generated and mutated programs (issue 6).

For every input, analyze_source(..., fix="unsafe") raises nothing (a file it cannot handle
comes back with `error` set), its fixed output parses, a second pass changes nothing, and a
file with no findings comes back with fixed_source None.

CI budget: SIGPIPE_FUZZ_EXAMPLES (default 100 per test, ~200 in all, well under 60 s).
A larger run:  SIGPIPE_FUZZ_EXAMPLES=2000 python -m pytest tests/test_fuzz.py -q
"""

from __future__ import annotations

import os
import sys

import hypothesmith
import libcst as cst
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from expectations import fixture_files
from sigpipe_lint.engine import analyze_source
from sigpipe_lint.rules import RULES_BY_CODE

# hypothesmith compiles the programs it generates, and CPython's compiler warns about some
# of them ("'int' object is not callable; perhaps you missed a comma?"): about a hundred
# lines of warnings per run that say nothing about sigpipe-lint, and hid any that would.
pytestmark = pytest.mark.filterwarnings(r"ignore:.*object is not (callable|subscriptable); perhaps you missed a comma\?:SyntaxWarning")

sys.setrecursionlimit(max(sys.getrecursionlimit(), 20000))  # what parse() sets; set before hypothesis looks
CODES = tuple(sorted(RULES_BY_CODE))
EXAMPLES = int(os.environ.get("SIGPIPE_FUZZ_EXAMPLES", "100"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
FIXTURES = fixture_files()


def check_fixer(source: bytes) -> None:
    for prefilter in (True, False):
        report = analyze_source(source, "fuzz.py", CODES, prefilter=prefilter)
        fixed = analyze_source(source, "fuzz.py", CODES, prefilter=prefilter, fix="unsafe")
        if fixed.error:
            assert fixed.fixed_source is None
            assert "internal error" not in fixed.error, fixed.error
            continue
        if not report.findings:
            assert fixed.fixed_source is None
        if fixed.fixed_source is None:
            continue
        assert fixed.fixed_source != source
        cst.parse_module(fixed.fixed_source)  # the output parses
        again = analyze_source(fixed.fixed_source, "fuzz.py", CODES, prefilter=prefilter, fix="unsafe")
        assert again.error is None, again.error
        assert again.fixed_source is None, "the fixer is not idempotent"


# Code likely to give findings and fixes, spliced into generated programs and fixtures.
SNIPPETS = [
    "sock.sendall(data)",
    "sock.send(data, 0)",
    "conn.sendto(data, addr)",
    "os.write(sock.fileno(), data)",
    "self.wfile.write(data)",
    "for chunk in chunks:\n    sock.sendall(chunk)",
    "while True:\n    s.send(b'x')",
    "try:\n    sock.sendall(data)\nexcept BrokenPipeError:\n    pass",
    "try:\n    sock.send(data)\nexcept (BrokenPipeError, OSError) as e:\n    raise",
    "signal.signal(signal.SIGPIPE, signal.SIG_DFL)",
    "sock = socket.create_connection(('h', 1))",
    "f = sock.makefile('wb')\nf.write(data)\nf.flush()",
    "def helper(s, d):\n    s.sendall(d)",
    "for x in xs:\n    helper(sock, x)",
    "sock = ssl.wrap_socket(socket.socket())\nsock.sendall(data)",
]
HEADER = ""  # snippets may use names nothing binds: the fixer must stay idempotent anyway


def indent_of(lines, i):
    for line in lines[i:]:
        if line.strip():
            return line[: len(line) - len(line.lstrip())]
    return ""


def splice(text: str, at: int, snippet: str) -> str:
    lines = text.splitlines(keepends=True)
    at = at % (len(lines) + 1)
    ind = indent_of(lines, at)
    block = "".join(ind + l + "\n" for l in snippet.splitlines())
    return "".join(lines[:at]) + block + "".join(lines[at:])


@FUZZ
@given(hypothesmith.from_grammar())
def test_generated_programs(src):
    check_fixer(src.encode("utf-8"))


@FUZZ
@given(
    hypothesmith.from_grammar(),
    st.lists(st.tuples(st.integers(0, 10_000), st.sampled_from(SNIPPETS)), min_size=1, max_size=4),
)
def test_generated_programs_with_socket_writes(src, edits):
    text = HEADER + src
    if not text.endswith("\n"):
        text += "\n"
    for at, snippet in edits:
        text = splice(text, at, snippet)
    check_fixer(text.encode("utf-8"))


@FUZZ
@given(
    st.sampled_from(FIXTURES),
    st.lists(st.tuples(st.integers(0, 10_000), st.sampled_from(SNIPPETS)), max_size=4),
    st.sampled_from(["\n", "\r\n"]),
)
@example(FIXTURES[0], [], "\n")
def test_mutated_fixtures(path, edits, eol):
    text = HEADER + path.read_text(encoding="utf-8")
    for at, snippet in edits:
        text = splice(text, at, snippet)
    check_fixer(text.replace("\n", eol).encode("utf-8"))


def test_every_fixture_unmutated():
    for path in FIXTURES:
        check_fixer(path.read_bytes())


def test_fix_that_adds_an_import_changes_an_unbound_name():
    """Found by SIGPIPE_FUZZ_EXAMPLES=2000: the SPL002 fix adds `import os`, which turns an
    unbound `os.write(sock.fileno(), d)` into a socket write; the engine now fixes until
    nothing changes, so a second run has nothing left to do."""
    text = (
        "sock = ssl.wrap_socket(socket.socket())\nsock.sendall(data)\nos.write(sock.fileno(), data)\n"
        + next(p for p in FIXTURES if p.name == "c09_sigdfl_cli.py").read_text(encoding="utf-8")
    )
    source = text.encode("utf-8")
    first = analyze_source(source, "mutant.py", CODES, fix="unsafe")
    assert first.error is None and first.fixed_source is not None
    assert b"import os" in first.fixed_source
    check_fixer(source)
