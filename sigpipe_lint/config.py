"""Settings: command-line flags merged over `[tool.sigpipe-lint]` in the nearest pyproject.toml."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, List, Optional, Sequence

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
    unknown = set(table) - known
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
    return settings
