"""Replace a file in one step: a crash or SIGKILL leaves the old content or the new, never half.

Used by the fixer (source files) and the cache (its entries and index).
"""

from __future__ import annotations

import os
import tempfile
from typing import Optional


def replace_file(path: str, data: bytes, mode: Optional[int] = None, durable: bool = False) -> None:
    """Write `data` to a temporary file beside `path`, then `os.replace` it over `path`.

    `mode`: permission bits for the new file (the fixer keeps the original's). `durable`:
    fsync before the replace, so a power loss cannot leave an empty file either.
    """
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".sigpipe-lint-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            if durable:
                f.flush()
                os.fsync(f.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
