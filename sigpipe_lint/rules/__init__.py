"""The rules: one module each. Adding a rule means adding a module here and listing it."""

from __future__ import annotations

from typing import Dict, List

from sigpipe_lint.rules.base import Invalid, Report, Rule, Valid
from sigpipe_lint.rules.spl001_unprotected_module import UnprotectedSocketWrite
from sigpipe_lint.rules.spl002_sigpipe_default import SigpipeReset
from sigpipe_lint.rules.spl003_broken_pipe_only import BrokenPipeOnly
from sigpipe_lint.rules.spl004_unhandled_write import UnhandledWrite

ALL_RULES: List[Rule] = [
    UnprotectedSocketWrite(),
    SigpipeReset(),
    BrokenPipeOnly(),
    UnhandledWrite(),
]
RULES_BY_CODE: Dict[str, Rule] = {r.code: r for r in ALL_RULES}

__all__ = ["ALL_RULES", "RULES_BY_CODE", "Invalid", "Report", "Rule", "Valid"]
