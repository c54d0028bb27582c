"""The `/api/v1` blueprints (flask-smorest: the protocol schemas validate and document them)."""

from __future__ import annotations

from flask import Flask, g, request
from flask_smorest import Api

from sync_server.api import admin, attachments, auth, conflicts, meta, records, sync, visits
from sync_server.api.context import now
from sync_server.errors import ServiceError
from sync_server.extensions import current_db
from sync_server.services.identity import authenticate

PUBLIC = {("POST", "/api/v1/auth/token")}
BLUEPRINTS = (
    meta.blp,
    auth.blp,
    sync.blp,
    conflicts.blp,
    visits.blp,
    records.blp,
    admin.blp,
    attachments.blp,
)


def register(app: Flask, api: Api) -> None:
    """Register every blueprint and the bearer-token check for `/api/v1`."""
    for blp in BLUEPRINTS:
        api.register_blueprint(blp)

    @app.before_request
    def _authenticate() -> None:
        if not request.path.startswith("/api/v1/") or request.routing_exception is not None:
            return
        if (request.method, request.path) in PUBLIC or request.method == "OPTIONS":
            return
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ServiceError(401, "unauthorized")
        principal = authenticate(current_db(), token.strip(), now())
        if principal is None:
            raise ServiceError(401, "unauthorized")
        g.principal = principal
