"""The asyncio part of the unsafe fix: how the `except` ends a stream's conversation.

`fixes.conversation` finds the owner of the connection and the range of its statements to
wrap, for streams as for sockets: the coroutine that awaits `asyncio.open_connection()`
owns the writer it unpacks; a `start_server` callback is an entry (asyncio runs it for each
client, as a server runs a request handler), and its fix ends that client's connection
only. What differs is how the writer is closed:

    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()

`wait_closed()` after a dead peer raises `BrokenPipeError` or `ConnectionResetError` itself
(semantics.md, fact 16), hence the suppress. The `await` is legal there because the owner
of a stream is a coroutine (a drain only stands in an `async def`); where it is not, the
writer is only closed.
"""

from __future__ import annotations

import libcst as cst

IMPORTS = (("contextlib", None),)


def close_stream_lines(name: str, owner_func) -> str:
    """Close the writer `name`; wait for it, its error suppressed, where `await` is legal."""
    node = getattr(owner_func, "node", None)
    if not (isinstance(node, cst.FunctionDef) and node.asynchronous is not None):
        return f"{name}.close()"
    return f"{name}.close()\nwith contextlib.suppress(OSError):\n    await {name}.wait_closed()"
