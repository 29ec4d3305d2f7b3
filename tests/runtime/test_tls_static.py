"""The TLS fixture cannot run here (no certificates): check the fixed source instead.

`ssl.SSLSocket.send/sendall` raise ValueError for any non-zero flags (fact 6), so the
fixer must add MSG_NOSIGNAL to the plain socket's call and to no TLS socket's call.
"""
import ast

import runtime_harness as h

TLS = h.FIXTURES / "tls_client_static.py"
SEND = {"send", "sendall", "sendto", "sendmsg"}
PLAIN_FUNCS = {"plain_status"}
TLS_FUNCS = {"tls_rebound", "tls_separate", "push"}


def _mentions_nosignal(node):
    for n in ast.walk(node):
        if isinstance(n, ast.Attribute) and "NOSIGNAL" in n.attr:
            return True
        if isinstance(n, ast.Name) and "NOSIGNAL" in n.id:
            return True
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and "NOSIGNAL" in n.value:
            return True
    return False


def _send_calls_by_function(tree):
    out = {}
    for fn in ast.walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            calls = [
                c for c in ast.walk(fn)
                if isinstance(c, ast.Call) and isinstance(c.func, ast.Attribute) and c.func.attr in SEND
            ]
            out[fn.name] = calls
    return out


def test_tls_fixture_is_static():
    assert h.headers(TLS).get("runtime") == "static"
    calls = _send_calls_by_function(ast.parse(TLS.read_text()))
    assert all(len(calls[f]) == 1 for f in PLAIN_FUNCS | TLS_FUNCS)
    assert not any(_mentions_nosignal(c) for cs in calls.values() for c in cs)


def test_fixer_adds_msg_nosignal_to_plain_sockets_only(fixed):
    copy = fixed(TLS)
    source = copy.read_text()
    calls = _send_calls_by_function(ast.parse(source))
    for f in TLS_FUNCS:
        assert len(calls[f]) == 1, f"{f}: the TLS write disappeared\n{source}"
        c = calls[f][0]
        assert not _mentions_nosignal(c), (
            f"{f}: MSG_NOSIGNAL added to a TLS socket's call (ValueError at run time), "
            f"line {c.lineno}: {ast.unparse(c)}\n{source}")
    for f in PLAIN_FUNCS:
        assert len(calls[f]) == 1, f"{f}: the write disappeared\n{source}"
        c = calls[f][0]
        assert _mentions_nosignal(c), f"{f}: plain socket's call got no MSG_NOSIGNAL: {ast.unparse(c)}\n{source}"
