"""The composite GitHub Action: its check step, run here with bash as the runner would run it."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from _audit_tree import make_tree

ACTION = Path(__file__).resolve().parents[1] / "action.yml"


def _action():
    return yaml.safe_load(ACTION.read_text())


def test_action_shape():
    action = _action()
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    for step in steps:
        # inputs reach the scripts through env only (no ${{ }} in a script: no injection)
        assert "${{" not in step["run"]
        assert step["shell"] == "bash"
    assert set(action["inputs"]) >= {"paths", "args", "sarif-file", "fail-on-findings", "version"}
    assert action["outputs"]["exit-code"]["value"] == "${{ steps.check.outputs.exit-code }}"


def _run_check_step(tmp_path, cwd, **inputs):
    """The `check` step's script, with its env built from the inputs (defaults otherwise)."""
    action = _action()
    (step,) = [s for s in action["runs"]["steps"] if s.get("id") == "check"]
    values = {k: v.get("default", "") for k, v in action["inputs"].items()}
    values.update(inputs)
    env = dict(os.environ)
    for key, expr in step["env"].items():
        m = re.fullmatch(r"\$\{\{ inputs\.([a-z-]+) \}\}", expr)
        env[key] = values[m.group(1)]
    output = tmp_path / "github_output"
    output.write_text("")
    env["GITHUB_OUTPUT"] = str(output)
    # the install step puts the venv's bin on PATH; here: this interpreter's
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env["PATH"]
    assert shutil.which("sigpipe-lint", path=env["PATH"])
    proc = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines())
    return proc.returncode, outputs


def test_action_check_step_writes_sarif(tmp_path):
    tree = make_tree(tmp_path / "tree")
    (tree / "pkg" / "bad.py").unlink()
    status, outputs = _run_check_step(tmp_path, tree, args="--select SPL --no-cache")
    assert status == 0 and outputs == {"exit-code": "1"}  # findings: left to code scanning
    log = json.loads((tree / "sigpipe-lint.sarif").read_text())
    assert [r["ruleId"] for r in log["runs"][0]["results"]] == ["SPL002", "SPL001"]
    status, outputs = _run_check_step(tmp_path, tree, args="--select SPL --no-cache", **{"fail-on-findings": "true"})
    assert status == 1 and outputs == {"exit-code": "1"}
    status, outputs = _run_check_step(tmp_path, tree, args="--select SPL003 --no-cache", **{"sarif-file": "out/x.sarif"})
    assert status == 2  # the folder does not exist: no SARIF written, the step fails
    (tree / "out").mkdir()
    status, outputs = _run_check_step(tmp_path, tree, args="--select SPL003 --no-cache", **{"sarif-file": "out/x.sarif"})
    assert status == 0 and outputs == {"exit-code": "0"}
    assert json.loads((tree / "out" / "x.sarif").read_text())["runs"][0]["results"] == []


def test_readme_workflow_uploads_the_sarif():
    readme = (ACTION.parent / "README.md").read_text()
    blocks = re.findall(r"```yaml\n(.*?)```", readme, re.S)
    workflows = [yaml.safe_load(b) for b in blocks if "upload-sarif" in b]
    assert len(workflows) == 1
    (job,) = workflows[0]["jobs"].values()
    steps = job["steps"]
    ours = [s for s in steps if str(s.get("uses", "")).split("@")[0].endswith("/sigpipe-lint")]
    upload = [s for s in steps if str(s.get("uses", "")).startswith("github/codeql-action/upload-sarif@")]
    assert len(ours) == 1 and len(upload) == 1
    assert steps.index(ours[0]) < steps.index(upload[0])
    assert upload[0]["if"] == "always()"
    assert upload[0]["with"]["sarif_file"] == ours[0]["with"]["sarif-file"]
    assert workflows[0]["permissions"]["security-events"] == "write"
