"""The gunicorn worker `serve` runs: gthread with the slow-client deadlines of
`sync_server.slow_clients`, and JSON for the errors gunicorn answers itself.

gunicorn refuses some requests before any app code runs (a request line over 4094 bytes: 414;
too many or too large headers: 431). Its answer is an HTML page; here it is the API's JSON
error shape, for every path: the path is not known when the request line itself was refused.
The message holds both languages, as the request's `Accept-Language` was not read either.
"""

from __future__ import annotations

import io
import json
from http import HTTPStatus
from typing import Any

from gunicorn.http.errors import LimitRequestHeaders, LimitRequestLine
from gunicorn.util import write_nonblock
from gunicorn.workers.gthread import _DEFER as DEFER
from gunicorn.workers.gthread import ThreadWorker

from sync_server.slow_clients import HEADER_TIMEOUT, HeadState


class TianyeThreadWorker(ThreadWorker):
    """gthread that gives a connection a thread only once its request head is complete, and
    answers gunicorn's own refusals in JSON."""

    def handle(self, conn: Any) -> Any:
        """Collect the request head without blocking; hand over to gthread once it is whole.

        Until then the connection waits in the worker's poller (gthread's deferral), holding
        no thread: each arrival of bytes costs one non-blocking read. A head still incomplete
        `HEADER_TIMEOUT` seconds after its first byte closes the connection.
        """
        state = conn.__dict__.setdefault("tianye_head", HeadState())
        buffered = conn.parser.unreader.buf.getvalue() if conn.parser is not None else b""
        try:
            conn.sock.setblocking(False)
            while True:
                data = conn.sock.recv(65536)
                if not data:  # the client closed the connection
                    return False if not (state.data or buffered) else self._go_on(conn, state)
                state.add(data)
                if len(data) < 65536:
                    break
        except (BlockingIOError, InterruptedError):
            pass
        except OSError:
            return False
        if state.complete(buffered):
            return self._go_on(conn, state)
        if state.expired():
            self.log.info("request head not complete in %ss: closing", HEADER_TIMEOUT)
            return False
        return DEFER

    def _go_on(self, conn: Any, state: HeadState) -> Any:
        """Give the collected bytes to gunicorn's parser and let gthread handle the request."""
        conn.sock.setblocking(True)
        conn.init()
        if conn.parser is not None and state.data:
            unreader = conn.parser.unreader
            earlier = unreader.buf.getvalue()
            unreader.buf = io.BytesIO()
            unreader.buf.write(earlier + bytes(state.data))
        conn.__dict__.pop("tianye_head", None)
        conn.data_ready = True  # no wait in a thread: the data is here
        return super().handle(conn)

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        status = 0
        if isinstance(exc, LimitRequestLine):
            status = 414
        elif isinstance(exc, LimitRequestHeaders):
            status = 431
        if not status:
            super().handle_error(req, client, addr, exc)
            return
        self.log.warning("Invalid request from ip=%s: %s", (addr or ("",))[0], exc)
        try:
            write_nonblock(client, json_error_response(status, str(exc)))
        except Exception:  # the client is gone: nothing to answer
            self.log.debug("Failed to send error message.")


_MESSAGES = {
    414: ("请求地址过长。", "The request line is too long."),
    431: ("请求头过多或过大。", "The request headers are too many or too large."),
}


def json_error_response(status: int, detail: str) -> bytes:
    """A whole HTTP/1.1 response holding the API's error shape (both languages: the request's
    `Accept-Language` was not read)."""
    zh, en = _MESSAGES[status]
    body = json.dumps(
        {
            "code": status,
            "status": HTTPStatus(status).phrase,
            "message": f"{zh} {en}",
            "errors": {"_request": [detail]},
        },
        ensure_ascii=False,
    ).encode()
    head = (
        f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode("latin-1")
    return head + body
