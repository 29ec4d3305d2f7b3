"""Step 7 of the pipeline: findings -> text for people or formats for machines."""

from __future__ import annotations

from typing import List, Optional

from sigpipe_lint.findings import FileResult

FORMATS = ("text", "json", "sarif", "github")


def render(fmt: str, results: List[FileResult], project_root: Optional[str] = None, **kw) -> str:
    """`project_root`: where SARIF paths are relative to (default: the current folder)."""
    if fmt == "text":
        from sigpipe_lint.report.text import render_text

        return render_text(results, **kw)
    if fmt == "json":
        from sigpipe_lint.report.json_format import render_json

        return render_json(results)
    if fmt == "sarif":
        from sigpipe_lint.report.sarif import render_sarif

        return render_sarif(results, project_root=project_root)
    if fmt == "github":
        from sigpipe_lint.report.github import render_github

        return render_github(results)
    raise ValueError(f"unknown output format {fmt!r}")
