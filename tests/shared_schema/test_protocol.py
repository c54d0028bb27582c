"""Protocol payload schemas (PROTOCOL.md): valid and invalid payloads for each."""

from __future__ import annotations

import copy
import datetime as dt
import json
from typing import Any

import pytest
from marshmallow import Schema, ValidationError

from shared_schema.schemas import protocol as p

U1 = "0190f5c2-7b1e-7c3a-9d2e-1a2b3c4d5e6f"
U2 = "0190f5c2-7b1e-7c3a-9d2e-000000000002"
NOW = dt.datetime(2026, 11, 25, 8, 30, tzinfo=dt.UTC)

MUTATION = {
    "mutation_id": 18,
    "entity": "household",
    "id": U2,
    "op": "upsert",
    "base_version": 42,
    "data": {"phone": "13800000001"},
    "hlc": "1732540000123-0007-" + U1,
}
CHANGE = {
    "entity": "household",
    "id": U2,
    "version": 57,
    "deleted": False,
    "data": {"phone": "13800000001", "income": {"wage": 1}},
    "open_conflicts": ["phone"],
}
CONFLICT = {
    "id": "7",
    "entity": "visit",
    "record_id": U2,
    "field": "income.wage",
    "base_value": 100,
    "server_value": 150,
    "client_value": None,
    "author": "wang",
    "client_id": U1,
    "mutation_id": 18,
    "created_at": "2026-11-25T08:30:00+00:00",
    "status": "open",
}
VERSION = {
    "version": 57,
    "deleted": False,
    "data": {"phone": "1"},
    "changed_fields": ["phone"],
    "author": "wang",
    "client_id": None,
    "mutation_id": None,
    "created_at": "2026-11-25T08:30:00+00:00",
}
GRID = {"id": "g-001", "name": "一组", "village": "田家村", "township": "石桥镇"}
USER = {"id": "3", "username": "wang", "role": "worker", "display_name": "王五"}


def with_(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    out = copy.deepcopy(base)
    out.update(changes)
    return out


def without(base: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in copy.deepcopy(base).items() if k not in keys}


VALID: list[tuple[type[Schema], dict[str, Any]]] = [
    (
        p.TokenRequestSchema,
        {"username": "wang", "password": "secret-pw", "client_id": U1, "device_name": "红米 9A"},
    ),
    (p.TokenResponseSchema, {"token": "t", "user": USER, "grids": [GRID]}),
    (p.MutationSchema, MUTATION),
    (p.MutationSchema, with_(MUTATION, base_version=None, hlc=None)),
    (p.MutationSchema, without(MUTATION, "base_version", "hlc")),
    (p.MutationSchema, with_(MUTATION, op="delete", data={})),
    (p.MutationSchema, without(with_(MUTATION, op="delete"), "data")),
    (p.MutationSchema, with_(MUTATION, data={})),
    (p.MutationSchema, with_(MUTATION, entity="member", id=U2.upper())),
    (p.PushRequestSchema, {"client_id": U1, "schema_version": 1, "mutations": [MUTATION]}),
    (p.PushRequestSchema, {"client_id": U1, "schema_version": 1, "mutations": []}),
    (
        p.MutationResultSchema,
        {"mutation_id": 18, "status": "conflict", "version": 57, "conflicts": ["7"], "errors": {}},
    ),
    (
        p.MutationResultSchema,
        {
            "mutation_id": 19,
            "status": "rejected",
            "version": None,
            "errors": {"income.wage": ["Must be ≥ 0."]},
        },
    ),
    (p.PushResponseSchema, {"results": [], "last_mutation_id": 0}),
    (p.PullQuerySchema, {}),
    (p.PullQuerySchema, {"cursor": "57", "limit": "1000"}),
    (p.ChangeSchema, CHANGE),
    (p.ChangeSchema, without(CHANGE, "open_conflicts")),
    (p.ChangeSchema, with_(CHANGE, deleted=True)),
    (p.ChangeSchema, {"entity": "member", "id": U2, "removed": True}),
    (
        p.PullResponseSchema,
        {"changes": [CHANGE], "cursor": 57, "has_more": False, "last_mutation_id": 18},
    ),
    (p.ConflictSchema, CONFLICT),
    (
        p.ConflictSchema,
        with_(
            CONFLICT,
            field="_deleted",
            base_value=False,
            server_value=True,
            client_value=False,
            client_data={"a": 1},
        ),
    ),
    (p.ConflictListSchema, {"conflicts": [CONFLICT]}),
    (p.ConflictQuerySchema, {}),
    (p.ConflictQuerySchema, {"status": "all"}),
    (p.ResolveRequestSchema, {"value": None}),
    (p.ResolveRequestSchema, {"value": {"wage": 1}}),
    (p.ResolveRequestSchema, {"value": ["illness"]}),
    (p.ReviewRequestSchema, {"action": "approve"}),
    (p.ReviewRequestSchema, {"action": "return", "comment": "收入数据请核实"}),
    (p.ReviewRequestSchema, {"action": "approve", "comment": None}),
    (
        p.ReviewResponseSchema,
        {"id": U2, "version": 60, "review_status": "returned", "review_comment": "x"},
    ),
    (p.VersionSchema, VERSION),
    (p.HistoryResponseSchema, {"versions": [VERSION, with_(VERSION, version=58, deleted=True)]}),
    (
        p.ErrorSchema,
        {"code": 422, "status": "Unprocessable Entity", "message": "m", "errors": {"a": ["b"]}},
    ),
    (p.ErrorSchema, {"code": 401, "status": "Unauthorized", "message": "m"}),
    (p.GridSchema, GRID),
    (
        p.UserCreateSchema,
        {
            "username": "wang.wu-1_",
            "password": "12345678",
            "role": "worker",
            "display_name": "王五",
            "grids": ["g-001"],
        },
    ),
    (
        p.UserCreateSchema,
        {"username": "li", "password": "12345678", "role": "admin", "display_name": "李"}
        | {"username": "lee"},
    ),
    (
        p.UserCreateSchema,
        {
            "username": "zhao",
            "password": "12345678",
            "role": "supervisor",
            "display_name": "赵",
            "township": "石桥镇",
        },
    ),
    (p.AssignmentSchema, {"grid_id": "g-001", "username": "wang"}),
    (
        p.PushGapErrorSchema,
        {"code": 409, "status": "Conflict", "message": "m", "last_mutation_id": 17, "results": []},
    ),
    (p.HealthSchema, {"status": "ok"}),
    (p.MeResponseSchema, {"user": USER, "grids": [GRID], "last_mutation_id": 0}),
    (p.SyncReportSchema, {"client_id": U1, "pending": 3}),
    (
        p.SyncReportSchema,
        {
            "client_id": U1,
            "pending": 0,
            "hlc": "x",
            "device_time": "2026-11-25T08:30:00+08:00",
            "app_version": "0.1.0",
        },
    ),
]


@pytest.mark.parametrize(
    ("schema", "payload"), VALID, ids=[f"{s.__name__}-{i}" for i, (s, _) in enumerate(VALID)]
)
def test_valid_payloads(schema: type[Schema], payload: dict[str, Any]) -> None:
    assert p.validate_payload(schema, payload) == {}
    loaded = p.load_payload(schema, payload)
    assert isinstance(loaded, dict)


INVALID: list[tuple[type[Schema], dict[str, Any] | Any, str]] = [
    (
        p.TokenRequestSchema,
        {"username": "wang", "password": "pw", "client_id": "not-a-uuid", "device_name": "d"},
        "client_id",
    ),
    (p.TokenRequestSchema, {"username": "wang", "client_id": U1, "device_name": "d"}, "password"),
    (
        p.TokenRequestSchema,
        {"username": "wang", "password": "pw", "client_id": U1, "device_name": "d", "x": 1},
        "x",
    ),
    (
        p.TokenRequestSchema,
        {"username": "", "password": "pw", "client_id": U1, "device_name": "d"},
        "username",
    ),
    (
        p.TokenResponseSchema,
        {"token": "t", "user": with_(USER, role="boss"), "grids": []},
        "user.role",
    ),
    (p.MutationSchema, with_(MUTATION, mutation_id=0), "mutation_id"),
    (p.MutationSchema, with_(MUTATION, mutation_id="18"), "mutation_id"),
    (p.MutationSchema, with_(MUTATION, mutation_id=18.0), "mutation_id"),
    (p.MutationSchema, with_(MUTATION, mutation_id=True), "mutation_id"),
    (p.MutationSchema, with_(MUTATION, entity="household_member"), "entity"),
    (p.MutationSchema, with_(MUTATION, id="0190f5c27b1e7c3a9d2e1a2b3c4d5e6f"), "id"),
    (p.MutationSchema, with_(MUTATION, op="patch"), "op"),
    (p.MutationSchema, with_(MUTATION, base_version=-1), "base_version"),
    (p.MutationSchema, with_(MUTATION, data=["phone"]), "data"),
    (p.MutationSchema, without(MUTATION, "data"), "data"),
    (p.MutationSchema, with_(MUTATION, op="delete"), "data"),
    (p.MutationSchema, with_(MUTATION, hlc="x" * 65), "hlc"),
    (p.MutationSchema, with_(MUTATION, data={"income.wage": 1}), "data"),
    (p.MutationSchema, with_(MUTATION, data={"income": {"": 1}}), "data"),
    (p.MutationSchema, with_(MUTATION, hlc=""), "hlc"),
    (p.MutationSchema, with_(MUTATION, version=3), "version"),
    (
        p.PushRequestSchema,
        {"client_id": U1, "schema_version": 2, "mutations": []},
        "schema_version",
    ),
    (
        p.PushRequestSchema,
        {"client_id": U1, "schema_version": "1", "mutations": []},
        "schema_version",
    ),
    (p.PushRequestSchema, {"client_id": U1, "mutations": []}, "schema_version"),
    (p.PushRequestSchema, {"client_id": U1, "schema_version": 1}, "mutations"),
    (
        p.PushRequestSchema,
        {"client_id": U1, "schema_version": 1, "mutations": [MUTATION, with_(MUTATION, op="x")]},
        "mutations.1.op",
    ),
    (
        p.PushRequestSchema,
        {"client_id": U1, "schema_version": 1, "mutations": MUTATION},
        "mutations",
    ),
    (p.MutationResultSchema, {"mutation_id": 1, "status": "noop", "version": 1}, "status"),
    (p.PushResponseSchema, {"results": [], "last_mutation_id": -1}, "last_mutation_id"),
    (p.PullQuerySchema, {"cursor": "-1"}, "cursor"),
    (p.PullQuerySchema, {"limit": "0"}, "limit"),
    (p.PullQuerySchema, {"limit": "1001"}, "limit"),
    (p.PullQuerySchema, {"limit": "many"}, "limit"),
    (p.PullQuerySchema, {"since": "1"}, "since"),
    (p.ChangeSchema, without(CHANGE, "version"), "version"),
    (p.ChangeSchema, without(CHANGE, "data"), "data"),
    (p.ChangeSchema, {"entity": "member", "id": U2, "removed": True, "version": 3}, "_schema"),
    (p.ChangeSchema, with_(CHANGE, version=0), "version"),
    (p.PullResponseSchema, {"changes": [], "cursor": 1, "last_mutation_id": 0}, "has_more"),
    (p.ConflictSchema, with_(CONFLICT, status="pending"), "status"),
    (p.ConflictSchema, without(CONFLICT, "client_value"), "client_value"),
    (p.ConflictSchema, with_(CONFLICT, created_at="yesterday"), "created_at"),
    (p.ConflictQuerySchema, {"status": "closed"}, "status"),
    (p.ResolveRequestSchema, {}, "value"),
    (p.ResolveRequestSchema, {"value": 1, "why": "x"}, "why"),
    (p.ReviewRequestSchema, {"action": "return"}, "comment"),
    (p.ReviewRequestSchema, {"action": "reject", "comment": "   "}, "comment"),
    (p.ReviewRequestSchema, {"action": "approve", "comment": "x" * 1001}, "comment"),
    (p.ReviewRequestSchema, {"action": "delete"}, "action"),
    (p.VersionSchema, without(VERSION, "changed_fields"), "changed_fields"),
    (p.ErrorSchema, {"code": 422, "status": "x"}, "message"),
    (p.GridSchema, with_(GRID, id=""), "id"),
    (p.GridSchema, without(GRID, "township"), "township"),
    (
        p.UserCreateSchema,
        {"username": "ab", "password": "12345678", "role": "worker", "display_name": "x"},
        "username",
    ),
    (
        p.UserCreateSchema,
        {"username": "王五", "password": "12345678", "role": "worker", "display_name": "x"},
        "username",
    ),
    (
        p.UserCreateSchema,
        {"username": "wang wu", "password": "12345678", "role": "worker", "display_name": "x"},
        "username",
    ),
    (
        p.UserCreateSchema,
        {"username": "wang", "password": "1234567", "role": "worker", "display_name": "x"},
        "password",
    ),
    (
        p.UserCreateSchema,
        {"username": "wang", "password": "12345678", "role": "root", "display_name": "x"},
        "role",
    ),
    (
        p.UserCreateSchema,
        {"username": "wang", "password": "12345678", "role": "supervisor", "display_name": "x"},
        "township",
    ),
    (
        p.UserCreateSchema,
        {
            "username": "wang",
            "password": "12345678",
            "role": "worker",
            "display_name": "x",
            "grids": ["a", "a"],
        },
        "grids",
    ),
    (p.AssignmentSchema, {"grid_id": "g-001"}, "username"),
    (p.AssignmentSchema, {"grid_id": "g-001", "username": "w", "force": True}, "force"),
    (p.PushGapErrorSchema, {"code": 409, "status": "Conflict", "message": "m"}, "last_mutation_id"),
    (p.MeResponseSchema, {"user": USER, "grids": []}, "last_mutation_id"),
    (p.SyncReportSchema, {"client_id": U1, "pending": -1}, "pending"),
    (p.SyncReportSchema, {"client_id": U1, "pending": 1, "battery": 50}, "battery"),
]


@pytest.mark.parametrize(
    ("schema", "payload", "path"),
    INVALID,
    ids=[f"{s.__name__}-{path}-{i}" for i, (s, _, path) in enumerate(INVALID)],
)
def test_invalid_payloads(schema: type[Schema], payload: Any, path: str) -> None:
    errors = p.validate_payload(schema, payload)
    assert path in errors, errors
    assert all(isinstance(m, str) and m for msgs in errors.values() for m in msgs)
    with pytest.raises(ValidationError):
        schema().load(payload)


def test_not_an_object_is_a_clear_error() -> None:
    assert p.validate_payload(p.PushRequestSchema, ["x"]) == {"_schema": ["Invalid input type."]}


def test_loaded_values_are_normalised() -> None:
    loaded = p.load_payload(p.MutationSchema, with_(MUTATION, id=U2.upper(), op="delete", data={}))
    assert loaded["id"] == U2
    assert loaded["data"] == {}
    deleted = p.load_payload(
        p.MutationSchema, without(with_(MUTATION, op="delete"), "data", "base_version")
    )
    assert (
        deleted["data"] == {}
        and deleted["base_version"] is None
        and deleted["hlc"] == MUTATION["hlc"]
    )
    assert p.load_payload(p.PullQuerySchema, {}) == {"cursor": 0, "limit": p.PULL_DEFAULT_LIMIT}
    assert p.load_payload(p.ConflictQuerySchema, {}) == {"status": "open"}
    assert p.load_payload(p.ChangeSchema, without(CHANGE, "open_conflicts"))["open_conflicts"] == []
    assert (
        p.load_payload(p.ReviewRequestSchema, {"action": "return", "comment": " 请补充 "})[
            "comment"
        ]
        == "请补充"
    )
    user = p.load_payload(
        p.UserCreateSchema,
        {"username": "wang", "password": "12345678", "role": "worker", "display_name": "王"},
    )
    assert user["grids"] == [] and user["township"] is None


def test_responses_ignore_unknown_fields_requests_reject_them() -> None:
    assert (
        p.validate_payload(
            p.PullResponseSchema,
            {
                "changes": [with_(CHANGE, future=1)],
                "cursor": 1,
                "has_more": False,
                "last_mutation_id": 0,
                "x": 1,
            },
        )
        == {}
    )
    assert (
        p.validate_payload(
            p.TokenResponseSchema, {"token": "t", "user": USER, "grids": [with_(GRID, extra=1)]}
        )
        == {}
    )
    assert "extra" in p.validate_payload(p.GridSchema, with_(GRID, extra=1))


def test_dump_is_json() -> None:
    conflict = with_(CONFLICT, id=7, created_at=NOW, client_id=U1.upper())
    dumped = p.ConflictSchema().dump(conflict)
    assert dumped["id"] == "7"
    assert dumped["created_at"] == "2026-11-25T08:30:00+00:00"
    assert dumped["client_id"] == U1
    json.dumps(dumped)
    token = p.TokenRequestSchema().dump(
        {"username": "u", "password": "pw", "client_id": U1, "device_name": "d"}
    )
    assert "password" not in token
    removed = p.ChangeSchema().dump({"entity": "member", "id": U2, "removed": True})
    assert removed == {"entity": "member", "id": U2, "removed": True}


def test_entities_match_the_record_schemas() -> None:
    from shared_schema.schemas.records import ENTITIES

    assert p.ENTITIES == ENTITIES


def test_constants() -> None:
    assert p.MAX_MUTATIONS == 500
    assert p.MAX_PUSH_BYTES == 2 * 1024 * 1024


def test_flatten_errors() -> None:
    messages = {
        "mutations": {0: {"data": ["x"], "_schema": ["y"]}},
        "_schema": ["z"],
        "a": {"b": ["c", "d"]},
    }
    assert p.flatten_errors(messages) == {
        "mutations.0.data": ["x"],
        "mutations.0": ["y"],
        "_schema": ["z"],
        "a.b": ["c", "d"],
    }
    assert p.flatten_errors("boom") == {"_schema": ["boom"]}


def test_every_schema_is_distinct_and_documented() -> None:
    schemas = [getattr(p, n) for n in p.__all__ if n.endswith("Schema")]
    assert len({s.__name__ for s in schemas}) == len(schemas) >= 22
    for schema in schemas:
        assert schema.__doc__, schema.__name__
        for name, field in schema().fields.items():
            assert field.metadata.get("description"), f"{schema.__name__}.{name}"


def test_openapi_generation_is_clean() -> None:
    """apispec (what flask-smorest uses) turns every schema into a component without warnings."""
    from apispec import APISpec
    from apispec.ext.marshmallow import MarshmallowPlugin

    spec = APISpec("tianye", "1", "3.0.3", plugins=[MarshmallowPlugin()])
    for name in p.__all__:
        if name.endswith("Schema"):
            component = name.removesuffix("Schema")
            if component not in spec.components.schemas:  # nested ones register themselves
                spec.components.schema(component, schema=getattr(p, name))
    doc = spec.to_dict()["components"]["schemas"]
    assert len(doc) == len([n for n in p.__all__ if n.endswith("Schema")])
    assert doc["Mutation"]["properties"]["id"]["format"] == "uuid"
    assert doc["Mutation"]["properties"]["op"]["enum"] == ["upsert", "delete"]
    assert doc["PullQuery"]["properties"]["limit"]["maximum"] == 1000
    assert doc["Mutation"]["properties"]["mutation_id"]["description"]
