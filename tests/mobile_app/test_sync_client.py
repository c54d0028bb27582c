"""SyncClient over real loopback HTTP: gzip both ways, auth, typed errors, fast offline."""

from __future__ import annotations

import gzip
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from mobile_app.sync import (
    AuthExpired,
    MutationGap,
    Offline,
    OutOfScope,
    ServerBusy,
    ServerRejected,
    SyncClient,
    TooLarge,
)
from tests.mobile_app.test_sync_fakeserver import FakeHttpServer, FakeServer


@pytest.fixture
def http():
    server = FakeServer()
    server.add_user("wang", ["g-001"])
    with FakeHttpServer(server) as h:
        yield server, h


def test_login_then_push_and_pull_with_gzip(http):
    _, h = http
    client = SyncClient()
    answer = client.login(h.url + "/", "wang", "pw", "client-1", "测试手机")
    assert answer["user"]["username"] == "wang" and client.token == "tok-wang"
    mutation = {
        "mutation_id": 1,
        "entity": "household",
        "id": "0190a0c0-0000-7000-8000-000000000001",
        "op": "upsert",
        "base_version": None,
        "data": {"grid_id": "g-001", "head_name": "张三"},
        "hlc": "0000000000001-0000-n",
    }
    result = client.push("client-1", [mutation])
    assert result["results"][0]["status"] == "applied"
    page = client.pull(0)
    assert page["changes"][0]["data"]["head_name"] == "张三"
    assert client.bytes_sent > 0 and client.bytes_received > 0


def test_bad_password_and_missing_token_are_auth_errors(http):
    _, h = http
    with pytest.raises(AuthExpired):
        SyncClient().login(h.url, "wang", "wrong", "c", "d")
    with pytest.raises(AuthExpired):
        SyncClient(h.url, "tok-nobody").pull(0)
    with pytest.raises(AuthExpired):
        SyncClient(h.url).pull(0)


def test_scope_and_gap_errors_are_typed_and_carry_the_body(http):
    _, h = http
    client = SyncClient(h.url, "tok-wang")
    outside = {
        "mutation_id": 1,
        "entity": "household",
        "id": "h9",
        "op": "upsert",
        "base_version": None,
        "data": {"grid_id": "g-999"},
        "hlc": "x",
    }
    with pytest.raises(OutOfScope) as info:
        client.push("c", [outside])
    assert info.value.status == 403 and "mutations.0" in info.value.errors
    with pytest.raises(MutationGap) as info:
        client.push("c", [outside | {"mutation_id": 4, "data": {"grid_id": "g-001"}}])
    assert info.value.body["last_mutation_id"] == 0


def test_unreachable_server_is_offline_quickly():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = SyncClient(f"http://127.0.0.1:{port}", "t", connect_timeout=1.0)
    start = time.perf_counter()
    with pytest.raises(Offline):
        client.pull(0)
    assert time.perf_counter() - start < 2.0


class _Scripted(BaseHTTPRequestHandler):
    """Answers every request with the status/body/headers queued on the server."""

    def log_message(self, *args):
        pass

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        self.server.seen.append((dict(self.headers), raw))
        status, body, headers = self.server.script.pop(0)
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _answer


@pytest.fixture
def scripted():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Scripted)
    httpd.script, httpd.seen = [], []
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    yield httpd, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_request_bodies_are_gzipped_and_headers_sent(scripted):
    httpd, url = scripted
    httpd.script.append((200, {"results": [], "last_mutation_id": 0}, {}))
    SyncClient(url, "tok", language="en").push("c", [])
    headers, raw = httpd.seen[0]
    assert headers["Content-Encoding"] == "gzip"
    assert "gzip" in headers["Accept-Encoding"]
    assert headers["Authorization"] == "Bearer tok"
    assert headers["Accept-Language"] == "en"
    assert json.loads(gzip.decompress(raw)) == {
        "client_id": "c",
        "schema_version": 1,
        "mutations": [],
    }


@pytest.mark.parametrize(
    ("status", "headers", "body", "exc"),
    [
        (500, {}, {"code": 500, "message": "boom"}, ServerBusy),
        (503, {}, b"<html>down</html>", ServerBusy),
        (429, {"Retry-After": "7"}, {"code": 429, "message": "slow"}, ServerBusy),
        (413, {}, {"code": 413, "message": "too big"}, TooLarge),
        (422, {}, {"code": 422, "message": "bad", "errors": {"cursor": ["x"]}}, ServerRejected),
        (200, {}, b"<html>captive portal</html>", Offline),
    ],
)
def test_error_statuses_map_to_typed_exceptions(scripted, status, headers, body, exc):
    httpd, url = scripted
    httpd.script.append((status, body, headers))
    with pytest.raises(exc) as info:
        SyncClient(url, "tok").pull(0)
    if status == 429:
        assert info.value.retry_after == 7.0
    if status == 422:
        assert info.value.errors == {"cursor": ["x"]}
