"""The phone's network in the field-month test (tests/ui/kivy/proxy.py): bytes go through while
online; offline, new connections are refused and kept-alive ones cut, so the app's client
sees `Offline`; back online on the same port."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from mobile_app.sync.client import Offline, SyncClient
from tests.ui.kivy.proxy import NetworkProxy


class Health(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the app's session uses it

    def do_GET(self) -> None:
        body = b'{"status": "ok"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Health)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_offline_refuses_and_cuts_then_online_again(server: str) -> None:
    proxy = NetworkProxy(server).start()
    try:
        session = requests.Session()
        assert session.get(f"{proxy.url}/healthz", timeout=5).json() == {"status": "ok"}
        client = SyncClient(proxy.url, "token", connect_timeout=2, read_timeout=2)
        assert client.health() is True
        proxy.go_offline()
        with pytest.raises(requests.ConnectionError):  # the kept-alive connection is cut too
            session.get(f"{proxy.url}/healthz", timeout=5)
        assert client.health() is False
        with pytest.raises(Offline):
            client.config_if_changed(None)
        proxy.go_online()
        assert client.health() is True
        assert session.get(f"{proxy.url}/healthz", timeout=5).status_code == 200
        assert proxy.connections >= 3
    finally:
        proxy.close()
