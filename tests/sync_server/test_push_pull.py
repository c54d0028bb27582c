"""Push and pull end to end on SQLite and PostgreSQL: create, update, merge, conflicts,
deletes, rejection, exactly-once, gaps, paging, tombstones and scope."""

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
)


@pytest.fixture
def wang(seed, client):
    seed.grid("g1", township="t1")
    seed.grid("g2", township="t1")
    seed.user("wang", grids=["g1"])
    seed.user("li", grids=["g2"])
    return seed.login(client, "wang")


def test_create_then_pull_returns_whole_record(client, wang):
    hid, version = create_household(client, wang)
    body = pull(client, wang)
    assert body["cursor"] == version and body["has_more"] is False
    assert body["last_mutation_id"] == 1
    [change] = body["changes"]
    assert change["id"] == hid and change["version"] == version and change["deleted"] is False
    sent = household("g1", household_no=change["data"]["household_no"])
    assert change["data"] == sent | {"registration": "field_new"}  # server-owned, set on create
    assert change["open_conflicts"] == []


def test_update_on_current_base_is_applied_and_kept_in_history(client, wang):
    hid, v1 = create_household(client, wang)
    r = push(
        client, wang, mutation(wang, "household", hid, {"phone": "13811112222"}, base_version=v1)
    )
    result = r.get_json()["results"][0]
    assert result["status"] == "applied" and result["version"] > v1
    history = client.get(f"/api/v1/records/household/{hid}/history", headers=wang.headers)
    versions = history.get_json()["versions"]
    assert [v["version"] for v in versions] == [v1, result["version"]]
    assert versions[1]["changed_fields"] == ["phone"]
    assert versions[1]["data"]["phone"] == "13811112222"
    assert versions[1]["author"] == "wang" and versions[1]["client_id"] == wang.client_id
    assert versions[1]["mutation_id"] == 2 and versions[0]["data"]["phone"] != "13811112222"


def test_disjoint_edits_on_same_base_merge(client, seed, wang):
    hid, v1 = create_household(client, wang)
    other = seed.login(client, "wang")
    r1 = push(
        client, wang, mutation(wang, "household", hid, {"phone": "13811112222"}, base_version=v1)
    )
    assert r1.get_json()["results"][0]["status"] == "applied"
    r2 = push(
        client, other, mutation(other, "household", hid, {"notes": "修好了屋顶"}, base_version=v1)
    )
    result = r2.get_json()["results"][0]
    assert result["status"] == "merged" and result["conflicts"] == []
    [change] = pull(client, wang)["changes"]
    assert change["data"]["phone"] == "13811112222" and change["data"]["notes"] == "修好了屋顶"


def test_same_field_edits_conflict_and_keep_every_value(client, seed, wang):
    hid, v1 = create_household(client, wang)
    other = seed.login(client, "wang")
    push(client, wang, mutation(wang, "household", hid, {"phone": "13811112222"}, base_version=v1))
    r = push(
        client,
        other,
        mutation(other, "household", hid, {"phone": "13922223333", "notes": "x"}, base_version=v1),
    )
    result = r.get_json()["results"][0]
    assert result["status"] == "conflict" and len(result["conflicts"]) == 1
    [change] = pull(client, wang)["changes"]
    assert change["data"]["phone"] == "13811112222"  # the server keeps its value for now
    assert change["data"]["notes"] == "x"  # the non-conflicting field is applied
    assert change["open_conflicts"] == ["phone"]
    supervisor = seed.user("zhao", role="supervisor", township="t1")
    assert supervisor["role"] == "supervisor"
    boss = seed.login(client, "zhao")
    [conflict] = client.get("/api/v1/conflicts", headers=boss.headers).get_json()["conflicts"]
    assert conflict["id"] == result["conflicts"][0]
    assert (conflict["base_value"], conflict["server_value"], conflict["client_value"]) == (
        household()["phone"],
        "13811112222",
        "13922223333",
    )
    assert conflict["author"] == "wang" and conflict["client_id"] == other.client_id
    assert conflict["mutation_id"] == 1 and conflict["status"] == "open"


def test_delete_vs_edit_is_a_conflict_not_a_silent_winner(client, seed, wang):
    hid, v1 = create_household(client, wang)
    other = seed.login(client, "wang")
    push(client, wang, mutation(wang, "household", hid, {"phone": "13811112222"}, base_version=v1))
    r = push(client, other, mutation(other, "household", hid, op="delete", base_version=v1))
    result = r.get_json()["results"][0]
    assert result["status"] == "conflict"
    [change] = pull(client, wang)["changes"]
    assert change["deleted"] is False and change["open_conflicts"] == ["_deleted"]


def test_edit_vs_delete_is_a_conflict_and_record_stays_deleted(client, seed, wang):
    hid, v1 = create_household(client, wang)
    other = seed.login(client, "wang")
    r = push(client, wang, mutation(wang, "household", hid, op="delete", base_version=v1))
    assert r.get_json()["results"][0]["status"] == "applied"
    r = push(
        client, other, mutation(other, "household", hid, {"phone": "13811112222"}, base_version=v1)
    )
    result = r.get_json()["results"][0]
    assert result["status"] == "conflict"
    [change] = pull(client, wang)["changes"]
    assert change["deleted"] is True and change["open_conflicts"] == ["_deleted"]


def test_delete_on_current_base_is_a_tombstone(client, wang):
    hid, v1 = create_household(client, wang)
    r = push(client, wang, mutation(wang, "household", hid, op="delete", base_version=v1))
    result = r.get_json()["results"][0]
    assert result["status"] == "applied" and result["version"] > v1
    body = pull(client, wang, cursor=v1)
    [change] = body["changes"]
    assert change["deleted"] is True and change["version"] == result["version"]
    assert change["data"]["head_name"] == household()["head_name"]


def test_rejected_mutation_does_not_block_the_batch_and_consumes_its_id(client, wang):
    good, bad, after = new_id(), new_id(), new_id()
    r = push(
        client,
        wang,
        mutation(wang, "household", good, household()),
        mutation(wang, "household", bad, household(phone="12345", house_grade="z")),
        mutation(wang, "household", after, household(household_no="0002")),
        headers={"Accept-Language": "en"},
    )
    assert r.status_code == 200
    body = r.get_json()
    statuses = [x["status"] for x in body["results"]]
    assert statuses == ["applied", "rejected", "applied"]
    assert set(body["results"][1]["errors"]) == {"phone", "house_grade"}
    assert body["last_mutation_id"] == 3
    ids = {c["id"] for c in pull(client, wang)["changes"]}
    assert ids == {good, after}


def test_rejection_messages_follow_accept_language(client, wang):
    m = mutation(wang, "household", new_id(), household(phone="12345"))
    zh = push(client, wang, m).get_json()["results"][0]["errors"]["phone"][0]
    m2 = mutation(wang, "household", new_id(), household(phone="12345"))
    en = push(client, wang, m2, **{"Accept-Language": "en-US,en;q=0.9"})
    en_text = en.get_json()["results"][0]["errors"]["phone"][0]
    assert zh != en_text and any("\u4e00" <= ch <= "\u9fff" for ch in zh)
    assert en_text.isascii()


def test_unknown_field_and_server_owned_field_are_rejected(client, wang):
    hid = new_id()
    r = push(
        client,
        wang,
        mutation(wang, "household", hid, household(colour="red")),
    )
    assert r.get_json()["results"][0]["status"] == "rejected"
    assert "colour" in r.get_json()["results"][0]["errors"]


def test_invalid_merged_record_is_rejected_whole(client, wang):
    hid = new_id()
    r = push(client, wang, mutation(wang, "household", hid, {"phone": "13811112222"}))
    result = r.get_json()["results"][0]
    assert result["status"] == "rejected"  # a create missing required fields
    assert "head_name" in result["errors"]
    assert pull(client, wang)["changes"] == []


def test_member_of_unknown_household_is_rejected(client, wang):
    r = push(client, wang, mutation(wang, "member", new_id(), member(new_id())))
    result = r.get_json()["results"][0]
    assert result["status"] == "rejected" and "household_id" in result["errors"]


def test_exactly_once_replay_returns_the_original_result(client, wang):
    hid = new_id()
    m = mutation(wang, "household", hid, household())
    first = push(client, wang, m).get_json()
    again = push(client, wang, m).get_json()
    assert again == first
    history = client.get(f"/api/v1/records/household/{hid}/history", headers=wang.headers)
    assert len(history.get_json()["versions"]) == 1


def test_replay_then_new_mutations_in_one_batch(client, wang):
    hid = new_id()
    m1 = mutation(wang, "household", hid, household())
    first = push(client, wang, m1).get_json()["results"][0]
    m2 = mutation(wang, "household", hid, {"notes": "二次"}, base_version=first["version"])
    body = push(client, wang, m1, m2).get_json()
    assert body["results"][0] == first and body["results"][1]["status"] == "applied"
    assert body["last_mutation_id"] == 2


def test_gap_is_409_and_keeps_what_came_before(client, wang):
    a, b = new_id(), new_id()
    r = push(
        client,
        wang,
        mutation(wang, "household", a, household(), mutation_id=1),
        mutation(wang, "household", b, household(household_no="0002"), mutation_id=3),
    )
    assert r.status_code == 409
    body = r.get_json()
    assert body["code"] == 409 and body["last_mutation_id"] == 1
    assert [x["mutation_id"] for x in body["results"]] == [1]
    assert {c["id"] for c in pull(client, wang)["changes"]} == {a}
    me = client.get("/api/v1/me", headers=wang.headers).get_json()
    assert me["last_mutation_id"] == 1


def test_out_of_scope_batch_is_403_and_writes_nothing(client, wang):
    inside, outside = new_id(), new_id()
    r = push(
        client,
        wang,
        mutation(wang, "household", inside, household("g1")),
        mutation(wang, "household", outside, household("g2")),
    )
    assert r.status_code == 403
    assert set(r.get_json()["errors"]) == {"mutations.1"}
    assert pull(client, wang)["changes"] == []
    me = client.get("/api/v1/me", headers=wang.headers).get_json()
    assert me["last_mutation_id"] == 0  # the ids are still free


def test_moving_a_household_out_of_scope_is_403(client, wang):
    hid, v1 = create_household(client, wang)
    r = push(client, wang, mutation(wang, "household", hid, {"grid_id": "g2"}, base_version=v1))
    assert r.status_code == 403


def test_push_with_another_devices_client_id_is_403(client, seed, wang):
    other = seed.login(client, "li")
    r = client.post(
        "/api/v1/sync/push",
        json={"client_id": other.client_id, "schema_version": 1, "mutations": []},
        headers=wang.headers,
    )
    assert r.status_code == 403


def test_pull_paging_returns_every_change_once_in_order(client, wang):
    ids = set()
    batch = []
    for n in range(7):
        hid = new_id()
        ids.add(hid)
        batch.append(mutation(wang, "household", hid, household(household_no=f"{n:04d}")))
    push(client, wang, *batch)
    seen, cursor, pages = [], 0, 0
    while True:
        page = pull(client, wang, cursor, limit=3)
        pages += 1
        versions = [c["version"] for c in page["changes"]]
        assert versions == sorted(versions) and all(v > cursor for v in versions)
        seen += page["changes"]
        cursor = page["cursor"]
        if not page["has_more"]:
            break
    assert pages == 3 and {c["id"] for c in seen} == ids and len(seen) == 7
    assert pull(client, wang, cursor)["changes"] == []


def test_pull_only_returns_the_callers_grids(client, seed, wang):
    li = seed.login(client, "li")
    mine, _ = create_household(client, wang, "g1")
    theirs, _ = create_household(client, li, "g2")
    assert {c["id"] for c in pull_all(client, wang)["changes"]} == {mine}
    assert {c["id"] for c in pull_all(client, li)["changes"]} == {theirs}
    seed.user("zhao", role="supervisor", township="t1")
    seed.grid("g9", township="t9")
    boss = seed.login(client, "zhao")
    assert {c["id"] for c in pull_all(client, boss)["changes"]} == {mine, theirs}


def test_members_follow_their_household_scope(client, seed, wang):
    li = seed.login(client, "li")
    hid, _ = create_household(client, wang)
    mid = new_id()
    r = push(client, wang, mutation(wang, "member", mid, member(hid)))
    assert r.get_json()["results"][0]["status"] == "applied", r.get_json()
    assert {c["id"] for c in pull_all(client, wang)["changes"]} == {hid, mid}
    assert pull_all(client, li)["changes"] == []
    r = push(client, li, mutation(li, "member", new_id(), member(hid)))
    assert r.status_code == 403


def test_new_visit_is_submitted_and_client_may_not_approve(client, wang):
    from tests.sync_server.helpers import visit

    hid, _ = create_household(client, wang)
    vid = new_id()
    r = push(client, wang, mutation(wang, "visit", vid, visit(hid)))
    assert r.get_json()["results"][0]["status"] == "applied", r.get_json()
    change = next(c for c in pull(client, wang)["changes"] if c["id"] == vid)
    assert change["data"]["review_status"] == "submitted"
    r = push(
        client,
        wang,
        mutation(wang, "visit", vid, {"review_status": "approved"}, base_version=change["version"]),
    )
    result = r.get_json()["results"][0]
    assert result["status"] == "rejected" and "review_status" in result["errors"]


def test_reused_id_for_a_different_mutation_is_a_409_not_a_foreign_replay(client, wang):
    first = mutation(wang, "household", new_id(), household(), mutation_id=1)
    push(client, wang, first)
    reused = mutation(wang, "household", new_id(), household(household_no="0009"), mutation_id=1)
    r = push(client, wang, reused)
    assert r.status_code == 409
    assert r.get_json()["last_mutation_id"] == 1 and r.get_json()["results"] == []
