#!/usr/bin/env python3
"""Mutation check: do the fast tests fail when the engine's decisions are wrong?

    python benchmarks/mutation.py                  # every mutant of the default files
    python benchmarks/mutation.py --list           # the mutants, nothing run
    python benchmarks/mutation.py --jobs 2 --timeout 120 --files sigpipe_lint/facts/guards.py

Each mutant flips one decision in the layers that say what is a socket and what guards
(`sigpipe_lint/facts/guards.py`, `sockets.py`, and the program view's files under
`sigpipe_lint/program/` when they exist), then runs the fast tests (TESTS below) on a copy
of the repository holding the mutant. A mutant is killed when a test fails (or the run
times out), and survives when every test passes. The decisions flipped, found with `ast`:

- `return True` <-> `return False`; `return <expr>` -> `return None`;
- `==` <-> `!=`, `in` <-> `not in`, `is` <-> `is not`;
- an `if`/`elif`/`while`/conditional-expression test -> `not (test)`;
- `and` <-> `or`;
- `True` <-> `False` given as a value (a keyword argument, an assignment);
- one string entry of a module-level table (a set, tuple, list or dict of names: socket
  sources, write methods, exception ancestors, ...) replaced by a name that matches nothing.

A line ending in `# pragma: no mutate` is skipped: only for mutants that cannot change a
result (a memo's cycle guard, say), and each needs the reason beside it.

How it runs: the parent imports pytest and libcst once, then forks a child per mutant; the
child drops the editable-install finder, puts the mutant's copy first on sys.path and runs
pytest in-process (-x: the first failure kills it). Each worker owns one copy of the
repository and restores the mutated file after each mutant.

Output: killed / total, and the survivors listed with file:line and the change, so that a
test can be written for each one that matters.

Measured 2026-11-30 (2 cores shared with five other sessions, load 10-14: a full run of the
1,005 mutants of guards.py and sockets.py would take hours here, so a fixed sample was run):

    python benchmarks/mutation.py --files sigpipe_lint/facts/guards.py \
        sigpipe_lint/facts/sockets.py --sample 4 --jobs 2          # at ded865d
    -> sample: 252 of the 1005 mutants; killed 207, survived 45: 82.1 % (1,482 s)

  Tests were then written for the survivors (tests/test_protection_examples.py: __exit__
  forms, generator managers, every peerless family and handler base, container idioms,
  write forms) and the 45 run again on the code with them (`--rerun`, matched to the
  nearest mutant with the same change, since the code had moved: a merge of the program
  view in between):
    -> 32 of the 45 killed, 13 survive: 239/252 = 94.8 % of the sample.

  Still alive then (judged not worth a test, or equivalent): a table entry for
  `assertRaisesRegexp` (a deprecated alias); the request/connection/wfile entries of three
  handler bases (tested since for every base, not re-run); `self_cls is cls or ...` (the
  `or` side only matters for a method judged through a subclass); a peerless family's
  SockInfo -> None (both mean "not reported"); `stream=True` of wrap_socket (sendto on TLS);
  a loopback pair's `local=True` -> None at one of its two marks (the other mark covers it);
  and/or flips in guards of `_sock_at` paths, `sendmsg` with an address, TLS `write`, the
  alias binding check and streams.py's index. The once-a-line mutants of the program view
  (sigpipe_lint/program/) were not run then: see the next run.

The program view and facts/signals.py, measured 2026-11-30 (same machine, load 4-10; the
killers are TESTS below, the fast suite's program, fixture and example tests: the whole fast
suite takes 6-20 minutes a run here). resolve.py and summary.py: every mutant; view.py and
signals.py: every 2nd (`--sample 2 --offset 0`). Before, at 053d693 (TESTS with
test_program_view.py, whose subprocess runs now import the mutant, and without
test_program_decisions.py, which did not exist yet):

    python benchmarks/mutation.py --jobs 2 --files sigpipe_lint/program/resolve.py \
        sigpipe_lint/program/summary.py   # a run over all four files, stopped after these two
    python benchmarks/mutation.py --jobs 2 --sample 2 --files sigpipe_lint/program/view.py \
        sigpipe_lint/facts/signals.py
    -> resolve.py  46/56  = 82.1 %      summary.py 49/72  = 68.1 %
       view.py     68/118 = 57.6 %      signals.py 22/39  = 56.4 %   (sample of view.py, signals.py)

  Tests were written for the survivors (tests/test_program_decisions.py) and three engine
  bugs they showed were fixed: a tuple `(socket.error, extra())` imported from another module
  was no guard (one element the summary could not name dropped the tuple); an `__exit__`
  returning `issubclass(exc_type, OSError)` in another module was no guard (the byte
  pre-check wanted `return True`); a call through `from .net import send as push` was not a
  caller of send() (neither recorded nor found by the scan). After, same commands and
  selection (view.py and summary.py had grown in between by other merges, method callers
  among them, so their mutant sets differ; the killers now include both program test files):

    -> resolve.py  55/56   = 98.2 %     summary.py 70/75  = 93.3 %   (at ca4dd24, 465 s)
       view.py    135/148  = 91.2 %     signals.py 36/39  = 92.3 %   (sample; at e8df424:
                                        1dd11f1 but for one line of view.py, 1,807 s)
  Two more tests then (which files are tests; a same-named function in a module that can be
  read), and the 16 survivors of the sample run again (`--rerun`, at ca4dd24, 148 s): 4 killed,
  so view.py 139/148 = 93.9 %. Together 300/318 = 94.3 % of the mutants run, before 185/285.

  Left alive, judged equivalent (no result can change) unless said otherwise:
  - resolve.py `not p or not os.path.isdir(p)` -> and: `_search_path` drops non-folders again;
  - summary.py `b.kind == "value" and dotted(...)` -> or: `qname` is None exactly where
    `dotted` is (anything but a name or an attribute chain);
  - summary.py `f"{mod}.{c.name}" if mod else c.name` negated: ClassSummary.qname is never read;
  - summary.py `q.startswith(("<local>.", "builtins.")) or ... in OPAQUE` -> and: calls of the
    module's own functions and of OPAQUE modules get recorded, and nobody asks for them
    (`callers` skips the defining file; an OPAQUE module is never the callee's);
  - summary.py `len(qs) == 1 and None not in qs` -> or: NOT equivalent, left: a name bound to
    two different things (try/except ImportError) becomes an alias of one of them chosen by
    set order, so a test would depend on the hash seed;
  - summary.py `elems and any(<a tuple binding>)` -> or: NOT equivalent, left: a name bound to
    one class in each branch (`E = socket.error` / `E = ValueError`) counts as the tuple of
    both; the module's own analysis (guards.covers over value_exprs) already counts it so, so
    the mutant is the consistent one: a question for the engine, not a missing test;
  - view.py SKIP_DIRS entries `.git`, `.svn`, `.nox`, `.eggs` (and the other dot folders):
    every folder starting with `.` is skipped by the next condition;
  - view.py byte pre-checks widened (`name in defined or exits`, `SIGPIPE or SIG_DFL`,
    `data is None and not may_match`): the summary still decides, only the cost changes;
  - view.py `qname.split(".")[0] in OPAQUE` dropped from `locate`: the facts answer these
    modules from their tables first; reading their source costs time and, as far as the
    suite and a reading of the tables show, answers the same or nothing (judged, not proven);
  - view.py `abspath(f) == abspath(path) or f in candidates` -> and: an `__init__` that is
    also a script importing its own package would be named twice in a message;
  - signals.py SIG_IGN and a handler swapped: both are a policy and nothing reads which;
    `how is None or mask is None` -> and: a missing argument names no SIG_BLOCK or SIGPIPE;
    `program is None or path is None` -> and: the engine passes a path exactly when it
    passes a program (engine.analyze_source).
  Two signals.py mutants hang the child-process fixpoint (`changed = True` kept, `or` -> `and`
  in its skip test): timeouts, counted as killed.

The asyncio streams layer and the names layer (facts/streams.py, facts/names.py), measured
2026-11-30 (same machine, load 3-4), every 3rd mutant (`--sample 3 --offset 0`: 296 of 888;
a full run would not have finished in the session). Before, at e4adbfc:

    python benchmarks/mutation.py --jobs 2 --sample 3 --files sigpipe_lint/facts/streams.py \
        sigpipe_lint/facts/names.py                                       # 1,359 s
    -> streams.py  59/87  = 67.8 %      names.py  157/209 = 75.1 %   (together 216/296 = 73.0 %)

  Tests were written for the survivors (tests/test_asyncio.py: asyncio.streams spellings,
  create_task by name, wait_for/shield/gather, a bare except around a TaskGroup, sendfile
  never awaited or on an unknown transport, the messages of each asyncio write;
  tests/test_protection_examples.py: alias spellings, getattr and enum-value constants,
  handler bases that are either of two, spawner spellings and keywords, functions kept for
  later, which calls are a method's callers; tests/test_program_decisions.py: which files are
  scripts) and three engine bugs they showed were fixed: `asyncio.wait_for(fut=...)` (the
  keyword is `fut`, not the docs' `aw`) handed on no writer; a start_server lambda passing
  its writer by keyword (`lambda r, w: session(r, writer=w)`) marked no parameter; and
  `from gevent.socket import error` was no guard (an alias of an alias stopped one step short
  of OSError). After, the 80 survivors again (`--rerun`, at 4b44276, 461 s; one streams.py
  mutant is gone with the line the keyword fix rewrote, and two `return True` mutants of
  names.py that the rerun matched to the wrong line at a tie were run with `--line`; then
  one more test, names.py:1107 killed with `--line`):

    -> streams.py  83/87  = 95.4 %      names.py  189/209 = 90.4 %   (together 272/296 = 91.9 %;
       streams.py's 83 counts the mutant whose line the fix rewrote: it no longer exists)

  Left alive, judged equivalent (no result can change) unless said otherwise:
  - streams.py `stream=True` of the openers -> False: `SockInfo.stream` is read only for
    kind "socket" (sendto/sendmsg with an address); a writer is kind "stream";
  - streams.py sock_accept's `info.kind == "socket" and not info.dgram` -> or, and
    `call.args` in the drain/wait_closed skip (or -> and): they differ only on code that
    raises first (sock_accept on a pair, file, writer or fd; `w.drain(x)`, which takes no
    argument);
  - streams.py `_method_class(ctx)` -> None: `self_cls` only changes sock_info's answer for
    a subclass of the class `self` is bound to, and at the write's own function it is that
    class (or None in a nested function): `_self_cls_of` answers the same class;
  - names.py `builtins.WindowsError`: not in dir(builtins) on Linux, so only the spelled-out
    `builtins.WindowsError` (an AttributeError here) reaches it; `gevent.ssl.SSLContext`:
    nothing reads `ssl.SSLContext` (any `.wrap_socket()` is TLS);
  - names.py _SKIP_FIELD_PREFIXES entries (rpar, lines_after_decorators, semicolon, operator,
    rbracket, trailing_whitespace, indent, encoding): those fields hold whitespace,
    punctuation and strings; walking them finds nothing and only costs;
  - names.py `return True` -> False of `_h_global`, of `from X import *` and of
    `_h_importfrom`: their children get walked too; an import's names are in
    `imported_names`, which `uses_nosignal` and `handles_broken_pipe_anywhere` read first
    (only `global MSG_NOSIGNAL`/`EPIPE` could differ: not worth a test);
  - names.py `_h_return` `and` -> or: a bare `return` adds (None, scope); sock_info(None) is
    None and `_merge` drops it;
  - names.py the `kwargs` keyword of `_thread.start_new_thread`/`start_new`: builtins that
    take no keyword arguments; the `extend` keeper: `jobs.extend(f)` iterates a function
    (TypeError) and `extend([f])` passes no name;
  - names.py `_instance_of`'s `m is cls or cls in bases` -> and: for a method, the program
    view's method callers (guards.method_callers_elsewhere, by receiver classes) find
    `c = C(); c.push()` too (judged from the tests and the cases above, not proven);
  - names.py `_literal_dict` `and #1` -> or: a call other than dict(...) gives "no
    keywords" instead of "unknown"; either way the parameter is not known to be a socket
    (judged, not proven);
  - names.py `qnames` `b.kind == "value" and isinstance(...)` -> or: NOT equivalent, left:
    it would read a parameter's annotation as its value (`def f(base:
    socketserver.StreamRequestHandler): class H(base)`), contrived code.
  Seen on the way, outside the sample (not in the figures): a `functools.partial` callback's
  `a.keyword is None and not a.star` -> or (streams.py:138), killed since by a test; and in
  the keyword fix's own code, `_param_index`'s `b.kind == "param" and ...` -> or lives (a
  keyword naming no parameter is a TypeError: equivalent on code that runs).

Before this branch, the fast tests (test_rule_examples.py, test_fixtures.py) let an engine
that stopped counting a bare `except:`, an errno.EPIPE test, `contextlib.suppress(...)` or
`getattr(socket, "MSG_NOSIGNAL", 0)` pass; each of these mutants is killed now (the first
table entries of the run above; and `--line` on the `return True` of a bare `except:`, of
`suppress(...)`, of the two errno.EPIPE checks and of the getattr MSG_NOSIGNAL check, with
its condition: 7 of 7 killed, 94 s).

The lines changed on the evening of 2026-11-30 (8d63733..39b73ac: where a write runs,
forwarding proxies, a base's attribute made by a subclass's method, container parameters,
coroutine methods made tasks), every mutant of those lines (`--line` per changed line of
facts/names.py, sockets.py, streams.py, fixes/conversation.py, program/view.py), killers
TESTS plus tests/test_fix_conversation.py, quiet machine:
    -> 160 mutants, killed 127, survived 33: 79.4 % (800 s, 2 workers)
  Tests written for the survivors, then `--rerun`: 22 of the 33 killed; then three more
  proxy shapes and `--line` on sockets.py 274/277/295/297: 16 of 16 killed.
    -> 154/160 = 96 %. Alive: a depth limit (runs_in), a cheap pre-check before asking
  another module whether a class forwards to a socket (x2), a short cut of the container
  parameter's caller list, a sync/async test on a path only coroutines reach, and a parse
  gate that e9bdb09 removed. Then 5dfb938 (folders of scripts), every mutant of its lines in
  program/resolve.py and program/view.py: 17 of 18 killed (the survivor: an unreadable
  folder's `return []` -> `return None`).

The lines changed on the night of 2026-11-30 (b10bdfc..de01f62: holdout 3's misses and false
positives, relays, subclass sockets, methods called on receivers of unknown class, options
that turn a re-raise on, copyfile, sys.exc_info aliases), every mutant of those lines
(`--line` per changed line of facts/guards.py, sockets.py, names.py, fixes/conversation.py),
killers TESTS plus tests/test_fix_conversation.py:
    -> 261 mutants, killed 206, survived 55: 78.9 % (1,239 s, 2 workers)
  Tests written for the survivors (every name the stdlib calls by itself, literal defaults
  of options, an option another method sets, aliases that are not the exception, the
  handler passed as something else, copyfile by keyword and into the socket, pairs taken
  apart by a loop's target), then `--rerun`: 33 of the 55 killed (448 s).
    -> 239/261 = 91.6 %. Alive (21 of this session's lines, and one rerun match on an older
  table entry): `return ()` -> `return None` and and/or flips on paths no real code reaches
  (a parameter with no function, a descriptor walk past a non-element), `stream=True` of a
  StreamWriter subclass (only sendto/sendmsg read it, which a stream writer has not),
  `sendall` in the names the stdlib calls (the write itself is then a call of the name, so
  the method keeps an unguarded caller anyway), the message's fallback label, and the
  literal-default check's structure for a default that is a name.
  Then 8ecb9b2 (an option a call of the module sets otherwise), every mutant of its lines:
  33 of 35 killed (154 s); alive: two and/or flips that only add calls already counted or
  calls that pass nothing for the option.

The lines changed on 2026-12-01 (8a938aa..87f74f9: holdout 4's misses and false positives,
mixins, wake-up socketpairs, wait_closed, copyfile overrides, forked children, the helper
module pre-filter), every mutant of those lines (`--line` per changed line of facts/sockets.py,
names.py, streams.py, program/view.py, summary.py and prefilter.py), killers TESTS plus
tests/test_fix_conversation.py:
    -> 335 mutants, killed 249, survived 86: 74.3 % (2,478 s, 2 workers)
  Tests written for the survivors (what a wake-up pair's reading end may do, socketpair
  shapes the rule does not read, every process spawner, copyfile as a function or another
  class's method, no MSG_NOSIGNAL for a mixin's handler socket), then `--rerun`, cut by its
  900 s limit after 76 of the 86: 39 of those 76 killed.
    -> 288/335 = 86.0 %, with the 10 not rerun (view.py's writes_under pre-filter call and
  prefilter.py's project question) counted as alive. Alive among the rerun: the fork-child
  branch's test forms (`if pid > 0:`, `if pid != 0:`, the else of `if pid:`: only `== 0` and
  `not pid` have tests), `multiprocessing.context.Process` as a base, the context-Process
  binding checks, and/or flips in wait_closed's same-class check, `tls=`/`handler=` of
  the served copyfile parameter (the handler entry says the same), and the subclass gate's
  placeholder kinds.

The lines changed in session 10 (988f864..49189f5: the wake-up end's walk without libcst's
visit, the child-node walk, pytest.raises/assertRaises as guards, the test-runner escape),
every mutant of those lines of facts/sockets.py, names.py, guards.py and streams.py, killers
TESTS:
    -> 120 mutants, killed 111, survived 9: 92.5 % (369 s, 2 workers)
  Tests written for the survivors (expected_exception after another keyword, assertRaises
  on another object than self, each unittest base of a test class, another object's
  attribute named like a wake-up end) and the expectation check split into a predicate and
  a reader of E (no sentinel for an unreadable E), then every mutant of the same lines again:
    -> 115 mutants, killed 114, survived 1: 99.1 % (281 s). Alive: `and` -> `or` in the
  loop that collects a use's three nearest ancestors, which differs only by failing on a
  name fewer than three nodes below the walk's root (a function named like the end it
  holds).
  Then a4d8882 (a class passed as a value is constructed where the value is called), every
  mutant of its lines of names.py: 39 of 44 killed (172 s); tests for the survivors (a local
  name bound to the class, a parameter every call fills with it, a call filling it by **
  only), `--rerun`: 2 of the 5 killed -> 41/44 = 93.2 %. Alive: `return []` -> `return None`
  at the depth limit (both empty to every caller), `and` -> `or` in the parameter test (only
  a `self` binding has an index too, and it never reaches there), and `or` -> `and` in the
  check of the filled arguments (an empty or unknown argument gives no class either way).
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import os
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_FILES = ["sigpipe_lint/facts/guards.py", "sigpipe_lint/facts/sockets.py"]
PROGRAM_GLOB = "sigpipe_lint/program/*.py"
# Cheapest and most discriminating first: -x stops at the first failure.
TESTS = [
    "tests/test_protection_examples.py",
    "tests/test_program_fixtures.py",
    "tests/test_fixtures.py",
    "tests/test_idioms.py",
    "tests/test_asyncio.py",
    "tests/test_rule_examples.py",
    "tests/test_program_decisions.py",
    "tests/test_program_view.py",  # the program view through the CLI, flake8 and the cache
]
NO_MUTATE = "pragma: no mutate"


@dataclass(frozen=True)
class Mutant:
    path: str  # relative to ROOT
    line: int
    start: int  # offsets into the file's text
    end: int
    replacement: str
    what: str

    def apply(self, text: str) -> str:
        return text[: self.start] + self.replacement + text[self.end :]

    def label(self) -> str:
        return f"{self.path}:{self.line}: {self.what}"


# ---------------------------------------------------------------------------------------
# Finding mutants
# ---------------------------------------------------------------------------------------


class _Finder(ast.NodeVisitor):
    def __init__(self, path: str, text: str):
        self.path = path
        self.text = text
        self.lines = text.splitlines(keepends=True)
        self.offsets = [0]
        for line in self.lines:
            self.offsets.append(self.offsets[-1] + len(line))
        self.out: List[Mutant] = []
        self.depth = 0  # function nesting: tables are at depth 0
        self.in_docstring_or_annotation = False

    def off(self, line: int, col: int) -> int:
        # ast columns are UTF-8 byte offsets; our files are ASCII where it matters.
        return self.offsets[line - 1] + len(self.lines[line - 1].encode()[:col].decode(errors="ignore"))

    def seg(self, node) -> Tuple[int, int]:
        return self.off(node.lineno, node.col_offset), self.off(node.end_lineno, node.end_col_offset)

    def add(self, node, start: int, end: int, replacement: str, what: str) -> None:
        line = self.lines[node.lineno - 1]
        if NO_MUTATE in line:
            return
        self.out.append(Mutant(self.path, node.lineno, start, end, replacement, what))

    # decisions -------------------------------------------------------------------------

    def visit_FunctionDef(self, node):
        self.depth += 1
        for stmt in node.body:
            self.visit(stmt)
        self.depth -= 1

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node):
        for stmt in node.body:
            self.visit(stmt)

    def visit_AnnAssign(self, node):
        if node.value is not None:
            self.visit(node.value)

    def visit_Return(self, node):
        v = node.value
        if isinstance(v, ast.Constant) and isinstance(v.value, bool):
            s, e = self.seg(v)
            self.add(node, s, e, str(not v.value), f"return {v.value} -> return {not v.value}")
        elif v is not None and not (isinstance(v, ast.Constant) and v.value is None):
            s, e = self.seg(v)
            self.add(node, s, e, "None", f"return {ast.unparse(v)[:40]} -> return None")
        self.generic_visit(node)

    def visit_If(self, node):
        self._negate(node.test, "if")
        self.generic_visit(node)

    def visit_While(self, node):
        self._negate(node.test, "while")
        self.generic_visit(node)

    def visit_IfExp(self, node):
        self._negate(node.test, "x if ... else y")
        self.generic_visit(node)

    def _negate(self, test, where: str) -> None:
        s, e = self.seg(test)
        text = self.text[s:e]
        self.add(test, s, e, f"not ({text})", f"{where} {ast.unparse(test)[:50]} -> negated")

    def visit_Compare(self, node):
        flips = {ast.Eq: "!=", ast.NotEq: "==", ast.In: "not in", ast.NotIn: "in", ast.Is: "is not", ast.IsNot: "is"}
        left = node.left
        for op, right in zip(node.ops, node.comparators):
            repl = flips.get(type(op))
            if repl is not None:
                s = self.off(left.end_lineno, left.end_col_offset)
                e = self.off(right.lineno, right.col_offset)
                between = self.text[s:e]
                # keep any parenthesis or whitespace around the operator
                core = between.strip().strip("()").strip()
                if core:
                    i = between.index(core)
                    self.add(node, s + i, s + i + len(core), repl, f"{core} -> {repl} in {ast.unparse(node)[:50]}")
            left = right
        self.generic_visit(node)

    def visit_BoolOp(self, node):
        repl = "or" if isinstance(node.op, ast.And) else "and"
        word = "and" if isinstance(node.op, ast.And) else "or"
        many = len(node.values) > 2  # `a and b and c`: say which `and`, or two labels are one
        for k, (a, b) in enumerate(zip(node.values, node.values[1:]), 1):
            s = self.off(a.end_lineno, a.end_col_offset)
            e = self.off(b.lineno, b.col_offset)
            between = self.text[s:e]
            i = between.find(word)
            if i >= 0:
                which = f" #{k}" if many else ""
                self.add(node, s + i, s + i + len(word), repl, f"{word}{which} -> {repl} in {ast.unparse(node)[:50]}")
        self.generic_visit(node)

    def visit_keyword(self, node):
        v = node.value
        if isinstance(v, ast.Constant) and isinstance(v.value, bool):
            s, e = self.seg(v)
            self.add(v, s, e, str(not v.value), f"{node.arg}={v.value} -> {not v.value}")
        self.generic_visit(node)

    def visit_Assign(self, node):
        v = node.value
        if isinstance(v, ast.Constant) and isinstance(v.value, bool):
            s, e = self.seg(v)
            self.add(v, s, e, str(not v.value), f"= {v.value} -> {not v.value}")
        elif self.depth == 0:
            self._tables(v)
        self.generic_visit(node)

    # tables ----------------------------------------------------------------------------

    def _tables(self, value) -> None:
        """Each string entry of a module-level literal table, replaced by one that matches nothing."""
        for node in ast.walk(value):
            if isinstance(node, ast.Dict):
                entries = [k for k in node.keys if k is not None]
            elif isinstance(node, (ast.Set, ast.Tuple, ast.List)):
                entries = node.elts
            else:
                continue
            for k in entries:
                if isinstance(k, ast.Constant) and isinstance(k.value, str) and k.value:
                    s, e = self.seg(k)
                    self.add(k, s, e, repr("<mutant>." + k.value), f"table entry {k.value!r} removed")


def find_mutants(paths: Sequence[str]) -> List[Mutant]:
    out: List[Mutant] = []
    for rel in paths:
        text = (ROOT / rel).read_text(encoding="utf-8")
        finder = _Finder(rel, text)
        finder.visit(ast.parse(text))
        seen = set()
        labels: dict = {}
        for m in finder.out:
            key = (m.start, m.end, m.replacement)
            if key not in seen:
                seen.add(key)
                # Two mutants of a line must not share a label (a --rerun finds them by it).
                n = labels[m.label()] = labels.get(m.label(), 0) + 1
                if n > 1:
                    m = dataclasses.replace(m, what=f"{m.what} ({n})")
                out.append(m)
    return out


# ---------------------------------------------------------------------------------------
# Running them
# ---------------------------------------------------------------------------------------


def _copy_repo(dest: Path) -> None:
    ignore = shutil.ignore_patterns(".git", ".venv", "__pycache__", "*.egg-info", ".sigpipe_lint_cache", "realcode")
    for name in ("sigpipe_lint", "tests", "fixtures", "pyproject.toml"):
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=ignore)
        elif src.exists():
            shutil.copy2(src, dest / name)


def _child(copy: Path, tests: Sequence[str]) -> None:
    """In the forked child: import sigpipe_lint from `copy`, run the tests, exit 0 if all pass."""
    import ctypes

    import pytest

    try:  # die with the parent (PR_SET_PDEATHSIG = 1), so an interrupted run leaves nothing behind
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)
    except (OSError, AttributeError):
        pass
    # Installed pytest plugins (the project's own among them) come from the installed
    # package, not from the copy: load none, these tests need none.
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    sys.dont_write_bytecode = True  # a mutant of the same size and second would leave a stale .pyc
    sys.meta_path[:] = [f for f in sys.meta_path if not getattr(f, "__module__", "").startswith("__editable__")]
    sys.path_importer_cache.clear()
    sys.path.insert(0, str(copy))
    # Tests that run `python -m sigpipe_lint` or flake8 in a subprocess must import the
    # mutant too: PYTHONPATH comes before the editable install's finder (appended last).
    os.environ["PYTHONPATH"] = os.pathsep.join([str(copy), *filter(None, [os.environ.get("PYTHONPATH")])])
    os.chdir(copy)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    import sigpipe_lint

    if not sigpipe_lint.__file__.startswith(str(copy)):
        os._exit(3)  # would test the unmutated engine
    args = ["-x", "-q", "-p", "no:cacheprovider", "-p", "no:randomly", *[t for t in tests if (copy / t).exists()]]
    code = pytest.main(args)
    # Only failing tests kill a mutant; a usage or collection error is an error.
    os._exit({pytest.ExitCode.OK: 0, pytest.ExitCode.TESTS_FAILED: 1}.get(code, 10 + int(code)))


def run_one(copy: Path, mutant: Optional[Mutant], tests: Sequence[str], timeout: float) -> str:
    """'killed', 'survived', 'timeout' (counted as killed) or 'error'."""
    target = copy / mutant.path if mutant else None
    original = target.read_text(encoding="utf-8") if target else None
    if mutant:
        target.write_text(mutant.apply(original), encoding="utf-8")
    try:
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            try:
                _child(copy, tests)
            finally:
                os._exit(4)
        deadline = time.monotonic() + timeout
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                return "timeout"
            time.sleep(0.05)
        code = os.waitstatus_to_exitcode(status)
        if code == 0:
            return "survived"
        if code == 1:
            return "killed"
        return f"error (exit {code})"
    finally:
        if mutant:
            target.write_text(original, encoding="utf-8")


def main(argv: Optional[Sequence[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--files", nargs="*", help="files to mutate, relative to the repository")
    p.add_argument("--tests", nargs="*", default=TESTS)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--timeout", type=float, default=180.0, help="seconds per mutant (a timeout counts as killed)")
    p.add_argument("--list", action="store_true", help="list the mutants and stop")
    p.add_argument("--limit", type=int, default=0, help="run only the first N mutants (a quick look)")
    p.add_argument(
        "--sample", type=int, default=1, metavar="N",
        help="run every N-th mutant only (in file order; --offset picks which): a sample, said so in the output",
    )
    p.add_argument("--offset", type=int, default=0)
    p.add_argument("--line", action="append", default=[], metavar="FILE:LINE", help="only the mutants of these lines")
    p.add_argument("--rerun", metavar="OUTPUT", help="run only the mutants a previous run's output lists as survived")
    args = p.parse_args(argv)

    files = args.files or DEFAULT_FILES + sorted(str(x.relative_to(ROOT)) for x in ROOT.glob(PROGRAM_GLOB))
    mutants = find_mutants(files)
    if args.list:
        for m in mutants:
            print(m.label())
        print(f"{len(mutants)} mutants")
        return 0
    if args.rerun:
        previous = Path(args.rerun).read_text(encoding="utf-8").splitlines()
        # The code may have moved since (a rerun after fixes): each survivor is matched to the
        # mutant with the same file and change whose line is nearest to the old one.
        chosen = []
        for line in previous:
            if not line.startswith("survived: "):
                continue
            label = line[len("survived: ") :]
            old = int(label.split(":", 2)[1])
            same = [m for m in mutants if _unlined(m.label()) == _unlined(label) and m not in chosen]
            if same:
                chosen.append(min(same, key=lambda m: abs(m.line - old)))
        mutants = chosen
    if args.line:
        mutants = [m for m in mutants if f"{m.path}:{m.line}" in args.line]
    found = len(mutants)
    if args.sample > 1:
        mutants = [m for i, m in enumerate(mutants) if i % args.sample == args.offset % args.sample]
    if args.limit:
        mutants = mutants[: args.limit]

    import libcst  # noqa: F401 - imported once in the parent, inherited by every child
    import pytest  # noqa: F401

    # A run stopped with SIGTERM (or SIGINT, ignored in a background job) removes its copies.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="spl-mutation-") as tmp:
        copies = []
        for i in range(max(1, args.jobs)):
            copy = Path(tmp) / f"w{i}"
            copy.mkdir()
            _copy_repo(copy)
            copies.append(copy)
        # The unmutated tests must pass, or every mutant would look killed.
        baseline = run_one(copies[0], None, args.tests, args.timeout)
        if baseline != "survived":
            print(f"the tests fail without any mutant ({baseline}): fix them first", file=sys.stderr)
            return 2
        results = _run_all(mutants, copies, args.tests, args.timeout)
        # ... and must still pass at the end (nothing outside the copies changed under us).
        for copy in copies:
            final = run_one(copy, None, args.tests, args.timeout)
            if final != "survived":
                print(f"the tests fail without any mutant at the end ({final}): results void", file=sys.stderr)
                return 2
    elapsed = time.monotonic() - start

    killed = sum(1 for r in results.values() if r in ("killed", "timeout"))
    errors = [m for m in mutants if results[m].startswith("error")]
    survivors = [m for m in mutants if results[m] == "survived"]
    print(f"files: {', '.join(files)}")
    print(f"tests: {' '.join(t for t in args.tests if (ROOT / t).exists())}")
    if len(mutants) != found:
        print(f"sample: {len(mutants)} of the {found} mutants (--sample {args.sample} --offset {args.offset})")
    print(f"mutants: {len(mutants)}, killed: {killed}, survived: {len(survivors)}, errors: {len(errors)}")
    print(f"score: {killed}/{len(mutants) - len(errors)} = {killed / max(1, len(mutants) - len(errors)):.1%}")
    print(f"time: {elapsed:.0f} s with {len(copies)} workers")
    for m in survivors:
        print(f"survived: {m.label()}")
    for m in errors:
        print(f"error: {m.label()}: {results[m]}")
    return 0


def _unlined(label: str) -> str:
    path, _line, what = label.split(":", 2)
    return f"{path}:{what}"


def _run_all(mutants: List[Mutant], copies: List[Path], tests, timeout) -> dict:
    """Run the mutants on the copies, one forked child per copy at a time."""
    results = {}
    pending = list(mutants)
    running = {}  # pid -> (mutant, copy, original text, deadline)
    free = list(copies)
    total = len(mutants)
    while pending or running:
        while pending and free:
            m = pending.pop(0)
            copy = free.pop()
            target = copy / m.path
            original = target.read_text(encoding="utf-8")
            target.write_text(m.apply(original), encoding="utf-8")
            pid = os.fork()
            if pid == 0:  # pragma: no cover - the child
                try:
                    _child(copy, tests)
                finally:
                    os._exit(4)
            running[pid] = (m, copy, original, time.monotonic() + timeout)
        time.sleep(0.05)
        for pid, (m, copy, original, deadline) in list(running.items()):
            done, status = os.waitpid(pid, os.WNOHANG)
            if not done and time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                result = "timeout"
            elif done:
                code = os.waitstatus_to_exitcode(status)
                result = {0: "survived", 1: "killed"}.get(code, f"error (exit {code})")
            else:
                continue
            results[m] = result
            (copy / m.path).write_text(original, encoding="utf-8")
            del running[pid]
            free.append(copy)
            print(f"[{len(results)}/{total}] {result}: {m.label()}", file=sys.stderr, flush=True)
    return results


if __name__ == "__main__":
    sys.exit(main())
