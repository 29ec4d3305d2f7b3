"""Issue 10's property test: generated client programs, each run original and fixed
against a peer that dies (FIN and RST); every fixed one must end its conversation.

A seeded enumerator (no hypothesis: the ingredient space is small and every program costs
four real runs) builds programs from the everyday ingredients:

- helper depth 0-2: the call sites write directly, through `send_frame()`, or through
  `publish()` -> `_write()`;
- call sites before, in and after the loop (the loop always writes: it keeps the program
  talking until the peer is killed), in one loop or in two functions with their own loops;
- a worker thread or not (a `Thread(target=...)` function, or a `threading.Thread`
  subclass's `run()` when there is a class);
- a connection class (`Link.send()`/`shutdown()`/`close()`) or a bare socket;
- `with` owning the connection or an explicit `close()`;
- a `shutdown(SHUT_WR)` after the conversation or not.

Every original must die when its peer dies (a traceback; in a thread the process still
exits 0). Every fixed copy (`--fix --unsafe-fixes --select SPL`, applied in-process) must
exit 0, print `client done`, show no traceback, meet the death (the fix's message on
stderr), leave the audit of `audit/sitecustomize.py` silent (no write after the death,
none to a closed socket, no double close) and be clean on a re-check.

CI runs SIGPIPE_LINT_SHAPES programs (default 8: a seeded sample that covers every value
of every ingredient and most pairs of them);
`SIGPIPE_LINT_SHAPES=all` runs every one. The same run outside pytest, in parallel:

    python tests/runtime/test_fix_shapes.py --count all --jobs 2
"""
from __future__ import annotations

import argparse
import itertools
import os
import random
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import runtime_harness as h  # noqa: E402
from fix_audit import AUDIT_MARK, FIX_MESSAGE, audit_env  # noqa: E402

SEED = 10


@dataclass(frozen=True)
class Shape:
    depth: int  # helper levels between a call site and the socket
    before: bool  # a write before the loop(s)
    after: bool  # a write after the loop(s)
    phases: int  # 1: one loop; 2: two functions, each with its own loop
    thread: bool
    cls: bool
    with_: bool
    shutdown: bool

    @property
    def name(self) -> str:
        parts = [f"d{self.depth}", "B" if self.before else "", "I", "A" if self.after else "",
                 f"p{self.phases}", "thread" if self.thread else "", "class" if self.cls else "",
                 "with" if self.with_ else "", "shutdown" if self.shutdown else ""]
        return "-".join(p for p in parts if p)


def all_shapes() -> List[Shape]:
    return [
        Shape(*combo)
        for combo in itertools.product((0, 1, 2), (False, True), (False, True), (1, 2),
                                       (False, True), (False, True), (False, True), (False, True))
    ]


FIELDS = ("depth", "before", "after", "phases", "thread", "cls", "with_", "shutdown")


def sample(count: Optional[int]) -> List[Shape]:
    """`count` shapes (all: None), chosen greedily from a seeded shuffle so that each adds
    as many ingredient values and pairs of values not yet covered as possible."""
    shapes = all_shapes()
    if count is None or count >= len(shapes):
        return shapes
    random.Random(SEED).shuffle(shapes)

    def features(shape):
        values = [(f, getattr(shape, f)) for f in FIELDS]
        return set(values) | set(itertools.combinations(values, 2))

    chosen: List[Shape] = []
    covered: set = set()
    for _ in range(count):
        best = max((s for s in shapes if s not in chosen), key=lambda s: len(features(s) - covered))
        chosen.append(best)
        covered |= features(best)
    return chosen


def _indent(lines: List[str], n: int = 1) -> List[str]:
    return [("    " * n + line) if line else line for line in lines]


def program(shape: Shape) -> str:
    """The source of a client for `shape`: `python prog.py PORT`, prints `client done`."""
    out = ["import socket", "import sys", "import threading", "import time", "", ""]
    if shape.cls:
        out += [
            "class Link:",
            "    def __init__(self, port):",
            '        self.sock = socket.create_connection(("127.0.0.1", port))',
            "",
            "    def send(self, data):",
            "        self.sock.sendall(data)",
            "",
            "    def shutdown(self):",
            "        self.sock.shutdown(socket.SHUT_WR)",
            "",
            "    def close(self):",
            "        self.sock.close()",
            "",
        ]
        if shape.with_:
            out += [
                "    def __enter__(self):",
                "        return self",
                "",
                "    def __exit__(self, *exc):",
                "        self.close()",
                "",
            ]
        out.append("")
        direct = "conn.send({data})"
    else:
        direct = "conn.sendall({data})"
    write = direct
    if shape.depth >= 1:
        out += ["def _write(conn, data):", "    " + direct.format(data="data"), "", ""]
        write = "_write(conn, {data})"
    if shape.depth >= 2:
        out += ["def publish(conn, data):", "    _write(conn, b\"pub \" + data)", "", ""]
        write = "publish(conn, {data})"

    def loop(count: int, tag: str) -> List[str]:
        return [
            f"for i in range({count}):",
            "    " + write.format(data=f'b"{tag} %05d " % i * 300'),
            "    time.sleep(0.02)",
        ]

    talk: List[str] = []
    if shape.before:
        talk.append(write.format(data='b"HELLO\\n"'))
    if shape.phases == 2:
        out += ["def phase_one(conn):"] + _indent(loop(10, "one")) + ["", ""]
        out += ["def phase_two(conn):"] + _indent(loop(2000, "two")) + ["", ""]
        talk += ["phase_one(conn)", "phase_two(conn)"]
    else:
        talk += loop(2000, "data")
    if shape.after:
        talk.append(write.format(data='b"BYE\\n"'))
    if shape.shutdown:
        talk.append("conn.shutdown()" if shape.cls else "conn.shutdown(socket.SHUT_WR)")
    out += ["def talk(conn):"] + _indent(talk) + ["", ""]

    if shape.thread and shape.cls:
        out += [
            "class Worker(threading.Thread):",
            "    def __init__(self, link):",
            "        super().__init__(name=\"worker\")",
            "        self.link = link",
            "",
            "    def run(self):",
            "        talk(self.link)",
            "",
            "",
        ]
        use = ["worker = Worker(conn)", "worker.start()", "worker.join()"]
    elif shape.thread:
        use = ["worker = threading.Thread(target=talk, args=(conn,))", "worker.start()", "worker.join()"]
    else:
        use = ["talk(conn)"]
    make = "Link(port)" if shape.cls else 'socket.create_connection(("127.0.0.1", port))'
    if shape.with_:
        body = [f"with {make} as conn:"] + _indent(use)
    else:
        body = [f"conn = {make}"] + use + ["conn.close()"]
    out += ["def main(port):"] + _indent(body + ['print("client done")']) + ["", ""]
    out += ['if __name__ == "__main__":', "    main(int(sys.argv[1]))", ""]
    return "\n".join(out)


# ---------------------------------------------------------------------------------------


def fix_source(source: str, path: str):
    from sigpipe_lint.engine import analyze_source
    from sigpipe_lint.rules import ALL_RULES

    codes = [r.code for r in ALL_RULES]
    result = analyze_source(source.encode(), path, codes, fix="unsafe")
    assert result.error is None, result.error
    assert result.fixed_source is not None, "nothing was fixed"
    again = analyze_source(result.fixed_source, path, codes)
    assert again.findings == [], [(f.line, f.code, f.message) for f in again.findings]
    return result.fixed_source.decode()


def run_against_dying_peer(path: Path, variant: str):
    from sigpipe_lint.prove.peer import DyingPeer

    with DyingPeer(variant) as peer:
        return peer.run([h.PY, str(path), "{port}"], cwd=path.parent, env=audit_env())


def check_shape(shape: Shape, workdir: Path) -> None:
    """Run the original and the fixed copy of `shape`'s program; AssertionError on a failure."""
    source = program(shape)
    original = workdir / f"{shape.name}.py"
    original.write_text(source)
    fixed_dir = workdir / "fixed"
    fixed_dir.mkdir(exist_ok=True)
    fixed = fixed_dir / original.name
    fixed.write_text(fix_source(source, str(original)))
    for variant in ("fin", "rst"):
        run = run_against_dying_peer(original, variant)
        d = f"[{shape.name}] original\n{source}\n{run.describe()}"
        assert run.returncode is not None and "Traceback" in run.stderr, d
        assert any(e in run.stderr for e in h.ERRORS), d
        if shape.thread:
            assert run.returncode == 0, d  # a dead worker thread does not change the status
        else:
            assert run.returncode > 0 and "client done" not in run.stdout, d
    for variant in ("fin", "rst"):
        run = run_against_dying_peer(fixed, variant)
        d = f"[{shape.name}] fixed\n{fixed.read_text()}\n{run.describe()}"
        assert run.returncode == 0, d
        assert "Traceback" not in run.stderr and AUDIT_MARK not in run.stderr, d
        assert FIX_MESSAGE in run.stderr, "the peer's death was never met\n" + d
        assert "client done" in run.stdout.splitlines(), d


def _count_from_env() -> Optional[int]:
    value = os.environ.get("SIGPIPE_LINT_SHAPES", "8")
    return None if value == "all" else int(value)


SHAPES = sample(_count_from_env())


def test_the_generator_covers_every_ingredient():
    shapes = all_shapes()
    assert len(shapes) == len(set(shapes)) == 3 * 2 * 2 * 2 * 2 * 2 * 2 * 2
    for shape in shapes:
        compile(program(shape), shape.name, "exec")
    # the sample is spread: every value of every ingredient appears in it
    if len(SHAPES) >= 3:
        for field in FIELDS:
            assert {getattr(s, field) for s in SHAPES} == {getattr(s, field) for s in shapes}, field


@pytest.mark.parametrize("shape", SHAPES, ids=[s.name for s in SHAPES])
def test_generated_program_fixed_ends_its_conversation(shape, tmp_path):
    check_shape(shape, tmp_path)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", default="all", help="how many programs ('all' or a number)")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    shapes = sample(None if args.count == "all" else int(args.count))
    failures = []
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:

        def one(item):
            i, shape = item
            d = Path(tmp) / f"{i:03d}"
            d.mkdir()
            try:
                check_shape(shape, d)
                return shape, None
            except AssertionError as e:
                return shape, str(e)

        with ThreadPoolExecutor(args.jobs) as pool:
            for n, (shape, error) in enumerate(pool.map(one, enumerate(shapes)), 1):
                if error:
                    failures.append((shape, error))
                    print(f"FAIL {shape.name}\n{error[:4000]}", flush=True)
                if n % 20 == 0:
                    print(f"{n}/{len(shapes)} done, {len(failures)} failed, {time.monotonic() - t0:.0f} s", flush=True)
    ok = len(shapes) - len(failures)
    print(f"{ok}/{len(shapes)} generated programs: original dies and fixed copy ends its conversation "
          f"(FIN and RST); fix correctness {ok / len(shapes):.2f}; {time.monotonic() - t0:.0f} s")
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
