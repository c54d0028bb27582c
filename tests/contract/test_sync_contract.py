"""The real SyncRunner against a real `python -m sync_server serve` on loopback.

Every test runs on SQLite and on PostgreSQL (the `live_server` fixture of tests/conftest.py).
Users and grids are seeded through the server's services; supervisor actions go over HTTP.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from mobile_app.store import Store
from mobile_app.sync import SyncClient, SyncRunner
from tests.contract.proxy import Cut, CuttingProxy
from tests.mobile_app.test_store_fixtures import household, member, new_id, visit

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


class Phone:
    """A phone: its own SQLite file, signed in over HTTP like the app does."""

    def __init__(self, path: Path, url: str, username: str, password: str) -> None:
        self.store = Store(path)
        self.client = SyncClient()
        answer = self.client.login(
            url, username, password, self.store.session.client_id(), f"{username} 的手机"
        )
        self.store.session.save_login(
            server_url=url, user=answer["user"], token=answer["token"], grids=answer["grids"]
        )
        self.sleeps: list[float] = []
        self.runner = SyncRunner(
            self.store,
            self.client,
            now=lambda: NOW,
            sleep=self.sleeps.append,
            random=lambda: 0.0,
        )

    def save(self, entity: str, rid: str, data: dict[str, Any]) -> None:
        self.store.records.save(entity, rid, data, now=NOW, hlc_node=self.store.session.client_id())

    def sync(self):
        return self.runner.run()

    def close(self) -> None:
        self.store.close()
        self.client.session.close()


class Console:
    """A supervisor (or admin) talking to the server's API directly."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, path: str, **params: Any) -> Any:
        r = requests.get(self.url + path, headers=self.headers, params=params, timeout=30)
        assert r.status_code == 200, r.text
        return r.json()

    def post(self, path: str, body: dict[str, Any]) -> Any:
        r = requests.post(self.url + path, headers=self.headers, json=body, timeout=30)
        assert r.status_code == 200, r.text
        return r.json()

    def history(self, entity: str, rid: str) -> list[dict[str, Any]]:
        return self.get(f"/api/v1/records/{entity}/{rid}/history")["versions"]


@pytest.fixture
def world(live_server, seed, tmp_path):
    seed.grid("g-001", township="t1")
    seed.grid("g-002", township="t1")
    seed.user("wang", grids=["g-001"])  # one worker per grid: "two devices" are two phones
    seed.user("zhao", grids=["g-002"])
    seed.user("sup", role="supervisor", township="t1")
    seed.user("root", role="admin")
    phones: list[Phone] = []

    def phone(username: str) -> Phone:
        p = Phone(
            tmp_path / f"{username}-{len(phones)}.sqlite3", live_server, username, seed.password
        )
        phones.append(p)
        return p

    console = Console(live_server, seed.login(live_server, "sup").token)
    admin = Console(live_server, seed.login(live_server, "root").token)
    yield live_server, phone, console, admin
    for p in phones:
        p.close()


def test_offline_work_reaches_the_server_and_a_second_phone(world):
    _url, phone, console, _admin = world
    a, b = phone("wang"), phone("wang")
    hid, mid, vid = new_id(), new_id(), new_id()
    a.save("household", hid, household())
    a.save("member", mid, member(hid))
    a.save("visit", vid, visit(hid))
    result = a.sync()
    assert result.statuses == {"applied": 3} and result.pending == 0
    assert a.store.config.get("rules") and a.store.config.get("enums")
    assert a.store.config.rules_config().monitoring_threshold > 0  # the server's config parses
    [v1] = console.history("household", hid)
    assert v1["data"] == household() | {"registration": "field_new"}  # set by the server
    assert v1["client_id"] == a.store.session.client_id() and v1["mutation_id"] == 1
    assert console.history("visit", vid)[-1]["data"]["review_status"] == "submitted"
    b.sync()
    assert b.store.households.get(hid).data == a.store.households.get(hid).data
    assert [m.id for m in b.store.members.for_household(hid)] == [mid]
    assert b.store.visits.get(vid).version == a.store.visits.get(vid).version
    assert not a.store.households.get(hid).unsynced


def test_two_phones_merge_different_fields_and_conflict_on_the_same(world):
    _url, phone, console, _admin = world
    a, b = phone("wang"), phone("wang")
    hid = new_id()
    a.save("household", hid, household())
    a.sync()
    b.sync()
    # different fields: merged
    a.save("household", hid, household(phone="13911111111"))
    b.save("household", hid, household(address="新地址 8 号"))
    a.sync()
    assert b.sync().statuses == {"merged": 1}
    a.sync()
    # the server marked the household new from the field; a save keeps that (server-owned)
    merged = household(phone="13911111111", address="新地址 8 号", registration="field_new")
    assert a.store.households.get(hid).data == merged == b.store.households.get(hid).data
    # the same field: a conflict, nothing lost, both phones told
    a.save("household", hid, merged | {"notes": "甲的备注"})
    b.save("household", hid, merged | {"notes": "乙的备注"})
    a.sync()
    assert b.sync().statuses == {"conflict": 1}
    a.sync()
    [conflict] = console.get("/api/v1/conflicts", status="open")["conflicts"]
    assert conflict["client_value"] == "乙的备注" and conflict["server_value"] == "甲的备注"
    for p in (a, b):
        hh = p.store.households.get(hid)
        assert hh.data["notes"] == "甲的备注" and hh.has_conflict
        [notice] = p.store.conflicts.list(household_id=hid)
        assert notice.field == "notes" and notice.detail["client_value"] == "乙的备注"
    console.post(f"/api/v1/conflicts/{conflict['id']}/resolve", {"value": "乙的备注"})
    a.sync()
    b.sync()
    for p in (a, b):
        hh = p.store.households.get(hid)
        assert hh.data["notes"] == "乙的备注" and not hh.has_conflict
        assert p.store.conflicts.list(household_id=hid) == []


def test_supervisor_return_reaches_the_phone_and_resubmission_answers_it(world):
    _url, phone, console, _admin = world
    a = phone("wang")
    hid, vid = new_id(), new_id()
    a.save("household", hid, household())
    a.save("member", new_id(), member(hid))
    a.save("visit", vid, visit(hid))
    a.sync()
    console.post(f"/api/v1/visits/{vid}/review", {"action": "return", "comment": "收入请核实"})
    a.sync()
    [notice] = a.store.conflicts.list()
    assert notice.kind == "returned" and notice.detail["comment"] == "收入请核实"
    assert [h.id for h in a.store.households.list(filters=["returned"])] == [hid]
    fixed = visit(hid, income={**visit(hid)["income"], "wage": 9000})
    a.save("visit", vid, fixed)
    a.sync()
    latest = console.history("visit", vid)[-1]["data"]
    assert latest["review_status"] == "submitted" and latest["income"]["wage"] == 9000
    assert a.store.conflicts.list() == []


def test_out_of_scope_is_parked_and_a_reassigned_grid_leaves_the_phone(world):
    _url, phone, _console, admin = world
    a = phone("wang")
    inside, outside = new_id(), new_id()
    a.save("household", outside, household(grid_id="g-002", household_no="0009"))
    a.save("household", inside, household())
    result = a.sync()
    assert result.parked == 1 and result.statuses == {"applied": 1}
    assert [p.record_id for p in a.store.parked.list()] == [outside]
    me = a.client.me()
    assert me["last_mutation_id"] == 1  # the parked id was reused
    admin.post("/api/v1/admin/assignments", {"grid_id": "g-001", "username": "zhao"})
    a.save("household", inside, household(notes="移交前的修改"))
    a.runner.pull()
    assert a.store.households.count() == 0
    assert any(p.data == {"notes": "移交前的修改"} for p in a.store.parked.list())


def test_push_dropped_at_any_byte_is_retried_and_applied_exactly_once(world):
    url, phone, console, _admin = world
    host, port = url.removeprefix("http://").split(":")
    with CuttingProxy(host, int(port)) as proxy:
        a = phone("wang")
        a.client.base_url = proxy.url
        records: list[str] = []
        for n, cut in enumerate(
            [Cut("up", 30), Cut("up", 400), Cut("down", 0), Cut("down", 15), Cut("down", 200)]
        ):
            hid = new_id()
            a.save("household", hid, household(household_no=f"{n:04d}"))
            a.save("member", new_id(), member(hid))
            for earlier in records:
                a.save("household", earlier, household(notes=f"第 {n} 次修改"))
            records.append(hid)
            proxy.cuts.append(cut)
            before = len(a.sleeps)
            a.sync()
            assert proxy.cuts_done == n + 1 and len(a.sleeps) == before + 1, cut
            assert a.store.outbox.count() == 0
        # every edit exactly once: one version per create and per later edit
        for index, hid in enumerate(records):
            edits = len(records) - 1 - index
            assert len(console.history("household", hid)) == 1 + edits, index
        assert a.client.me()["last_mutation_id"] == a.store.sync_state.get().last_mutation_id
        assert all(not h.unsynced for h in a.store.households.list())


def test_expired_token_stops_sync_without_losing_anything(world):
    _url, phone, _console, _admin = world
    a = phone("wang")
    hid = new_id()
    a.save("household", hid, household())
    a.client.token = "not-a-token-" + uuid.uuid4().hex
    from mobile_app.sync import AuthExpired

    with pytest.raises(AuthExpired):
        a.sync()
    assert a.store.outbox.count() == 1
    assert a.store.sync_state.get().last_error


def test_gap_409_from_the_real_server_is_recovered(world):
    _url, phone, console, _admin = world
    a = phone("wang")
    first, second = new_id(), new_id()
    a.save("household", first, household())
    a.sync()
    a.save("household", second, household(household_no="0002"))
    with a.store.db.transaction() as conn:  # ids ran ahead (e.g. a restored backup)
        conn.execute("INSERT OR REPLACE INTO sync_state VALUES ('next_mutation_id', '9')")
    a.sync()
    assert a.client.me()["last_mutation_id"] == 2
    assert console.history("household", second)[0]["mutation_id"] == 2


CRASH_CHILD = """
import os, sys
from datetime import UTC, datetime
from mobile_app.store import Store, crashpoints
from mobile_app.sync import SyncClient, SyncRunner

path, url, token, point = sys.argv[1:5]
crashpoints.hook = lambda name: os._exit(77) if name == point else None
store = Store(path)
SyncRunner(store, SyncClient(url, token), now=lambda: datetime(2026, 3, 1, tzinfo=UTC),
           sleep=lambda s: None).run()
os._exit(0)
"""


def test_app_killed_mid_push_against_the_real_server_converges_exactly_once(world):
    import subprocess
    import sys

    url, phone, console, _admin = world
    a = phone("wang")
    token, path = a.client.token, a.store.db.path
    a.close()
    created: list[str] = []
    for point in ("push.numbered", "push.sent", "push.result"):
        with Store(path) as store:
            for _n in range(3):
                hid = new_id()
                store.records.save(
                    "household",
                    hid,
                    household(household_no=f"{len(created):04d}"),
                    now=NOW,
                    hlc_node="phone",
                )
                store.records.save("member", new_id(), member(hid), now=NOW, hlc_node="phone")
                created.append(hid)
        proc = subprocess.run(
            [sys.executable, "-c", CRASH_CHILD, str(path), url, token, point],
            cwd=Path(__file__).resolve().parents[2],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 77, (point, proc.stderr)
        with Store(path) as store:
            SyncRunner(store, SyncClient(url, token), now=lambda: NOW, sleep=lambda s: None).run()
            assert store.outbox.count() == 0, point
            assert SyncClient(url, token).me()["last_mutation_id"] == 2 * len(created)
            for hid in created:
                [only] = console.history("household", hid)  # applied exactly once
                assert only["data"] == store.households.get(hid).data


def test_pull_dropped_mid_page_resumes_from_the_saved_cursor(world):
    url, phone, _console, _admin = world
    writer = phone("wang")
    for n in range(5):
        writer.save("household", new_id(), household(household_no=f"{n:04d}"))
    writer.sync()
    host, port = url.removeprefix("http://").split(":")
    with CuttingProxy(host, int(port)) as proxy:
        reader = phone("wang")
        reader.client.base_url = proxy.url
        reader.runner.pull_limit = 2
        for after in (0, 120):
            proxy.cuts.append(Cut("down", after, marker=b"GET /api/v1/sync/pull"))
        reader.sync()
        assert proxy.cuts_done == 2 and len(reader.sleeps) == 2
    assert reader.store.households.count() == 5
    assert reader.store.sync_state.get().cursor == writer.store.sync_state.get().cursor
