"""Run `sigpipe-lint prove --fix` on programs from the real-code set: code nobody here wrote,
against a peer on 127.0.0.1 that dies (FIN and RST), the original and the fixed copy.

    python benchmarks/prove_realcode.py --root /work/realcode

Each case copies one checkout (at the commit in realcode/projects.json) into a temporary
folder, applies the edits it lists (only to give a hard-coded port the one prove chooses:
printed, never anything else), and runs prove from there. The table shows each run's
verdict and the last line of its traceback, so a crash in a read is not taken for one in
a write. Run by hand, never by CI (it needs the checkouts).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PY = sys.executable

# (id, subfolder, edits [(file, old, new)], prove options, command)
CASES = [
    (
        "janwijbrand+stdin2sock", ".", [],
        ["--server", "--connect", "127.0.0.1:31337", "--request", "hi\\n"],
        ["/bin/sh", "-c", f'yes | exec {PY} "$0"', "stdin2socket.py"],
    ),
    (
        "fa-python-network+2_threaded_server", ".", [],
        ["--server", "--connect", "127.0.0.1:9090", "--request", "hello\\n"],
        [PY, "server.py"],
    ),
    (
        "ionkrutov+benchmarks", "py_http_server",
        # PORT = 8080 is taken on this machine, and TCPServer does not reuse an address in
        # TIME_WAIT: the port prove picks for each run instead
        [("main.py", "PORT = 8080", 'PORT = int(__import__("os").environ["SIGPIPE_LINT_PORT"])')],
        ["--server", "--request", "GET /hello HTTP/1.0\\r\\n\\r\\n"],
        [PY, "main.py"],
    ),
]


def _last_error(stderr: str) -> str:
    lines = [l for l in stderr.strip().splitlines() if l and not l.startswith(" ")]
    return lines[-1][:90] if lines else ""


def _where(stderr: str) -> str:
    """The source line the traceback ends on (the call that raised)."""
    lines = stderr.strip().splitlines()
    for i in range(len(lines) - 1, 0, -1):
        if lines[i - 1].lstrip().startswith("File ") and lines[i].startswith("    "):
            return lines[i].strip()[:60]
    return ""


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--root", required=True, help="the folder of real-code checkouts (realcode/README.md)")
    p.add_argument("--case", action="append", help="only these ids")
    args = p.parse_args()
    status = 0
    for ident, sub, edits, opts, cmd in CASES:
        if args.case and ident not in args.case:
            continue
        src = Path(args.root) / ident / sub
        if not src.is_dir():
            print(f"{ident}: no checkout at {src}", file=sys.stderr)
            status = 2
            continue
        with tempfile.TemporaryDirectory(prefix="prove-realcode-") as tmp:
            work = Path(tmp) / ident
            shutil.copytree(src, work, ignore=shutil.ignore_patterns(".git", "__pycache__"))
            for name, old, new in edits:
                f = work / name
                text = f.read_text()
                if text.count(old) != 1:
                    print(f"{ident}: edit of {name} does not apply: {old!r}", file=sys.stderr)
                    return 2
                f.write_text(text.replace(old, new))
                print(f"{ident}: edited {name}: {old!r} -> {new!r}")
            proc = subprocess.run(
                [PY, "-m", "sigpipe_lint", "prove", "--fix", "--output-format", "json", *opts, "--", *cmd],
                cwd=work, capture_output=True, text=True, timeout=600,
            )
            if proc.returncode == 2:
                print(f"{ident}: prove failed: {proc.stderr.strip()[-300:]}", file=sys.stderr)
                status = 2
                continue
            report = json.loads(proc.stdout)
            print(f"\n{ident}/{sub}: {' '.join(os.path.basename(c) for c in cmd)}")
            for run in report["runs"]:
                err = run.get("stderr") or ""
                where = _where(err) if run["verdict"] == "crashed" else ""
                print(f"  {run['version']:8} {run['variant']:3}  {run['verdict']:9} {run['how']:45} {where}")
                if run["version"] == "fixed" and run["verdict"] == "survived" and err.strip():
                    print(f"  {'':8} {'':3}  stderr: {_last_error(err)}")
            if proc.returncode != 0:
                status = max(status, 1)
    return status


if __name__ == "__main__":
    sys.exit(main())
