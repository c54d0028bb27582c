"""The household register in the console (issue 16): create and edit a household from the
shared household form, confirm one registered in the field (新登记), mark it moved away or
merged, and move a member to another household (a split is a new household plus moves).

Every write goes through `sync_server.services.households` (a new version with history naming
the supervisor); the forms carry the CSRF token like every console form."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import flash, redirect, request, url_for
from flask.typing import ResponseReturnValue

from shared_schema.forms import FORMS
from sync_server.console.blueprint import bp, lang, now, page, principal, tr
from sync_server.console.inputs import InputError, input_spec, parse_input
from sync_server.console.values import label_of
from sync_server.console.views.common import household_in_scope
from sync_server.errors import ServiceError
from sync_server.extensions import current_db
from sync_server.services.households import (
    confirm_household,
    move_member,
    save_household,
)

STATUSES = ("active", "moved_away", "merged")


def _form_fields() -> list[Any]:
    return [f for f in FORMS["household"].fields() if f.entity == "household"]


def relation_choices() -> list[tuple[str, str]]:
    """(code, label) of the member's relation, as the published configuration labels them."""
    return list(input_spec("member", "relation", None, lang()).options)


def register_context(hh: Any, households: Iterable[Any]) -> dict[str, Any]:
    """What the household page's register card needs: its state and the other households of
    its grid (targets of a merge or of a member's move)."""
    others = sorted(
        (o for o in households if o.id != hh.id and o.grid_id == hh.grid_id),
        key=lambda o: str(o.data.get("household_no")),
    )
    return {
        "field_new": hh.data.get("registration") == "field_new",
        "status": hh.data.get("status") or "active",
        "merged_into": hh.data.get("merged_into") or "",
        "statuses": STATUSES,
        "others": others,
        # a member who moves is related to the head of the household joined (a relation to
        # the old head means nothing there); `head` for a household split off in the console
        "relations": relation_choices(),
    }


def _read_form() -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The household form's typed values, and the fields whose input did not fit."""
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for f in _form_fields():
        try:
            values[f.path] = parse_input(
                "household", f.path, {"value": request.form.getlist(f.path)}
            )
        except InputError as exc:
            errors[f.path] = [exc.message(lang())]
    return values, errors


def _form_page(hh: Any, values: dict[str, Any], errors: dict[str, list[str]]) -> str:
    fields = [
        {
            "path": f.path,
            "label": f.label(lang()),
            "required": f.required,
            "spec": input_spec("household", f.path, values.get(f.path), lang()),
            "errors": errors.get(f.path, []),
        }
        for f in _form_fields()
    ]
    return page("household_form.html", active="console.households", hh=hh, fields=fields)


@bp.route("/households/new", methods=["GET", "POST"])
def household_new() -> ResponseReturnValue:
    if request.method == "GET":
        return _form_page(None, {"grid_id": request.args.get("grid") or None}, {})
    return _save(None)


@bp.route("/households/<household_id>/edit", methods=["GET", "POST"])
def household_edit(household_id: str) -> ResponseReturnValue:
    rec = household_in_scope(household_id)
    if request.method == "GET":
        return _form_page(rec, dict(rec.data), {})
    return _save(rec)


def _save(rec: Any) -> ResponseReturnValue:
    values, errors = _read_form()
    if not errors:
        try:
            saved = save_household(
                current_db(),
                principal(),
                rec.id if rec is not None else None,
                values,
                lang=lang(),
                now=now(),
            )
        except ServiceError as exc:
            if exc.status != 422:
                raise
            errors = exc.errors
        else:
            flash(tr("hh.saved"), "ok")
            return redirect(url_for("console.household", household_id=saved.id))
    return _form_page(rec, values, errors), 422


@bp.route("/households/<household_id>/confirm", methods=["POST"])
def household_confirm(household_id: str) -> ResponseReturnValue:
    rec = household_in_scope(household_id)
    _flash_errors(
        lambda: confirm_household(current_db(), principal(), rec.id, lang=lang(), now=now()),
        tr("hh.confirmed"),
    )
    return redirect(url_for("console.household", household_id=rec.id))


@bp.route("/households/<household_id>/status", methods=["POST"])
def household_status(household_id: str) -> ResponseReturnValue:
    rec = household_in_scope(household_id)
    status = request.form.get("status", "")
    target = request.form.get("merged_into") or None
    changes: dict[str, Any] = {
        "status": status,
        "merged_into": target if status == "merged" else None,
    }
    _flash_errors(
        lambda: save_household(current_db(), principal(), rec.id, changes, lang=lang(), now=now()),
        tr("hh.saved"),
    )
    return redirect(url_for("console.household", household_id=rec.id))


@bp.route("/households/<household_id>/members/move", methods=["POST"])
def member_move(household_id: str) -> ResponseReturnValue:
    rec = household_in_scope(household_id)
    member_id = request.form.get("member_id", "")
    target = request.form.get("household_id", "")
    relation = request.form.get("relation") or ""
    if relation not in {code for code, _label in relation_choices()}:
        flash(f"{tr('error.bad_request')}: {tr('hh.choose_relation')}", "error")
        return redirect(url_for("console.household", household_id=rec.id))
    _flash_errors(
        lambda: move_member(
            current_db(), principal(), member_id, target, relation=relation, lang=lang(), now=now()
        ),
        tr("hh.member_moved"),
        "member",
    )
    return redirect(url_for("console.household", household_id=rec.id))


def _flash_errors(action: Any, done: str, entity: str = "household") -> None:
    try:
        action()
    except ServiceError as exc:
        if exc.status not in (404, 409, 422):
            raise
        details = "; ".join(
            f"{label_of(entity, k, lang())}: {', '.join(map(str, v))}"
            for k, v in exc.errors.items()
        )
        flash(f"{tr('error.bad_request')}: {details or exc.key}", "error")
    else:
        flash(done, "ok")
