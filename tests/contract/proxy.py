"""A tiny loopback TCP proxy that cuts a connection after N bytes of a request or response.

A cut is armed when the client sends its marker (`POST /api/v1/sync/push` unless the cut
names another, e.g. `GET /api/v1/sync/pull`); from there it counts bytes
upstream (request) or downstream (response) and, at the limit, forwards exactly that many
and closes both sides — a dropped connection at any chosen byte. Cuts are one-shot.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from dataclasses import dataclass

MARKER = b"POST /api/v1/sync/push"


@dataclass
class Cut:
    """Where to cut: `direction` "up" (request) or "down" (response), after `after` bytes
    counted from the start of the request beginning with `marker` (a push by default)."""

    direction: str
    after: int
    marker: bytes = MARKER


class CuttingProxy:
    """Forward 127.0.0.1:<port> to the upstream, applying queued cuts to push requests."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.cuts: list[Cut] = []
        self.cuts_done = 0
        self.lock = threading.Lock()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._stop = False
        self.connections: list[_Connection] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> CuttingProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop = True
        self.listener.close()
        for conn in self.connections:
            conn.close()

    def _accept(self) -> None:
        while not self._stop:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream, timeout=10)
            except OSError:
                client.close()
                continue
            connection = _Connection(self, client, server)
            self.connections.append(connection)
            connection.start()

    def next_marker(self) -> bytes | None:
        with self.lock:
            return self.cuts[0].marker if self.cuts else None

    def take_cut(self) -> Cut | None:
        with self.lock:
            return self.cuts.pop(0) if self.cuts else None


class _Connection:
    def __init__(self, proxy: CuttingProxy, client: socket.socket, server: socket.socket):
        self.proxy = proxy
        self.client = client
        self.server = server
        self.cut: Cut | None = None
        self.counted = 0
        self.tail = b""
        self.closed = False
        self.lock = threading.Lock()

    def start(self) -> None:
        threading.Thread(
            target=self._pump, args=(self.client, self.server, "up"), daemon=True
        ).start()
        threading.Thread(
            target=self._pump, args=(self.server, self.client, "down"), daemon=True
        ).start()

    def close(self) -> None:
        """Close both sides (idempotent)."""
        self._close()

    def _close(self) -> None:
        with self.lock:
            if self.closed:
                return
            self.closed = True
        for s in (self.client, self.server):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def _pump(self, src: socket.socket, dst: socket.socket, direction: str) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                marker = self.proxy.next_marker() if self.cut is None else None
                if direction == "up" and marker is not None:
                    window = self.tail + data
                    at = window.find(marker)
                    if at >= 0:
                        self.cut = self.proxy.take_cut()
                        if self.cut is not None and self.cut.direction == "up":
                            # count from the start of the push request line
                            data_start = at - len(self.tail)
                            if data_start > 0:
                                dst.sendall(data[:data_start])
                                data = data[data_start:]
                    self.tail = window[-len(MARKER) :]
                if self.cut is not None and self.cut.direction == direction:
                    room = self.cut.after - self.counted
                    if len(data) >= room:
                        if room > 0:
                            dst.sendall(data[:room])
                        self.proxy.cuts_done += 1
                        self._close()
                        return
                    self.counted += len(data)
                dst.sendall(data)
        except OSError:
            pass
        self._close()
