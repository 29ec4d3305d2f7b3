"""The flake8 plugin: `flake8 --select SPL` reports what `sigpipe-lint check --select SPL` does.

A thin adapter around `engine.analyze_source`. It analyses the `lines` flake8 already read (so
`flake8 -` works) and reports every rule; flake8's --select/--ignore and `# noqa` do the
filtering. SPL004 (strict) goes on flake8's default ignore list, so it is off unless selected.
Importing this module does not import libcst: the engine is imported only for files that the
pre-filter cannot rule out.
"""

from __future__ import annotations

import os
import re
from typing import Any, Iterator, List, Sequence, Tuple

from sigpipe_lint import __version__
from sigpipe_lint.prefilter import may_match
from sigpipe_lint.program.resolve import local_packages, project_root

_CODING = re.compile(r"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")


def _source_bytes(lines: Sequence[str]) -> bytes:
    """The file's bytes again, in the encoding its coding cookie names (libcst honours it)."""
    text = "".join(lines)
    for line in lines[:2]:
        m = _CODING.match(line)
        if m:
            try:
                return text.encode(m.group(1))
            except (LookupError, UnicodeError):
                break
    return text.encode("utf-8", "surrogatepass")


def _cache_dir(filename: str):
    """The CLI's cache folder for the file's project (summaries are shared with `check`)."""
    from sigpipe_lint.cache import default_cache_dir

    root = project_root(os.path.dirname(os.path.abspath(filename)))
    return default_cache_dir(root) if root is not None else None


class SigpipeChecker:
    name = "sigpipe-lint"
    version = __version__

    def __init__(self, tree: Any, lines: List[str], filename: str = "-") -> None:
        # `tree` is unused: asking for it is what makes flake8 run this once per file.
        self.lines = lines
        self.filename = filename

    @classmethod
    def add_options(cls, parser: Any) -> None:
        from sigpipe_lint.rules import ALL_RULES  # metadata only: no libcst

        parser.extend_default_ignore([r.code for r in ALL_RULES if not r.default_enabled])

    def run(self) -> Iterator[Tuple[int, int, str, type]]:
        source = _source_bytes(self.lines)
        # A real file is placed in its project, as the CLI does: names imported from other
        # modules resolve through their (cached) summaries. stdin is analysed alone.
        real = self.filename not in ("-", "stdin") and os.path.isfile(self.filename)
        local = (lambda: local_packages(self.filename)) if real else ()
        if not may_match(source, local, self.filename if real else None):
            return
        from sigpipe_lint.engine import analyze_source
        from sigpipe_lint.program import get_program
        from sigpipe_lint.rules import ALL_RULES

        program = get_program(_cache_dir(self.filename)) if real else None
        result = analyze_source(source, self.filename if real else "-", [r.code for r in ALL_RULES], program=program)
        if result.error:
            # flake8 reports syntax errors itself (E999) and then never calls us, so this is
            # a file Python accepts but libcst cannot analyse: say so rather than stay silent.
            yield 1, 0, f"SPL000 sigpipe-lint cannot analyse this file: {result.error}", type(self)
            return
        for f in result.findings:
            yield f.line, f.column - 1, f"{f.code} {f.message}", type(self)
