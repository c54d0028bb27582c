"""Risk flags for a screen: the shared rules over the household, its members and a visit."""

from __future__ import annotations

from typing import Any

from mobile_app.store import Store


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
        config=store.config.rules_config(),
    )


def flag_rows(flags: list[Any], lang: str) -> list[dict[str, Any]]:
    """Flags as list rows: message and severity (high first, as the rules rank them)."""
    order = {"high": 0, "medium": 1, "low": 2}
    return [
        {"code": f.code, "severity": f.severity, "text": f.message(lang)}
        for f in sorted(flags, key=lambda f: order.get(f.severity, 3))
    ]
