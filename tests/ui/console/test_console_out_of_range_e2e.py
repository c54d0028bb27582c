"""Issue 15 point 1 in the browser: a visit stored before the bounds existed (visit_date
9999-12-31, 10**400 litres, a GPS accuracy of 10**400 m) is shown, marked out of range, on
the visit page and in the household timeline (zh and en screenshots) instead of a 500."""

from __future__ import annotations

from typing import Any

import pytest

from shared_schema.schemas.examples import example_visit
from sync_server.extensions import Database
from tests.sync_server.test_console_extreme_values import _store
from tests.ui.console.conftest import shoot, sign_in

pytestmark = pytest.mark.ui


def test_a_legacy_out_of_range_visit_is_shown_and_marked(new_page, world, db_url: Any):
    legacy = example_visit(household_id=world.h1) | {"visit_date": "9999-12-31"}
    legacy["water"] = dict(legacy["water"], quantity_lpd=10**400)
    legacy["gps"] = {"lat": 26.5, "lon": 107.9, "accuracy_m": 10**400}
    database = Database(db_url)
    try:
        _store(database, "visit", world.v1, legacy)
    finally:
        database.dispose()
    page = new_page()
    sign_in(page, "sup", lang="en")
    response = page.goto(f"/console/visits/{world.v1}")
    assert response is not None and response.status == 200
    text = page.inner_text("main")
    assert "9999-12-31 (out of range)" in text
    assert "1e+400 L/person/day (out of range)" in text
    shoot(page, "visit-out-of-range-en")
    page.goto(f"/console/visits/{world.v1}?lang=zh")
    assert "（超出范围）" in page.inner_text("main")
    shoot(page, "visit-out-of-range-zh")
    for path in ("/console/", f"/console/households/{world.h1}", "/console/queue"):
        response = page.goto(path)
        assert response is not None and response.status == 200, path
