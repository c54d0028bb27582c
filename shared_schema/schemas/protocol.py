"""Marshmallow schemas for every payload of the sync protocol (PROTOCOL.md, v1).

The server loads requests and dumps responses with these (flask-smorest builds the OpenAPI
document from them, hence the distinct class names and `metadata` descriptions); the phone
validates what it sends and what it receives with the same classes, without Flask.

Decisions where PROTOCOL.md is silent:
- Requests reject unknown fields (`RAISE`); responses ignore them (`EXCLUDE`) so an older
  phone keeps working against a newer server that adds a field.
- Integers in JSON bodies are strict: `"18"`, `18.0` and `true` are not integers. Query
  strings (pull, conflicts) are text by nature and parse leniently.
- UUIDs travel as canonical lowercase hyphenated text and load as `str` (uppercase input is
  normalised), so loaded payloads stay JSON.
- `mutation.data` is free-form here; the record schema validates it separately. It is required
  for `upsert` and must be absent or empty for `delete` (a delete carries no data).
- The 500-mutation / 2 MiB push limits are the server's `413`, not a schema error here; the
  constants are exported for both sides.
- A supervisor account needs a `township` (their scope); a `return` or `reject` review needs a
  non-blank comment.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from marshmallow import (
    EXCLUDE,
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

from shared_schema import SCHEMA_VERSION
from shared_schema.schemas.fieldtypes import NoBidiControls, PlainText
from shared_schema.sync.paths import flatten

MAX_MUTATIONS: Final = 500
MAX_PUSH_BYTES: Final = 2 * 1024 * 1024
PULL_DEFAULT_LIMIT: Final = 500
PULL_MAX_LIMIT: Final = 1000
HLC_MAX_LENGTH: Final = 64

ENTITIES: Final = ("household", "member", "visit")
OPS: Final = ("upsert", "delete")
RESULT_STATUSES: Final = ("applied", "merged", "conflict", "rejected")
ROLES: Final = ("worker", "supervisor", "admin")
REVIEW_ACTIONS: Final = ("approve", "return", "reject", "reopen")
REVIEW_STATUSES: Final = ("submitted", "approved", "returned", "rejected")
CONFLICT_STATUSES: Final = ("open", "resolved")
CONFLICT_FILTERS: Final = ("open", "resolved", "all")
USERNAME_PATTERN: Final = r"^[a-zA-Z0-9_.-]{3,64}$"

_UUID_RE: Final = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)


def _plain_line(label: str) -> list[validate.Validator]:
    """The record fields' text checks for a one-line admin value (names, townships, devices):
    no control characters, no bidirectional overrides (a name that displays as another)."""
    checks: list[validate.Validator] = [PlainText(), NoBidiControls()]
    for check in checks:
        check.localize("en", label)  # type: ignore[attr-defined]
    return checks


class UuidString(fields.String):
    """A UUID in canonical hyphenated text; loads and dumps as lowercase `str`."""

    default_error_messages = {"invalid_uuid": "Not a valid UUID."}  # noqa: RUF012

    def __init__(self, **kwargs: Any) -> None:
        metadata = {"format": "uuid", **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if not _UUID_RE.fullmatch(text):
            raise self.make_error("invalid_uuid")
        return text.lower()

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else str(value).lower()


class JsonInteger(fields.Integer):
    """A JSON integer: rejects booleans, numeric strings and floats."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strict=True, **kwargs)

    def _validated(self, value: Any) -> int:
        if isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return super()._validated(value)


class JsonObject(fields.Dict):
    """A JSON object with text keys: `fields.Dict(keys=fields.String())`, minus a field call
    per key when every key already is a `str` (always, in parsed JSON): a push loads 500
    records' worth of keys, a pull dumps 1,000. Any other key takes `Dict`'s own path."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(keys=fields.String(), **kwargs)

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> dict[str, Any]:
        if type(value) is dict and all(type(key) is str for key in value):
            return dict(value)
        loaded: dict[str, Any] = super()._deserialize(value, attr, data, **kwargs)
        return loaded

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        if type(value) is dict and all(type(key) is str for key in value):
            return dict(value)
        return super()._serialize(value, attr, obj, **kwargs)


def _describe(text: str, **extra: Any) -> dict[str, Any]:
    return {"description": text, **extra}


class _RequestSchema(Schema):
    """Base of request payloads: unknown fields are an error."""

    class Meta:
        unknown = RAISE


class _ResponseSchema(Schema):
    """Base of response payloads: unknown fields are ignored (forward compatible)."""

    class Meta:
        unknown = EXCLUDE


# --- identity ---------------------------------------------------------------------------


class TokenRequestSchema(_RequestSchema):
    """`POST /api/v1/auth/token` body."""

    username = fields.String(
        required=True, validate=validate.Length(1, 64), metadata=_describe("Login name.")
    )
    password = fields.String(
        required=True,
        load_only=True,
        validate=validate.Length(1, 1024),
        metadata=_describe("Password (never echoed)."),
    )
    client_id = UuidString(
        required=True, metadata=_describe("UUID made once per app install; the token binds to it.")
    )
    device_name = fields.String(
        required=True,
        validate=[validate.Length(1, 100), *_plain_line("Device name")],
        metadata=_describe("Human-readable device name shown on the console's device page."),
    )


class UserSchema(_ResponseSchema):
    """The caller as the token response and `/me` describe them."""

    id = fields.String(required=True, metadata=_describe("User id (opaque)."))
    username = fields.String(required=True, metadata=_describe("Login name."))
    role = fields.String(
        required=True,
        validate=validate.OneOf(ROLES),
        metadata=_describe("worker, supervisor or admin."),
    )
    display_name = fields.String(required=True, metadata=_describe("Name shown in the UI."))


class GridSchema(_RequestSchema):
    """A grid (网格): `POST /api/v1/admin/grids` body and the grid objects of responses."""

    id = fields.String(
        required=True,
        validate=validate.Length(1, 64),
        metadata=_describe("Grid id (the households' `grid_id`)."),
    )
    name = fields.String(
        required=True,
        validate=[validate.Length(1, 100), *_plain_line("Grid name")],
        metadata=_describe("Grid name."),
    )
    village = fields.String(
        required=True,
        validate=[validate.Length(1, 100), *_plain_line("Village")],
        metadata=_describe("Village (村)."),
    )
    township = fields.String(
        required=True,
        validate=[validate.Length(1, 100), *_plain_line("Township")],
        metadata=_describe("Township (乡镇); a supervisor's scope."),
    )


class TokenResponseSchema(_ResponseSchema):
    """`POST /api/v1/auth/token` 200 response."""

    token = fields.String(required=True, metadata=_describe("Bearer token for later calls."))
    user = fields.Nested(UserSchema, required=True, metadata=_describe("The authenticated user."))
    grids = fields.List(
        fields.Nested(GridSchema(unknown=EXCLUDE)),
        required=True,
        metadata=_describe("Grids in the user's scope."),
    )


# --- push -------------------------------------------------------------------------------


class MutationSchema(_RequestSchema):
    """One edit in a push: a per-client numbered upsert or delete of one record."""

    mutation_id = JsonInteger(
        required=True,
        validate=validate.Range(min=1),
        metadata=_describe("Strictly increasing per client, starting at 1."),
    )
    entity = fields.String(
        required=True,
        validate=validate.OneOf(ENTITIES),
        metadata=_describe("household, member or visit."),
    )
    id = UuidString(required=True, metadata=_describe("The record's id (UUID, v7 recommended)."))
    op = fields.String(
        required=True, validate=validate.OneOf(OPS), metadata=_describe("upsert or delete.")
    )
    base_version = JsonInteger(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=0),
        metadata=_describe("Record version the edit was made on; null for a create."),
    )
    data = JsonObject(
        metadata=_describe(
            "Fields changed since base_version (all fields on create), nested objects partial. "
            "Required for upsert; absent or empty for delete."
        ),
    )
    hlc = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(1, HLC_MAX_LENGTH),
        metadata=_describe("Device hybrid logical clock stamp, kept for audit only."),
    )

    @validates_schema
    def _check_data_for_op(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("op") == "upsert" and "data" not in data:
            raise ValidationError("An upsert needs data.", field_name="data")
        if data.get("op") == "delete" and data.get("data"):
            raise ValidationError("A delete carries no data.", field_name="data")
        try:
            flatten(data.get("data"))
        except (TypeError, ValueError) as exc:  # keys the merge cannot address
            raise ValidationError(str(exc), field_name="data") from None

    @post_load
    def _default_delete_data(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        data.setdefault("data", {})
        return data


class PushRequestSchema(_RequestSchema):
    """`POST /api/v1/sync/push` body."""

    client_id = UuidString(required=True, metadata=_describe("The pushing app install."))
    schema_version = JsonInteger(
        required=True,
        validate=validate.Equal(
            SCHEMA_VERSION,
            error="Unsupported schema_version {input}; this server speaks {other}. Update the app.",
        ),
        metadata=_describe(f"Record schema version; this protocol is {SCHEMA_VERSION}."),
    )
    mutations = fields.List(
        fields.Nested(MutationSchema),
        required=True,
        metadata=_describe(
            f"Mutations in id order; at most {MAX_MUTATIONS} and {MAX_PUSH_BYTES} bytes (else 413)."
        ),
    )


class MutationResultSchema(_ResponseSchema):
    """The outcome of one mutation."""

    mutation_id = JsonInteger(
        required=True, validate=validate.Range(min=1), metadata=_describe("The mutation.")
    )
    status = fields.String(
        required=True,
        validate=validate.OneOf(RESULT_STATUSES),
        metadata=_describe("applied, merged, conflict or rejected."),
    )
    version = JsonInteger(
        allow_none=True,
        validate=validate.Range(min=0),
        metadata=_describe("The record's version after the mutation (null if it does not exist)."),
    )
    conflicts = fields.List(
        fields.String(),
        load_default=list,
        metadata=_describe("Ids of conflicts this mutation opened."),
    )
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        load_default=dict,
        metadata=_describe("Field errors by dotted path (for rejected)."),
    )


class PushResponseSchema(_ResponseSchema):
    """`POST /api/v1/sync/push` 200 response."""

    results = fields.List(
        fields.Nested(MutationResultSchema), required=True, metadata=_describe("One per mutation.")
    )
    last_mutation_id = JsonInteger(
        required=True,
        validate=validate.Range(min=0),
        metadata=_describe("Last id the server processed."),
    )


# --- pull -------------------------------------------------------------------------------


class PullQuerySchema(_RequestSchema):
    """`GET /api/v1/sync/pull` query string."""

    cursor = fields.Integer(
        load_default=0,
        validate=validate.Range(min=0),
        metadata=_describe("Last cursor received; 0 to start."),
    )
    limit = fields.Integer(
        load_default=PULL_DEFAULT_LIMIT,
        validate=validate.Range(1, PULL_MAX_LIMIT),
        metadata=_describe(f"Page size, 1..{PULL_MAX_LIMIT}."),
    )


class ChangeSchema(_ResponseSchema):
    """One record's latest state in a pull page, or its removal from the caller's scope."""

    entity = fields.String(
        required=True, validate=validate.OneOf(ENTITIES), metadata=_describe("Entity.")
    )
    id = UuidString(required=True, metadata=_describe("Record id."))
    version = JsonInteger(
        validate=validate.Range(min=1), metadata=_describe("The record's version.")
    )
    deleted = fields.Boolean(metadata=_describe("A tombstone."))
    data = JsonObject(metadata=_describe("The whole current record."))
    open_conflicts = fields.List(
        fields.String(), metadata=_describe("Fields of this record with an open conflict.")
    )
    removed = fields.Boolean(
        metadata=_describe("True: the record left the caller's scope; drop it (not a delete).")
    )

    @validates_schema
    def _check_shape(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("removed"):
            extra = sorted(set(data) - {"entity", "id", "removed"})
            if extra:
                raise ValidationError(
                    f"A removal carries only entity and id, not {', '.join(extra)}."
                )
            return
        errors = {
            name: ["Missing data for required field."]
            for name in ("version", "deleted", "data")
            if name not in data
        }
        if errors:
            raise ValidationError(errors)

    @post_load
    def _default_open_conflicts(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        if not data.get("removed"):
            data.setdefault("open_conflicts", [])
        return data


class PullResponseSchema(_ResponseSchema):
    """`GET /api/v1/sync/pull` 200 response."""

    changes = fields.List(
        fields.Nested(ChangeSchema), required=True, metadata=_describe("In version order.")
    )
    cursor = JsonInteger(
        required=True,
        validate=validate.Range(min=0),
        metadata=_describe("Pass back as `cursor` next time."),
    )
    has_more = fields.Boolean(required=True, metadata=_describe("Another page is waiting."))
    last_mutation_id = JsonInteger(
        required=True,
        validate=validate.Range(min=0),
        metadata=_describe("Last mutation id the server holds."),
    )
    config_version = JsonInteger(
        validate=validate.Range(min=1),
        metadata=_describe(
            "The configuration version in force (always sent by this server); a device "
            "holding an older one fetches `GET /api/v1/config`."
        ),
    )


# --- conflicts and review ---------------------------------------------------------------


class ConflictSchema(_ResponseSchema):
    """A stored conflict: one field changed on both sides (or a delete against an edit)."""

    id = fields.String(required=True, metadata=_describe("Conflict id."))
    entity = fields.String(
        required=True, validate=validate.OneOf(ENTITIES), metadata=_describe("Entity.")
    )
    record_id = UuidString(required=True, metadata=_describe("The record."))
    field = fields.String(
        required=True,
        metadata=_describe("Dotted leaf path, or `_deleted` for a record-level conflict."),
    )
    base_value = fields.Raw(
        allow_none=True, required=True, metadata=_describe("Value at the client's base.")
    )
    server_value = fields.Raw(
        allow_none=True, required=True, metadata=_describe("Value the server kept.")
    )
    client_value = fields.Raw(
        allow_none=True, required=True, metadata=_describe("Value the client sent.")
    )
    client_data = fields.Dict(
        allow_none=True,
        metadata=_describe("For an edit of a deleted record: the client's changes."),
    )
    author = fields.String(
        allow_none=True, required=True, metadata=_describe("Username of the client's user.")
    )
    client_id = UuidString(
        allow_none=True, required=True, metadata=_describe("The client that sent it.")
    )
    mutation_id = JsonInteger(allow_none=True, required=True, metadata=_describe("The mutation."))
    created_at = fields.DateTime(
        required=True, metadata=_describe("When it was detected (ISO 8601).")
    )
    status = fields.String(
        required=True,
        validate=validate.OneOf(CONFLICT_STATUSES),
        metadata=_describe("open or resolved."),
    )
    resolved_by = fields.String(allow_none=True, metadata=_describe("Who resolved it."))
    resolved_at = fields.DateTime(allow_none=True, metadata=_describe("When it was resolved."))
    resolved_value = fields.Raw(allow_none=True, metadata=_describe("The chosen value."))


class ConflictListSchema(_ResponseSchema):
    """`GET /api/v1/conflicts` 200 response."""

    conflicts = fields.List(
        fields.Nested(ConflictSchema), required=True, metadata=_describe("Conflicts.")
    )


class ConflictQuerySchema(_RequestSchema):
    """`GET /api/v1/conflicts` query string."""

    status = fields.String(
        load_default="open",
        validate=validate.OneOf(CONFLICT_FILTERS),
        metadata=_describe("open, resolved or all."),
    )


class ResolveRequestSchema(_RequestSchema):
    """`POST /api/v1/conflicts/<id>/resolve` body."""

    value = fields.Raw(
        required=True,
        allow_none=True,
        metadata=_describe(
            "The chosen value (any JSON, null included); for `_deleted`, true or false."
        ),
    )


class ReviewRequestSchema(_RequestSchema):
    """`POST /api/v1/visits/<id>/review` body."""

    action = fields.String(
        required=True,
        validate=validate.OneOf(REVIEW_ACTIONS),
        metadata=_describe(
            "approve, return or reject; `reopen` sets an approved or rejected (closed) visit"
            " back to submitted."
        ),
    )
    comment = fields.String(
        load_default="",
        allow_none=True,
        validate=validate.Length(max=1000),
        metadata=_describe("Required (non-blank) for return and reject."),
    )

    @validates_schema
    def _check_comment(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("action") in ("return", "reject") and not (data.get("comment") or "").strip():
            raise ValidationError("A return or reject needs a comment.", field_name="comment")

    @post_load
    def _normalise_comment(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        data["comment"] = (data.get("comment") or "").strip()
        return data


class ReviewResponseSchema(_ResponseSchema):
    """`POST /api/v1/visits/<id>/review` 200 response."""

    id = UuidString(required=True, metadata=_describe("The visit."))
    version = JsonInteger(
        required=True, validate=validate.Range(min=1), metadata=_describe("Its new version.")
    )
    review_status = fields.String(
        required=True,
        validate=validate.OneOf(REVIEW_STATUSES),
        metadata=_describe("New review status."),
    )
    review_comment = fields.String(allow_none=True, metadata=_describe("The supervisor's comment."))


class VersionSchema(_ResponseSchema):
    """One version of a record in its history."""

    version = JsonInteger(
        required=True, validate=validate.Range(min=1), metadata=_describe("Version.")
    )
    deleted = fields.Boolean(required=True, metadata=_describe("A tombstone."))
    data = fields.Dict(required=True, metadata=_describe("The whole record at that version."))
    changed_fields = fields.List(
        fields.String(), required=True, metadata=_describe("Dotted paths changed.")
    )
    author = fields.String(
        allow_none=True, required=True, metadata=_describe("Who made the change.")
    )
    client_id = UuidString(
        allow_none=True, required=True, metadata=_describe("Null for console/server changes.")
    )
    mutation_id = JsonInteger(
        allow_none=True, required=True, metadata=_describe("Null for console/server changes.")
    )
    created_at = fields.DateTime(required=True, metadata=_describe("When (ISO 8601)."))


class HistoryResponseSchema(_ResponseSchema):
    """`GET /api/v1/records/<entity>/<id>/history` 200 response."""

    versions = fields.List(
        fields.Nested(VersionSchema), required=True, metadata=_describe("Oldest first.")
    )


class ErrorSchema(_ResponseSchema):
    """Every error response."""

    code = JsonInteger(required=True, metadata=_describe("HTTP status code."))
    status = fields.String(required=True, metadata=_describe("HTTP reason phrase."))
    message = fields.String(required=True, metadata=_describe("What went wrong (Accept-Language)."))
    errors = fields.Dict(
        keys=fields.String(), load_default=dict, metadata=_describe("Field errors by path.")
    )


class PushGapErrorSchema(ErrorSchema):
    """The 409 of a push whose mutation ids skip ahead: what was applied before the gap."""

    last_mutation_id = JsonInteger(
        required=True,
        validate=validate.Range(min=0),
        metadata=_describe("Last id the server holds for the client; resend from the next."),
    )
    results = fields.List(
        fields.Nested(MutationResultSchema),
        load_default=list,
        metadata=_describe("Results of the mutations applied before the gap."),
    )


class HealthSchema(_ResponseSchema):
    """`GET /healthz` 200 response."""

    status = fields.String(required=True, metadata=_describe("`ok`."))


class MeResponseSchema(_ResponseSchema):
    """`GET /api/v1/me` 200 response: the caller, their grids and their client's progress."""

    user = fields.Nested(UserSchema, required=True, metadata=_describe("The caller."))
    grids = fields.List(
        fields.Nested(GridSchema(unknown=EXCLUDE)),
        required=True,
        metadata=_describe("Grids in the caller's scope."),
    )
    last_mutation_id = JsonInteger(
        required=True,
        validate=validate.Range(min=0),
        metadata=_describe("Last mutation id the server holds for the calling client."),
    )


class SyncReportSchema(_RequestSchema):
    """`POST /api/v1/sync/report` body: the phone's state for the console's device page."""

    client_id = UuidString(required=True, metadata=_describe("The reporting app install."))
    pending = JsonInteger(
        required=True, validate=validate.Range(min=0), metadata=_describe("Unsent local edits.")
    )
    hlc = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(1, HLC_MAX_LENGTH),
        metadata=_describe("The device's latest clock reading."),
    )
    device_time = fields.DateTime(
        load_default=None,
        allow_none=True,
        metadata=_describe("The device's wall clock (ISO 8601), to show skew."),
    )
    app_version = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(1, 32),
        metadata=_describe("App version."),
    )


# --- admin ------------------------------------------------------------------------------


class UserCreateSchema(_RequestSchema):
    """`POST /api/v1/admin/users` body."""

    username = fields.String(
        required=True,
        validate=validate.Regexp(USERNAME_PATTERN, error="3–64 characters of a-z, A-Z, 0-9, _ . -"),
        metadata=_describe("Login name, 3–64 of [a-zA-Z0-9_.-]."),
    )
    password = fields.String(
        required=True,
        load_only=True,
        validate=validate.Length(8, 1024),
        metadata=_describe("At least 8 characters."),
    )
    role = fields.String(
        required=True,
        validate=validate.OneOf(ROLES),
        metadata=_describe("worker, supervisor or admin."),
    )
    display_name = fields.String(
        required=True,
        validate=[validate.Length(1, 50), *_plain_line("Display name")],
        metadata=_describe("Name shown in the UI."),
    )
    grids = fields.List(
        fields.String(validate=validate.Length(1, 64)),
        load_default=list,
        metadata=_describe("Grid ids assigned to a worker."),
    )
    township = fields.String(
        load_default=None,
        allow_none=True,
        validate=[validate.Length(1, 100), *_plain_line("Township")],
        metadata=_describe("A supervisor's township (required for supervisors)."),
    )

    @validates_schema
    def _check_role_scope(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("role") == "supervisor" and not data.get("township"):
            raise ValidationError("A supervisor needs a township.", field_name="township")
        if len(set(data.get("grids", []))) != len(data.get("grids", [])):
            raise ValidationError("A grid is listed twice.", field_name="grids")


class UserUpdateSchema(_RequestSchema):
    """`PATCH /api/v1/admin/users/<username>` body: any of the fields, at least one."""

    active = fields.Boolean(
        truthy={True},
        falsy={False},
        metadata=_describe("false deactivates (every token and session ends), true reactivates."),
    )
    password = fields.String(
        load_only=True,
        validate=validate.Length(8, 1024),
        metadata=_describe("A new password (at least 8 characters); ends every session."),
    )
    role = fields.String(
        validate=validate.OneOf(ROLES),
        metadata=_describe("worker, supervisor or admin; a change ends every session."),
    )
    display_name = fields.String(
        validate=[validate.Length(1, 50), *_plain_line("Display name")],
        metadata=_describe("Name shown in the UI."),
    )
    grids = fields.List(
        fields.String(validate=validate.Length(1, 64)),
        metadata=_describe("A worker's grids (replaces the list; moved from their worker)."),
    )
    township = fields.String(
        allow_none=True,
        validate=[validate.Length(1, 100), *_plain_line("Township")],
        metadata=_describe("Township (required for a supervisor)."),
    )

    @validates_schema
    def _check_some(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not data:
            raise ValidationError("Nothing to change.")
        if len(set(data.get("grids", []))) != len(data.get("grids", [])):
            raise ValidationError("A grid is listed twice.", field_name="grids")


class PasswordChangeSchema(_RequestSchema):
    """`POST /api/v1/auth/password` body: the caller's own password."""

    old_password = fields.String(
        required=True,
        load_only=True,
        validate=validate.Length(1, 1024),
        metadata=_describe("The current password."),
    )
    new_password = fields.String(
        required=True,
        load_only=True,
        validate=validate.Length(8, 1024),
        metadata=_describe("At least 8 characters, not the current one."),
    )


class AssignmentSchema(_RequestSchema):
    """`POST /api/v1/admin/assignments` body: move a grid to a worker."""

    grid_id = fields.String(
        required=True, validate=validate.Length(1, 64), metadata=_describe("The grid.")
    )
    username = fields.String(
        required=True, validate=validate.Length(1, 64), metadata=_describe("The new worker.")
    )


# --- plain helpers (no Flask) -----------------------------------------------------------


def flatten_errors(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """Marshmallow's nested error messages as `{dotted.path: [message, ...]}`.

    Schema-level (`_schema`) messages go to the path of the object they concern (`_schema`
    at the top level).
    """
    out: dict[str, list[str]] = {}
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            if key == "_schema":
                path = prefix or "_schema"
            else:
                path = f"{prefix}.{key}" if prefix else str(key)
            for sub, texts in flatten_errors(value, path).items():
                out.setdefault(sub, []).extend(texts)
    elif isinstance(messages, list | tuple):
        for item in messages:
            for sub, texts in flatten_errors(item, prefix).items():
                out.setdefault(sub, []).extend(texts)
    else:
        out.setdefault(prefix or "_schema", []).append(str(messages))
    return out


def validate_payload(schema_cls: type[Schema], data: Any) -> dict[str, list[str]]:
    """Validate `data` with a protocol schema; `{}` when valid, else errors by dotted path."""
    return flatten_errors(schema_cls().validate(data))


def load_payload(schema_cls: type[Schema], data: Any) -> dict[str, Any]:
    """Load `data` with a protocol schema; `ValidationError` (with `.messages`) when invalid."""
    loaded = schema_cls().load(data)
    assert isinstance(loaded, dict)
    return loaded


__all__ = [
    "CONFLICT_FILTERS",
    "CONFLICT_STATUSES",
    "ENTITIES",
    "HLC_MAX_LENGTH",
    "MAX_MUTATIONS",
    "MAX_PUSH_BYTES",
    "OPS",
    "PULL_DEFAULT_LIMIT",
    "PULL_MAX_LIMIT",
    "RESULT_STATUSES",
    "REVIEW_ACTIONS",
    "ROLES",
    "AssignmentSchema",
    "ChangeSchema",
    "ConflictListSchema",
    "ConflictQuerySchema",
    "ConflictSchema",
    "ErrorSchema",
    "GridSchema",
    "HealthSchema",
    "HistoryResponseSchema",
    "JsonInteger",
    "MeResponseSchema",
    "MutationResultSchema",
    "MutationSchema",
    "PasswordChangeSchema",
    "PullQuerySchema",
    "PullResponseSchema",
    "PushGapErrorSchema",
    "PushRequestSchema",
    "PushResponseSchema",
    "ResolveRequestSchema",
    "ReviewRequestSchema",
    "ReviewResponseSchema",
    "SyncReportSchema",
    "TokenRequestSchema",
    "TokenResponseSchema",
    "UserCreateSchema",
    "UserSchema",
    "UserUpdateSchema",
    "UuidString",
    "VersionSchema",
    "flatten_errors",
    "load_payload",
    "validate_payload",
]
