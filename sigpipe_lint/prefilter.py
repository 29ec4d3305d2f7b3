"""Step 2 of the pipeline: decide from a file's bytes, before any parse, whether a rule can match.

A rule can only report something in a file that
- mentions SIGPIPE (SPL002 looks for resets of it), or
- both names a source of sockets (`socket`, `ssl` wrappers contain "socket" too, or an
  http.server handler class, whose attributes are sockets) and holds a way to write through
  one: `.send*(`, a socket file (`.makefile(`, `wfile`: its `write`/`flush` need one of
  those to exist) or a descriptor (`fileno`, for `os.write(sock.fileno(), ...)`).

The test suite checks, on the fixtures and the standard library, that no file this drops
holds a finding of the full analysis.
"""

from __future__ import annotations

import re

_SIGPIPE = re.compile(rb"SIGPIPE")
_SOCKET_SOURCE = re.compile(rb"socket|HTTPRequestHandler")
_WRITE = re.compile(
    rb"\.\s*send(?:all|to|msg|file)?\s*\(|\.\s*makefile\s*\(|wfile|fileno"
)


def may_match(source: bytes) -> bool:
    """False only when no rule of sigpipe-lint can report anything in `source`."""
    if _SIGPIPE.search(source):
        return True
    return bool(_SOCKET_SOURCE.search(source)) and bool(_WRITE.search(source))
