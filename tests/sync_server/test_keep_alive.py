"""`serve` keeps an idle connection open longer than a reverse proxy or a phone reuses one.

gunicorn's default keep-alive is 2 s: a client that reused a connection after ~2 s of idle
(a phone applying a pull page, a proxy's pooled upstream connection, `bench load` between
steps) raced the worker closing it and got "connection reset" or "remote end closed
connection without response" — for a push, a failed sync (found by `python -m bench load`).
"""

from __future__ import annotations

import socket
import time

from sync_server.cli import KEEP_ALIVE_SECONDS
from tests.conftest import LiveServer

REQUEST = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n"


def _answer(sock: socket.socket) -> bytes:
    """One whole HTTP response read from `sock` (b"" if the server closed the connection)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        body += sock.recv(4096)
    return head


def test_an_idle_connection_is_still_served_after_gunicorns_default_keep_alive(
    sqlite_url: str,
) -> None:
    assert KEEP_ALIVE_SECONDS >= 60  # longer than a proxy keeps idle upstream connections
    server = LiveServer(sqlite_url, workers=1)
    try:
        port = int(server.url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(REQUEST)
            assert _answer(sock).startswith(b"HTTP/1.1 200")
            time.sleep(3.5)  # past the 2 s default and gunicorn's 1 s check of idle connections
            sock.sendall(REQUEST)
            assert _answer(sock).startswith(b"HTTP/1.1 200")
    finally:
        server.stop()
