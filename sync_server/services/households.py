"""Households on the server: who holds a number in a grid, and the console's register edits
(create, edit, confirm, mark moved away / merged, move a member) through `write_record`.

The push decides a clash as a `household_no` conflict (`shared_schema.sync.decide`); a
supervisor's own write (resolving that conflict, the console's household form) is refused
instead when the number is taken, so a choice made at a desk never adds a clash.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared_schema.schemas.bounds import local_today
from shared_schema.schemas.records import composition_problems_added
from sync_server.errors import ServiceError
from sync_server.extensions import Database
from sync_server.messages import message
from sync_server.models import Record
from sync_server.models.base import new_id
from sync_server.services import audit
from sync_server.services.principal import ADMIN, SUPERVISOR, Principal, require_grid, require_role
from sync_server.services.record_checks import validate_record
from sync_server.services.versions import write_record

HOUSEHOLD = "household"
HOUSEHOLD_NO = "household_no"


def number_holders(
    session: Session, grid_id: str, number: str, *, excluding: str | None = None
) -> list[str]:
    """The ids of the live households of `grid_id` holding `number` (but `excluding`)."""
    number_of = Record.data[HOUSEHOLD_NO].as_string()
    rows = session.scalars(
        select(Record.id).where(
            Record.entity == "household",
            Record.grid_id == grid_id,
            Record.deleted.is_(False),
            number_of == number,
        )
    )
    return sorted(rid for rid in rows if rid != excluding)


def save_household(
    db: Database,
    principal: Principal,
    household_id: str | None,
    changes: Mapping[str, Any],
    *,
    lang: str,
    now: datetime,
    audit_action: str | None = None,
) -> Record:
    """A supervisor creates (`household_id` None) or edits a household: a new version with a
    history row naming them. A household made here is `confirmed`; a taken number, an invalid
    value or a `merged_into` that is not another live household of the caller is a 422 with
    field errors, and nothing is written."""
    require_role(principal, SUPERVISOR, ADMIN)
    with db.write() as s:
        rec: Record | None = None
        if household_id is None:
            rec_id, old = new_id(), {"registration": "confirmed"}
        else:
            rec = s.get(Record, (HOUSEHOLD, household_id.lower()), with_for_update=True)
            if rec is None or rec.deleted:
                raise ServiceError(404, "unknown_household")
            require_grid(s, principal, rec.grid_id)
            rec_id, old = rec.id, dict(rec.data)
        data = {**old, **changes}
        if data.get("status") != "merged":
            data.pop("merged_into", None)
        errors = validate_record(
            HOUSEHOLD, data, lang=lang, as_of=now.date(), today=local_today(now)
        )
        grid = data.get("grid_id")
        if not errors and isinstance(grid, str):
            require_grid(s, principal, grid)
            if number_holders(s, grid, str(data[HOUSEHOLD_NO]), excluding=rec_id):
                errors[HOUSEHOLD_NO] = [message("household_no_taken", lang)]
        target = data.get("merged_into")
        if not errors and target is not None:
            other = s.get(Record, (HOUSEHOLD, str(target).lower()))
            if other is None or other.deleted or other.id == rec_id:
                errors["merged_into"] = [message("unknown_household", lang)]
            else:
                require_grid(s, principal, other.grid_id)
        if errors:
            raise ServiceError(422, "validation", errors)
        changed = sorted(k for k in set(old) | set(data) if old.get(k) != data.get(k))
        if household_id is not None and not changed and rec is not None:
            return rec
        if audit_action is not None:
            audit.record(
                s,
                actor=principal.username,
                action=audit_action,
                target=f"household:{rec_id}",
                details=audit.diff(old, data),
                now=now,
            )
        return write_record(
            s,
            entity=HOUSEHOLD,
            record_id=rec_id,
            data=data,
            deleted=False,
            changed=changed,
            author=principal.username,
            now=now,
        )


def confirm_household(
    db: Database, principal: Principal, household_id: str, *, lang: str, now: datetime
) -> Record:
    """A supervisor confirms a household registered in the field (`registration` becomes
    `confirmed`; the history row names who and when: the audit)."""
    return save_household(
        db,
        principal,
        household_id,
        {"registration": "confirmed"},
        lang=lang,
        now=now,
        audit_action="household.confirm",
    )


def _composition_added(
    session: Session, household_id: str, joining: dict[str, Any], *, lang: str
) -> dict[str, list[str]]:
    """Composition problems (a second head or spouse) that `joining` would bring to the
    household; problems it already had (no head yet, while a split is being built) are not
    blamed on the member who moves."""
    rows = session.scalars(
        select(Record).where(
            Record.entity == "member",
            Record.household_id == household_id,
            Record.deleted.is_(False),
            Record.id != joining["id"],
        )
    )
    members: list[Mapping[str, Any]] = [{**r.data, "id": r.id} for r in rows]
    added = composition_problems_added(members, [*members, joining], lang=lang)
    return {"relation": added} if added else {}


def move_member(
    db: Database,
    principal: Principal,
    member_id: str,
    household_id: str,
    *,
    relation: str | None = None,
    lang: str,
    now: datetime,
) -> Record:
    """A member moves to another live household of the caller's (a new version of the member;
    its `relation` may be set at once, e.g. `head` of a household split off)."""
    require_role(principal, SUPERVISOR, ADMIN)
    with db.write() as s:
        rec = s.get(Record, ("member", member_id.lower()), with_for_update=True)
        if rec is None or rec.deleted:
            raise ServiceError(404, "not_found")
        require_grid(s, principal, rec.grid_id)
        target = s.get(Record, (HOUSEHOLD, household_id.lower()))
        if target is None or target.deleted:
            raise ServiceError(
                422, "validation", {"household_id": [message("unknown_household", lang)]}
            )
        require_grid(s, principal, target.grid_id)
        data = dict(rec.data) | {"household_id": target.id}
        if relation is not None:
            data["relation"] = relation
        errors = validate_record(
            "member", data, lang=lang, as_of=now.date(), today=local_today(now)
        ) or _composition_added(s, target.id, {**data, "id": rec.id}, lang=lang)
        if errors:
            raise ServiceError(422, "validation", errors)
        changed = sorted(k for k in data if rec.data.get(k) != data.get(k))
        if not changed:
            return rec
        return write_record(
            s,
            entity="member",
            record_id=rec.id,
            data=data,
            deleted=False,
            changed=changed,
            author=principal.username,
            now=now,
        )
