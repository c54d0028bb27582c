"""Conflicts side by side — base, server value, client value, who made each and when — resolved
by keeping the server's value, taking the client's, or typing one, through the API's conflict
service (`sync_server.services.conflicts.resolve`), which writes a new version."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import Session

from shared_schema.sync import DELETED_FIELD, flatten
from sync_server.console.blueprint import bp, lang, now, page, principal, tr
from sync_server.console.inputs import InputError, input_spec, parse_input
from sync_server.console.values import FIELD_KINDS, format_value, label_of
from sync_server.errors import ServiceError
from sync_server.extensions import current_db
from sync_server.models import Client, Record, RecordVersion
from sync_server.services.conflicts import list_conflicts, resolve


def _server_side(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per conflict: the record, its household, the version that set the server's value, and
    the device names of both sides. A member or visit saved for a household another phone
    deleted (issue 6): the server's side is the household's delete."""
    out: dict[str, dict[str, Any]] = {}
    with current_db().read() as s:
        for c in rows:
            rec = s.get(Record, (c["entity"], c["record_id"]))
            hh = s.get(Record, ("household", rec.household_id or rec.id)) if rec else None
            top = c["field"].split(".")[0]
            setter = None
            household_gone = (
                c["field"] == DELETED_FIELD
                and c["entity"] != "household"
                and hh is not None
                and hh.deleted
            )
            if household_gone:
                assert hh is not None
                setter = s.scalar(
                    select(RecordVersion)
                    .where(
                        RecordVersion.entity == "household",
                        RecordVersion.record_id == hh.id,
                        RecordVersion.deleted.is_(True),
                    )
                    .order_by(RecordVersion.version.desc())
                    .limit(1)
                )
                out[c["id"]] = _sides(s, c, rec, hh, setter, household_gone=True)
                continue
            for v in s.scalars(
                select(RecordVersion)
                .where(
                    RecordVersion.entity == c["entity"], RecordVersion.record_id == c["record_id"]
                )
                .order_by(RecordVersion.version.desc())
            ):
                if c["status"] == "resolved" and v.created_at > c["created_at"]:
                    continue  # the resolution itself (or later edits) is not the server side
                changed = v.changed_fields or []
                if any(f == c["field"] or f.split(".")[0] == top for f in changed) or (
                    c["field"] == "_deleted" and v.deleted
                ):
                    if v.mutation_id == c["mutation_id"] and v.client_id == c["client_id"]:
                        continue
                    setter = v
                    break
            out[c["id"]] = _sides(s, c, rec, hh, setter, household_gone=False)
    return out


def _sides(
    session: Session,
    c: dict[str, Any],
    rec: Record | None,
    hh: Record | None,
    setter: RecordVersion | None,
    *,
    household_gone: bool,
) -> dict[str, Any]:
    def device(client_id: str | None) -> str | None:
        found = session.get(Client, client_id) if client_id else None
        return found.device_name if found is not None else None

    return {
        "record": rec,
        "household": hh,
        "setter": setter,
        "setter_device": device(setter.client_id if setter is not None else None),
        "client_device": device(c["client_id"]),
        "household_gone": household_gone,
    }


def _submitted(entity: str, data: dict[str, Any] | None, lang: str) -> list[tuple[str, str]]:
    """The data a phone sent with an edit of a deleted record, as (label, value) rows."""
    order = {path: i for i, (ent, path) in enumerate(FIELD_KINDS) if ent == entity}
    leaves = flatten(data or {})
    rows = []
    for path in sorted(leaves, key=lambda p: (order.get(p, len(order)), p)):
        value = leaves[path]
        if path == "household_id" or value is None or value == {}:
            continue
        rows.append((label_of(entity, path, lang), format_value(entity, path, value, lang)))
    return rows


def _deleted_kind(c: dict[str, Any]) -> str | None:
    """`edit` (a phone edited what is deleted here) or `delete` (a phone deleted what was
    edited here) for a record-level conflict; None for a field conflict."""
    if c["field"] != DELETED_FIELD:
        return None
    return "delete" if c["client_value"] is True else "edit"


STATUSES = ("open", "resolved")


@bp.route("/conflicts")
def conflicts() -> str:
    status = request.args.get("status", "open")
    if status not in STATUSES:
        status = "open"
    rows = list_conflicts(current_db(), principal(), status=status)
    if status == "resolved":
        rows.sort(key=lambda c: c["resolved_at"] or c["created_at"], reverse=True)
    sides = _server_side(rows)
    items = []
    for c in rows:
        entity, field = c["entity"], c["field"]
        ctx = sides[c["id"]]
        items.append(
            {
                "c": c,
                "label": tr("cf.household_deleted")
                if ctx["household_gone"]
                else label_of(entity, field, lang()),
                "base": format_value(entity, field, c["base_value"], lang()),
                "server": format_value(entity, field, c["server_value"], lang()),
                "client": format_value(entity, field, c["client_value"], lang()),
                "input": input_spec(entity, field, c["server_value"], lang()),
                "resolved": format_value(entity, field, c["resolved_value"], lang()),
                "household": ctx["household"],
                "record": ctx["record"],
                "setter": ctx["setter"],
                "setter_device": ctx["setter_device"],
                "client_device": ctx["client_device"],
                "household_gone": ctx["household_gone"],
                "deleted_kind": _deleted_kind(c),
                "submitted": _submitted(entity, c.get("client_data"), lang()),
            }
        )
    return page("conflicts.html", active="console.conflicts", items=items, status=status)


@bp.route("/conflicts/<conflict_id>/resolve", methods=["POST"])
def conflict_resolve(conflict_id: str) -> ResponseReturnValue:
    choice = request.form.get("choice", "")
    rows = {c["id"]: c for c in list_conflicts(current_db(), principal(), status="open")}
    conflict = rows.get(conflict_id)
    if conflict is None:
        abort(404)
    if choice == "server":
        value = conflict["server_value"]
    elif choice == "client":
        value = conflict["client_value"]
    elif choice == "custom":
        try:
            value = parse_input(
                conflict["entity"], conflict["field"], request.form.to_dict(flat=False)
            )
        except InputError as exc:
            flash(
                f"{label_of(conflict['entity'], conflict['field'], lang())}: {exc.message(lang())}",
                "error",
            )
            return redirect(url_for("console.conflicts"))
    else:
        abort(400)
    try:
        resolve(current_db(), principal(), conflict_id, value, lang=lang(), now=now())
    except ServiceError as exc:
        if exc.status not in (409, 422):
            raise
        details = "; ".join(f"{k}: {', '.join(map(str, v))}" for k, v in exc.errors.items())
        flash(f"{tr('error.bad_request')}: {details or exc.key}", "error")
        return redirect(url_for("console.conflicts"))
    flash(tr("cf.resolved"), "ok")
    return redirect(url_for("console.conflicts"))
