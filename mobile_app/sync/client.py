"""HTTP client for the sync API (PROTOCOL.md) over one `requests.Session`.

Request bodies are gzipped (`Content-Encoding: gzip`) and responses asked gzipped. A short
connect timeout makes "no network" show up in seconds; the read timeout is longer because a
1000-record pull page on a slow link takes a while. Every failure is a typed exception so the
runner can decide what to retry.
"""

from __future__ import annotations

import gzip
import json
from typing import Any

import requests

from shared_schema.schemas.protocol import (
    PullResponseSchema,
    PushResponseSchema,
    validate_payload,
)

MAX_INT_DIGITS = 4000  # longer JSON integers are read as floats (inf: beyond a double)
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 60.0
SCHEMA_VERSION = 1


class SyncError(Exception):
    """Base of every sync failure."""

    retryable = False


class Offline(SyncError):
    """The server could not be reached or the connection dropped (retryable)."""

    retryable = True


class AuthExpired(SyncError):
    """401: the token is missing, expired or revoked; the worker must log in again."""


class ServerRejected(SyncError):
    """The server answered with an error status; `errors` is its field map."""

    def __init__(self, status: int, message: str, errors: Any = None, body: Any = None) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message
        self.errors = errors if errors is not None else {}
        self.body = body if body is not None else {}


class ServerBusy(ServerRejected):
    """5xx or 429: the server is overloaded or failing; retry later."""

    retryable = True

    def __init__(self, *args: Any, retry_after: float | None = None, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.retry_after = retry_after


class MutationGap(ServerRejected):
    """409 on push: ids skipped ahead; `body` holds `last_mutation_id` and applied `results`."""


class OutOfScope(ServerRejected):
    """403 on push: `errors` maps "mutations.<index>" to why that mutation is outside scope."""


class TooLarge(ServerRejected):
    """413: the request exceeded the server's limits."""


def _parse_int(text: str) -> int | float:
    """A JSON integer; one of thousands of digits would make `json.loads` itself raise
    (Python's int digit limit) and fail the whole page, so it becomes a float (`inf` when
    beyond a double) and the record holding it is parked by the pull (issue 15)."""
    return int(text) if len(text) <= MAX_INT_DIGITS else float(text)


def decode_json(content: bytes) -> Any:
    """A response body as JSON (any integer size, `NaN`/`Infinity` as floats)."""
    return json.loads(content.decode("utf-8"), parse_int=_parse_int)


def _checked(schema: Any, answer: Any) -> dict[str, Any]:
    """Refuse an answer that does not match the protocol schema (never half-apply it)."""
    errors = validate_payload(schema, answer)
    if errors:
        raise ServerRejected(502, "malformed answer from the server", errors, answer)
    return answer


class SyncClient:
    """Talks to one server; holds the base URL and the bearer token."""

    def __init__(
        self,
        base_url: str | None = None,
        token: str | None = None,
        *,
        session: requests.Session | None = None,
        connect_timeout: float = CONNECT_TIMEOUT,
        read_timeout: float = READ_TIMEOUT,
        language: str = "zh",
    ) -> None:
        self.base_url = base_url.rstrip("/") if base_url else None
        self.token = token
        self.session = session or requests.Session()
        self.timeout = (connect_timeout, read_timeout)
        self.language = language
        self.bytes_sent = 0
        self.bytes_received = 0

    # -- plumbing ----------------------------------------------------------------------------
    def _request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: dict | None = None,
        auth: bool = True,
        extra_headers: dict[str, str] | None = None,
        meta: dict[str, Any] | None = None,
    ) -> Any:
        """One call; `meta` (when given) receives the answer's `status` and `headers`."""
        if not self.base_url:
            raise SyncError("no server URL configured")
        headers = {
            "Accept": "application/json",
            "Accept-Encoding": "gzip",
            "Accept-Language": self.language,
            **(extra_headers or {}),
        }
        data = None
        if body is not None:
            raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
            data = gzip.compress(raw, compresslevel=6)
            headers["Content-Type"] = "application/json"
            headers["Content-Encoding"] = "gzip"
        if auth:
            if not self.token:
                raise AuthExpired("not logged in")
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            resp = self.session.request(
                method,
                self.base_url + path,
                data=data,
                params=params,
                headers=headers,
                timeout=self.timeout,
            )
            content = resp.content  # read fully here so a cut body raises inside the try
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise Offline(str(exc)) from exc
        except requests.RequestException as exc:  # e.g. ChunkedEncodingError on a cut body
            raise Offline(str(exc)) from exc
        finally:
            if data is not None:
                self.bytes_sent += len(data)
        self.bytes_received += int(resp.headers.get("Content-Length") or len(content))
        if meta is not None:
            meta["status"] = resp.status_code
            meta["headers"] = resp.headers
        if not content and resp.status_code not in (204, 304):
            # A connection cut inside the headers can look like an empty HTTP/1.0 answer.
            raise Offline(f"empty answer ({resp.status_code}) from {self.base_url}")
        try:
            payload = decode_json(content) if content else {}
        except (UnicodeDecodeError, json.JSONDecodeError):
            if resp.status_code >= 500:
                raise ServerBusy(resp.status_code, "server error") from None
            # A proxy or captive portal answered with HTML: treat as no network.
            raise Offline(f"non-JSON answer ({resp.status_code}) from {self.base_url}") from None
        if resp.status_code < 400:
            return payload
        self._raise(resp, payload)

    @staticmethod
    def _raise(resp: requests.Response, payload: Any) -> None:
        status = resp.status_code
        body = payload if isinstance(payload, dict) else {}
        message = str(body.get("message") or resp.reason or status)
        errors = body.get("errors")
        if status == 401:
            raise AuthExpired(message)
        if status == 429 or status >= 500:
            retry_after = resp.headers.get("Retry-After")
            try:
                delay = float(retry_after) if retry_after else None
            except ValueError:
                delay = None
            raise ServerBusy(status, message, errors, body, retry_after=delay)
        cls = {409: MutationGap, 403: OutOfScope, 413: TooLarge}.get(status, ServerRejected)
        raise cls(status, message, errors, body)

    # -- API -------------------------------------------------------------------------------
    def health(self) -> bool:
        """Whether the server answers `GET /healthz`."""
        try:
            return self._request("GET", "/healthz", auth=False).get("status") == "ok"
        except SyncError:
            return False

    def login(
        self, url: str, username: str, password: str, client_id: str, device_name: str
    ) -> dict[str, Any]:
        """`POST /api/v1/auth/token`; keeps the URL and token. Returns {token, user, grids}."""
        self.base_url = url.rstrip("/")
        answer = self._request(
            "POST",
            "/api/v1/auth/token",
            body={
                "username": username,
                "password": password,
                "client_id": client_id,
                "device_name": device_name,
            },
            auth=False,
        )
        self.token = answer["token"]
        return answer

    def logout(self) -> None:
        """Revoke this token on the server (best effort) and forget it."""
        try:
            self._request("DELETE", "/api/v1/auth/token")
        finally:
            self.token = None

    def push(self, client_id: str, mutations: list[dict[str, Any]]) -> dict[str, Any]:
        """`POST /api/v1/sync/push` → {results, last_mutation_id}."""
        answer = self._request(
            "POST",
            "/api/v1/sync/push",
            body={"client_id": client_id, "schema_version": SCHEMA_VERSION, "mutations": mutations},
        )
        return _checked(PushResponseSchema, answer)

    def pull(self, cursor: int, limit: int = 500) -> dict[str, Any]:
        """`GET /api/v1/sync/pull` → {changes, cursor, has_more, last_mutation_id}."""
        answer = self._request(
            "GET", "/api/v1/sync/pull", params={"cursor": int(cursor), "limit": int(limit)}
        )
        return _checked(PullResponseSchema, answer)

    def config(self) -> dict[str, Any]:
        """`GET /api/v1/config` → rules config, form definitions, enumerations."""
        return self._request("GET", "/api/v1/config")

    def config_if_changed(self, etag: str | None) -> tuple[dict[str, Any] | None, str | None]:
        """`GET /api/v1/config` with `If-None-Match`: (None, etag) when unchanged (304),
        else (the configuration, its ETag)."""
        meta: dict[str, Any] = {}
        answer = self._request(
            "GET",
            "/api/v1/config",
            extra_headers={"If-None-Match": etag} if etag else None,
            meta=meta,
        )
        tag = meta.get("headers", {}).get("ETag") or etag
        if meta.get("status") == 304:
            return None, tag
        if not isinstance(answer, dict):
            raise ServerRejected(int(meta.get("status") or 0), "configuration is not an object")
        return answer, tag

    def me(self) -> dict[str, Any]:
        """`GET /api/v1/me` → the caller, their grids, their client's last_mutation_id."""
        return self._request("GET", "/api/v1/me")

    def conflicts(self, status: str = "open") -> list[dict[str, Any]]:
        """`GET /api/v1/conflicts?status=` → the conflicts in the caller's scope."""
        return self._request("GET", "/api/v1/conflicts", params={"status": status})["conflicts"]

    def report(self, payload: dict[str, Any]) -> dict[str, Any]:
        """`POST /api/v1/sync/report`: pending count and clock for the console's device page."""
        return self._request("POST", "/api/v1/sync/report", body=payload)
