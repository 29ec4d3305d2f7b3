"""Each finding's own share of the fix (FixInfo.edits): the audit report and SARIF show it."""

from sigpipe_lint.engine import analyze_source

# Two connections written on consecutive lines: each write's fix wraps its own
# connection's conversation (one statement each), so the two changes touch adjacent lines.
SRC = b'''import socket

sock = socket.create_connection(("broker", 9092))
other = socket.create_connection(("backup", 9092))
sock.sendall(b"x")
other.sendall(b"y")
'''


def _apply(source: bytes, replacements) -> bytes:
    lines = source.splitlines(keepends=True)
    for first, end, text in sorted(replacements, reverse=True):
        lines[first - 1 : end - 1] = [text.encode()]
    return b"".join(lines)


def test_adjacent_writes_get_their_own_edits():
    """Two wrapped writes on consecutive lines: one application would merge their changes into
    one block; each finding must still get only its own statement's change (and the import)."""
    result = analyze_source(SRC, "m.py", ["SPL004"], fix_edits=True)
    x, y = result.findings
    assert (x.line, y.line) == (5, 6)
    (ex,) = x.fix.edits
    (ey,) = y.fix.edits
    assert ex.applicability == ey.applicability == "unsafe"
    fixed_x = _apply(SRC, ex.replacements)
    fixed_y = _apply(SRC, ey.replacements)
    assert b'try:\n    sock.sendall(b"x")\n' in fixed_x and b'\nother.sendall(b"y")\n' in fixed_x
    assert b'try:\n    other.sendall(b"y")\n' in fixed_y and b'\nsock.sendall(b"x")\n' in fixed_y
    assert fixed_x.startswith(b"import socket\nimport sys\n") and fixed_y.startswith(b"import socket\nimport sys\n")
    for fixed in (fixed_x, fixed_y):
        compile(fixed, "m.py", "exec")
    # both applied together: what --fix --unsafe-fixes writes
    both = analyze_source(SRC, "m.py", ["SPL004"], fix="unsafe").fixed_source
    assert both.count(b"try:") == 2
    assert ex.diff.startswith("--- m.py\n+++ m.py\n")


def test_safe_and_unsafe_edits_and_none_without_asking():
    result = analyze_source(SRC, "m.py", ["SPL001"], fix_edits=True)
    f = result.findings[0]
    safe, unsafe = f.fix.edits
    assert (safe.applicability, unsafe.applicability) == ("safe", "unsafe")
    assert safe.description == "pass MSG_NOSIGNAL (stops the signal, not the exception)"
    assert _apply(SRC, safe.replacements) == SRC.replace(
        b'sock.sendall(b"x")', b'sock.sendall(b"x", getattr(socket, "MSG_NOSIGNAL", 0))'
    )
    assert b"try:" in _apply(SRC, unsafe.replacements)
    # not asked for: no edits (and the JSON output keeps its shape)
    plain = analyze_source(SRC, "m.py", ["SPL001"]).findings[0]
    assert plain.fix.edits == () and "edits" not in plain.to_dict()["fix"]


def test_a_fix_said_to_be_none_stays_none(tmp_path):
    """with_fix_edits takes each finding's fix from a second pass, which knows no baseline: a
    fix that --baseline declined (baseline.with_declined) must not come back from it."""
    import dataclasses

    from sigpipe_lint.findings import FixInfo
    from sigpipe_lint.runner import RunOptions, run, with_fix_edits

    path = tmp_path / "m.py"
    path.write_bytes(SRC)
    (result,) = run([str(path)], RunOptions(codes=("SPL004",)), jobs=1)
    assert [f.fix.applicability for f in result.findings] == ["unsafe", "unsafe"]
    declined = FixInfo("none", "no automatic fix: declined")
    result = dataclasses.replace(result, findings=[dataclasses.replace(result.findings[0], fix=declined), result.findings[1]])
    (edited,) = with_fix_edits([result], RunOptions(codes=("SPL004",)), jobs=1)
    assert edited.findings[0].fix == declined
    assert edited.findings[1].fix.edits  # the other finding's edits did come
