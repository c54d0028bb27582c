"""The local store on real SQLite files: migrations, the write path and its outbox, queries."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest

from mobile_app.store import Database, Store, ValidationFailed
from mobile_app.store.migrations import MIGRATIONS, Migration, apply_migrations
from tests.mobile_app.test_store_fixtures import (
    NODE,
    NOW,
    household,
    member,
    new_id,
    open_store,
    visit,
)


@pytest.fixture
def store(tmp_path):
    s = open_store(tmp_path / "phone.sqlite3")
    yield s
    s.close()


def test_database_pragmas_and_migrations(tmp_path):
    db = Database(tmp_path / "a.sqlite3")
    assert db.query_one("PRAGMA journal_mode")[0] == "wal"
    assert db.query_one("PRAGMA foreign_keys")[0] == 1
    assert db.query_one("PRAGMA synchronous")[0] == 2  # FULL
    assert db.schema_version() == max(m.number for m in MIGRATIONS)
    db.close()
    # reopening applies nothing twice
    db = Database(tmp_path / "a.sqlite3")
    assert [r[0] for r in db.query("SELECT number FROM migrations")] == [
        m.number for m in MIGRATIONS
    ]
    db.close()


def test_migrations_registry_applies_only_new_ones(tmp_path):
    conn = sqlite3.connect(tmp_path / "m.sqlite3")
    calls = []
    registry = [
        Migration(1, "one", lambda c: calls.append(1)),
        Migration(2, "two", lambda c: calls.append(2)),
    ]
    assert apply_migrations(conn, registry[:1]) == [1]
    assert apply_migrations(conn, registry) == [2]
    assert apply_migrations(conn, registry) == []
    assert calls == [1, 2]
    conn.close()


def test_transaction_rolls_back_on_error(tmp_path):
    db = Database(tmp_path / "t.sqlite3")
    with pytest.raises(RuntimeError), db.transaction() as conn:
        conn.execute("INSERT INTO meta (key, value) VALUES ('x', '1')")
        raise RuntimeError("boom")
    assert db.query_one("SELECT * FROM meta WHERE key='x'") is None
    db.close()


def test_save_writes_record_and_outbox_in_one_transaction(store):
    hid = new_id()
    saved = store.records.save("household", hid, household(), now=NOW, hlc_node=NODE)
    assert saved.dirty and saved.version is None
    [entry] = store.outbox.pending()
    assert entry.op == "upsert" and entry.base_version is None
    assert entry.data == household()  # a create sends every field
    assert entry.mutation_id is None
    assert entry.hlc.endswith(NODE)


def test_failed_outbox_write_leaves_no_record(store, monkeypatch):
    import mobile_app.store.records as records

    def broken(*a, **k):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(records, "sync_record_outbox", broken)
    with pytest.raises(sqlite3.OperationalError):
        store.records.save("household", new_id(), household(), now=NOW, hlc_node=NODE)
    assert store.db.query_one("SELECT count(*) FROM records")[0] == 0
    assert store.outbox.count() == 0


def test_invalid_record_raises_with_dotted_paths_and_changes_nothing(store):
    with pytest.raises(ValidationFailed) as info:
        store.records.save("household", new_id(), household(head_name=""), now=NOW, hlc_node=NODE)
    assert "head_name" in info.value.errors
    assert store.outbox.count() == 0
    with pytest.raises(ValidationFailed) as info:
        store.records.save("household", "not-a-uuid", household(), now=NOW, hlc_node=NODE)
    assert "id" in info.value.errors


def test_member_needs_a_known_household(store):
    with pytest.raises(ValidationFailed) as info:
        store.records.save("member", new_id(), member(new_id()), now=NOW, hlc_node=NODE)
    assert "household_id" in info.value.errors


def test_repeated_edits_coalesce_into_one_pending_mutation(store):
    hid = new_id()
    store.records.save("household", hid, household(), now=NOW, hlc_node=NODE)
    store.records.save("household", hid, household(phone="13900000002"), now=NOW, hlc_node=NODE)
    [entry] = store.outbox.pending()
    assert entry.data["phone"] == "13900000002"  # still a whole-record create
    assert entry.base_version is None


def test_create_then_delete_before_sync_leaves_nothing(store):
    hid = new_id()
    store.records.save("household", hid, household(), now=NOW, hlc_node=NODE)
    mid = new_id()
    store.records.save("member", mid, member(hid), now=NOW, hlc_node=NODE)
    store.records.delete("household", hid, now=NOW, hlc_node=NODE)
    assert store.outbox.count() == 0
    assert store.records.get("household", hid) is None
    assert store.records.get("member", mid) is None


def test_visit_save_submits_and_discards_its_draft(store):
    hid = new_id()
    store.records.save("household", hid, household(), now=NOW, hlc_node=NODE)
    vid = new_id()
    store.visits.save_draft(vid, hid, {"notes": "半截"}, now=NOW)
    assert [d.id for d in store.visits.drafts(hid)] == [vid]
    assert store.outbox.count() == 1  # a draft is not in the outbox
    saved = store.records.save("visit", vid, visit(hid), now=NOW, hlc_node=NODE)
    assert saved.data["review_status"] == "submitted"
    assert store.visits.drafts(hid) == []
    assert store.outbox.count() == 2
    hh = store.households.get(hid)
    assert hh.last_visit_date == "2026-02-20"
    assert hh.next_visit_due == "2026-05-21"  # not monitored: every 90 days
    assert hh.unsynced


def test_session_client_id_is_stable_and_pin_is_hashed(tmp_path):
    path = tmp_path / "s.sqlite3"
    with Store(path) as s:
        cid = s.session.client_id()
        s.session.set_pin("2468")
        assert s.session.check_pin("2468")
        assert not s.session.check_pin("1357")
        raw = s.db.query_one("SELECT value FROM session WHERE key='pin'")[0]
        assert "2468" not in raw
        with pytest.raises(ValueError):
            s.session.set_pin("12")
    with Store(path) as s:
        assert s.session.client_id() == cid
        assert s.session.check_pin("2468")


def test_config_cache_round_trip(store):
    store.config.save({"rules": {"visit_interval_days": {"none": 60}}, "forms": []}, now=NOW)
    assert store.config.get("rules") == {"visit_interval_days": {"none": 60}}
    assert store.config.fetched_at() is not None
    later = NOW + timedelta(days=1)
    store.config.save({"forms": [{"id": "visit"}]}, now=later)
    assert store.config.get("forms") == [{"id": "visit"}]


def test_shared_schema_errors_come_back_by_dotted_path(store):
    hid = new_id()
    store.records.save("household", hid, household(), now=NOW, hlc_node=NODE)
    bad = visit(hid, income={**visit(hid)["income"], "wage": -5})
    with pytest.raises(ValidationFailed) as info:
        store.records.save("visit", new_id(), bad, now=NOW, hlc_node=NODE)
    assert list(info.value.errors) == ["income.wage"]
    assert store.outbox.count() == 1
    store.records.lang = "en"
    with pytest.raises(ValidationFailed) as info:
        store.records.save(
            "member", new_id(), member(hid, id_number="110105194912310021"), now=NOW, hlc_node=NODE
        )
    assert "id_number" in info.value.errors
    assert all(m.isascii() for m in info.value.errors["id_number"])


def test_a_second_head_is_refused_and_composition_reported(store):
    hid = new_id()
    store.records.save("household", hid, household(), now=NOW, hlc_node=NODE)
    assert "relation" in store.members.composition_errors(hid)  # no head yet
    store.records.save("member", new_id(), member(hid), now=NOW, hlc_node=NODE)
    assert store.members.composition_errors(hid) == {}
    second = member(
        hid, name="李四", id_number="110105198001010032", sex="male", birth_date="1980-01-01"
    )
    with pytest.raises(ValidationFailed) as info:
        store.records.save("member", new_id(), second, now=NOW, hlc_node=NODE)
    assert "relation" in info.value.errors
    spouse = second | {"relation": "spouse"}
    store.records.save("member", new_id(), spouse, now=NOW, hlc_node=NODE)
    assert len(store.members.for_household(hid)) == 2
    assert store.members.for_household(hid)[0].data["relation"] == "head"


def test_risk_count_comes_from_the_shared_rules(store):
    safe, unsafe = new_id(), new_id()
    store.records.save("household", safe, household(), now=NOW, hlc_node=NODE)
    store.records.save(
        "household",
        unsafe,
        household(house_grade="d", household_no="0002"),
        now=NOW,
        hlc_node=NODE,
    )
    for hid in (safe, unsafe):
        store.records.save("member", new_id(), member(hid), now=NOW, hlc_node=NODE)
        store.records.save("visit", new_id(), visit(hid), now=NOW, hlc_node=NODE)
    assert store.households.get(safe).risk_count == 0
    assert store.households.get(unsafe).risk_count >= 1  # HOUSING_UNSAFE
    assert [h.id for h in store.households.list(filters=["risk"])] == [unsafe]
    assert store.households.list(sort="risk")[0].id == unsafe


def test_switching_user_is_refused_with_unsynced_work_and_clears_data_otherwise(store):
    user = {"id": "1", "username": "wang", "role": "worker", "display_name": "王"}
    store.session.save_login(server_url="http://s/", user=user, token="t1", grids=["g-001"])
    assert store.session.get().server_url == "http://s" and store.session.get().logged_in
    hid = new_id()
    store.records.save("household", hid, household(), now=NOW, hlc_node=NODE)
    other = user | {"id": "2", "username": "li"}
    with pytest.raises(PermissionError):
        store.session.save_login(server_url="http://s", user=other, token="t2", grids=[])
    assert store.session.get().user["username"] == "wang"
    with store.db.transaction() as conn:  # as if synced
        conn.execute("DELETE FROM outbox")
        conn.execute("INSERT INTO sync_state VALUES ('cursor', '42')")
        conn.execute("INSERT INTO sync_state VALUES ('next_mutation_id', '9')")
    store.session.save_login(server_url="http://s", user=other, token="t2", grids=[])
    assert store.records.get("household", hid) is None
    state = store.sync_state.get()
    assert state.cursor == 0 and state.next_mutation_id == 9
    store.session.clear_token()
    assert not store.session.get().logged_in


def test_saves_while_a_background_thread_applies_pulled_pages(store):
    import threading

    from mobile_app.store.reconcile import apply_pull_page

    errors: list[BaseException] = []
    pulled = [new_id() for _ in range(600)]

    def pull() -> None:
        try:
            for start in range(0, len(pulled), 50):
                page = [
                    {
                        "entity": "household",
                        "id": hid,
                        "version": start + n + 1,
                        "deleted": False,
                        "data": household(household_no=f"p{start + n:04d}"),
                        "open_conflicts": [],
                    }
                    for n, hid in enumerate(pulled[start : start + 50])
                ]
                apply_pull_page(
                    store.db,
                    {"changes": page, "cursor": start + 50, "has_more": True},
                    now="2026-03-01T00:00:00Z",
                )
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            store.db.close_thread_connection()

    worker = threading.Thread(target=pull)
    worker.start()
    saved = [new_id() for _ in range(40)]
    for n, hid in enumerate(saved):
        store.records.save(
            "household", hid, household(household_no=f"s{n:04d}"), now=NOW, hlc_node=NODE
        )
    worker.join(timeout=60)
    assert not errors
    assert store.households.count() == 640
    assert store.outbox.count() == 40
    assert store.sync_state.get().cursor == 600


def test_new_visit_intervals_move_every_due_date(store):
    from shared_schema.config import config_for, config_to_dict

    hid = new_id()
    store.records.save("household", hid, household(), now=NOW, hlc_node=NODE)
    store.records.save("visit", new_id(), visit(hid), now=NOW, hlc_node=NODE)
    assert store.households.get(hid).next_visit_due == "2026-05-21"  # 90 days
    rules = config_to_dict(config_for(None, 2026))
    rules["visit_interval_days"] = {**rules["visit_interval_days"], "none": 60}
    store.config.save({"rules": rules}, now=NOW)
    assert store.households.get(hid).next_visit_due == "2026-04-21"  # 60 days
