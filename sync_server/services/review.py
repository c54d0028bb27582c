"""Supervisor review of a visit: approve, return (to the worker) or reject, with a comment; and
`reopen`, which sets a closed (approved or rejected) visit back to `submitted` so its worker
may edit it again (PROTOCOL.md "Closed visits"). A reopen of a visit that is not closed is a
409 (`visit_not_closed`) and writes nothing; every reopen is audited (it undoes a decision that
is the official record)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared_schema.labels import field_label
from shared_schema.schemas.fieldtypes import text_errors
from sync_server.errors import ServiceError
from sync_server.extensions import Database
from sync_server.models import Record
from sync_server.services import audit
from sync_server.services.principal import ADMIN, SUPERVISOR, Principal, require_grid, require_role
from sync_server.services.versions import write_record

STATUS_OF_ACTION = {
    "approve": "approved",
    "return": "returned",
    "reject": "rejected",
    "reopen": "submitted",
}
CLOSED = ("approved", "rejected")


def review_visit(
    db: Database,
    principal: Principal,
    visit_id: str,
    action: str,
    comment: str,
    *,
    now: datetime,
    lang: str = "zh",
) -> dict[str, Any]:
    """Set `review_status`/`review_comment` as a new version the worker's phone pulls.

    The comment is judged as the record's `review_comment` field (no control characters but
    tab and line breaks, no bidirectional overrides, ≤ 1000 characters): a value the worker's
    phone would refuse is refused here, not stored."""
    require_role(principal, SUPERVISOR, ADMIN)
    if action not in STATUS_OF_ACTION:
        raise ServiceError(422, "validation", {"action": ["approve, return, reject or reopen"]})
    problems = text_errors(
        comment or "",
        label=field_label("visit", "review_comment", lang),
        lang=lang,
        max_length=1000,
        multiline=True,
    )
    if problems:
        raise ServiceError(422, "validation", {"comment": problems})
    with db.write() as s:
        rec = s.get(Record, ("visit", visit_id.lower()), with_for_update=True)
        if rec is None or rec.deleted:
            raise ServiceError(404, "not_a_visit")
        require_grid(s, principal, rec.grid_id)
        before = rec.data.get("review_status")
        if action == "reopen" and before not in CLOSED:
            raise ServiceError(409, "visit_not_closed", {"action": [f"status is {before}"]})
        status = STATUS_OF_ACTION[action]
        data = dict(rec.data) | {"review_status": status, "review_comment": comment or None}
        changed = [k for k in ("review_status", "review_comment") if rec.data.get(k) != data.get(k)]
        rec = write_record(
            s,
            entity="visit",
            record_id=rec.id,
            data=data,
            deleted=False,
            changed=changed,
            author=principal.username,
            now=now,
        )
        if action == "reopen":
            audit.record(
                s,
                actor=principal.username,
                action="visit.reopen",
                target=f"visit:{rec.id}",
                details={
                    "before": {"review_status": before},
                    "after": {"review_status": status},
                    "comment": data["review_comment"],
                },
                now=now,
            )
        return {
            "id": rec.id,
            "version": rec.version,
            "review_status": status,
            "review_comment": data["review_comment"],
        }
