"""Settings: command-line flags merged over `[tool.sigpipe-lint]` in the nearest pyproject.toml."""

from __future__ import annotations

import fnmatch
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, List, Optional, Sequence, Tuple

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.9/3.10 only
    import tomli as tomllib


class ConfigError(Exception):
    """A setting that cannot be understood: a usage error (exit 2)."""


DEFAULT_EXCLUDES = (
    ".git",
    ".hg",
    ".svn",
    ".venv",
    "venv",
    ".env",
    "env",
    "__pycache__",
    "build",
    "dist",
    "node_modules",
    ".tox",
    ".nox",
    ".mypy_cache",
    ".pytest_cache",
    ".sigpipe_lint_cache",
    "*.egg-info",
)


@dataclass
class Settings:
    select: Optional[List[str]] = None  # None: the rules that are on by default
    extend_select: List[str] = field(default_factory=list)
    ignore: List[str] = field(default_factory=list)
    exclude: List[str] = field(default_factory=list)
    # (glob, codes or prefixes): those rules are off in the files the glob matches
    per_file_ignores: List[Tuple[str, Tuple[str, ...]]] = field(default_factory=list)
    project_root: Optional[str] = None  # folder of the pyproject.toml that was read

    def enabled_codes(self) -> List[str]:
        from sigpipe_lint.rules import ALL_RULES

        codes = [r.code for r in ALL_RULES]
        if self.select is None:
            chosen = {r.code for r in ALL_RULES if r.default_enabled}
        else:
            chosen = {c for c in codes if _matches(c, self.select)}
        chosen |= {c for c in codes if _matches(c, self.extend_select)}
        chosen -= {c for c in codes if _matches(c, self.ignore)}
        return [c for c in codes if c in chosen]


def _matches(code: str, prefixes: Iterable[str]) -> bool:
    return any(code.startswith(p) for p in prefixes if p)


def codes_for(codes: Sequence[str], path: str, per_file_ignores: Sequence[Tuple[str, Sequence[str]]], root: Optional[str]) -> Tuple[str, ...]:
    """`codes` without the ones that a per-file-ignores glob matching `path` turns off.

    A glob matches the file's path relative to `root` (the project's folder, else the
    current one), with `/` between folders, or its name alone: `tests/*` and `tests/**`
    match every file under tests/ (fnmatch's `*` crosses folders), `**/tests/*` also
    tests/ at the top, `__init__.py` every package's. A glob starting with `!` turns the
    codes off in the files it does not match (as in ruff).
    """
    if not per_file_ignores or path == "-":
        return tuple(codes)
    full = os.path.abspath(path)
    base = root or os.getcwd()
    rel = os.path.relpath(full, base).replace(os.sep, "/")
    if rel.startswith("../"):
        rel = full.replace(os.sep, "/")
    off: List[str] = []
    for pattern, ignored in per_file_ignores:
        negated = pattern.startswith("!")
        if _path_matches(rel, pattern[1:] if negated else pattern) != negated:
            off.extend(ignored)
    return tuple(c for c in codes if not _matches(c, off))


def _path_matches(rel: str, pattern: str) -> bool:
    pattern = pattern.replace(os.sep, "/")
    if pattern.startswith("./"):
        pattern = pattern[2:]
    name = rel.rsplit("/", 1)[-1]
    candidates = [pattern]
    if pattern.startswith("**/"):
        candidates.append(pattern[3:])  # `**/tests/*` also matches tests/ at the top
    for pat in candidates:
        if fnmatch.fnmatchcase(rel, pat) or ("/" not in pat and fnmatch.fnmatchcase(name, pat)):
            return True
    return False


def parse_per_file_ignores(entries: Iterable[str], what: str) -> List[Tuple[str, Tuple[str, ...]]]:
    """`GLOB:CODES` strings (the command line's form, as flake8's) as (glob, codes) pairs."""
    out = []
    for entry in entries:
        glob, sep, codes = entry.rpartition(":")
        if not sep or not glob.strip():
            raise ConfigError(f"{what}: expected GLOB:CODES, got {entry!r}")
        out.append((glob.strip(), tuple(validate_codes(split_codes(codes), what))))
    return out


def validate_codes(values: Sequence[str], what: str) -> List[str]:
    from sigpipe_lint.rules import ALL_RULES

    out = []
    for v in values:
        v = v.strip().upper()
        if not v:
            continue
        if v != "ALL" and not any(r.code.startswith(v) for r in ALL_RULES):
            raise ConfigError(f"{what}: unknown rule code or prefix {v!r}")
        out.append("SPL" if v == "ALL" else v)
    return out


def split_codes(text: Optional[str]) -> List[str]:
    if not text:
        return []
    return [p for p in text.replace(" ", ",").split(",") if p]


def find_pyproject(start: Path) -> Optional[Path]:
    start = Path(os.path.realpath(start))  # not Path.resolve: it raises on a symlink loop
    if start.is_file():
        start = start.parent
    for folder in [start, *start.parents]:
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def load_settings(paths: Sequence[str], config: Optional[str] = None) -> Settings:
    """Settings from the pyproject.toml nearest to the first path (or `config`)."""
    settings = Settings()
    if config:
        pyproject: Optional[Path] = Path(config)
        if not pyproject.is_file():
            raise ConfigError(f"--config: no such file: {config}")
    else:
        pyproject = find_pyproject(Path(paths[0]) if paths else Path.cwd())
    if pyproject is None:
        return settings
    settings.project_root = str(pyproject.parent.resolve())
    try:
        with open(pyproject, "rb") as f:
            data = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(f"{pyproject}: cannot read it: {e}") from None
    table = data.get("tool", {}).get("sigpipe-lint", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{pyproject}: [tool.sigpipe-lint] must be a table")
    known = {"select", "extend-select", "ignore", "exclude"}
    unknown = set(table) - known - {"per-file-ignores"}
    if unknown:
        raise ConfigError(f"{pyproject}: unknown setting(s) in [tool.sigpipe-lint]: {', '.join(sorted(unknown))}")
    for key in known:
        if key in table:
            value = table[key]
            if not (isinstance(value, list) and all(isinstance(x, str) for x in value)):
                raise ConfigError(f"{pyproject}: [tool.sigpipe-lint] {key} must be a list of strings")
    if "select" in table:
        settings.select = validate_codes(table["select"], f"{pyproject}: select")
    settings.extend_select = validate_codes(table.get("extend-select", []), f"{pyproject}: extend-select")
    settings.ignore = validate_codes(table.get("ignore", []), f"{pyproject}: ignore")
    settings.exclude = list(table.get("exclude", []))
    per_file = table.get("per-file-ignores", {})
    if not isinstance(per_file, dict) or not all(
        isinstance(v, list) and all(isinstance(x, str) for x in v) for v in per_file.values()
    ):
        raise ConfigError(f"{pyproject}: [tool.sigpipe-lint] per-file-ignores must be a table of globs to lists of codes")
    settings.per_file_ignores = [
        (glob, tuple(validate_codes(codes, f"{pyproject}: per-file-ignores {glob!r}"))) for glob, codes in per_file.items()
    ]
    return settings
