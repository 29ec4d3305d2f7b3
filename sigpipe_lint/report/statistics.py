"""`--statistics`: how many findings per rule, and how many of them a fix can remove.

As ruff's `--statistics`: most frequent rule first. "fixable" counts findings with any fix,
"safe" those that `--fix` alone fixes (the rest need `--unsafe-fixes`).
"""

from __future__ import annotations

import json
from typing import Dict, List

from sigpipe_lint.findings import FileResult


def statistics(results: List[FileResult]) -> List[Dict[str, object]]:
    from sigpipe_lint.rules import RULES_BY_CODE

    rows: Dict[str, Dict[str, object]] = {}
    for r in results:
        for f in r.findings:
            row = rows.setdefault(
                f.code,
                {"code": f.code, "name": RULES_BY_CODE[f.code].name, "count": 0, "fixable_count": 0, "safe_fixable_count": 0},
            )
            row["count"] += 1
            if f.fix is not None and f.fix.applicability != "none":  # none: no fix, and why
                row["fixable_count"] += 1
                if f.fix.applicability == "safe":
                    row["safe_fixable_count"] += 1
    return sorted(rows.values(), key=lambda row: (-row["count"], row["code"]))


def render_statistics(results: List[FileResult], fmt: str = "text") -> str:
    rows = statistics(results)
    if fmt == "json":
        return json.dumps(rows, indent=2) + "\n"
    if not rows:
        return "No findings.\n"
    out = [f"{'count':>7}  {'fixable':>7}  {'safe':>5}  code    rule"]
    for row in rows:
        out.append(
            f"{row['count']:>7,}  {row['fixable_count']:>7,}  {row['safe_fixable_count']:>5,}  {row['code']}  {row['name']}"
        )
    total = sum(row["count"] for row in rows)
    fixable = sum(row["fixable_count"] for row in rows)
    safe = sum(row["safe_fixable_count"] for row in rows)
    out.append(f"{total:>7,}  {fixable:>7,}  {safe:>5,}  total")
    return "\n".join(out) + "\n"
