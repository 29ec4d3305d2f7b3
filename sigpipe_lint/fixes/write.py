"""Writing a fixed file without ever leaving it half-written.

The new bytes go to a temporary file in the same folder (same file system), get the
original's permission bits, are flushed to disk, and then replace the original in one
`os.replace`: a crash or a SIGKILL at any moment leaves either the old file or the new one.
"""

from __future__ import annotations

import difflib
import os
import stat

from sigpipe_lint.atomic import replace_file


class FileChanged(Exception):
    """The file changed on disk while it was being analysed: not overwritten."""


def write_atomically(path: str, data: bytes, expected_old: bytes) -> None:
    with open(path, "rb") as f:
        if f.read() != expected_old:
            raise FileChanged(f"{path} changed while it was being fixed; left as it is")
    replace_file(path, data, mode=stat.S_IMODE(os.stat(path).st_mode), durable=True)


def unified_diff(path: str, old: bytes, new: bytes) -> str:
    a = old.decode("utf-8", "replace").splitlines(keepends=True)
    b = new.decode("utf-8", "replace").splitlines(keepends=True)
    return "".join(difflib.unified_diff(a, b, fromfile=path, tofile=path))
