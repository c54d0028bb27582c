"""The phone refuses what the server refuses (PROTOCOL.md "Values the server accepts"): the
store's shared validator bounds dates by the device's date and refuses control and
bidirectional-control characters, with the shared schema's messages."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mobile_app.store import ValidationFailed
from tests.mobile_app.test_store_fixtures import NODE, NOW, household, new_id, open_store, visit


@pytest.fixture
def store(tmp_path):
    s = open_store(tmp_path / "phone.sqlite3")
    yield s
    s.close()


def test_a_visit_dated_after_tomorrow_is_refused_and_nothing_is_saved(store):
    hid = new_id()
    store.records.save("household", hid, household(), now=NOW, hlc_node=NODE)
    today = NOW.astimezone().date()
    tomorrow = (today + timedelta(days=1)).isoformat()
    store.records.save("visit", new_id(), visit(hid, visit_date=tomorrow), now=NOW, hlc_node=NODE)
    later = (today + timedelta(days=2)).isoformat()
    vid = new_id()
    for day in (later, "9999-12-31", "1999-12-31"):
        with pytest.raises(ValidationFailed) as refused:
            store.records.save("visit", vid, visit(hid, visit_date=day), now=NOW, hlc_node=NODE)
        assert list(refused.value.errors) == ["visit_date"]
        assert "走访日期不能" in refused.value.errors["visit_date"][0]
    assert store.records.get("visit", vid) is None


@pytest.mark.parametrize("name", ["李\u202e四", "李\x1b四", "李\x85四"])
def test_control_characters_in_a_name_are_refused(store, name):
    with pytest.raises(ValidationFailed) as refused:
        store.records.save("household", new_id(), household(head_name=name), now=NOW, hlc_node=NODE)
    assert list(refused.value.errors) == ["head_name"]
