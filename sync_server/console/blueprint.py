"""The console blueprint (`/console`): request hooks (language, sign-in, CSRF), template helpers,
HTML error pages, and `init_console(app)`, which the app factory calls once.

Every view module under `sync_server.console.views` adds its routes to `bp` when imported.
"""

from __future__ import annotations

import logging
from contextlib import suppress
from datetime import UTC, date, datetime, tzinfo
from typing import Any
from urllib.parse import urlencode

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    g,
    has_request_context,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface
from flask.typing import ResponseReturnValue
from markupsafe import Markup
from werkzeug.exceptions import HTTPException

from shared_schema.enums import reset_enumerations, show_enumerations
from shared_schema.labels import entity_label
from shared_schema.timefmt import as_utc, format_date, format_datetime, local_date, zone_label
from sync_server.console import auth
from sync_server.console.cases import SOURCES
from sync_server.console.i18n import LANG_COOKIE, choose_lang, pair, t
from sync_server.console.values import format_value, label_of
from sync_server.errors import ServiceError
from sync_server.extensions import current_db
from sync_server.services import config as config_service

bp = Blueprint(
    "console",
    __name__,
    url_prefix="/console",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)

PUBLIC_ENDPOINTS = {"console.login", "console.static", "console.unknown_page"}
NAV_ITEMS: list[tuple[str, str]] = [
    ("console.dashboard", "nav.dashboard"),
    ("console.queue", "nav.queue"),
    ("console.households", "nav.households"),
    ("console.conflicts", "nav.conflicts"),
    ("console.cases", "nav.cases"),
    ("console.devices", "nav.devices"),
    ("console.exports", "nav.exports"),
]
ADMIN_NAV = ("console.admin_users", "nav.admin")


def now() -> datetime:
    """The request's clock reading (the one place views read the time)."""
    value = g.get("console_now")
    if value is None:
        value = g.console_now = datetime.now(UTC)
    return value


def zone() -> tzinfo:
    """The deployment's time zone (`TIME_ZONE`): every moment a person sees is in it."""
    value: tzinfo = current_app.config.get("TIME_ZONE_INFO") or UTC
    return value


def local_today() -> date:
    """The deployment's calendar day right now (not UTC's: at 07:00 in Beijing it is already
    tomorrow there while UTC still says today)."""
    return local_date(now(), zone())


def when(moment: datetime | None) -> Markup:
    """A stored UTC moment as `<time>` in local time, human format; the zone in the tooltip."""
    if moment is None:
        return Markup("—")
    return Markup('<time datetime="{}" title="{}">{}</time>').format(
        as_utc(moment).isoformat(timespec="seconds"),
        zone_label(zone(), moment),
        format_datetime(moment, zone(), lang()),
    )


def local(moment: datetime | None) -> str:
    """`when` as plain text, for messages that are not markup."""
    return format_datetime(moment, zone(), lang()) if moment is not None else "—"


def day(value: date | datetime | None) -> str:
    """A calendar day in the human format (a moment is first moved to local time)."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = local_date(value, zone())
    return format_date(value, lang())


def lang() -> str:
    return str(g.get("lang", "zh"))


def tr(key: str, **params: Any) -> str:
    """`t` in the request's language."""
    return t(key, lang(), **params)


def principal() -> Any:
    return g.console_user


@bp.before_request
def _before() -> ResponseReturnValue | None:
    g.lang = choose_lang(request.args.get("lang"), request.cookies.get(LANG_COOKIE))
    with current_db().read() as s:  # option labels of the configuration version in force
        g.enumerations_token = show_enumerations(config_service.shown_enumerations(s))
    user, expired = auth.session_user(current_db(), now())
    g.console_user = user
    if user is not None:
        g.principal = user  # the access log names the user
    if request.method == "POST" and not auth.csrf_ok(
        request.form.get("csrf_token") or request.headers.get("X-CSRF-Token")
    ):
        abort(400, description=tr("error.csrf"))
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if user is None:
        target = request.full_path if request.method == "GET" else url_for("console.dashboard")
        return redirect(url_for("console.login", next=target, expired="1" if expired else None))
    return None


@bp.teardown_request
def _teardown(_exc: BaseException | None) -> None:
    token = g.pop("enumerations_token", None)
    if token is not None:
        with suppress(ValueError):  # set in another context: nothing of ours to undo here
            reset_enumerations(token)


@bp.after_request
def _after(response: Response) -> ResponseReturnValue:
    if request.args.get("lang") in ("zh", "en"):
        response.set_cookie(
            LANG_COOKIE,
            lang(),
            max_age=365 * 86400,
            httponly=True,
            samesite="Lax",
            secure=secure_cookies(current_app._get_current_object()),  # type: ignore[attr-defined]
        )
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "form-action 'self'; frame-ancestors 'none'",
    )
    if response.mimetype == "text/html":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _lang_url() -> str:
    args = request.args.to_dict()
    args["lang"] = "en" if lang() == "zh" else "zh"
    return f"{request.path}?{urlencode(args)}"


@bp.app_context_processor
def _helpers() -> dict[str, Any]:
    if request.blueprint != "console" and not g.get("console_page"):
        return {}
    user = g.get("console_user")
    nav = list(NAV_ITEMS)
    if user is not None and user.role == "admin":
        nav.append(ADMIN_NAV)
    return {
        "t": tr,
        "lang": lang(),
        "other_lang": "en" if lang() == "zh" else "zh",
        "lang_url": _lang_url(),
        "user": user,
        "csrf_token": auth.csrf_token(),
        "nav_items": nav,
        "nav_counts": g.get("nav_counts", {}),
        "active_nav": g.get("active_nav", request.endpoint),
        "fmt": lambda entity, path, value: format_value(entity, path, value, lang(), zone=zone()),
        "flabel": lambda entity, path: label_of(entity, path, lang()),
        "elabel": lambda entity: entity_label(entity, lang()),
        "case_sources": [(code, pair(SOURCES, code, lang())) for code in SOURCES],
        "when": when,
        "local": local,
        "day": day,
    }


def page(template: str, active: str | None = None, **context: Any) -> str:
    """Render a console page; `active` names the navigation entry to highlight."""
    if active:
        g.active_nav = active
    return render_template(f"console/{template}", **context)


def _error_page(status: int, message: str) -> tuple[str, int]:
    return render_template("console/error.html", status=status, message=message), status


def error_page(status: int) -> tuple[str, int]:
    """The console's HTML error page for `status`, in the request's language (also for a
    browser's request outside the console: `errors._page`)."""
    g.console_page = True
    if "lang" not in g:  # outside the console its before-request hook did not run
        g.lang = choose_lang(request.args.get("lang"), request.cookies.get(LANG_COOKIE))
    return _error_page(status, _error_message(status))


def _error_message(status: int) -> str:
    return tr(
        {400: "error.bad_request", 403: "error.forbidden", 404: "error.not_found"}.get(
            status, "error.title"
        )
    )


@bp.errorhandler(ServiceError)
def _service_error(exc: ServiceError) -> tuple[str, int]:
    return _error_page(exc.status, _error_message(exc.status))


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> tuple[str, int] | HTTPException:
    status = exc.code or 500
    if status in (301, 302, 303, 307, 308):
        return exc
    message = exc.description if status == 400 and exc.description else _error_message(status)
    return _error_page(status, message)


@bp.route("/<path:unknown>", methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
def unknown_page(unknown: str) -> ResponseReturnValue:
    """Any other /console/ URL: the console's HTML 404 page (zh/en), not the API's JSON."""
    abort(404)


class ConsoleSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session whose Secure flag follows `CONSOLE_SECURE_COOKIES`.

    `auto` (the default): Secure whenever the request came over HTTPS (directly, or through a
    proxy that Werkzeug's ProxyFix trusts); `1`/`true`: always; `0`/`false`: never.
    """

    def get_cookie_secure(self, app: Flask) -> bool:
        return secure_cookies(app)


def secure_cookies(app: Flask) -> bool:
    """Whether cookies set by this response carry the Secure flag."""
    setting = str(app.config.get("CONSOLE_SECURE_COOKIES", "auto")).strip().lower()
    if setting in ("1", "true", "yes", "on"):
        return True
    if setting in ("0", "false", "no", "off"):
        return False
    return bool(has_request_context() and request.is_secure)


@bp.errorhandler(Exception)
def _unexpected(exc: Exception) -> tuple[str, int]:
    """A bug: logged with its traceback, shown as an HTML page (never a stack trace)."""
    logging.getLogger("tianye.console").exception("unexpected error on %s", request.path)
    return _error_page(500, tr("error.title"))


def init_console(app: Flask) -> None:
    """Register the console on `app` and set its cookie policy (see `console.auth`)."""
    from sync_server.console import views  # noqa: F401  (routes register on import)

    app.config.setdefault("CONSOLE_SECURE_COOKIES", "auto")
    app.config.setdefault("CONSOLE_IDLE_MINUTES", 60)
    app.config.setdefault("CONSOLE_SESSION_HOURS", 12)
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    if app.config.get("SESSION_COOKIE_NAME") in (None, "session"):
        app.config["SESSION_COOKIE_NAME"] = "tianye_console"
    app.session_interface = ConsoleSessionInterface()
    app.register_blueprint(bp)
    if not any(rule.rule == "/" for rule in app.url_map.iter_rules()):
        app.add_url_rule("/", "console_root", lambda: redirect(url_for("console.dashboard")))
