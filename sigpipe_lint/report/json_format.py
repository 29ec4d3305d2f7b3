"""A JSON array of findings: path, line, column, end_line, end_column, code, message, fix."""

from __future__ import annotations

import json
from typing import List

from sigpipe_lint.findings import FileResult


def render_json(results: List[FileResult]) -> str:
    items = [f.to_dict() for r in results for f in r.findings]
    return json.dumps(items, indent=2) + "\n"
