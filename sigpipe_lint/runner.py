"""Runs the engine over many files: read, analyse (and fix), collect, sort."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

from sigpipe_lint.engine import analyze_source
from sigpipe_lint.findings import FileResult


@dataclass(frozen=True)
class RunOptions:
    """Everything a worker needs to process one file (picklable)."""

    codes: Tuple[str, ...]
    fix: Optional[str] = None  # None: report only; "safe": apply safe fixes; "unsafe": all fixes
    diff: bool = False  # compute the fixed source but do not write it


def read_source(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    with open(path, "rb") as f:
        return f.read()


def process_file(path: str, options: RunOptions) -> FileResult:
    """The unit of work: one file, read once, analysed (and fixed when asked)."""
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
    return analyze_source(source, path, options.codes)


def run(files: Sequence[str], options: RunOptions) -> List[FileResult]:
    results = [process_file(p, options) for p in files]
    results.sort(key=lambda r: r.path)
    return results
