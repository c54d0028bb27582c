"""A seeded, fault-injecting HTTP-aware TCP proxy between the simulated phones and the server.

Each request is read whole (headers and `Content-Length` body), then one fault is chosen with
the proxy's own seeded RNG (under a lock, so the choice depends only on request order):

- `drop_before` — close the phone's connection; the server never sees the request.
- `drop_after`  — forward the request, read the server's whole answer (the server committed),
                  discard it and close: the phone must retry and get its stored result.
- `delay`       — wait a little before forwarding (ordering and timeouts).
- `truncate`    — forward, then hand the phone only part of the answer and close.
- `duplicate`   — deliver the request twice, concurrently, on two server connections; the
                  phone gets one answer (exactly-once must hold on the server).

Every upstream request is sent with `Connection: close`, so an answer ends at EOF and each
request gets a fresh server connection. Faults apply only to `/api/v1/` paths and only while
`enabled` is true (setup and the final drain run clean). `counts` holds each fault's tally.
"""

from __future__ import annotations

import contextlib
import random
import socket
import threading
import time
from collections import Counter

FAULTS = ("drop_before", "drop_after", "delay", "truncate", "duplicate")


def _read_request(sock: socket.socket) -> bytes | None:
    """One whole HTTP request from `sock` (None on EOF before a request)."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        buf += chunk
    head, _, body = buf.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        body += chunk
    return head + b"\r\n\r\n" + body


def _closing(request: bytes) -> bytes:
    """The request with `Connection: close` (the answer then ends at EOF)."""
    head, _, body = request.partition(b"\r\n\r\n")
    lines = [
        line
        for line in head.split(b"\r\n")
        if not line.lower().startswith(b"connection:")
        and not line.lower().startswith(b"keep-alive:")
    ]
    lines.append(b"Connection: close")
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


class FaultProxy:
    """Listen on 127.0.0.1:<port>, forward to `upstream`, inject faults at `rate`."""

    def __init__(self, upstream_port: int, *, seed: int, rate: float = 0.15) -> None:
        self.upstream = ("127.0.0.1", upstream_port)
        self.rng = random.Random(seed)
        self.rate = rate
        self.enabled = False
        self.counts: Counter[str] = Counter()
        self.requests = 0
        self.events: list[str] = []  # recent faults, for the failure trace
        self.forced: list[str] = []  # faults to apply to the next API requests (tests)
        self._lock = threading.Lock()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._stop = False
        self._threads: list[threading.Thread] = []
        self._accept_thread = threading.Thread(target=self._accept, daemon=True)
        self._accept_thread.start()

    def close(self) -> None:
        """Stop accepting; connection threads end with their sockets."""
        self._stop = True
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()

    def _choose(self, request: bytes) -> str | None:
        line = request.split(b"\r\n", 1)[0].decode("latin-1")
        with self._lock:
            self.requests += 1
            if " /api/v1/" not in line or "/auth/" in line:
                return None
            if self.forced:
                fault = self.forced.pop(0)
            elif not self.enabled or self.rng.random() >= self.rate:
                return None
            else:
                fault = self.rng.choice(FAULTS)
            self.counts[fault] += 1
            self.events.append(f"{fault}: {line.split(' HTTP/')[0]}")
            return fault

    def _accept(self) -> None:
        while not self._stop:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(client,), daemon=True)
            thread.start()

    def _exchange(self, request: bytes) -> bytes:
        """Send one request upstream on a fresh connection; its whole answer."""
        with socket.create_connection(self.upstream, timeout=60) as up:
            up.sendall(_closing(request))
            chunks = []
            while True:
                chunk = up.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
        return b"".join(chunks)

    def _serve(self, client: socket.socket) -> None:
        try:
            with client:
                while True:
                    request = _read_request(client)
                    if request is None:
                        return
                    fault = self._choose(request)
                    if fault == "drop_before":
                        return
                    if fault == "delay":
                        time.sleep(0.05)
                    if fault == "duplicate":
                        twin = threading.Thread(target=self._exchange, args=(request,))
                        twin.start()
                        answer = self._exchange(request)
                        twin.join(60)
                    else:
                        answer = self._exchange(request)
                    if fault == "drop_after":
                        return
                    if fault == "truncate":
                        client.sendall(answer[: max(1, len(answer) // 2)])
                        return
                    client.sendall(answer)
                    if b"\r\nconnection: close" in answer.split(b"\r\n\r\n", 1)[0].lower():
                        return
        except OSError:
            return
