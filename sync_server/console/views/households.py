"""Households: the list (filter by grid, flag, search) and one household's page — record,
members, visit timeline, flags, monitoring cases and the full version history with diffs."""

from __future__ import annotations

from typing import Any

from flask import abort, request
from sqlalchemy import select

from shared_schema.computed import member_age
from shared_schema.forms import FORMS
from shared_schema.rules import RULE_CODES
from sync_server.console.blueprint import bp, lang, local_today, page, principal
from sync_server.console.history import version_rows
from sync_server.console.scope import load_scope
from sync_server.console.values import format_value, label_of
from sync_server.console.views.common import PAGE_SIZE, household_in_scope, page_number
from sync_server.console.views.register import register_context
from sync_server.extensions import current_db
from sync_server.models import Client, ConflictRow, Record
from sync_server.services.history import record_history


@bp.route("/households")
def households() -> str:
    grid = request.args.get("grid") or None
    flag = request.args.get("flag") or None
    registration = request.args.get("registration") or None
    query = (request.args.get("q") or "").strip()
    grids, data = load_scope(current_db(), principal(), grid_id=grid)
    today = local_today()
    rows: list[dict[str, Any]] = []
    for hh in data.households.values():
        if (
            query
            and query not in hh.data.get("head_name", "")
            and query not in hh.data.get("household_no", "")
        ):
            continue
        if registration and (hh.data.get("registration") or "confirmed") != registration:
            continue
        flags = data.current_flags(hh)
        if flag and all(f.code != flag for f in flags):
            continue
        rows.append(
            {
                "hh": hh,
                "flags": flags,
                "latest": hh.latest_visit,
                "due": data.next_due(hh),
                "overdue": data.is_overdue(hh, today),
            }
        )
    rows.sort(key=lambda r: (r["hh"].grid_id, str(r["hh"].data.get("household_no"))))
    number = page_number()
    grid_names = {g.id: g.name for g in grids}
    return page(
        "households.html",
        active="console.households",
        rows=rows[(number - 1) * PAGE_SIZE : number * PAGE_SIZE],
        total=len(rows),
        page_no=number,
        has_next=number * PAGE_SIZE < len(rows),
        grids=grids,
        grid_names=grid_names,
        rule_codes=RULE_CODES,
        filters={
            "grid": grid or "",
            "flag": flag or "",
            "q": query,
            "registration": registration or "",
        },
    )


def _device_names(client_ids: set[str]) -> dict[str, str]:
    if not client_ids:
        return {}
    with current_db().read() as s:
        rows = s.execute(
            select(Client.client_id, Client.device_name).where(Client.client_id.in_(client_ids))
        )
        return {cid: name for cid, name in rows}


def household_history(hh: Any) -> list[dict[str, Any]]:
    """Every version of the household, its members and visits, newest first, with diffs."""
    entries: list[dict[str, Any]] = []
    records = [("household", hh.id, hh.data.get("head_name"))]
    records += [("member", m["id"], m.get("name")) for m in hh.members]
    records += [("visit", v["id"], v.get("visit_date")) for v in hh.visits]
    for entity, record_id, title in records:
        versions = record_history(current_db(), principal(), entity, record_id)
        for row in version_rows(entity, versions, lang()):
            entries.append({"entity": entity, "record_id": record_id, "title": title, "row": row})
    entries.sort(key=lambda e: -e["row"].version)
    devices = _device_names({e["row"].client_id for e in entries if e["row"].client_id})
    for e in entries:
        e["device"] = devices.get(e["row"].client_id or "", e["row"].client_id)
    return entries


@bp.route("/households/<household_id>")
def household(household_id: str) -> str:
    rec = household_in_scope(household_id)
    _, data = load_scope(current_db(), principal(), grid_id=rec.grid_id)
    hh = data.households.get(rec.id)
    if hh is None:
        abort(404)
    today = local_today()
    fields = [
        (f.label(lang()), format_value("household", f.path, hh.data.get(f.path), lang()))
        for f in FORMS["household"].fields()
        if f.entity == "household"
    ]
    members = [{**m, "age": member_age(m, today)} for m in hh.members]
    timeline = [
        {"visit": v, "flags": data.flags_of(hh, v), "per_capita": data.per_capita(hh, v)}
        for v in reversed(hh.visits)
    ]
    from sync_server.console.case_service import cases_of_household

    return page(
        "household.html",
        active="console.households",
        hh=hh,
        fields=fields,
        members=members,
        timeline=timeline,
        flags=data.current_flags(hh),
        due=data.next_due(hh),
        overdue=data.is_overdue(hh, today),
        history=household_history(hh),
        cases=cases_of_household(current_db(), hh.id, today, lang()),
        conflicts=household_conflicts(hh.id),
        register=register_context(hh, data.households.values()),
    )


def household_conflicts(household_id: str) -> list[dict[str, Any]]:
    """Every conflict of the household and its members and visits, open and resolved, newest
    first: a resolved conflict stays part of the record's story (who chose what, and when)."""
    with current_db().read() as s:
        rows = s.execute(
            select(ConflictRow, Record)
            .join(
                Record,
                (Record.entity == ConflictRow.entity) & (Record.id == ConflictRow.record_id),
            )
            .where((Record.household_id == household_id) | (Record.id == household_id))
            .order_by(ConflictRow.created_at.desc(), ConflictRow.id)
        ).all()
        out = []
        for c, rec in rows:
            out.append(
                {
                    "c": c,
                    "label": label_of(c.entity, c.field, lang()),
                    "title": rec.data.get("name") or rec.data.get("visit_date") or "",
                    "client": format_value(c.entity, c.field, c.client_value, lang()),
                    "server": format_value(c.entity, c.field, c.server_value, lang()),
                    "resolved": format_value(c.entity, c.field, c.resolved_value, lang()),
                }
            )
        return out
