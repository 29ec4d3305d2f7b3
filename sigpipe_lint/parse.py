"""Step 3 of the pipeline: bytes -> libcst Module, or one clear reason why not."""

from __future__ import annotations

import sys
from typing import Tuple, Union

import libcst as cst

# libcst's code generation recurses once per nesting level; deep but valid code needs room.
_RECURSION_LIMIT = 20000


class ParseFailure(Exception):
    """The file cannot be analysed; str(self) is the one-line reason."""


def parse(source: bytes) -> cst.Module:
    if sys.getrecursionlimit() < _RECURSION_LIMIT:
        sys.setrecursionlimit(_RECURSION_LIMIT)
    try:
        return cst.parse_module(source)
    except cst.ParserSyntaxError as e:
        raise ParseFailure(f"syntax error at line {e.raw_line}, column {e.raw_column + 1}: {e.message}") from None
    except UnicodeDecodeError as e:
        raise ParseFailure(f"cannot decode: {e.reason} at byte {e.start} ({e.encoding})") from None
    except LookupError as e:  # unknown coding cookie
        raise ParseFailure(f"cannot decode: {e}") from None
    except SyntaxError as e:  # pragma: no cover - libcst raises its own, kept for safety
        raise ParseFailure(f"syntax error: {e}") from None
    except RecursionError:
        raise ParseFailure("too deeply nested to parse") from None
    except (ValueError, TypeError) as e:  # e.g. NUL bytes
        raise ParseFailure(f"cannot parse: {e}") from None
