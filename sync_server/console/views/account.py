"""The signed-in user's own password (supervisors and admins; workers change theirs with
`POST /api/v1/auth/password`). The same service as the API: the old password must match,
wrong ones count against the user's sign-in limit, every token and console session of the user
ends — this one is replaced by a fresh session (a new session id after a credential change)."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask.typing import ResponseReturnValue

from shared_schema.schemas.protocol import PasswordChangeSchema, validate_payload
from sync_server.console import auth
from sync_server.console.blueprint import bp, now, page, principal, tr
from sync_server.errors import ServiceError
from sync_server.extensions import current_db, current_throttle, login_policy
from sync_server.services import admin as admin_service


@bp.route("/account/password", methods=["GET", "POST"])
def account_password() -> ResponseReturnValue:
    if request.method == "GET":
        return page("account_password.html")
    who = principal()
    form = request.form
    body = {
        "old_password": form.get("old_password", ""),
        "new_password": form.get("new_password", ""),
    }
    if body["new_password"] != form.get("new_password2", ""):
        flash(tr("usr.password_mismatch"), "error")
        return page("account_password.html"), 422
    # the sign-in limits: one attempt of this username from this address, whichever door
    throttle, policy = current_throttle(), login_policy()
    address = request.remote_addr or "unknown"
    try:
        throttle.attempt(who.username, address, policy)
    except ServiceError:
        flash(tr("login.rate_limited"), "error")
        return page("account_password.html"), 429
    errors = validate_payload(PasswordChangeSchema, body)
    try:
        if errors:
            raise ServiceError(422, "validation", errors)
        admin_service.change_own_password(
            current_db(),
            who.user_id,
            body["old_password"],
            body["new_password"],
            keep_token_id=None,
            now=now(),
        )
    except ServiceError as exc:
        if exc.key == "wrong_password":
            throttle.failed(who.username, address, policy)
            flash(tr("acct.wrong_old"), "error")
        else:
            flash(tr("acct.bad_new"), "error")
        return page("account_password.html"), 422
    throttle.succeeded(who.username, address, policy)
    auth.start_session(who, now())  # the old session was revoked with the others
    flash(tr("acct.changed"), "ok")
    return redirect(url_for("console.dashboard"))
