"""The pre-commit hooks, through the real `pre-commit try-repo` in a throwaway git repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from expectations import SPL003_CLIENT

ROOT = Path(__file__).parents[1]
INSTALL_TIMEOUT = 900  # try-repo builds a fresh virtualenv and pip-installs the package
GIT = ["git", "-c", "user.name=sigpipe-lint tests", "-c", "user.email=tests@example.invalid",
       "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main"]

CLIENT = SPL003_CLIENT

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def _git(*args: str, cwd: Path) -> str:
    return subprocess.run([*GIT, *args], cwd=cwd, check=True, capture_output=True, text=True, timeout=120).stdout


@pytest.fixture(scope="session")
def pre_commit_env(tmp_path_factory):
    env = dict(os.environ)
    env["PRE_COMMIT_HOME"] = str(tmp_path_factory.mktemp("pre-commit-home"))
    env.pop("PRE_COMMIT", None)
    env.pop("SKIP", None)
    return env


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory) -> Path:
    """This checkout as a clean repository: its working tree (tracked and new files) in one commit.

    `try-repo` on the checkout itself would leave out files nobody has `git add`ed yet, and
    the hooks must be tried as they are on disk.
    """
    snap = tmp_path_factory.mktemp("hook-repo")
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, check=True, capture_output=True, timeout=120,
    ).stdout.decode().split("\0")
    for rel in filter(None, listed):
        src = ROOT / rel
        if src.is_file():
            dst = snap / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
    assert (snap / ".pre-commit-hooks.yaml").is_file()
    _git("init", "-q", cwd=snap)
    _git("add", "-A", cwd=snap)
    _git("commit", "-q", "-m", "snapshot", cwd=snap)
    return snap


def _pre_commit(args, cwd: Path, env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=INSTALL_TIMEOUT,
    )


def _try(hook: str, project: Path, hook_repo: Path, env) -> subprocess.CompletedProcess:
    return _pre_commit(["try-repo", str(hook_repo), hook, "--all-files", "--color", "never"], project, env)


@pytest.fixture
def project(tmp_path) -> Path:
    p = tmp_path / "project"
    p.mkdir()
    _git("init", "-q", cwd=p)
    (p / "client.py").write_bytes(CLIENT)
    (p / "clean.py").write_text("x = 1\n")
    _git("add", "client.py", "clean.py", cwd=p)
    _git("commit", "-q", "-m", "init", cwd=p)
    return p


def test_check_hook_fails_naming_the_finding(project, hook_repo, pre_commit_env):
    proc = _try("sigpipe-lint", project, hook_repo, pre_commit_env)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "client.py:5:" in out and "SPL003" in out, out
    assert "clean.py" not in out, out
    assert (project / "client.py").read_bytes() == CLIENT  # the check hook changes nothing


def test_fix_hook_fixes_the_file_then_check_hook_passes(project, hook_repo, pre_commit_env):
    fix = _try("sigpipe-lint-fix", project, hook_repo, pre_commit_env)
    out = fix.stdout + fix.stderr
    assert fix.returncode == 1, out  # pre-commit fails a hook that modified files
    assert "files were modified by this hook" in out, out
    fixed = (project / "client.py").read_text()
    assert "ConnectionResetError" in fixed, (fixed, out)
    compile(fixed, "client.py", "exec")
    assert (project / "clean.py").read_text() == "x = 1\n"

    again = _try("sigpipe-lint", project, hook_repo, pre_commit_env)
    assert again.returncode == 0, again.stdout + again.stderr


def test_hooks_manifest_is_valid(pre_commit_env):
    proc = _pre_commit(["validate-manifest", str(ROOT / ".pre-commit-hooks.yaml")], ROOT, pre_commit_env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
