"""Request-scoped values the views hand to services as plain arguments."""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask import current_app, g

from shared_schema.timefmt import DEFAULT_TIME_ZONE, local_date, parse_zone
from sync_server.errors import request_lang
from sync_server.services.principal import Principal


def principal() -> Principal:
    """The authenticated caller (set by the `/api/v1` before-request hook)."""
    p: Principal = g.principal
    return p


def now() -> datetime:
    """The request's time (the one place the API reads the clock)."""
    return datetime.now(UTC)


def today() -> date:
    """The request's date in the deployment's time zone (`TIME_ZONE`), bounding dates."""
    zone = current_app.config.get("TIME_ZONE_INFO") or parse_zone(DEFAULT_TIME_ZONE)
    return local_date(now(), zone)


lang = request_lang
