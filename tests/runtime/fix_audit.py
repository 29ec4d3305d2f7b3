"""What the fix tests (test_fix_conversations.py, test_fix_shapes.py) share: the runtime
audit of a conversation's end (`audit/sitecustomize.py`, loaded through PYTHONPATH) and the
fixtures' issue-10 headers."""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Dict

AUDIT_DIR = Path(__file__).resolve().parent / "audit"
AUDIT_MARK = "sigpipe-lint-audit:"  # what the audit prints when a conversation goes on
FIX_MESSAGE = "sigpipe-lint: the peer closed the connection"  # what a fixed program prints


def audit_env() -> Dict[str, str]:
    """The environment of a program run under the audit."""
    path = os.environ.get("PYTHONPATH")
    return dict(os.environ, PYTHONPATH=str(AUDIT_DIR) + (os.pathsep + path if path else ""), SIGPIPE_LINT_AUDIT="1")


def extra_headers(path: Path) -> Dict[str, str]:
    """`# conversation: SHAPE` and `# fixed-stdout: REGEX` (see fixtures/runtime/README.md)."""
    out: Dict[str, str] = {}
    for line in path.read_text().splitlines():
        m = re.match(r"#\s*(conversation|fixed-stdout):\s*(.+)$", line)
        if m:
            out[m.group(1)] = m.group(2).strip()
        elif line.strip() and not line.startswith("#"):
            break
    return out


def wait_count(stream, text: str, count: int, timeout: float) -> int:
    """Wait (bounded) until `text` has been printed `count` times on a Program's stream;
    the number of times it was. Wakes on each new line (the stream's own condition)."""
    stream.wait_for(r"(?!)", timeout, alive=lambda: stream.text.count(text) < count)
    return stream.text.count(text)
