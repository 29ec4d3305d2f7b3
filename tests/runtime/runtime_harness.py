"""What the runtime suite needs beyond the product: the fixtures' headers, and the
servers and fixed copies made with the product's own machinery (`sigpipe_lint.prove`, the
same code as `sigpipe-lint prove` and the pytest plugin's `dying_peer`/`dying_client`)."""
from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Dict, List

from sigpipe_lint.prove.fixcopy import make_fixed_copy
from sigpipe_lint.prove.process import Program
from sigpipe_lint.prove.run import ServerSpec, ask, start_server as _start_server

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
FIXTURES = REPO / "fixtures" / "runtime"
PY = sys.executable

DEATH_TIMEOUT = 10.0  # from the kill to the program's exit (normally well under 1 s)

ERRORS = ("BrokenPipeError", "ConnectionResetError")

# protocol -> (the long request a client dies on, the short request of a fresh
# connection, what its answer contains)
REQUESTS = {
    "line": (b"STREAM\n", b"PING\n", b"PONG"),
    "http": (b"GET /stream HTTP/1.0\r\n\r\n", b"GET /ping HTTP/1.0\r\n\r\n", b"pong"),
}


def headers(path: Path) -> Dict[str, str]:
    """The `# key: value` comment lines at the top of a fixture."""
    out: Dict[str, str] = {}
    for line in path.read_text().splitlines():
        m = re.match(r"#\s*(runtime|dies|protocol):\s*(\S+)", line)
        if m:
            out[m.group(1)] = m.group(2)
        elif line.strip() and not line.startswith("#"):
            break
    return out


def fixtures_of(kind: str) -> List[Path]:
    return sorted(p for p in FIXTURES.glob("*.py") if headers(p).get("runtime") == kind)


def start_server(script: Path) -> "tuple[Program, int]":
    """The server fixture, started and listening (it prints `listening PORT`)."""
    server, (_host, port) = _start_server([PY, script], ServerSpec(port_from_output=r"^listening (\d+)"),
                                          cwd=script.parent)
    return server, port


def probe(port: int, protocol: str, timeout: float = 10.0) -> bytes:
    """A fresh connection: send the short request, read the answer."""
    return ask(("127.0.0.1", port), REQUESTS[protocol][1], timeout)


def fix_copy(src: Path, dest_dir: Path) -> Path:
    """Copy `src` into dest_dir and fix the copy as `prove --fix` does (every rule, unsafe
    fixes included); the copy must have changed and compile."""
    _argv, _env, fixed = make_fixed_copy([str(src)], [str(src)], src.parent, dest_dir)
    dest = Path(fixed[0].copy)
    after = dest.read_text()
    problems = []
    if not fixed[0].changed:
        problems.append("the file was not changed")
    try:
        compile(after, str(dest), "exec")
    except SyntaxError as e:
        problems.append(f"the fixed file does not compile: {e}")
    if problems:
        raise AssertionError(f"fixing {src.name}: {'; '.join(problems)}\n--- fixed file ---\n{after}")
    return dest
