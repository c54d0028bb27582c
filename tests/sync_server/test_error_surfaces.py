"""Issue 15 point 10 (and the slow-client parts that need no attack): gunicorn's own refusals
are JSON, an unknown console URL is the console's HTML page, /api answers carry a CSP."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import socket
import time
from typing import Any

import pytest
from werkzeug.exceptions import RequestTimeout

from sync_server import slow_clients
from sync_server.slow_clients import DeadlineInput, HeadState
from tests.ui.console.world import csrf_of


def _raw(port: int, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send `request` as is; the status, headers and body of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=15) as sock:
        sock.sendall(request)
        data = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers, body


@pytest.fixture
def server(sqlite_url: str, live_server_factory: Any) -> Any:
    return live_server_factory(workers=1)


@pytest.fixture
def db_url(sqlite_url: str) -> str:  # gunicorn's parser does not care about the database
    return sqlite_url


REFUSED = [
    (b"GET /api/v1/sync/pull?cursor=0&x=" + b"a" * 5000 + b" HTTP/1.1\r\nHost: h\r\n\r\n", 414),
    (
        b"GET /api/v1/me HTTP/1.1\r\nHost: h\r\n"
        + b"".join(b"X-N%d: v\r\n" % n for n in range(120))
        + b"\r\n",
        431,
    ),
    (b"GET /api/v1/me HTTP/1.1\r\nHost: h\r\nX-Big: " + b"b" * 9000 + b"\r\n\r\n", 431),
    (b"GET /console/" + b"c" * 5000 + b" HTTP/1.1\r\nHost: h\r\n\r\n", 414),
]


def test_gunicorns_own_refusals_are_json(server: Any) -> None:
    for request_bytes, status in REFUSED:
        code, headers, body = _raw(server.port, request_bytes)
        assert code == status
        assert headers["Content-Type"] == "application/json"
        payload = json.loads(body)
        assert payload["code"] == status and payload["message"] and payload["errors"]["_request"]
        assert int(headers["Content-Length"]) == len(body)
    # and the worker goes on serving
    code, _, body = _raw(
        server.port, b"GET /healthz HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"
    )
    assert code == 200 and json.loads(body) == {"status": "ok"}


def test_a_head_sent_in_pieces_is_served(server: Any) -> None:
    """The worker collects a head that arrives in several packets before handing it on."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=15) as sock:
        for piece in (
            b"GET /heal",
            b"thz HTTP/1.1\r\nHo",
            b"st: h\r\nConnection: close\r\n",
            b"\r\n",
        ):
            sock.sendall(piece)
            time.sleep(0.2)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    assert data.startswith(b"HTTP/1.1 200") and data.endswith(b'{"status":"ok"}\n')


# --- the console's 404 ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "text"),
    [
        ("/console/no/such/page", "未找到该页面或记录"),
        ("/console/nope?lang=en", "Page or record not found"),
    ],
)
def test_an_unknown_console_url_is_the_html_error_page(client: Any, url: str, text: str) -> None:
    response = client.get(url)
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert text in response.text and "<html" in response.text
    assert client.get("/api/v1/no/such").mimetype == "application/json"


def test_an_unknown_console_url_keeps_the_chrome_when_signed_in(client: Any, seed: Any) -> None:
    seed.user("sup", role="supervisor", township="t1")
    page = client.get("/console/login")
    client.post(
        "/console/login",
        data={"username": "sup", "password": seed.password, "csrf_token": csrf_of(page.text)},
    )
    response = client.get("/console/nope")
    assert response.status_code == 404 and 'class="topbar"' in response.text


BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.mark.parametrize(
    ("url", "lang", "text"),
    [
        ("/no-such-page", "zh-CN,zh;q=0.9", "未找到该页面或记录"),
        ("/favicon.ico?lang=en", "en-US,en;q=0.9", "Page or record not found"),
    ],
)
def test_a_browser_outside_the_api_gets_the_translated_html_page(
    client: Any, url: str, lang: str, text: str
) -> None:
    """Before: Werkzeug's English JSON/HTML for any address outside /console and /api."""
    response = client.get(url, headers={"Accept": BROWSER, "Accept-Language": lang})
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert text in response.text and "<html" in response.text
    posted = client.put("/", headers={"Accept": BROWSER, "Accept-Language": lang})
    assert posted.status_code == 405 and posted.mimetype == "text/html"
    assert "Method Not Allowed" not in posted.text
    # API clients and the API keep JSON, whatever they accept
    assert client.get(url).mimetype == "application/json"
    api = client.get("/api/v1/no/such", headers={"Accept": BROWSER})
    assert api.status_code == 404 and api.mimetype == "application/json"


# --- Content-Security-Policy on /api ------------------------------------------------------


def test_api_docs_has_a_csp_allowing_exactly_its_inline_script(client: Any) -> None:
    response = client.get("/api/docs")
    policy = response.headers["Content-Security-Policy"]
    scripts = re.findall(rb"<script>(.*?)</script>", response.data, re.DOTALL)
    assert len(scripts) == 1
    digest = base64.b64encode(hashlib.sha256(scripts[0]).digest()).decode()
    assert f"script-src 'self' 'sha256-{digest}'" in policy
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-eval" not in policy and "script-src 'self' 'unsafe-inline'" not in policy


def test_api_json_answers_forbid_everything(client: Any) -> None:
    for url in ("/api/openapi.json", "/api/v1/me"):
        response = client.get(url)
        assert (
            response.headers["Content-Security-Policy"]
            == "default-src 'none'; frame-ancestors 'none'"
        )
        assert response.headers["X-Content-Type-Options"] == "nosniff"


# --- the slow-client deadlines, unit by unit -----------------------------------------------


def test_a_head_is_complete_at_its_blank_line_and_expires_after_the_timeout() -> None:
    now = [100.0]
    state = HeadState(clock=lambda: now[0])
    assert not state.complete() and not state.expired()  # no byte yet: no clock running
    state.add(b"GET / HTTP/1.1\r\nHost: h\r\n")
    assert not state.complete()
    now[0] += slow_clients.HEADER_TIMEOUT + 0.1
    assert state.expired()
    state.add(b"\r\n")
    assert state.complete()
    assert HeadState().complete(buffered=b"GET / HTTP/1.1\r\n\r\n")


def test_a_stalled_body_is_cut_and_a_steady_one_is_not(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(slow_clients, "BODY_TIMEOUT", 0.5)
    monkeypatch.setattr(slow_clients, "BODY_MIN_RATE", 100)
    server, client = socket.socketpair()
    try:
        stream = DeadlineInput(server.makefile("rb"), server)
        client.sendall(b"x" * 10)
        assert stream.read(10) == b"x" * 10
        started = time.monotonic()
        with pytest.raises(RequestTimeout):
            stream.read(10)  # nothing more comes
        assert time.monotonic() - started < 1.5
    finally:
        server.close()
        client.close()
    server, client = socket.socketpair()
    try:
        stream = DeadlineInput(server.makefile("rb"), server)
        for _ in range(8):  # 8 x 0.1 s > 0.5 s, but 50 bytes earn 0.5 s more each time
            client.sendall(b"y" * 50)
            assert stream.read(50) == b"y" * 50
            time.sleep(0.1)
    finally:
        server.close()
        client.close()


# --- the slow-client deadlines on a live server (shortened through the environment) --------


@pytest.fixture
def impatient(live_server_factory: Any) -> Any:
    env = {"REQUEST_HEADER_TIMEOUT": "1", "REQUEST_BODY_TIMEOUT": "1"}
    return live_server_factory(workers=1, env=env)


@pytest.mark.parametrize("gzip", [False, True], ids=["json", "gzip"])
def test_a_stalled_body_gets_408_in_json_and_the_connection_closes(
    impatient: Any, gzip: bool
) -> None:
    head = (
        b"POST /api/v1/auth/token HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\n"
        + (b"Content-Encoding: gzip\r\n" if gzip else b"")
        + b"Content-Length: 100\r\n\r\n"
    )
    started = time.monotonic()
    code, headers, body = _raw(impatient.port, head + b"\x1f\x8b" if gzip else head + b"{")
    assert code == 408 and headers["Content-Type"] == "application/json"
    assert json.loads(body)["code"] == 408
    assert time.monotonic() - started < 4  # answered, then closed (`_raw` reads to the end)


def test_a_trickling_request_head_is_cut_at_its_deadline(impatient: Any) -> None:
    with socket.create_connection(("127.0.0.1", impatient.port), timeout=15) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\n")
        started = time.monotonic()
        closed_after = None
        while time.monotonic() - started < 8:
            try:
                sock.sendall(b"X")
                time.sleep(0.2)
                sock.setblocking(False)
                try:
                    if sock.recv(1024) == b"":
                        closed_after = time.monotonic() - started
                        break
                except BlockingIOError:
                    pass
                finally:
                    sock.setblocking(True)
            except OSError:  # reset by the server
                closed_after = time.monotonic() - started
                break
    assert closed_after is not None and closed_after < 4, closed_after
