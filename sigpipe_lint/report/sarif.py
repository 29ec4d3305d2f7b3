"""SARIF 2.1.0, as GitHub code scanning reads it.

Every rule is listed (its documentation as `help`), whether enabled or not, so that
`ruleIndex` values are the same from run to run. Locations are relative to the project root
(the folder of the pyproject.toml that was read, else the current folder) with forward
slashes; a file outside it gets an absolute `file://` URI. Lines and columns are 1-based and
the end column is exclusive, as SARIF wants (and as our findings already are).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Dict, List, Optional
from urllib.parse import quote

from sigpipe_lint import __version__
from sigpipe_lint.findings import FileResult

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://pypi.org/project/sigpipe-lint/"


def artifact_uri(path: str, project_root: Optional[str]) -> str:
    if path == "-":
        return "stdin"
    root = os.path.abspath(project_root or os.getcwd())
    full = os.path.abspath(path)
    try:
        rel = os.path.relpath(full, root)
    except ValueError:  # another drive (Windows)
        rel = None
    if rel is None or rel == ".." or rel.startswith(".." + os.sep):
        return Path(full).as_uri()
    return quote(rel.replace(os.sep, "/"), safe="/")


def _what_it_does(docs: str) -> str:
    """The first paragraph of the rule page's "What it does" section, on one line."""
    _, found, rest = docs.partition("## What it does")
    if not found:
        return ""
    para = rest.strip().split("\n\n", 1)[0]
    return " ".join(para.split())


def _rules() -> List[Dict[str, Any]]:
    from sigpipe_lint.rules import ALL_RULES

    out = []
    for rule in ALL_RULES:
        docs = rule.docs()
        out.append(
            {
                "id": rule.code,
                "name": rule.name,
                "shortDescription": {"text": rule.summary},
                "fullDescription": {"text": _what_it_does(docs) or rule.summary},
                "help": {"text": docs, "markdown": docs},
                "defaultConfiguration": {"enabled": bool(rule.default_enabled), "level": "error"},
                "properties": {"tags": ["reliability"]},
            }
        )
    return out


def sarif_log(results: List[FileResult], project_root: Optional[str] = None) -> Dict[str, Any]:
    rules = _rules()
    index = {r["id"]: i for i, r in enumerate(rules)}
    sarif_results = []
    notifications = []
    for r in results:
        for f in r.findings:
            sarif_results.append(
                {
                    "ruleId": f.code,
                    "ruleIndex": index[f.code],
                    "level": "error",
                    "message": {"text": f.message},
                    "locations": [
                        {
                            "physicalLocation": {
                                "artifactLocation": {"uri": artifact_uri(f.path, project_root)},
                                "region": {
                                    "startLine": f.line,
                                    "startColumn": f.column,
                                    "endLine": f.end_line,
                                    "endColumn": f.end_column,
                                },
                            }
                        }
                    ],
                }
            )
        if r.error:
            notifications.append(
                {
                    "level": "error",
                    "message": {"text": f"cannot analyse: {r.error}"},
                    "locations": [
                        {"physicalLocation": {"artifactLocation": {"uri": artifact_uri(r.path, project_root)}}}
                    ],
                }
            )
    invocation: Dict[str, Any] = {"executionSuccessful": not notifications}
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    return {
        "version": "2.1.0",
        "$schema": SCHEMA,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "sigpipe-lint",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": rules,
                    }
                },
                "invocations": [invocation],
                "results": sarif_results,
            }
        ],
    }


def render_sarif(results: List[FileResult], project_root: Optional[str] = None) -> str:
    return json.dumps(sarif_log(results, project_root), indent=2) + "\n"
