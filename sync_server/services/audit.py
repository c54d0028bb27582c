"""The audit log of admin actions: the one writer of `audit_log`, and its reader.

Every admin action (user create/edit/deactivate/reactivate, password reset, grid create,
assignment, config change, device revoke, visit reopen) calls `record` inside the action's own
transaction, so an entry exists exactly when the change committed. Details hold the changed
fields' values before and after; secrets never: a password appears only as `"changed"`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sync_server.extensions import Database
from sync_server.models import AuditEntry

SECRET_KEYS = frozenset({"password", "password_hash", "old_password", "new_password", "token"})
SYSTEM_ACTOR = "system"  # services called without an actor (tests, seeding)
ACTIONS = (
    "user.create",
    "user.update",
    "user.deactivate",
    "user.activate",
    "user.password",
    "grid.create",
    "grid.assign",
    "config.update",
    "device.revoke",
    "visit.reopen",
    "household.confirm",
)


def redact(values: dict[str, Any]) -> dict[str, Any]:
    """`values` with every secret replaced by the word `changed`."""
    return {k: ("changed" if k in SECRET_KEYS else v) for k, v in values.items()}


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """`{"before": {...}, "after": {...}}` of the keys whose values differ (redacted)."""
    keys = [k for k in dict.fromkeys([*before, *after]) if before.get(k) != after.get(k)]
    return {
        "before": redact({k: before.get(k) for k in keys}),
        "after": redact({k: after.get(k) for k in keys}),
    }


def record(
    session: Session,
    *,
    actor: str | None,
    action: str,
    target: str,
    details: dict[str, Any],
    now: datetime,
) -> None:
    """Add one entry to the caller's transaction."""
    assert action in ACTIONS, action
    session.add(
        AuditEntry(
            at=now,
            actor=(actor or SYSTEM_ACTOR)[:64],
            action=action,
            target=target[:200],
            details=redact(details),
        )
    )


@dataclass(frozen=True)
class AuditPage:
    """One page of entries, newest first, and the total count."""

    entries: list[AuditEntry]
    total: int


def list_entries(
    db: Database,
    *,
    limit: int = 100,
    offset: int = 0,
    actor: str | None = None,
    target: str | None = None,
) -> AuditPage:
    """Entries newest first (optionally of one actor, or about one target)."""
    with db.read() as s:
        query = select(AuditEntry)
        count = select(func.count()).select_from(AuditEntry)
        if actor:
            query = query.where(AuditEntry.actor == actor)
            count = count.where(AuditEntry.actor == actor)
        if target:
            query = query.where(AuditEntry.target == target)
            count = count.where(AuditEntry.target == target)
        rows = list(
            s.scalars(
                query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
                .limit(limit)
                .offset(offset)
            )
        )
        return AuditPage(rows, int(s.scalar(count) or 0))
