"""Admin pages (admins only): users, grids, assignments (move a grid to another worker) and the
rules config (threshold and rule settings for the deployment's province and year, stored as
data). Every write goes through `sync_server.services.admin`, as the API's admin endpoints do."""

from __future__ import annotations

import json
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue

from shared_schema.config import ConfigError, config_for, config_from_dict, config_to_dict
from shared_schema.schemas.protocol import GridSchema, UserCreateSchema, validate_payload
from sync_server.errors import ServiceError
from sync_server.extensions import current_db
from sync_server.review.blueprint import bp, lang, now, page, principal, tr
from sync_server.review.scope import rules_config
from sync_server.services import admin as admin_service
from sync_server.services.principal import ADMIN

ADMIN_TABS = [
    ("console.admin_users", "adm.users"),
    ("console.admin_grids", "adm.grids"),
    ("console.admin_assignments", "adm.assignments"),
    ("console.admin_thresholds", "adm.thresholds"),
]
ROLES = ("worker", "supervisor", "admin")


def _require_admin() -> None:
    if principal().role != ADMIN:
        abort(403)


def _admin_page(template: str, **context: Any) -> str:
    return page(template, active="console.admin_users", tabs=ADMIN_TABS, **context)


def _service_error(exc: ServiceError) -> None:
    details = "; ".join(f"{k}: {', '.join(map(str, v))}" for k, v in exc.errors.items())
    flash(f"{tr('error.bad_request')}: {details or exc.key}", "error")


@bp.route("/admin/users", methods=["GET", "POST"])
def admin_users() -> ResponseReturnValue:
    _require_admin()
    if request.method == "POST":
        form = request.form
        body: dict[str, Any] = {
            "username": form.get("username", "").strip(),
            "password": form.get("password", ""),
            "role": form.get("role", ""),
            "display_name": form.get("display_name", "").strip(),
            "grids": [g for g in form.getlist("grids") if g],
            "township": form.get("township", "").strip() or None,
        }
        errors = validate_payload(UserCreateSchema, body)  # the API's own rules
        if errors:
            _service_error(ServiceError(422, "validation", errors))
            return redirect(url_for("console.admin_users"))
        try:
            admin_service.create_user(current_db(), now=now(), **body)
        except ServiceError as exc:
            _service_error(exc)
        else:
            flash(tr("adm.created"), "ok")
        return redirect(url_for("console.admin_users"))
    return _admin_page(
        "admin_users.html",
        users=admin_service.list_users(current_db()),
        grids=admin_service.list_grids(current_db()),
        roles=ROLES,
    )


@bp.route("/admin/grids", methods=["GET", "POST"])
def admin_grids() -> ResponseReturnValue:
    _require_admin()
    if request.method == "POST":
        form = request.form
        fields = {k: form.get(k, "").strip() for k in ("id", "name", "village", "township")}
        errors = validate_payload(GridSchema, fields)
        if errors:
            _service_error(ServiceError(422, "validation", errors))
            return redirect(url_for("console.admin_grids"))
        try:
            admin_service.create_grid(
                current_db(),
                grid_id=fields["id"],
                name=fields["name"],
                village=fields["village"],
                township=fields["township"],
                now=now(),
            )
        except ServiceError as exc:
            _service_error(exc)
        else:
            flash(tr("adm.created"), "ok")
        return redirect(url_for("console.admin_grids"))
    return _admin_page("admin_grids.html", grids=admin_service.list_grids(current_db()))


@bp.route("/admin/assignments", methods=["GET", "POST"])
def admin_assignments() -> ResponseReturnValue:
    _require_admin()
    if request.method == "POST":
        try:
            admin_service.assign_grid(
                current_db(),
                grid_id=request.form.get("grid_id", ""),
                username=request.form.get("username", ""),
                now=now(),
            )
        except ServiceError as exc:
            _service_error(exc)
        else:
            flash(tr("adm.reassigned"), "ok")
        return redirect(url_for("console.admin_assignments"))
    users = admin_service.list_users(current_db())
    return _admin_page(
        "admin_assignments.html",
        grids=admin_service.list_grids(current_db()),
        workers=[u for u in users if u["role"] == "worker"],
    )


@bp.route("/admin/thresholds", methods=["GET", "POST"])
def admin_thresholds() -> ResponseReturnValue:
    _require_admin()
    with current_db().read() as s:
        current = rules_config(s)
    errors: dict[str, list[str]] = {}
    values = config_to_dict(current)
    if request.method == "POST":
        form = request.form
        try:
            extra = json.loads(form.get("settings", "") or "{}")
            if not isinstance(extra, dict):
                raise ValueError
        except ValueError:
            errors = {"settings": [tr("cf.bad_json")]}
            extra = {}
        if not errors:
            try:
                year = int(form.get("year", ""))
                threshold = int(form.get("threshold", ""))
                province = form.get("province", "").strip() or None
                base = config_to_dict(config_for(province, year))
                data = (
                    base
                    | extra
                    | {
                        "province": base["province"],
                        "year": year,
                        "monitoring_threshold": threshold,
                        "threshold_source": "admin",
                        "version": f"admin-{base['province']}-{year}-{now():%Y%m%d%H%M%S}",
                    }
                )
                saved = config_from_dict(data)
            except ValueError as exc:
                errors = exc.errors if isinstance(exc, ConfigError) else {"year": [str(exc)]}
            else:
                admin_service.put_setting(
                    current_db(), admin_service.RULES_KEY, config_to_dict(saved), now()
                )
                flash(tr("adm.config_saved"), "ok")
                return redirect(url_for("console.admin_thresholds"))
        if errors:
            detail = "; ".join(f"{k}: {', '.join(v)}" for k, v in errors.items())
            flash(tr("adm.config_invalid", detail=detail), "error")
    identity = ("version", "province", "year", "monitoring_threshold", "threshold_source")
    settings = {k: v for k, v in values.items() if k not in identity}
    return _admin_page(
        "admin_thresholds.html",
        config=values,
        settings_json=json.dumps(settings, ensure_ascii=False, indent=2),
        lang_code=lang(),
    ), (422 if errors else 200)
