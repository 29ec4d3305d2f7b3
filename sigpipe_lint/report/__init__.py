"""Step 7 of the pipeline: findings -> text for people or formats for machines."""

from __future__ import annotations

from typing import Callable, Dict, List

from sigpipe_lint.findings import FileResult

FORMATS = ("text", "json")


def render(fmt: str, results: List[FileResult], **kw) -> str:
    if fmt == "text":
        from sigpipe_lint.report.text import render_text

        return render_text(results, **kw)
    if fmt == "json":
        from sigpipe_lint.report.json_format import render_json

        return render_json(results)
    raise ValueError(f"unknown output format {fmt!r}")
