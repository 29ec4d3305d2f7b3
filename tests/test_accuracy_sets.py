"""benchmarks/accuracy.py scores the original set and the holdout apart, besides the total.

A stand-in for sigpipe-lint (a script printing the findings stored in each tree) makes the
figures known in advance: the original project's crash is found (TP), the holdout project's
crash is missed (FN) and its handled write is reported (FP).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import accuracy  # noqa: E402

FAKE_TOOL = """\
import json, sys
from pathlib import Path
here = Path(__file__).resolve().parent
with open(here / "calls.log", "a") as log:
    log.write(" ".join(sys.argv[1:]) + "\\n")
if sys.argv[1] == "--version":
    print("fake 0")
    sys.exit(0)
if sys.argv[1:] == ["rule", "--all"]:  # the rules' default states, when the test gives them
    if not (here / "rules.txt").exists():
        sys.exit(2)
    print((here / "rules.txt").read_text(), end="")
    sys.exit(0)
folder = Path(sys.argv[2]).resolve()
found = json.loads((folder / "findings.json").read_text())
print(json.dumps([{"path": str(folder / f), "line": n, "code": "SPL004"} for f, n in found]))
"""


@pytest.fixture
def bench(tmp_path: Path) -> dict:
    root = tmp_path / "trees"
    for pid, findings in (("orig", [["a.py", 1]]), ("hold", [["b.py", 2]])):
        (root / pid).mkdir(parents=True)
        (root / pid / "findings.json").write_text(json.dumps(findings))
    (root / "orig" / "a.py").write_text("s.sendall(b)\ntry: s.send(b)\n")
    (root / "hold" / "b.py").write_text("s.sendall(b)\ns.send(b)\n")
    projects = tmp_path / "projects.json"
    projects.write_text(json.dumps({"projects": [
        {"id": "orig", "repo": "x/orig", "commit": "1"},
        {"id": "hold", "repo": "x/hold", "commit": "2", "set": "holdout"},
    ]}))
    rows = [
        ("orig", "a.py", 1, "s.sendall(b)", "crash", "main"),
        ("orig", "a.py", 2, "try: s.send(b)", "handled", None),
        ("hold", "b.py", 1, "s.sendall(b)", "crash", "main"),
        ("hold", "b.py", 2, "s.send(b)", "handled", None),
    ]
    labels = tmp_path / "labels.jsonl"
    labels.write_text("".join(json.dumps({"project": p, "path": f, "line": n, "text": t, "label": lab,
                                          "owner": o, "reason": "test"}) + "\n" for p, f, n, t, lab, o in rows))
    tool = tmp_path / "fake_tool.py"
    tool.write_text(FAKE_TOOL)
    return {"root": root, "projects": projects, "labels": labels, "tool": f"{sys.executable} {tool}",
            "out": tmp_path / "out.json", "dir": tmp_path}


def run(bench: dict, *extra: str) -> dict:
    argv = ["--root", str(bench["root"]), "--projects", str(bench["projects"]), "--labels", str(bench["labels"]),
            "--sigpipe-lint", bench["tool"], "--json", str(bench["out"]), *extra]
    assert accuracy.main(argv) == 0
    return json.loads(bench["out"].read_text())


def counts(summary: dict) -> tuple:
    return summary["TP"], summary["FN"], summary["FP"], summary["TN"]


def test_totals_by_set_and_overall(bench, capsys):
    out = run(bench)
    for config in accuracy.CONFIGS:
        assert counts(out["total"][config]) == (1, 1, 1, 1)
        assert counts(out["total_by_set"]["original"][config]) == (1, 0, 0, 1)
        assert counts(out["total_by_set"]["holdout"][config]) == (0, 1, 1, 0)
        assert out["total_by_set"]["holdout"][config]["precision"] == 0.0
    printed = capsys.readouterr().out
    assert "TOTAL set holdout" in printed and "TOTAL set original" in printed


def test_set_filter_scores_only_that_set(bench):
    out = run(bench, "--set", "holdout")
    assert list(out["projects"]) == ["hold"]
    assert list(out["total_by_set"]) == ["holdout"]
    assert counts(out["total"]["default"]) == (0, 1, 1, 0)


def checks(bench: dict) -> list:
    """The `check` runs the fake tool saw: (project id, with --select SPL)."""
    calls = (bench["dir"] / "calls.log").read_text().splitlines()
    return [(Path(c.split()[1]).name, "--select SPL" in c) for c in calls if c.startswith("check ")]


def test_one_run_per_project_when_the_default_rules_are_every_rule(bench, capsys):
    """Every rule on by default: --select SPL is the same rule set, so each project is
    checked once and both columns hold the same figures."""
    (bench["dir"] / "rules.txt").write_text("SPL001  on   a: x\nSPL004  on   b: y\n")
    out = run(bench)
    assert checks(bench) == [("orig", False), ("hold", False)]
    assert out["ran_once"] == ["orig", "hold"]
    assert counts(out["total"]["default"]) == counts(out["total"]["select-SPL"]) == (1, 1, 1, 1)
    printed = capsys.readouterr().out
    assert "default rules = --select SPL (every rule is on by default): ran once per project" in printed
    assert "TP  FN  FP  recall  prec" in printed and printed.count("TP  FN  FP  recall  prec") == 2  # both columns


def test_two_runs_when_a_rule_is_off_or_a_project_configures_rules(bench, capsys):
    (bench["dir"] / "rules.txt").write_text("SPL001  on   a: x\nSPL004  off  b: y\n")
    run(bench)
    assert checks(bench) == [("orig", False), ("orig", True), ("hold", False), ("hold", True)]
    assert "ran once" not in capsys.readouterr().out
    (bench["dir"] / "calls.log").unlink()
    (bench["dir"] / "rules.txt").write_text("SPL001  on   a: x\nSPL004  on   b: y\n")
    (bench["root"] / "hold" / "pyproject.toml").write_text('[tool.sigpipe-lint]\nignore = ["SPL004"]\n')
    out = run(bench)
    assert checks(bench) == [("orig", False), ("hold", False), ("hold", True)]
    assert out["ran_once"] == ["orig"]
    assert "default rules = --select SPL for 1 of 2 projects" in capsys.readouterr().out


def test_as_clones_gives_a_marker_less_tree_an_empty_git_folder_and_links_the_others(tmp_path):
    root, dest = tmp_path / "root", tmp_path / "dest"
    (root / "loose").mkdir(parents=True)
    (root / "loose" / "a.py").write_text("x = 1\n")
    (root / "marked").mkdir()
    (root / "marked" / "setup.py").write_text("")
    dest.mkdir()
    out = accuracy.as_clones(root, dest, [{"id": "loose"}, {"id": "marked"}, {"id": "absent"}])
    assert out == dest
    assert (dest / "loose" / ".git").is_dir() and (dest / "loose" / "a.py").read_text() == "x = 1\n"
    assert not (root / "loose" / ".git").exists()  # the original tree is left as it was
    assert (dest / "marked").is_symlink() and (dest / "marked").resolve() == (root / "marked").resolve()
    assert not (dest / "absent").exists()
