"""Every row and record-level case of the merge table in docs/sync-core.md, plus rebase_local."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from shared_schema.sync import (
    DELETE,
    DELETED_FIELD,
    Conflict,
    Deleted,
    MergeResult,
    merge,
    rebase_local,
    resolve_conflict,
)

BASE: dict[str, Any] = {
    "head_name": "张三",
    "phone": "13800000001",
    "notes": None,
    "income": {"wage": 100, "costs": 10},
    "risks": ["illness"],
}


def edited(**fields: Any) -> dict[str, Any]:
    """BASE with top-level fields replaced."""
    return {**copy.deepcopy(BASE), **fields}


# (id, server, client changes, merged, conflicts as (field, base, server, client), changed, status)
FIELD_TABLE: list[
    tuple[
        str,
        dict[str, Any],
        dict[str, Any],
        dict[str, Any],
        list[tuple[str, Any, Any, Any]],
        tuple[str, ...],
        str,
    ]
] = [
    # Row 1: client == server -> no-op, whatever base/server are.
    ("row1 server unchanged, same value", BASE, {"phone": "13800000001"}, BASE, [], (), "noop"),
    (
        "row1 both changed to the same value",
        edited(phone="13900000009"),
        {"phone": "13900000009"},
        edited(phone="13900000009"),
        [],
        (),
        "noop",
    ),
    # Row 2: server == base, client differs -> take client.
    (
        "row2 take client",
        BASE,
        {"phone": "13900000002"},
        edited(phone="13900000002"),
        [],
        ("phone",),
        "applied",
    ),
    (
        "row2 nested leaf taken, sibling kept",
        BASE,
        {"income": {"wage": 300}},
        edited(income={"wage": 300, "costs": 10}),
        [],
        ("income.wage",),
        "applied",
    ),
    ("row2 set to null", BASE, {"phone": None}, edited(phone=None), [], ("phone",), "applied"),
    (
        "row2 list is one value",
        BASE,
        {"risks": ["illness", "water"]},
        edited(risks=["illness", "water"]),
        [],
        ("risks",),
        "applied",
    ),
    (
        "row2 missing == null in base",
        BASE,
        {"notes": "新"},
        edited(notes="新"),
        [],
        ("notes",),
        "applied",
    ),
    # Row 3: server changed, client == base -> no-op (client did not really change it).
    (
        "row3 stale echo of base",
        edited(phone="13900000009"),
        {"phone": "13800000001"},
        edited(phone="13900000009"),
        [],
        (),
        "noop",
    ),
    # Row 4: both changed to different values -> conflict, server kept.
    (
        "row4 conflict keeps server",
        edited(phone="13900000009"),
        {"phone": "13700000007"},
        edited(phone="13900000009"),
        [("phone", "13800000001", "13900000009", "13700000007")],
        (),
        "conflict",
    ),
    (
        "row4 nested conflict, other leaf of the object applied",
        edited(income={"wage": 150, "costs": 10}),
        {"income": {"wage": 200, "costs": 20}},
        edited(income={"wage": 150, "costs": 20}),
        [("income.wage", 100, 150, 200)],
        ("income.costs",),
        "conflict",
    ),
    (
        "row4 conflict on a list",
        edited(risks=["water"]),
        {"risks": ["illness", "housing"]},
        edited(risks=["water"]),
        [("risks", ["illness"], ["water"], ["illness", "housing"])],
        (),
        "conflict",
    ),
    (
        "row4 server cleared, client edited",
        edited(phone=None),
        {"phone": "13700000007"},
        edited(phone=None),
        [("phone", "13800000001", None, "13700000007")],
        (),
        "conflict",
    ),
    # A true merge: disjoint fields.
    (
        "merged: server changed another field",
        edited(head_name="李四"),
        {"phone": "13900000002"},
        edited(head_name="李四", phone="13900000002"),
        [],
        ("phone",),
        "merged",
    ),
    (
        "merged: nested siblings changed on each side",
        edited(income={"wage": 100, "costs": 50}),
        {"income": {"wage": 120}},
        edited(income={"wage": 120, "costs": 50}),
        [],
        ("income.wage",),
        "merged",
    ),
    ("empty change set", edited(head_name="李四"), {}, edited(head_name="李四"), [], (), "noop"),
    (
        "mixed row per field",
        edited(phone="13900000009", notes="server"),
        {"phone": "13700000007", "notes": "server", "head_name": "王五", "risks": ["illness"]},
        edited(phone="13900000009", notes="server", head_name="王五"),
        [("phone", "13800000001", "13900000009", "13700000007")],
        ("head_name",),
        "conflict",
    ),
    (
        "object replaced by null vs edited server object",
        edited(income={"wage": 150, "costs": 10}),
        {"income": None},
        edited(income={"wage": 150, "costs": 10}),
        [("income", {"wage": 100, "costs": 10}, {"wage": 150, "costs": 10}, None)],
        (),
        "conflict",
    ),
    (
        "object replaced by null, server unchanged",
        BASE,
        {"income": None},
        edited(income=None),
        [],
        ("income",),
        "applied",
    ),
]


@pytest.mark.parametrize(
    ("server", "client", "merged", "conflicts", "changed", "status"),
    [row[1:] for row in FIELD_TABLE],
    ids=[row[0] for row in FIELD_TABLE],
)
def test_field_table(
    server: dict[str, Any],
    client: dict[str, Any],
    merged: dict[str, Any],
    conflicts: list[tuple[str, Any, Any, Any]],
    changed: tuple[str, ...],
    status: str,
) -> None:
    inputs = copy.deepcopy((BASE, server, client))
    result = merge(BASE, server, client)
    assert result.merged == merged
    assert result.deleted is False
    assert [
        (c.field, c.base_value, c.server_value, c.client_value) for c in result.conflicts
    ] == conflicts
    assert all(c.client_data is None for c in result.conflicts)
    assert result.changed == changed
    assert result.status == status
    assert (BASE, server, client) == inputs  # never mutates its inputs
    assert result.merged is not server


def test_create() -> None:
    data = {"head_name": "张三", "income": {"wage": 1}, "notes": None}
    result = merge(None, None, data)
    assert result == MergeResult(
        merged=data,
        deleted=False,
        conflicts=(),
        changed=("head_name", "income.wage", "notes"),
        status="applied",
    )
    assert result.merged is not data


def test_create_of_existing_id_conflicts_on_every_field_set_differently() -> None:
    server = {"head_name": "张三", "phone": "13800000001", "notes": "x"}
    client = {"head_name": "李四", "phone": "13800000001", "address": "村口"}
    result = merge(None, server, client)
    assert result.status == "conflict"
    assert result.merged == {**server, "address": "村口"}
    assert result.conflicts == (Conflict("head_name", None, "张三", "李四"),)
    assert result.changed == ("address",)


def test_create_of_existing_id_without_overlap_is_merged() -> None:
    result = merge(None, {"a": 1}, {"b": 2})
    assert (result.merged, result.status, result.conflicts) == ({"a": 1, "b": 2}, "merged", ())


def test_retried_create_is_noop() -> None:
    data = {"head_name": "张三", "income": {"wage": 1}}
    first = merge(None, None, data)
    assert first.merged is not None
    again = merge(None, first.merged, data)
    assert (again.status, again.conflicts, again.changed, again.merged) == ("noop", (), (), data)


def test_delete_server_unchanged_is_tombstone() -> None:
    result = merge(BASE, copy.deepcopy(BASE), DELETE)
    assert result == MergeResult(None, True, (), (DELETED_FIELD,), "applied")


def test_delete_server_unchanged_up_to_missing_null() -> None:
    server = {k: v for k, v in BASE.items() if k != "notes"}
    assert merge(BASE, server, DELETE).deleted is True


def test_delete_vs_edit_is_conflict_and_record_stays() -> None:
    server = edited(phone="13900000009")
    result = merge(BASE, server, DELETE)
    assert result.merged == server
    assert result.merged is not server
    assert result.deleted is False
    assert result.status == "conflict"
    assert result.conflicts == (Conflict(DELETED_FIELD, False, False, True),)
    assert result.changed == ()


def test_delete_with_no_base_is_conflict_against_existing_record() -> None:
    result = merge(None, {"a": 1}, DELETE)
    assert result.status == "conflict" and result.deleted is False


def test_edit_vs_delete_is_conflict_carrying_client_data() -> None:
    changes = {"phone": "13700000007", "income": {"wage": 5}}
    result = merge(BASE, Deleted(copy.deepcopy(BASE)), changes)
    assert result.merged is None
    assert result.deleted is True
    assert result.status == "conflict"
    assert result.conflicts == (Conflict(DELETED_FIELD, False, True, False, client_data=changes),)
    assert result.conflicts[0].client_data is not changes


def test_edit_vs_delete_noop_edit_stays_deleted_without_conflict() -> None:
    result = merge(BASE, Deleted(copy.deepcopy(BASE)), {"phone": BASE["phone"]})
    assert result == MergeResult(None, True, (), (), "noop")


def test_create_on_deleted_id_is_conflict() -> None:
    result = merge(None, Deleted({"a": 1}), {"a": 2})
    assert result.status == "conflict"
    assert result.conflicts[0].client_data == {"a": 2}


@pytest.mark.parametrize("server", [Deleted(BASE), Deleted({}), None])
def test_delete_of_deleted_or_missing_is_noop(server: Deleted | None) -> None:
    assert merge(BASE, server, DELETE) == MergeResult(None, True, (), (), "noop")


def test_edit_with_base_but_no_server_record_is_an_error() -> None:
    with pytest.raises(ValueError):
        merge(BASE, None, {"a": 1})


@pytest.mark.parametrize("client", [None, ["a"], "DELETE", 1])
def test_client_must_be_changes_or_delete(client: Any) -> None:
    with pytest.raises(TypeError):
        merge(BASE, BASE, client)


def test_result_types_are_frozen() -> None:
    result = merge(BASE, BASE, {"a": 1})
    with pytest.raises(AttributeError):
        result.status = "x"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        Conflict("a", 1, 2, 3).field = "b"  # type: ignore[misc]
    assert repr(DELETE) == "DELETE"


# rebase_local: (base, server_new, local, new_local, pending)
REBASE_TABLE: list[tuple[str, Any, Any, dict[str, Any], dict[str, Any], dict[str, Any]]] = [
    ("no local edits: take server", BASE, edited(phone="1"), BASE, edited(phone="1"), {}),
    (
        "untouched field taken, pending kept",
        BASE,
        edited(head_name="李四"),
        edited(phone="13700000007"),
        edited(head_name="李四", phone="13700000007"),
        {"phone": "13700000007"},
    ),
    (
        "pulled state never overwrites a pending edit",
        BASE,
        edited(phone="13900000009"),
        edited(phone="13700000007"),
        edited(phone="13700000007"),
        {"phone": "13700000007"},
    ),
    (
        "edit the server already holds drops out of pending",
        BASE,
        edited(phone="13700000007", notes="s"),
        edited(phone="13700000007"),
        edited(phone="13700000007", notes="s"),
        {},
    ),
    (
        "nested: per leaf",
        BASE,
        edited(income={"wage": 100, "costs": 99}),
        edited(income={"wage": 1, "costs": 10}),
        edited(income={"wage": 1, "costs": 99}),
        {"income": {"wage": 1}},
    ),
    (
        "local clear is a pending edit",
        BASE,
        edited(notes="server"),
        edited(phone=None),
        edited(phone=None, notes="server"),
        {"phone": None},
    ),
    ("created on phone, server has none", None, None, {"a": 1}, {"a": 1}, {"a": 1}),
    (
        "created on phone, server has same id",
        None,
        {"a": 1, "b": 2},
        {"a": 1, "c": 3},
        {"a": 1, "b": 2, "c": 3},
        {"c": 3},
    ),
]


@pytest.mark.parametrize(
    ("base", "server_new", "local", "new_local", "pending"),
    [row[1:] for row in REBASE_TABLE],
    ids=[row[0] for row in REBASE_TABLE],
)
def test_rebase_local(
    base: Any,
    server_new: Any,
    local: dict[str, Any],
    new_local: dict[str, Any],
    pending: dict[str, Any],
) -> None:
    inputs = copy.deepcopy((base, server_new, local))
    got_local, got_pending = rebase_local(base, server_new, local)
    assert got_local == new_local
    assert got_pending == pending
    assert (base, server_new, local) == inputs


def test_rebase_then_push_gives_the_local_record_on_the_server() -> None:
    server_new = edited(head_name="李四", income={"wage": 100, "costs": 20})
    local = edited(phone="13700000007", income={"wage": 7, "costs": 10})
    new_local, pending = rebase_local(BASE, server_new, local)
    pushed = merge(server_new, server_new, pending)
    assert pushed.status == "applied"
    assert pushed.merged == new_local


# Shape changes (only malformed records have them, but a server change must never vanish).
SHAPE_TABLE: list[tuple[str, dict[str, Any], dict[str, Any], dict[str, Any], str]] = [
    ("server leaf at ancestor changed: conflict", {"o": 7}, {"o": 8}, {"o": {"x": 5}}, "conflict"),
    ("server cleared ancestor leaf: conflict", {"o": 7}, {"o": None}, {"o": {"x": 5}}, "conflict"),
    ("ancestor leaf unchanged: client replaces it", {"o": 7}, {"o": 7}, {"o": {"x": 5}}, "applied"),
    ("server object, base leaf: conflict", {"o": 7}, {"o": {"x": 1}}, {"o": {"x": 5}}, "conflict"),
]


@pytest.mark.parametrize(
    ("base", "server", "client", "status"),
    [row[1:] for row in SHAPE_TABLE],
    ids=[row[0] for row in SHAPE_TABLE],
)
def test_shape_changes(
    base: dict[str, Any], server: dict[str, Any], client: dict[str, Any], status: str
) -> None:
    result = merge(base, server, client)
    assert result.status == status
    if status == "conflict":
        assert result.merged == server
        assert [c.field for c in result.conflicts] == ["o.x"]
    else:
        assert result.merged == {"o": {"x": 5}}


# resolve_conflict: (id, current, field, value, client_data, merged, deleted, changed, status)
RESOLVE_TABLE: list[tuple[str, Any, str, Any, Any, Any, bool, tuple[str, ...], str]] = [
    (
        "leaf: client value chosen",
        BASE,
        "phone",
        "13700000007",
        None,
        edited(phone="13700000007"),
        False,
        ("phone",),
        "applied",
    ),
    ("leaf: server value kept", BASE, "phone", BASE["phone"], None, BASE, False, (), "noop"),
    (
        "leaf: null is a legal choice",
        BASE,
        "phone",
        None,
        None,
        edited(phone=None),
        False,
        ("phone",),
        "applied",
    ),
    (
        "nested leaf",
        BASE,
        "income.wage",
        7,
        None,
        edited(income={"wage": 7, "costs": 10}),
        False,
        ("income.wage",),
        "applied",
    ),
    (
        "object value replaces the subtree",
        BASE,
        "income",
        {"wage": 1},
        None,
        edited(income={"wage": 1}),
        False,
        ("income",),
        "applied",
    ),
    (
        "delete vs edit resolved true: deleted",
        BASE,
        DELETED_FIELD,
        True,
        None,
        None,
        True,
        (DELETED_FIELD,),
        "applied",
    ),
    (
        "delete vs edit resolved false: kept",
        BASE,
        DELETED_FIELD,
        False,
        None,
        BASE,
        False,
        (),
        "noop",
    ),
    (
        "edit vs delete resolved false: restored with the client's changes",
        Deleted(BASE),
        DELETED_FIELD,
        False,
        {"phone": "13700000007", "income": {"wage": 5}},
        edited(phone="13700000007", income={"wage": 5, "costs": 10}),
        False,
        (DELETED_FIELD, "head_name", "income.costs", "income.wage", "notes", "phone", "risks"),
        "applied",
    ),
    (
        "edit vs delete resolved true: stays deleted",
        Deleted(BASE),
        DELETED_FIELD,
        True,
        {"a": 1},
        None,
        True,
        (),
        "noop",
    ),
]


@pytest.mark.parametrize(
    ("current", "field", "value", "client_data", "merged", "deleted", "changed", "status"),
    [row[1:] for row in RESOLVE_TABLE],
    ids=[row[0] for row in RESOLVE_TABLE],
)
def test_resolve_conflict(
    current: Any,
    field: str,
    value: Any,
    client_data: Any,
    merged: Any,
    deleted: bool,
    changed: tuple[str, ...],
    status: str,
) -> None:
    before = copy.deepcopy((current, client_data))
    result = resolve_conflict(current, field, value, client_data)
    assert (result.merged, result.deleted, result.changed, result.status) == (
        merged,
        deleted,
        changed,
        status,
    )
    assert result.conflicts == ()
    assert (current, client_data) == before


@pytest.mark.parametrize(
    ("current", "field", "value"),
    [(BASE, DELETED_FIELD, "yes"), (BASE, DELETED_FIELD, None), (Deleted(BASE), "phone", "1")],
)
def test_resolve_conflict_rejects_bad_input(current: Any, field: str, value: Any) -> None:
    with pytest.raises(ValueError):
        resolve_conflict(current, field, value)


def test_conflict_then_resolution_round_trip() -> None:
    """A merge conflict resolved with the client's value gives what the client wanted."""
    server = edited(phone="13900000009", head_name="李四")
    result = merge(BASE, server, {"phone": "13700000007", "notes": "x"})
    assert result.merged is not None
    (conflict,) = result.conflicts
    resolved = resolve_conflict(result.merged, conflict.field, conflict.client_value)
    assert resolved.merged == edited(phone="13700000007", head_name="李四", notes="x")
    edit_vs_delete = merge(BASE, Deleted(BASE), {"phone": "13700000007"})
    (conflict,) = edit_vs_delete.conflicts
    restored = resolve_conflict(Deleted(BASE), conflict.field, False, conflict.client_data)
    assert restored.merged == edited(phone="13700000007")
