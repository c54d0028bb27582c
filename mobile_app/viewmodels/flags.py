"""Risk flags for a screen: the shared rules over the household, its members and a visit."""

from __future__ import annotations

import logging
from typing import Any

from mobile_app.store import Store

log = logging.getLogger(__name__)


def rules_config(store: Store) -> Any:
    """The cached server rules config; the bundled defaults when the cache is unreadable
    (a half-written or older-format config must not stop a worker from filling a form)."""
    try:
        return store.config.rules_config()
    except (ValueError, KeyError, TypeError) as exc:
        from shared_schema.config import config_for
        from shared_schema.config_data import CURRENT_YEAR

        log.warning("cached rules config unusable (%s); using the bundled defaults", exc)
        return config_for(None, CURRENT_YEAR)


def compute_flags(
    store: Store,
    household: dict[str, Any] | None,
    members: list[dict[str, Any]],
    visit: dict[str, Any] | None,
    previous_visit: dict[str, Any] | None,
) -> list[Any]:
    """`shared_schema.rules.evaluate` with the cached rules config (the server's thresholds)."""
    from shared_schema.rules.engine import evaluate

    return evaluate(
        household,
        members,
        visit,
        previous_visit=previous_visit,
        config=rules_config(store),
    )


def flag_rows(flags: list[Any], lang: str) -> list[dict[str, Any]]:
    """Flags as list rows: message and severity (high first, as the rules rank them)."""
    order = {"high": 0, "medium": 1, "low": 2}
    return [
        {"code": f.code, "severity": f.severity, "text": f.message(lang)}
        for f in sorted(flags, key=lambda f: order.get(f.severity, 3))
    ]
