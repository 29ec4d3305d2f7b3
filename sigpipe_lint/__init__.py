"""sigpipe-lint: find the socket writes that crash a program when the peer dies."""

__version__ = "0.1.0"
