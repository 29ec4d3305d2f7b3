"""SPL002: SIGPIPE reset to SIG_DFL."""

from __future__ import annotations

from typing import Iterable

from sigpipe_lint.rules.base import Invalid, Report, Rule, Valid


class SigpipeReset(Rule):
    """
    ## What it does
    Reports every `signal.signal(signal.SIGPIPE, signal.SIG_DFL)`, however the names are
    imported (`import signal as sg`, `from signal import *`, `signal.Handlers.SIG_DFL`),
    whether or not the module writes to sockets itself. A reset inside a function that
    only runs in a child process (a function passed as `preexec_fn`, or only called from
    one) is not reported: it affects the child alone.

    ## Why is this bad?
    The reset is a popular idiom to make `cli | head` exit quietly. But the disposition
    belongs to the whole process: from then on, any write to a socket whose peer has died
    (yours, or one inside urllib, requests, a database or MQTT client) kills the process
    by SIGPIPE. Exit status 141 from a shell, returncode -13 from `subprocess`, no
    traceback, no `finally`, no `atexit`, unflushed data lost; every `except
    BrokenPipeError` around those writes becomes dead code. Python's documentation of the
    signal module ("Note on SIGPIPE") advises against it for this reason.

    ## Example
    ```python
    import signal, sys
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)

    def main():
        for line in produce():
            print(line)
    ```

    ## Use instead
    Keep the default (ignored) disposition and handle the broken pipe on stdout, as the
    signal module's documentation recommends:
    ```python
    import os, sys

    def main():
        try:
            for line in produce():
                print(line)
            sys.stdout.flush()
        except BrokenPipeError:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            sys.exit(1)
    ```

    ## Fix safety
    No automatic fix: the right replacement depends on what the program writes to stdout
    and how it should end, so the "Use instead" recipe has to be applied by hand.
    """

    code = "SPL002"
    name = "sigpipe-reset-to-default"
    summary = "SIGPIPE reset to SIG_DFL: any later write to a dead peer kills the process silently"
    default_enabled = True

    VALID = [
        Valid(
            """
import signal
signal.signal(signal.SIGPIPE, signal.SIG_IGN)
"""
        ),
        Valid(
            """
import signal, subprocess
def child():
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
subprocess.Popen(["ls"], preexec_fn=child)
"""
        ),
        Valid(
            """
import subprocess, signal
subprocess.Popen(["ls"], preexec_fn=lambda: signal.signal(signal.SIGPIPE, signal.SIG_DFL))
"""
        ),
        Valid(
            """
SIGPIPE = 13
def signal(a, b): pass
signal(SIGPIPE, 0)
"""
        ),
    ]
    INVALID = [
        Invalid(
            """
import signal
signal.signal(signal.SIGPIPE, signal.SIG_DFL)
""",
            line=3,
            column=1,
        ),
        Invalid(
            """
from signal import *
signal(SIGPIPE, SIG_DFL)
""",
            line=3,
        ),
        Invalid(
            """
import signal as sg
def main():
    sg.signal(sg.SIGPIPE, sg.Handlers.SIG_DFL)
""",
            line=4,
            column=5,
        ),
    ]

    def check(self, facts) -> Iterable[Report]:
        writes = [w.call for w in facts.writes]
        for s in facts.sigpipe_calls:
            if s.disposition != "default" or s.in_child:
                continue
            msg = (
                "SIGPIPE reset to SIG_DFL: from here on a write to a socket whose peer has "
                "died kills the whole process silently (exit 141, no traceback, no finally), "
                "in this module or in any library it calls, and every except around such "
                "writes is dead code"
            )
            if writes:
                msg += "; this module writes to sockets at line(s) {lines}"
            msg += "; keep SIGPIPE ignored and handle BrokenPipeError on stdout instead"
            yield Report(s.call, msg, related=writes)
