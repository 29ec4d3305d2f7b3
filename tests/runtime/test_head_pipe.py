"""SPL002's fix keeps `cli | head` quiet without SIG_DFL: proven with a real pipe whose reader quits."""

import select
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "fixtures" / "runtime" / "h01_head_cli.py"


def _head_one_line(script: Path):
    """Run `script | head -1`: read one line, close the pipe, collect the exit."""
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        # The script prints 80-byte lines in a loop: once readable, a whole line follows.
        ready, _, _ = select.select([proc.stdout], [], [], 20)
        assert ready, "no output within 20 s"
        first = proc.stdout.readline()
        proc.stdout.close()  # the reader goes away, as head does
        _, stderr = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
    return first, proc.returncode, stderr.decode()


def _fix_spl002(path: Path) -> str:
    fix = subprocess.run(
        [sys.executable, "-m", "sigpipe_lint", "check", "--no-cache", "--select", "SPL002", "--fix", "--unsafe-fixes", str(path)],
        capture_output=True, text=True, timeout=60,
    )
    assert fix.returncode == 0, fix.stdout + fix.stderr
    fixed = path.read_text()
    assert "SIG_DFL" not in fixed and "sys.excepthook = _sigpipe_lint_quiet_stdout" in fixed
    return fixed


def test_original_dies_silently_by_sigpipe():
    first, returncode, stderr = _head_one_line(FIXTURE)
    assert first.startswith(b"0000000 ")
    assert returncode == -13
    assert stderr == ""


def test_fixed_copy_is_quiet_without_sig_dfl(tmp_path):
    copy = tmp_path / FIXTURE.name
    shutil.copy(FIXTURE, copy)
    _fix_spl002(copy)
    first, returncode, stderr = _head_one_line(copy)
    assert first.startswith(b"0000000 ")
    assert returncode == 1  # the signal module's recipe: exit 1, no traceback
    assert "Traceback" not in stderr and stderr == ""


def test_fixed_copy_still_reports_a_dead_socket_peer(tmp_path):
    """The excepthook is quiet for stdout only: a socket's BrokenPipeError still shows."""
    script = tmp_path / "sock.py"
    script.write_text(
        "import signal, socket\n"
        "signal.signal(signal.SIGPIPE, signal.SIG_DFL)\n"
        "a, b = socket.socketpair()\n"
        "b.close()\n"
        "for _ in range(10):\n"
        "    a.send(b'x')\n"
    )
    original = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=20)
    assert original.returncode == -13 and original.stderr == ""  # killed silently by SIGPIPE
    _fix_spl002(script)
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=20)
    assert run.returncode == 1
    assert "BrokenPipeError" in run.stderr
