"""The per-file pipeline: pre-filter -> parse -> facts -> rules -> positions -> findings.

Every adapter (CLI, flake8 plugin, pre-commit hook, audit) calls `analyze_source`.
"""

from __future__ import annotations

import re
from typing import Iterable, List, Optional, Sequence, Set

from sigpipe_lint.facts import ModuleFacts
from sigpipe_lint.findings import FileResult, Finding, FixInfo, line_count
from sigpipe_lint.fixes import SAFE, UNSAFE, FixFailed, apply_fixes
from sigpipe_lint.parse import ParseFailure, parse
from sigpipe_lint.positions import positions
from sigpipe_lint.prefilter import may_match
from sigpipe_lint.rules import RULES_BY_CODE

# libcst parses about 60-100 KB a second here: a 9.4 MB generated file took 156 s. Files
# above this size that could hold a finding are reported as not analysed instead.
MAX_SOURCE_BYTES = 5_000_000

_NOQA = re.compile(
    rb"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?",
    re.IGNORECASE,
)


def noqa_codes(line: bytes) -> Optional[Set[str]]:
    """None: no noqa. Empty set: a bare `# noqa` (everything). Else the codes named."""
    m = _NOQA.search(line)
    if m is None:
        return None
    codes = m.group("codes")
    if not codes:
        return set()
    return {c.decode().upper() for c in re.split(rb"[,\s]+", codes) if c}


def _suppressed(source_lines: Sequence[bytes], line: int, code: str) -> bool:
    if line - 1 >= len(source_lines):
        return False
    codes = noqa_codes(source_lines[line - 1])
    if codes is None:
        return False
    return not codes or code in codes or any(code.startswith(c) for c in codes)


def analyze_module(
    module, facts: ModuleFacts, path: str, codes: Iterable[str], source: bytes, plans: Optional[list] = None
) -> List[Finding]:
    """Findings of the enabled rules, noqa applied; fix plans of reported findings go to `plans`."""
    plans = [] if plans is None else plans
    reports = []
    for code in codes:
        rule = RULES_BY_CODE[code]
        for report in rule.check(facts):
            reports.append((rule, report))
    if not reports:
        return []
    wanted = []
    for _rule, r in reports:
        wanted.append(r.node)
        wanted.extend(r.related)
    pos = positions(module, wanted)
    lines = source.splitlines()
    out: List[Finding] = []
    for rule, r in reports:
        p = pos.get(id(r.node))
        if p is None:  # pragma: no cover - every reported node is part of the module
            continue
        message = r.message
        if "{lines}" in message:
            related = sorted({pos[id(n)][0] for n in r.related if id(n) in pos})
            message = message.replace("{lines}", ", ".join(str(x) for x in related))
        if _suppressed(lines, p[0], rule.code):
            continue
        out.append(Finding(path, p[0], p[1], p[2], p[3], rule.code, message, _fix_info(r.fixes)))
        plans.extend(r.fixes)
    out.sort(key=Finding.sort_key)
    return out


def _fix_info(fixes) -> Optional[FixInfo]:
    """One fix per finding as reported: safe when its safe part exists; unsafe parts named."""
    if not fixes:
        return None
    parts = [f.message if f.applicability == SAFE else f"{f.message} (unsafe)" for f in fixes]
    return FixInfo(fixes[0].applicability, "; ".join(parts))


def analyze_source(
    source: bytes,
    path: str,
    codes: Sequence[str],
    prefilter: bool = True,
    fix: Optional[str] = None,
    _passes: int = 4,
) -> FileResult:
    """Analyse one file's bytes with the given rule codes enabled.

    `fix`: None reports only; "safe" applies safe fixes, "unsafe" all of them. The fixed
    bytes go to `result.fixed_source` (nothing is written here) and the findings are those
    that remain in the fixed code. `prefilter=False` parses every file; the tests use it to
    prove the pre-filter sound.
    """
    result = FileResult(path=path, lines=line_count(source))
    if prefilter and not may_match(source):
        result.prefiltered = True
        return result
    if len(source) > MAX_SOURCE_BYTES:
        result.error = (
            f"not analysed: {len(source) / 1e6:.1f} MB is over the {MAX_SOURCE_BYTES / 1e6:.0f} MB "
            f"limit for one file (libcst needs minutes for such files; generated code?)"
        )
        return result
    try:
        module = parse(source)
        facts = ModuleFacts(module)
        plans: list = []
        result.findings = analyze_module(module, facts, path, codes, source, plans)
        # An unsafe plan is held back unless asked for, also where a safe one comes with it
        # (SPL001: MSG_NOSIGNAL is safe, the wrap that stops the crash is not).
        if fix != UNSAFE:
            result.unsafe_fixes_held_back = sum(1 for p in plans if p.applicability == UNSAFE)
        if fix and plans:
            allowed = [p for p in plans if p.applicability == SAFE or fix == UNSAFE]
            if allowed:
                fixed = apply_fixes(module, allowed)
                if fixed != source:
                    # Like ruff, fix until nothing changes: a fix can make another one due
                    # (an import it adds gives an unbound name a meaning).
                    again = analyze_source(fixed, path, codes, fix=fix if _passes > 1 else None, _passes=_passes - 1)
                    if again.error:
                        raise FixFailed(f"the fixed code cannot be analysed: {again.error}")
                    result.fixed_source = again.fixed_source or fixed
                    result.findings = again.findings
                    result.unsafe_fixes_held_back = again.unsafe_fixes_held_back if fix != UNSAFE else 0
    except ParseFailure as e:
        result.error = str(e)
    except FixFailed as e:
        result.error = f"internal error while fixing: {e}"
        result.fixed_source = None
    except RecursionError:
        result.error = "too deeply nested to analyse"
    return result
