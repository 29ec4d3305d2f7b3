"""The `audit` summary: what a whole codebase looks like, for people (text, or Markdown).

Numbers come from the same per-file results `check` prints; nothing is analysed here.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

from sigpipe_lint.findings import FileResult

TOP_FILES = 10


@dataclass
class PackageStats:
    files: int = 0
    lines: int = 0
    findings: int = 0


@dataclass
class AuditSummary:
    files: int = 0
    lines: int = 0
    findings: int = 0
    files_with_findings: int = 0
    elapsed: float = 0.0
    per_rule: Dict[str, int] = field(default_factory=dict)  # code -> findings, codes sorted
    per_package: Dict[str, PackageStats] = field(default_factory=dict)  # name -> stats, sorted
    top_files: List[Tuple[str, int]] = field(default_factory=list)  # most findings first
    prefiltered: List[str] = field(default_factory=list)  # skipped by the pre-filter
    failed: List[Tuple[str, str]] = field(default_factory=list)  # (path, reason)
    problems: List[Tuple[str, str]] = field(default_factory=list)  # paths that were not found


def package_of(path: str, roots: Sequence[str]) -> str:
    """The first path component below the given root that holds `path`.

    `src/pkg/mod.py` under root `src` is in `pkg`; `src/tool.py` is its own top level,
    `tool.py`; a file given by itself is its own package too.
    """
    full = os.path.abspath(path)
    best: Optional[str] = None
    for root in roots:
        r = os.path.abspath(root)
        if full == r or full.startswith(r.rstrip(os.sep) + os.sep):
            if best is None or len(r) > len(best):
                best = r
    if best is None or full == best:
        return os.path.basename(full)
    return os.path.relpath(full, best).split(os.sep)[0]


def summarize(
    results: Sequence[FileResult],
    roots: Sequence[str],
    elapsed: float = 0.0,
    problems: Sequence[Tuple[str, str]] = (),
) -> AuditSummary:
    s = AuditSummary(elapsed=elapsed, problems=list(problems))
    per_rule: Counter = Counter()
    packages: Dict[str, PackageStats] = {}
    per_file: List[Tuple[str, int]] = []
    for r in results:
        s.files += 1
        s.lines += r.lines
        n = len(r.findings)
        s.findings += n
        for f in r.findings:
            per_rule[f.code] += 1
        pkg = packages.setdefault(package_of(r.path, roots), PackageStats())
        pkg.files += 1
        pkg.lines += r.lines
        pkg.findings += n
        if n:
            s.files_with_findings += 1
            per_file.append((r.path, n))
        if r.prefiltered:
            s.prefiltered.append(r.path)
        if r.error:
            s.failed.append((r.path, r.error))
    s.per_rule = dict(sorted(per_rule.items()))
    s.per_package = dict(sorted(packages.items(), key=lambda kv: (-kv[1].findings, kv[0])))
    s.top_files = sorted(per_file, key=lambda t: (-t[1], t[0]))[:TOP_FILES]
    return s


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def render_audit_text(s: AuditSummary) -> str:
    out = [
        f"sigpipe-lint audit: {_plural(s.findings, 'finding')} in {_plural(s.files_with_findings, 'file')}; "
        f"{_plural(s.files, 'file')}, {_plural(s.lines, 'line')} checked in {s.elapsed:.2f} s",
        "",
        "Findings per rule:",
    ]
    out += [f"  {code}  {n:>6,}" for code, n in s.per_rule.items()] or ["  (none)"]
    out += ["", "Per top-level package with findings (findings, files, lines):"]
    shown = {k: p for k, p in s.per_package.items() if p.findings}
    width = max((len(k) for k in shown), default=0)
    out += [f"  {name:<{width}}  {p.findings:>6,}  {p.files:>6,}  {p.lines:>9,}" for name, p in shown.items()] or ["  (none)"]
    rest = [p for k, p in s.per_package.items() if not p.findings]
    if rest:
        out.append(
            f"  and {_plural(len(rest), 'package')} without findings "
            f"({_plural(sum(p.files for p in rest), 'file')}; all of them in the --report file)"
        )
    out += ["", f"Files with the most findings (top {TOP_FILES}):"]
    out += [f"  {n:>6,}  {path}" for path, n in s.top_files] or ["  (none)"]
    out += ["", f"Skipped by the pre-filter (no rule can match): {_plural(len(s.prefiltered), 'file')}"]
    out += ["", f"Could not be analysed: {_plural(len(s.failed), 'file')}"]
    out += [f"  {path}: {reason}" for path, reason in s.failed]
    if s.problems:
        out += ["", "Not found:"] + [f"  {path}: {reason}" for path, reason in s.problems]
    return "\n".join(out) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_audit_markdown(s: AuditSummary) -> str:
    out = [
        "# sigpipe-lint audit",
        "",
        f"- Findings: **{s.findings:,}** in {_plural(s.files_with_findings, 'file')}",
        f"- Checked: {_plural(s.files, 'file')}, {_plural(s.lines, 'line')}",
        f"- Skipped by the pre-filter: {_plural(len(s.prefiltered), 'file')}",
        f"- Could not be analysed: {_plural(len(s.failed), 'file')}",
        f"- Elapsed: {s.elapsed:.2f} s",
        "",
        "## Findings per rule",
        "",
        "| rule | findings |",
        "|---|---:|",
    ]
    out += [f"| {code} | {n} |" for code, n in s.per_rule.items()]
    out += ["", "## Per top-level package", "", "| package | findings | files | lines |", "|---|---:|---:|---:|"]
    out += [f"| {_md(name)} | {p.findings} | {p.files} | {p.lines} |" for name, p in s.per_package.items()]
    out += ["", "## Files with the most findings", "", "| file | findings |", "|---|---:|"]
    out += [f"| {_md(path)} | {n} |" for path, n in s.top_files]
    out += ["", "## Files that could not be analysed", ""]
    if s.failed:
        out += ["| file | reason |", "|---|---|"] + [f"| {_md(p)} | {_md(r)} |" for p, r in s.failed]
    else:
        out.append("None.")
    if s.problems:
        out += ["", "## Paths not found", ""] + [f"- {_md(p)}: {_md(r)}" for p, r in s.problems]
    out += ["", "## Files skipped by the pre-filter", ""]
    if s.prefiltered:
        out += ["<details><summary>" + _plural(len(s.prefiltered), "file") + "</summary>", ""]
        out += [f"- {_md(p)}" for p in s.prefiltered]
        out += ["", "</details>"]
    else:
        out.append("None.")
    return "\n".join(out) + "\n"
