"""Importing this module imports libcst in half the time: its node classes' generated methods
are compiled when first called, not when each class is made.

libcst makes about 200 frozen dataclasses at import. For each, `dataclasses` writes the
source of `__init__`, `__repr__`, `__eq__`, `__setattr__` and `__delattr__` (978 functions)
and compiles it: 0.15 s of the 0.25 s that `import libcst` takes here, in every process
that analyses (each worker, and a one-file run such as the pre-commit hook). A cold run
calls few of them: the parse builds nodes with the short `__init__` of `parse.py`, and
nothing calls a frozen node's `__setattr__`. While libcst is imported by `import_libcst()`,
`dataclasses` hands each class a stand-in that compiles the real function (the same text,
globals and locals) at its first call and calls it from then on: the classes are the same,
their methods do the same. `import libcst`: 0.084-0.136 s against 0.20-0.25 s.

What differs: `inspect.signature()` of such a method says `(*args, **kwargs)`, and so the
docstring dataclasses derives from the `__init__` signature for a class without one.
"""

from __future__ import annotations

import dataclasses
import sys
import threading

_LOCK = threading.Lock()


def import_libcst() -> None:
    """Import libcst (once per process) with its dataclass methods compiled on first call."""
    if "libcst" in sys.modules:
        return
    with _LOCK:
        if "libcst" in sys.modules:
            return
        real = getattr(dataclasses, "_create_fn", None)
        if real is None:  # pragma: no cover - a Python whose dataclasses works otherwise
            import libcst  # noqa: F401

            return
        dataclasses._create_fn = _lazy(real)  # type: ignore[attr-defined]
        try:
            import libcst  # noqa: F401,F811
        finally:
            dataclasses._create_fn = real  # type: ignore[attr-defined]


def _lazy(real):
    def create_fn(name, args, body, *, globals=None, locals=None, return_type=dataclasses.MISSING):
        made = []
        # The caller may change its dicts after this returns ("callers beware"): keep copies.
        args = list(args)
        body = list(body)
        locals = dict(locals) if locals is not None else None

        def method(*a, **kw):
            if not made:
                made.append(real(name, args, body, globals=globals, locals=locals, return_type=return_type))
            return made[0](*a, **kw)

        method.__name__ = name
        return method

    return create_fn


import_libcst()
