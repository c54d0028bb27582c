"""Issue 6: a member or visit saved offline for a household another phone deleted becomes a
delete-vs-edit conflict the supervisor resolves, not a rejection (SQLite and PostgreSQL).

Phone A creates a household with a member and a visit, then deletes the household; the phone
deletes its children with it, stamped with one HLC (as `mobile_app.store.records.delete`
does). Phone B, offline since before the delete, adds a visit (and a member)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sync_server.services import conflicts as conflict_service
from sync_server.services import sync as sync_service
from sync_server.services.identity import authenticate
from tests.sync_server.helpers import (
    household,
    member,
    mutation,
    new_id,
    pull_all,
    push,
    visit,
)

DELETE_HLC = "0001700000100000-0000-phone-a"


@pytest.fixture
def team(seed, client):
    seed.grid("g1", township="t1")
    seed.grid("g2", township="t1")
    seed.user("wang", grids=["g1"])
    seed.user("li", grids=["g2"])
    seed.user("zhao", role="supervisor", township="t1")
    return {
        "a": seed.login(client, "wang"),
        "b": seed.login(client, "wang"),
        "li": seed.login(client, "li"),
        "zhao": seed.login(client, "zhao"),
    }


def _ok(response):
    assert response.status_code == 200, response.get_json()
    return response.get_json()["results"]


def deleted_household(client, a, grid_id="g1"):
    """A household with a member and two visits, deleted from phone A the way the app does:
    the member, one visit and the household in one action (one HLC); the other visit was
    deleted earlier on its own. Returns the ids."""
    hid, mid, v_with, v_alone = new_id(), new_id(), new_id(), new_id()
    created = _ok(
        push(
            client,
            a,
            mutation(a, "household", hid, household(grid_id)),
            mutation(a, "member", mid, member(hid)),
            mutation(a, "visit", v_with, visit(hid)),
            mutation(a, "visit", v_alone, visit(hid, visit_date="2024-04-01")),
        )
    )
    versions = [r["version"] for r in created]
    alone = mutation(a, "visit", v_alone, op="delete", base_version=versions[3])
    alone["hlc"] = "0001700000050000-0000-phone-a"
    together = [
        mutation(a, "member", mid, op="delete", base_version=versions[1]),
        mutation(a, "visit", v_with, op="delete", base_version=versions[2]),
        mutation(a, "household", hid, op="delete", base_version=versions[0]),
    ]
    for m in together:
        m["hlc"] = DELETE_HLC
    results = _ok(push(client, a, alone, *together))
    assert [r["status"] for r in results] == ["applied"] * 4
    return {"household": hid, "member": mid, "visit_with": v_with, "visit_alone": v_alone}


def test_visit_for_a_deleted_household_is_a_conflict_not_a_rejection(client, team):
    a, b, zhao = team["a"], team["b"], team["zhao"]
    ids = deleted_household(client, a)
    vid = new_id()
    data = visit(ids["household"], notes="补录的走访")
    m = mutation(b, "visit", vid, data)
    [result] = _ok(push(client, b, m))
    assert result["status"] == "conflict" and result["errors"] == {}
    assert result["version"] is not None and len(result["conflicts"]) == 1
    [cid] = result["conflicts"]

    # Exactly once: the same mutation again repeats the result and opens nothing new.
    assert _ok(push(client, b, m)) == [result]
    listed = client.get("/api/v1/conflicts", headers=zhao.headers).get_json()["conflicts"]
    assert [c["id"] for c in listed] == [cid]
    [c] = listed
    assert (c["entity"], c["record_id"], c["field"]) == ("visit", vid, "_deleted")
    assert (c["base_value"], c["server_value"], c["client_value"]) == (False, True, False)
    assert c["client_data"] == data and c["mutation_id"] == m["mutation_id"]
    # The worker sees it too (their grid).
    mine = client.get("/api/v1/conflicts", headers=b.headers).get_json()["conflicts"]
    assert [x["id"] for x in mine] == [cid]

    # Pull: the child is there as deleted (it follows its household), with its open conflict.
    change = next(x for x in pull_all(client, b)["changes"] if x["id"] == vid)
    assert change["deleted"] is True and change["open_conflicts"] == ["_deleted"]
    assert change["data"]["notes"] == "补录的走访"
    assert change["data"]["review_status"] == "submitted"
    hh = next(x for x in pull_all(client, a)["changes"] if x["id"] == ids["household"])
    assert hh["deleted"] is True

    # History keeps the submitted data.
    history = client.get(f"/api/v1/records/visit/{vid}/history", headers=zhao.headers)
    [entry] = history.get_json()["versions"]
    assert entry["deleted"] is True and entry["data"]["notes"] == "补录的走访"
    assert entry["client_id"] == b.client_id and entry["mutation_id"] == m["mutation_id"]


def test_restore_brings_back_household_its_children_and_the_visit(client, team):
    a, b, zhao = team["a"], team["b"], team["zhao"]
    ids = deleted_household(client, a)
    cursors = {k: pull_all(client, team[k])["cursor"] for k in ("a", "b")}
    vid = new_id()
    [result] = _ok(push(client, b, mutation(b, "visit", vid, visit(ids["household"]))))
    [cid] = result["conflicts"]
    r = client.post(f"/api/v1/conflicts/{cid}/resolve", json={"value": False}, headers=zhao.headers)
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["status"] == "resolved" and body["resolved_value"] is False
    for phone in ("a", "b"):
        changes = {x["id"]: x for x in pull_all(client, team[phone], cursors[phone])["changes"]}
        hh, mem, back = changes[ids["household"]], changes[ids["member"]], changes[vid]
        assert not hh["deleted"] and not mem["deleted"] and not back["deleted"]
        assert not changes[ids["visit_with"]]["deleted"]  # deleted by the same action
        assert ids["visit_alone"] not in changes  # deleted on its own earlier: stays deleted
        assert back["open_conflicts"] == [] and back["version"] == body["version"]
        # The household comes first, so a phone never holds a child without its household.
        assert hh["version"] < mem["version"] < back["version"]
        assert back["data"]["household_id"] == ids["household"]
    assert client.get("/api/v1/conflicts", headers=zhao.headers).get_json()["conflicts"] == []
    versions = client.get(
        f"/api/v1/records/household/{ids['household']}/history", headers=zhao.headers
    ).get_json()["versions"]
    assert [v["deleted"] for v in versions] == [False, True, False]
    assert versions[-1]["author"] == "zhao"


def test_keep_delete_leaves_everything_deleted(client, team):
    a, b, zhao = team["a"], team["b"], team["zhao"]
    ids = deleted_household(client, a)
    cursor = pull_all(client, b)["cursor"]
    vid = new_id()
    [result] = _ok(push(client, b, mutation(b, "visit", vid, visit(ids["household"]))))
    [cid] = result["conflicts"]
    r = client.post(f"/api/v1/conflicts/{cid}/resolve", json={"value": True}, headers=zhao.headers)
    assert r.status_code == 200, r.get_json()
    changes = {x["id"]: x for x in pull_all(client, b, cursor)["changes"]}
    assert changes[vid]["deleted"] is True and changes[vid]["open_conflicts"] == []
    assert ids["household"] not in changes and ids["member"] not in changes
    resolved = client.get("/api/v1/conflicts?status=resolved", headers=zhao.headers)
    assert [c["id"] for c in resolved.get_json()["conflicts"]] == [cid]
    history = client.get(f"/api/v1/records/visit/{vid}/history", headers=zhao.headers)
    assert [v["deleted"] for v in history.get_json()["versions"]] == [True]


def test_edit_of_a_surviving_child_of_a_deleted_household_is_a_conflict(client, team):
    """A visit phone A never saw survives A's household delete; an edit of it from phone B
    is edit vs delete too: the visit follows its household, the edit waits in the conflict."""
    a, b, zhao = team["a"], team["b"], team["zhao"]
    hid, vid = new_id(), new_id()
    [h] = _ok(push(client, a, mutation(a, "household", hid, household())))
    [v] = _ok(push(client, b, mutation(b, "visit", vid, visit(hid))))
    _ok(push(client, a, mutation(a, "household", hid, op="delete", base_version=h["version"])))
    edit = mutation(b, "visit", vid, {"notes": "复核"}, base_version=v["version"])
    [result] = _ok(push(client, b, edit))
    assert result["status"] == "conflict"
    [cid] = result["conflicts"]
    change = next(x for x in pull_all(client, b)["changes"] if x["id"] == vid)
    assert change["deleted"] is True and change["data"].get("notes") != "复核"
    r = client.post(f"/api/v1/conflicts/{cid}/resolve", json={"value": False}, headers=zhao.headers)
    assert r.status_code == 200, r.get_json()
    changes = {x["id"]: x for x in pull_all(client, a)["changes"]}
    assert changes[vid]["data"]["notes"] == "复核" and not changes[vid]["deleted"]
    assert not changes[hid]["deleted"]


def test_invalid_visit_for_a_deleted_household_is_still_rejected(client, team):
    ids = deleted_household(client, team["a"])
    b = team["b"]
    # Ends before it starts: a cross-field rule of the whole record.
    bad = visit(
        ids["household"],
        started_at="2024-05-20T12:00:00+08:00",
        ended_at="2024-05-20T09:00:00+08:00",
    )
    [result] = _ok(push(client, b, mutation(b, "visit", new_id(), bad)))
    assert result["status"] == "rejected" and result["errors"]


def test_unknown_household_is_still_rejected(client, team):
    b = team["b"]
    [result] = _ok(push(client, b, mutation(b, "visit", new_id(), visit(new_id()))))
    assert result["status"] == "rejected" and "household_id" in result["errors"]
    [result] = _ok(push(client, b, mutation(b, "member", new_id(), member(new_id()))))
    assert result["status"] == "rejected" and "household_id" in result["errors"]


def test_deleted_household_outside_the_scope_is_still_403(client, team, seed):
    li, b = team["li"], team["b"]
    ids = deleted_household(client, li, grid_id="g2")
    before = client.get("/api/v1/me", headers=b.headers).get_json()
    m = mutation(b, "visit", new_id(), visit(ids["household"]))
    r = push(client, b, m)
    assert r.status_code == 403 and "mutations.0" in r.get_json()["errors"]
    after = client.get("/api/v1/me", headers=b.headers).get_json()
    assert after["last_mutation_id"] == before["last_mutation_id"]
    zhao = team["zhao"]
    assert client.get("/api/v1/conflicts", headers=zhao.headers).get_json()["conflicts"] == []


def test_services_member_and_visit_of_a_deleted_household(client, team, database):
    """The same through the services: a member and a visit in one batch, two conflicts;
    restoring one brings the household back; the other is then restored on its own."""
    a, b = team["a"], team["b"]
    ids = deleted_household(client, a)
    now = datetime.now(UTC)
    worker = authenticate(database, b.token, now)
    supervisor = authenticate(database, team["zhao"].token, now)
    assert worker is not None and supervisor is not None
    mid, vid = new_id(), new_id()
    batch = [
        mutation(b, "member", mid, member(ids["household"], name="新成员", relation="child")),
        mutation(b, "visit", vid, visit(ids["household"])),
    ]
    outcome = sync_service.push(database, worker, b.client_id, batch, lang="en", now=now)
    assert [r["status"] for r in outcome.results] == ["conflict", "conflict"]
    first, second = (r["conflicts"][0] for r in outcome.results)
    open_rows = conflict_service.list_conflicts(database, supervisor)
    assert {c["id"] for c in open_rows} == {first, second}
    done = conflict_service.resolve(database, supervisor, first, False, lang="en", now=now)
    assert done["status"] == "resolved"
    remaining = conflict_service.list_conflicts(database, supervisor)
    assert [c["id"] for c in remaining] == [second]
    conflict_service.resolve(database, supervisor, second, False, lang="en", now=now)
    changes = {x["id"]: x for x in pull_all(client, a)["changes"]}
    assert not changes[ids["household"]]["deleted"]
    assert not changes[mid]["deleted"] and changes[mid]["data"]["name"] == "新成员"
    assert not changes[vid]["deleted"]
