"""The per-file pipeline: pre-filter -> parse -> facts -> rules -> positions -> findings.

Every adapter (CLI, flake8 plugin, pre-commit hook, audit) calls `analyze_source`.
"""

from __future__ import annotations

import dataclasses
import os
from collections import Counter
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import sigpipe_lint.libcst_import  # noqa: F401 - first: it imports libcst in half the time
from sigpipe_lint.facts import ModuleFacts
from sigpipe_lint.findings import NO_FIX, UNSAFE_MARK, FileResult, Finding, FixInfo, line_count
from sigpipe_lint.fixes import NONE, SAFE, UNSAFE, FixFailed, apply_fixes
from sigpipe_lint.noqa import NoqaIndex
from sigpipe_lint.parse import ParseFailure, parse_lenient
from sigpipe_lint.positions import module_text, positions
from sigpipe_lint.prefilter import may_match
from sigpipe_lint.rules import RULES_BY_CODE

# libcst parses about 60-100 KB a second here: a 9.4 MB generated file took 156 s. Files
# above this size that could hold a finding are reported as not analysed instead.
MAX_SOURCE_BYTES = 5_000_000

def analyze_module(
    module,
    facts: ModuleFacts,
    path: str,
    codes: Iterable[str],
    source: bytes,
    plans: Optional[list] = None,
    fix_edits: bool = False,
) -> List[Finding]:
    """Findings of the enabled rules, noqa applied; (finding, its fix plans) of each goes to `plans`.

    `fix_edits`: each finding's fix also carries its own diff (sigpipe_lint.fix_edits).
    """
    plans = [] if plans is None else plans
    reports = []
    for code in codes:
        rule = RULES_BY_CODE[code]
        for report in rule.check(facts):
            reports.append((rule, report))
    if not reports:
        return []
    # One write, one finding: a rule yields to another that reported the same node.
    reported = {(id(r.node), rule.code) for rule, r in reports}
    reports = [
        (rule, r) for rule, r in reports if not any((id(r.node), other) in reported for other in rule.yields_to)
    ]
    wanted = []
    for _rule, r in reports:
        wanted.append(r.node)
        wanted.extend(r.related)
    pos = positions(module, wanted, module_text(module, source))
    noqa = NoqaIndex(source)
    out: List[Finding] = []
    pairs = []
    for rule, r in reports:
        p = pos.get(id(r.node))
        if p is None:  # pragma: no cover - every reported node is part of the module
            continue
        message = r.message
        if "{lines}" in message:
            related = sorted({pos[id(n)][0] for n in r.related if id(n) in pos})
            message = message.replace("{lines}", ", ".join(str(x) for x in related))
        if noqa.suppressed(p[0], rule.code):
            continue
        out.append(Finding(path, p[0], p[1], p[2], p[3], rule.code, message, _fix_info(r.fixes)))
        pairs.append((out[-1], r.fixes))
    plans.extend(pairs)
    if fix_edits:
        from sigpipe_lint.fix_edits import attach_edits

        out = attach_edits(module, source, path, pairs)
    out.sort(key=Finding.sort_key)
    return out


MIXED_INDENTATION = FixInfo(
    NONE,
    NO_FIX + "the file's indentation mixes tabs and spaces: it was analysed with the tabs "
    "expanded, and a fix would write that text back",
)


def _unshift(f: Finding, shifts) -> Finding:
    return dataclasses.replace(
        f,
        column=max(1, f.column - shifts.get(f.line, 0)),
        end_column=max(1, f.end_column - shifts.get(f.end_line, 0)),
        # No fix from the expanded text; a reason the finding had already stays said.
        fix=MIXED_INDENTATION if f.fix is None or not f.fix.reasons else FixInfo(
            NONE, "; ".join([MIXED_INDENTATION.message, *(NO_FIX + r for r in f.fix.reasons)])
        ),
    )


def _fix_info(fixes) -> Optional[FixInfo]:
    """One fix per finding as reported: safe when its safe part exists; unsafe parts named.

    A part that cannot be offered is a plan of applicability "none" whose message says why
    (fixes.no_fix). Its reason is kept while no unsafe part completes the fix: with no part
    at all, the fix is "none" and the reasons are its message; with only a safe part
    (MSG_NOSIGNAL), they say why nothing ends the conversation too.
    """
    if not fixes:
        return None
    offered = [f for f in fixes if f.applicability != NONE]
    complete = any(f.applicability == UNSAFE for f in offered)
    parts = [
        f.message + UNSAFE_MARK if f.applicability == UNSAFE else f.message
        for f in fixes
        if f.applicability != NONE or not complete
    ]
    if not offered:
        applicability = NONE
    else:
        applicability = SAFE if any(f.applicability == SAFE for f in offered) else UNSAFE
    return FixInfo(applicability, "; ".join(dict.fromkeys(parts)))


class _Intrudes(Exception):
    """A fix made a new finding appear on a line whose finding the baseline holds."""

    def __init__(self, code: str, line: int):
        super().__init__(code, line)
        self.code, self.line = code, line


def analyze_source(
    source: bytes,
    path: str,
    codes: Sequence[str],
    prefilter: bool = True,
    fix: Optional[str] = None,
    program=None,
    _passes: int = 4,
    fix_edits: bool = False,
    baseline: Sequence[str] = (),
    _held: Optional[Dict[Tuple[str, str], int]] = None,
) -> FileResult:
    """Analyse one file's bytes with the given rule codes enabled.

    `fix`: None reports only; "safe" applies safe fixes, "unsafe" all of them. The fixed
    bytes go to `result.fixed_source` (nothing is written here) and the findings are those
    that remain in the fixed code. `prefilter=False` parses every file; the tests use it to
    prove the pre-filter sound. `fix_edits` (report-only runs): each finding's fix carries
    its own diff and line replacements (FixInfo.edits).
    `program`: a sigpipe_lint.program.view.Program through which
    names imported from other modules are resolved (the file at `path` is placed in its
    project); None analyses the module alone. `result.deps` lists the files whose content
    the answer depends on.
    `baseline`: the fingerprints `--baseline` holds for this file (sigpipe_lint.baseline).
    The fixes of the findings it holds are not applied (it hides them: nobody asked), and a
    fix that would make a new finding appear on one of their lines (a MSG_NOSIGNAL added
    elsewhere silences SPL001 module-wide, and SPL004 shows up on the held write) is not
    applied either: its finding's fix says why. The findings returned are all of them,
    held ones too (the caller applies the baseline, as to a report-only run).
    """
    result = FileResult(path=path, lines=line_count(source))
    local = ()
    if program is not None and prefilter:
        from sigpipe_lint.program.resolve import local_packages

        local = lambda: local_packages(path)  # noqa: E731 - asked for only if the bytes need it
    if prefilter and not may_match(source, local, path if local else None):
        result.prefiltered = True
        return result
    if len(source) > MAX_SOURCE_BYTES:
        result.error = (
            f"not analysed: {len(source) / 1e6:.1f} MB is over the {MAX_SOURCE_BYTES / 1e6:.0f} MB "
            f"limit for one file (libcst needs minutes for such files; generated code?)"
        )
        return result
    try:
        if program is not None:
            module, shifts = program.parsed(path, source)
            program.begin()
        else:
            module, shifts = parse_lenient(source)
        facts = ModuleFacts(module, program=program, path=path if program is not None else None, file=path if path != "-" else None)
        pairs: list = []  # (finding, its fix plans)
        result.findings = analyze_module(
            module, facts, path, codes, source, pairs, fix_edits=fix_edits and not fix and shifts is None
        )
        if program is not None:
            result.deps = {p: h for p, h in program.consulted.items() if p != os.path.abspath(path)}
        if shifts is not None:
            # Analysed from the tab-expanded text (parse_lenient): columns back to the
            # user's text, and no fix, since a fix would write the expanded text.
            result.findings = [_unshift(f, shifts) for f in result.findings]
            pairs = []
        held = [False] * len(pairs)
        if baseline and pairs:
            from sigpipe_lint.baseline import held as baseline_held, keyed_fingerprints

            keyed = keyed_fingerprints([f for f, _ in pairs], source)
            held = baseline_held([fp for _, fp in keyed], Counter(baseline))
            if _held is None:  # the first pass: the lines nobody asked to change
                _held = {key[1:]: f.line for (f, _), (key, _), h in zip(pairs, keyed, held) if h}
            else:  # a pass over fixed code
                for (f, _), (key, _), h in zip(pairs, keyed, held):
                    if not h and key[1:] in _held:
                        raise _Intrudes(f.code, _held[key[1:]])
        groups = [
            (f, [p for p in fixes if p.applicability == SAFE or (fix == UNSAFE and p.applicability != NONE)])
            for (f, fixes), h in zip(pairs, held)
            if not h
        ]
        groups = [(f, g) for f, g in groups if g]
        if fix and groups:
            _fix(result, module, source, codes, fix, program, _passes, baseline, _held, groups)
    except ParseFailure as e:
        result.error = str(e)
    except FixFailed as e:
        result.error = f"internal error while fixing: {e}"
        result.fixed_source = None
    except RecursionError:
        result.error = "too deeply nested to analyse"
    return result


def _fix(result: FileResult, module, source: bytes, codes, fix: str, program, passes: int, baseline, held, groups) -> None:
    """Apply the fix plans of `groups` ((finding, its plans)) to `result` (fixed_source, findings).

    Like ruff, fix until nothing changes: a fix can make another one due (an import it adds
    gives an unbound name a meaning). With a baseline, the fixes that together would make a
    new finding appear on a held line are found one finding at a time; the others are
    applied, and those findings keep a fix that says why it was not."""

    def follow(plans) -> Optional[FileResult]:
        fixed = apply_fixes(module, plans)
        if fixed == source:
            return None
        again = analyze_source(
            fixed, result.path, codes, fix=fix if passes > 1 else None, program=program,
            _passes=passes - 1, baseline=baseline, _held=held,
        )
        if again.error:
            raise FixFailed(f"the fixed code cannot be analysed: {again.error}")
        again.fixed_source = again.fixed_source or fixed
        return again

    declined = []
    try:
        again = follow([p for _, g in groups for p in g])
    except _Intrudes:
        kept: list = []
        again = None
        for f, g in groups:
            try:
                trial = follow(kept + g)
            except _Intrudes as e:
                declined.append((f, e))
                continue
            kept += g
            again = trial if trial is not None else again
    if again is not None:
        result.fixed_source = again.fixed_source
        result.findings = again.findings
    if declined:
        _mark_declined(result, source, declined)


def _mark_declined(result: FileResult, source: bytes, declined) -> None:
    """The findings whose fix was not applied (see _fix) get a fix of applicability "none"
    saying why, found in the result's (maybe fixed) code by rule, function and line text."""
    from sigpipe_lint.baseline import declined as why, finding_keys

    now = result.fixed_source if result.fixed_source is not None else source
    keys = finding_keys(result.findings, now)
    reasons = {}
    for (f, e), key in zip(declined, finding_keys([f for f, _ in declined], source)):
        reasons.setdefault(key, []).append(NO_FIX + why(e.code, e.line))
    findings = []
    for f, key in zip(result.findings, keys):
        if reasons.get(key):
            f = dataclasses.replace(f, fix=FixInfo(NONE, reasons[key].pop(0)))
        findings.append(f)
    result.findings = findings
