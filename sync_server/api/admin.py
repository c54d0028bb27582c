"""`/api/v1/admin/grids`, `/users`, `/assignments`, `/config` (admin only).

Every write names the calling admin as the actor of its audit entry."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from shared_schema.schemas.protocol import (
    AssignmentSchema,
    ErrorSchema,
    GridSchema,
    UserCreateSchema,
    UserSchema,
    UserUpdateSchema,
)
from sync_server.api.context import now, principal
from sync_server.api.meta import ConfigResponseSchema
from sync_server.errors import ServiceError
from sync_server.extensions import current_db
from sync_server.services import admin as admin_service
from sync_server.services import config as config_service
from sync_server.services.principal import ADMIN, require_role

blp = Blueprint(
    "admin", __name__, url_prefix="/api/v1/admin", description="Grids, users and assignments."
)


@blp.before_request
def _admins_only() -> None:
    from flask import g

    if getattr(g, "principal", None) is not None:
        require_role(principal(), ADMIN)


class GridOutSchema(Schema):
    """A grid and its worker."""

    id = fields.String(required=True)
    name = fields.String(required=True)
    village = fields.String(required=True)
    township = fields.String(required=True)
    worker = fields.String(allow_none=True)


class GridListSchema(Schema):
    grids = fields.List(fields.Nested(GridOutSchema), required=True)


class UserOutSchema(UserSchema):
    """A user with their scope."""

    township = fields.String(allow_none=True)
    grids = fields.List(fields.String(), required=True)
    active = fields.Boolean(
        required=True, metadata={"description": "false: deactivated (cannot sign in)."}
    )


class UserListSchema(Schema):
    users = fields.List(fields.Nested(UserOutSchema), required=True)


class AssignmentResultSchema(Schema):
    grid_id = fields.String(required=True)
    username = fields.String(required=True)
    records = fields.Integer(
        required=True, metadata={"description": "Records re-stamped for the new worker."}
    )


@blp.route("/grids")
class Grids(MethodView):
    @blp.response(200, GridListSchema)
    def get(self) -> dict[str, Any]:
        """All grids."""
        return {"grids": admin_service.list_grids(current_db())}

    @blp.arguments(GridSchema)
    @blp.response(201, GridOutSchema)
    @blp.alt_response(409, schema=ErrorSchema, description="The grid id exists.")
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Create a grid."""
        return admin_service.create_grid(
            current_db(),
            grid_id=body["id"],
            name=body["name"],
            village=body["village"],
            township=body["township"],
            now=now(),
            actor=principal().username,
        )


@blp.route("/users")
class Users(MethodView):
    @blp.response(200, UserListSchema)
    def get(self) -> dict[str, Any]:
        """All users."""
        return {"users": admin_service.list_users(current_db())}

    @blp.arguments(UserCreateSchema)
    @blp.response(201, UserOutSchema)
    @blp.alt_response(409, schema=ErrorSchema, description="The username is taken.")
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Create a user (a worker's grids are assigned to them)."""
        return admin_service.create_user(
            current_db(), now=now(), actor=principal().username, **body
        )


@blp.route("/users/<string:username>")
class UserItem(MethodView):
    @blp.arguments(UserUpdateSchema)
    @blp.response(200, UserOutSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="Unknown user.")
    @blp.alt_response(422, schema=ErrorSchema, description="Field errors (nothing changed).")
    def patch(self, body: dict[str, Any], username: str) -> dict[str, Any]:
        """Edit a user: deactivate/reactivate, set a password, change role, name, grids or
        township. Deactivating, a password or a role change revokes every token and console
        session of the user at once. Users are never deleted."""
        return admin_service.update_user(
            current_db(), username, body, now=now(), actor=principal().username
        )


@blp.route("/assignments")
class Assignments(MethodView):
    @blp.arguments(AssignmentSchema)
    @blp.response(200, AssignmentResultSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="Unknown grid or user.")
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Move a grid to a worker (the previous worker's next pull removes its records)."""
        return admin_service.assign_grid(
            current_db(),
            grid_id=body["grid_id"],
            username=body["username"],
            now=now(),
            actor=principal().username,
        )


class ConfigPublishSchema(Schema):
    """`PUT /api/v1/admin/config`: the parts of the new version; a part left out is carried
    over from the version in force (docs/rules-and-forms.md "Published configurations")."""

    rules = fields.Dict(metadata={"description": "Rules config: every key (thresholds, …)."})
    forms = fields.Dict(metadata={"description": "Form definitions by id (`form_to_dict`)."})
    enums = fields.Dict(metadata={"description": "Enumerations: name → [{code, zh, en}]."})
    base_version = fields.Integer(
        validate=validate.Range(min=1),
        metadata={"description": "The version edited: another one in force is a 409."},
    )


class ConfigChangeSchema(Schema):
    area = fields.String(required=True, metadata={"description": "rules, enums or forms."})
    name = fields.String(required=True)
    kind = fields.String(required=True)
    detail = fields.String(required=True)


class ConfigVersionSchema(Schema):
    """A published version: who, when, and what it changed against the one before."""

    version = fields.Integer(required=True)
    author = fields.String(required=True)
    published_at = fields.DateTime(
        allow_none=True, metadata={"description": "null: the shipped version 1, unwritten."}
    )
    changes = fields.List(fields.Nested(ConfigChangeSchema), required=True)


class ConfigVersionListSchema(Schema):
    in_force = fields.Integer(required=True)
    versions = fields.List(fields.Nested(ConfigVersionSchema), required=True)


def _version_out(p: config_service.Published) -> dict[str, Any]:
    return {
        "version": p.version,
        "author": p.author,
        "published_at": p.created_at,
        "changes": p.summary,
    }


@blp.route("/config")
class ConfigVersions(MethodView):
    @blp.response(200, ConfigVersionListSchema)
    def get(self) -> dict[str, Any]:
        """Every published configuration version, newest first."""
        with current_db().read() as s:
            versions = config_service.list_versions(s)
        return {"in_force": versions[0].version, "versions": [_version_out(p) for p in versions]}

    @blp.arguments(ConfigPublishSchema)
    @blp.response(200, ConfigVersionSchema)
    @blp.alt_response(409, schema=ErrorSchema, description="Another version was published.")
    @blp.alt_response(422, schema=ErrorSchema, description="Field errors; nothing published.")
    def put(self, body: dict[str, Any]) -> dict[str, Any]:
        """Publish a new configuration version (phones fetch it from `GET /api/v1/config`
        after a pull names it in `config_version`)."""
        base = body.pop("base_version", None)
        published = config_service.publish(
            current_db(), body, actor=principal().username, now=now(), base_version=base
        )
        return _version_out(published)


@blp.route("/config/<int:version>")
class ConfigVersionItem(MethodView):
    @blp.response(200, ConfigResponseSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such version.")
    def get(self, version: int) -> dict[str, Any]:
        """One published version, whole."""
        with current_db().read() as s:
            found = config_service.get_version(s, version)
        if found is None:
            raise ServiceError(404, "not_found")
        return found.document()
