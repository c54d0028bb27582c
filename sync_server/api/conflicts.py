"""`GET /api/v1/conflicts`, `POST /api/v1/conflicts/<id>/resolve`."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from shared_schema.schemas.protocol import (
    ConflictListSchema,
    ConflictQuerySchema,
    ConflictSchema,
    ErrorSchema,
    JsonInteger,
    ResolveRequestSchema,
)
from sync_server.api.context import lang, now, principal
from sync_server.extensions import current_db
from sync_server.services import conflicts as conflict_service

blp = Blueprint(
    "conflicts", __name__, url_prefix="/api/v1/conflicts", description="Conflicts and resolving."
)


class ResolveResponseSchema(ConflictSchema):
    """The resolved conflict and the record's new version."""

    version = JsonInteger(required=True, metadata={"description": "The record's new version."})


@blp.route("")
class ConflictList(MethodView):
    @blp.arguments(ConflictQuerySchema, location="query")
    @blp.response(200, ConflictListSchema)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """Conflicts of records in the caller's scope (default: open ones)."""
        return {
            "conflicts": conflict_service.list_conflicts(
                current_db(), principal(), status=query["status"]
            )
        }


@blp.route("/<string:conflict_id>/resolve")
class Resolve(MethodView):
    @blp.arguments(ResolveRequestSchema)
    @blp.response(200, ResolveResponseSchema)
    @blp.alt_response(403, schema=ErrorSchema, description="Not a supervisor of this record.")
    @blp.alt_response(404, schema=ErrorSchema, description="Unknown conflict.")
    @blp.alt_response(409, schema=ErrorSchema, description="Already resolved.")
    def post(self, body: dict[str, Any], conflict_id: str) -> dict[str, Any]:
        """Write the chosen value as a new version every device pulls."""
        return conflict_service.resolve(
            current_db(), principal(), conflict_id, body["value"], lang=lang(), now=now()
        )
