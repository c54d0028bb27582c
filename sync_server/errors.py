"""Service errors and the JSON error surface: every error is `{code, status, message, errors}`.

Services raise `ServiceError` with a message key; the app turns it (and every Werkzeug HTTP
exception, webargs validation error and unexpected exception) into flask-smorest's error shape,
with the message in the request's language and field errors flattened to dotted paths.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from flask import Flask, Response, jsonify, request
from sqlalchemy.exc import DataError
from werkzeug.exceptions import HTTPException

from shared_schema.schemas.protocol import flatten_errors
from sync_server.messages import localize_field_message, message, pick_lang

log = logging.getLogger("tianye.errors")

_DEFAULT_KEYS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    413: "too_large",
    415: "not_json",
    422: "validation",
    429: "rate_limited",
}


class ServiceError(Exception):
    """A refusal with an HTTP status, a message key and optional field errors / extra body."""

    def __init__(
        self,
        status: int,
        key: str,
        errors: dict[str, list[str]] | None = None,
        *,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        **fmt: Any,
    ) -> None:
        super().__init__(key)
        self.status = status
        self.key = key
        self.errors = errors or {}
        self.extra = extra or {}
        self.headers = headers or {}
        self.fmt = fmt


def request_lang() -> str:
    """The language of the current request (zh unless it prefers en)."""
    return pick_lang(request.headers.get("Accept-Language"))


def error_response(
    status: int,
    key: str,
    errors: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
    **fmt: Any,
) -> Response:
    """The JSON error body for `status`."""
    body: dict[str, Any] = {
        "code": status,
        "status": HTTPStatus(status).phrase,
        "message": message(key, request_lang(), **fmt),
        "errors": errors or {},
    }
    body.update(extra or {})
    response = jsonify(body)
    response.status_code = status
    if status == 408:  # the rest of a body that came too slowly is not read: no keep-alive
        response.headers["Connection"] = "close"
    return response


def _webargs_errors(exc: HTTPException) -> dict[str, list[str]]:
    """webargs puts `{"json": {...}}` / `{"query": {...}}` in `exc.data["messages"]`."""
    data = getattr(exc, "data", None) or {}
    messages = data.get("messages") if isinstance(data, dict) else None
    if not messages:
        return {}
    merged: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for location, inner in messages.items():
            if location in ("json", "query", "form", "headers", "view_args", "path"):
                merged.update(flatten_errors(inner))
            else:
                merged.update(flatten_errors({location: inner}))
    else:
        merged.update(flatten_errors(messages))
    lang = request_lang()
    return {
        path: [localize_field_message(str(text), lang) for text in texts]
        for path, texts in merged.items()
    }


def _wants_page() -> bool:
    """A browser asking for a page outside the API (`/`, `/favicon.ico`, a mistyped address):
    it gets the console's translated HTML error page; the API and API clients keep JSON."""
    if request.path.startswith("/api"):
        return False
    accept = request.accept_mimetypes
    return accept.accept_html and accept.best_match(["application/json", "text/html"]) == (
        "text/html"
    )


def _page(status: int) -> Response:
    from sync_server.console.blueprint import error_page  # the console imports this module

    body, code = error_page(status)
    return Response(body, status=code, mimetype="text/html")


def register_error_handlers(app: Flask) -> None:
    """JSON for every error (after flask-smorest's own handler, which this replaces); a
    browser's page request outside the API gets the console's HTML error page instead."""

    @app.errorhandler(ServiceError)
    def _service_error(exc: ServiceError) -> Response:
        lang = request_lang()
        errors = {
            path: [localize_field_message(str(text), lang) for text in texts]
            for path, texts in exc.errors.items()
        }
        response = error_response(exc.status, exc.key, errors, exc.extra, **exc.fmt)
        for k, v in exc.headers.items():
            response.headers[k] = v
        return response

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        if _wants_page() and status not in (413, 429):
            return _page(status)
        errors = _webargs_errors(exc)
        key = _DEFAULT_KEYS.get(status, "server_error" if status >= 500 else "bad_request")
        if status == 400 and any("Invalid JSON" in m for v in errors.values() for m in v):
            key = "invalid_json"
        if status == 413:
            fmt = {"limit": app.config["MAX_REQUEST_BYTES"]}
            return error_response(413, "too_many_bytes", errors, **fmt)
        if status == 429:
            return error_response(429, "rate_limited", errors, minutes=15)
        response = error_response(status, key, errors)
        if status == 405 and exc.get_response().headers.get("Allow"):
            response.headers["Allow"] = exc.get_response().headers["Allow"]
        return response

    @app.errorhandler(DataError)
    @app.errorhandler(OverflowError)
    def _unstorable(exc: Exception) -> Response:
        """A value the database cannot take or compare (an integer past 64 bits, a number past
        its column): bad input, so 422; the transaction was rolled back, nothing is written."""
        log.warning("database refused a value on %s %s: %s", request.method, request.path, exc)
        return error_response(422, "validation", {"_schema": ["A value is out of range."]})

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.path)
        if _wants_page():
            return _page(500)
        return error_response(500, "server_error")
