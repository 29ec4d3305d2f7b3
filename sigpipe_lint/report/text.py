"""`path:line:col: CODE message`, then a summary line."""

from __future__ import annotations

from typing import List

from sigpipe_lint.findings import FileResult


def render_text(results: List[FileResult], **_kw) -> str:
    out = []
    findings = [f for r in results for f in r.findings]
    for f in findings:
        out.append(f"{f.path}:{f.line}:{f.column}: {f.code} {f.message}")
    checked = len(results)
    failed = sum(1 for r in results if r.error)
    n = len(findings)
    summary = f"Found {n} finding{'s' if n != 1 else ''} in {checked} file{'s' if checked != 1 else ''}"
    if failed:
        summary += f"; {failed} file{'s' if failed != 1 else ''} could not be analysed"
    out.append(summary + ".")
    return "\n".join(out) + "\n"
