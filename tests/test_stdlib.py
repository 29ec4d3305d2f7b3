"""The checker over the installed CPython standard library: no crash, and a sound pre-filter."""

import os
import sysconfig
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from expectations import fixture_files
from sigpipe_lint.engine import analyze_source
from sigpipe_lint.rules import ALL_RULES

ALL_CODES = [r.code for r in ALL_RULES]
STDLIB = Path(sysconfig.get_paths()["stdlib"])


def stdlib_files():
    out = []
    for root, dirs, files in os.walk(STDLIB):
        dirs[:] = [d for d in dirs if d not in ("site-packages", "__pycache__")]
        out.extend(Path(root) / f for f in files if f.endswith(".py"))
    return sorted(out)


def _both_ways(path):
    source = path.read_bytes()
    filtered = analyze_source(source, str(path), ALL_CODES)
    if not filtered.prefiltered:
        return str(path), None, filtered.error, len(filtered.findings)
    full = analyze_source(source, str(path), ALL_CODES, prefilter=False)
    return str(path), [(f.line, f.code) for f in full.findings], full.error, 0


def test_stdlib_without_crash_and_prefilter_drops_no_finding():
    files = stdlib_files()
    assert len(files) > 500
    dropped_with_findings = []
    analysed = findings = 0
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        for path, full, error, n in pool.map(_both_ways, files, chunksize=8):
            if full is None:
                analysed += 1
                findings += n
            elif full:
                dropped_with_findings.append((path, full))
    assert dropped_with_findings == []
    assert analysed > 20 and findings > 10


def test_prefilter_drops_no_fixture_finding():
    for path in fixture_files():
        source = path.read_bytes()
        full = analyze_source(source, str(path), ALL_CODES, prefilter=False)
        if full.findings:
            assert not analyze_source(source, str(path), ALL_CODES).prefiltered, path
