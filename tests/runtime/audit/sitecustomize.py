"""Runtime audit of a conversation's end, loaded through PYTHONPATH by the fix tests.

With SIGPIPE_LINT_AUDIT=1 in the environment, every `socket.socket` reports on stderr
(lines starting with `sigpipe-lint-audit:`):

- a write or `shutdown()` on a socket that already failed with BrokenPipeError or
  ConnectionResetError (the program went on talking to a dead peer);
- a write or `shutdown()` that fails with EBADF (it wrote to a socket it had closed);
- a second `close()` of a socket (issue 10: the connection is closed exactly once).

Writes through `makefile()` files reach `socket.send` and are seen too; `os.write` on a
socket's descriptor is not. socketserver's own cleanup (`shutdown_request`, which catches
OSError) is not the program's conversation and is not counted.
"""
import errno
import os
import socket
import sys
import weakref

if os.environ.get("SIGPIPE_LINT_AUDIT") == "1":
    _dead = weakref.WeakSet()

    def _report(what):
        os.write(2, f"sigpipe-lint-audit: {what}\n".encode())

    def _library_cleanup():
        frame = sys._getframe(2)
        return frame is not None and os.path.basename(frame.f_code.co_filename) == "socketserver.py"

    def _audited(name, original):
        def method(self, *args, **kwargs):
            if self in _dead and not _library_cleanup():
                _report(f"{name}() after the peer's death")
            try:
                return original(self, *args, **kwargs)
            except (BrokenPipeError, ConnectionResetError):
                _dead.add(self)
                raise
            except OSError as e:
                if e.errno == errno.EBADF and not _library_cleanup():
                    _report(f"{name}() on a closed socket")
                raise

        method.__name__ = name
        return method

    for _name in ("send", "sendall", "sendto", "sendmsg", "sendfile", "shutdown"):
        setattr(socket.socket, _name, _audited(_name, getattr(socket.socket, _name)))

    _close = socket.socket.close

    def close(self):
        if self._closed:
            _report("close() of a socket already closed")
        return _close(self)

    socket.socket.close = close
