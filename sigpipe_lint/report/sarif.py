"""SARIF 2.1.0, as GitHub code scanning reads it.

Every rule is listed (its page, `sigpipe-lint rule CODE`, as Markdown `help`), whether
enabled or not, so that `ruleIndex` values are the same from run to run. Locations are
relative to the project root (the folder of the pyproject.toml that was read, else the
current folder) with forward slashes and `uriBaseId` PROJECTROOT, which
`originalUriBaseIds` resolves; a file outside it gets an absolute `file://` URI. Lines and
columns are 1-based and the end column is exclusive, as SARIF wants (and as our findings
already are).

Each result carries `partialFingerprints` (the baseline's fingerprint, sigpipe_lint.baseline)
and, where the finding has a fix, `fixes`: its safe fix (what `--fix` does) and its
complete fix (`--fix --unsafe-fixes`), each as line replacements, computed from the same
plans as `--diff` (sigpipe_lint.fix_edits). Where the engine offers no fix (or only the safe
part), the message ends with a sentence saying why, and `properties` holds
`fixApplicability` and the reasons (`noFixReasons`).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Dict, List, Optional
from urllib.parse import quote

from sigpipe_lint import __version__
from sigpipe_lint.findings import FileResult
from sigpipe_lint.report.paths import relative_path

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
ROOT_ID = "PROJECTROOT"
INFORMATION_URI = "https://pypi.org/project/sigpipe-lint/"


def artifact_uri(path: str, project_root: Optional[str]) -> str:
    if path == "-":
        return "stdin"
    rel = relative_path(path, project_root)
    if rel is None:
        return Path(os.path.abspath(path)).as_uri()
    return quote(rel, safe="/")


def artifact_location(path: str, project_root: Optional[str]) -> Dict[str, Any]:
    uri = artifact_uri(path, project_root)
    if path == "-" or uri.startswith("file:"):
        return {"uri": uri}
    return {"uri": uri, "uriBaseId": ROOT_ID}


def _fixes(f, location: Dict[str, Any]) -> List[Dict[str, Any]]:
    out = []
    for edit in f.fix.edits if f.fix is not None else ():
        how = "safe fix (--fix)" if edit.applicability == "safe" else "unsafe fix (--fix --unsafe-fixes)"
        out.append(
            {
                "description": {"text": f"{how}: {edit.description}"},
                "artifactChanges": [
                    {
                        "artifactLocation": dict(location),
                        "replacements": [
                            {
                                # whole lines: [first, end) replaced by the text
                                "deletedRegion": {"startLine": first, "startColumn": 1, "endLine": end, "endColumn": 1},
                                "insertedContent": {"text": text},
                            }
                            for first, end, text in edit.replacements
                        ],
                    }
                ],
            }
        )
    return out


def _message(f) -> str:
    """The finding's message and, where no fix (or no unsafe one) is offered, why not.

    The reason goes in the message, after its first sentence (which viewers show when space
    is short), because that is what every viewer shows; GitHub code scanning shows no
    result properties. `properties` holds the same reasons for tools.
    """
    reasons = f.fix.reasons if f.fix is not None else ()
    if not reasons:
        return f.message
    lead = "No automatic fix" if f.fix.applicability == "none" else "No unsafe fix (--fix --unsafe-fixes)"
    return f"{f.message}. {lead}: {'; '.join(reasons)}."


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
                "help": {"text": docs, "markdown": rule.page()},
                "defaultConfiguration": {"enabled": bool(rule.default_enabled), "level": "error"},
                "properties": {"tags": ["reliability"]},
            }
        )
    return out


def sarif_log(results: List[FileResult], project_root: Optional[str] = None) -> Dict[str, Any]:
    rules = _rules()
    index = {r["id"]: i for i, r in enumerate(rules)}
    from sigpipe_lint.baseline import FINGERPRINT_KEY, result_fingerprints

    prints = result_fingerprints(results)
    sarif_results = []
    notifications = []
    for r in results:
        location = artifact_location(r.path, project_root)
        for f, (_name, fp) in zip(r.findings, prints.get(id(r), ())):
            result = {
                "ruleId": f.code,
                "ruleIndex": index[f.code],
                "level": "error",
                "message": {"text": _message(f)},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": dict(location),
                            "region": {
                                "startLine": f.line,
                                "startColumn": f.column,
                                "endLine": f.end_line,
                                "endColumn": f.end_column,
                            },
                        }
                    }
                ],
                "partialFingerprints": {FINGERPRINT_KEY: fp},
            }
            fixes = _fixes(f, location)
            if fixes:
                result["fixes"] = fixes
            if f.fix is not None and f.fix.reasons:
                result["properties"] = {"fixApplicability": f.fix.applicability, "noFixReasons": list(f.fix.reasons)}
            sarif_results.append(result)
        if r.error:
            notifications.append(
                {
                    "level": "error",
                    "message": {"text": f"cannot analyse: {r.error}"},
                    "locations": [
                        {"physicalLocation": {"artifactLocation": artifact_location(r.path, project_root)}}
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
                "originalUriBaseIds": {ROOT_ID: {"uri": Path(os.path.abspath(project_root or os.getcwd())).as_uri() + "/"}},
                "invocations": [invocation],
                "results": sarif_results,
            }
        ],
    }


def render_sarif(results: List[FileResult], project_root: Optional[str] = None) -> str:
    return json.dumps(sarif_log(results, project_root), indent=2) + "\n"
