"""Issue 6 end to end: two phones (the real app store and sync runner) against a real server.

Phone A deletes a household; phone B, offline, adds a visit to it. B's visit becomes a
delete-vs-edit conflict (not a refusal) that B's worker sees in plain words (zh and en); the
supervisor restores it and both phones pull the household, its member and the visit back.
"""

from __future__ import annotations

from mobile_app.viewmodels import ReturnedViewModel
from tests.contract.test_sync_contract import NOW, world  # noqa: F401  (the fixture)
from tests.mobile_app.test_store_fixtures import household, member, new_id, visit

SYNC = {"now": lambda: NOW, "spawn": lambda fn: fn(), "post": lambda fn: fn()}


def _deleted_on_a_visited_on_b(world):  # noqa: F811
    _url, phone, console, _admin = world
    a, b = phone("wang"), phone("wang")
    hid, mid, vid = new_id(), new_id(), new_id()
    a.save("household", hid, household())
    a.save("member", mid, member(hid))
    a.sync()
    b.sync()  # B holds the household, then goes offline
    a.store.records.delete("household", hid, now=NOW, hlc_node=a.store.session.client_id())
    a.sync()
    b.save("visit", vid, visit(hid, notes="离线补录"))
    result = b.sync()
    return a, b, console, hid, mid, vid, result


def test_visit_for_a_deleted_household_is_a_conflict_the_worker_sees(world):  # noqa: F811
    _a, b, console, hid, _mid, vid, result = _deleted_on_a_visited_on_b(world)
    assert result.statuses == {"conflict": 1}
    assert b.store.rejected.list() == []
    assert b.store.households.get(hid) is None and b.store.visits.get(vid) is None
    [c] = console.get("/api/v1/conflicts", status="open")["conflicts"]
    assert (c["entity"], c["record_id"], c["field"]) == ("visit", vid, "_deleted")
    assert c["client_data"]["notes"] == "离线补录"
    vm = ReturnedViewModel(b.store, **SYNC)
    vm.refresh()
    [item] = vm.items
    assert item["kind"] == "conflict" and item["household_id"] == hid
    assert "该户已被他人删除" in item["text"] and "2026-02-20" in item["text"]
    vm.lang = "en"
    [item] = vm.items
    assert item["text"].startswith("The household was deleted on another phone")
    assert console.history("visit", vid)[0]["data"]["notes"] == "离线补录"


def test_restore_reaches_both_phones(world):  # noqa: F811
    a, b, console, hid, mid, vid, _result = _deleted_on_a_visited_on_b(world)
    [c] = console.get("/api/v1/conflicts", status="open")["conflicts"]
    console.post(f"/api/v1/conflicts/{c['id']}/resolve", {"value": False})
    for p in (a, b):
        p.sync()
        assert p.store.households.get(hid) is not None
        assert [m.id for m in p.store.members.for_household(hid)] == [mid]
        back = p.store.visits.get(vid)
        assert back is not None and back.data["notes"] == "离线补录"
        assert p.store.conflicts.list() == []
    assert a.store.visits.get(vid).version == b.store.visits.get(vid).version


def test_keep_delete_reaches_both_phones(world):  # noqa: F811
    a, b, console, hid, _mid, vid, _result = _deleted_on_a_visited_on_b(world)
    [c] = console.get("/api/v1/conflicts", status="open")["conflicts"]
    console.post(f"/api/v1/conflicts/{c['id']}/resolve", {"value": True})
    for p in (a, b):
        p.sync()
        assert p.store.households.get(hid) is None and p.store.visits.get(vid) is None
        assert p.store.conflicts.list() == []
