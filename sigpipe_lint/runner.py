"""Runs the engine over many files: read, analyse, collect, sort."""

from __future__ import annotations

import os
import sys
from typing import List, Sequence

from sigpipe_lint.engine import analyze_source
from sigpipe_lint.findings import FileResult


def read_source(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    with open(path, "rb") as f:
        return f.read()


def analyze_path(path: str, codes: Sequence[str]) -> FileResult:
    try:
        source = read_source(path)
    except IsADirectoryError:
        return FileResult(path=path, error="is a folder, not a file")
    except FileNotFoundError:
        if os.path.islink(path):
            return FileResult(path=path, error="broken symbolic link")
        return FileResult(path=path, error="no such file (it disappeared during the run)")
    except OSError as e:
        return FileResult(path=path, error=f"cannot read: {e.strerror or e}")
    return analyze_source(source, path, codes)


def run(files: Sequence[str], codes: Sequence[str]) -> List[FileResult]:
    results = [analyze_path(p, codes) for p in files]
    results.sort(key=lambda r: r.path)
    return results
