"""Deadlines for slow clients (docs/operations.md, "Slow clients").

A threaded worker gives each request a thread from the moment its first bytes arrive until
the app has read its body; a client that sends its headers or body a byte at a time
(slowloris, slow POST) holds that thread as long as it likes, and sixteen of them stalled the
old default of 2 workers × 4 threads. So:
- **No thread until the head is whole**: the gunicorn worker (`sync_server.gunicorn_worker`)
  reads a request's line and headers without blocking as they arrive and hands the
  connection to a thread only when they are complete; meanwhile it waits in the poller. A head
  still incomplete `HEADER_TIMEOUT` (15 s) after its first byte closes the connection (as
  Apache's mod_reqtimeout `header=` does).
- **Body deadline with a minimum rate**: reading the body may take `BODY_TIMEOUT` (20 s) plus
  one second per `BODY_MIN_RATE` (500) bytes received, as mod_reqtimeout's `body=20,
  MinRate=500`: a phone on a poor link that keeps sending is never cut, a client that stalls
  is answered 408 and its connection closed (`DeadlineInput`).
- **Threads**: `serve` runs `THREADS` (32) per worker (idle keep-alive connections wait in the
  poller and hold none), so 50 slow connections held to those deadlines leave threads free.
The real defence in production is a buffering reverse proxy (nginx) that receives the whole
request before gunicorn sees it; these limits keep `serve` usable without one, and a proxy
that sends complete requests never meets them. Outside gunicorn (tests, `flask run`) the
middleware does nothing.
"""

from __future__ import annotations

import contextlib
import os
import socket
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, NoReturn

from werkzeug.exceptions import RequestTimeout

# Read once per process from the environment (documented in sync_server/config.py).
HEADER_TIMEOUT = float(os.environ.get("REQUEST_HEADER_TIMEOUT", "15"))
BODY_TIMEOUT = float(os.environ.get("REQUEST_BODY_TIMEOUT", "20"))
BODY_MIN_RATE = int(os.environ.get("REQUEST_BODY_MIN_RATE", "500"))  # bytes/s per extra second
THREADS = 32


MAX_HEAD_BYTES = 64 * 1024  # past this gunicorn's own limits (414/431) decide


class HeadState:
    """The bytes of a request head received so far, and when the first of them came."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.data = bytearray()
        self.started: float | None = None

    def add(self, data: bytes) -> None:
        if self.started is None:
            self.started = self.clock()
        self.data += data

    def complete(self, buffered: bytes = b"") -> bool:
        """True when the head has ended (or is so long that the parser must refuse it)."""
        whole = buffered + bytes(self.data)
        return b"\r\n\r\n" in whole or len(whole) >= MAX_HEAD_BYTES

    def expired(self) -> bool:
        return self.started is not None and self.clock() - self.started > HEADER_TIMEOUT


class DeadlineInput:
    """`wsgi.input` whose reads must keep up a minimum rate (see the module docstring)."""

    def __init__(self, stream: Any, sock: socket.socket) -> None:
        self.stream = stream
        self.sock = sock
        self.started = time.monotonic()
        self.received = 0

    def _arm(self) -> None:
        allowed = BODY_TIMEOUT + self.received / BODY_MIN_RATE
        remaining = self.started + allowed - time.monotonic()
        if remaining <= 0:
            self._give_up()
        self.sock.settimeout(remaining)

    def _give_up(self) -> NoReturn:
        """Stop reading this connection (the unread rest makes gunicorn close it after the
        answer instead of waiting to drain it) and answer 408."""
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RD)
        raise RequestTimeout()

    def _count(self, data: bytes) -> bytes:
        self.received += len(data)
        return data

    def read(self, size: int | None = -1) -> bytes:
        self._arm()
        try:
            return self._count(self.stream.read(size))
        except TimeoutError:
            self._give_up()

    def readline(self, size: int | None = -1) -> bytes:
        self._arm()
        try:
            return self._count(self.stream.readline(size))
        except TimeoutError:
            self._give_up()

    def readlines(self, hint: int | None = None) -> list[bytes]:
        return list(iter(self.readline, b""))

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.readline, b"")


class SlowClientMiddleware:
    """Puts the minimum-rate deadline on the body of a request served by gunicorn."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        sock = environ.get("gunicorn.socket")
        if isinstance(sock, socket.socket):
            environ["wsgi.input"] = DeadlineInput(environ["wsgi.input"], sock)
        try:
            return self.app(environ, start_response)
        finally:
            if isinstance(sock, socket.socket):
                sock.settimeout(None)  # the body is read: writing the answer has no deadline
