"""Read the expected findings written into fixtures as `# expect: SPL001,SPL004` comments."""

import re
from pathlib import Path
from typing import Set, Tuple

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
_EXPECT = re.compile(r"#\s*expect:\s*([A-Z0-9, ]+)")


def expected_findings(path: Path) -> Set[Tuple[int, str]]:
    out = set()
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        m = _EXPECT.search(line)
        if m:
            for code in m.group(1).replace(" ", "").split(","):
                if code:
                    out.add((lineno, code))
    return out


def fixture_files():
    return sorted(p for p in FIXTURES.rglob("*.py"))


# A client whose only handler misses ConnectionResetError: SPL003 at 5:8 (safe fix), and
# SPL004 at 4:5 (the write is not covered for ConnectionResetError).
SPL003_CLIENT = b"""\
import socket
s = socket.create_connection(("h", 1))
try:
    s.sendall(b"x")
except BrokenPipeError:
    pass
"""


def all_codes():
    from sigpipe_lint.rules import ALL_RULES

    return tuple(r.code for r in ALL_RULES)
