"""SARIF (validated against the OASIS schema) and GitHub workflow commands."""

import json
import os
from pathlib import Path

import pytest

from sigpipe_lint import __version__
from sigpipe_lint.cli import main
from sigpipe_lint.findings import FileResult, Finding
from sigpipe_lint.report import FORMATS, render
from sigpipe_lint.report.github import escape_data, escape_property
from sigpipe_lint.rules import ALL_RULES

from _audit_tree import make_tree

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SCHEMA = PROJECT_ROOT.parent / "shared" / "data" / "sarif-schema-2.1.0.json"


def _sarif(tmp_path, monkeypatch, capsys):
    make_tree(tmp_path / "tree")
    # run from elsewhere: the URIs must still be relative to the project root
    monkeypatch.chdir(tmp_path)
    status = main(["check", "tree", "--select", "SPL", "--no-cache", "--output-format", "sarif"])
    assert status == 2
    return json.loads(capsys.readouterr().out)


def test_formats_registered():
    assert {"text", "json", "sarif", "github"} <= set(FORMATS)


def _validate(log):
    """Validate against the OASIS schema, read in place (../shared/data, see its README)."""
    if not SCHEMA.is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"SARIF schema missing at {SCHEMA}: CI must validate")
        pytest.skip(f"SARIF schema not found at {SCHEMA} (a clone outside the workplace)")
    if os.environ.get("CI") == "true":
        import jsonschema  # in CI a missing validator is a failure, not a skip
    else:
        jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA.read_text())
    jsonschema.validate(log, schema, cls=jsonschema.Draft4Validator)


def test_sarif_validates_against_the_schema(tmp_path, monkeypatch, capsys):
    _validate(_sarif(tmp_path, monkeypatch, capsys))


def test_sarif_says_why_no_fix_is_offered(tmp_path, monkeypatch, capsys):
    """No fix: the message ends with a sentence saying why (what GitHub code scanning shows)
    and `properties` holds the reasons; only a safe part: why no unsafe one."""
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "t"\n')
    (tmp_path / "tls.py").write_text(
        "import signal, socket, ssl\n"
        "signal.signal(signal.SIGPIPE, signal.SIG_DFL)\n"
        "def main():\n"
        "    raw = socket.create_connection(('h', 443))\n"
        "    s = ssl.create_default_context().wrap_socket(raw, server_hostname='h')\n"
        "    try:\n"
        "        s.sendall(b'x')\n"
        "    except (BrokenPipeError, ConnectionResetError):\n"
        "        pass\n"
    )
    (tmp_path / "lib.py").write_text("import socket\ndef push(sock: socket.socket, data):\n    sock.sendall(data)\n")
    monkeypatch.chdir(tmp_path)
    assert main(["check", ".", "--select", "SPL", "--no-cache", "--output-format", "sarif"]) == 1
    log = json.loads(capsys.readouterr().out)
    _validate(log)
    results = {(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], r["ruleId"]): r for r in log["runs"][0]["results"]}
    tls = results[("tls.py", "SPL004")]
    reason = "MSG_NOSIGNAL is not passed: s.sendall() may write to a TLS socket, whose send methods raise ValueError for any flags"
    assert tls["message"]["text"].endswith(f"or pass MSG_NOSIGNAL. No automatic fix: {reason}.")
    assert tls["properties"] == {"fixApplicability": "none", "noFixReasons": [reason]}
    assert "fixes" not in tls
    lib = results[("lib.py", "SPL001")]
    assert [f["description"]["text"].split(":")[0] for f in lib["fixes"]] == ["safe fix (--fix)"]
    assert lib["properties"]["fixApplicability"] == "safe"
    (why,) = lib["properties"]["noFixReasons"]
    assert "nothing in this module calls it" in why
    assert lib["message"]["text"].endswith(f". No unsafe fix (--fix --unsafe-fixes): {why}.")
    assert "properties" not in results[("tls.py", "SPL002")]  # it has its fix: nothing to explain


def test_sarif_content(tmp_path, monkeypatch, capsys):
    log = _sarif(tmp_path, monkeypatch, capsys)
    assert log["version"] == "2.1.0" and log["$schema"]
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "sigpipe-lint" and driver["version"] == __version__
    assert driver["informationUri"].startswith("https://")
    assert [r["id"] for r in driver["rules"]] == [r.code for r in ALL_RULES]
    for rule, entry in zip(ALL_RULES, driver["rules"]):
        assert entry["name"] == rule.name
        assert entry["shortDescription"]["text"] == rule.summary
        assert entry["fullDescription"]["text"]
        assert entry["help"]["text"] == rule.docs() and entry["help"]["markdown"] == rule.page()
        assert entry["defaultConfiguration"]["enabled"] == rule.default_enabled
    got = [
        (
            r["ruleId"],
            driver["rules"][r["ruleIndex"]]["id"],
            r["level"],
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
            r["locations"][0]["physicalLocation"]["region"]["startColumn"],
        )
        for r in run["results"]
    ]
    # b.py line 3 `signal.signal(...)` starts in column 1; pkg/a.py line 5 `sock.sendall` in column 5
    assert got == [
        ("SPL002", "SPL002", "error", "b.py", 3, 1),
        ("SPL001", "SPL001", "error", "pkg/a.py", 5, 5),
    ]
    region = run["results"][1]["locations"][0]["physicalLocation"]["region"]
    assert (region["endLine"], region["endColumn"]) == (5, 5 + len('sock.sendall(b"x")'))
    (note,) = run["invocations"][0]["toolExecutionNotifications"]
    assert note["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "pkg/bad.py"


def _apply(source: str, replacements) -> str:
    """Apply SARIF whole-line replacements (deletedRegion lines [start, end), column 1)."""
    lines = source.splitlines(keepends=True)
    for rep in sorted(replacements, key=lambda r: r["deletedRegion"]["startLine"], reverse=True):
        region = rep["deletedRegion"]
        assert region["startColumn"] == region["endColumn"] == 1
        lines[region["startLine"] - 1 : region["endLine"] - 1] = [rep["insertedContent"]["text"]]
    return "".join(lines)


def test_sarif_locations_fixes_and_fingerprints(tmp_path, monkeypatch, capsys):
    log = _sarif(tmp_path, monkeypatch, capsys)
    (run,) = log["runs"]
    tree = tmp_path / "tree"
    assert run["originalUriBaseIds"] == {"PROJECTROOT": {"uri": tree.as_uri() + "/"}}
    by_code = {}
    for result in run["results"]:
        loc = result["locations"][0]["physicalLocation"]["artifactLocation"]
        assert loc["uriBaseId"] == "PROJECTROOT" and not loc["uri"].startswith("/")
        by_code[result["ruleId"]] = result

    # the same fingerprints as the baseline written for the same tree
    monkeypatch.chdir(tree)
    (tree / "pkg" / "bad.py").unlink()
    assert main(["check", ".", "--select", "SPL", "--no-cache", "--write-baseline", str(tmp_path / "b.json")]) == 0
    baseline = json.loads((tmp_path / "b.json").read_text())["findings"]
    assert sorted((e["path"], e["code"], e["fingerprint"]) for e in baseline) == sorted(
        (
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["ruleId"],
            r["partialFingerprints"]["sigpipeLint/v1"],
        )
        for r in run["results"]
    )

    # the fixes are what --fix / --fix --unsafe-fixes write, for a file with one finding each way
    original = {p: (tree / p).read_text() for p in ("pkg/a.py", "b.py")}
    spl001 = by_code["SPL001"]["fixes"]
    assert [f["description"]["text"].split(":")[0] for f in spl001] == ["safe fix (--fix)", "unsafe fix (--fix --unsafe-fixes)"]
    (change,) = spl001[0]["artifactChanges"]
    assert change["artifactLocation"] == {"uri": "pkg/a.py", "uriBaseId": "PROJECTROOT"}
    after_safe = _apply(original["pkg/a.py"], change["replacements"])
    capsys.readouterr()
    assert main(["check", "pkg/a.py", "--select", "SPL001", "--no-cache", "--fix", "--exit-zero"]) == 0
    assert (tree / "pkg" / "a.py").read_text() == after_safe != original["pkg/a.py"]

    (spl002_fix,) = by_code["SPL002"]["fixes"]  # unsafe only
    assert spl002_fix["description"]["text"].startswith("unsafe fix (--fix --unsafe-fixes): ")
    after = _apply(original["b.py"], spl002_fix["artifactChanges"][0]["replacements"])
    assert main(["check", "b.py", "--select", "SPL002", "--no-cache", "--fix", "--unsafe-fixes", "--exit-zero"]) == 0
    assert (tree / "b.py").read_text() == after != original["b.py"]


def test_sarif_is_stable(tmp_path):
    """Two runs in separate processes with different hash seeds give the same bytes, so no
    set or dict order leaks into the output."""
    import subprocess
    import sys

    tree = make_tree(tmp_path / "tree")
    outs = []
    for seed in ("1", "2"):
        r = subprocess.run(
            [sys.executable, "-m", "sigpipe_lint", "check", ".", "--select", "SPL", "--no-cache", "--output-format", "sarif"],
            cwd=tree, capture_output=True, timeout=120, env={**os.environ, "PYTHONHASHSEED": seed},
        )
        outs.append(r.stdout)
    assert outs[0] == outs[1] and b'"ruleId": "SPL001"' in outs[0]


def test_github_escaping():
    assert escape_data("100%\r\nnext") == "100%25%0D%0Anext"
    assert escape_property("a,b:c%\n") == "a%2Cb%3Ac%25%0A"


def test_github_output(tmp_path, monkeypatch, capsys):
    tree = make_tree(tmp_path / "tree")
    monkeypatch.chdir(tree)
    assert main(["check", ".", "--select", "SPL001,SPL002", "--no-cache", "--output-format", "github"]) == 2
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"::error file=b.py,line=3,col=1,endLine=3,endColumn={1 + len('signal.signal(signal.SIGPIPE, signal.SIG_DFL)')},title=SPL002::SPL002 ")
    write = 'sock.sendall(b"x")'  # at column 5 of pkg/a.py line 5
    assert lines[1].startswith(
        f"::error file=pkg/a.py,line=5,col=5,endLine=5,endColumn={5 + len(write)},title=SPL001::SPL001 "
    )
    assert lines[2].startswith("::error file=pkg/bad.py,title=sigpipe-lint::cannot analyse: syntax error")
    assert len(lines) == 3


def test_github_escapes_paths_and_messages():
    f = Finding("dir,x/a:b.py", 2, 3, 2, 9, "SPL001", "50% of\nwrites")
    out = render("github", [FileResult(path=f.path, findings=[f])])
    assert out == "::error file=dir%2Cx/a%3Ab.py,line=2,col=3,endLine=2,endColumn=9,title=SPL001::SPL001 50%25 of%0Awrites\n"
