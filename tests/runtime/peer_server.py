"""Throwaway peer for the client fixtures: accepts one connection on 127.0.0.1:0.

    python peer_server.py fin   keeps reading: when SIGKILLed its kernel sends FIN
    python peer_server.py rst   reads 1 byte and stops: the receive buffer keeps unread
                                bytes, so when SIGKILLed its kernel sends RST

Prints `listening PORT` once bound and `received N` after the first read; the harness
synchronises on those lines and then SIGKILLs this process. Every wait is bounded so a
forgotten peer goes away by itself.
"""
import select
import socket
import sys


def main(mode):
    srv = socket.create_server(("127.0.0.1", 0))
    srv.settimeout(60)
    print("listening", srv.getsockname()[1], flush=True)
    conn, _ = srv.accept()
    conn.settimeout(60)
    if mode == "rst":
        data = conn.recv(1)
        print("received", len(data), flush=True)
        select.select([sys.stdin], [], [], 60)  # until killed, the harness goes away, or 60 s
        return
    data = conn.recv(65536)
    print("received", len(data), flush=True)
    while data:
        data = conn.recv(65536)


if __name__ == "__main__":
    main(sys.argv[1])
