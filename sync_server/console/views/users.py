"""One user's admin page: edit role, display name, township and grids; deactivate or
reactivate; reset the password; their devices and the audit entries about them. Every write
goes through `sync_server.services.admin.update_user`, as `PATCH /api/v1/admin/users/<name>`
does, with the same field rules (`UserUpdateSchema`)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue

from shared_schema.schemas.protocol import UserUpdateSchema, validate_payload
from sync_server.console.blueprint import bp, now, principal, tr
from sync_server.console.views.admin import ROLES, _admin_page, _require_admin, _service_error
from sync_server.console.views.audit import describe
from sync_server.errors import ServiceError
from sync_server.extensions import current_db
from sync_server.services import admin as admin_service
from sync_server.services import audit


def _find(username: str) -> dict[str, Any]:
    for row in admin_service.user_overview(current_db()):
        if row["username"] == username:
            return row
    abort(404)


def _apply(username: str, changes: dict[str, Any], done_key: str) -> ResponseReturnValue:
    errors = validate_payload(UserUpdateSchema, changes)
    try:
        if errors:
            raise ServiceError(422, "validation", errors)
        admin_service.update_user(
            current_db(), username, changes, now=now(), actor=principal().username
        )
    except ServiceError as exc:
        if exc.status == 404:
            abort(404)
        _service_error(exc)
    else:
        flash(tr(done_key), "ok")
    return redirect(url_for("console.admin_user", username=username))


@bp.route("/admin/users/<username>", methods=["GET", "POST"])
def admin_user(username: str) -> ResponseReturnValue:
    _require_admin()
    if request.method == "POST":
        form = request.form
        role = form.get("role", "")
        changes: dict[str, Any] = {
            "display_name": form.get("display_name", "").strip(),
            "role": role,
            "township": form.get("township", "").strip() or None,
        }
        if role == "worker":
            changes["grids"] = [g for g in form.getlist("grids") if g]
        return _apply(username, changes, "usr.saved")
    row = _find(username)
    found = audit.list_entries(current_db(), limit=20, target=f"user:{username}").entries
    entries = [describe(e) for e in found]
    return _admin_page(
        "admin_user.html",
        u=row,
        roles=ROLES,
        grids=admin_service.list_grids(current_db()),
        entries=entries,
        is_self=row["username"] == principal().username,
    )


@bp.route("/admin/users/<username>/active", methods=["POST"])
def admin_user_active(username: str) -> ResponseReturnValue:
    _require_admin()
    active = request.form.get("active") == "1"
    return _apply(username, {"active": active}, "usr.activated" if active else "usr.deactivated")


@bp.route("/admin/users/<username>/password", methods=["POST"])
def admin_user_password(username: str) -> ResponseReturnValue:
    _require_admin()
    password = request.form.get("password", "")
    if password != request.form.get("password2", ""):
        flash(tr("usr.password_mismatch"), "error")
        return redirect(url_for("console.admin_user", username=username))
    return _apply(username, {"password": password}, "usr.password_set")
