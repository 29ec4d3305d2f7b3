"""Fingerprints of findings, and the baseline that lets a legacy tree adopt the rules.

A fingerprint survives edits elsewhere in the file: it is a hash of the rule code, the
qualified name of the enclosing function or class (`Server.handle`, empty at module level),
the reported line's text with its whitespace normalised, and the finding's index among the
findings of the file that share those three (so two identical writes in one function stay
two). Line numbers are not part of it. SARIF's `partialFingerprints` carry the same value.

The baseline file (`--write-baseline FILE`) is JSON: the fingerprints of every finding, with
their path relative to the project root. `--baseline FILE` reports (and fails on) only the
findings not in it; each baseline entry absorbs one finding.
"""

from __future__ import annotations

import ast
import dataclasses
import hashlib
import json
from collections import Counter
from typing import Dict, List, Optional, Sequence, Tuple

from sigpipe_lint.atomic import replace_file
from sigpipe_lint.findings import FileResult, Finding
from sigpipe_lint.report.paths import shown_path

FORMAT_VERSION = 1
FINGERPRINT_KEY = "sigpipeLint/v1"  # the key under SARIF partialFingerprints


class BaselineError(Exception):
    """The baseline file cannot be read: a usage error."""


def _scopes(source: bytes) -> List[Tuple[int, int, str]]:
    """(first line, last line, qualified name) of every function and class; [] if it won't parse."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    out: List[Tuple[int, int, str]] = []

    def walk(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                out.append((child.lineno, getattr(child, "end_lineno", child.lineno) or child.lineno, name))
                walk(child, name + ".")
            else:
                walk(child, prefix)

    walk(tree, "")
    return out


def _enclosing(scopes: Sequence[Tuple[int, int, str]], line: int) -> str:
    best = ""
    best_size = None
    for first, last, name in scopes:
        if first <= line <= last and (best_size is None or last - first < best_size):
            best, best_size = name, last - first
    return best


def normalised(text: str) -> str:
    return " ".join(text.split())


def fingerprints(findings: Sequence[Finding], source: Optional[bytes]) -> List[str]:
    """One fingerprint per finding of one file, in the same order."""
    return [fp for _, fp in fingerprint_rows(findings, source)]


def fingerprint_rows(findings: Sequence[Finding], source: Optional[bytes]) -> List[Tuple[str, str]]:
    """(enclosing qualified name, fingerprint) per finding of one file, in the same order."""
    lines = source.splitlines() if source is not None else []
    scopes = _scopes(source) if source is not None and findings else []
    seen: Counter = Counter()
    out = []
    for f in sorted(range(len(findings)), key=lambda i: findings[i].sort_key()):
        finding = findings[f]
        text = lines[finding.line - 1].decode("utf-8", "replace") if 0 < finding.line <= len(lines) else ""
        key = (finding.code, _enclosing(scopes, finding.line), normalised(text))
        index = seen[key]
        seen[key] += 1
        digest = hashlib.sha256("\0".join([*key, str(index)]).encode("utf-8")).hexdigest()[:32]
        out.append((f, key[1], digest))
    out.sort()
    return [(name, d) for _, name, d in out]


def _source(path: str) -> Optional[bytes]:
    if path == "-":
        return None  # standard input was read once; its findings get line-text-less prints
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError:
        return None


def result_fingerprints(results: Sequence[FileResult]) -> Dict[int, List[Tuple[str, str]]]:
    """id(result) -> (enclosing name, fingerprint) of its findings, for results with findings.

    Read from the files as they are now: run right after the analysis (after --fix wrote
    them, the findings are those of the written files)."""
    return {id(r): fingerprint_rows(r.findings, _source(r.path)) for r in results if r.findings}


def write_baseline(file: str, results: Sequence[FileResult], root: Optional[str]) -> int:
    prints = result_fingerprints(results)
    entries = []
    for r in results:
        if not r.findings:
            continue
        for f, (name, fp) in zip(r.findings, prints[id(r)]):
            entries.append({"path": shown_path(r.path, root), "code": f.code, "in": name, "fingerprint": fp})
    entries.sort(key=lambda e: (e["path"], e["code"], e["in"], e["fingerprint"]))
    data = {"sigpipe-lint-baseline": FORMAT_VERSION, "findings": entries}
    replace_file(file, (json.dumps(data, indent=1) + "\n").encode("utf-8"))
    return len(entries)


def load_baseline(file: str) -> Counter:
    try:
        with open(file, "rb") as fh:
            data = json.loads(fh.read().decode("utf-8"))
    except FileNotFoundError:
        raise BaselineError(f"--baseline: no such file: {file} (create it with --write-baseline)") from None
    except (OSError, ValueError) as e:
        raise BaselineError(f"--baseline: cannot read {file}: {e}") from None
    if not isinstance(data, dict) or data.get("sigpipe-lint-baseline") != FORMAT_VERSION:
        raise BaselineError(f"--baseline: {file} is not a sigpipe-lint baseline (version {FORMAT_VERSION})")
    try:
        return Counter((e["path"], e["fingerprint"]) for e in data["findings"])
    except (KeyError, TypeError):
        raise BaselineError(f"--baseline: {file}: an entry lacks its path or fingerprint") from None


def apply_baseline(results: Sequence[FileResult], baseline: Counter, root: Optional[str]) -> Tuple[List[FileResult], int]:
    """The results without the findings the baseline holds, and how many were left out."""
    left = Counter(baseline)
    prints = result_fingerprints(results)
    out = []
    dropped = 0
    for r in results:
        if not r.findings:
            out.append(r)
            continue
        path = shown_path(r.path, root)
        keep = []
        for f, (_name, fp) in zip(r.findings, prints[id(r)]):
            if left[(path, fp)] > 0:
                left[(path, fp)] -= 1
                dropped += 1
            else:
                keep.append(f)
        if len(keep) != len(r.findings):
            r = dataclasses.replace(r, findings=keep)
        out.append(r)
    return out, dropped
