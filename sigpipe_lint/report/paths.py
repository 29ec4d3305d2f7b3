"""Paths as people and tools outside this machine read them: relative, with forward slashes."""

from __future__ import annotations

import os
from typing import Optional


def relative_path(path: str, root: Optional[str]) -> Optional[str]:
    """`path` relative to `root` (default: the current folder) with `/`; None when outside it."""
    if path == "-":
        return None
    base = os.path.abspath(root or os.getcwd())
    full = os.path.abspath(path)
    try:
        rel = os.path.relpath(full, base)
    except ValueError:  # another drive (Windows)
        return None
    if rel == ".." or rel.startswith(".." + os.sep):
        return None
    return rel.replace(os.sep, "/")


def shown_path(path: str, root: Optional[str]) -> str:
    """Relative to `root` when inside it, else absolute (both with `/`); `-` stays `-`."""
    if path == "-":
        return path
    rel = relative_path(path, root)
    return rel if rel is not None else os.path.abspath(path).replace(os.sep, "/")
