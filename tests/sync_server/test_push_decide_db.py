"""The push's three phases against a real database (SQLite and PostgreSQL): what the pure
decide step says is what the database holds after the apply (Hypothesis, random batches);
one mutation the database cannot store is `rejected` alone; closed visits; canonical ids."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from shared_schema.sync.decide import decide_batch
from sync_server.models import Client, ConflictRow, MutationLog, Record, RecordVersion, SyncCounter
from sync_server.services import sync as sync_service
from sync_server.services.principal import Principal
from sync_server.services.record_checks import check_record
from tests.sync_server.helpers import (
    create_household,
    household,
    member,
    mutation,
    new_id,
    push,
    visit,
)


@pytest.fixture
def wang(seed, client):
    seed.grid("g1", township="t1")
    seed.grid("g2", township="t1")
    seed.user("wang", grids=["g1", "g2"])
    seed.user("zhang", role="supervisor", township="t1")
    return seed.login(client, "wang")


def _raw_push(client: Any, session: Any, mutations_json: str) -> Any:
    body = (
        f'{{"client_id": "{session.client_id}", "schema_version": 1, '
        f'"mutations": [{mutations_json}]}}'
    )
    return client.post(
        "/api/v1/sync/push",
        data=body.encode(),
        headers=session.headers | {"Content-Type": "application/json"},
    )


def _mutation_json(m: dict[str, Any], **raw_fields: str) -> str:
    """A mutation as JSON text, with some data fields given as raw JSON (e.g. `1e400`)."""
    text = json.dumps(m, ensure_ascii=False)
    for path, raw in raw_fields.items():
        outer, inner = path.split(".")
        text = text.replace(f'"{outer}": {{', f'"{outer}": {{"{inner}": {raw}, ', 1)
    return text


def test_a_non_finite_number_rejects_that_mutation_alone(app, client, wang):
    hid = new_id()
    first = mutation(wang, "household", hid, household("g1"))
    bad_visit = visit(hid)
    bad_visit["water"].pop("quantity_lpd", None)
    bad = mutation(wang, "visit", new_id(), bad_visit)
    after = mutation(wang, "member", new_id(), member(hid))
    parts = [
        _mutation_json(first),
        _mutation_json(bad, **{"water.quantity_lpd": "1e400"}),
        _mutation_json(after),
    ]
    response = _raw_push(client, wang, ", ".join(parts))
    assert response.status_code == 200, response.get_json()
    results = response.get_json()["results"]
    assert [r["status"] for r in results] == ["applied", "rejected", "applied"]
    assert "water.quantity_lpd" in results[1]["errors"], (parts[1], results)
    db = app.extensions["tianye_db"]
    with db.read() as s:
        assert s.get(Record, ("visit", bad["id"])) is None
        assert s.get(Record, ("member", after["id"])) is not None


def test_a_base_version_past_every_version_rejects_that_mutation_alone(client, wang):
    hid, version = create_household(client, wang)
    far = mutation(wang, "household", hid, {"notes": "x"}, base_version=2**70)
    near = mutation(wang, "household", hid, {"notes": "y"}, base_version=version)
    results = push(client, wang, far, near).get_json()["results"]
    assert [r["status"] for r in results] == ["rejected", "applied"]
    assert list(results[0]["errors"]) == ["base_version"]


def test_a_value_the_database_refuses_is_rejected_alone(app, client, wang, monkeypatch):
    """The careful path: the bulk write fails, the batch is redone with one savepoint per
    mutation, and only the mutation whose row the database refuses is rejected."""
    from sync_server.services import versions

    hid = new_id()
    poisoned = new_id()
    real = versions.write_batch

    def refusing(session: Any, records: Any, history: Any, **kw: Any) -> None:
        if any(rec.id == poisoned for rec, _ in records):
            # What the database says about a value it cannot store.
            session.execute(select(func.cast("not a number", SyncCounter.value.type)))
        real(session, records, history, **kw)

    monkeypatch.setattr(sync_service, "write_batch", refusing)
    batch = [
        mutation(wang, "household", hid, household("g1")),
        mutation(wang, "member", poisoned, member(hid)),
        mutation(wang, "member", new_id(), member(hid)),
    ]
    if app.extensions["tianye_db"].is_sqlite:  # SQLite casts anything: refuse another way
        monkeypatch.setattr(
            sync_service,
            "write_batch",
            lambda session, records, history, **kw: (
                (_ for _ in ()).throw(OverflowError("too large"))
                if any(rec.id == poisoned for rec, _ in records)
                else real(session, records, history, **kw)
            ),
        )
    response = push(client, wang, *batch)
    assert response.status_code == 200, response.get_json()
    results = response.get_json()["results"]
    assert [r["status"] for r in results] == ["applied", "rejected", "applied"]
    assert results[1]["errors"].keys() == {"_schema"}
    again = push(client, wang, *batch).get_json()["results"]  # exactly once: replays
    assert again == results
    db = app.extensions["tianye_db"]
    with db.read() as s:
        assert s.get(Record, ("member", poisoned)) is None
        assert s.scalar(select(func.count()).select_from(MutationLog)) == 3


def test_member_with_an_upper_case_household_id_is_rejected_on_that_field(app, client, wang):
    hid, _ = create_household(client, wang)
    upper = mutation(wang, "member", new_id(), member(hid.upper()))
    braces = mutation(wang, "member", new_id(), member("{" + hid + "}"))
    fine = mutation(wang, "member", new_id(), member(hid))
    results = push(client, wang, upper, braces, fine).get_json()["results"]
    assert [r["status"] for r in results] == ["rejected", "rejected", "applied"]
    assert list(results[0]["errors"]) == ["household_id"]
    db = app.extensions["tianye_db"]
    with db.read() as s:
        stored = s.get(Record, ("member", fine["id"]))
        assert stored is not None and stored.grid_id == "g1"
        assert s.get(Record, ("member", upper["id"])) is None


def _approve(client: Any, seed: Any, visit_id: str, action: str = "approve") -> int:
    boss = seed.login(client, "zhang")
    response = client.post(
        f"/api/v1/visits/{visit_id}/review",
        json={"action": action, "comment": "ok"},
        headers=boss.headers,
    )
    assert response.status_code == 200, response.get_json()
    return int(response.get_json()["version"])


@pytest.mark.parametrize("action", ["approve", "reject"])
def test_a_workers_edit_of_a_closed_visit_becomes_conflicts(app, client, seed, wang, action):
    hid, _ = create_household(client, wang)
    vid = new_id()
    push(client, wang, mutation(wang, "visit", vid, visit(hid, notes="first")))
    version = _approve(client, seed, vid, action)
    edit = mutation(
        wang, "visit", vid, {"notes": "changed", "review_status": "submitted"}, base_version=version
    )
    [result] = push(client, wang, edit).get_json()["results"]
    assert result["status"] == "conflict" and len(result["conflicts"]) == 2
    assert result["version"] > version
    db = app.extensions["tianye_db"]
    with db.read() as s:
        rec = s.get(Record, ("visit", vid))
        assert rec is not None and rec.data["notes"] == "first"
        assert rec.data["review_status"] == ("approved" if action == "approve" else "rejected")
        rows = s.scalars(select(ConflictRow).where(ConflictRow.record_id == vid)).all()
        assert sorted((r.field, r.client_value, r.status) for r in rows) == [
            ("notes", "changed", "open"),
            ("review_status", "submitted", "open"),
        ]
    gone = mutation(wang, "visit", vid, op="delete", base_version=result["version"])
    [deleted] = push(client, wang, gone).get_json()["results"]
    assert deleted["status"] == "conflict"
    with db.read() as s:
        rec = s.get(Record, ("visit", vid))
        assert rec is not None and not rec.deleted


def test_a_returned_visit_takes_the_workers_edit(app, client, seed, wang):
    hid, _ = create_household(client, wang)
    vid = new_id()
    push(client, wang, mutation(wang, "visit", vid, visit(hid, notes="first")))
    version = _approve(client, seed, vid, "return")
    edit = mutation(
        wang, "visit", vid, {"notes": "fixed", "review_status": "submitted"}, base_version=version
    )
    [result] = push(client, wang, edit).get_json()["results"]
    assert result["status"] == "applied"


# --- the pure decision equals the database after the apply ---------------------------------

_PHONES = st.sampled_from(["13800000001", "13900000002", "12345", None])
_NOTES = st.sampled_from(["甲", "乙", "丙", "", None])


@st.composite
def _batch(draw: st.DrawFn, households: list[str], members: list[str]) -> list[dict[str, Any]]:
    """Creates, edits (current, older or unknown bases), deletes and moves, some invalid."""
    out: list[dict[str, Any]] = []
    for _ in range(draw(st.integers(1, 10))):
        kind = draw(st.sampled_from(["household", "household", "member", "delete"]))
        base = draw(st.sampled_from([None, "current", "old", "first"]))
        if kind == "household":
            rid = draw(st.sampled_from(households))
            data: dict[str, Any] = {}
            if draw(st.booleans()):
                data = household(draw(st.sampled_from(["g1", "g2", "nowhere"])))
            data |= draw(st.fixed_dictionaries({}, optional={"phone": _PHONES, "notes": _NOTES}))
            out.append(
                {"entity": "household", "id": rid, "op": "upsert", "data": data, "base": base}
            )
        elif kind == "member":
            rid = draw(st.sampled_from(members))
            hid = draw(st.sampled_from(households))
            data = (
                member(hid)
                if draw(st.booleans())
                else {"name": draw(st.sampled_from(["王五", "李四"]))}
            )
            out.append({"entity": "member", "id": rid, "op": "upsert", "data": data, "base": base})
        else:
            rid = draw(st.sampled_from(households))
            out.append({"entity": "household", "id": rid, "op": "delete", "data": {}, "base": base})
    return out


def _records(db: Any) -> dict[tuple[str, str], tuple[Any, ...]]:
    with db.read() as s:
        rows = s.execute(
            select(
                Record.entity,
                Record.id,
                Record.version,
                Record.deleted,
                Record.data,
                Record.grid_id,
                Record.household_id,
            )
        )
        return {(r.entity, r.id): tuple(r)[2:] for r in rows}


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_the_pure_decision_is_what_the_database_holds(app, client, seed, wang, data):
    db = app.extensions["tianye_db"]
    device = seed.login(client, "wang")  # a fresh client: mutation ids from 1
    households = [new_id() for _ in range(3)]
    members = [new_id() for _ in range(2)]
    # A first batch so that edits have something to edit.
    push(
        client, device, *[mutation(device, "household", h, household("g1")) for h in households[:2]]
    )
    plan = data.draw(_batch(households, members))
    known = _records(db)
    mutations = []
    for step in plan:
        rec = known.get((step["entity"], step["id"]))
        base = {
            None: None,
            "current": rec[0] if rec else None,
            "old": rec[0] - 1 if rec else 1,
            "first": 1,
        }[step["base"]]
        mutations.append(
            mutation(
                device, step["entity"], step["id"], step["data"], op=step["op"], base_version=base
            )
        )
    with db.read() as s:  # decide on the state as loaded by the push itself
        client_row = s.get(Client, device.client_id)
        assert client_row is not None
        principal = Principal(
            client_row.user_id, "wang", "worker", "wang", client_id=device.client_id
        )
        state = sync_service._load(s, principal, client_row, mutations, datetime.now(UTC))
    decision = decide_batch(
        state, mutations, lambda e, d, k, a: check_record(e, d, k, a, lang="en")
    )
    response = push(client, device, *mutations)
    if decision.out_of_scope:  # a grid the worker does not hold: nothing is written
        assert response.status_code == 403, response.get_json()
        assert _records(db) == known
        return
    assert response.status_code == 200, response.get_json()
    results = response.get_json()["results"]
    assert [(r["status"], r["version"]) for r in results] == [
        (o.status, o.version) for o in decision.outcomes
    ]
    after = _records(db)
    for (entity, rid), (rec, _) in decision.final_records().items():
        moved = [o.move for o in decision.fresh if o.move is not None]
        stored = after[(entity, rid)]
        assert stored[1:4] == (rec.deleted, rec.data, rec.grid_id if not moved else stored[3])
        if not moved:
            assert stored[0] == rec.version
    untouched = set(known) - set(decision.final_records())
    if not any(o.move for o in decision.fresh):
        assert all(after[key] == known[key] for key in untouched)
    with db.read() as s:
        history = s.scalar(
            select(func.count())
            .select_from(RecordVersion)
            .where(RecordVersion.client_id == device.client_id)
        )
        conflicts = s.scalar(
            select(func.count())
            .select_from(ConflictRow)
            .where(ConflictRow.client_id == device.client_id)
        )
        counter = s.scalar(select(SyncCounter.value))
    assert history == 2 + sum(1 for o in decision.fresh if o.history is not None)
    assert conflicts == sum(len(o.conflicts) for o in decision.fresh)
    if not any(o.move for o in decision.fresh):
        assert counter == decision.last_version
