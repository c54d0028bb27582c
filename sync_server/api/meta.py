"""`GET /healthz`, `GET /api/v1/config`, `GET /api/v1/me`."""

from __future__ import annotations

from typing import Any

from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from shared_schema.schemas.protocol import HealthSchema, MeResponseSchema
from sync_server.api.context import principal
from sync_server.extensions import current_db
from sync_server.services import config as config_service
from sync_server.services import identity

blp = Blueprint("meta", __name__, description="Health, the caller, and the rules config.")


class ConfigResponseSchema(Schema):
    """`GET /api/v1/config`: the published configuration in force (the phone caches it)."""

    version = fields.Integer(
        required=True,
        metadata={"description": "Configuration version: increases with every publication."},
    )
    rules = fields.Dict(required=True, metadata={"description": "Rules config (thresholds)."})
    forms = fields.Dict(required=True, metadata={"description": "Form definitions by id."})
    enums = fields.Dict(
        required=True, metadata={"description": "Enumerations: name → [{code, zh, en}]."}
    )


@blp.route("/healthz")
class Health(MethodView):
    @blp.doc(security=[])
    @blp.response(200, HealthSchema)
    def get(self) -> dict[str, str]:
        """Liveness (no auth)."""
        return {"status": "ok"}


@blp.route("/api/v1/me")
class Me(MethodView):
    @blp.response(200, MeResponseSchema)
    def get(self) -> dict[str, Any]:
        """The caller, their grids and their client's last mutation id."""
        return identity.me(current_db(), principal())


@blp.route("/api/v1/config")
class Config(MethodView):
    @blp.response(200, ConfigResponseSchema, headers={"ETag": {"schema": {"type": "string"}}})
    @blp.alt_response(304, description="`If-None-Match` names the version in force.")
    def get(self) -> Any:
        """The configuration in force: rules (thresholds), forms, enumerations, with an ETag;
        `If-None-Match` with it is a 304 (docs/rules-and-forms.md "Published configurations")."""
        with current_db().read() as s:
            _version, etag = config_service.in_force_etag(s)
            if request.if_none_match.contains_weak(etag):
                response = Response(status=304)
                response.set_etag(etag)
                response.headers["Cache-Control"] = "no-cache"
                return response
            published = config_service.in_force(s)
        headers = {"ETag": f'"{published.etag}"', "Cache-Control": "no-cache"}
        return published.document(), 200, headers
