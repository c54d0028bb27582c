"""Sign in and sign out."""

from __future__ import annotations

import unicodedata

from flask import flash, make_response, redirect, request, url_for
from flask.typing import ResponseReturnValue

from sync_server.console import auth
from sync_server.console.blueprint import bp, now, page, principal, tr
from sync_server.console.redirects import safe_target
from sync_server.errors import ServiceError
from sync_server.extensions import current_db, current_throttle, login_policy

MAX_USERNAME_LENGTH = 64  # the users table's column (and the API's TokenRequestSchema)


def _safe_next(target: str | None) -> str:
    """Only same-site console paths are followed after sign-in (no open redirect)."""
    return safe_target(target, url_for("console.dashboard"))


def _plausible_username(username: str) -> bool:
    """A username that could exist: at most 64 characters, none of them a control character
    (NUL cannot even be sent to PostgreSQL). Anything else is a 400 before any lookup."""
    return 0 < len(username) <= MAX_USERNAME_LENGTH and not any(
        unicodedata.category(ch) == "Cc" for ch in username
    )


def _login_page(status: int, error: str, username: str = "") -> ResponseReturnValue:
    next_url = safe_target(request.form.get("next"), "")
    html = page("login.html", error=error, username=username, next_url=next_url)
    return html, status


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    if request.method == "GET":
        if principal() is not None:
            return redirect(_safe_next(request.args.get("next")))
        error = tr("login.expired") if request.args.get("expired") else None
        next_url = safe_target(request.args.get("next"), "")
        return page("login.html", error=error, next_url=next_url)
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    if not _plausible_username(username):
        return _login_page(400, tr("login.bad_username"))
    # The API's throttle and keys: one budget per username + address, whichever door is used.
    address = request.remote_addr or "unknown"
    try:
        current_throttle().attempt(username, address, login_policy())
    except ServiceError as exc:
        response = make_response(_login_page(429, tr("login.rate_limited"), username))
        response.headers.update(exc.headers)
        return response
    try:
        user = auth.check_credentials(current_db(), username, password)
    except auth.LoginRefused as exc:
        if exc.key == "login.failed":
            current_throttle().failed(username, address, login_policy())
            return _login_page(401, tr(exc.key), username)
        current_throttle().succeeded(username, address, login_policy())  # right password
        return _login_page(403, tr(exc.key), username)
    current_throttle().succeeded(username, address, login_policy())
    auth.start_session(user, now())
    return redirect(_safe_next(request.form.get("next")))


@bp.route("/logout", methods=["POST"])
def logout() -> ResponseReturnValue:
    auth.end_session()
    flash(tr("login.logged_out"), "info")
    return redirect(url_for("console.login"))
