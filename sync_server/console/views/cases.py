"""Monitoring cases: the list (overdue ones stand out), one case with its steps, measures,
elimination check and the actions open to the signed-in user; opening a case from a household."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask.typing import ResponseReturnValue

from shared_schema.enums import ENUMS
from sync_server.console import case_service
from sync_server.console.auth import actor_level
from sync_server.console.blueprint import bp, lang, local_today, now, page, principal, tr
from sync_server.console.cases import ELIMINATION_MODES, STATES, CaseError
from sync_server.console.i18n import pair
from sync_server.console.scope import grids_in_scope
from sync_server.extensions import current_db


@bp.route("/cases")
def cases() -> str:
    state = request.args.get("state") or None
    overdue_only = request.args.get("overdue") == "1"
    rows = case_service.list_cases(
        current_db(),
        principal(),
        local_today(),
        lang=lang(),
        state=state,
        overdue_only=overdue_only,
    )
    with current_db().read() as s:
        grid_names = {g.id: g.name for g in grids_in_scope(s, principal())}
    return page(
        "cases.html",
        grid_names=grid_names,
        active="console.cases",
        rows=rows,
        states=[(code, pair(STATES, code, lang())) for code in STATES],
        filters={"state": state or "", "overdue": "1" if overdue_only else ""},
    )


@bp.route("/cases/<case_id>")
def case(case_id: str) -> str:
    detail = case_service.case_detail(
        current_db(), principal(), case_id, local_today(), actor_level(principal()), lang()
    )
    order = list(STATES)
    return page(
        "case.html",
        active="console.cases",
        c=detail,
        progress=[
            (code, pair(STATES, code, lang()), order.index(code) < order.index(detail["state"]))
            for code in order
            if code != "dismissed"
        ],
        modes=[(code, pair(ELIMINATION_MODES, code, lang())) for code in ELIMINATION_MODES],
        measures_enum=ENUMS["assistance"].choices(lang()),
        state_label=lambda code: pair(STATES, code, lang()) if code else "—",
    )


def _refused(exc: CaseError) -> None:
    flash(
        f"{tr('case.refused')}：{exc.message(lang())}"
        if lang() == "zh"
        else f"{tr('case.refused')}: {exc.message(lang())}",
        "error",
    )


@bp.route("/households/<household_id>/cases", methods=["POST"])
def case_open(household_id: str) -> ResponseReturnValue:
    try:
        case_id = case_service.open_case(
            current_db(),
            principal(),
            household_id,
            source=request.form.get("source", ""),
            reason=request.form.get("reason", ""),
            now=now(),
        )
    except CaseError as exc:
        _refused(exc)
        return redirect(url_for("console.household", household_id=household_id))
    flash(tr("case.opened"), "ok")
    return redirect(url_for("console.case", case_id=case_id))


@bp.route("/cases/<case_id>/act", methods=["POST"])
def case_act(case_id: str) -> ResponseReturnValue:
    action = request.form.get("action", "")
    try:
        case_service.act(
            current_db(),
            principal(),
            case_id,
            action,
            reason=request.form.get("reason", ""),
            mode=request.form.get("mode") or None,
            level=actor_level(principal()),
            now=now(),
        )
    except CaseError as exc:
        _refused(exc)
    else:
        from sync_server.console.cases import ACTIONS

        flash(tr("case.moved", action=ACTIONS[action].label(lang())), "ok")
    return redirect(url_for("console.case", case_id=case_id))


@bp.route("/cases/<case_id>/measures", methods=["POST"])
def case_measure(case_id: str) -> ResponseReturnValue:
    try:
        case_service.add_measure(
            current_db(),
            principal(),
            case_id,
            measure=request.form.get("measure", ""),
            note=request.form.get("note", ""),
            now=now(),
        )
    except CaseError as exc:
        _refused(exc)
    else:
        flash(tr("case.measure_added"), "ok")
    return redirect(url_for("console.case", case_id=case_id))
