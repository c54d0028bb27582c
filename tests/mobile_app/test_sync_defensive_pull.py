"""Defensive pull (issue 15, point 1, the phone's half): a pulled record the phone cannot
store or compute on is parked with a visible error and the rest of the sync goes on.

A server that took `visit_date` 9999-12-31 or `10**400` in a number used to make every
phone that pulled the record fail its sync on every retry (the page's transaction died in
the rules' date arithmetic). Here the fake server holds such values (written past any
validation, as an older server did), and the real runner, store and client pull them.
"""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="tianye-kivy-home-"))

from typing import Any

import pytest

from mobile_app.store import Store
from mobile_app.store.reconcile import apply_pull_page
from mobile_app.sync import SyncClient, SyncRunner
from tests.mobile_app.test_store_fixtures import NOW, household, new_id, visit
from tests.mobile_app.test_sync_fakeserver import FakeHttpServer, FakeServer
from tests.mobile_app.test_sync_runner import Phone

BAD_VALUES = [
    pytest.param({"visit_date": "9999-12-31"}, "visit_date", "date_out_of_range", id="year-9999"),
    pytest.param({"visit_date": "2024-02-30"}, "visit_date", "date_invalid", id="broken-date"),
    pytest.param({"visit_date": 20240220}, "visit_date", "wrong_type", id="date-as-number"),
    pytest.param(
        {"water": {"quantity_lpd": float("inf")}},
        "water.quantity_lpd",
        "number_not_finite",
        id="1e400",
    ),
    pytest.param(
        {"water": {"quantity_lpd": 10**400}},
        "water.quantity_lpd",
        "number_out_of_range",
        id="10**400",
    ),
    pytest.param(
        {"gps": {"lat": 30.0, "lon": 110.0, "accuracy_m": 10**400}},
        "gps.accuracy_m",
        "number_out_of_range",
        id="gps-accuracy",
    ),
    pytest.param({"income": "很多"}, "income", "wrong_type", id="object-as-text"),
    pytest.param(
        {"water": {"quantity_lpd": "60"}}, "water.quantity_lpd", "wrong_type", id="number-as-text"
    ),
]


@pytest.fixture
def server() -> FakeServer:
    s = FakeServer()
    s.add_user("wang", ["g-001"])
    s.add_user("li", ["g-001"])
    return s


@pytest.fixture
def phones(tmp_path, server):
    made: list[Phone] = []

    def make(user: str = "wang", name: str | None = None, **kw: Any) -> Phone:
        phone = Phone(tmp_path, server, user, name or f"p{len(made)}", **kw)
        made.append(phone)
        return phone

    yield make
    for p in made:
        p.store.close()


def seeded(server: FakeServer, phones: Any) -> tuple[Phone, str, str, str]:
    """A writer phone saves two households and a visit; returns it and their ids."""
    writer = phones("li", name="writer")
    h1, h2, vid = new_id(), new_id(), new_id()
    writer.save("household", h1, household(household_no="0001"))
    writer.save("household", h2, household(household_no="0002"))
    writer.save("visit", vid, visit(h1))
    writer.sync()
    return writer, h1, h2, vid


@pytest.mark.parametrize(("changes", "path", "code"), BAD_VALUES)
def test_a_record_the_phone_cannot_store_is_parked_and_the_sync_goes_on(
    server, phones, changes, path, code
):
    _, h1, h2, vid = seeded(server, phones)
    server.edit("visit", vid, changes)  # written past validation, as an older server did
    later = server.edit("household", h2, {"notes": "之后的修改"})
    phone = phones(pull_limit=2)
    result = phone.sync()  # never raises
    assert result.unreadable == 1
    state = phone.store.sync_state.get()
    assert state.cursor == server.version == later  # the cursor went past the bad record
    assert state.last_error is None
    assert phone.store.households.get(h2).data["notes"] == "之后的修改"  # later ones arrived
    assert phone.store.visits.get(vid) is None  # never stored in a form the phone breaks on
    [parked] = phone.store.parked.unreadable()
    assert (parked.entity, parked.record_id, parked.op) == ("visit", vid, "pulled")
    assert code in parked.reason_value["errors"][path]
    assert parked.base_version == server.get("visit", vid).version
    # the list and the household page still load
    assert {h.id for h in phone.store.households.list(today=NOW.date())} == {h1, h2}
    # the next sync is clean, and a fixed version on the server replaces the parked one
    assert phone.sync().unreadable == 0
    good = visit(h1)
    server.edit("visit", vid, {k: good.get(k) for k in changes})
    phone.sync()
    assert phone.store.visits.get(vid).data["visit_date"] == "2026-02-20"
    assert phone.store.parked.unreadable() == []


def test_a_held_record_keeps_its_last_good_version_and_its_pending_edit(server, phones):
    _, h1, _, vid = seeded(server, phones)
    phone = phones()
    phone.sync()
    mine = visit(h1, notes="本机的修改")
    phone.save("visit", vid, mine)
    server.edit("visit", vid, {"visit_date": "9999-12-31"})
    assert phone.sync().unreadable == 1
    kept = phone.store.visits.get(vid)
    assert kept.data["visit_date"] == "2026-02-20" and kept.data["notes"] == "本机的修改"
    # the worker's edit still reached the server (pushed before the pull)
    assert server.get("visit", vid).data["notes"] == "本机的修改"


def test_a_stored_value_that_breaks_the_rules_does_not_stop_the_page(tmp_path):
    """Before the fix, year 9999 overflowed `next_visit_due` inside the page transaction."""
    store = Store(tmp_path / "s.sqlite3")
    h1 = new_id()
    page = {
        "changes": [
            {"entity": "household", "id": h1, "version": 1, "deleted": False, "data": household()},
            {
                "entity": "visit",
                "id": new_id(),
                "version": 2,
                "deleted": False,
                "data": visit(h1, visit_date="9999-12-31"),
            },
            {"entity": "household", "id": new_id(), "version": 3, "data": household()},
        ],
        "cursor": 3,
        "has_more": False,
    }
    counts = apply_pull_page(store.db, page, now="2026-03-01T08:00:00.000Z")
    assert counts == {"changed": 2, "removed": 0, "deleted": 0, "parked": 1}
    assert store.sync_state.get().cursor == 3
    assert store.households.count() == 2
    store.close()


def test_an_unexpected_failure_parks_that_change_alone(tmp_path, monkeypatch):
    """What the admission check misses is caught per change (a savepoint), not per page."""
    from mobile_app.store.reconcile import pull

    bad = new_id()
    real = pull.write_row

    def failing(conn, entity, record_id, **kw):
        if record_id == bad:
            raise OverflowError("Python int too large to convert to SQLite INTEGER")
        return real(conn, entity, record_id, **kw)

    monkeypatch.setattr(pull, "write_row", failing)
    store = Store(tmp_path / "s.sqlite3")
    good = new_id()
    page = {
        "changes": [
            {"entity": "household", "id": bad, "version": 1, "data": household()},
            {"entity": "household", "id": good, "version": 2, "data": household()},
        ],
        "cursor": 2,
        "has_more": False,
    }
    counts = apply_pull_page(store.db, page, now="2026-03-01T08:00:00.000Z")
    assert counts["parked"] == 1 and counts["changed"] == 1
    assert store.records.get("household", bad) is None
    assert store.households.get(good) is not None
    [parked] = store.parked.unreadable()
    assert parked.record_id == bad
    assert parked.reason_value["errors"]["_record"][0] == "cannot_store"
    assert "OverflowError" in parked.reason_value["errors"]["_record"][1]
    assert store.sync_state.get().cursor == 2
    store.close()


def test_the_client_reads_integers_of_any_length() -> None:
    """`json.loads` itself raises on an integer of more than 4,300 digits; the client reads
    it as a float (inf) so the record is parked instead of the page failing."""
    from mobile_app.sync.client import decode_json

    body = (
        b'{"a": 1'
        + b"0" * 5000
        + b', "b": 12, "c": -'
        + b"9" * 4500
        + b', "d": '
        + b"9" * 400
        + b"}"
    )
    assert decode_json(body) == {"a": float("inf"), "b": 12, "c": float("-inf"), "d": 10**400 - 1}


def test_over_http_integers_of_thousands_of_digits_are_parked(server, phones, tmp_path):
    """The real client over loopback HTTP: a 4,000-digit integer and an Infinity."""
    _, h1, h2, vid = seeded(server, phones)
    server.edit("visit", vid, {"water": {"quantity_lpd": 10**4000}})
    server.edit("household", h2, {"income_note": float("inf"), "notes": "后来"})
    with FakeHttpServer(server) as http, Store(tmp_path / "http.sqlite3") as store:
        client = SyncClient(http.url, server.add_user("wang", ["g-001"]))
        runner = SyncRunner(store, client, now=lambda: NOW, sleep=lambda _s: None)
        result = runner.run()
        assert result.unreadable == 2
        assert store.sync_state.get().cursor == server.version
        assert store.households.get(h1) is not None
        problems = {p.record_id: p.reason_value["errors"] for p in store.parked.unreadable()}
        assert problems[vid] == {"water.quantity_lpd": ["number_not_finite"]}
        assert problems[h2] == {"income_note": ["number_not_finite"]}
        # stored as strict JSON (the outbox export refuses NaN/Infinity)
        raw = store.db.scalar("SELECT data FROM parked WHERE record_id=?", (vid,))
        assert "Infinity" not in raw and "inf" in raw


def test_the_worker_sees_what_was_set_aside_in_zh_and_en(server, phones):
    from mobile_app.viewmodels import ReturnedViewModel, SyncViewModel

    _, _, _, vid = seeded(server, phones)
    server.edit("visit", vid, {"visit_date": "9999-12-31", "water": {"quantity_lpd": 1e400}})
    phone = phones()
    calls = {"now": lambda: NOW, "spawn": lambda fn: fn(), "post": lambda fn: fn()}
    sync_vm = SyncViewModel(phone.store, None, **calls)
    result = phone.sync()
    sync_vm._on_done(result)
    assert "1 条下载的记录无法保存" in sync_vm.error
    vm = ReturnedViewModel(phone.store, **calls)
    vm.refresh()
    [item] = [i for i in vm.items if i["kind"] == "unreadable"]
    assert item["title"] == "无法保存的下载记录"
    assert "走访日期：日期超出范围" in item["text"]
    assert "数值无效" in item["text"]
    assert item["household"].startswith("0001")
    vm.lang = "en"
    [item] = [i for i in vm.items if i["kind"] == "unreadable"]
    assert item["title"] == "Downloaded record that could not be stored"
    assert "date out of range" in item["text"] and "not a finite number" in item["text"]
    assert vm.open(item["key"]) == item  # opening it changes nothing in the store
    sync_vm.lang = "en"
    sync_vm._on_done(result)
    assert "Downloaded records that could not be stored: 1" in sync_vm.error


def test_an_exported_outbox_leaves_pulled_records_out(server, phones, tmp_path):
    from mobile_app.store.export import export_outbox

    _, h1, _, vid = seeded(server, phones)
    server.edit("visit", vid, {"water": {"quantity_lpd": float("inf")}})
    phone = phones()
    phone.sync()
    phone.save("household", h1, household(notes="未同步"))
    done = export_outbox(phone.store, tmp_path / "out.json", now=NOW)
    assert done.mutations == 1 and done.parked == 0
    assert phone.store.records.get("household", h1) is not None
