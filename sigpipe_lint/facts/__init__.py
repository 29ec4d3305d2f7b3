"""Step 4 of the pipeline: everything a rule may ask about one module, learnt in one walk.

The layers, one file each:

- `names.py`: scopes, bindings and the walk; what a name means (`qname`), call sites.
- `sockets.py`: which expressions are sockets, socket files or descriptors; the writes.
- `streams.py`: asyncio streams (open_connection, start_server callbacks), drains,
  `wait_closed()`, `loop.sock_sendall`; where a coroutine's exception surfaces.
- `guards.py`: which `except` clauses and context managers catch a dead peer's exceptions.
- `signals.py`: SIGPIPE dispositions set in the module.

`ModuleFacts` is all four on one object: the walk runs once, then questions are answered
lazily and memoised.
"""

from __future__ import annotations

from typing import Dict, List, Optional

import libcst as cst

from sigpipe_lint.facts.guards import EXCEPTION_ANCESTORS, PEER_DEATH, GuardFacts
from sigpipe_lint.facts.names import (
    Binding,
    ClassInfo,
    Ctx,
    FunctionInfo,
    Guard,
    ModuleNames,
    Scope,
    arg_at,
    call_name,
    dotted,
    keyword_arg,
    positional_args,
)
from sigpipe_lint.facts.signals import SignalCall, SignalFacts
from sigpipe_lint.facts.streams import StreamFacts
from sigpipe_lint.facts.sockets import (
    FILE_WRITE_METHODS,
    FLAG_METHODS,
    HANDLER_BASES,
    SEND_METHODS,
    SOCKET_CONSTRUCTORS,
    SockInfo,
    SocketFacts,
    Write,
)


class ModuleFacts(ModuleNames, SocketFacts, StreamFacts, GuardFacts, SignalFacts):
    """The facts of one module. With a `program` (sigpipe_lint.program.view.Program) and the
    file's `path`, names imported from other modules are resolved through their summaries;
    without, the module is analysed alone."""

    def __init__(self, module: cst.Module, program=None, path: Optional[str] = None, file: Optional[str] = None):
        self._scache: Dict[tuple, Optional[SockInfo]] = {}
        self._gcache: Dict[tuple, object] = {}
        self.path = path
        self.file = file or path  # the file's name even when the module is analysed alone (a test module?)
        self.program = program if path is not None else None
        modname, is_package = None, False
        if path is not None:
            from sigpipe_lint.program.resolve import module_of

            modname, _root, is_package = module_of(path)
        self._search_paths = None
        self._init_names(module, modname, is_package)
        self.writes: List[Write] = self._find_writes()
        self.sigpipe_calls: List[SignalCall] = self._find_signal_calls()


    @property
    def search_paths(self):
        if self._search_paths is None:
            from sigpipe_lint.program.resolve import search_path

            self._search_paths = search_path(self.path) if self.path else ()
        return self._search_paths


__all__ = [
    "EXCEPTION_ANCESTORS",
    "FILE_WRITE_METHODS",
    "FLAG_METHODS",
    "HANDLER_BASES",
    "PEER_DEATH",
    "SEND_METHODS",
    "SOCKET_CONSTRUCTORS",
    "Binding",
    "ClassInfo",
    "Ctx",
    "FunctionInfo",
    "Guard",
    "ModuleFacts",
    "Scope",
    "SignalCall",
    "SockInfo",
    "Write",
    "arg_at",
    "call_name",
    "dotted",
    "keyword_arg",
    "positional_args",
]
