"""`/api/v1/admin/grids`, `/api/v1/admin/users`, `/api/v1/admin/assignments` (admin only).

Every write names the calling admin as the actor of its audit entry."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import INCLUDE, Schema, fields

from shared_schema.schemas.protocol import (
    AssignmentSchema,
    ErrorSchema,
    GridSchema,
    UserCreateSchema,
    UserSchema,
    UserUpdateSchema,
)
from sync_server.api.context import now, principal
from sync_server.extensions import current_db
from sync_server.services import admin as admin_service
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


class RulesConfigSchema(Schema):
    """The rules config (thresholds): `PUT` replaces it, validated key by key."""

    class Meta:
        unknown = INCLUDE

    version = fields.Raw(required=True, metadata={"description": "Config version."})


@blp.route("/config")
class RulesConfig(MethodView):
    @blp.response(200, description="Every key of the rules config (see docs/rules-and-forms.md).")
    def get(self) -> dict[str, Any]:
        """The rules config in force."""
        return admin_service.rules_config(current_db())

    @blp.arguments(RulesConfigSchema)
    @blp.response(200, description="The stored config, normalised.")
    @blp.alt_response(422, schema=ErrorSchema, description="Invalid keys or values.")
    def put(self, body: dict[str, Any]) -> dict[str, Any]:
        """Replace the rules config (phones fetch it from `GET /api/v1/config`)."""
        return admin_service.set_rules_config(current_db(), body, now(), actor=principal().username)
