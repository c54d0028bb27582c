"""Review queue: submitted visits (filter by grid, flag, date), one visit's whole form with its
flags, approve / return / reject through `sync_server.services.review`, bulk approve."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue

from shared_schema.forms import EVIDENCE_WIDGETS, FORMS
from shared_schema.rules import RULE_CODES
from shared_schema.sync import value_at
from sync_server.console.blueprint import bp, lang, now, page, principal, tr, zone
from sync_server.console.evidence import evidence_of, gps_line, load_file_states, paradata_of
from sync_server.console.readings import net_income_of
from sync_server.console.redirects import safe_target
from sync_server.console.scope import Household, ScopeData, load_scope
from sync_server.console.values import format_value
from sync_server.console.views.common import PAGE_SIZE, page_number
from sync_server.errors import ServiceError
from sync_server.extensions import current_db
from sync_server.models import Record
from sync_server.services.principal import require_grid
from sync_server.services.review import review_visit


def _date_arg(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


def submitted_visits(
    data: ScopeData, *, flag: str | None, date_from: date | None, date_to: date | None
) -> list[dict[str, Any]]:
    """Submitted visits of the scope with their flags, oldest visit date first."""
    rows: list[dict[str, Any]] = []
    for hh in data.households.values():
        for visit in hh.visits:
            if visit.get("review_status") != "submitted":
                continue
            day = str(visit.get("visit_date") or "")
            if date_from and day < date_from.isoformat():
                continue
            if date_to and day > date_to.isoformat():
                continue
            flags = data.flags_of(hh, visit)
            if flag == "none" and flags:
                continue
            if flag and flag != "none" and all(f.code != flag for f in flags):
                continue
            rows.append({"household": hh, "visit": visit, "flags": flags})
    rows.sort(key=lambda r: (str(r["visit"].get("visit_date")), r["visit"]["id"]))
    return rows


@bp.route("/queue")
def queue() -> str:
    grid = request.args.get("grid") or None
    flag = request.args.get("flag") or None
    date_from, date_to = _date_arg("from"), _date_arg("to")
    grids, data = load_scope(current_db(), principal(), grid_id=grid)
    rows = submitted_visits(data, flag=flag, date_from=date_from, date_to=date_to)
    number = page_number()
    shown = rows[(number - 1) * PAGE_SIZE : number * PAGE_SIZE]
    grid_names = {g.id: g.name for g in grids}
    states = load_file_states(current_db(), [r["visit"] for r in shown])
    for r in shown:
        r["evidence"] = evidence_of(r["visit"], states)
    return page(
        "queue.html",
        active="console.queue",
        rows=shown,
        total=len(rows),
        page_no=number,
        has_next=number * PAGE_SIZE < len(rows),
        grids=grids,
        grid_names=grid_names,
        rule_codes=RULE_CODES,
        filters={
            "grid": grid or "",
            "flag": flag or "",
            "from": date_from.isoformat() if date_from else "",
            "to": date_to.isoformat() if date_to else "",
        },
    )


@bp.route("/queue/approve", methods=["POST"])
def queue_bulk_approve() -> ResponseReturnValue:
    ids = [i for i in request.form.getlist("visit_ids") if i]
    if not ids:
        flash(tr("queue.nothing_selected"), "error")
        return redirect(url_for("console.queue"))
    _, data = load_scope(current_db(), principal())
    by_visit = {v["id"]: (hh, v) for hh in data.households.values() for v in hh.visits}
    done = skipped = 0
    for visit_id in ids:
        found = by_visit.get(visit_id.lower())
        if found is None:
            abort(404)
        hh, visit = found
        if visit.get("review_status") != "submitted" or data.flags_of(hh, visit):
            skipped += 1
            continue
        review_visit(current_db(), principal(), visit["id"], "approve", "", now=now())
        done += 1
    flash(tr("queue.bulk_done", count=done), "ok")
    if skipped:
        flash(tr("queue.bulk_skipped", count=skipped), "info")
    return redirect(safe_target(request.form.get("back"), url_for("console.queue")))


def _visit_context(visit_id: str) -> tuple[Household, dict[str, Any], ScopeData]:
    with current_db().read() as s:
        rec = s.get(Record, ("visit", visit_id.lower()))
        if rec is None or rec.deleted:
            abort(404)
        require_grid(s, principal(), rec.grid_id)
        grid_id, household_id = rec.grid_id, rec.household_id
    _, data = load_scope(current_db(), principal(), grid_id=grid_id)
    hh = data.households.get(household_id or "")
    if hh is None:
        abort(404)
    visit = next((v for v in hh.visits if v["id"] == visit_id.lower()), None)
    if visit is None:
        abort(404)
    return hh, visit, data


def form_sections(visit: dict[str, Any], flagged: set[str]) -> list[dict[str, Any]]:
    """The visit form's sections with each stored field's label and formatted value."""
    sections = []
    for section in FORMS["visit"].sections:  # the current definition, read per request
        fields = []
        for f in section.fields:
            if f.entity != "visit" or f.widget in EVIDENCE_WIDGETS:
                continue  # photos and the signature are the evidence card's (console/evidence.py)
            value = value_at(visit, f.path)
            fields.append(
                {
                    "path": f.path,
                    "label": f.label(lang()),
                    "value": format_value("visit", f.path, value, lang(), zone=zone()),
                    "flagged": f.path in flagged or f.path.split(".")[0] in flagged,
                }
            )
        if fields:
            sections.append({"title": section.title(lang()), "fields": fields})
    return sections


def _before(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Whether visit `a` came before `b` (date, then version): its fix is an earlier one."""
    return (str(a.get("visit_date") or ""), a["_version"]) < (
        str(b.get("visit_date") or ""),
        b["_version"],
    )


@bp.route("/visits/<visit_id>")
def visit(visit_id: str) -> str:
    hh, visit, data = _visit_context(visit_id)
    flags = data.flags_of(hh, visit)
    flagged = {p for f in flags for p in f.fields}
    earlier = [v for v in hh.visits if v["id"] != visit["id"] and _before(v, visit)]
    return page(
        "visit.html",
        active="console.queue",
        hh=hh,
        visit=visit,
        flags=flags,
        evidence=evidence_of(visit, load_file_states(current_db(), [visit])),
        paradata=paradata_of(visit, earlier),
        gps_line=gps_line(visit.get("gps"), lang()),
        sections=form_sections(visit, flagged),
        flagged_members={p.split(".")[1] for p in flagged if p.startswith("members.")},
        net=net_income_of(visit.get("income")),
        per_capita=data.per_capita(hh, visit),
        threshold=data.config.monitoring_threshold,
    )


@bp.route("/visits/<visit_id>/review", methods=["POST"])
def visit_review(visit_id: str) -> ResponseReturnValue:
    action = request.form.get("action", "")
    comment = request.form.get("comment", "").strip()
    if action in ("return", "reject") and not comment:
        flash(tr("visit.comment_required"), "error")
        return redirect(url_for("console.visit", visit_id=visit_id))
    if len(comment) > 1000:
        abort(400)
    try:
        review_visit(current_db(), principal(), visit_id, action, comment, now=now(), lang=lang())
    except ServiceError as exc:
        if exc.status == 422:
            for texts in exc.errors.values():
                for text in texts:
                    flash(text, "error")
            return redirect(url_for("console.visit", visit_id=visit_id))
        if exc.status == 409:  # reopen of a visit that is not closed (any more)
            flash(tr("error.bad_request"), "error")
            return redirect(url_for("console.visit", visit_id=visit_id))
        raise
    flash(tr("visit.reviewed"), "ok")
    return redirect(url_for("console.visit", visit_id=visit_id))
