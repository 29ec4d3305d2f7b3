"""How many files the flake8 plugin parses: the figure in docs/integrations.md.

    python benchmarks/plugin_prefilter.py [--stdlib PATH]

Runs flake8 itself, in one process, over the running interpreter's standard library
without its tests and site-packages (the folders bench.py leaves out), with the plugin's
call into the engine counted and not run: the plugin's own pre-filter decides which files
would be parsed, as in real use. Prints the counts and the parsed files.
"""

from __future__ import annotations

import argparse
import os
import sys
import sysconfig

EXCLUDED = ("test", "tests", "idle_test", "site-packages", "__pycache__")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--stdlib", default=sysconfig.get_paths()["stdlib"])
    args = p.parse_args()

    import flake8
    from flake8.main.cli import main as flake8_main

    import sigpipe_lint.engine as engine
    import sigpipe_lint.flake8_plugin as plugin
    from sigpipe_lint.findings import FileResult

    ran, parsed = [], []
    init = plugin.SigpipeChecker.__init__

    def counting_init(self, tree, lines, filename="-"):
        ran.append(filename)
        init(self, tree, lines, filename)

    def counting_analyze(source, path, *a, **k):  # the plugin imports it at each call
        parsed.append(path)
        return FileResult(path=path)

    plugin.SigpipeChecker.__init__ = counting_init
    engine.analyze_source = counting_analyze
    try:
        flake8_main(["--select", "SPL", "-j", "1", "--exclude", ",".join(EXCLUDED), args.stdlib])
    except SystemExit:
        pass
    given = 0
    for _root, dirs, names in os.walk(args.stdlib):
        dirs[:] = [d for d in dirs if d not in EXCLUDED]
        given += sum(1 for n in names if n.endswith(".py"))
    print(
        f"Python {sys.version.split()[0]}, flake8 {flake8.__version__}, {args.stdlib}: {given} files, "
        f"the plugin ran on {len(ran)} (flake8 skips files marked `# flake8: noqa` and files with syntax errors), parsed {len(parsed)}"
    )
    for path in sorted(parsed):
        print("  ", os.path.relpath(path, args.stdlib))
    return 0


if __name__ == "__main__":
    sys.exit(main())
