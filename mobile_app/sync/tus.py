"""A small tus 1.0.0 client (core + creation) over `requests`, for the phone's evidence files.

PROTOCOL.md "Attachments": a file is created with `POST /api/v1/attachments` (its SHA-256 and
mime in `Upload-Metadata`), then sent in `PATCH` pieces from the server's `Upload-Offset`. A
dropped connection costs at most the piece in flight: the client asks `HEAD` for the offset
the server holds and goes on from there (the server keeps what arrived of a cut piece). The
confirmed offset is handed to `on_offset` after every piece, so the store persists it and a
restart or a reboot resumes with a `HEAD` instead of starting again. A file the server already
holds completes with the `POST` alone (dedupe: one request, no file bytes).

Not a dev dependency: the app ships this (tuspy is only the server's test of "any stock tus
client works").
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests

from mobile_app.sync.client import AuthExpired, Offline, ServerBusy, ServerRejected

TUS_VERSION = "1.0.0"
PATH = "/api/v1/attachments"
CHUNK_BYTES = 64 * 1024
"""A piece per PATCH: on 2G (~50 kbit/s) about 10 s, so a drop loses little and HEAD resyncs."""
MAX_RESYNCS = 8
"""Dropped pieces in a row (no progress between them) before the file waits for the next sync."""


class UploadRefused(ServerRejected):
    """The server refused the file for good (wrong hash, not an image, too big): retake it."""


@dataclass(frozen=True)
class UploadResult:
    sha256: str
    length: int
    bytes_sent: int  # file bytes put on the wire by this call (0 for a dedupe)
    requests: int
    deduplicated: bool


def _metadata(**values: str) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


class TusClient:
    def __init__(
        self,
        base_url: str,
        token: str | None,
        *,
        session: requests.Session | None = None,
        timeout: tuple[float, float] = (5.0, 60.0),
        chunk_bytes: int = CHUNK_BYTES,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.session = session or requests.Session()
        self.timeout = timeout
        self.chunk_bytes = chunk_bytes
        self.bytes_sent = 0

    def _headers(self, **extra: str) -> dict[str, str]:
        if not self.token:
            raise AuthExpired("not logged in")
        return {"Tus-Resumable": TUS_VERSION, "Authorization": f"Bearer {self.token}", **extra}

    def _call(self, method: str, path: str, **kw: Any) -> requests.Response:
        try:
            resp = self.session.request(method, self.base_url + path, timeout=self.timeout, **kw)
            resp.content  # noqa: B018 - read the (small) body inside the try: a cut raises here
            return resp
        except requests.RequestException as exc:
            raise Offline(str(exc)) from exc

    @staticmethod
    def _offset(resp: requests.Response) -> int:
        try:
            return int(resp.headers["Upload-Offset"])
        except (KeyError, ValueError):
            raise ServerRejected(resp.status_code, "no Upload-Offset in the answer") from None

    @staticmethod
    def _fail(resp: requests.Response) -> None:
        try:
            body = resp.json()
        except ValueError:
            body = {}
        body = body if isinstance(body, dict) else {}
        message = str(body.get("message") or resp.reason or resp.status_code)
        errors = body.get("errors")
        if resp.status_code == 401:
            raise AuthExpired(message)
        if resp.status_code >= 500 or resp.status_code == 429:
            raise ServerBusy(resp.status_code, message, errors, body)
        if resp.status_code in (400, 413, 415, 422):
            raise UploadRefused(resp.status_code, message, errors, body)
        raise ServerRejected(resp.status_code, message, errors, body)

    def create(self, sha256: str, mime: str, length: int) -> int:
        """POST: the upload's offset on the server (= length when it already holds the file)."""
        resp = self._call(
            "POST",
            PATH,
            headers=self._headers(
                **{
                    "Upload-Length": str(length),
                    "Upload-Metadata": _metadata(sha256=sha256, mime=mime),
                }
            ),
        )
        if resp.status_code != 201:
            self._fail(resp)
        return self._offset(resp)

    def head(self, sha256: str) -> int | None:
        """HEAD: the server's offset for this upload, None when it has none (expired, never)."""
        resp = self._call("HEAD", f"{PATH}/{sha256}", headers=self._headers())
        if resp.status_code == 404:
            return None
        if resp.status_code != 200:
            self._fail(resp)
        return self._offset(resp)

    def fetch(self, sha256: str, *, thumb: bool = False) -> bytes:
        """GET a file (or its thumbnail) the caller may read (scoped on the server)."""
        params = {"variant": "thumb"} if thumb else None
        resp = self._call("GET", f"{PATH}/{sha256}", headers=self._headers(), params=params)
        if resp.status_code != 200:
            self._fail(resp)
        return resp.content

    def upload(
        self,
        sha256: str,
        mime: str,
        read: Callable[[], bytes],
        *,
        known_offset: int = 0,
        on_offset: Callable[[int], None] = lambda offset: None,
        should_stop: Callable[[], bool] = lambda: False,
        sleep: Callable[[float], None] = lambda seconds: None,
    ) -> UploadResult:
        """Send one file from wherever the server is; `read()` gives its bytes (called once).

        `known_offset` > 0 means an earlier run got that far: ask HEAD (POST when the server no
        longer has it). Raises `Offline` after `MAX_RESYNCS` drops without progress,
        `UploadRefused` when the server refuses the bytes for good.
        """
        data = read()
        length = len(data)
        requests_made = 1
        offset: int | None = self.head(sha256) if known_offset > 0 else None
        if offset is None:
            if known_offset > 0:
                requests_made += 1
            offset = self.create(sha256, mime, length)
            if offset == length and known_offset == 0:
                on_offset(offset)
                return UploadResult(sha256, length, 0, requests_made, True)
        on_offset(offset)
        sent = 0
        drops = 0
        while offset < length:
            if should_stop():
                raise Offline("stopped")
            piece = data[offset : offset + self.chunk_bytes]
            requests_made += 1
            try:
                self.bytes_sent += len(piece)
                sent += len(piece)
                resp = self._call(
                    "PATCH",
                    f"{PATH}/{sha256}",
                    data=piece,
                    headers=self._headers(
                        **{
                            "Upload-Offset": str(offset),
                            "Content-Type": "application/offset+octet-stream",
                        }
                    ),
                )
            except Offline:
                drops += 1
                if drops > MAX_RESYNCS:
                    raise
                sleep(min(30.0, 0.5 * 2**drops))
                requests_made += 1
                try:
                    server = self.head(sha256)
                except Offline:
                    continue  # still down: try the piece again (the next drop counts)
                if server is None:
                    raise Offline("the server lost the upload; it starts again next sync") from None
                if server > offset:
                    drops = 0
                offset = server
                on_offset(offset)
                continue
            if resp.status_code == 409:  # another offset on the server: go on from there
                offset = self._offset(resp)
            elif resp.status_code == 204:
                new = self._offset(resp)
                drops = 0 if new > offset else drops
                offset = new
            else:
                self._fail(resp)
            on_offset(offset)
        return UploadResult(sha256, length, sent, requests_made, False)
