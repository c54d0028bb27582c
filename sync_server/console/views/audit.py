"""The audit page (admins): every admin action, newest first — when (deployment time zone),
who, what, and the values before and after (never a secret: a password shows as "changed")."""

from __future__ import annotations

from typing import Any

from flask import request

from sync_server.console.blueprint import bp, lang, tr
from sync_server.console.i18n import TEXTS
from sync_server.console.views.admin import _admin_page, _require_admin
from sync_server.console.views.common import page_number
from sync_server.extensions import current_db
from sync_server.models import AuditEntry
from sync_server.services import audit

PAGE_SIZE = 50


def _value(key: str, value: Any) -> str:
    """A before/after value in words."""
    if value is None or value == [] or value == "":
        return "—"
    if key == "active" and isinstance(value, bool):
        return tr("usr.active") if value else tr("usr.inactive")
    if isinstance(value, bool):
        return tr("common.yes") if value else tr("common.no")
    if key == "role" and value in ("worker", "supervisor", "admin"):
        return tr(f"role.{value}")
    if key == "password":
        return tr("audit.changed")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    return str(value)


def _label(key: str) -> str:
    name = f"audit.field.{key}"
    return tr(name) if name in TEXTS else key


def describe(entry: AuditEntry) -> dict[str, Any]:
    """One entry as the page shows it: action label and (field, before, after) rows."""
    details = entry.details if isinstance(entry.details, dict) else {}
    raw_before, raw_after = details.get("before"), details.get("after")
    before: dict[str, Any] = raw_before if isinstance(raw_before, dict) else {}
    after: dict[str, Any] = raw_after if isinstance(raw_after, dict) else {}
    rows = []
    for key in dict.fromkeys([*before, *after]):
        rows.append(
            (
                _label(key),
                _value(key, before.get(key)) if key in before and key != "password" else "",
                _value(key, after.get(key)),
            )
        )
    extra = [(_label(k), _value(k, v)) for k, v in details.items() if k not in ("before", "after")]
    name = f"audit.action.{entry.action}"
    action = tr(name) if name in TEXTS else entry.action
    return {"entry": entry, "action": action, "rows": rows, "extra": extra}


@bp.route("/admin/audit")
def admin_audit() -> str:
    _require_admin()
    number = page_number()
    actor = request.args.get("actor", "").strip()[:64] or None
    found = audit.list_entries(
        current_db(), limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE, actor=actor
    )
    pages = max(1, -(-found.total // PAGE_SIZE))
    return _admin_page(
        "admin_audit.html",
        items=[describe(e) for e in found.entries],
        total=found.total,
        page_no=number,
        pages=pages,
        actor=actor or "",
        lang_code=lang(),
    )
