"""Small builders for sync-server tests: record data, mutations, push/pull calls."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

from shared_schema.schemas.examples import example_household, example_member, example_visit


def new_id() -> str:
    return str(uuid.uuid4())


_NUMBERS = itertools.count(1)


def household(grid_id: str = "g1", **overrides: Any) -> dict[str, Any]:
    """An example household with a household number of its own (numbers are unique within a
    grid: two households sharing one is a `household_no` conflict)."""
    overrides.setdefault("household_no", f"T{next(_NUMBERS):08d}")
    return example_household(grid_id=grid_id, **overrides)


def member(household_id: str, **overrides: Any) -> dict[str, Any]:
    return example_member(household_id=household_id, **overrides)


def visit(household_id: str, **overrides: Any) -> dict[str, Any]:
    return example_visit(household_id=household_id, **overrides)


def mutation(
    session: Any,
    entity: str,
    record_id: str,
    data: dict[str, Any] | None = None,
    *,
    base_version: int | None = None,
    op: str = "upsert",
    mutation_id: int | None = None,
) -> dict[str, Any]:
    """A mutation numbered by the session (or with an explicit id)."""
    m: dict[str, Any] = {
        "mutation_id": mutation_id if mutation_id is not None else session.next_id(),
        "entity": entity,
        "id": record_id,
        "op": op,
        "base_version": base_version,
        "hlc": "0001700000000000-0000-test",
    }
    if op == "upsert":
        m["data"] = data or {}
    return m


def push(client: Any, session: Any, *mutations: dict[str, Any], **headers: str) -> Any:
    """POST /sync/push with the session's token; returns the Flask response."""
    return client.post(
        "/api/v1/sync/push",
        json={"client_id": session.client_id, "schema_version": 1, "mutations": list(mutations)},
        headers=session.headers | headers,
    )


def pull(client: Any, session: Any, cursor: int = 0, limit: int = 500) -> dict[str, Any]:
    """GET /sync/pull; asserts 200 and returns the body."""
    response = client.get(
        f"/api/v1/sync/pull?cursor={cursor}&limit={limit}", headers=session.headers
    )
    assert response.status_code == 200, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def pull_all(client: Any, session: Any, cursor: int = 0, limit: int = 500) -> dict[str, Any]:
    """Every page after `cursor`: {"changes": [...], "cursor": last}."""
    changes: list[dict[str, Any]] = []
    while True:
        page = pull(client, session, cursor, limit)
        changes += page["changes"]
        cursor = page["cursor"]
        if not page["has_more"]:
            return {"changes": changes, "cursor": cursor, "last": page}


def create_household(
    client: Any, session: Any, grid_id: str = "g1", **overrides: Any
) -> tuple[str, int]:
    """Push a new household; returns (id, version)."""
    hid = new_id()
    response = push(
        client, session, mutation(session, "household", hid, household(grid_id, **overrides))
    )
    assert response.status_code == 200, response.get_json()
    result = response.get_json()["results"][0]
    assert result["status"] == "applied", result
    return hid, result["version"]
