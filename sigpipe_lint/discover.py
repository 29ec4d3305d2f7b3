"""Step 1 of the pipeline: from the paths a user gave to the list of Python files to check."""

from __future__ import annotations

import fnmatch
import functools
import os
import re
from pathlib import PurePath
from typing import Iterable, List, Sequence, Tuple

from sigpipe_lint.config import DEFAULT_EXCLUDES

PYTHON_SUFFIXES = (".py", ".pyi")


def _excluded(path: str, patterns: Sequence[str]) -> bool:
    """Whether a glob of `patterns` matches the path, its name or any of its parts (as
    `fnmatch.fnmatch` does: case-folded where the platform folds case)."""
    if not patterns:
        return False
    matches = _matcher(tuple(patterns))
    parts = PurePath(path).parts
    normcase = os.path.normcase
    return bool(matches(normcase(path))) or any(matches(normcase(part)) for part in parts)


@functools.lru_cache(maxsize=16)
def _matcher(patterns: Tuple[str, ...]):
    """One regex for all the globs: a walk asks about every file and folder, and one
    `fnmatch` call per glob and part was 36,000 calls over the stdlib's 732 files."""
    alternatives = "|".join(fnmatch.translate(os.path.normcase(p.rstrip("/"))) for p in patterns)
    return re.compile(alternatives).match


def discover(paths: Iterable[str], exclude: Sequence[str] = ()) -> Tuple[List[str], List[Tuple[str, str]]]:
    """Return (files, problems): files to check, sorted and unique; problems as (path, reason).

    A file named explicitly is checked whatever its suffix; folders contribute their .py/.pyi
    files, skipping virtualenvs, build output, VCS folders and the `exclude` globs. Symlinks
    to folders are not followed (no loops).
    """
    patterns = list(DEFAULT_EXCLUDES) + list(exclude)
    files: List[str] = []
    problems: List[Tuple[str, str]] = []
    seen = set()

    def add(p: str) -> None:
        key = os.path.normpath(p)
        if key not in seen:
            seen.add(key)
            files.append(key)

    def problem(p: str, reason: str) -> None:
        key = os.path.normpath(p)
        if key not in seen:  # a path reached twice is reported once
            seen.add(key)
            problems.append((key, reason))

    for raw in paths:
        if raw == "-":
            add(raw)
            continue
        if os.path.isdir(raw):
            for root, dirs, names in os.walk(raw, followlinks=False):
                dirs[:] = sorted(d for d in dirs if not _excluded(d, patterns) and not _is_venv(os.path.join(root, d)))
                for n in sorted(names):
                    full = os.path.join(root, n)
                    if n.endswith(PYTHON_SUFFIXES) and not _excluded(full, exclude):
                        if os.path.isdir(full):
                            continue
                        if os.path.exists(full) and not os.path.isfile(full):
                            problem(full, "not a regular file")  # a FIFO would block the read
                            continue
                        add(full)
        elif os.path.lexists(raw):
            if _excluded(raw, exclude):
                continue
            if os.path.exists(raw) and not os.path.isfile(raw):
                problem(raw, "not a regular file")  # a FIFO would block the read
                continue
            add(raw)
        else:
            problem(raw, "no such file or folder")
    files.sort()
    return files, problems


def _is_venv(path: str) -> bool:
    return os.path.isfile(os.path.join(path, "pyvenv.cfg"))
