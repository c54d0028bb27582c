"""A loopback TCP proxy standing for the phone's network: the app's server address points at it,
and a test takes the phone offline or back online without touching the app's code paths.

Offline, the proxy refuses new connections (its listening socket is closed) and cuts the ones
it carries, as a phone that lost its network sees it: the app's reachability check and its
sync fail with `Offline`. Back online, it listens again on the same port and forwards every
byte both ways to the real server.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from urllib.parse import urlsplit

CHUNK = 64 * 1024


class NetworkProxy:
    """`http://127.0.0.1:<port>` forwarding to `target` (a base URL) while `online`."""

    def __init__(self, target: str) -> None:
        parts = urlsplit(target)
        self.target = (parts.hostname or "127.0.0.1", parts.port or 80)
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self.url = f"http://127.0.0.1:{self.port}"
        self.connections = 0  # forwarded since start (a test can see the phone knocked)
        self.refused_while_offline = 0
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._open: set[socket.socket] = set()
        self.online = False

    def start(self) -> NetworkProxy:
        self.go_online()
        return self

    def go_online(self) -> None:
        """Listen again on the same port: the phone's next reachability check gets through."""
        with self._lock:
            if self.online:
                return
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(("127.0.0.1", self.port))
            listener.listen(64)
            self._listener = listener
            self.online = True
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def go_offline(self) -> None:
        """Refuse new connections and cut the open ones (kept-alive ones included)."""
        with self._lock:
            self.online = False
            listener, self._listener = self._listener, None
            open_now, self._open = self._open, set()
        if listener is not None:
            _close(listener)
        for sock in open_now:
            _close(sock)

    def close(self) -> None:
        self.go_offline()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:  # closed: offline
                return
            with self._lock:
                if not self.online or listener is not self._listener:
                    self.refused_while_offline += 1
                    _close(client)
                    continue
                self.connections += 1
            try:
                upstream = socket.create_connection(self.target, timeout=10)
            except OSError:
                _close(client)
                continue
            upstream.settimeout(None)
            with self._lock:
                self._open.update((client, upstream))
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(src, dst), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(CHUNK):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                _close(sock)
            with self._lock:
                self._open.discard(src)
                self._open.discard(dst)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
