"""Sign in and sign out."""

from __future__ import annotations

from flask import current_app, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue

from sync_server.console import auth
from sync_server.console.blueprint import bp, now, page, principal, tr
from sync_server.errors import ServiceError
from sync_server.extensions import current_db
from sync_server.services.identity import DatabaseLimiter

LOGIN_SCOPE = "console"


def _safe_next(target: str | None) -> str:
    """Only same-site console paths are followed after sign-in (no open redirect)."""
    if target and target.startswith("/console/") and not target.startswith("//"):
        return target
    return url_for("console.dashboard")


def _limiter() -> DatabaseLimiter:
    from datetime import timedelta

    return DatabaseLimiter(
        current_db(), timedelta(seconds=current_app.config.get("LOGIN_WINDOW_SECONDS", 900))
    )


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    if request.method == "GET":
        if principal() is not None:
            return redirect(_safe_next(request.args.get("next")))
        error = tr("login.expired") if request.args.get("expired") else None
        return page("login.html", error=error, next_url=request.args.get("next", ""))
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    keys = [f"{LOGIN_SCOPE}:user:{username.lower()}", f"{LOGIN_SCOPE}:ip:{request.remote_addr}"]
    limiter = _limiter()
    try:
        failures = max(limiter.failures(key, now()) for key in keys)
        if failures >= current_app.config.get("LOGIN_MAX_FAILURES", 10):
            raise ServiceError(429, "rate_limited")
        user = auth.check_credentials(current_db(), username, password)
    except auth.LoginRefused as exc:
        limiter.record_failure(keys, now())
        html = page(
            "login.html",
            error=tr(exc.key),
            username=username,
            next_url=request.form.get("next", ""),
        )
        return html, 401 if exc.key == "login.failed" else 403
    except ServiceError:
        html = page(
            "login.html",
            error=tr("login.rate_limited"),
            username=username,
            next_url=request.form.get("next", ""),
        )
        return html, 429
    limiter.clear(keys[0])
    auth.start_session(user, now())
    return redirect(_safe_next(request.form.get("next")))


@bp.route("/logout", methods=["POST"])
def logout() -> ResponseReturnValue:
    auth.end_session()
    flash(tr("login.logged_out"), "info")
    return redirect(url_for("console.login"))
