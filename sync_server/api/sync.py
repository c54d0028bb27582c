"""`POST /api/v1/sync/push`, `GET /api/v1/sync/pull`, `POST /api/v1/sync/report`."""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint

from shared_schema.schemas.protocol import (
    ErrorSchema,
    PullQuerySchema,
    PullResponseSchema,
    PushGapErrorSchema,
    PushRequestSchema,
    PushResponseSchema,
    SyncReportSchema,
)
from sync_server.api.context import lang, now, principal
from sync_server.errors import ServiceError
from sync_server.extensions import current_db
from sync_server.services import identity
from sync_server.services import sync as sync_service

blp = Blueprint(
    "sync",
    __name__,
    url_prefix="/api/v1/sync",
    description="Push local mutations (exactly once, merged per field) and pull changes.",
)


@blp.before_request
def _limit_push() -> None:
    """413 for more than MAX_MUTATIONS, before any field is validated."""
    if request.method != "POST" or not request.path.endswith("/push"):
        return
    limit = current_app.config["MAX_PUSH_BYTES"]
    if (request.content_length or 0) > limit:
        raise ServiceError(413, "too_many_bytes", limit=limit)
    body = request.get_json(silent=True)
    if isinstance(body, dict) and isinstance(body.get("mutations"), list):
        count = current_app.config["MAX_MUTATIONS"]
        if len(body["mutations"]) > count:
            raise ServiceError(413, "too_many_mutations", limit=count)


@blp.route("/push")
class Push(MethodView):
    @blp.arguments(PushRequestSchema)
    @blp.response(200, PushResponseSchema)
    @blp.alt_response(
        403, schema=ErrorSchema, description="Out-of-scope batch: nothing was written."
    )
    @blp.alt_response(
        409,
        schema=PushGapErrorSchema,
        description="Mutation ids skip ahead; mutations before the gap were applied.",
    )
    @blp.alt_response(413, schema=ErrorSchema, description="Over 500 mutations or 2 MiB.")
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Apply mutations in order, each exactly once (a repeated id repeats its result)."""
        outcome = sync_service.push(
            current_db(),
            principal(),
            body["client_id"],
            body["mutations"],
            lang=lang(),
            now=now(),
        )
        if outcome.gap:
            raise ServiceError(
                409,
                "gap",
                extra={"last_mutation_id": outcome.last_mutation_id, "results": outcome.results},
            )
        return {"results": outcome.results, "last_mutation_id": outcome.last_mutation_id}


@blp.route("/pull")
class Pull(MethodView):
    @blp.arguments(PullQuerySchema, location="query")
    @blp.response(200, PullResponseSchema)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """Changes after `cursor` in the caller's scope, in version order."""
        return sync_service.pull(
            current_db(), principal(), cursor=query["cursor"], limit=query["limit"], now=now()
        )


@blp.route("/report")
class Report(MethodView):
    @blp.arguments(SyncReportSchema)
    @blp.response(204)
    def post(self, body: dict[str, Any]) -> None:
        """The phone's pending count and clock, for the console's device page."""
        identity.report(current_db(), principal(), body, now())
