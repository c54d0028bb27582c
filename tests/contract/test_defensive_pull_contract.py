"""Defensive pull against the real server (issue 15, point 1, the phone's half).

The server's records table is given values an older server accepted (the shared schema now
refuses them at push: a `visit_date` in year 9999, a 400-digit number), written straight
into its database as they would be after an upgrade. A phone that pulls them parks that
record with its problems and the rest of the sync — other records, the cursor, the next
sync — goes on. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from sync_server.models.records import Record
from tests.contract.test_sync_contract import world  # noqa: F401 - the fixture
from tests.mobile_app.test_store_fixtures import household, new_id, visit

BAD = [
    pytest.param({"visit_date": "9999-12-31"}, "visit_date", "date_out_of_range", id="year-9999"),
    pytest.param(
        {"water": {"quantity_lpd": 10**400}},
        "water.quantity_lpd",
        "number_out_of_range",
        id="10**400",
    ),
    pytest.param({"visit_date": "2026-02-31"}, "visit_date", "date_invalid", id="broken-date"),
    pytest.param({"food_ok": "是"}, "food_ok", "wrong_type", id="wrong-type"),
]


def stored_as_legacy(database: Any, entity: str, record_id: str, changes: dict[str, Any]) -> None:
    """Overwrite a record's stored data in place (no new version: a fresh phone pulls it)."""
    with database.write() as session:
        rec = session.execute(
            select(Record).where(Record.entity == entity, Record.id == record_id)
        ).scalar_one()
        data = dict(rec.data)
        for key, value in changes.items():
            data[key] = {**data[key], **value} if isinstance(value, dict) else value
        rec.data = data


@pytest.mark.parametrize(("changes", "path", "code"), BAD)
def test_a_stored_value_the_phone_cannot_use_is_parked_and_the_sync_goes_on(
    world,  # noqa: F811
    database,
    changes,
    path,
    code,
):
    _url, phone, _console, _admin = world
    writer = phone("wang")
    h1, h2, vid = new_id(), new_id(), new_id()
    writer.save("household", h1, household(household_no="0001"))
    writer.save("visit", vid, visit(h1))
    writer.save("household", h2, household(household_no="0002"))
    writer.sync()
    stored_as_legacy(database, "visit", vid, changes)

    fresh = phone("wang")
    fresh.runner.pull_limit = 1  # the bad record alone on a page, later pages behind it
    result = fresh.sync()
    assert result.unreadable == 1
    state = fresh.store.sync_state.get()
    assert state.last_error is None
    assert state.cursor == writer.store.sync_state.get().cursor  # to the head
    assert {h.id for h in fresh.store.households.list()} == {h1, h2}
    assert fresh.store.visits.get(vid) is None
    [parked] = fresh.store.parked.unreadable()
    assert parked.record_id == vid and code in parked.reason_value["errors"][path]
    assert fresh.sync().unreadable == 0  # the next sync is clean
