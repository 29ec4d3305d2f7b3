"""The program view, step 1: from a file to its project, and from a module name to a file.

Nothing found here is imported or run: modules are located on disk, as a type checker reads
its search path. The order, for an absolute import seen in file F (pyright's order, without
stubs, since the analysis needs the bodies):

1. F's own import root: the folder above F's outermost package (the folder that holds the
   first parent without an `__init__.py`);
2. the project root (the nearest parent holding `pyproject.toml`, `setup.cfg`, `setup.py`
   or `.git`) and its `src/` folder;
3. the search path of the interpreter running sigpipe-lint (`sys.path`: the standard
   library, then site-packages), without the current directory.

A relative import is resolved from F's package. `.py` files are read, `.pyi` stubs are not
(they have no bodies), and namespace packages (folders without `__init__.py`) are found
only through a submodule.
"""

from __future__ import annotations

import hashlib
import os
import sys
from functools import lru_cache
from typing import List, Optional, Tuple

PROJECT_MARKERS = ("pyproject.toml", "setup.cfg", "setup.py", ".git")


@lru_cache(maxsize=4096)
def project_root(folder: str) -> Optional[str]:
    """The nearest folder at or above `folder` that holds a project marker, or None."""
    d = folder
    while True:
        for m in PROJECT_MARKERS:
            if os.path.exists(os.path.join(d, m)):
                return d
        parent = os.path.dirname(d)
        if parent == d:
            return None
        d = parent


@lru_cache(maxsize=16384)
def module_of(path: str) -> Tuple[Optional[str], str, bool]:
    """(dotted module name, import root, is a package `__init__`) of a `.py` file.

    The name is None for a file that cannot be imported by name (e.g. `my-script.py`).
    """
    path = os.path.abspath(path)
    folder, base = os.path.split(path)
    stem = base.rsplit(".", 1)[0]
    is_pkg = stem == "__init__"
    parts: List[str] = [] if is_pkg else [stem]
    while os.path.exists(os.path.join(folder, "__init__.py")):
        folder, name = os.path.split(folder)
        parts.insert(0, name)
        if not name:
            break
    if not parts or not all(p.isidentifier() for p in parts):
        return None, folder, is_pkg
    return ".".join(parts), folder, is_pkg


def absolute(name: str, modname: Optional[str], is_pkg: bool) -> Optional[str]:
    """`.x.y` seen in module `modname` as an absolute dotted name (None when it cannot be)."""
    if not name.startswith("."):
        return name
    if modname is None:
        return None
    level = len(name) - len(name.lstrip("."))
    rest = name[level:]
    package = modname.split(".") if is_pkg else modname.split(".")[:-1]
    if level - 1 > len(package) or (level - 1 == len(package) and not rest):
        return None
    base = package[: len(package) - (level - 1)]
    parts = base + ([rest] if rest else [])
    return ".".join(parts) if parts else None


def _interpreter_path() -> Tuple[str, ...]:
    out = []
    for p in sys.path:
        if not p or not os.path.isdir(p):
            continue  # '' is the current folder, not part of any installed program
        out.append(os.path.abspath(p))
    return tuple(out)


INTERPRETER_PATH = _interpreter_path()


def search_path(path: str) -> Tuple[str, ...]:
    """Where absolute imports seen in `path` are looked for, in order."""
    _, import_root, _ = module_of(path)
    return _search_path(import_root, project_root(os.path.dirname(os.path.abspath(path))))


@lru_cache(maxsize=1024)
def _search_path(import_root: str, root: Optional[str]) -> Tuple[str, ...]:
    out = [import_root]
    if root is not None:
        out += [root, os.path.join(root, "src")]
    out += INTERPRETER_PATH
    seen = set()
    uniq = []
    for p in out:
        if p not in seen and os.path.isdir(p):
            seen.add(p)
            uniq.append(p)
    return tuple(uniq)


@lru_cache(maxsize=65536)
def find_module(name: str, paths: Tuple[str, ...]) -> Optional[str]:
    """The `.py` file of module `name` on `paths` (a package's `__init__.py`), or None."""
    rel = name.replace(".", os.sep)
    for base in paths:
        pkg = os.path.join(base, rel, "__init__.py")
        if os.path.isfile(pkg):
            return pkg
        mod = os.path.join(base, rel + ".py")
        if os.path.isfile(mod):
            return mod
    return None


def split_qname(qname: str, paths: Tuple[str, ...]) -> Optional[Tuple[str, str, List[str]]]:
    """`pkg.mod.Cls.attr` -> (file of the longest importable prefix, its name, the rest)."""
    parts = qname.split(".")
    for i in range(len(parts) - 1, 0, -1):
        mod = ".".join(parts[:i])
        f = find_module(mod, paths)
        if f is not None:
            return f, mod, parts[i:]
    return None


@lru_cache(maxsize=1024)
def _local_packages(root: str) -> Tuple[str, ...]:
    out = set()
    for base in (root, os.path.join(root, "src")):
        try:
            entries = os.listdir(base)
        except OSError:
            continue
        for e in entries:
            full = os.path.join(base, e)
            if e.endswith(".py") and e[:-3].isidentifier() and e != "setup.py":
                out.add(e[:-3])
            elif e.isidentifier() and os.path.isfile(os.path.join(full, "__init__.py")):
                out.add(e)
    return tuple(sorted(out))


def local_packages(path: str) -> Tuple[str, ...]:
    """The top-level packages and modules of the project holding `path`, or of the folder
    of scripts it sits in (`is_script_folder`); none elsewhere."""
    folder = os.path.dirname(os.path.abspath(path))
    root = project_root(folder)
    if root is None:
        return _local_packages(folder) if is_script_folder(folder) else ()
    return _local_packages(root)


# Project trees bigger than this are not scanned for callers (a whole site-packages given
# as one project); their callers are the ones inside the module, as before.
MAX_SCAN_FILES = 5000
SKIP_DIRS = {".git", ".hg", ".svn", ".tox", ".nox", ".venv", "venv", "env", "__pycache__", "node_modules", "build", "dist", ".eggs", "site-packages"}


# A dependency on which files a project holds and what they say, as opposed to one file's
# content: a scan for a function's callers reads every file of the project, so its answer
# changes when any of them changes or a new one appears (a new caller). Recorded under
# TREE_DEP + root, with tree_signature() as its "hash".
TREE_DEP = "<tree>"


def is_script_folder(folder: str) -> bool:
    """A folder of scripts: no project marker at or above it, not a package, and not on the
    interpreter's path (the stdlib and site-packages are folders of modules too). Its
    scripts import each other as top-level modules: they are one program."""
    folder = os.path.abspath(folder)
    return (  # cheapest first: the walk up to the filesystem's root last
        folder not in INTERPRETER_PATH
        and not os.path.exists(os.path.join(folder, "__init__.py"))
        and project_root(folder) is None
    )


def scan_files(root: str) -> List[str]:
    """The `.py` files below `root` that a scan of the project reads ([] past MAX_SCAN_FILES).
    A folder of scripts (`is_script_folder`) is read alone, not its subfolders: a script in
    a home folder must not make the scan read everything below it."""
    out: List[str] = []
    if is_script_folder(root):
        try:
            names = sorted(os.listdir(root))
        except OSError:
            return []
        out = [p for p in (os.path.join(root, f) for f in names if f.endswith(".py")) if os.path.isfile(p)]
        return out if len(out) <= MAX_SCAN_FILES else []
    for d, dirs, files in os.walk(root):
        dirs[:] = [x for x in dirs if x not in SKIP_DIRS and not x.startswith(".")]
        # Only regular files: opening a FIFO named *.py would block the run.
        out.extend(p for p in (os.path.join(d, f) for f in files if f.endswith(".py")) if os.path.isfile(p))
        if len(out) > MAX_SCAN_FILES:
            return []
    return out


def tree_signature(root: str) -> str:
    """The names, sizes and modification times of the files a scan of `root` reads."""
    h = hashlib.sha256()
    for f in sorted(scan_files(root)):
        try:
            st = os.stat(f)
        except OSError:
            continue
        h.update(f"{f}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()
