"""pytest plugin: the dying peer in your own tests (loaded automatically once sigpipe-lint is
installed: entry point `pytest11`, no configuration).

Fixtures:

- `dying_peer`: a server on 127.0.0.1 (ephemeral port) for one connection, which dies once
  it has received `after_bytes` bytes (default 1; set `dying_peer.after_bytes = None`
  before connecting to kill it only on demand with `dying_peer.kill()`).
  `dying_peer.run(target)` runs a command (a list; `{host}`, `{port}` filled in) or a
  callable against it and returns how it ended; `dying_peer.assert_survives(target)`
  fails, saying how it died, unless it survived.
- `dying_client`: the client that dies, for servers: `dying_client(port, request)` connects,
  sends, reads a little and dies; `dying_client.assert_server_survives(port_or_command,
  request, probe)` checks that the server still answers a second client.
- `make_dying_peer(variant=..., after_bytes=..., unix=...)`: more peers, closed at teardown.
- `peer_variant`: "fin" unless parametrized; mark a test with `@pytest.mark.peer_variants`
  (or parametrize `peer_variant` over `sigpipe_lint.pytest_plugin.VARIANTS`) to run it
  once per way of dying: `fin` (the peer read everything, then closed) and `rst` (it left
  data unread: reset).
"""

from __future__ import annotations

import pytest

from sigpipe_lint.prove.peer import VARIANTS, DyingClient, DyingPeer, PeerError
from sigpipe_lint.prove.run import Outcome

__all__ = ["VARIANTS", "DyingClient", "DyingPeer", "Outcome", "PeerError", "assert_survives_peer_death"]


def assert_survives_peer_death(target, peer: DyingPeer, **kw) -> Outcome:
    """`target` (a command as a list, or a callable) survives `peer`'s death, or an
    AssertionError saying how it died (crashed by which exception or signal, or kept
    running)."""
    __tracebackhide__ = True
    return peer.assert_survives(target, **kw)


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "peer_variants: run the test once per way the peer dies (peer_variant: fin, rst)")


def pytest_generate_tests(metafunc):
    if metafunc.definition.get_closest_marker("peer_variants") is None:
        return
    if "peer_variant" not in metafunc.fixturenames:
        return
    for m in metafunc.definition.iter_markers("parametrize"):
        names = m.args[0] if m.args else m.kwargs.get("argnames", ())
        if isinstance(names, str):
            names = [n.strip() for n in names.split(",")]
        if "peer_variant" in names:  # the test says which variants itself
            return
    metafunc.parametrize("peer_variant", VARIANTS)


@pytest.fixture
def peer_variant() -> str:
    """How the peer dies: "fin" unless parametrized (see @pytest.mark.peer_variants)."""
    return "fin"


@pytest.fixture
def make_dying_peer(peer_variant):
    """make_dying_peer(variant=peer_variant, after_bytes=1, unix=False, timeout=15) -> a new
    DyingPeer, closed at teardown."""
    peers = []

    def make(variant=None, **kw) -> DyingPeer:
        peer = DyingPeer(variant or peer_variant, **kw)
        peers.append(peer)
        return peer

    yield make
    for peer in peers:
        peer.close()


@pytest.fixture
def dying_peer(make_dying_peer) -> DyingPeer:
    """A server on 127.0.0.1:`dying_peer.port` that dies after the first bytes it receives."""
    return make_dying_peer()


@pytest.fixture
def dying_client(peer_variant) -> DyingClient:
    """A client that connects, sends a request, reads a little and dies (peer_variant)."""
    return DyingClient(peer_variant)
