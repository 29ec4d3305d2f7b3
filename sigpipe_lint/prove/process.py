"""A program under proof: its own session (so its whole process group can be killed),
stdout and stderr read line by line in threads, every wait bounded.

Nothing here sleeps to synchronise: readers are threads feeding a Condition, and every
wait has a deadline.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
from typing import List, Mapping, Optional, Sequence


class Stream:
    """Collects a pipe's lines in a thread; `wait_for` waits on them with a deadline."""

    def __init__(self, pipe):
        self._pipe = pipe
        self._lines: List[str] = []
        self._cond = threading.Condition()
        self._eof = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        try:
            for raw in iter(self._pipe.readline, b""):
                with self._cond:
                    self._lines.append(raw.decode(errors="replace"))
                    self._cond.notify_all()
        except (OSError, ValueError):  # the pipe was closed under us
            pass
        finally:
            with self._cond:
                self._eof = True
                self._cond.notify_all()

    @property
    def text(self) -> str:
        with self._cond:
            return "".join(self._lines)

    def wait_for(self, pattern: str, timeout: float, alive=None) -> Optional["re.Match[str]"]:
        """First match of `pattern` in a line; None at EOF, at the deadline, or when
        `alive()` turns false (checked at each wake-up, at least every 0.1 s)."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        seen = 0
        with self._cond:
            while True:
                for line in self._lines[seen:]:
                    m = rx.search(line)
                    if m:
                        return m
                seen = len(self._lines)
                left = deadline - time.monotonic()
                if self._eof or left <= 0 or (alive is not None and not alive()):
                    return None
                self._cond.wait(min(left, 0.1))

    def close(self, timeout: float = 5.0):
        """Wait (bounded) for EOF. A pipe still held open by an escaped grandchild is left
        to the daemon reader: closing it under a blocked readline() would block too."""
        self._thread.join(timeout)
        if not self._thread.is_alive():
            self._pipe.close()


LIVE: "set[Program]" = set()  # started and not yet stopped: what an interrupt must stop


def stop_all() -> None:
    for prog in list(LIVE):
        prog.stop()


class Program:
    """A subprocess in a new session; `stop()` kills its whole process group.

    The group outlives its leader while any child is left, so `stop()` also reaps the
    children a program forked (unless they started a session of their own)."""

    def __init__(self, argv: Sequence[str], cwd=None, env: Optional[Mapping[str, str]] = None, stdin=None):
        self.argv = [str(a) for a in argv]
        self.p = subprocess.Popen(
            self.argv, cwd=cwd, env=None if env is None else dict(env),
            stdin=subprocess.DEVNULL if stdin is None else stdin,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            start_new_session=True,
        )
        self._stopped = False
        LIVE.add(self)  # first: an interrupt from here on finds it
        self.pgid = self.p.pid  # a session leader's group id is its pid
        self.out = Stream(self.p.stdout)
        self.err = Stream(self.p.stderr)

    @property
    def pid(self) -> int:
        return self.p.pid

    def alive(self) -> bool:
        return self.p.poll() is None

    def poll(self) -> Optional[int]:
        return self.p.poll()

    def wait(self, timeout: float) -> Optional[int]:
        """The return code, or None if still running at the deadline."""
        try:
            return self.p.wait(timeout=max(0.0, timeout))
        except subprocess.TimeoutExpired:
            return None

    def expect_line(self, pattern: str, timeout: float) -> Optional["re.Match[str]"]:
        m = self.out.wait_for(pattern, timeout, alive=self.alive)
        if m is None:
            m = self.out.wait_for(pattern, 0.5)  # a line written just before exiting
        return m

    def kill_group(self, sig: int = signal.SIGKILL) -> None:
        try:
            os.killpg(self.pgid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def stop(self, grace: float = 0.0) -> Optional[int]:
        """Kill the process group (SIGTERM first when `grace` > 0), reap the leader, drain
        the readers. Idempotent. Returns the leader's return code."""
        if not self._stopped:
            self._stopped = True
            try:
                if grace > 0 and self.p.poll() is None:
                    self.kill_group(signal.SIGTERM)
                    self.wait(grace)
            finally:
                self.kill_group(signal.SIGKILL)
                try:
                    self.p.wait(timeout=10)
                except subprocess.TimeoutExpired:  # pragma: no cover - unkillable (D state)
                    pass
                self.out.close()
                self.err.close()
                LIVE.discard(self)
        return self.p.poll()

    def describe(self) -> str:
        return (f"$ {' '.join(self.argv)}\n--- stdout ---\n{self.out.text}"
                f"--- stderr ---\n{self.err.text}")
