"""The `audit` summary: what a whole codebase looks like, for people.

Numbers come from the same per-file results `check` prints; nothing is analysed here. The
report (Markdown, or one self-contained HTML page: report/audit_html.py) lists every
finding, grouped by package and file, with its line of code and its fix as a diff; paths
are relative to the audited root that holds them; files and packages without findings are
counted, not listed.
"""

from __future__ import annotations

import difflib
import itertools
import os
from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

from sigpipe_lint.findings import NO_FIX, FileResult, Finding, FixEdit

TOP = 10  # hot spots: files and packages shown
CHART_PACKAGES = 8  # packages in the charts; the rest are added up as "others"


@dataclass
class PackageStats:
    files: int = 0
    lines: int = 0
    findings: int = 0
    files_with_findings: int = 0
    per_rule: Dict[str, int] = field(default_factory=dict)


@dataclass
class LineGroup:
    """The findings reported on one line of one file, with what a reader needs of them."""

    line: int
    code: str  # the line of code, stripped
    findings: List[Finding]
    fixes: List[Tuple[FixEdit, str, Optional[Tuple[str, int]]]]  # edit, its diff, same change as (file, line)


@dataclass
class FileEntry:
    path: str  # as analysed
    shown: str  # relative to its audited root, with /
    package: str
    findings: int
    groups: List[LineGroup] = field(default_factory=list)


@dataclass
class AuditSummary:
    roots: List[str] = field(default_factory=list)
    files: int = 0
    lines: int = 0
    findings: int = 0
    files_with_findings: int = 0
    analysed: int = 0  # parsed and checked (not pre-filtered, not failed)
    fixable: int = 0
    safe_fixable: int = 0
    elapsed: float = 0.0
    per_rule: Dict[str, int] = field(default_factory=dict)  # code -> findings, codes sorted
    per_package: Dict[str, PackageStats] = field(default_factory=dict)  # most findings first
    top_files: List[Tuple[str, int]] = field(default_factory=list)  # (shown path, findings)
    prefiltered: List[str] = field(default_factory=list)  # counted in reports, never listed
    failed: List[Tuple[str, str]] = field(default_factory=list)  # (shown path, reason)
    problems: List[Tuple[str, str]] = field(default_factory=list)  # paths that were not found
    entries: List[FileEntry] = field(default_factory=list)  # files with findings, by package

    @property
    def packages_with_findings(self) -> Dict[str, PackageStats]:
        return {k: p for k, p in self.per_package.items() if p.findings}


def _root_of(path: str, roots: Sequence[str]) -> Optional[str]:
    full = os.path.abspath(path)
    best: Optional[str] = None
    for root in roots:
        r = os.path.abspath(root)
        if full == r or full.startswith(r.rstrip(os.sep) + os.sep):
            if best is None or len(r) > len(best):
                best = r
    return best


def package_of(path: str, roots: Sequence[str]) -> str:
    """The first path component below the given root that holds `path`.

    `src/pkg/mod.py` under root `src` is in `pkg`; `src/tool.py` is its own top level,
    `tool.py`; a file given by itself is its own package too.
    """
    full = os.path.abspath(path)
    best = _root_of(path, roots)
    if best is None or full == best:
        return os.path.basename(full)
    return os.path.relpath(full, best).split(os.sep)[0]


def shown_path(path: str, roots: Sequence[str]) -> str:
    """`path` relative to the deepest audited root that holds it (a file given alone: its name)."""
    if path == "-":
        return path
    full = os.path.abspath(path)
    best = _root_of(path, roots)
    if best is None:
        return full.replace(os.sep, "/")
    if full == best:
        return os.path.basename(full)
    return os.path.relpath(full, best).replace(os.sep, "/")


def _read_lines(path: str) -> List[str]:
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return []
    return data.decode("utf-8", "replace").splitlines(keepends=True)


def compact_diff(old: List[str], edit: FixEdit, context: int = 0) -> str:
    """The edit as a unified diff without file headers and with `context` lines around."""
    new: List[str] = []
    at = 1
    for first, end, text in sorted(edit.replacements, key=lambda r: (r[0], r[1])):
        new.extend(old[at - 1 : first - 1])
        new.extend(text.splitlines(keepends=True))
        at = end
    new.extend(old[at - 1 :])
    lines = list(difflib.unified_diff(old, new, n=context, lineterm="\n"))[2:]
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def _shape(diff: str) -> Tuple[str, ...]:
    """A diff with its line numbers, indentation and the text of the lines it replaces left
    out: two findings with the same shape get the same change, each around its own code."""
    lines = [line for line in diff.splitlines() if not line.startswith("@@")]
    removed = sorted({" ".join(line[1:].split()) for line in lines if line.startswith("-")} - {""}, key=len, reverse=True)
    out = []
    for line in lines:
        body = " ".join(line[1:].split())
        for i, text in enumerate(removed):
            body = body.replace(text, f"\0{i}")
        out.append(line[:1] + body)
    return tuple(out)


def _groups(findings: Sequence[Finding], old: List[str], shapes: Dict[Tuple[str, ...], Tuple[str, int]], shown: str) -> List[LineGroup]:
    """`shapes`: shape -> (file, line) that showed it in full, shared by the whole report."""
    by_line: Dict[int, List[Finding]] = {}
    for f in findings:
        by_line.setdefault(f.line, []).append(f)
    out = []
    for line, group in sorted(by_line.items()):
        code = old[line - 1].strip() if 0 < line <= len(old) else ""
        fixes: List[Tuple[FixEdit, str, Optional[Tuple[str, int]]]] = []
        seen = set()
        for f in group:
            # the edit a team applies first: the safe one where there is one (--fix)
            if f.fix is None or not f.fix.edits:
                continue
            edit = f.fix.edits[0]
            diff = compact_diff(old, edit)
            if diff in seen:
                continue
            seen.add(diff)
            shape = (edit.applicability, edit.description) + _shape(diff)
            fixes.append((edit, diff, shapes.get(shape)))
            shapes.setdefault(shape, (shown, line))
        out.append(LineGroup(line, code, list(group), fixes))
    return out


def summarize(
    results: Sequence[FileResult],
    roots: Sequence[str],
    elapsed: float = 0.0,
    problems: Sequence[Tuple[str, str]] = (),
) -> AuditSummary:
    s = AuditSummary(roots=[os.path.abspath(r) for r in roots], elapsed=elapsed, problems=list(problems))
    per_rule: Counter = Counter()
    packages: Dict[str, PackageStats] = {}
    findings_of: Dict[str, List[Finding]] = {}
    for r in results:
        s.files += 1
        s.lines += r.lines
        n = len(r.findings)
        s.findings += n
        name = package_of(r.path, roots)
        pkg = packages.setdefault(name, PackageStats())
        pkg.files += 1
        pkg.lines += r.lines
        pkg.findings += n
        for f in r.findings:
            per_rule[f.code] += 1
            pkg.per_rule[f.code] = pkg.per_rule.get(f.code, 0) + 1
            if f.fix is not None and f.fix.applicability != "none":  # none: no fix, and why
                s.fixable += 1
                s.safe_fixable += f.fix.applicability == "safe"
        if r.prefiltered:
            s.prefiltered.append(r.path)
        elif r.error:
            s.failed.append((shown_path(r.path, roots), r.error))
        else:
            s.analysed += 1
        if n:
            s.files_with_findings += 1
            pkg.files_with_findings += 1
            s.entries.append(FileEntry(r.path, shown_path(r.path, roots), name, n))
            findings_of[r.path] = r.findings
    s.per_rule = dict(sorted(per_rule.items()))
    s.per_package = dict(sorted(packages.items(), key=lambda kv: (-kv[1].findings, kv[0])))
    order = {name: i for i, name in enumerate(s.per_package)}
    s.entries.sort(key=lambda e: (order[e.package], e.shown))
    shapes: Dict[Tuple[str, ...], Tuple[str, int]] = {}  # in report order: the first shows it
    for e in s.entries:
        e.groups = _groups(findings_of[e.path], _read_lines(e.path) if e.path != "-" else [], shapes, e.shown)
    s.top_files = sorted(((e.shown, e.findings) for e in s.entries), key=lambda t: (-t[1], t[0]))[:TOP]
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
    shown = s.packages_with_findings
    width = max((len(k) for k in shown), default=0)
    out += [f"  {name:<{width}}  {p.findings:>6,}  {p.files:>6,}  {p.lines:>9,}" for name, p in shown.items()] or ["  (none)"]
    rest = [p for k, p in s.per_package.items() if not p.findings]
    if rest:
        out.append(f"  and {_plural(len(rest), 'package')} without findings ({_plural(sum(p.files for p in rest), 'file')})")
    out += ["", f"Files with the most findings (top {TOP}):"]
    out += [f"  {n:>6,}  {path}" for path, n in s.top_files] or ["  (none)"]
    out += ["", f"Skipped by the pre-filter (no rule can match): {_plural(len(s.prefiltered), 'file')}"]
    out += ["", f"Could not be analysed: {_plural(len(s.failed), 'file')}"]
    out += [f"  {path}: {reason}" for path, reason in s.failed]
    if s.problems:
        out += ["", "Not found:"] + [f"  {path}: {reason}" for path, reason in s.problems]
    return "\n".join(out) + "\n"


def render_audit_json(s: AuditSummary) -> str:
    """Everything, for tools: the numbers, every file with findings (and their fixes' diffs),
    and the lists the human reports only count (pre-filtered files, packages without findings)."""
    import json

    data = {
        "roots": s.roots,
        "files": s.files,
        "lines": s.lines,
        "analysed": s.analysed,
        "findings": s.findings,
        "files_with_findings": s.files_with_findings,
        "fixable": s.fixable,
        "safe_fixable": s.safe_fixable,
        "elapsed_seconds": round(s.elapsed, 3),
        "per_rule": s.per_rule,
        "per_package": {
            name: {"files": p.files, "lines": p.lines, "findings": p.findings, "per_rule": p.per_rule}
            for name, p in s.per_package.items()
        },
        "files_with_findings_detail": [
            {"path": e.shown, "package": e.package, "findings": [f.to_dict() | {"path": e.shown} for g in e.groups for f in g.findings]}
            for e in s.entries
        ],
        "prefiltered": [shown_path(p, s.roots) for p in s.prefiltered],
        "not_analysed": [{"path": p, "reason": r} for p, r in s.failed],
        "not_found": [{"path": p, "reason": r} for p, r in s.problems],
    }
    return json.dumps(data, indent=1) + "\n"


# ---------------------------------------------------------------------------------------
# Markdown
# ---------------------------------------------------------------------------------------


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _code(text: str) -> str:
    """Inline code that survives backticks in the text."""
    text = text.replace("\n", " ")
    fence = "``" if "`" in text else "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def anchor(kind: str, name: str) -> str:
    """A stable in-page anchor for a package or file."""
    safe = "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-")
    return f"{kind}-{safe}"


def chart_rows(s: AuditSummary) -> List[Tuple[str, Dict[str, int]]]:
    """(package, findings per rule) for the charts: the biggest packages, then "others"."""
    pkgs = list(s.packages_with_findings.items())
    rows = [(name, dict(p.per_rule)) for name, p in pkgs[:CHART_PACKAGES]]
    rest = pkgs[CHART_PACKAGES:]
    if rest:
        merged: Counter = Counter()
        for _, p in rest:
            merged.update(p.per_rule)
        rows.append((f"{len(rest)} others", dict(merged)))
    return rows


def _mermaid(s: AuditSummary) -> List[str]:
    if not s.findings:
        return []

    def label(text: str) -> str:
        return text.replace('"', "'")

    out = ["```mermaid", "pie showData title Findings per rule"]
    out += [f'    "{code}" : {n}' for code, n in s.per_rule.items()]
    out += ["```", "", "```mermaid", "pie showData title Findings per package"]
    out += [f'    "{label(name)}" : {sum(per.values())}' for name, per in chart_rows(s)]
    out += ["```", ""]
    return out


def no_fix_reasons(g: LineGroup) -> List[str]:
    """Why the line's findings have no fix (or no unsafe one), each said once."""
    reasons = [NO_FIX + r for f in g.findings if f.fix is not None for r in f.fix.reasons]
    return list(dict.fromkeys(reasons))


def safety(edit: FixEdit, code=lambda flags: f"`{flags}`") -> str:
    """How a fix is applied, with its flags formatted by `code`."""
    if edit.applicability == "safe":
        return f"safe fix ({code('--fix')})"
    return f"unsafe fix ({code('--fix --unsafe-fixes')})"


def by_package(s: AuditSummary):
    """(package, its numbers, its files with findings), in the report's order."""
    for name, entries in itertools.groupby(s.entries, key=lambda e: e.package):
        yield name, s.per_package[name], list(entries)


def render_audit_markdown(s: AuditSummary) -> str:
    pkgs = s.packages_with_findings
    out = [
        "# sigpipe-lint audit",
        "",
        "Audited: " + ", ".join(_code(r) for r in s.roots) + " (paths below are relative to these)",
        "",
        f"- **{_plural(s.findings, 'finding')}** in {_plural(s.files_with_findings, 'file')} "
        f"of {_plural(len(pkgs), 'package')}; {s.fixable:,} with a fix ({s.safe_fixable:,} safe)",
        f"- Coverage: {_plural(s.files, 'file')} ({s.lines:,} lines); {s.analysed:,} analysed, "
        f"{len(s.prefiltered):,} skipped by the pre-filter (no socket write: no rule can match), "
        f"{len(s.failed):,} could not be analysed; {s.elapsed:.2f} s",
        "",
    ]
    out += _mermaid(s)
    out += ["## Findings per rule", "", "| rule | findings |", "|---|---:|"]
    out += [f"| {code} | {n:,} |" for code, n in s.per_rule.items()]
    out += ["", "## Hot spots", "", "| package | findings | files with findings | files | lines |", "|---|---:|---:|---:|---:|"]
    out += [
        f"| [{_md(name)}](#{anchor('pkg', name)}) | {p.findings:,} | {p.files_with_findings:,} | {p.files:,} | {p.lines:,} |"
        for name, p in list(pkgs.items())[:TOP]
    ]
    if len(pkgs) > TOP:
        out.append(f"| {len(pkgs) - TOP} more, below | | | | |")
    quiet = [p for p in s.per_package.values() if not p.findings]
    if quiet:
        out += ["", f"{_plural(len(quiet), 'package')} without findings ({_plural(sum(p.files for p in quiet), 'file')}) not listed."]
    out += ["", "| file | findings |", "|---|---:|"]
    out += [f"| [{_md(path)}](#{anchor('file', path)}) | {n:,} |" for path, n in s.top_files]
    out += ["", "## Coverage", ""]
    out += [
        f"- Files: {s.files:,}; analysed {s.analysed:,}; skipped by the pre-filter {len(s.prefiltered):,} "
        f"(counted, not listed: `--report FILE.json` lists them); not analysed {len(s.failed):,}",
        f"- Lines: {s.lines:,}; time: {s.elapsed:.2f} s",
    ]
    if s.failed:
        out += ["", "| not analysed | why |", "|---|---|"] + [f"| {_md(p)} | {_md(r)} |" for p, r in s.failed]
    if s.problems:
        out += ["", "Paths not found:", ""] + [f"- {_md(p)}: {_md(r)}" for p, r in s.problems]
    out += ["", "## Findings", ""]
    if not s.entries:
        out.append("None.")
    for package, p, entries in by_package(s):
        out += [f'### <a id="{anchor("pkg", package)}"></a>{_md(package)}: {_plural(p.findings, "finding")}', ""]
        for e in entries:
            out += _md_file(e)
    return "\n".join(out).rstrip("\n") + "\n"


def _md_file(e: FileEntry) -> List[str]:
    out = [f'#### <a id="{anchor("file", e.shown)}"></a>{_md(e.shown)}: {_plural(e.findings, "finding")}', ""]
    for g in e.groups:
        first, *more = g.findings
        out.append(f"- line {g.line}: {_code(g.code)} **{first.code}** {first.message}")
        for f in more:
            out.append(f"  - **{f.code}** {f.message}")
        for edit, diff, same_as in g.fixes:
            if same_as is not None:
                where, at = same_as
                place = f"line {at}" if where == e.shown else f"[{_md(where)}](#{anchor('file', where)}) line {at}"
                out.append(f"  - {safety(edit)}: the same change as at {place}, around this line")
                continue
            out.append(f"  - {safety(edit)}: {edit.description}")
            out += ["    ```diff"] + ["    " + line for line in diff.splitlines()] + ["    ```"]
        out += [f"  - {reason}" for reason in no_fix_reasons(g)]
    out.append("")
    return out
