"""`GET /api/v1/records/<entity>/<id>/history`."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from shared_schema.schemas.protocol import ErrorSchema, HistoryResponseSchema
from sync_server.api.context import principal
from sync_server.extensions import current_db
from sync_server.services.history import record_history

blp = Blueprint("records", __name__, url_prefix="/api/v1/records", description="Record history.")


@blp.route("/<string:entity>/<string:record_id>/history")
class History(MethodView):
    @blp.response(200, HistoryResponseSchema)
    @blp.alt_response(403, schema=ErrorSchema, description="Outside the caller's scope.")
    @blp.alt_response(404, schema=ErrorSchema, description="Unknown entity or record.")
    def get(self, entity: str, record_id: str) -> dict[str, Any]:
        """Every version of the record, oldest first."""
        return {"versions": record_history(current_db(), principal(), entity, record_id)}
