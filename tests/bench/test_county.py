"""`bench.county.build_county` writes what the services would: a tiny county (20 households,
2 grids) on SQLite and PostgreSQL validates record by record, a worker's pull over the real app
returns exactly their grid's records, and a push on top continues the versions and history."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from bench.county import PASSWORD, TODAY, build_county
from shared_schema.schemas.records import validate_record
from sync_server.models import Record, RecordVersion, SyncCounter


def _as_of(entity: str, data: dict[str, Any]) -> date:
    return date.fromisoformat(data["visit_date"]) if entity == "visit" else TODAY


def _pull_all(client: Any, headers: dict[str, str], cursor: int = 0) -> tuple[list[Any], int]:
    changes: list[Any] = []
    while True:
        page = client.get(f"/api/v1/sync/pull?cursor={cursor}&limit=1000", headers=headers)
        assert page.status_code == 200, page.get_json()
        body = page.get_json()
        changes += body["changes"]
        cursor = body["cursor"]
        if not body["has_more"]:
            return changes, cursor


def test_tiny_county_validates_pulls_and_takes_a_push(
    db_url: str, client: Any, database: Any, seed: Any
) -> None:
    summary = build_county(db_url, 20, seed=7, households_per_grid=10)

    assert (summary.households, summary.grids, summary.townships) == (20, 2, 1)
    assert summary.members >= 2 * 20 and summary.visits >= 11 * 20
    with database.read() as s:
        rows = list(s.scalars(select(Record)))
        history = list(s.scalars(select(RecordVersion)))
        counter = s.get(SyncCounter, 1)
        assert counter is not None and counter.value == summary.head_version
    assert len(rows) == summary.records == summary.households + summary.members + summary.visits
    assert len(history) == summary.history_rows
    assert max(r.version for r in rows) == max(h.version for h in history) == summary.head_version
    invalid = {
        (r.entity, r.id): errors
        for r in rows
        if (errors := validate_record(r.entity, r.data, lang="en", as_of=_as_of(r.entity, r.data)))
    }
    assert invalid == {}
    latest = {(h.entity, h.record_id): h for h in sorted(history, key=lambda h: h.version)}
    assert all(latest[(r.entity, r.id)].data == r.data for r in rows)  # history ends at the row

    grid = summary.first_grid
    device = seed.login(client, summary.workers[grid], PASSWORD)
    changes, cursor = _pull_all(client, device.headers)
    expected = {(r.entity, r.id): (r.version, r.data) for r in rows if r.grid_id == grid}
    assert {(c["entity"], c["id"]): (c["version"], c["data"]) for c in changes} == expected
    assert len(changes) == len(expected) and cursor == max(v for v, _ in expected.values())

    household = next(c for c in changes if c["entity"] == "household")
    pushed = client.post(
        "/api/v1/sync/push",
        json={
            "client_id": device.client_id,
            "schema_version": 1,
            "mutations": [
                {
                    "mutation_id": device.next_id(),
                    "entity": "household",
                    "id": household["id"],
                    "op": "upsert",
                    "base_version": household["version"],
                    "data": {"phone": "13985550000"},
                    "hlc": None,
                }
            ],
        },
        headers=device.headers,
    )
    assert pushed.status_code == 200, pushed.get_json()
    (result,) = pushed.get_json()["results"]
    assert result["status"] == "applied" and result["version"] == summary.head_version + 1
    after, _ = _pull_all(client, device.headers, cursor)
    assert [(c["id"], c["version"], c["data"]["phone"]) for c in after] == [
        (household["id"], summary.head_version + 1, "13985550000")
    ]
    assert after[0]["data"] == household["data"] | {"phone": "13985550000"}
    with database.read() as s:
        versions = s.scalars(
            select(RecordVersion)
            .where(RecordVersion.record_id == household["id"])
            .order_by(RecordVersion.version)
        ).all()
    assert [v.changed_fields for v in versions][-1] == ["phone"]
    assert [v.version for v in versions] == [household["version"], summary.head_version + 1]

    with pytest.raises(ValueError, match="already holds grids"):
        build_county(db_url, 20, seed=7, households_per_grid=10)
