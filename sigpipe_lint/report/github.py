"""GitHub Actions workflow commands: one `::error ...::message` line per finding.

https://docs.github.com/actions/reference/workflow-commands-for-github-actions: data is
escaped `%` -> `%25`, CR -> `%0D`, LF -> `%0A`; property values also `:` -> `%3A`, `,` -> `%2C`.
Paths are relative to the current folder (the workspace, in a workflow), with forward slashes.
"""

from __future__ import annotations

import os
from typing import List

from sigpipe_lint.findings import FileResult


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def display_path(path: str) -> str:
    if path != "-" and os.path.isabs(path):
        try:
            rel = os.path.relpath(path)
        except ValueError:  # another drive (Windows)
            rel = path
        if not rel.startswith(".."):
            path = rel
    return path.replace(os.sep, "/")


def render_github(results: List[FileResult]) -> str:
    out = []
    for r in results:
        for f in r.findings:
            props = ",".join(
                f"{k}={escape_property(str(v))}"
                for k, v in (
                    ("file", display_path(f.path)),
                    ("line", f.line),
                    ("col", f.column),
                    ("endLine", f.end_line),
                    ("endColumn", f.end_column),
                    ("title", f.code),
                )
            )
            out.append(f"::error {props}::{escape_data(f'{f.code} {f.message}')}")
        if r.error:
            props = f"file={escape_property(display_path(r.path))},title=sigpipe-lint"
            out.append(f"::error {props}::{escape_data('cannot analyse: ' + r.error)}")
    return "".join(line + "\n" for line in out)
