"""Module facts, layer 4: where SIGPIPE's disposition is set, and to what."""

from __future__ import annotations

import dataclasses
from typing import List, Set

import libcst as cst

from sigpipe_lint.facts.names import Ctx, arg_at


@dataclasses.dataclass
class SignalCall:
    """One `signal.signal(SIGPIPE, ...)` or `pthread_sigmask(SIG_BLOCK, {SIGPIPE})`."""

    call: cst.Call
    ctx: Ctx
    disposition: str  # "default", "ignore", "handler", "block"
    in_child: bool  # runs only in a child process (preexec_fn)


class SignalFacts:
    def _find_signal_calls(self) -> List[SignalCall]:
        out: List[SignalCall] = []
        child_funcs = self._child_only_functions()
        for call, ctx in self.calls_named("signal.signal"):
            if self.qname(call.func, ctx.scope) != "signal.signal":
                continue
            signum = arg_at(call, 0, "signalnum")
            handler = arg_at(call, 1, "handler")
            if signum is None or handler is None:
                continue
            if self.qname(signum, ctx.scope) != "signal.SIGPIPE":
                continue
            hq = self.qname(handler, ctx.scope)
            if hq == "signal.SIG_DFL":
                disp = "default"
            elif hq == "signal.SIG_IGN":
                disp = "ignore"
            else:
                disp = "handler"
            in_child = ctx.func is not None and id(ctx.func) in child_funcs
            out.append(SignalCall(call, ctx, disp, in_child))
        for call, ctx in self.calls_named("signal.pthread_sigmask"):
            if self.qname(call.func, ctx.scope) != "signal.pthread_sigmask":
                continue
            how = arg_at(call, 0, "how")
            mask = arg_at(call, 1, "mask")
            if how is None or mask is None:
                continue
            if self.qname(how, ctx.scope) == "signal.SIG_BLOCK" and self.mentions(
                mask, ctx.scope, ("signal.SIGPIPE",)
            ):
                out.append(SignalCall(call, ctx, "block", False))
        return out

    def _child_only_functions(self) -> Set[int]:
        """Functions passed as `preexec_fn`: they run in the child process only."""
        out: Set[int] = set()
        for value, ctx in self.preexec_values:
            if isinstance(value, cst.Lambda):
                for f in self.functions:
                    if f.node is value:
                        out.add(id(f))
            elif isinstance(value, cst.Name):
                bs, _ = self.lookup(value.value, ctx.scope)
                for b in bs or ():
                    if b.kind == "def":
                        out.add(id(b.info))
        # A function only ever called from such functions runs there too.
        changed = True
        while changed:
            changed = False
            for f in self.functions:
                if id(f) in out or f.node is None or isinstance(f.node, cst.Lambda):
                    continue
                sites = self.call_sites(f)
                if sites and all(c.func is not None and id(c.func) in out for _, c in sites):
                    out.add(id(f))
                    changed = True
        return out

    # -- protection ---------------------------------------------------------------------

    @property
    def has_sigpipe_policy(self) -> bool:
        return any(s.disposition in ("ignore", "handler", "block") for s in self.sigpipe_calls)

    def sigpipe_resets_in_program(self) -> str:
        """Where SIGPIPE is reset to SIG_DFL in this process, as words ("" when nowhere):
        this module, or (program view) the package `__init__` files above it and the
        project's scripts that import its package."""
        if any(s.disposition == "default" and not s.in_child for s in self.sigpipe_calls):
            return "this module"
        if self.program is None or self.path is None:
            return ""
        found = self.program.resets_for(self.path)
        if not found:
            return ""
        import os

        from sigpipe_lint.program.resolve import project_root

        root = project_root(os.path.dirname(os.path.abspath(self.path))) or os.getcwd()
        return " and ".join(os.path.relpath(p, root) for p, _ in found[:2])

    def passes_nosignal(self, write) -> bool:
        """The write's own call passes MSG_NOSIGNAL: the signal cannot kill at that call."""
        return any(
            self.mentions(a.value, write.ctx.scope, ("socket.MSG_NOSIGNAL",)) for a in write.call.args
        )

    def program_writes_reached(self) -> str:
        """The other modules' socket writes a reset here reaches, as words ("" if none):
        when this module is a package `__init__` or a script of its program."""
        if self.program is None or self.path is None:
            return ""
        import os

        if os.path.basename(self.path) not in ("__init__.py", "__main__.py") and not self.has_main_guard():
            return ""
        found = self.program.writes_under(self.path)
        if not found:
            return ""
        from sigpipe_lint.program.resolve import project_root

        root = project_root(os.path.dirname(os.path.abspath(self.path))) or os.getcwd()
        total = sum(len(labels) for _, labels in found)
        shown = ", ".join(
            f"{os.path.relpath(p, root)} ({', '.join(dict.fromkeys(labels))})" for p, labels in found[:5]
        )
        more = f" and {len(found) - 5} more modules" if len(found) > 5 else ""
        return f"{total} write(s) in {shown}{more}"
