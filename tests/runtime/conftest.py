"""Runtime validation (issue 3): run the fixtures, kill their peer, check who survives."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import runtime_harness as h  # noqa: E402


@pytest.fixture(scope="session")
def fixed(tmp_path_factory):
    """fixed(path) -> the fixed copy of a fixture (in a tmp dir), made once per session."""
    cache = {}
    root = tmp_path_factory.mktemp("fixed")

    def get(src: Path) -> Path:
        if src not in cache:
            d = root / src.stem
            d.mkdir()
            try:
                cache[src] = h.fix_copy(src, d)
            except AssertionError as e:
                cache[src] = e
        if isinstance(cache[src], AssertionError):
            raise cache[src]
        return cache[src]

    return get
