"""`POST /api/v1/visits/<id>/review`."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from shared_schema.schemas.protocol import ErrorSchema, ReviewRequestSchema, ReviewResponseSchema
from sync_server.api.context import lang, now, principal
from sync_server.extensions import current_db
from sync_server.services.review import review_visit

blp = Blueprint("visits", __name__, url_prefix="/api/v1/visits", description="Visit review.")


@blp.route("/<string:visit_id>/review")
class Review(MethodView):
    @blp.arguments(ReviewRequestSchema)
    @blp.response(200, ReviewResponseSchema)
    @blp.alt_response(403, schema=ErrorSchema, description="Not a supervisor of this visit.")
    @blp.alt_response(404, schema=ErrorSchema, description="Unknown visit.")
    @blp.alt_response(409, schema=ErrorSchema, description="`reopen` of a visit not closed.")
    def post(self, body: dict[str, Any], visit_id: str) -> dict[str, Any]:
        """Approve, return or reject a visit (a new version with status and comment); `reopen`
        sets an approved or rejected visit back to submitted."""
        return review_visit(
            current_db(),
            principal(),
            visit_id,
            body["action"],
            body["comment"],
            now=now(),
            lang=lang(),
        )
