"""Request-scoped values the views hand to services as plain arguments."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import g

from sync_server.errors import request_lang
from sync_server.services.principal import Principal


def principal() -> Principal:
    """The authenticated caller (set by the `/api/v1` before-request hook)."""
    p: Principal = g.principal
    return p


def now() -> datetime:
    """The request's time (the one place the API reads the clock)."""
    return datetime.now(UTC)


lang = request_lang
