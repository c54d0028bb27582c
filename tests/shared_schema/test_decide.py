"""The push's pure decide step (`shared_schema.sync.decide`): exactly once, versions, the merge
rules, closed visits and refusals, over plain data with a stand-in record check."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared_schema.sync.decide import (
    CHANGES,
    CREATE,
    RECORD,
    BatchState,
    LoggedMutation,
    Move,
    Refusal,
    StoredRecord,
    decide_batch,
)

TODAY = date(2026, 12, 3)
H1, H2 = "00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000002"
M1, V1 = "00000000-0000-4000-8000-0000000000a1", "00000000-0000-4000-8000-0000000000b1"
CLIENT = "00000000-0000-4000-8000-00000000c11e"


def check(entity: str, data: Mapping[str, Any], kind: str, as_of: date) -> dict[str, list[str]]:
    """Stand-in record check: a `bad` key is an error of every kind; a whole record (CREATE,
    RECORD) needs a `name`."""
    errors: dict[str, list[str]] = {}
    if "bad" in data:
        errors["bad"] = ["bad value"]
    if kind in (CREATE, RECORD) and "name" not in data:
        errors["name"] = ["required"]
    assert kind in (CREATE, CHANGES, RECORD)
    return errors


def state(*records: StoredRecord, **overrides: Any) -> BatchState:
    base: dict[str, Any] = {
        "client_id": CLIENT,
        "last_mutation_id": 0,
        "last_version": 100,
        "records": {(r.entity, r.id): r for r in records},
        "bases": {},
        "logged": {},
        "grids": frozenset({"g1", "g2"}),
        "scope": None,
        "today": TODAY,
        "closes_visits": True,
    }
    return BatchState(**(base | overrides))


def stored(entity: str, rid: str, version: int, data: dict[str, Any], **kw: Any) -> StoredRecord:
    grid = kw.pop("grid_id", data.get("grid_id", "g1"))
    return StoredRecord(
        entity, rid, version, kw.pop("deleted", False), data, grid, kw.pop("household_id", None)
    )


def mut(mid: int, entity: str, rid: str, data: dict[str, Any] | None = None, **kw: Any) -> dict:
    return {
        "mutation_id": mid,
        "entity": entity,
        "id": rid,
        "op": kw.get("op", "upsert"),
        "base_version": kw.get("base_version"),
        "data": data or {},
        "hlc": "h",
    }


HOUSE = {"grid_id": "g1", "name": "王家", "phone": "1"}


def test_creates_take_consecutive_versions_and_rejections_take_none():
    decision = decide_batch(
        state(),
        [
            mut(1, "household", H1, HOUSE),
            mut(2, "household", H2, HOUSE | {"bad": 1}),
            mut(3, "member", M1, {"household_id": H1, "name": "王一"}),
        ],
        check,
    )
    statuses = [(o.status, o.version) for o in decision.outcomes]
    assert statuses == [("applied", 101), ("rejected", None), ("applied", 102)]
    assert decision.outcomes[1].errors == {"bad": ["bad value"]}
    assert decision.last_version == 102 and decision.last_mutation_id == 3
    member = decision.outcomes[2].record
    assert member is not None and (member.grid_id, member.household_id) == ("g1", H1)
    assert [h.version for o in decision.outcomes if (h := o.history)] == [101, 102]


def test_protocol_refusals_name_their_field():
    decision = decide_batch(
        state(),
        [
            mut(1, "household", H1, HOUSE | {"grid_id": "nowhere"}),
            mut(2, "member", M1, {"household_id": H2, "name": "x"}),
            mut(3, "household", H2, {"phone": "2"}, base_version=5),
        ],
        check,
    )
    assert [o.refusal for o in decision.outcomes] == [
        Refusal("grid_id", "unknown_grid"),
        Refusal("household_id", "unknown_household"),
        Refusal("base_version", "base_unknown"),
    ]
    assert decision.last_version == 100


def test_replays_repeats_and_gaps():
    logged = {1: LoggedMutation("household", H1, "upsert", {"mutation_id": 1, "status": "x"})}
    s = state(last_mutation_id=1, logged=logged)
    decision = decide_batch(
        s,
        [mut(1, "household", H1, HOUSE), mut(2, "household", H2, HOUSE), mut(2, "household", H2)],
        check,
    )
    kinds = [(o.kind, o.logged, o.repeat_of) for o in decision.outcomes]
    assert kinds == [("replay", logged[1].result, None), ("fresh", None, None), ("repeat", None, 2)]
    assert not decision.gap and decision.last_mutation_id == 2
    skipped = decide_batch(s, [mut(2, "household", H2, HOUSE), mut(4, "household", H1)], check)
    assert skipped.gap and [o.mutation_id for o in skipped.outcomes] == [2]
    reused = decide_batch(s, [mut(1, "household", H2, HOUSE)], check)  # another record
    assert reused.gap and reused.outcomes == ()


def test_a_batch_outside_the_scope_decides_nothing():
    s = state(stored("household", H1, 7, HOUSE | {"grid_id": "g9"}), scope=frozenset({"g1"}))
    decision = decide_batch(
        s, [mut(1, "household", H2, HOUSE), mut(2, "member", M1, {"household_id": H1})], check
    )
    assert decision.out_of_scope == {1: ("g9",)} and decision.outcomes == ()


def test_edit_on_an_older_base_merges_against_that_history_entry():
    current = stored("household", H1, 9, HOUSE | {"phone": "server"})
    s = state(current, bases={("household", H1, 5): HOUSE})
    [o] = decide_batch(s, [mut(1, "household", H1, {"name": "新"}, base_version=5)], check).outcomes
    assert (o.status, o.version) == ("merged", 101)
    assert o.record is not None and o.record.data == HOUSE | {"phone": "server", "name": "新"}
    [c] = decide_batch(
        s, [mut(1, "household", H1, {"phone": "client"}, base_version=5)], check
    ).outcomes
    assert c.status == "conflict" and [r.conflict.field for r in c.conflicts] == ["phone"]
    assert c.history is None and c.record is not None and c.record.version == 101  # re-stamp


def test_a_base_written_earlier_in_the_batch_is_read_from_the_batch():
    decision = decide_batch(
        state(),
        [
            mut(1, "household", H1, HOUSE),
            mut(2, "household", H1, {"phone": "2"}, base_version=101),
            mut(3, "household", H1, {"phone": "3"}, base_version=101),  # base is version 101
        ],
        check,
    )
    assert [o.status for o in decision.outcomes] == ["applied", "applied", "conflict"]
    [(record, created)] = decision.final_records().values()
    assert created and record.version == 103 and record.data["phone"] == "2"


APPROVED = {"household_id": H1, "name": "v", "notes": "ok", "review_status": "approved"}


@pytest.mark.parametrize("status", ["approved", "rejected"])
def test_a_workers_edit_of_a_closed_visit_is_a_conflict_on_every_changed_field(status):
    visit = stored("visit", V1, 50, APPROVED | {"review_status": status}, household_id=H1)
    s = state(stored("household", H1, 40, HOUSE), visit)
    changes = {"notes": "changed", "name": "v", "review_status": "submitted"}
    [o] = decide_batch(s, [mut(1, "visit", V1, changes, base_version=50)], check).outcomes
    assert (o.status, o.version, o.history) == ("conflict", 101, None)
    assert o.record is not None and o.record.data == visit.data  # the approved values stand
    fields = [
        (r.conflict.field, r.conflict.server_value, r.conflict.client_value) for r in o.conflicts
    ]
    assert fields == [("notes", "ok", "changed"), ("review_status", status, "submitted")]
    [d] = decide_batch(s, [mut(1, "visit", V1, op="delete", base_version=50)], check).outcomes
    assert d.status == "conflict" and [r.conflict.field for r in d.conflicts] == ["_deleted"]
    assert d.record is not None and not d.record.deleted
    [same] = decide_batch(
        s, [mut(1, "visit", V1, {"notes": "ok"}, base_version=50)], check
    ).outcomes
    assert (same.status, same.version, same.record) == ("applied", 50, None)


def test_returned_visits_and_supervisors_edits_merge_as_usual():
    returned = stored("visit", V1, 50, APPROVED | {"review_status": "returned"}, household_id=H1)
    hh = stored("household", H1, 40, HOUSE)
    [o] = decide_batch(
        state(hh, returned), [mut(1, "visit", V1, {"notes": "fixed"}, base_version=50)], check
    ).outcomes
    assert o.status == "applied" and o.record is not None and o.record.data["notes"] == "fixed"
    approved = replace(returned, data=APPROVED)
    [s] = decide_batch(
        state(hh, approved, closes_visits=False),
        [mut(1, "visit", V1, {"notes": "fixed"}, base_version=50)],
        check,
    ).outcomes
    assert s.status == "applied"


def test_a_refused_mutation_is_rejected_alone_and_later_ones_are_decided_without_it():
    batch = [
        mut(1, "household", H1, HOUSE),
        mut(2, "member", M1, {"household_id": H1, "name": "x"}),
    ]
    first = decide_batch(state(), batch, check)
    assert [o.status for o in first.outcomes] == ["applied", "applied"]
    refused = decide_batch(state(), batch, check, {1: {"_schema": ["cannot store"]}})
    assert [o.status for o in refused.outcomes] == ["rejected", "rejected"]
    assert refused.outcomes[0].errors == {"_schema": ["cannot store"]}
    assert refused.outcomes[1].refusal == Refusal("household_id", "unknown_household")
    kept = decide_batch(state(), batch, check, {2: {"_schema": ["cannot store"]}})
    assert kept.outcomes[0] == first.outcomes[0]  # earlier decisions never change


def test_member_of_a_deleted_household_is_kept_as_a_tombstone_with_a_conflict():
    gone = stored("household", H1, 40, HOUSE, deleted=True)
    [o] = decide_batch(
        state(gone), [mut(1, "member", M1, {"household_id": H1, "name": "新"})], check
    ).outcomes
    assert o.status == "conflict" and o.record is not None and o.record.deleted
    [row] = o.conflicts
    assert row.conflict.field == "_deleted" and row.conflict.client_data == {
        "household_id": H1,
        "name": "新",
    }


def test_a_household_moved_to_another_grid_yields_a_move():
    hh = stored("household", H1, 40, HOUSE)
    [o] = decide_batch(
        state(hh), [mut(1, "household", H1, {"grid_id": "g2"}, base_version=40)], check
    ).outcomes
    assert o.move == Move(H1, "g1", "g2")
    assert o.record is not None and o.record.grid_id == "g2"


_FIELDS = st.sampled_from(["name", "phone", "notes"])
_VALUES = st.sampled_from(["a", "b", "c", None])


@st.composite
def batches(draw: st.DrawFn) -> list[dict[str, Any]]:
    ids = [H1, H2]
    out = []
    for mid in range(1, draw(st.integers(1, 12)) + 1):
        rid = draw(st.sampled_from(ids))
        if draw(st.booleans()) and mid > 1:
            out.append(
                mut(
                    mid,
                    "household",
                    rid,
                    op="delete",
                    base_version=draw(st.sampled_from([None, 100, 101, 103])),
                )
            )
            continue
        data = draw(st.dictionaries(_FIELDS, _VALUES, max_size=3))
        if draw(st.booleans()):
            data |= {"grid_id": "g1", "name": "n"}
        base = draw(st.sampled_from([None, 100, 101, 102, 104]))
        out.append(mut(mid, "household", rid, data, base_version=base))
    return out


@settings(max_examples=200, deadline=None)
@given(batches())
def test_versions_are_consecutive_and_every_change_is_accounted_for(batch):
    s = state(stored("household", H1, 100, HOUSE))
    decision = decide_batch(s, batch, check)
    assert decision.last_mutation_id == len(batch)
    versions = [o.record.version for o in decision.fresh if o.record is not None]
    assert versions == list(range(101, decision.last_version + 1))  # no gaps, in order
    for o in decision.fresh:
        if o.status == "rejected":
            assert o.record is None and o.history is None and not o.conflicts
        if o.status == "conflict":
            assert o.conflicts
        if o.history is not None:
            assert o.record is not None and o.history.version == o.record.version
            assert o.history.data == o.record.data
    # the decision does not depend on anything but its inputs
    assert decide_batch(s, batch, check) == decision
