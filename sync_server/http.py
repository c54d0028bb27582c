"""HTTP plumbing around the API: gzip request bodies (with a decompressed-size cap), gzip
responses, request ids, the 415 check, deadlines for slow clients (`slow_clients`), and one
structured JSON log line per request.

The log line holds request id, method, path, status, duration, user and client — never a
body, a password, a token or an ID number.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import logging
import re
import sys
import time
import uuid
import zlib
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, Response, g, request
from werkzeug.exceptions import RequestTimeout

from sync_server.errors import ServiceError
from sync_server.slow_clients import SlowClientMiddleware

access_log = logging.getLogger("tianye.access")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# Where a NUL or a surrogate can come from in UTF-8 JSON text: a `\u0000` or `\uD8..`-`\uDF..`
# escape, or raw surrogate bytes (the parser decodes with "surrogatepass"); a raw NUL in a
# string is already a syntax error. Without any of these, no string needs to be searched.
_MAYBE_UNSTORABLE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])|\xed[\xa0-\xbf]")
BODY_ERROR_KEY = "tianye.body_error"
ATTACHMENTS_PATH = "/api/v1/attachments"


class GzipRequestMiddleware:
    """Inflate `Content-Encoding: gzip` bodies before Flask sees them.

    The inflated size is capped (`limit`); a larger body (a gzip bomb) or broken gzip is
    flagged in the environ and answered with JSON by the app (413 / 400), never inflated.
    """

    def __init__(self, app: Callable[..., Iterable[bytes]], limit: int) -> None:
        self.app = app
        self.limit = limit

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        encoding = environ.get("HTTP_CONTENT_ENCODING", "").strip().lower()
        if encoding and encoding != "identity":
            body = b""
            if encoding != "gzip":
                environ[BODY_ERROR_KEY] = (415, "not_json")
            else:
                try:
                    raw = environ["wsgi.input"].read(self.limit + 1)
                    body = self._inflate(raw)
                except RequestTimeout:  # a body too slow (slow_clients): 408 from the app
                    environ[BODY_ERROR_KEY] = (408, "request_timeout")
                    body = b""
                except ValueError:
                    environ[BODY_ERROR_KEY] = (413, "too_many_bytes")
                    body = b""
                except (OSError, EOFError, zlib.error):
                    environ[BODY_ERROR_KEY] = (400, "bad_gzip")
                    body = b""
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            environ.pop("HTTP_CONTENT_ENCODING", None)
        return self.app(environ, start_response)

    def _inflate(self, raw: bytes) -> bytes:
        if len(raw) > self.limit:
            raise ValueError("compressed body too large")
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        out = inflater.decompress(raw, self.limit + 1)
        if len(out) > self.limit or inflater.unconsumed_tail:
            raise ValueError("inflated body too large")
        out += inflater.flush()
        if len(out) > self.limit:
            raise ValueError("inflated body too large")
        if not inflater.eof:
            raise zlib.error("truncated gzip stream")
        return out


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def json_body_problem(data: bytes) -> str | None:
    """Why a JSON body that parses in Python must still be refused, else None.

    Python's parser accepts what no database can take or JSON does not define (and refuses an
    integer of thousands of digits with a ValueError that no one else catches): nesting deep
    enough to exhaust the stack (a RecursionError, not a ValueError), NaN/Infinity, and
    strings holding NUL or unpaired surrogates (PostgreSQL text cannot store NUL; a lone
    surrogate cannot be encoded as UTF-8). Plain syntax errors are left to the usual 400.
    """
    try:
        value = json.loads(data, parse_constant=_reject_constant)
    except RecursionError:
        return "nested too deeply"
    except ValueError as exc:  # JSONDecodeError/UnicodeDecodeError: the usual 400 later
        if "integer string conversion" in str(exc):
            # Python refuses to parse an integer of over 4300 digits (CVE-2020-10735): bad
            # input, and no field's range comes anywhere near it
            return "a number has too many digits"
        return str(exc) if str(exc).endswith("is not JSON") else None
    if json.detect_encoding(data) == "utf-8" and not _MAYBE_UNSTORABLE.search(data):
        return None
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str) and _UNSTORABLE.search(item):
            return "text holds a NUL character or an unpaired surrogate"
    return None


class JsonFormatter(logging.Formatter):
    """Log records as one JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            payload.update(fields)
        else:
            payload["message"] = record.getMessage()
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False, default=str)


def configure_logging(level: str) -> None:
    """JSON lines on stderr for the `tianye` loggers (idempotent)."""
    logger = logging.getLogger("tianye")
    logger.setLevel(level.upper())
    if not any(getattr(h, "_tianye", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        handler._tianye = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
        logger.propagate = False


def install(app: Flask) -> None:
    """Wire the request hooks into `app`."""
    app.wsgi_app = GzipRequestMiddleware(  # type: ignore[method-assign]
        app.wsgi_app, app.config["MAX_REQUEST_BYTES"]
    )
    # Outermost: the header deadline ends here and every body read keeps a minimum rate.
    app.wsgi_app = SlowClientMiddleware(app.wsgi_app)  # type: ignore[method-assign]

    @app.before_request
    def _start() -> None:
        g.started = time.perf_counter()
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        if "\x00" in request.path:  # no id holds NUL (and PostgreSQL cannot compare one)
            raise ServiceError(404, "not_found")
        body_error = request.environ.get(BODY_ERROR_KEY)
        if body_error:
            status, key = body_error
            raise ServiceError(status, key, limit=app.config["MAX_REQUEST_BYTES"])
        if (
            request.method in ("POST", "PUT", "PATCH")
            and request.path.startswith("/api/")
            and not request.path.startswith(ATTACHMENTS_PATH)  # tus: octet-stream bodies
            and (request.content_length or 0) > 0
            and not request.is_json
        ):
            raise ServiceError(415, "not_json")
        if request.path.startswith("/api/") and request.is_json:
            data = request.get_data(cache=True)
            limit = app.config["MAX_REQUEST_BYTES"]
            if request.content_length is None and len(data) >= limit:
                # A chunked body is cut at the cap without an error; refuse it instead.
                raise ServiceError(413, "too_many_bytes", limit=limit)
            problem = json_body_problem(data)
            if problem:
                raise ServiceError(400, "invalid_json", {"json": [problem]})

    @app.after_request
    def _finish(response: Response) -> Response:
        response.headers["X-Request-ID"] = getattr(g, "request_id", "")
        if request.path.startswith("/api/"):
            _api_security_headers(response)
        _maybe_gzip(response)
        principal = getattr(g, "principal", None)
        started = getattr(g, "started", None)
        access_log.info(
            "request",
            extra={
                "fields": {
                    "request_id": getattr(g, "request_id", None),
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
                    "user": principal.username if principal else None,
                    "client": principal.client_id if principal else None,
                }
            },
        )
        return response


DOCS_PATH = "/api/docs"
_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)
# Swagger UI (served from the package, no CDN): its own scripts and styles, the inline
# bootstrap script by hash, inline styles (its components set them), data: icons, and calls
# to this origin only ("Try it out", /api/openapi.json).
DOCS_POLICY = (
    "default-src 'none'; script-src 'self' {hashes}; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
API_POLICY = "default-src 'none'; frame-ancestors 'none'"


def _api_security_headers(response: Response) -> None:
    """A Content-Security-Policy on every /api answer: nothing may run or load from JSON, and
    the docs page may run exactly its own scripts (the inline one by its sha256)."""
    if request.path == DOCS_PATH and response.mimetype == "text/html":
        scripts = _INLINE_SCRIPT.findall(response.get_data())
        hashes = " ".join(
            f"'sha256-{base64.b64encode(hashlib.sha256(s).digest()).decode()}'" for s in scripts
        )
        response.headers["Content-Security-Policy"] = DOCS_POLICY.format(hashes=hashes)
        response.headers["Cache-Control"] = "no-store"
    else:
        response.headers.setdefault("Content-Security-Policy", API_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "no-referrer")


def _maybe_gzip(response: Response) -> None:
    """Compress JSON responses for clients that accept gzip."""
    if (
        "gzip" not in request.headers.get("Accept-Encoding", "").lower()
        or response.direct_passthrough
        or response.status_code < 200
        or response.status_code in (204, 304)
        or "Content-Encoding" in response.headers
        or not (response.mimetype or "").endswith("json")
    ):
        return
    data = response.get_data()
    if len(data) < 200:
        return
    response.set_data(gzip.compress(data, compresslevel=6))
    response.headers["Content-Encoding"] = "gzip"
    response.headers["Content-Length"] = str(len(response.get_data()))
    response.vary.add("Accept-Encoding")
