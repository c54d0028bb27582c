"""Admin pages (admins only): users, grids, assignments (move a grid to another worker) and the
rules config (threshold and rule settings for the deployment's province and year, stored as
data) and the working calendar (public holidays and make-up working days that the 20-working-day
deadline of a monitoring case counts with). Every write goes through
`sync_server.services.admin`, as the API's admin endpoints do, and is audited with the signed-in
admin as actor. One user's page is `views.users`, the audit page `views.audit`."""

from __future__ import annotations

import json
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue

from shared_schema.config import ConfigError, config_for, config_from_dict, config_to_dict
from shared_schema.schemas.protocol import GridSchema, UserCreateSchema, validate_payload
from shared_schema.timefmt import zone_label
from sync_server.console.blueprint import bp, lang, now, page, principal, tr, zone
from sync_server.console.cases.calendar import build_calendar, parse_dates
from sync_server.console.scope import rules_config, work_calendar
from sync_server.errors import ServiceError
from sync_server.extensions import current_db
from sync_server.services import admin as admin_service
from sync_server.services import config as config_service
from sync_server.services.principal import ADMIN

ADMIN_TABS = [
    ("console.admin_users", "adm.users"),
    ("console.admin_grids", "adm.grids"),
    ("console.admin_assignments", "adm.assignments"),
    ("console.admin_thresholds", "adm.thresholds"),
    ("console.admin_config", "adm.config"),
    ("console.admin_calendar", "adm.calendar"),
    ("console.admin_audit", "adm.audit"),
]
ROLES = ("worker", "supervisor", "admin")


def _require_admin() -> None:
    if principal().role != ADMIN:
        abort(403)


def _admin_page(template: str, **context: Any) -> str:
    zone_text = zone_label(zone(), now())  # the admin tables' time columns name the zone
    return page(
        template, active="console.admin_users", tabs=ADMIN_TABS, zone_text=zone_text, **context
    )


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
            admin_service.create_user(current_db(), now=now(), actor=principal().username, **body)
        except ServiceError as exc:
            _service_error(exc)
        else:
            flash(tr("adm.created"), "ok")
        return redirect(url_for("console.admin_users"))
    return _admin_page(
        "admin_users.html",
        users=admin_service.user_overview(current_db()),
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
                actor=principal().username,
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
                actor=principal().username,
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
    """The threshold and rule settings; saving publishes a new configuration version
    (sync_server.services.config), which phones fetch after their next pull."""
    _require_admin()
    with current_db().read() as s:
        current = rules_config(s)
        version = config_service.version_in_force(s)
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
                config_from_dict(data)
            except ValueError as exc:
                errors = exc.errors if isinstance(exc, ConfigError) else {"year": [str(exc)]}
        if not errors:
            try:
                published = config_service.publish(
                    current_db(),
                    {"rules": data},
                    actor=principal().username,
                    now=now(),
                    base_version=int(form.get("base_version") or version),
                )
            except ServiceError as exc:
                if exc.key == "config_unchanged":
                    flash(tr("cfg.unchanged"), "ok")
                    return redirect(url_for("console.admin_thresholds"))
                errors = exc.errors or {"version": [tr("cfg.changed", version=version)]}
            else:
                flash(tr("cfg.published", version=published.version), "ok")
                return redirect(url_for("console.admin_thresholds"))
        if errors:
            detail = "; ".join(f"{k}: {', '.join(v)}" for k, v in errors.items())
            flash(tr("adm.config_invalid", detail=detail), "error")
    identity = ("version", "province", "year", "monitoring_threshold", "threshold_source")
    settings = {k: v for k, v in values.items() if k not in identity}
    return _admin_page(
        "admin_thresholds.html",
        config=values,
        config_version=version,
        settings_json=json.dumps(settings, ensure_ascii=False, indent=2),
        lang_code=lang(),
    ), (422 if errors else 200)


def _calendar_text(days: Any) -> str:
    return "\n".join(d.isoformat() for d in sorted(days))


@bp.route("/admin/calendar", methods=["GET", "POST"])
def admin_calendar() -> ResponseReturnValue:
    """Public holidays and weekend make-up working days, typed or pasted from the State
    Council's notice; wrong dates are named next to their box and nothing is saved."""
    _require_admin()
    with current_db().read() as s:
        current = work_calendar(s)
    texts = {
        "holidays": _calendar_text(current.holidays),
        "workdays": _calendar_text(current.workdays),
    }
    errors: dict[str, str] = {}
    if request.method == "POST":
        texts = {k: request.form.get(k, "") for k in texts}
        parsed = {}
        for key, text in texts.items():
            days, bad = parse_dates(text)
            parsed[key] = days
            if bad:
                errors[key] = tr("adm.cal_bad_dates", dates="、".join(bad[:5]))
        if not errors:
            cal, problems = build_calendar(parsed["holidays"], parsed["workdays"])
            if "both" in problems:
                errors["workdays"] = tr(
                    "adm.cal_both", dates="、".join(d.isoformat() for d in problems["both"][:5])
                )
            elif "weekday_workday" in problems:
                errors["workdays"] = tr(
                    "adm.cal_weekday",
                    dates="、".join(d.isoformat() for d in problems["weekday_workday"][:5]),
                )
            else:
                admin_service.put_setting(
                    current_db(),
                    admin_service.WORK_CALENDAR_KEY,
                    cal.to_setting(),
                    now(),
                    actor=principal().username,
                )
                saved = tr("adm.cal_saved", holidays=len(cal.holidays), workdays=len(cal.workdays))
                flash(saved, "ok")
                return redirect(url_for("console.admin_calendar"))
        flash(tr("adm.cal_invalid"), "error")
    return _admin_page("admin_calendar.html", texts=texts, errors=errors), (422 if errors else 200)
