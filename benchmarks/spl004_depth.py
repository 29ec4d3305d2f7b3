"""How SPL004's caller depth changes what it reports (run by hand, not by CI).

    python benchmarks/spl004_depth.py [PATH ...]   (default: the installed stdlib)

For each depth, counts SPL004 findings; a finding that disappears with more depth is a
write whose every in-module caller handles the peer's death.
"""

import os
import sys
import sysconfig

from sigpipe_lint.engine import analyze_source
from sigpipe_lint.rules import spl004_unhandled_write as spl004


def files(paths):
    for p in paths:
        for root, dirs, names in os.walk(p):
            dirs[:] = [d for d in dirs if d not in ("site-packages", "__pycache__")]
            yield from (os.path.join(root, n) for n in names if n.endswith(".py"))


def main(argv):
    paths = argv or [sysconfig.get_paths()["stdlib"]]
    sources = [(f, open(f, "rb").read()) for f in files(paths)]
    previous = None
    for depth in (0, 1, 2, 3, 5, 8):
        spl004.CALLER_DEPTH = depth
        found = set()
        for path, src in sources:
            for f in analyze_source(src, path, ["SPL004"]).findings:
                found.add((path, f.line))
        gone = len(previous - found) if previous is not None else 0
        print(f"depth {depth}: {len(found)} SPL004 findings ({gone} fewer than the previous depth)")
        previous = found


if __name__ == "__main__":
    main(sys.argv[1:])
