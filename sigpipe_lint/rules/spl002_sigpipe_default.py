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
    Unsafe (`--unsafe-fixes`): the reset line is replaced by a `sys.excepthook` that, for an
    uncaught `BrokenPipeError` while stdout's reader is gone (checked with `poll`: the pipe
    reports POLLERR), points stdout at `/dev/null` and lets the program end quietly; any
    other exception, a dead socket peer included, is reported as before. SIGPIPE stays
    ignored, so socket writes raise exceptions that code can handle. It is unsafe because
    the exit status of `cli | head` becomes 1 instead of 141, code between the failed
    `print` and the end of the program may now run (the signal used to stop it at once),
    and an application's own `except` around `print` now sees the error. Offered only when
    the reset is a statement of its own.
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
signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # quiet `| head`
""",
            line=3,
            column=1,
            unsafe_fixed='''
import signal
import os
import select
import sys
def _sigpipe_lint_quiet_stdout(exc_type, exc, tb, _previous=sys.excepthook):
    """`cli | head`: exit quietly once stdout's reader is gone; report anything else as before."""
    if issubclass(exc_type, BrokenPipeError):
        try:
            poller = select.poll()
            poller.register(sys.stdout.fileno(), select.POLLOUT)
            broken = any(event & select.POLLERR for _, event in poller.poll(0))
        except (AttributeError, OSError, ValueError):
            broken = False
        if broken:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return
    _previous(exc_type, exc, tb)
sys.excepthook = _sigpipe_lint_quiet_stdout  # quiet `| head`
''',
        ),
        Invalid(
            """
from signal import *
signal(SIGPIPE, SIG_DFL)
""",
            line=3,
            unsafe_fixed='''
from signal import *
import os
import select
import sys
def _sigpipe_lint_quiet_stdout(exc_type, exc, tb, _previous=sys.excepthook):
    """`cli | head`: exit quietly once stdout's reader is gone; report anything else as before."""
    if issubclass(exc_type, BrokenPipeError):
        try:
            poller = select.poll()
            poller.register(sys.stdout.fileno(), select.POLLOUT)
            broken = any(event & select.POLLERR for _, event in poller.poll(0))
        except (AttributeError, OSError, ValueError):
            broken = False
        if broken:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return
    _previous(exc_type, exc, tb)
sys.excepthook = _sigpipe_lint_quiet_stdout
''',
        ),
        Invalid(
            """
import signal as sg
def main():
    sg.signal(sg.SIGPIPE, sg.Handlers.SIG_DFL)
""",
            line=4,
            column=5,
            unsafe_fixed='''
import signal as sg
import os
import select
import sys
def main():
    def _sigpipe_lint_quiet_stdout(exc_type, exc, tb, _previous=sys.excepthook):
        """`cli | head`: exit quietly once stdout's reader is gone; report anything else as before."""
        if issubclass(exc_type, BrokenPipeError):
            try:
                poller = select.poll()
                poller.register(sys.stdout.fileno(), select.POLLOUT)
                broken = any(event & select.POLLERR for _, event in poller.poll(0))
            except (AttributeError, OSError, ValueError):
                broken = False
            if broken:
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                return
        _previous(exc_type, exc, tb)
    sys.excepthook = _sigpipe_lint_quiet_stdout
''',
        ),
    ]

    def check(self, facts) -> Iterable[Report]:
        from sigpipe_lint.fixes import plan_quiet_stdout  # libcst only when analysing
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
            elsewhere = facts.program_writes_reached()
            if elsewhere:
                msg += f"; it reaches the socket writes of this program elsewhere too: {elsewhere}"
            msg += "; keep SIGPIPE ignored and handle BrokenPipeError on stdout instead"
            fixes = [p for p in (plan_quiet_stdout(s.ctx, s.call),) if p]
            yield Report(s.call, msg, related=writes, fixes=fixes)
