"""`POST /api/v1/sync/push`, `GET /api/v1/sync/pull`, `POST /api/v1/sync/report`."""

from __future__ import annotations

import re
from typing import Any

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint

from shared_schema import SCHEMA_VERSION
from shared_schema.schemas import protocol
from shared_schema.schemas.protocol import (
    ENTITIES,
    HLC_MAX_LENGTH,
    OPS,
    ErrorSchema,
    PullQuerySchema,
    PullResponseSchema,
    PushGapErrorSchema,
    PushResponseSchema,
    SyncReportSchema,
)
from shared_schema.sync import flatten
from sync_server.api.context import lang, now, principal, today
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


_LOWER_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_MUTATION_KEYS = frozenset({"mutation_id", "entity", "id", "op", "base_version", "data", "hlc"})
_REQUIRED = frozenset({"mutation_id", "entity", "id", "op"})


def _json_int(value: Any, minimum: int) -> bool:
    return type(value) is int and value >= minimum


def fast_push_body(body: Any) -> dict[str, Any] | None:
    """`PushRequestSchema().load(body)` for a well-formed body, without marshmallow's per-field
    machinery (the envelope was a tenth of a push); None for anything else, which the schema
    then loads with its own errors. Only the plainest form is taken: lower-case ids (the
    schema lower-cases others), exact types, no unknown keys. Equality with the schema's
    result is a Hypothesis property (tests/sync_server/test_push_body.py)."""
    if type(body) is not dict or body.keys() != {"client_id", "schema_version", "mutations"}:
        return None
    client_id, mutations = body["client_id"], body["mutations"]
    if type(client_id) is not str or not _LOWER_UUID.fullmatch(client_id):
        return None
    if type(body["schema_version"]) is not int or body["schema_version"] != SCHEMA_VERSION:
        return None
    if type(mutations) is not list:
        return None
    loaded = []
    for m in mutations:
        if type(m) is not dict or not _REQUIRED <= m.keys() <= _MUTATION_KEYS:
            return None
        base, hlc, op = m.get("base_version"), m.get("hlc"), m["op"]
        data = m.get("data", {} if op == "delete" else None)
        if not (
            _json_int(m["mutation_id"], 1)
            and m["entity"] in ENTITIES
            and type(m["entity"]) is str
            and type(m["id"]) is str
            and _LOWER_UUID.fullmatch(m["id"])
            and op in OPS
            and type(op) is str
            and (base is None or _json_int(base, 0))
            and (hlc is None or (type(hlc) is str and 1 <= len(hlc) <= HLC_MAX_LENGTH))
            and type(data) is dict
            and all(type(key) is str for key in data)
            and (op == "upsert" or not data)
        ):
            return None
        try:
            flatten(data)
        except (TypeError, ValueError):
            return None
        loaded.append(m | {"base_version": base, "hlc": hlc, "data": dict(data)})
    return {"client_id": client_id, "schema_version": SCHEMA_VERSION, "mutations": loaded}


class PushRequestSchema(protocol.PushRequestSchema):
    """The push body: `fast_push_body` first, the shared schema for anything it does not take
    (same class name, so the OpenAPI document is unchanged)."""

    def load(self, data: Any, *, many: Any = None, partial: Any = None, unknown: Any = None) -> Any:
        if many is None and partial is None and unknown is None:
            fast = fast_push_body(data)
            if fast is not None:
                return fast
        return super().load(data, many=many, partial=partial, unknown=unknown)


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
            today=today(),
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
