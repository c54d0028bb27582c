"""Conflicts (list, resolve → next pull), review (approve/return/reject → next pull), history,
admin endpoints and grid reassignment (removed entries), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from tests.sync_server.helpers import (
    create_household,
    household,
    member,
    mutation,
    new_id,
    pull,
    pull_all,
    push,
    visit,
)


@pytest.fixture
def team(seed, client):
    seed.grid("g1", township="t1")
    seed.grid("g2", township="t1")
    seed.grid("g9", township="t9")
    seed.user("wang", grids=["g1"])
    seed.user("li", grids=["g2"])
    seed.user("zhao", role="supervisor", township="t1")
    seed.user("qian", role="supervisor", township="t9")
    seed.user("root", role="admin")
    return {
        "wang": seed.login(client, "wang"),
        "li": seed.login(client, "li"),
        "zhao": seed.login(client, "zhao"),
        "qian": seed.login(client, "qian"),
        "root": seed.login(client, "root"),
    }


def make_conflict(client, seed, wang):
    hid, v1 = create_household(client, wang)
    other = seed.login(client, "wang")
    push(client, wang, mutation(wang, "household", hid, {"phone": "13811112222"}, base_version=v1))
    r = push(
        client, other, mutation(other, "household", hid, {"phone": "13922223333"}, base_version=v1)
    )
    [conflict_id] = r.get_json()["results"][0]["conflicts"]
    return hid, conflict_id


def test_resolve_writes_the_value_everyone_pulls(client, seed, team):
    wang, zhao = team["wang"], team["zhao"]
    hid, conflict_id = make_conflict(client, seed, wang)
    cursor = pull_all(client, wang)["cursor"]
    r = client.post(
        f"/api/v1/conflicts/{conflict_id}/resolve",
        json={"value": "13922223333"},
        headers=zhao.headers,
    )
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["status"] == "resolved" and body["resolved_by"] == "zhao"
    [change] = pull(client, wang, cursor)["changes"]
    assert change["data"]["phone"] == "13922223333" and change["open_conflicts"] == []
    assert change["version"] == body["version"]
    assert client.get("/api/v1/conflicts", headers=zhao.headers).get_json()["conflicts"] == []
    resolved = client.get("/api/v1/conflicts?status=resolved", headers=zhao.headers).get_json()
    assert [c["id"] for c in resolved["conflicts"]] == [conflict_id]
    again = client.post(
        f"/api/v1/conflicts/{conflict_id}/resolve",
        json={"value": "13811112222"},
        headers=zhao.headers,
    )
    assert again.status_code == 409
    history = client.get(f"/api/v1/records/household/{hid}/history", headers=zhao.headers)
    last = history.get_json()["versions"][-1]
    assert last["author"] == "zhao" and last["client_id"] is None and last["mutation_id"] is None


def test_resolve_delete_conflict_with_true_deletes(client, seed, team):
    wang, zhao = team["wang"], team["zhao"]
    hid, v1 = create_household(client, wang)
    other = seed.login(client, "wang")
    push(client, wang, mutation(wang, "household", hid, {"notes": "改"}, base_version=v1))
    r = push(client, other, mutation(other, "household", hid, op="delete", base_version=v1))
    [cid] = r.get_json()["results"][0]["conflicts"]
    bad = client.post(
        f"/api/v1/conflicts/{cid}/resolve", json={"value": "yes"}, headers=zhao.headers
    )
    assert bad.status_code == 422 and "value" in bad.get_json()["errors"]
    ok = client.post(f"/api/v1/conflicts/{cid}/resolve", json={"value": True}, headers=zhao.headers)
    assert ok.status_code == 200
    change = next(c for c in pull_all(client, wang)["changes"] if c["id"] == hid)
    assert change["deleted"] is True


def test_conflict_scope_and_roles(client, seed, team):
    _hid, conflict_id = make_conflict(client, seed, team["wang"])
    own = client.get("/api/v1/conflicts", headers=team["wang"].headers).get_json()["conflicts"]
    assert [c["id"] for c in own] == [conflict_id]
    assert client.get("/api/v1/conflicts", headers=team["li"].headers).get_json()["conflicts"] == []
    assert (
        client.get("/api/v1/conflicts", headers=team["qian"].headers).get_json()["conflicts"] == []
    )
    url = f"/api/v1/conflicts/{conflict_id}/resolve"
    assert client.post(url, json={"value": "x"}, headers=team["wang"].headers).status_code == 403
    assert client.post(url, json={"value": "x"}, headers=team["qian"].headers).status_code == 403
    assert (
        client.post(
            "/api/v1/conflicts/nope/resolve", json={"value": 1}, headers=team["zhao"].headers
        ).status_code
        == 404
    )
    bad_status = client.get("/api/v1/conflicts?status=maybe", headers=team["zhao"].headers)
    assert bad_status.status_code == 422 and "status" in bad_status.get_json()["errors"]


@pytest.mark.parametrize(
    ("action", "status"), [("approve", "approved"), ("return", "returned"), ("reject", "rejected")]
)
def test_review_is_pulled_by_the_worker(client, team, action, status):
    wang, zhao = team["wang"], team["zhao"]
    hid, _ = create_household(client, wang)
    vid = new_id()
    push(client, wang, mutation(wang, "visit", vid, visit(hid)))
    cursor = pull_all(client, wang)["cursor"]
    r = client.post(
        f"/api/v1/visits/{vid}/review",
        json={"action": action, "comment": "请补充收入"},
        headers=zhao.headers,
    )
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["review_status"] == status
    [change] = pull(client, wang, cursor)["changes"]
    assert change["id"] == vid and change["version"] == r.get_json()["version"]
    assert change["data"]["review_status"] == status
    assert change["data"]["review_comment"] == "请补充收入"


def test_returned_visit_can_be_resubmitted(client, team):
    wang, zhao = team["wang"], team["zhao"]
    hid, _ = create_household(client, wang)
    vid = new_id()
    push(client, wang, mutation(wang, "visit", vid, visit(hid)))
    r = client.post(
        f"/api/v1/visits/{vid}/review",
        json={"action": "return", "comment": "补"},
        headers=zhao.headers,
    )
    version = r.get_json()["version"]
    r = push(
        client,
        wang,
        mutation(
            wang,
            "visit",
            vid,
            {"review_status": "submitted", "notes": "已补"},
            base_version=version,
        ),
    )
    assert r.get_json()["results"][0]["status"] == "applied", r.get_json()


def test_review_errors(client, team):
    wang, zhao, qian = team["wang"], team["zhao"], team["qian"]
    hid, _ = create_household(client, wang)
    vid = new_id()
    push(client, wang, mutation(wang, "visit", vid, visit(hid)))
    url = f"/api/v1/visits/{vid}/review"
    assert client.post(url, json={"action": "approve"}, headers=wang.headers).status_code == 403
    assert client.post(url, json={"action": "approve"}, headers=qian.headers).status_code == 403
    missing = client.post(url, json={"action": "return"}, headers=zhao.headers)
    assert missing.status_code == 422 and "comment" in missing.get_json()["errors"]
    unknown = client.post(
        f"/api/v1/visits/{new_id()}/review", json={"action": "approve"}, headers=zhao.headers
    )
    assert unknown.status_code == 404


def test_history_scope_and_unknown(client, team):
    wang, li = team["wang"], team["li"]
    hid, _ = create_household(client, wang)
    assert (
        client.get(f"/api/v1/records/household/{hid}/history", headers=li.headers).status_code
        == 403
    )
    assert (
        client.get(
            f"/api/v1/records/household/{new_id()}/history", headers=wang.headers
        ).status_code
        == 404
    )
    assert (
        client.get(f"/api/v1/records/farm/{hid}/history", headers=wang.headers).status_code == 404
    )


def test_admin_creates_grids_and_users_and_others_may_not(client, seed, team):
    root, zhao = team["root"], team["zhao"]
    grid = {"id": "g3", "name": "三组", "village": "南花村", "township": "t1"}
    assert client.post("/api/v1/admin/grids", json=grid, headers=zhao.headers).status_code == 403
    r = client.post("/api/v1/admin/grids", json=grid, headers=root.headers)
    assert r.status_code == 201 and r.get_json()["id"] == "g3"
    assert client.post("/api/v1/admin/grids", json=grid, headers=root.headers).status_code == 409
    user = {
        "username": "sun",
        "password": "long-enough-1",
        "role": "worker",
        "display_name": "孙",
        "grids": ["g3"],
    }
    r = client.post("/api/v1/admin/users", json=user, headers=root.headers)
    assert r.status_code == 201 and r.get_json()["grids"] == ["g3"]
    assert client.post("/api/v1/admin/users", json=user, headers=root.headers).status_code == 409
    sup = {
        "username": "zhou",
        "password": "long-enough-1",
        "role": "supervisor",
        "display_name": "周",
    }
    r = client.post("/api/v1/admin/users", json=sup, headers=root.headers)
    assert r.status_code == 422 and "township" in r.get_json()["errors"]
    sun = seed.login(client, "sun", "long-enough-1")
    me = client.get("/api/v1/me", headers=sun.headers).get_json()
    assert [g["id"] for g in me["grids"]] == ["g3"] and me["user"]["display_name"] == "孙"
    users = client.get("/api/v1/admin/users", headers=root.headers).get_json()["users"]
    assert {u["username"] for u in users} >= {"sun", "wang", "zhao"}
    grids = client.get("/api/v1/admin/grids", headers=root.headers).get_json()["grids"]
    assert {g["id"]: g["worker"] for g in grids}["g3"] == "sun"


def test_reassignment_removes_from_old_worker_and_gives_to_new(client, team):
    wang, li, root = team["wang"], team["li"], team["root"]
    hid, _ = create_household(client, wang)
    mid = new_id()
    push(client, wang, mutation(wang, "member", mid, member(hid)))
    wang_cursor = pull_all(client, wang)["cursor"]
    li_cursor = pull_all(client, li)["cursor"]
    r = client.post(
        "/api/v1/admin/assignments", json={"grid_id": "g1", "username": "li"}, headers=root.headers
    )
    assert r.status_code == 200 and r.get_json()["records"] == 2
    removed = pull_all(client, wang, wang_cursor)["changes"]
    assert sorted((c["entity"], c["id"], c["removed"]) for c in removed) == sorted(
        [("household", hid, True), ("member", mid, True)]
    )
    assert all(set(c) == {"entity", "id", "removed"} for c in removed)
    gained = pull_all(client, li, li_cursor)["changes"]
    assert {c["id"] for c in gained} == {hid, mid} and not any(c.get("removed") for c in gained)
    # the old worker can no longer write there
    assert (
        push(
            client, wang, mutation(wang, "household", hid, {"notes": "x"}, base_version=1)
        ).status_code
        == 403
    )
    bad = client.post(
        "/api/v1/admin/assignments",
        json={"grid_id": "g1", "username": "zhao"},
        headers=root.headers,
    )
    assert bad.status_code == 422
    unknown = client.post(
        "/api/v1/admin/assignments",
        json={"grid_id": "nope", "username": "li"},
        headers=root.headers,
    )
    assert unknown.status_code == 404


def test_household_moved_within_scope_takes_its_members(client, seed, team):
    zhao, wang, li = team["zhao"], team["wang"], team["li"]
    hid = new_id()
    push(client, zhao, mutation(zhao, "household", hid, household("g1")))
    mid = new_id()
    push(client, zhao, mutation(zhao, "member", mid, member(hid)))
    v = pull_all(client, zhao)["changes"][0]["version"]
    li_cursor = pull_all(client, li)["cursor"]
    wang_cursor = pull_all(client, wang)["cursor"]
    zhao_cursor = pull_all(client, zhao)["cursor"]
    r = push(client, zhao, mutation(zhao, "household", hid, {"grid_id": "g2"}, base_version=v))
    assert r.get_json()["results"][0]["status"] == "applied"
    assert {c["id"] for c in pull_all(client, li, li_cursor)["changes"]} == {hid, mid}
    # the old grid's worker is told to drop the household and its member
    removed = pull_all(client, wang, wang_cursor)["changes"]
    assert sorted((c["entity"], c["id"], c.get("removed")) for c in removed) == sorted(
        [("household", hid, True), ("member", mid, True)]
    )
    # the township's supervisor still sees both grids: moved records, nothing removed
    seen = pull_all(client, zhao, zhao_cursor)["changes"]
    assert {c["id"] for c in seen} == {hid, mid} and not any(c.get("removed") for c in seen)


def test_household_moved_to_another_township_leaves_its_supervisor(client, seed, team):
    root, zhao, qian, li = team["root"], team["zhao"], team["qian"], team["li"]
    hid = new_id()
    push(client, root, mutation(root, "household", hid, household("g2")))
    v = pull_all(client, root)["changes"][0]["version"]
    cursors = {name: pull_all(client, team[name])["cursor"] for name in ("zhao", "qian", "li")}
    r = push(client, root, mutation(root, "household", hid, {"grid_id": "g9"}, base_version=v))
    assert r.get_json()["results"][0]["status"] == "applied"
    for session, name in ((zhao, "zhao"), (li, "li")):
        changes = pull_all(client, session, cursors[name])["changes"]
        assert changes == [{"entity": "household", "id": hid, "removed": True}], name
    gained = pull_all(client, qian, cursors["qian"])["changes"]
    assert [c["id"] for c in gained] == [hid] and not gained[0].get("removed")


def test_admin_publishes_the_rules_config_phones_fetch(client, team):
    root, wang = team["root"], team["wang"]
    current = client.get("/api/v1/config", headers=wang.headers).get_json()
    assert current["version"] == 1 and current["rules"]["monitoring_threshold"] > 0
    assert client.get("/api/v1/admin/config", headers=wang.headers).status_code == 403
    rules = current["rules"] | {
        "monitoring_threshold": current["rules"]["monitoring_threshold"] + 100
    }
    r = client.put("/api/v1/admin/config", json={"rules": rules}, headers=root.headers)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["version"] == 2
    fetched = client.get("/api/v1/config", headers=wang.headers).get_json()
    assert fetched["version"] == 2
    assert (
        fetched["rules"]["monitoring_threshold"] == current["rules"]["monitoring_threshold"] + 100
    )
    bad = client.put(
        "/api/v1/admin/config",
        json={"rules": rules | {"no_such_key": 1}},
        headers=root.headers,
    )
    assert bad.status_code == 422 and "rules.no_such_key" in bad.get_json()["errors"]
    after = client.get("/api/v1/config", headers=wang.headers).get_json()
    assert after == fetched


def test_household_in_an_unknown_grid_is_rejected(client, team):
    root = team["root"]
    r = push(client, root, mutation(root, "household", new_id(), household("no-such-grid")))
    result = r.get_json()["results"][0]
    assert result["status"] == "rejected" and "grid_id" in result["errors"]
    r = push(client, team["wang"], mutation(team["wang"], "household", new_id(), household("nope")))
    assert r.status_code == 403
