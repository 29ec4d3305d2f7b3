"""Fingerprints of findings, and the baseline that lets a legacy tree adopt the rules.

A fingerprint survives edits elsewhere in the file: it is a hash of the rule code, the
qualified name of the enclosing function or class (`Server.handle`, empty at module level),
the reported line's text with its whitespace normalised, and the finding's index among the
findings of the file that share those three (so two identical writes in one function stay
two). Line numbers are not part of it. SARIF's `partialFingerprints` carry the same value.

The baseline file (`--write-baseline FILE`) is JSON: the fingerprints of every finding, with
their path relative to the project root. `--baseline FILE` reports (and fails on) only the
findings not in it; each baseline entry absorbs one finding. The fixes (`--fix`, `--diff`)
see the same baseline: `for_files` hands each file's fingerprints to the engine through
`RunOptions.baseline`, and the engine applies only the fixes of the findings it does not
hold (`held`, the matching `apply_baseline` uses too), nor one that would make a new
finding appear on a held line. A report without --fix learns of those from the same
engine (`with_declined`).
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
DECLINED = "with --baseline, fixing it would make a new "  # how a declined fix's reason begins


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


def finding_keys(findings: Sequence[Finding], source: Optional[bytes]) -> List[Tuple[str, str, str]]:
    """(rule code, enclosing qualified name, normalised line text) per finding, in order:
    what a fingerprint hashes, but the index."""
    lines = source.splitlines() if source is not None else []
    scopes = _scopes(source) if source is not None and findings else []
    out = []
    for finding in findings:
        text = lines[finding.line - 1].decode("utf-8", "replace") if 0 < finding.line <= len(lines) else ""
        out.append((finding.code, _enclosing(scopes, finding.line), normalised(text)))
    return out


def fingerprint_rows(findings: Sequence[Finding], source: Optional[bytes]) -> List[Tuple[str, str]]:
    """(enclosing qualified name, fingerprint) per finding of one file, in the same order."""
    return [(key[1], fp) for key, fp in keyed_fingerprints(findings, source)]


def keyed_fingerprints(findings: Sequence[Finding], source: Optional[bytes]) -> List[Tuple[Tuple[str, str, str], str]]:
    """(finding_keys' key, fingerprint) per finding of one file, in the same order."""
    keys = finding_keys(findings, source)
    seen: Counter = Counter()
    prints = [""] * len(findings)
    for f in sorted(range(len(findings)), key=lambda i: findings[i].sort_key()):
        key = keys[f]
        index = seen[key]
        seen[key] += 1
        prints[f] = hashlib.sha256("\0".join([*key, str(index)]).encode("utf-8")).hexdigest()[:32]
    return list(zip(keys, prints))


def held(prints: Sequence[str], left: Counter) -> List[bool]:
    """Which of one file's findings (their fingerprints, in order) the baseline holds.

    `left`: fingerprint -> entries of this file not used yet; each entry absorbs one finding
    (it is used up here)."""
    out = []
    for fp in prints:
        out.append(left[fp] > 0)
        if out[-1]:
            left[fp] -= 1
    return out


def by_path(baseline: Counter) -> Dict[str, Counter]:
    """(path, fingerprint) -> count, as `load_baseline` gives it, grouped by path."""
    out: Dict[str, Counter] = {}
    for (path, fp), n in baseline.items():
        out.setdefault(path, Counter())[fp] += n
    return out


def for_files(baseline: Counter, files: Sequence[str], root: Optional[str]) -> Dict[str, Tuple[str, ...]]:
    """The fingerprints the baseline holds for each of `files` that has any (as discovered:
    the runner's paths), for the engine's fix step (RunOptions.baseline)."""
    grouped = by_path(baseline)
    out = {}
    for f in files:
        prints = grouped.get(shown_path(f, root))
        if prints:
            out[f] = tuple(prints.elements())
    return out


def declined(code: str, line: int) -> str:
    """Why a finding's fix is not applied under --baseline (engine._fix)."""
    return (
        f"{DECLINED}{code} finding appear on line {line}, whose finding the baseline holds "
        "(fix that line too, or write the baseline anew)"
    )


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

    Read from the source the findings are about: the fixed one after --fix or --diff (the
    file on disk is still the original with --diff), standard input's bytes, else the file
    as it is now (run right after the analysis)."""
    return {id(r): fingerprint_rows(r.findings, _result_source(r)) for r in results if r.findings}


def _result_source(r: FileResult) -> Optional[bytes]:
    if r.fixed_source is not None:
        return r.fixed_source
    if r.source is not None:
        return r.source
    return _source(r.path)


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
    left = by_path(baseline)
    prints = result_fingerprints(results)
    out = []
    dropped = 0
    for r in results:
        if not r.findings:
            out.append(r)
            continue
        mask = held([fp for _name, fp in prints[id(r)]], left.setdefault(shown_path(r.path, root), Counter()))
        keep = [f for f, h in zip(r.findings, mask) if not h]
        dropped += len(r.findings) - len(keep)
        if len(keep) != len(r.findings):
            r = dataclasses.replace(r, findings=keep)
        out.append(r)
    return out, dropped


def with_declined(results: Sequence[FileResult], baseline: Counter, root: Optional[str], options, jobs: Optional[int] = None) -> List[FileResult]:
    """Report-only runs: the reported findings whose fix `--fix --unsafe-fixes --baseline`
    would not apply (it would make a new finding appear on a held line: engine._fix) get
    the fix that run reports, "none" and why, so that the unsafe-fix hint, --statistics and
    the formats offer only what --fix does.

    A second pass, in fix mode and writing nothing (`options`: a runner.RunOptions), over
    the files that have both findings the baseline holds and reported findings with a fix:
    only there can a fix be declined. `results`: after apply_baseline."""
    import dataclasses

    from sigpipe_lint.runner import run

    fixable = [r.path for r in results if r.path != "-" and any(f.fix is not None and f.fix.applicability != "none" for f in r.findings)]
    held_here = for_files(baseline, fixable, root)
    if not held_here:
        return results
    again = {
        r.path: r
        for r in run(sorted(held_here), dataclasses.replace(options, fix="unsafe", diff=True, baseline=held_here), jobs=jobs)
    }
    out = []
    for r in results:
        a = again.get(r.path)
        marks: Dict[Tuple[str, str, str], list] = {}
        if a is not None and a.findings and not a.error:
            for f, key in zip(a.findings, finding_keys(a.findings, _result_source(a))):
                if f.fix is not None and any(x.startswith(DECLINED) for x in f.fix.reasons):
                    marks.setdefault(key, []).append(f.fix)
        if marks:
            keys = finding_keys(r.findings, _source(r.path))
            r = dataclasses.replace(
                r, findings=[dataclasses.replace(f, fix=marks[k].pop(0)) if marks.get(k) else f for f, k in zip(r.findings, keys)]
            )
        out.append(r)
    return out
