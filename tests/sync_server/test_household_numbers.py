"""Household numbers are unique within a grid (issue 16): a clash through push is a conflict on
`household_no` that a supervisor resolves, both households kept (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from sync_server.models import ConflictRow, Record
from tests.sync_server.helpers import household, mutation, new_id, pull_all, push


@pytest.fixture
def phones(seed, client):
    seed.grid("g1", township="t1")
    seed.grid("g2", township="t1")
    seed.user("wang", grids=["g1", "g2"])
    seed.user("zhang", role="supervisor", township="t1")
    # the worker's phone and tablet (two clients), and the supervisor
    return seed.login(client, "wang"), seed.login(client, "wang"), seed.login(client, "zhang")


def _push_one(client: Any, session: Any, m: dict[str, Any]) -> dict[str, Any]:
    response = push(client, session, m)
    assert response.status_code == 200, response.get_json()
    result: dict[str, Any] = response.get_json()["results"][0]
    return result


def _households(app: Any) -> dict[str, dict[str, Any]]:
    with app.extensions["tianye_db"].read() as s:
        rows = s.execute(select(Record.id, Record.data).where(Record.entity == "household"))
        return {rid: data for rid, data in rows}


def _open_conflicts(app: Any) -> list[ConflictRow]:
    with app.extensions["tianye_db"].read() as s:
        return list(s.scalars(select(ConflictRow).where(ConflictRow.status == "open")))


def test_two_phones_registering_one_number_keep_both_households(app, client, phones):
    wang, li, zhang = phones
    first, second = new_id(), new_id()
    a = _push_one(
        client, wang, mutation(wang, "household", first, household("g1", household_no="G1-P001"))
    )
    b = _push_one(
        client, li, mutation(li, "household", second, household("g1", household_no="G1-P001"))
    )
    assert a["status"] == "applied" and not a["conflicts"]
    assert b["status"] == "conflict" and len(b["conflicts"]) == 1, b
    stored = _households(app)
    assert stored[first]["household_no"] == stored[second]["household_no"] == "G1-P001"
    assert stored[first]["registration"] == stored[second]["registration"] == "field_new"
    (row,) = _open_conflicts(app)
    assert (row.record_id, row.field, row.server_value, row.client_value) == (
        second,
        "household_no",
        "G1-P001",
        "G1-P001",
    )
    # the phone that registered second sees its household's open conflict on the number
    change = next(c for c in pull_all(client, li)["changes"] if c["id"] == second)
    assert change["open_conflicts"] == ["household_no"]
    # the supervisor resolves it by choosing a free number; a taken one is refused
    taken = client.post(
        f"/api/v1/conflicts/{row.id}/resolve", json={"value": "G1-P001"}, headers=zhang.headers
    )
    assert taken.status_code == 422, taken.get_json()
    assert "value" in taken.get_json()["errors"]
    done = client.post(
        f"/api/v1/conflicts/{row.id}/resolve", json={"value": "G1-0100"}, headers=zhang.headers
    )
    assert done.status_code == 200, done.get_json()
    assert _households(app)[second]["household_no"] == "G1-0100"
    assert _open_conflicts(app) == []


def test_renumbering_onto_a_taken_number_is_a_conflict_and_other_grids_are_free(
    app, client, phones
):
    wang, _li, _zhang = phones
    first, second, third = new_id(), new_id(), new_id()
    _push_one(
        client, wang, mutation(wang, "household", first, household("g1", household_no="0007"))
    )
    made = _push_one(
        client, wang, mutation(wang, "household", second, household("g1", household_no="0008"))
    )
    other = _push_one(
        client, wang, mutation(wang, "household", third, household("g2", household_no="0007"))
    )
    assert other["status"] == "applied"  # unique within a grid, not across grids
    edit = _push_one(
        client,
        wang,
        mutation(wang, "household", second, {"household_no": "0007"}, base_version=made["version"]),
    )
    assert edit["status"] == "conflict" and len(edit["conflicts"]) == 1, edit
    assert _households(app)[second]["household_no"] == "0007"  # kept, flagged
    (row,) = _open_conflicts(app)
    assert (row.field, row.base_value, row.client_value) == ("household_no", "0008", "0007")
    # a later edit of another field does not raise the clash again
    again = _push_one(
        client,
        wang,
        mutation(wang, "household", second, {"phone": "13900000009"}, base_version=edit["version"]),
    )
    assert again["status"] == "applied" and not again["conflicts"], again


def test_a_clash_within_one_batch_and_a_deleted_holder(app, client, phones):
    wang, _li, _zhang = phones
    gone, first, second = new_id(), new_id(), new_id()
    created = _push_one(
        client, wang, mutation(wang, "household", gone, household("g1", household_no="0042"))
    )
    deleted = _push_one(
        client,
        wang,
        mutation(wang, "household", gone, op="delete", base_version=created["version"]),
    )
    assert deleted["status"] == "applied"
    response = push(
        client,
        wang,
        mutation(wang, "household", first, household("g1", household_no="0042")),
        mutation(wang, "household", second, household("g1", household_no="0042")),
    )
    statuses = [r["status"] for r in response.get_json()["results"]]
    assert statuses == ["applied", "conflict"]  # a tombstone holds no number
    assert [r.record_id for r in _open_conflicts(app)] == [second]


def test_a_client_may_not_set_registration(app, client, phones):
    wang, _li, _zhang = phones
    result = _push_one(
        client,
        wang,
        mutation(wang, "household", new_id(), household("g1", registration="confirmed")),
    )
    assert result["status"] == "rejected" and "registration" in result["errors"], result
