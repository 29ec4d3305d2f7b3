"""What the workers' fork server loads once, before it forks them (see runner._pool_context).

Each worker then starts with the engine imported (0.23 s of a fresh process) and the
parse's node constructors built (0.02 s), instead of doing both itself. The command line
is loaded too: a worker re-imports the program's main module, which is `sigpipe-lint`'s
script (`from sigpipe_lint.cli import main`).
"""

from sigpipe_lint import cli, engine, runner  # noqa: F401 - loaded for the workers
from sigpipe_lint.parse import _fast_inits

_fast_inits()
