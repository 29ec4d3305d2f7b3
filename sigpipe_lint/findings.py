"""The data every step of the pipeline hands to the next: findings and per-file results."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Dict, List, Optional, Tuple

NO_FIX = "no automatic fix: "  # how a fix part that offers nothing begins its reason
UNSAFE_MARK = " (unsafe)"  # how an unsafe part's message ends in FixInfo.message


@dataclass(frozen=True)
class FixEdit:
    """One finding's share of what `--fix` (safe) or `--fix --unsafe-fixes` would change.

    Filled in only when asked for (`RunOptions.fix_edits`: the audit report and SARIF).
    `replacements`: (first line, end line exclusive, new text) over the original's lines,
    1-based; an insertion has first == end.
    """

    applicability: str  # "safe": applied by --fix; "unsafe": needs --unsafe-fixes too
    description: str  # what the changes do (the plans' messages)
    diff: str  # unified diff of the file, this finding's changes only
    replacements: Tuple[Tuple[int, int, str], ...]


@dataclass(frozen=True)
class FixInfo:
    """What a fix would do, as reported (the edit itself lives in sigpipe_lint.fixes)."""

    applicability: str  # "safe", "unsafe", or "none" (no automatic fix: the message says why)
    message: str  # the parts' messages, joined by "; "
    edits: Tuple[FixEdit, ...] = ()  # only when asked for: see FixEdit

    @property
    def reasons(self) -> Tuple[str, ...]:
        """Why no automatic fix (or, next to a safe part, no unsafe one) is offered.

        The parts of the message that begin "no automatic fix: " (sigpipe_lint.fixes.no_fix),
        without those words. Empty when the fix is complete.
        """
        return tuple(p[len(NO_FIX):] for p in self.message.split("; ") if p.startswith(NO_FIX))

    @property
    def has_unsafe_part(self) -> bool:
        """Whether `--fix --unsafe-fixes` would do more for this finding than `--fix`."""
        return self.applicability == "unsafe" or any(p.endswith(UNSAFE_MARK) for p in self.message.split("; "))

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "FixInfo":
        edits = tuple(
            FixEdit(e["applicability"], e["description"], e["diff"], tuple(tuple(r) for r in e["replacements"]))
            for e in d.get("edits", ())
        )
        return cls(d["applicability"], d["message"], edits)


@dataclass(frozen=True)
class Finding:
    """One problem at one place. Lines are 1-based; columns are 1-based, end exclusive."""

    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    code: str
    message: str
    fix: Optional[FixInfo] = None

    def sort_key(self):
        return (self.path, self.line, self.column, self.code)

    def to_dict(self) -> Dict[str, Any]:
        d = asdict(self)
        d["fix"] = asdict(self.fix) if self.fix else None
        if d["fix"] is not None and not d["fix"]["edits"]:
            del d["fix"]["edits"]  # the JSON output stays as it was when none were asked for
        return d

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "Finding":
        fix = d.get("fix")
        return cls(
            path=d["path"],
            line=d["line"],
            column=d["column"],
            end_line=d["end_line"],
            end_column=d["end_column"],
            code=d["code"],
            message=d["message"],
            fix=FixInfo.from_dict(fix) if fix else None,
        )


@dataclass
class FileResult:
    """What the engine says about one file."""

    path: str
    findings: List[Finding] = field(default_factory=list)
    error: Optional[str] = None  # why the file could not be analysed, if it could not
    prefiltered: bool = False  # True when the pre-filter proved no rule can match
    lines: int = 0
    fixed_source: Optional[bytes] = None  # set by the fixer when it changed the file
    diff: Optional[str] = None  # with --diff: what the fixes would change
    source: Optional[bytes] = None  # standard input's bytes (path "-"): --fix and --add-noqa print them back
    deps: Dict[str, str] = field(default_factory=dict)  # other files read (path -> sha256)

    def to_dict(self) -> Dict[str, Any]:
        return {
            "path": self.path,
            "findings": [f.to_dict() for f in self.findings],
            "error": self.error,
            "prefiltered": self.prefiltered,
            "lines": self.lines,
            "deps": self.deps,
        }

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "FileResult":
        return cls(
            path=d["path"],
            findings=[Finding.from_dict(f) for f in d["findings"]],
            error=d["error"],
            prefiltered=d["prefiltered"],
            lines=d["lines"],
            deps=dict(d.get("deps") or {}),
        )


def line_count(source: bytes) -> int:
    """Lines in a file, a last line without its newline included."""
    return source.count(b"\n") + (1 if source and not source.endswith(b"\n") else 0)
