"""A content-keyed cache of per-file results, safe under concurrent runs.

One JSON file per entry, named by a key over everything the result depends on: the file's
bytes (SHA-256), its path (findings carry it), the tool version and the enabled rule codes.
Entries are written to a temporary file in the same folder and moved into place with
`os.replace`, so a reader sees either nothing or a whole entry; a corrupt or unreadable entry
is a miss. Only report-only runs are cached (a fix run writes files: always analyse).

A second, cheaper layer answers before the file is even read: an index from path to
(mtime_ns, size, inode) -> pre-filtered (with its line count) or entry key, as ruff and
mypy do. A file whose stat signature is unchanged is not read, pre-filtered or hashed.
Files modified in the last seconds of a run are not indexed (a write within the same
timestamp tick could go unseen). Index writes are whole-file `os.replace` too; concurrent
runs may drop each other's new index entries, which only costs a read next time.

Layout: `<cache dir>/<version>/<key[:2]>/<key>.json`, `<cache dir>/<version>/index-<settings>.json`. A new version (or any change to our own code) starts a new folder;
old ones can be deleted by hand (or the whole cache folder: it only ever saves time).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Optional, Sequence

from sigpipe_lint import __version__
from sigpipe_lint.atomic import replace_file
from sigpipe_lint.findings import FileResult

CACHE_DIR_NAME = ".sigpipe_lint_cache"
ENV_VAR = "SIGPIPE_LINT_CACHE_DIR"

_TAG = "Signature: 8a477f597d28d172789f06886806bc55\n# sigpipe-lint cache; see https://bford.info/cachedir/\n"


def default_cache_dir(project_root: Optional[str], cli_dir: Optional[str] = None) -> str:
    """--cache-dir, else $SIGPIPE_LINT_CACHE_DIR, else <project root or cwd>/.sigpipe_lint_cache."""
    if cli_dir:
        return cli_dir
    env = os.environ.get(ENV_VAR)
    if env:
        return env
    return os.path.join(project_root or os.getcwd(), CACHE_DIR_NAME)


def _engine_version() -> str:
    """Our version plus a digest of our own source files.

    A released version never changes its code, but a checkout does: keying the cache on
    `__version__` alone let entries made by an older engine hide new findings.
    """
    h = hashlib.sha256()
    package = Path(__file__).resolve().parent
    for path in sorted(package.rglob("*.py")):
        h.update(str(path.relative_to(package)).encode())
        try:
            h.update(path.read_bytes())
        except OSError:
            pass
    return f"{__version__}+{h.hexdigest()[:12]}"


ENGINE_VERSION = _engine_version()


def settings_key(codes: Sequence[str], version: str = ENGINE_VERSION, per_file_ignores: Sequence = ()) -> str:
    """What every entry of one run shares: our version and the rules enabled (everywhere,
    and per file)."""
    key = {"version": version, "codes": sorted(codes)}
    if per_file_ignores:
        key["per_file_ignores"] = [[glob, list(codes)] for glob, codes in per_file_ignores]
    data = json.dumps(key, sort_keys=True)
    return hashlib.sha256(data.encode()).hexdigest()


class Cache:
    def __init__(self, root: str, codes: Sequence[str], version: str = ENGINE_VERSION, per_file_ignores: Sequence = ()):
        self.root = Path(root)
        self.version = version
        self._settings = settings_key(codes, version, per_file_ignores)
        self._dir = self.root / _safe(version)
        self.hits = 0
        self.misses = 0
        self.writable = True
        self._index: Optional[dict] = None
        self._index_updates: dict = {}
        self._started_ns = time.time_ns()

    def key(self, path: str, source: bytes) -> str:
        h = hashlib.sha256()
        h.update(self._settings.encode())
        h.update(b"\0")
        h.update(path.encode("utf-8", "surrogateescape"))
        h.update(b"\0")
        h.update(hashlib.sha256(source).digest())
        return h.hexdigest()

    def _entry(self, key: str) -> Path:
        return self._dir / key[:2] / f"{key}.json"

    def get(self, key: str) -> Optional[FileResult]:
        try:
            with open(self._entry(key), "rb") as f:
                data = json.loads(f.read())
            result = FileResult.from_dict(data)
        except (OSError, ValueError, KeyError, TypeError):
            self.misses += 1
            return None
        self.hits += 1
        return result

    def put(self, key: str, result: FileResult) -> None:
        if not self.writable:
            return
        entry = self._entry(key)
        try:
            if not entry.parent.is_dir():
                self._prepare()
                entry.parent.mkdir(parents=True, exist_ok=True)
            replace_file(str(entry), json.dumps(result.to_dict(), separators=(",", ":")).encode())
        except OSError:
            # A read-only checkout or a full disk: run on without a cache, never fail for it.
            self.writable = False

    # -- the stat index ----------------------------------------------------------------

    def _index_file(self) -> Path:
        return self._dir / f"index-{self._settings[:20]}.json"

    def _load_index(self) -> dict:
        if self._index is None:
            try:
                with open(self._index_file(), "rb") as f:
                    data = json.loads(f.read())
                self._index = data if isinstance(data, dict) else {}
            except (OSError, ValueError):
                self._index = {}
        return self._index

    def stat_lookup(self, path: str, signature: Sequence[int]) -> Optional[FileResult]:
        """The result for an unchanged file (same path, mtime, size, inode), without reading it."""
        entry = self._load_index().get(path)
        if not isinstance(entry, list) or len(entry) != 5 or entry[:3] != list(signature):
            return None
        kind, payload = entry[3], entry[4]
        if kind == "p" and isinstance(payload, int):
            return FileResult(path=path, lines=payload, prefiltered=True)
        if kind == "k" and isinstance(payload, str):
            result = self.get(payload)
            if result is not None and result.path == path:
                return result
        return None

    def remember(self, path: str, signature: Sequence[int], prefiltered_lines: Optional[int] = None, key: Optional[str] = None) -> None:
        if signature[0] >= self._started_ns - 2_000_000_000:
            return  # modified just now: the next write may keep the same timestamp
        payload = ["p", prefiltered_lines] if key is None else ["k", key]
        self._index_updates[path] = [*signature, *payload]

    def save_index(self) -> None:
        if not self._index_updates or not self.writable:
            return
        index = dict(self._load_index())
        index.update(self._index_updates)
        self._index_updates = {}
        try:
            self._prepare()
            self._dir.mkdir(parents=True, exist_ok=True)
            replace_file(str(self._index_file()), json.dumps(index, separators=(",", ":")).encode())
        except OSError:
            self.writable = False

    def _prepare(self) -> None:
        """Create the cache folder, marked so backup tools and git leave it alone."""
        self.root.mkdir(parents=True, exist_ok=True)
        for name, text in (("CACHEDIR.TAG", _TAG), (".gitignore", "# created by sigpipe-lint\n*\n")):
            p = self.root / name
            if not p.exists():
                try:
                    p.write_text(text, encoding="utf-8")
                except OSError:
                    pass


def _safe(version: str) -> str:
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in version) or "unknown"
