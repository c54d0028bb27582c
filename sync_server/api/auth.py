"""`POST /api/v1/auth/token` (sign in) and `DELETE /api/v1/auth/token` (revoke)."""

from __future__ import annotations

from typing import Any

from flask import request
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
from sync_server.extensions import current_db, current_throttle, login_policy
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
