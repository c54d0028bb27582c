"""Conflicts side by side — base, server value, client value, who made each and when — resolved
by keeping the server's value, taking the client's, or typing one, through the API's conflict
service (`sync_server.services.conflicts.resolve`), which writes a new version."""

from __future__ import annotations

import json
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from sync_server.errors import ServiceError
from sync_server.extensions import current_db
from sync_server.models import Record, RecordVersion
from sync_server.review.blueprint import bp, lang, now, page, principal, tr
from sync_server.review.values import format_value, label_of
from sync_server.services.conflicts import list_conflicts, resolve


def _server_side(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per conflict: the record, its household, and the version that set the server's value."""
    out: dict[str, dict[str, Any]] = {}
    with current_db().read() as s:
        for c in rows:
            rec = s.get(Record, (c["entity"], c["record_id"]))
            hh = s.get(Record, ("household", rec.household_id or rec.id)) if rec else None
            top = c["field"].split(".")[0]
            setter = None
            for v in s.scalars(
                select(RecordVersion)
                .where(
                    RecordVersion.entity == c["entity"], RecordVersion.record_id == c["record_id"]
                )
                .order_by(RecordVersion.version.desc())
            ):
                changed = v.changed_fields or []
                if any(f == c["field"] or f.split(".")[0] == top for f in changed) or (
                    c["field"] == "_deleted" and v.deleted
                ):
                    if v.mutation_id == c["mutation_id"] and v.client_id == c["client_id"]:
                        continue
                    setter = v
                    break
            out[c["id"]] = {"record": rec, "household": hh, "setter": setter}
    return out


@bp.route("/conflicts")
def conflicts() -> str:
    rows = list_conflicts(current_db(), principal(), status="open")
    sides = _server_side(rows)
    items = []
    for c in rows:
        entity, field = c["entity"], c["field"]
        ctx = sides[c["id"]]
        items.append(
            {
                "c": c,
                "label": label_of(entity, field, lang()),
                "base": format_value(entity, field, c["base_value"], lang()),
                "server": format_value(entity, field, c["server_value"], lang()),
                "client": format_value(entity, field, c["client_value"], lang()),
                "server_json": json.dumps(c["server_value"], ensure_ascii=False),
                "household": ctx["household"],
                "record": ctx["record"],
                "setter": ctx["setter"],
            }
        )
    return page("conflicts.html", active="console.conflicts", items=items)


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
            value = json.loads(request.form.get("value", ""))
        except ValueError:
            flash(tr("cf.bad_json"), "error")
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
