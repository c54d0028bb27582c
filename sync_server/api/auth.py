"""`POST /api/v1/auth/token` (sign in) and `DELETE /api/v1/auth/token` (revoke)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema

from shared_schema.schemas.protocol import (
    ErrorSchema,
    TokenRequestSchema,
    TokenResponseSchema,
    UuidString,
)
from sync_server.api.context import now, principal
from sync_server.extensions import current_db
from sync_server.services import identity

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Sign in and out.")


class RevokeQuerySchema(Schema):
    """`DELETE /api/v1/auth/token` query: an admin may name another client."""

    client_id = UuidString(
        load_default=None,
        metadata={"description": "Revoke every token of this client (owner or admin)."},
    )


def limiter() -> identity.LoginLimiter:
    """The login limiter of this app (Redis when configured, else the database)."""
    cached = current_app.extensions.get("tianye_limiter")
    if cached is None:
        window = timedelta(seconds=current_app.config["LOGIN_WINDOW_SECONDS"])
        url = current_app.config.get("REDIS_URL")
        if url:
            cached = identity.RedisLimiter(url, window)
        else:
            cached = identity.DatabaseLimiter(current_db(), window)
        current_app.extensions["tianye_limiter"] = cached
    limiter_: identity.LoginLimiter = cached
    return limiter_


@blp.route("/token")
class Token(MethodView):
    @blp.doc(security=[])
    @blp.arguments(TokenRequestSchema)
    @blp.response(200, TokenResponseSchema)
    @blp.alt_response(401, schema=ErrorSchema, description="Wrong username or password.")
    @blp.alt_response(429, schema=ErrorSchema, description="Too many failed sign-ins.")
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Exchange a password for a token bound to this user and client."""
        grant = identity.issue_token(
            current_db(),
            limiter(),
            username=body["username"],
            password=body["password"],
            client_id=body["client_id"],
            device_name=body["device_name"],
            ip=request.remote_addr or "unknown",
            now=now(),
            max_failures=current_app.config["LOGIN_MAX_FAILURES"],
            max_failures_per_ip=current_app.config["LOGIN_MAX_FAILURES_PER_IP"],
            window_minutes=max(1, current_app.config["LOGIN_WINDOW_SECONDS"] // 60),
        )
        return {"token": grant.token, "user": grant.user, "grids": grant.grids}

    @blp.arguments(RevokeQuerySchema, location="query")
    @blp.response(204)
    @blp.alt_response(403, schema=ErrorSchema, description="Not your client (and not admin).")
    def delete(self, query: dict[str, Any]) -> None:
        """Revoke the caller's token, or (owner/admin) every token of `client_id`."""
        if query.get("client_id"):
            identity.revoke_client(current_db(), principal(), query["client_id"], now())
        else:
            identity.revoke_token(current_db(), principal(), now())
