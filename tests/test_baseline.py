"""Adopting the rules on a legacy tree: baseline, --add-noqa, --statistics, --output-file.

Everything goes through the real command line (`main(argv)`), on a tree written here.
"""

import json

import pytest

from sigpipe_lint.baseline import fingerprints, load_baseline, BaselineError
from sigpipe_lint.cli import main
from sigpipe_lint.engine import analyze_source
from sigpipe_lint.rules import RULES_BY_CODE

LEGACY = '''import socket


def serve(sock: socket.socket):
    while True:
        sock.sendall(b"tick")
'''
NEW_WRITE = '''

def push(sock: socket.socket, data):
    sock.sendall(data)
'''


def _tree(tmp_path, monkeypatch):
    root = tmp_path / "legacy"
    root.mkdir()
    (root / "pyproject.toml").write_text('[tool.sigpipe-lint]\nselect = ["SPL"]\n')
    (root / "server.py").write_text(LEGACY)
    monkeypatch.chdir(root)
    return root


def _check(capsys, *args):
    status = main(["check", ".", "--no-cache", *args])
    out, err = capsys.readouterr()
    return status, out, err


def test_legacy_tree_flow(tmp_path, monkeypatch, capsys):
    root = _tree(tmp_path, monkeypatch)
    server = root / "server.py"
    status, out, _ = _check(capsys)
    assert status == 1 and out.count("server.py:6:9: ") == 1  # one write, one finding (SPL001)

    # 1. adopt: the baseline takes every current finding, and the run passes
    status, _, err = _check(capsys, "--write-baseline", "baseline.json")
    assert status == 0
    assert "Wrote 1 finding to the baseline baseline.json." in err
    assert len(json.loads((root / "baseline.json").read_text())["findings"]) == 1
    status, out, _ = _check(capsys, "--baseline", "baseline.json")
    assert (status, out) == (0, "Found 0 findings in 1 file.\n")

    # 2. an unrelated edit above the finding moves it down: still known
    edited = '"""Legacy server."""\nimport os\n' + LEGACY.replace("def serve(sock: socket.socket):", "def serve(sock: socket.socket):  # the loop")
    server.write_text(edited)
    status, out, err = _check(capsys, "--baseline", "baseline.json")
    assert (status, out) == (0, "Found 0 findings in 1 file.\n")
    assert "1 finding is in the baseline and not shown." in err

    # 3. a new unguarded write fails the run, and only it is shown
    server.write_text(edited + NEW_WRITE)
    new_line = (edited + NEW_WRITE).splitlines().index("    sock.sendall(data)") + 1
    status, out, _ = _check(capsys, "--baseline", "baseline.json")
    assert status == 1
    lines = out.splitlines()
    assert [line.split(" ")[0:2] for line in lines[:-1]] == [
        [f"server.py:{new_line}:5:", "SPL001"],
    ]
    assert lines[-1] == "Found 1 finding in 1 file."

    # 4. --add-noqa: silences what is reported; a second run changes nothing
    status, _, err = _check(capsys, "--baseline", "baseline.json", "--add-noqa")
    assert status == 0 and "Added 1 noqa directive." in err
    after_first = server.read_bytes()
    assert b"    sock.sendall(data)  # noqa: SPL001\n" in after_first
    assert after_first.count(b"noqa") == 1  # the baselined write got none
    status, _, err = _check(capsys, "--baseline", "baseline.json", "--add-noqa")
    assert status == 0 and "Added 0 noqa directives." in err
    assert server.read_bytes() == after_first
    assert _check(capsys, "--baseline", "baseline.json")[0] == 0


def test_fingerprint_ignores_line_numbers_not_text():
    src = LEGACY.encode()
    (f,) = analyze_source(src, "s.py", ["SPL004"]).findings
    moved_src = b"import os\n\n\n" + src
    (moved,) = analyze_source(moved_src, "s.py", ["SPL004"]).findings
    assert moved.line == f.line + 3
    assert fingerprints([f], src) == fingerprints([moved], moved_src)
    # another function, another text: another fingerprint
    renamed = src.replace(b"def serve", b"def serve_forever")
    (r,) = analyze_source(renamed, "s.py", ["SPL004"]).findings
    assert fingerprints([r], renamed) != fingerprints([f], src)
    changed = src.replace(b'b"tick"', b'b"tock"')
    (c,) = analyze_source(changed, "s.py", ["SPL004"]).findings
    assert fingerprints([c], changed) != fingerprints([f], src)


def test_identical_writes_are_counted(tmp_path, monkeypatch, capsys):
    root = _tree(tmp_path, monkeypatch)
    twice = LEGACY + '        sock.sendall(b"tick")\n'
    (root / "server.py").write_text(twice)
    assert _check(capsys, "--select", "SPL004", "--write-baseline", "b.json")[0] == 0
    prints = [e["fingerprint"] for e in json.loads((root / "b.json").read_text())["findings"]]
    assert len(prints) == 2 and len(set(prints)) == 2  # same text, same function: the index tells them apart
    (root / "server.py").write_text(twice + '        sock.sendall(b"tick")\n')
    status, out, _ = _check(capsys, "--select", "SPL004", "--baseline", "b.json")
    assert status == 1 and out.endswith("Found 1 finding in 1 file.\n")


def test_baseline_errors(tmp_path, monkeypatch, capsys):
    _tree(tmp_path, monkeypatch)
    status, _, err = _check(capsys, "--baseline", "missing.json")
    assert status == 2 and "no such file: missing.json" in err
    (tmp_path / "legacy" / "bad.json").write_text('{"findings": []}')
    with pytest.raises(BaselineError):
        load_baseline("bad.json")
    assert _check(capsys, "--baseline", "bad.json")[0] == 2
    # both at once is a usage error (argparse: exit 2)
    assert _check(capsys, "--baseline", "a.json", "--write-baseline", "b.json")[0] == 2


def test_audit_takes_the_baseline(tmp_path, monkeypatch, capsys):
    _tree(tmp_path, monkeypatch)
    assert main(["audit", ".", "--no-cache", "--write-baseline", "b.json"]) == 0
    capsys.readouterr()
    assert main(["audit", ".", "--no-cache", "--baseline", "b.json"]) == 0
    assert capsys.readouterr().out.startswith("sigpipe-lint audit: 0 findings in 0 files;")


def test_statistics(tmp_path, monkeypatch, capsys):
    root = _tree(tmp_path, monkeypatch)
    (root / "reset.py").write_text("import signal\nsignal.signal(signal.SIGPIPE, signal.SIG_DFL)\n")
    (root / "client.py").write_text(
        "import socket\ns = socket.create_connection(('h', 1))\ntry:\n    s.sendall(b'x')\nexcept BrokenPipeError:\n    pass\n"
    )
    status, out, _ = _check(capsys, "--statistics")
    assert status == 1
    rows = [line.split() for line in out.splitlines()]
    assert rows[0] == ["count", "fixable", "safe", "code", "rule"]
    # server.py: SPL001 (safe MSG_NOSIGNAL; no unsafe part: serve() writes to a socket its
    # callers pass in and nothing in the module calls it, so no owner can end the
    # conversation; SPL004 yields to SPL001 on the same write); reset.py: SPL002 (unsafe);
    # client.py: SPL003 and SPL004 (both safe: add ConnectionResetError)
    name = {code: rule.name for code, rule in RULES_BY_CODE.items()}
    assert sorted(rows[1:-1], key=lambda r: r[3]) == [
        ["1", "1", "1", "SPL001", name["SPL001"]],
        ["1", "1", "0", "SPL002", name["SPL002"]],
        ["1", "1", "1", "SPL003", name["SPL003"]],
        ["1", "1", "1", "SPL004", name["SPL004"]],
    ]
    assert rows[-1] == ["4", "4", "3", "total"]
    status, out, _ = _check(capsys, "--statistics", "--output-format", "json")
    data = json.loads(out)
    assert {d["code"]: (d["count"], d["fixable_count"], d["safe_fixable_count"]) for d in data} == {
        "SPL001": (1, 1, 1), "SPL002": (1, 1, 0), "SPL003": (1, 1, 1), "SPL004": (1, 1, 1),
    }


def test_output_file(tmp_path, monkeypatch, capsys):
    _tree(tmp_path, monkeypatch)
    status, out, _ = _check(capsys, "--output-format", "json", "--output-file", "out.json")
    assert status == 1 and out == ""
    data = json.loads((tmp_path / "legacy" / "out.json").read_text())
    assert [d["code"] for d in data] == ["SPL001"]  # one write, one finding
    status, _, err = _check(capsys, "--output-file", str(tmp_path / "no" / "such" / "dir.txt"))
    assert status == 2 and "--output-file" in err


# --fix, --unsafe-fixes and --diff act on what --baseline reports, never on what it hides.
CONNECTS = '''import socket
s = socket.create_connection(("h", 1))
s.sendall(b"x")
'''  # SPL001: MSG_NOSIGNAL (safe), then the wrap (unsafe)
CATCHES_HALF = '''import socket
s = socket.create_connection(("h", 1))
try:
    s.sendall(b"x")
except BrokenPipeError:
    pass
'''  # SPL003 and SPL004: add ConnectionResetError (safe), which fixes both


def _two_files(tmp_path, monkeypatch, capsys, new_text):
    """old.py's finding in the baseline, then new.py with a finding of its own."""
    root = _tree(tmp_path, monkeypatch)
    (root / "server.py").unlink()
    (root / "old.py").write_text(CONNECTS)
    assert _check(capsys, "--write-baseline", "b.json")[0] == 0
    (root / "new.py").write_text(new_text)
    return root


def test_fix_and_diff_change_only_what_the_baseline_reports(tmp_path, monkeypatch, capsys):
    root = _two_files(tmp_path, monkeypatch, capsys, CATCHES_HALF)
    old, new = root / "old.py", root / "new.py"
    status, out, _ = _check(capsys, "--baseline", "b.json", "--statistics")
    assert status == 1 and [r.split()[3] for r in out.splitlines()[1:-1]] == ["SPL003", "SPL004"]

    status, out, err = _check(capsys, "--baseline", "b.json", "--diff")
    assert status == 1
    assert out.startswith("--- new.py\n+++ new.py\n") and "old.py" not in out
    assert "+except (BrokenPipeError, ConnectionResetError):" in out and "MSG_NOSIGNAL" not in out
    assert "unsafe fix" not in err  # old.py's unsafe part is hidden with its finding
    assert (old.read_text(), new.read_text()) == (CONNECTS, CATCHES_HALF)  # --diff writes nothing

    status, out, err = _check(capsys, "--baseline", "b.json", "--fix")
    assert (status, out) == (0, "Found 0 findings in 2 files.\n"), err
    assert "Fixed 1 file." in err and "unsafe fix" not in err
    assert old.read_text() == CONNECTS
    assert new.read_text() == CATCHES_HALF.replace("except BrokenPipeError:", "except (BrokenPipeError, ConnectionResetError):")

    # afterwards the baseline still holds everything that is left: nothing new
    status, out, err = _check(capsys, "--baseline", "b.json")
    assert (status, out) == (0, "Found 0 findings in 2 files.\n")
    assert "1 finding is in the baseline and not shown." in err
    # and the unsafe fixes leave the hidden finding alone too; a second run changes nothing
    fixed = new.read_bytes()
    for _ in range(2):
        assert _check(capsys, "--baseline", "b.json", "--fix", "--unsafe-fixes")[0] == 0
        assert (old.read_text(), new.read_bytes()) == (CONNECTS, fixed)


def test_a_baselined_unsafe_fix_is_neither_applied_nor_counted(tmp_path, monkeypatch, capsys):
    root = _two_files(tmp_path, monkeypatch, capsys, CONNECTS)
    old, new = root / "old.py", root / "new.py"
    # --fix: new.py gets MSG_NOSIGNAL; what is left there (SPL004) has the wrap to offer
    status, out, err = _check(capsys, "--baseline", "b.json", "--fix")
    assert status == 1 and old.read_text() == CONNECTS
    assert 'getattr(socket, "MSG_NOSIGNAL", 0)' in new.read_text()
    assert [line.split()[:2] for line in out.splitlines()[:-1]] == [["new.py:3:1:", "SPL004"]]
    assert "1 unsafe fix is available with --fix --unsafe-fixes." in err
    status, out, err = _check(capsys, "--baseline", "b.json", "--fix", "--unsafe-fixes")
    assert (status, out) == (0, "Found 0 findings in 2 files.\n"), err
    assert old.read_text() == CONNECTS
    assert "except (BrokenPipeError, ConnectionResetError) as exc:" in new.read_text()
    assert _check(capsys, "--baseline", "b.json") == (0, "Found 0 findings in 2 files.\n", "1 finding is in the baseline and not shown.\n")


HELD_WRITE = '''import socket


def old(s: socket.socket):
    s.sendall(b"x")
'''
NEW_CONNECTION = '''

def new():
    c = socket.create_connection(("h", 1))
    c.sendall(b"y")
'''


def test_a_fix_that_would_bring_a_new_finding_onto_a_held_line_is_not_applied(tmp_path, monkeypatch, capsys):
    """SPL001 looks at the module: MSG_NOSIGNAL or a handler for the new write silences it on
    the held one too, and SPL004 then reports the held write anew. The baseline's user asked
    for no change there, so that fix is not applied; the finding's fix says why."""
    root = _tree(tmp_path, monkeypatch)
    server = root / "server.py"
    server.write_text(HELD_WRITE)
    assert _check(capsys, "--write-baseline", "b.json")[0] == 0
    server.write_text(HELD_WRITE + NEW_CONNECTION)
    note = "1 fix was not applied: it would make new findings appear on lines the baseline holds"
    for extra in ([], ["--unsafe-fixes"]):
        status, out, err = _check(capsys, "--baseline", "b.json", "--diff", *extra)
        assert (status, out) == (1, "") and note in err
        status, out, err = _check(capsys, "--baseline", "b.json", "--fix", "--output-format", "json", *extra)
        assert status == 1 and note in err and "Fixed" not in err
        (finding,) = json.loads(out)
        assert (finding["line"], finding["code"]) == (10, "SPL001")
        assert finding["fix"] == {
            "applicability": "none",
            "message": "no automatic fix: with --baseline, fixing it would make a new SPL004 finding appear "
            "on line 5, whose finding the baseline holds (fix that line too, or write the baseline anew)",
        }
        assert server.read_text() == HELD_WRITE + NEW_CONNECTION
    # a report without --fix says the same: no fix offered, none counted as fixable or unsafe
    status, out, err = _check(capsys, "--baseline", "b.json")
    assert status == 1 and out.startswith("server.py:10:5: SPL001") and "unsafe fix" not in err
    assert "1 fix is not applied by --fix: it would make new findings appear on lines the baseline holds" in err
    status, out, _ = _check(capsys, "--baseline", "b.json", "--output-format", "json")
    assert [f["fix"]["applicability"] for f in json.loads(out)] == ["none"]
    status, out, _ = _check(capsys, "--baseline", "b.json", "--statistics", "--output-format", "json")
    assert [(d["code"], d["count"], d["fixable_count"]) for d in json.loads(out)] == [("SPL001", 1, 0)]
    status, out, _ = _check(capsys, "--baseline", "b.json", "--output-format", "sarif")
    (result,) = json.loads(out)["runs"][0]["results"]
    assert "fixes" not in result and result["properties"]["fixApplicability"] == "none"
    # without the baseline the same fix is applied, and SPL004 shows on line 5: what was avoided
    status, out, _ = _check(capsys, "--fix")
    assert status == 1 and 'c.sendall(b"y", getattr(socket, "MSG_NOSIGNAL", 0))' in server.read_text()
    assert [line.split()[:2] for line in out.splitlines()[:-1]] == [["server.py:5:5:", "SPL004"], ["server.py:10:5:", "SPL004"]]


def test_each_declined_fix_says_why(tmp_path, monkeypatch, capsys):
    """Two reported findings, each of whose fixes alone would bring SPL004 onto the held line."""
    root = _tree(tmp_path, monkeypatch)
    server = root / "server.py"
    server.write_text("import signal\n" + HELD_WRITE)
    assert _check(capsys, "--write-baseline", "b.json")[0] == 0
    text = "import signal\n" + HELD_WRITE.replace("\n\n\ndef old", "\nsignal.signal(signal.SIGPIPE, signal.SIG_DFL)\n\n\ndef old") + NEW_CONNECTION
    server.write_text(text)
    status, out, err = _check(capsys, "--baseline", "b.json", "--fix", "--unsafe-fixes", "--output-format", "json")
    assert status == 1 and "2 fixes were not applied" in err and server.read_text() == text
    assert [(f["code"], f["fix"]["applicability"], "on line 7," in f["fix"]["message"]) for f in json.loads(out)] == [
        ("SPL002", "none", True), ("SPL001", "none", True),
    ]


def test_an_unreadable_baseline_stops_a_fix_before_anything_is_written(tmp_path, monkeypatch, capsys):
    root = _tree(tmp_path, monkeypatch)
    status, _, err = _check(capsys, "--baseline", "missing.json", "--fix")
    assert status == 2 and "no such file: missing.json" in err
    assert (root / "server.py").read_text() == LEGACY


def test_diff_matches_the_baseline_in_the_code_it_shows(tmp_path, monkeypatch, capsys):
    """--diff writes nothing, so what remains after its fixes is matched against the fixed
    code (where the wrap's `import sys` moved the held write down a line), not the file."""
    root = _tree(tmp_path, monkeypatch)
    server = root / "server.py"
    guarded = '''

def guarded(s: socket.socket):
    try:
        s.sendall(b"z")
    except OSError:
        pass
'''
    server.write_text(HELD_WRITE + guarded)  # the handler keeps SPL001 quiet: SPL004 on line 5
    assert _check(capsys, "--write-baseline", "b.json")[0] == 0
    server.write_text(HELD_WRITE + guarded + NEW_CONNECTION)
    status, out, err = _check(capsys, "--baseline", "b.json", "--diff", "--unsafe-fixes")
    assert status == 1 and "+import sys\n" in out and "+    try:\n" in out
    assert "1 finding is in the baseline and not shown." in err
    status, out, err = _check(capsys, "--baseline", "b.json", "--fix", "--unsafe-fixes")
    assert (status, out) == (0, "Found 0 findings in 1 file.\n") and "1 finding is in the baseline and not shown." in err
