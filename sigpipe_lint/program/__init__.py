"""The program view: what a module needs to know of the other modules of its program.

- `resolve.py`: from a file to its project, from a module name to a file (no libcst);
- `summary.py`: what other modules need to know of one module, from its facts;
- `view.py`: `Program`, which answers the questions, lazily, with summaries cached by content.

Importing this package imports no libcst: the adapters and the runner use `resolve` in
processes that may never parse a file.
"""

from __future__ import annotations

from typing import Optional

_PROGRAM = None


def get_program(cache_dir: Optional[str] = None):
    """The process's program view (one per process: summaries are shared by its files)."""
    global _PROGRAM
    from sigpipe_lint.program.view import Program

    if _PROGRAM is None:
        _PROGRAM = Program(cache_dir)
    elif cache_dir and _PROGRAM.cache_dir is None:
        _PROGRAM.cache_dir = cache_dir
    return _PROGRAM


def forget_program() -> None:
    """Start the next reading of the program afresh: a command run again in the same
    process (an editor, a test suite calling `main()`) must see the files as they are now,
    not as the last run read and summarised them."""
    global _PROGRAM
    from sigpipe_lint.prefilter import forget_projects

    _PROGRAM = None
    forget_projects()
