"""`sigpipe-lint audit`: the summary's numbers on a tree written by hand."""

import os

from sigpipe_lint.cli import main
from sigpipe_lint.report.audit import package_of, summarize
from sigpipe_lint.runner import RunOptions, run

from _audit_tree import make_tree


def test_audit_numbers(tmp_path, monkeypatch, capsys):
    tree = make_tree(tmp_path / "tree")
    monkeypatch.chdir(tree)
    report = tmp_path / "audit.md"
    status = main(["audit", ".", "--select", "SPL", "--no-cache", "--jobs", "1", "--report", str(report)])
    assert status == 2  # a file could not be parsed: like check
    out = capsys.readouterr().out
    assert out.startswith("sigpipe-lint audit: 3 findings in 2 files; 4 files, 12 lines checked in ")
    assert "  SPL001       1\n  SPL002       1\n  SPL004       1\n" in out
    assert "SPL003" not in out
    assert "  pkg        2       3          9\n" in out
    assert "  b.py       1       1          3\n" in out
    assert "       2  pkg/a.py\n       1  b.py\n" in out
    assert "Skipped by the pre-filter (no rule can match): 1 file\n" in out
    assert "Could not be analysed: 1 file\n  pkg/bad.py: syntax error at line " in out

    md = report.read_text()
    assert "- Findings: **3** in 2 files" in md
    assert "- Checked: 4 files, 12 lines" in md
    assert "| SPL001 | 1 |\n| SPL002 | 1 |\n| SPL004 | 1 |\n" in md
    assert "| pkg | 2 | 3 | 9 |\n| b.py | 1 | 1 | 3 |\n" in md
    assert "| pkg/a.py | 2 |\n| b.py | 1 |\n" in md
    assert "| pkg/bad.py | syntax error at line " in md
    assert "- pkg/clean.py\n" in md


def test_audit_summary_object(tmp_path):
    tree = make_tree(tmp_path / "tree")
    files = sorted(str(p) for p in tree.rglob("*.py"))
    results = run(files, RunOptions(codes=("SPL001", "SPL002", "SPL003")), jobs=1)
    s = summarize(results, [str(tree)], elapsed=1.5)
    assert (s.files, s.lines, s.findings, s.files_with_findings) == (4, 12, 2, 2)
    assert s.per_rule == {"SPL001": 1, "SPL002": 1}
    assert {k: (p.findings, p.files, p.lines) for k, p in s.per_package.items()} == {
        "pkg": (1, 3, 9),
        "b.py": (1, 1, 3),
    }
    assert s.prefiltered == [str(tree / "pkg" / "clean.py")]
    assert [p for p, _ in s.failed] == [str(tree / "pkg" / "bad.py")]


def test_audit_exit_status_and_selection(tmp_path, monkeypatch, capsys):
    tree = make_tree(tmp_path / "tree")
    (tree / "pkg" / "bad.py").unlink()
    monkeypatch.chdir(tree)
    assert main(["audit", ".", "--no-cache"]) == 1
    assert main(["audit", ".", "--no-cache", "--exit-zero"]) == 0
    capsys.readouterr()
    assert main(["audit", ".", "--no-cache", "--select", "SPL002"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("sigpipe-lint audit: 1 finding in 1 file; 3 files, 9 lines")
    assert main(["audit", ".", "--no-cache", "--select", "SPL003"]) == 0


def test_package_of(tmp_path):
    root = str(tmp_path / "src")
    assert package_of(os.path.join(root, "pkg", "sub", "m.py"), [root]) == "pkg"
    assert package_of(os.path.join(root, "tool.py"), [root]) == "tool.py"
    assert package_of(os.path.join(root, "tool.py"), [os.path.join(root, "tool.py")]) == "tool.py"
    # the deepest given root wins
    assert package_of(os.path.join(root, "pkg", "sub", "m.py"), [root, os.path.join(root, "pkg")]) == "sub"
