"""What asyncio does when the peer dies (semantics.md, fact 16), re-checked on this machine.

The asyncio rules stand on these: the drain is the write that raises (not `write()`), a
FIN peer's first failing drain raises ConnectionResetError and the later ones and
`wait_closed()` BrokenPipeError (so catching one of the two leaks the other), an RST peer
raises ConnectionResetError everywhere, `loop.sock_sendall` raises like a plain socket, and
a Protocol's `transport.write()` never raises. The peer is the product's dying peer
(`sigpipe_lint.prove`, as in `sigpipe-lint prove` and the pytest plugin), killed once it has
received bytes: `fin` was reading, `rst` left bytes unread; every wait is bounded.
"""
import asyncio
import socket

import pytest

from sigpipe_lint.prove.peer import DyingPeer

ROUNDS = 200  # at most 200 writes 20 ms apart after the kill: the failure comes well before
PACE = 0.02


class Peer:
    def __init__(self, mode):
        self.peer = DyingPeer(mode, after_bytes=None)  # dies on demand only
        self.port = self.peer.port

    async def kill_once_it_received(self):
        received = await asyncio.to_thread(self.peer.wait_received)
        assert received, f"{self.peer!r} never received bytes"
        self.peer.kill()

    def finish(self):
        self.peer.close()


def run(coro_fn, mode):
    peer = Peer(mode)
    try:
        return asyncio.run(asyncio.wait_for(coro_fn(peer), 60))
    finally:
        peer.finish()


def _name(exc):
    return type(exc).__name__


async def drains(peer):
    """(what each failing drain raised, what wait_closed raised) after the peer's death."""
    _, writer = await asyncio.open_connection("127.0.0.1", peer.port)
    writer.write(b"x" * 1000)
    await writer.drain()
    await peer.kill_once_it_received()
    failures = []
    for _ in range(ROUNDS):
        writer.write(b"x" * 1000)  # never raises, dead peer or not
        try:
            await writer.drain()
        except Exception as e:  # noqa: BLE001 - recording what is raised is the point
            failures.append(e)
            if len(failures) == 3:
                break
        await asyncio.sleep(PACE)
    writer.close()
    try:
        await writer.wait_closed()
        closed = None
    except Exception as e:  # noqa: BLE001
        closed = e
    return failures, closed


def test_fin_peer_first_drain_connection_reset_then_broken_pipe():
    failures, closed = run(drains, "fin")
    assert len(failures) == 3, failures
    assert _name(failures[0]) == "ConnectionResetError" and str(failures[0]) == "Connection lost"
    assert [_name(e) for e in failures[1:]] == ["BrokenPipeError", "BrokenPipeError"]
    assert _name(closed) == "BrokenPipeError"


def test_rst_peer_every_drain_and_wait_closed_connection_reset():
    failures, closed = run(drains, "rst")
    assert [_name(e) for e in failures] == ["ConnectionResetError"] * 3
    assert _name(closed) == "ConnectionResetError"


async def sock_sendall(peer):
    loop = asyncio.get_running_loop()
    sock = socket.create_connection(("127.0.0.1", peer.port))
    sock.setblocking(False)
    try:
        await loop.sock_sendall(sock, b"x" * 1000)
        await peer.kill_once_it_received()
        for _ in range(ROUNDS):
            try:
                await loop.sock_sendall(sock, b"x" * 1000)
            except Exception as e:  # noqa: BLE001
                return e
            await asyncio.sleep(PACE)
        return None
    finally:
        sock.close()


@pytest.mark.parametrize("mode,expected", [("fin", "BrokenPipeError"), ("rst", "ConnectionResetError")])
def test_sock_sendall_raises_like_a_plain_socket(mode, expected):
    assert _name(run(sock_sendall, mode)) == expected


async def protocol_writes(peer):
    loop = asyncio.get_running_loop()
    lost = loop.create_future()

    class Client(asyncio.Protocol):
        def connection_lost(self, exc):
            if not lost.done():
                lost.set_result(exc)

    transport, _ = await loop.create_connection(Client, "127.0.0.1", peer.port)
    transport.write(b"x" * 1000)
    await peer.kill_once_it_received()
    for _ in range(ROUNDS):
        transport.write(b"x" * 1000)  # must not raise: the test fails if it does
        if lost.done():
            break
        await asyncio.sleep(PACE)
    for _ in range(5):  # a few writes after connection_lost: still no exception
        transport.write(b"x")
    return await asyncio.wait_for(lost, 10)


@pytest.mark.parametrize("mode", ["fin", "rst"])
def test_protocol_transport_write_never_raises(mode):
    exc = run(protocol_writes, mode)
    if mode == "rst":
        assert _name(exc) == "ConnectionResetError"


async def write_eof_after_death(peer):
    _, writer = await asyncio.open_connection("127.0.0.1", peer.port)
    writer.write(b"x" * 1000)
    await writer.drain()
    await peer.kill_once_it_received()
    raised = []
    for _ in range(ROUNDS):
        writer.write(b"x" * 1000)
        try:
            await writer.drain()
        except ConnectionError:
            break
        await asyncio.sleep(PACE)
    try:
        writer.write_eof()
    except Exception as e:  # noqa: BLE001
        raised.append(e)
    writer.close()
    try:
        await writer.wait_closed()
    except ConnectionError as e:
        raised.append(e)
    return raised


@pytest.mark.parametrize("mode", ["fin", "rst"])
def test_write_eof_does_not_raise_wait_closed_does(mode):
    raised = run(write_eof_after_death, mode)
    assert [_name(e) for e in raised] == ["BrokenPipeError" if mode == "fin" else "ConnectionResetError"]


async def loop_sendfile(peer, tmp_path):
    path = tmp_path / "payload"
    path.write_bytes(b"y" * 100_000)
    loop = asyncio.get_running_loop()
    _, writer = await asyncio.open_connection("127.0.0.1", peer.port)
    failures = []
    with open(path, "rb") as f:
        await loop.sendfile(writer.transport, f)
        await peer.kill_once_it_received()
        for _ in range(ROUNDS):
            f.seek(0)
            try:
                await loop.sendfile(writer.transport, f)
            except Exception as e:  # noqa: BLE001
                failures.append(e)
                if len(failures) == 2:
                    break
            await asyncio.sleep(PACE)
    writer.close()
    return failures


@pytest.mark.parametrize("mode", ["fin", "rst"])
def test_loop_sendfile_raises_connection_error_and_runtime_error(mode, tmp_path):
    """Measured: FIN, BrokenPipeError then ConnectionError('Connection closed by peer'); RST,
    ConnectionError('Connection closed by peer') then RuntimeError('Transport is closing').
    Catching (BrokenPipeError, ConnectionResetError) is not enough here."""
    failures = run(lambda peer: loop_sendfile(peer, tmp_path), mode)
    assert len(failures) == 2, failures
    assert all(isinstance(e, (ConnectionError, RuntimeError)) for e in failures), failures
    assert any(not isinstance(e, (BrokenPipeError, ConnectionResetError)) for e in failures), failures
