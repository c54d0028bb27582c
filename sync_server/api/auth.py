"""`POST /api/v1/auth/token` (sign in), `DELETE /api/v1/auth/token` (revoke) and
`POST /api/v1/auth/password` (change one's own password)."""

from __future__ import annotations

from typing import Any

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema

from shared_schema.schemas.protocol import (
    ErrorSchema,
    PasswordChangeSchema,
    TokenRequestSchema,
    TokenResponseSchema,
    UuidString,
)
from sync_server.api.context import now, principal
from sync_server.errors import ServiceError
from sync_server.extensions import current_db, current_throttle, login_policy
from sync_server.services import admin as admin_service
from sync_server.services import identity

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Sign in and out.")


class RevokeQuerySchema(Schema):
    """`DELETE /api/v1/auth/token` query: an admin may name another client."""

    client_id = UuidString(
        load_default=None,
        metadata={"description": "Revoke every token of this client (owner or admin)."},
    )


@blp.route("/token")
class Token(MethodView):
    @blp.doc(security=[])
    @blp.arguments(TokenRequestSchema)
    @blp.response(200, TokenResponseSchema)
    @blp.alt_response(401, schema=ErrorSchema, description="Wrong username or password.")
    @blp.alt_response(409, schema=ErrorSchema, description="The client_id is another user's.")
    @blp.alt_response(429, schema=ErrorSchema, description="Too many failed sign-ins.")
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Exchange a password for a token bound to this user and client."""
        grant = identity.issue_token(
            current_db(),
            current_throttle(),
            username=body["username"],
            password=body["password"],
            client_id=body["client_id"],
            device_name=body["device_name"],
            ip=request.remote_addr or "unknown",
            now=now(),
            policy=login_policy(),
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


@blp.route("/password")
class Password(MethodView):
    @blp.arguments(PasswordChangeSchema)
    @blp.response(204)
    @blp.alt_response(422, schema=ErrorSchema, description="Wrong old password, or a bad new one.")
    @blp.alt_response(429, schema=ErrorSchema, description="Too many wrong old passwords.")
    def post(self, body: dict[str, Any]) -> None:
        """Change the caller's own password; their other tokens and console sessions end.

        The old password is checked under the sign-in limits (one attempt of this username
        from this address), so a stolen token cannot be used to guess the password."""
        who = principal()
        throttle, policy = current_throttle(), login_policy()
        address = request.remote_addr or "unknown"
        throttle.attempt(who.username, address, policy)
        try:
            admin_service.change_own_password(
                current_db(),
                who.user_id,
                body["old_password"],
                body["new_password"],
                keep_token_id=who.token_id,
                now=now(),
            )
        except ServiceError as exc:
            if exc.key == "wrong_password":
                throttle.failed(who.username, address, policy)
            raise
        throttle.succeeded(who.username, address, policy)
