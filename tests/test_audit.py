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
    assert out.startswith("sigpipe-lint audit: 2 findings in 2 files; 4 files, 12 lines checked in ")
    assert "  SPL001       1\n  SPL002       1\n" in out and "SPL004" not in out  # SPL001 wins
    assert "SPL003" not in out
    assert "  pkg        1       3          9\n" in out
    assert "  b.py       1       1          3\n" in out
    assert "       1  b.py\n       1  pkg/a.py\n" in out
    assert "Skipped by the pre-filter (no rule can match): 1 file\n" in out
    assert "Could not be analysed: 1 file\n  pkg/bad.py: syntax error at line " in out

    md = report.read_text()
    # paths relative to the audited root: the root itself is named once, at the top
    assert md.count(str(tree)) == 1
    assert "- **2 findings** in 2 files of 2 packages; 2 with a fix (1 safe)" in md
    assert "4 files (12 lines); 2 analysed, 1 skipped by the pre-filter" in md
    assert "1 could not be analysed" in md
    assert "| SPL001 | 1 |\n| SPL002 | 1 |\n" in md and "SPL004" not in md  # one write, one finding: SPL001 wins
    assert "| [b.py](#pkg-b-py) | 1 | 1 | 1 | 3 |\n| [pkg](#pkg-pkg) | 1 | 1 | 3 | 9 |\n" in md
    assert "| [b.py](#file-b-py) | 1 |\n| [pkg/a.py](#file-pkg-a-py) | 1 |\n" in md
    assert "| pkg/bad.py | syntax error at line " in md
    assert "clean.py" not in md  # pre-filtered files are counted, not listed
    assert '```mermaid\npie showData title Findings per rule\n    "SPL001" : 1\n    "SPL002" : 1\n```' in md
    assert '```mermaid\npie showData title Findings per package\n    "b.py" : 1\n    "pkg" : 1\n```' in md
    # every finding: its line of code, rule, message, and its fix as a diff with its safety
    findings = md[md.index("## Findings\n"):]
    a = findings[findings.index('#### <a id="file-pkg-a-py"></a>pkg/a.py: 1 finding'):]
    assert a.startswith('#### <a id="file-pkg-a-py"></a>pkg/a.py: 1 finding\n\n- line 5: `sock.sendall(b"x")` **SPL001** sock.sendall() ')
    assert "\n  - safe fix (`--fix`): pass MSG_NOSIGNAL" in a
    assert '    -    sock.sendall(b"x")\n    +    sock.sendall(b"x", getattr(socket, "MSG_NOSIGNAL", 0))\n' in a
    # the edit a team applies first (the safe one) is shown; the unsafe wrap is --diff's
    assert "unsafe fix" not in a
    assert '#### <a id="file-b-py"></a>b.py: 1 finding\n\n- line 3: `signal.signal(signal.SIGPIPE, signal.SIG_DFL)` **SPL002** ' in findings


def test_same_change_is_shown_once_per_file(tmp_path, monkeypatch, capsys):
    """Two writes fixed the same way in one file: the second names the first, in the Markdown."""
    src = (
        "import socket, sys\n\n"
        "def a():\n    sock = socket.create_connection(('h', 1))\n    sock.sendall(b'a')\n\n"
        "def b():\n    sock = socket.create_connection(('h', 2))\n    sock.sendall(b'b')\n\n"
        "def c():\n    conn = socket.create_connection(('h', 3))\n    conn.sendall(b'c')\n"
    )
    (tmp_path / "m.py").write_text(src)
    monkeypatch.chdir(tmp_path)
    assert main(["audit", "m.py", "--select", "SPL004", "--no-cache", "--report", "r.md"]) == 1
    md = (tmp_path / "r.md").read_text()
    assert md.count("```diff") == 2  # line 5 in full; line 9 the same change; line 13 closes conn
    assert "- line 9: `sock.sendall(b'b')` **SPL004** " in md
    assert "  - unsafe fix (`--fix --unsafe-fixes`): the same change as at line 5, around this line\n" in md
    assert "    +        conn.close()\n" in md
    # another file with the same change names the file and links to it
    (tmp_path / "n.py").write_text("import socket, sys\n\ndef d():\n    sock = socket.create_connection(('h', 4))\n    sock.send(b'd')\n")
    assert main(["audit", "m.py", "n.py", "--select", "SPL004", "--no-cache", "--report", "r.md"]) == 1
    md = (tmp_path / "r.md").read_text()
    assert md.count("```diff") == 2
    assert "- line 5: `sock.send(b'd')` **SPL004** " in md
    assert "  - unsafe fix (`--fix --unsafe-fixes`): the same change as at [m.py](#file-m-py) line 5, around this line\n" in md


def test_audit_folds_what_has_no_findings(tmp_path, monkeypatch, capsys):
    tree = make_tree(tmp_path / "tree")
    (tree / "pkg" / "bad.py").unlink()
    (tree / "dgram").mkdir()
    (tree / "dgram" / "m.py").write_text("import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\ns.sendto(b'x', ('h', 1))\n")
    monkeypatch.chdir(tree)
    report = tmp_path / "audit.md"
    assert main(["audit", ".", "--select", "SPL", "--no-cache", "--jobs", "1", "--report", str(report)]) == 1
    md = report.read_text()
    assert "1 package without findings (1 file) not listed." in md
    assert "dgram" not in md


def test_audit_html_is_self_contained(tmp_path, monkeypatch, capsys):
    from html.parser import HTMLParser

    tree = make_tree(tmp_path / "tree")
    monkeypatch.chdir(tree)
    report = tmp_path / "audit.html"
    assert main(["audit", ".", "--select", "SPL", "--no-cache", "--jobs", "1", "--report", str(report)]) == 2
    page = report.read_text()

    class Links(HTMLParser):
        def __init__(self):
            super().__init__()
            self.ids, self.hrefs, self.tags, self.external = set(), [], set(), []

        def handle_starttag(self, tag, attrs):
            self.tags.add(tag)
            for k, v in attrs:
                if k == "id":
                    self.ids.add(v)
                if k == "href":
                    self.hrefs.append(v)
                if k in ("src", "href", "xlink:href", "action") and v and not v.startswith("#"):
                    self.external.append((tag, k, v))

    links = Links()
    links.feed(page)
    assert "script" not in links.tags and "link" not in links.tags and "img" not in links.tags
    assert links.external == []  # nothing to fetch: every link stays in the page
    assert links.hrefs and all(h[1:] in links.ids for h in links.hrefs)
    assert "svg" in links.tags and page.count('class="bar"') == 2  # pkg: SPL001, b.py: SPL002
    assert '<span class="add">+    sock.sendall(b&quot;x&quot;, getattr(socket, &quot;MSG_NOSIGNAL&quot;, 0))</span>' in page
    assert str(tree) in page and page.count(str(tree)) == 1


def test_both_reports_say_why_a_finding_has_no_fix(tmp_path, monkeypatch):
    """The Markdown said why (no owner in sight); the HTML page said nothing. Both give every
    reason the finding's fix carries, once per line."""
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "t"\n')
    (tmp_path / "lib.py").write_text("import socket\ndef push(sock: socket.socket, data):\n    sock.sendall(data)\n")
    (tmp_path / "reset.py").write_text("import signal\nold = signal.signal(signal.SIGPIPE, signal.SIG_DFL)\n")
    monkeypatch.chdir(tmp_path)
    reasons = [
        "no automatic fix: the parameter `sock` of push() comes from its callers and nothing in this "
        "module calls it: only the code that owns the connection can end the conversation",
        "no automatic fix: the reset's return value is used, and the fix replaces the whole statement",
    ]
    assert main(["audit", ".", "--select", "SPL", "--no-cache", "--jobs", "1", "--report", "a.md"]) == 1
    md = (tmp_path / "a.md").read_text()
    assert all(md.count(f"\n  - {r}\n") == 1 for r in reasons), md
    assert main(["audit", ".", "--select", "SPL", "--no-cache", "--jobs", "1", "--report", "a.html"]) == 1
    page = (tmp_path / "a.html").read_text()
    from html import escape

    assert all(page.count(f'<div class="nofix">{escape(r)}</div>') == 1 for r in reasons), page


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
    assert [p for p, _ in s.failed] == ["pkg/bad.py"]  # relative to the audited root


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


def test_report_edits_are_cached_apart(tmp_path, monkeypatch, capsys):
    """The second pass (each finding's diff) is cached under its own key: a warm report is the
    same report, and plain runs never see its entries (their JSON has no edits)."""
    import json
    import re

    import sigpipe_lint.fix_edits as fix_edits

    tree = make_tree(tmp_path / "tree")
    (tree / "pkg" / "bad.py").unlink()
    monkeypatch.chdir(tree)
    cache = str(tmp_path / "cache")
    argv = ["audit", ".", "--select", "SPL", "--jobs", "1", "--cache-dir", cache, "--report"]
    assert main(argv + [str(tmp_path / "1.md")]) == 1
    calls = []
    real = fix_edits.attach_edits
    monkeypatch.setattr(fix_edits, "attach_edits", lambda *a, **k: calls.append(a) or real(*a, **k))
    assert main(argv + [str(tmp_path / "2.md")]) == 1
    assert calls == []  # warm: nothing re-applied

    def strip_time(text):
        return re.sub(r"\d+\.\d\d s", "T s", text)

    assert strip_time((tmp_path / "1.md").read_text()) == strip_time((tmp_path / "2.md").read_text())
    capsys.readouterr()
    assert main(["check", ".", "--select", "SPL", "--jobs", "1", "--cache-dir", cache, "--output-format", "json"]) == 1
    assert all("edits" not in f["fix"] for f in json.loads(capsys.readouterr().out))


def test_json_report_lists_what_the_others_count(tmp_path, monkeypatch, capsys):
    import json

    tree = make_tree(tmp_path / "tree")
    monkeypatch.chdir(tree)
    assert main(["audit", ".", "--select", "SPL", "--no-cache", "--jobs", "1", "--report", str(tmp_path / "a.json")]) == 2
    data = json.loads((tmp_path / "a.json").read_text())
    assert data["prefiltered"] == ["pkg/clean.py"]
    assert data["not_analysed"][0]["path"] == "pkg/bad.py"
    assert (data["files"], data["findings"], data["fixable"], data["safe_fixable"]) == (4, 2, 2, 1)
    detail = {e["path"]: [(f["line"], f["code"]) for f in e["findings"]] for e in data["files_with_findings_detail"]}
    assert detail == {"pkg/a.py": [(5, "SPL001")], "b.py": [(3, "SPL002")]}  # one write, one finding
    (spl001,) = [e for e in data["files_with_findings_detail"] if e["path"] == "pkg/a.py"][0]["findings"]
    assert [e["applicability"] for e in spl001["fix"]["edits"]] == ["safe", "unsafe"]
