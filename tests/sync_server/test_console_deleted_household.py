"""The console's conflicts page for issue 6 (Flask test client, SQLite and PostgreSQL): a visit
saved offline for a household another phone deleted is shown as the story it is, with what
the phone submitted, and restored (or kept deleted) from the page."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.ui.console.world import Phone, World, api, build_world, csrf_of, new_id

DELETE_HLC = "0001700000900000-0000-delete"


@pytest.fixture
def world(seed: Any, client: Any) -> World:
    return build_world(seed, client, datetime.now(UTC).date())


def delete_household(http: Any, phone: Phone, household_id: str, children: list[str]) -> None:
    """Delete a household and its children the way the app does: one action, one HLC."""
    changes = phone.pull()
    mutations = []
    for rid in [*children, household_id]:
        change = changes[rid]
        mutations.append(
            {
                "mutation_id": phone.session.next_id(),
                "entity": change["entity"],
                "id": rid,
                "op": "delete",
                "base_version": change["version"],
                "hlc": DELETE_HLC,
            }
        )
    body = {"client_id": phone.session.client_id, "schema_version": 1, "mutations": mutations}
    status, payload = api(http, "POST", "/api/v1/sync/push", phone.session.headers, body)
    assert status == 200 and {r["status"] for r in payload["results"]} == {"applied"}, payload


def visit_on_deleted_household(seed: Any, http: Any, world: World) -> tuple[Phone, str]:
    """Phone B (wang's second phone) pulls, goes offline; phone A deletes H2 with its members
    and visit; B then pushes a new visit for H2."""
    from shared_schema.schemas.examples import example_visit

    other = Phone(http, seed.login(http, "wang"))
    other.pull()
    delete_household(http, world.wang, world.h2, [*world.members[world.h2], world.v2])
    vid = new_id()
    data = example_visit(
        household_id=world.h2,
        visit_date=world.today.isoformat(),
        started_at=None,
        ended_at=None,
        notes="离线补录：户主外出务工",
    )
    [result] = other.push(("visit", vid, data, None))
    assert result["status"] == "conflict", result
    return other, vid


def sign_in(client: Any, username: str = "sup") -> None:
    page = client.get("/console/login")
    client.post(
        "/console/login",
        data={"username": username, "password": "pass-word-1", "csrf_token": csrf_of(page.text)},
    )


@pytest.mark.parametrize("choice", ["client", "server"])
def test_household_deleted_story_and_resolution(client, seed, world, choice):
    other, vid = visit_on_deleted_household(seed, client, world)
    sign_in(client)
    html = client.get("/console/conflicts").text
    story = re.search(r'data-story="household-deleted">(.*?)</p>', html, re.S)
    assert story is not None
    text = story.group(1)
    assert "李大山 (5226010010002)" in text and "wang&#39;s phone" in text
    assert "走访" in text and "已于" in text
    assert "离线补录：户主外出务工" in html  # the submitted data, side by side
    assert "恢复该农户及此记录" in html and "保持删除" in html
    assert 'name="value"' not in html  # no free-typed value for a delete conflict
    english = client.get("/console/conflicts?lang=en").text
    assert "was deleted by wang" in english and "Restore the household and this record" in english
    conflict_id = re.search(r'data-conflict="([^"]+)"', html).group(1)
    page = client.get("/console/conflicts")
    client.post(
        f"/console/conflicts/{conflict_id}/resolve",
        data={"choice": choice, "csrf_token": csrf_of(page.text)},
    )
    changes = other.pull()
    if choice == "client":
        assert not changes[world.h2]["deleted"] and not changes[vid]["deleted"]
        assert all(not changes[m]["deleted"] for m in world.members[world.h2])
    else:
        assert changes[vid]["deleted"] and changes[vid]["open_conflicts"] == []
        assert changes[world.h2]["deleted"]  # the household stays deleted
    assert "没有待处理的冲突" in client.get("/console/conflicts?lang=zh").text
