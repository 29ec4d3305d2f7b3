"""The fixed copy for `prove --fix`: the program's own files copied into a temporary folder
and fixed there by the engine (`--fix --unsafe-fixes`, every SPL rule). The user's tree is
only read."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple


class FixError(Exception):
    """The copy could not be made or fixed (a usage or setup error)."""


@dataclass
class FixedFile:
    original: str  # as the user named it, relative to the working directory when inside it
    copy: str
    changed: bool


def default_fix_paths(argv: Sequence[str], cwd: Path) -> List[str]:
    """The Python files named in the command: `python client.py ...` -> [client.py]."""
    out = []
    for i, arg in enumerate(argv):
        if arg.endswith(".py") and (cwd / arg).is_file() and arg not in out:
            out.append(arg)
    return out


def _place(src: Path, cwd: Path, dest: Path) -> Path:
    """Where `src` goes in `dest`: its path relative to cwd, or under _outside/."""
    try:
        rel = src.relative_to(cwd)
    except ValueError:
        rel = Path("_outside", *src.parts[1:])
    return dest / rel


def make_fixed_copy(argv: Sequence[str], fix_paths: Sequence[str], cwd: Path, dest: Path,
                    env: Optional[Dict[str, str]] = None) -> Tuple[List[str], Dict[str, str], List[FixedFile]]:
    """Copy `fix_paths` (files or folders) into `dest`, fix the copies, and return the
    command with the copies' paths in place of the originals, the environment (the
    originals' folders appended to PYTHONPATH, so that unfixed sibling modules still
    import) and the files fixed."""
    from sigpipe_lint.discover import discover
    from sigpipe_lint.rules import ALL_RULES
    from sigpipe_lint.runner import RunOptions, run

    cwd = cwd.resolve()
    dest = dest.resolve()
    mapping: Dict[Path, Path] = {}
    for p in fix_paths:
        src = (cwd / p).resolve()
        if not src.exists():
            raise FixError(f"--fix-path {p}: no such file or folder")
        target = _place(src, cwd, dest)
        target.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, target, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("__pycache__", ".git", ".venv", ".sigpipe_lint_cache"))
        else:
            shutil.copy2(src, target)
        mapping[src] = target
    copies = [str(t) for t in mapping.values()]
    files, problems = discover(copies, [])
    if problems:
        raise FixError("; ".join(f"{path}: {reason}" for path, reason in problems))
    before = {f: Path(f).read_bytes() for f in files}
    codes = tuple(r.code for r in ALL_RULES)
    results = run(files, RunOptions(codes=codes, fix="unsafe"), jobs=1, cache=None)
    for r in results:
        if r.error:
            raise FixError(f"cannot fix {_original(r.path, mapping, cwd)}: {r.error}")
    fixed = [FixedFile(_original(f, mapping, cwd), f, Path(f).read_bytes() != before[f]) for f in files]

    new_argv = []
    for arg in argv:
        new_argv.append(arg)
        if not arg or arg.startswith("-"):
            continue
        path = (cwd / arg).resolve()
        for src, target in mapping.items():
            if path == src or src in path.parents:
                new_argv[-1] = str(target / path.relative_to(src)) if path != src else str(target)
                break
    env = dict(os.environ if env is None else env)
    dirs = []
    for src in mapping:
        d = str(src if src.is_dir() else src.parent)
        if d not in dirs:
            dirs.append(d)
    env["PYTHONPATH"] = os.pathsep.join([p for p in [env.get("PYTHONPATH", "")] if p] + dirs)
    return new_argv, env, fixed


def _original(copy: str, mapping: Dict[Path, Path], cwd: Path) -> str:
    c = Path(copy)
    for src, target in mapping.items():
        if c == target or target in c.parents:
            orig = src / c.relative_to(target) if c != target else src
            try:
                return str(orig.relative_to(cwd))
            except ValueError:
                return str(orig)
    return copy
