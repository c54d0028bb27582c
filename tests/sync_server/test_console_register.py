"""The household register in the console (issue 16), SQLite and PostgreSQL: supervisors create
and edit households from the shared form, confirm those registered in the field (新登记, a
version naming them), mark moved away / merged, move members; a taken number or a bad value is
a field error that changes nothing; every form needs the CSRF token."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from sync_server.models import AuditEntry, Record, RecordVersion
from tests.ui.console.world import World, build_world, csrf_of


@pytest.fixture
def world(seed: Any, client: Any) -> World:
    return build_world(seed, client, datetime.now(UTC).date())


def sign_in(client: Any, username: str = "sup") -> None:
    page = client.get("/console/login")
    client.post(
        "/console/login",
        data={"username": username, "password": "pass-word-1", "csrf_token": csrf_of(page.text)},
    )


def token(client: Any, path: str = "/console/") -> str:
    return csrf_of(client.get(path).text)


def record(app: Any, entity: str, rid: str) -> Record:
    with app.extensions["tianye_db"].read() as s:
        rec = s.get(Record, (entity, rid))
        assert rec is not None
        s.expunge(rec)
        return rec


def history(app: Any, rid: str) -> list[RecordVersion]:
    with app.extensions["tianye_db"].read() as s:
        rows = list(
            s.scalars(
                select(RecordVersion)
                .where(RecordVersion.record_id == rid)
                .order_by(RecordVersion.version)
            )
        )
        for r in rows:
            s.expunge(r)
        return rows


FORM = {
    "grid_id": "g1",
    "household_no": "5226010010077",
    "head_name": "周新民",
    "address": "石门村一组 7 号",
    "phone": "",
    "household_type": "ordinary",
    "monitor_category": "",
    "house_grade": "b",
    "house_damaged": "false",
    "notes": "",
}


def test_field_households_are_marked_filtered_and_confirmed(app, client, world):
    sign_in(client)
    listing = client.get("/console/households?registration=field_new&lang=en").text
    assert "New from the field" in listing and "5226010010001" in listing
    page = client.get(f"/console/households/{world.h1}").text
    assert 'id="confirm-registration"' in page
    # without the CSRF token: refused, nothing written
    assert client.post(f"/console/households/{world.h1}/confirm").status_code == 400
    assert record(app, "household", world.h1).data["registration"] == "field_new"
    done = client.post(
        f"/console/households/{world.h1}/confirm", data={"csrf_token": token(client)}
    )
    assert done.status_code == 302
    rec = record(app, "household", world.h1)
    assert rec.data["registration"] == "confirmed"
    last = history(app, world.h1)[-1]
    assert last.author == "sup" and last.changed_fields == ["registration"]
    with app.extensions["tianye_db"].read() as s:
        (entry,) = s.scalars(select(AuditEntry).where(AuditEntry.action == "household.confirm"))
        assert (entry.actor, entry.target) == ("sup", f"household:{world.h1}")
        assert entry.details["after"] == {"registration": "confirmed"}
    listing = client.get("/console/households?registration=field_new").text
    assert "5226010010001" not in listing and "5226010010002" in listing
    assert 'id="confirm-registration"' not in client.get(f"/console/households/{world.h1}").text


def test_create_and_edit_from_the_shared_form(app, client, world):
    sign_in(client)
    form = client.get("/console/households/new?grid=g1&lang=en").text
    for label in ("Household number", "Name of the head", "House safety grade"):
        assert label in form
    made = client.post("/console/households/new", data=FORM | {"csrf_token": token(client)})
    assert made.status_code == 302, made.text
    new_id = made.headers["Location"].rsplit("/", 1)[-1]
    rec = record(app, "household", new_id)
    assert rec.data["head_name"] == "周新民" and rec.data["registration"] == "confirmed"
    assert rec.grid_id == "g1" and history(app, new_id)[0].author == "sup"
    # a taken number (h1's) is a field error and changes nothing
    taken = client.post(
        f"/console/households/{new_id}/edit",
        data=FORM | {"household_no": "5226010010001", "csrf_token": token(client)},
    )
    assert taken.status_code == 422 and "already has this number" in taken.text
    assert record(app, "household", new_id).data["household_no"] == "5226010010077"
    # a bad value likewise (a phone number of the wrong shape)
    bad = client.post(
        f"/console/households/{new_id}/edit",
        data=FORM | {"phone": "12345", "csrf_token": token(client)},
    )
    assert bad.status_code == 422
    assert record(app, "household", new_id).data.get("phone") is None
    edited = client.post(
        f"/console/households/{new_id}/edit",
        data=FORM | {"phone": "13912345678", "csrf_token": token(client)},
    )
    assert edited.status_code == 302
    assert record(app, "household", new_id).data["phone"] == "13912345678"


def test_mark_merged_and_move_a_member(app, client, world):
    sign_in(client)
    csrf = token(client)
    refused = client.post(
        f"/console/households/{world.h1}/status", data={"status": "merged", "csrf_token": csrf}
    )
    assert refused.status_code == 302
    assert record(app, "household", world.h1).data.get("status") is None  # no target: refused
    client.post(
        f"/console/households/{world.h1}/status",
        data={"status": "merged", "merged_into": world.h2, "csrf_token": csrf},
    )
    data = record(app, "household", world.h1).data
    assert (data["status"], data["merged_into"]) == ("merged", world.h2)
    spouse = world.members[world.h1][1]
    move = {"member_id": spouse, "household_id": world.h2, "csrf_token": csrf}
    # the relation to the head there is asked: without one (or with a made-up one) nothing moves
    for relation in (None, "cousin"):
        refused = client.post(
            f"/console/households/{world.h1}/members/move",
            data=move | ({"relation": relation} if relation else {}),
            follow_redirects=True,
        )
        assert "请选择与新户户主的关系" in refused.get_data(as_text=True)
        assert record(app, "member", spouse).household_id == world.h1
    page = client.get(f"/console/households/{world.h1}").get_data(as_text=True)
    assert 'id="mm-relation"' in page and '<option value="child_in_law">儿媳或女婿</option>' in page
    # a second spouse (or head) in the household joined is refused, and nothing moves
    for relation in ("spouse", "head"):
        refused = client.post(
            f"/console/households/{world.h1}/members/move",
            data=move | {"relation": relation},
            follow_redirects=True,
        )
        assert record(app, "member", spouse).household_id == world.h1
        shown = refused.get_data(as_text=True)
        assert "与户主关系: 在户成员中" in shown and "当前有 2 名" in shown
    moved = client.post(
        f"/console/households/{world.h1}/members/move", data=move | {"relation": "parent"}
    )
    assert moved.status_code == 302
    moved_member = record(app, "member", spouse)
    assert moved_member.household_id == world.h2 and moved_member.data["relation"] == "parent"
    # outside the supervisor's township: the household page is refused
    assert client.get(f"/console/households/{world.h9}").status_code in (403, 404)
