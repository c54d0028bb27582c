"""`GET /healthz`, `GET /api/v1/config`, `GET /api/v1/me`."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from shared_schema.enums import ENUMS
from shared_schema.forms import forms_to_dict
from shared_schema.schemas.protocol import HealthSchema, MeResponseSchema
from sync_server.api.context import principal
from sync_server.extensions import current_db
from sync_server.services import identity
from sync_server.services.admin import rules_config

blp = Blueprint("meta", __name__, description="Health, the caller, and the rules config.")


class ConfigResponseSchema(Schema):
    """`GET /api/v1/config`: what the phone caches to work offline."""

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
    @blp.response(200, ConfigResponseSchema)
    def get(self) -> dict[str, Any]:
        """Rules config (the admin's stored one, else the national default), forms, enums."""
        rules = rules_config(current_db())
        enums = {
            name: [{"code": o.code, "zh": o.zh, "en": o.en} for o in e.options]
            for name, e in ENUMS.items()
        }
        return {"rules": rules, "forms": forms_to_dict(), "enums": enums}
