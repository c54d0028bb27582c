"""The pure decide steps of reconcile, with plain data only (no database, no clock).

`decide_pull` (a pulled page against what the phone holds), `decide_push` (a push answer
against the numbered outbox entries) and `check_pulled` (can the phone store a record):
parametrized tables for each rule, and Hypothesis properties for what must hold for any
page or answer (no edit lost, nothing unreadable written, every result accounted for).
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mobile_app.store.models import OutboxEntry, RecordRow
from mobile_app.store.reconcile.admission import check_pulled
from mobile_app.store.reconcile.pull_decision import (
    AddNotice,
    CloseNotice,
    CloseOpenFieldNotices,
    DropRecord,
    ForgetParkedPulled,
    ParkPulled,
    PullLocal,
    RemoveRecord,
    SettleRecord,
    WriteRecord,
    decide_open_conflicts,
    decide_pull,
)
from mobile_app.store.reconcile.push_decision import (
    DropEntry,
    KeepRejected,
    PushLocal,
    SetBase,
    SetBaseDeleted,
    SettleAfterAck,
    Undelete,
    decide_push,
)
from shared_schema.sync import flatten

ROOT = Path(__file__).resolve().parents[2]
NOW = "2026-05-01T08:00:00.000Z"
H = "0190a000-0000-7000-8000-000000000001"
V = "0190a000-0000-7000-8000-000000000002"
M = "0190a000-0000-7000-8000-000000000003"


def row(
    entity: str = "household",
    record_id: str = H,
    *,
    data: dict[str, Any] | None = None,
    base: dict[str, Any] | None = None,
    version: int | None = 5,
    deleted: bool = False,
    base_deleted: bool = False,
    dirty: bool = False,
    household_id: str | None = H,
) -> RecordRow:
    base = {"phone": "1"} if base is None and version is not None else base
    return RecordRow(
        entity=entity,
        id=record_id,
        household_id=household_id,
        data=dict(base or {}) if data is None else data,
        base_data=base,
        base_version=version,
        base_deleted=base_deleted,
        deleted=deleted,
        dirty=dirty,
    )


def change(entity: str = "household", record_id: str = H, **kw: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"entity": entity, "id": record_id, "version": 9, "deleted": False}
    out["data"] = {"phone": "2"}
    out.update(kw)
    return out


def local(*rows: RecordRow, pending: tuple[tuple[str, str], ...] = ()) -> PullLocal:
    return PullLocal(records={r.key: r for r in rows}, pending=frozenset(pending))


def only(decision: Any) -> Any:
    assert len(decision.changes) == 1
    return decision.changes[0]


def steps_of(kind: type, decided: Any) -> list[Any]:
    return [s for s in decided.steps if isinstance(s, kind)]


# -- pull: one rule per row -------------------------------------------------------------------
def test_a_new_record_is_stored_with_the_server_state_as_its_base() -> None:
    d = only(decide_pull([change()], local()))
    assert d.outcome == "changed" and d.household_id == H
    (write,) = steps_of(WriteRecord, d)
    assert write == WriteRecord((("household", H)), {"phone": "2"}, False, {"phone": "2"}, 9, False)
    assert steps_of(SettleRecord, d) == [SettleRecord(("household", H), ())]
    assert steps_of(ForgetParkedPulled, d) == []
    view = PullLocal(parked=frozenset({("household", H)}))
    d = only(decide_pull([change()], view))  # an unreadable version was parked before
    assert steps_of(ForgetParkedPulled, d) == [ForgetParkedPulled(("household", H))]


def test_a_clean_record_takes_the_server_state() -> None:
    d = only(decide_pull([change()], local(row())))
    (write,) = steps_of(WriteRecord, d)
    assert write.data == {"phone": "2"} and write.base_version == 9 and not write.rebase_outbox


@pytest.mark.parametrize(
    ("held", "pending", "expect_drop", "household"),
    [
        (row(), (), True, H),  # clean: goes
        (None, (), False, None),  # never held: nothing stored
    ],
)
def test_a_tombstone_removes_a_clean_record(
    held: RecordRow | None, pending: tuple, expect_drop: bool, household: str | None
) -> None:
    rows = (held,) if held else ()
    d = only(decide_pull([change(deleted=True)], local(*rows, pending=pending)))
    assert d.outcome == "deleted"
    assert bool(steps_of(DropRecord, d)) is expect_drop
    assert not steps_of(WriteRecord, d) and d.household_id == household


def test_a_pending_edit_is_rebased_and_never_overwritten() -> None:
    held = row(data={"phone": "local", "notes": "a"}, base={"phone": "1", "notes": "a"}, dirty=True)
    pulled = change(data={"phone": "server", "notes": "b"})
    d = only(decide_pull([pulled], local(held, pending=(held.key,))))
    (write,) = steps_of(WriteRecord, d)
    assert write.data == {"phone": "local", "notes": "b"}  # local field kept, other pulled
    assert write.base_data == {"phone": "server", "notes": "b"} and write.base_version == 9
    assert write.rebase_outbox


def test_a_record_edited_here_and_deleted_on_the_server_is_kept_with_a_notice() -> None:
    held = row(data={"phone": "local"}, dirty=True)
    d = only(decide_pull([change(deleted=True)], local(held, pending=(held.key,))))
    (write,) = steps_of(WriteRecord, d)
    assert write.data == {"phone": "local"} and not write.deleted
    assert (write.base_data, write.base_version) == ({"phone": "1"}, 5)  # old base kept
    (notice,) = steps_of(AddNotice, d)
    assert notice.kind == "deleted_on_server" and notice.key == f"deleted:household:{H}:9"


@pytest.mark.parametrize(("server_deleted", "writes"), [(False, False), (True, True)])
def test_a_pending_local_delete_keeps_its_base(server_deleted: bool, writes: bool) -> None:
    held = row(deleted=True, dirty=True)
    pulled = change(deleted=server_deleted)
    d = only(decide_pull([pulled], local(held, pending=(held.key,))))
    written = steps_of(WriteRecord, d)
    assert bool(written) is writes
    if writes:
        assert written[0].deleted and written[0].base_deleted and written[0].base_version == 9


def test_a_record_that_left_the_scope_is_removed() -> None:
    d = only(decide_pull([{"entity": "household", "id": H, "removed": True}], local(row())))
    assert d.outcome == "removed" and d.steps == (RemoveRecord(("household", H)),)


def test_open_conflicts_become_notices_and_settled_ones_close() -> None:
    d = only(decide_pull([change(open_conflicts=["phone"])], local(row())))
    (notice,) = steps_of(AddNotice, d)
    assert notice.key == f"open:household:{H}:phone" and notice.field == "phone"
    assert steps_of(CloseOpenFieldNotices, d) == [
        CloseOpenFieldNotices(("household", H), ("phone",))
    ]
    assert steps_of(SettleRecord, d) == [SettleRecord(("household", H), ("phone",))]


VISIT = {"household_id": H, "visit_date": "2026-04-01", "review_status": "submitted"}


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ({}, {"review_status": "returned", "review_comment": "补照片"}, "returned"),
        ({}, {"review_status": "rejected", "review_comment": "x"}, "rejected_review"),
        (
            {"review_status": "returned", "review_comment": "a"},
            {"review_status": "returned", "review_comment": "a"},
            None,
        ),
        (
            {"review_status": "returned", "review_comment": "a"},
            {"review_status": "returned", "review_comment": "b"},
            "returned",
        ),
        ({"review_status": "returned"}, {"review_status": "approved"}, "close"),
    ],
)
def test_a_supervisors_return_reaches_the_worker(
    before: dict[str, Any], after: dict[str, Any], expected: str | None
) -> None:
    held = row("visit", V, base={**VISIT, **before}, household_id=H)
    d = only(decide_pull([change("visit", V, data={**VISIT, **after})], local(held)))
    review = [s for s in d.steps if isinstance(s, AddNotice | CloseNotice) and "review:" in s.key]
    if expected is None:
        assert review == []
    elif expected == "close":
        assert review == [CloseNotice(f"review:{V}")]
    else:
        assert len(review) == 1 and review[0].kind == expected
        assert review[0].detail["comment"] == after["review_comment"]


def test_a_member_names_its_household() -> None:
    data = {"household_id": H, "name": "张三"}
    d = only(decide_pull([change("member", M, data=data)], local()))
    assert d.household_id == H


# -- pull: values the phone cannot store are parked, the page goes on --------------------------
UNREADABLE = [
    ("visit", {**VISIT, "visit_date": "9999-12-31"}, "visit_date", "date_out_of_range"),
    ("visit", {**VISIT, "visit_date": "2024-02-30"}, "visit_date", "date_invalid"),
    ("visit", {**VISIT, "visit_date": 20240201}, "visit_date", "wrong_type"),
    (
        "visit",
        {**VISIT, "water": {"quantity_lpd": float("inf")}},
        "water.quantity_lpd",
        "number_not_finite",
    ),
    (
        "visit",
        {**VISIT, "water": {"quantity_lpd": 10**400}},
        "water.quantity_lpd",
        "number_out_of_range",
    ),
    (
        "visit",
        {**VISIT, "gps": {"accuracy_m": float("nan")}},
        "gps.accuracy_m",
        "number_not_finite",
    ),
    ("visit", {**VISIT, "income": "lots"}, "income", "wrong_type"),
    ("visit", {**VISIT, "water": {"quantity_lpd": "12"}}, "water.quantity_lpd", "wrong_type"),
    ("visit", {**VISIT, "food_ok": "yes"}, "food_ok", "wrong_type"),
    ("member", {"household_id": H, "birth_date": "0001-01-01"}, "birth_date", "date_out_of_range"),
    ("member", {"household_id": 12}, "household_id", "wrong_type"),
    ("household", {"household_no": ["a"]}, "household_no", "wrong_type"),
    ("household", {"future_field": 1e300}, "future_field", "number_out_of_range"),
    ("household", ["not", "an", "object"], "_record", "not_an_object"),
]


@pytest.mark.parametrize(("entity", "data", "path", "code"), UNREADABLE)
def test_a_record_the_phone_cannot_store_is_parked(
    entity: str, data: Any, path: str, code: str
) -> None:
    record_id = {"visit": V, "member": M, "household": H}[entity]
    assert code in check_pulled(entity, data)[path]
    page = [change(entity, record_id, data=data), change("household", H)]
    decision = decide_pull(page, local())
    parked, fine = decision.changes
    assert parked.outcome == "parked" and parked.household_id is None
    (step,) = parked.steps
    assert isinstance(step, ParkPulled) and step.version == 9 and code in step.errors[path]
    assert fine.outcome == "changed"  # the rest of the page goes on
    assert decision.counts == {"changed": 1, "removed": 0, "deleted": 0, "parked": 1}


@pytest.mark.parametrize(
    "data",
    [
        {**VISIT, "water": {"quantity_lpd": 1200.5, "fetch_minutes": 30}, "gps": None},
        {**VISIT, "visit_date": "2000-01-01", "unknown_newer_field": {"nested": [1, "a", None]}},
        {**VISIT, "income": {"wage": 999_999_999_999}},
    ],
)
def test_ordinary_values_are_not_parked(data: dict[str, Any]) -> None:
    assert check_pulled("visit", data) == {}
    assert only(decide_pull([change("visit", V, data=data)], local())).outcome == "changed"


@pytest.mark.parametrize("version", [None, "9", True, 9.5])
def test_a_change_without_a_usable_version_is_parked(version: Any) -> None:
    pulled = {k: v for k, v in change(version=version).items() if v is not None}
    d = only(decide_pull([pulled], local(row())))
    assert d.outcome == "parked"
    assert d.steps == (
        ParkPulled(("household", H), None, {"phone": "2"}, {"version": ["wrong_type"]}),
    )


def test_an_unreadable_tombstone_still_deletes() -> None:
    pulled = change(deleted=True, data={"household_no": float("inf")})
    d = only(decide_pull([pulled], local(row())))
    assert d.outcome == "deleted" and steps_of(DropRecord, d)


def test_a_later_change_of_the_same_record_sees_the_earlier_one() -> None:
    first, second = change(version=7, data={"phone": "7"}), change(version=8, data={"phone": "8"})
    decision = decide_pull([first, second], local())
    assert [steps_of(WriteRecord, c)[0].base_version for c in decision.changes] == [7, 8]


# -- open conflicts ------------------------------------------------------------------------
def test_open_conflicts_on_held_records_or_own_edits_become_notices() -> None:
    conflicts = [
        {"id": "c1", "entity": "household", "record_id": H, "field": "phone", "client_id": "x"},
        {
            "id": "c2",
            "entity": "visit",
            "record_id": V,
            "field": "notes",
            "client_id": "me",
            "client_data": {"household_id": H},
        },
        {"id": "c3", "entity": "visit", "record_id": M, "field": "notes", "client_id": "other"},
    ]
    d = decide_open_conflicts(conflicts, {("household", H): H}, client_id="me")
    assert d.open_keys == ("conflict:c1", "conflict:c2")
    assert [n.household_id for n in d.notices] == [H, H]
    assert d.closed == (
        CloseNotice(f"open:household:{H}:phone"),
        CloseNotice(f"open:visit:{V}:notes"),
    )


# -- push ----------------------------------------------------------------------------------
def entry(
    mid: int = 18, op: str = "upsert", data: dict[str, Any] | None = None, seq: int = 1
) -> OutboxEntry:
    return OutboxEntry(
        seq=seq,
        entity="household",
        record_id=H,
        op=op,
        base_version=5,
        data={"phone": "2"} if data is None else data,
        hlc="hlc-1",
        created_at=NOW,
        mutation_id=mid,
    )


def push_local(*entries: OutboxEntry, held: RecordRow | None = None) -> PushLocal:
    rec = held if held is not None else row(data={"phone": "2"}, dirty=True)
    return PushLocal(entries={e.mutation_id or 0: e for e in entries}, records={rec.key: rec})


@pytest.mark.parametrize(
    ("result", "op", "expected"),
    [
        (
            {"status": "applied", "version": 57},
            "upsert",
            [SetBase(("household", H), {"phone": "2"}, 57)],
        ),
        (
            {"status": "merged", "version": 57},
            "upsert",
            [SetBase(("household", H), {"phone": "2"}, 57)],
        ),
        (
            {"status": "applied", "version": 3},
            "upsert",
            [SetBase(("household", H), {"phone": "2"}, 5)],
        ),
        (
            {"status": "applied", "version": None},
            "upsert",
            [SetBase(("household", H), {"phone": "2"}, 5)],
        ),
        ({"status": "applied", "version": 60}, "delete", [SetBaseDeleted(("household", H), 60)]),
        (
            {"status": "conflict", "version": 60, "conflicts": []},
            "delete",
            [Undelete(("household", H), "hlc-1")],
        ),
    ],
)
def test_an_acknowledged_mutation_moves_the_base(
    result: dict[str, Any], op: str, expected: list[Any]
) -> None:
    e = entry(op=op, data={} if op == "delete" else None)
    (ack,) = decide_push([{"mutation_id": 18, **result}], push_local(e)).acks
    assert ack.steps[0] == DropEntry(1) and ack.steps[-1] == SettleAfterAck(("household", H))
    assert list(ack.steps[1:-1]) == expected
    assert ack.status == result["status"]


def test_a_conflict_keeps_the_sent_values_in_the_base_and_tells_the_worker() -> None:
    result = {"mutation_id": 18, "status": "conflict", "version": 57, "conflicts": ["k1"]}
    (ack,) = decide_push([result], push_local(entry())).acks
    assert SetBase(("household", H), {"phone": "2"}, 57) in ack.steps
    (notice,) = [s for s in ack.steps if isinstance(s, AddNotice)]
    assert notice.key == "conflict:k1" and notice.detail["sent"] == {"phone": "2"}


def test_a_rejected_mutation_is_kept_with_its_errors_and_the_base_stays() -> None:
    result = {"mutation_id": 18, "status": "rejected", "errors": {"phone": ["bad"]}}
    (ack,) = decide_push([result], push_local(entry())).acks
    assert ack.steps == (
        DropEntry(1),
        KeepRejected(entry(), {"phone": ["bad"]}),
        SettleAfterAck(("household", H)),
    )


def test_results_for_unknown_or_repeated_ids_are_skipped() -> None:
    results = [
        {"mutation_id": 17, "status": "applied", "version": 1},
        {"mutation_id": 18, "status": "applied", "version": 57},
        {"mutation_id": 18, "status": "applied", "version": 58},
    ]
    decision = decide_push(results, push_local(entry()))
    assert [a.mutation_id for a in decision.acks] == [18] and decision.counts == {"applied": 1}


def test_a_result_for_a_record_gone_from_the_phone_only_drops_the_entry() -> None:
    e = entry()
    decision = decide_push(
        [{"mutation_id": 18, "status": "applied", "version": 9}], PushLocal({18: e}, {})
    )
    assert decision.acks[0].steps == (DropEntry(1),)


# -- properties ----------------------------------------------------------------------------
IDS = [H, "0190a000-0000-7000-8000-00000000000a", "0190a000-0000-7000-8000-00000000000b"]
leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["", "张三", "2026-04-01", "9999-12-31", "2024-02-30", "138"]),
)


def record_dicts(values: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(
        st.sampled_from(["phone", "notes", "household_no", "head_name", "x"]),
        st.one_of(values, st.dictionaries(st.sampled_from(["wage", "costs"]), values, max_size=2)),
        max_size=4,
    )


records = record_dicts(leaf)  # what a server may send
stored = st.dictionaries(  # what the phone holds (validated when it was saved)
    st.sampled_from(["phone", "notes", "household_no", "head_name"]),
    st.one_of(st.none(), st.sampled_from(["", "张三", "138", "a"])),
    max_size=4,
)
changes = st.lists(
    st.one_of(
        st.builds(
            lambda i, v, d, deleted, oc: {
                "entity": "household",
                "id": i,
                "version": v,
                "deleted": deleted,
                "data": d,
                "open_conflicts": oc,
            },
            st.sampled_from(IDS),
            st.integers(1, 10**6),
            records,
            st.booleans(),
            st.lists(st.sampled_from(["phone", "notes"]), max_size=2, unique=True),
        ),
        st.builds(
            lambda i: {"entity": "household", "id": i, "removed": True}, st.sampled_from(IDS)
        ),
    ),
    max_size=6,
)
held_rows = st.lists(
    st.builds(
        lambda i, data, base, version, deleted, dirty: row(
            record_id=i,
            data=data,
            base=base if version is not None else None,
            version=version,
            deleted=deleted,
            dirty=dirty,
            household_id=i,
        ),
        st.sampled_from(IDS),
        stored,
        stored,
        st.one_of(st.none(), st.integers(1, 100)),
        st.booleans(),
        st.booleans(),
    ),
    max_size=3,
    unique_by=lambda r: r.id,
)


@settings(max_examples=150, deadline=None)
@given(changes, held_rows, st.sets(st.sampled_from(IDS)))
def test_decide_pull_never_loses_an_edit_nor_writes_the_unreadable(
    page: list[dict[str, Any]], held: list[RecordRow], pending_ids: set[str]
) -> None:
    view = local(*held, pending=tuple(("household", i) for i in pending_ids))
    decision = decide_pull(page, view)
    assert decision == decide_pull(page, view)  # plain data: deterministic
    assert len(decision.changes) == len(page)
    assert sum(decision.counts.values()) == len(page)
    seen: set[str] = set()
    for pulled, decided in zip(page, decision.changes, strict=True):
        writes = steps_of(WriteRecord, decided)
        if decided.outcome == "parked":
            assert writes == [] and check_pulled("household", pulled["data"])
            assert not pulled.get("deleted")
        for write in writes:  # nothing the phone cannot compute on reaches a row
            assert check_pulled("household", write.data or {}) == {}
        rid = pulled["id"]
        before = view.records.get(("household", rid))
        first = rid not in seen
        seen.add(rid)
        if not (first and before and writes) or before.deleted:
            continue
        if before.dirty or rid in pending_ids:
            # the worker's locally changed fields survive any pulled state
            base = flatten(before.base_data or {}) if before.base_version is not None else {}
            mine = {p: v for p, v in flatten(before.data or {}).items() if base.get(p, ...) != v}
            after = flatten(writes[0].data or {})
            assert {p: after.get(p) for p in mine} == mine


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "mutation_id": st.integers(15, 22),
                "status": st.sampled_from(["applied", "merged", "conflict", "rejected"]),
                "version": st.one_of(st.none(), st.integers(0, 100)),
                "conflicts": st.lists(st.text(min_size=1, max_size=4), max_size=2),
            }
        ),
        max_size=8,
    ),
    st.sets(st.integers(15, 22)),
)
def test_decide_push_accounts_for_every_answered_entry_once(
    results: list[dict[str, Any]], outbox_ids: set[int]
) -> None:
    entries = [entry(mid, seq=mid) for mid in sorted(outbox_ids)]
    decision = decide_push(results, push_local(*entries))
    answered = {r["mutation_id"] for r in results} & outbox_ids
    assert sorted(a.mutation_id for a in decision.acks) == sorted(answered)
    drops = [s.seq for a in decision.acks for s in a.steps if isinstance(s, DropEntry)]
    assert sorted(drops) == sorted(answered)  # each answered entry dropped exactly once
    assert sum(decision.counts.values()) == len(answered)
    for ack in decision.acks:
        base_moves = [s for s in ack.steps if isinstance(s, SetBase | SetBaseDeleted)]
        assert (ack.status == "rejected") == any(isinstance(s, KeepRejected) for s in ack.steps)
        assert not (ack.status == "rejected" and base_moves)
        for move in base_moves:
            assert move.version is None or move.version >= 5  # never behind the held base


# -- the decide modules stay pure -----------------------------------------------------------
PURE = ["pull_decision.py", "push_decision.py", "admission.py"]
ALLOWED = (
    "__future__",
    "collections",
    "dataclasses",
    "typing",
    "functools",
    "math",
    "re",
    "datetime",
    "marshmallow",
    "shared_schema",
    "mobile_app.store.models",
    "mobile_app.store.reconcile.pull_decision",
    "mobile_app.store.reconcile.admission",
)


@pytest.mark.parametrize("name", PURE)
def test_decide_modules_do_no_io_and_read_no_clock(name: str) -> None:
    tree = ast.parse((ROOT / "mobile_app/store/reconcile" / name).read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            modules = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
            )
            for module in modules:
                assert module.startswith(ALLOWED), f"{name} imports {module}"
        if isinstance(node, ast.Attribute):
            assert node.attr not in {"now", "today", "utcnow", "time", "execute"}, (name, node.attr)


def test_push_results_speak_the_protocols_words() -> None:
    from mobile_app.store.reconcile.push_decision import STATUS_REJECTED
    from shared_schema.schemas.protocol import RESULT_STATUSES
    from shared_schema.sync import STATUS_APPLIED, STATUS_CONFLICT, STATUS_MERGED

    ours = {STATUS_APPLIED, STATUS_MERGED, STATUS_CONFLICT, STATUS_REJECTED}
    assert ours == set(RESULT_STATUSES)
