"""The configuration page (admins only): visit frequencies per monitoring category, the zh/en
labels of an enumeration's options (and adding or dropping options), and every published
version with who published it, when (local time) and what it changed. Each save publishes a
new version through `sync_server.services.config` — the same call as
`PUT /api/v1/admin/config` — so phones pick it up after their next pull and the console's risk
flags follow the version in force. Thresholds are on `admin_thresholds` (views.admin)."""

from __future__ import annotations

import copy
from typing import Any

from flask import flash, redirect, request, url_for
from flask.typing import ResponseReturnValue

from shared_schema.config_bundle import FIXED_CODES
from shared_schema.enums import ENUMS
from sync_server.console.blueprint import bp, now, principal, tr
from sync_server.console.blueprint import lang as current_lang
from sync_server.console.views.admin import _admin_page, _require_admin
from sync_server.errors import ServiceError
from sync_server.extensions import current_db
from sync_server.services import config as config_service

NOT_MONITORED = "none"
MAX_CHANGES_SHOWN = 12


def enum_titles(body: dict[str, Any], lang: str) -> dict[str, str]:
    """Each enumeration named by the label of the first form field that stores it."""
    titles: dict[str, str] = {}
    for form in body.get("forms", {}).values():
        for section in form.get("sections", []):
            for f in section.get("fields", []):
                if f.get("enum") and f["enum"] not in titles:
                    titles[f["enum"]] = f["label_en"] if lang == "en" else f["label_zh"]
    return {name: titles.get(name, name) for name in ENUMS}


def _publish(parts: dict[str, Any], base_version: int) -> ServiceError | None:
    try:
        published = config_service.publish(
            current_db(),
            parts,
            actor=principal().username,
            now=now(),
            base_version=base_version,
        )
    except ServiceError as exc:
        return exc
    flash(tr("cfg.published", version=published.version), "ok")
    return None


def _error_text(exc: ServiceError) -> str:
    if exc.key == "config_changed":
        return tr("cfg.changed", version=exc.fmt.get("version", "?"))
    if exc.key == "config_unchanged":
        return tr("cfg.unchanged")
    details = "; ".join(f"{k}: {', '.join(map(str, v))}" for k, v in exc.errors.items())
    return tr("cfg.invalid", detail=details or exc.key)


def _intervals_from(form: Any, categories: list[str]) -> tuple[dict[str, int], dict[str, str]]:
    values: dict[str, int] = {}
    errors: dict[str, str] = {}
    for code in categories:
        text = (form.get(f"interval-{code}") or "").strip()
        try:
            days = int(text)
        except ValueError:
            errors[code] = tr("cfg.days_bad")
            continue
        if not 1 <= days <= 3660:
            errors[code] = tr("cfg.days_bad")
            continue
        values[code] = days
    return values, errors


def _options_from(form: Any, current: list[dict[str, str]]) -> list[dict[str, str]]:
    """The enumeration's options as edited: labels changed, dropped ones left out, a new one
    (when its code is filled in) appended."""
    options = []
    for i, option in enumerate(current):
        if form.get(f"drop-{i}"):
            continue
        options.append(
            {
                "code": option["code"],
                "zh": form.get(f"zh-{i}", option["zh"]).strip(),
                "en": form.get(f"en-{i}", option["en"]).strip(),
            }
        )
    code = (form.get("new-code") or "").strip()
    if code:
        options.append(
            {
                "code": code,
                "zh": (form.get("new-zh") or "").strip(),
                "en": (form.get("new-en") or "").strip(),
            }
        )
    return options


@bp.route("/admin/config", methods=["GET", "POST"])
def admin_config() -> ResponseReturnValue:
    _require_admin()
    lang = current_lang()
    with current_db().read() as s:
        current = config_service.in_force(s)
        history = config_service.list_versions(s)
    body = copy.deepcopy(dict(current.body))
    titles = enum_titles(body, lang)
    enum_name = request.values.get("enum") or "visit_type"
    if enum_name not in ENUMS:
        enum_name = "visit_type"
    categories = [o["code"] for o in body["enums"]["monitor_category"]] + [NOT_MONITORED]
    intervals = dict(body["rules"]["visit_interval_days"])
    options = list(body["enums"][enum_name])
    field_errors: dict[str, str] = {}
    failed: ServiceError | None = None
    if request.method == "POST":
        try:
            base = int(request.form.get("base_version", ""))
        except ValueError:
            base = current.version
        what = request.form.get("what")
        if what == "intervals":
            values, field_errors = _intervals_from(request.form, categories)
            intervals = {**intervals, **values}
            if not field_errors:
                rules = body["rules"] | {"visit_interval_days": intervals}
                failed = _publish({"rules": rules}, base)
        elif what == "enum":
            options = _options_from(request.form, options)
            enums = body["enums"] | {enum_name: options}
            failed = _publish({"enums": enums}, base)
        if not failed and not field_errors:
            return redirect(url_for("console.admin_config", enum=enum_name))
        flash(_error_text(failed) if failed else tr("cfg.days_bad"), "error")
    areas = {
        "rules": tr("cfg.area_rules"),
        "enums": tr("cfg.area_enums"),
        "forms": tr("cfg.area_forms"),
    }
    kinds = {
        "changed": tr("cfg.kind_changed"),
        "added": tr("cfg.kind_added"),
        "removed": tr("cfg.kind_removed"),
        "relabelled": tr("cfg.kind_relabelled"),
        "reordered": tr("cfg.kind_reordered"),
    }
    shown = [
        {
            "version": p.version,
            "author": p.author,
            "at": p.created_at,
            "changes": [
                c
                | {
                    "area_label": areas.get(c.get("area", ""), c.get("area", "")),
                    "kind_label": kinds.get(c.get("kind", ""), c.get("kind", "")),
                }
                for c in p.summary[:MAX_CHANGES_SHOWN]
            ],
            "more": max(0, len(p.summary) - MAX_CHANGES_SHOWN),
        }
        for p in history
    ]
    category_labels = {o["code"]: o[lang] for o in body["enums"]["monitor_category"]}
    category_labels[NOT_MONITORED] = tr("cfg.not_monitored")
    return _admin_page(
        "admin_config.html",
        version=current.version,
        categories=categories,
        category_labels=category_labels,
        intervals=intervals,
        field_errors=field_errors,
        enum_name=enum_name,
        enum_titles=titles,
        options=options,
        fixed=FIXED_CODES.get(enum_name, frozenset()),
        history=shown,
    ), (422 if failed or field_errors else 200)
