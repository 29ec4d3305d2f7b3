"""What a rule is: a code, a message, its documentation, its examples and its check.

Modelled on Fixit (examples embedded in the rule, run by one parametrized test) and ruff's
rule pages (What it does / Why is this bad? / Example / Use instead / Fix safety).
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, List, Optional, Sequence

if TYPE_CHECKING:  # pragma: no cover - libcst is imported only where a file is parsed
    import libcst as cst

    from sigpipe_lint.facts import ModuleFacts
    from sigpipe_lint.fixes import FixPlan


@dataclass
class Valid:
    """Code on which the rule must report nothing."""

    code: str


@dataclass
class Invalid:
    """Code on which the rule must report, at `line` (1-based), and `fixed` after the fix."""

    code: str
    line: int
    column: Optional[int] = None  # 1-based
    fixed: Optional[str] = None  # the code after `--fix` (safe fixes only)
    unsafe_fixed: Optional[str] = None  # the code after `--fix --unsafe-fixes`


@dataclass
class Report:
    """A finding before positions are known."""

    node: cst.CSTNode
    message: str  # may hold "{lines}": the lines of `related`, filled in by the engine
    related: Sequence[cst.CSTNode] = ()
    fixes: Sequence["FixPlan"] = ()  # safe ones first; an unsafe one completes them


class Rule:
    code: str = ""
    name: str = ""
    summary: str = ""  # one line, for `rule --all` and SARIF shortDescription
    default_enabled: bool = True
    # Codes that win over this rule when both report the same node (one write, one finding).
    yields_to: Sequence[str] = ()
    VALID: List[Valid] = []
    INVALID: List[Invalid] = []

    def check(self, facts: "ModuleFacts") -> Iterable[Report]:  # pragma: no cover - abstract
        raise NotImplementedError

    @classmethod
    def docs(cls) -> str:
        return textwrap.dedent(cls.__doc__ or "").strip()

    @classmethod
    def page(cls) -> str:
        head = f"{cls.code} ({cls.name})"
        default = "on by default" if cls.default_enabled else "off by default (select it to enable)"
        return f"# {head}\n\n{cls.summary}\n\nDefault: {default}.\n\n{cls.docs()}\n"
