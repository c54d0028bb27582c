"""Table tests for leaf paths and change sets (docs/sync-core.md, "Leaf paths" and "Changes")."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest

from shared_schema.sync import (
    apply_changes,
    changes_between,
    diff,
    flatten,
    unflatten,
    value_at,
    values_equal,
)

FLATTEN_TABLE: list[tuple[dict[str, Any] | None, dict[str, Any]]] = [
    (None, {}),
    ({}, {}),
    ({"a": 1}, {"a": 1}),
    ({"income": {"wage": 1, "costs": 2}}, {"income.wage": 1, "income.costs": 2}),
    ({"a": {"b": {"c": None}}}, {"a.b.c": None}),
    ({"risks": ["illness", "water"]}, {"risks": ["illness", "water"]}),
    ({"risks": []}, {"risks": []}),
    ({"gps": {}}, {"gps": {}}),
    ({"gps": None}, {"gps": None}),
    ({"x": {"y": {}}, "z": False}, {"x.y": {}, "z": False}),
    ({"l": [{"a": 1}]}, {"l": [{"a": 1}]}),
]


@pytest.mark.parametrize(("record", "paths"), FLATTEN_TABLE)
def test_flatten_table(record: dict[str, Any] | None, paths: dict[str, Any]) -> None:
    assert flatten(record) == paths
    if record is not None:
        assert unflatten(paths) == record


@pytest.mark.parametrize(
    ("bad", "error"),
    [
        ({"a.b": 1}, ValueError),
        ({"": 1}, ValueError),
        ({1: 1}, TypeError),
        ({"a": {"b.c": 1}}, ValueError),
        (["a"], TypeError),
    ],
)
def test_flatten_rejects_bad_keys(bad: Any, error: type[Exception]) -> None:
    with pytest.raises(error):
        flatten(bad)


@pytest.mark.parametrize(
    "paths",
    [
        {"a": 1, "a.b": 2},
        {"a.b": 2, "a": 1},
        {"a": 1, "a.b.c": 2},
        {"a..b": 1},
        {".a": 1},
        {"a": [], "a.b": 1},
    ],
)
def test_unflatten_rejects_clashing_paths(paths: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        unflatten(paths)


def test_unflatten_combines_empty_object_with_children_and_expands_objects() -> None:
    assert unflatten({"a": {}, "a.b": 1}) == {"a": {"b": 1}}
    assert unflatten({"a.b": 1, "a": {}}) == {"a": {"b": 1}}
    assert unflatten({"a": {"b": 1}, "a.c": 2}) == {"a": {"b": 1, "c": 2}}


def test_unflatten_copies_leaf_values() -> None:
    risks = ["illness"]
    out = unflatten({"risks": risks})
    out["risks"].append("water")
    assert risks == ["illness"]


@pytest.mark.parametrize(
    ("a", "b", "equal"),
    [
        (None, None, True),
        (1, 1.0, True),
        (True, 1, False),
        (False, 0, False),
        (False, None, False),
        ("", None, False),
        ({}, {"a": None}, True),
        ({}, None, True),
        ({"a": {"b": None}, "c": {}}, None, True),
        ({"a": 0}, None, False),
        ({"a": []}, None, False),
        ({"a": ""}, {}, False),
        ({"a": 1}, {"a": 1, "b": None}, True),
        ([1, 2], [1, 2], True),
        ([1, 2], [2, 1], False),
        ([True], [1], False),
        ([], None, False),
        ("x", ["x"], False),
    ],
)
def test_values_equal(a: Any, b: Any, equal: bool) -> None:
    assert values_equal(a, b) is equal
    assert values_equal(b, a) is equal


def test_value_at() -> None:
    record = {"income": {"wage": 5}, "gps": None, "n": 3}
    assert value_at(record, "income.wage") == 5
    assert value_at(record, "income") == {"wage": 5}
    assert value_at(record, "income.costs") is None
    assert value_at(record, "gps.lat") is None
    assert value_at(record, "n.x") is None
    assert value_at(None, "a") is None


BASE = {
    "phone": "13800000001",
    "notes": "old",
    "income": {"wage": 100, "costs": 10},
    "gps": {"lat": 30.5, "lon": 114.2},
    "risks": ["illness"],
}

DIFF_TABLE: list[tuple[str, dict[str, Any] | None, dict[str, Any], dict[str, Any]]] = [
    ("identical", BASE, dict(BASE), {}),
    ("one scalar", BASE, {**BASE, "phone": "13900000002"}, {"phone": "13900000002"}),
    ("nested leaf", BASE, {**BASE, "income": {"wage": 200, "costs": 10}}, {"income.wage": 200}),
    ("removed leaf is null", BASE, {**BASE, "income": {"wage": 100}}, {"income.costs": None}),
    ("removed key is null", BASE, {k: v for k, v in BASE.items() if k != "notes"}, {"notes": None}),
    ("null equals missing", {"a": None}, {}, {}),
    ("missing equals null", {}, {"a": None}, {}),
    (
        "list is one value",
        BASE,
        {**BASE, "risks": ["illness", "water"]},
        {"risks": ["illness", "water"]},
    ),
    ("object replaced by null", BASE, {**BASE, "gps": None}, {"gps": None}),
    ("object replaced by empty", BASE, {**BASE, "gps": {}}, {"gps": {}}),
    ("null replaced by object", {"gps": None}, {"gps": {"lat": 1}}, {"gps.lat": 1}),
    ("scalar replaced by empty object", {"x": 5}, {"x": {}}, {"x": {}}),
    ("scalar replaced by null-only object", {"x": 5}, {"x": {"k": None}}, {"x": {}}),
    ("bool is not int", {"a": 1}, {"a": True}, {"a": True}),
    (
        "base None: all non-null leaves",
        None,
        {"a": 1, "b": None, "c": {"d": 2}},
        {"a": 1, "c.d": 2},
    ),
]


@pytest.mark.parametrize(
    ("base", "current", "expected"),
    [row[1:] for row in DIFF_TABLE],
    ids=[row[0] for row in DIFF_TABLE],
)
def test_diff_table(
    base: dict[str, Any] | None, current: dict[str, Any], expected: dict[str, Any]
) -> None:
    assert diff(base, current) == expected
    # The change set lands back on `current` (up to missing == null).
    assert values_equal(apply_changes(base, unflatten(expected)), current)


def test_changes_between_is_nested_and_whole_record_on_create() -> None:
    current = {**BASE, "income": {"wage": 1, "costs": 10}, "notes": None}
    assert changes_between(BASE, current) == {"income": {"wage": 1}, "notes": None}
    create = {"a": None, "b": {"c": 1}}
    assert changes_between(None, create) == create
    assert changes_between(None, create) is not create


APPLY_TABLE: list[tuple[str, dict[str, Any] | None, dict[str, Any], dict[str, Any]]] = [
    ("onto None", None, {"a": {"b": 1}}, {"a": {"b": 1}}),
    ("empty change", BASE, {}, BASE),
    ("leaf by leaf", BASE, {"income": {"wage": 5}}, {**BASE, "income": {"wage": 5, "costs": 10}}),
    (
        "new nested key",
        BASE,
        {"income": {"transfer": 7}},
        {**BASE, "income": {"wage": 100, "costs": 10, "transfer": 7}},
    ),
    ("null replaces object", BASE, {"gps": None}, {**BASE, "gps": None}),
    ("empty object replaces object", BASE, {"gps": {}}, {**BASE, "gps": {}}),
    ("object replaces null", {"gps": None}, {"gps": {"lat": 1}}, {"gps": {"lat": 1}}),
    ("object replaces scalar", {"x": 5}, {"x": {"k": 1}}, {"x": {"k": 1}}),
    ("list replaced whole", BASE, {"risks": []}, {**BASE, "risks": []}),
    ("set to null keeps key", BASE, {"notes": None}, {**BASE, "notes": None}),
]


@pytest.mark.parametrize(
    ("record", "data", "expected"),
    [row[1:] for row in APPLY_TABLE],
    ids=[row[0] for row in APPLY_TABLE],
)
def test_apply_changes_table(
    record: dict[str, Any] | None, data: dict[str, Any], expected: dict[str, Any]
) -> None:
    import copy

    before = (copy.deepcopy(record), copy.deepcopy(data))
    out = apply_changes(record, data)
    assert out == expected
    assert (record, data) == before  # inputs untouched
    assert out is not record


def test_apply_changes_keeps_key_order_for_same_shape_edits() -> None:
    out = apply_changes({"a": 1, "b": {"c": 1, "d": 2}, "e": 3}, {"b": {"c": 5}, "a": 2})
    assert list(out) == ["a", "b", "e"]
    assert list(out["b"]) == ["c", "d"]


def test_apply_changes_result_does_not_share_lists() -> None:
    record = {"risks": ["illness"]}
    out = apply_changes(record, {})
    out["risks"].append("water")
    assert record == {"risks": ["illness"]}


def test_sync_core_is_pure() -> None:
    """The sync core imports only the standard library's pure modules and itself."""
    allowed = {"__future__", "collections", "copy", "dataclasses", "enum", "re", "typing"}
    # `datetime` for the `date` type of a batch's `today`, handed in by the caller; reading the
    # clock (`date.today()`, `datetime.now()`) is refused by tests/shared_schema/test_purity.py
    allowed.add("datetime")
    root = Path(__file__).resolve().parents[2] / "shared_schema" / "sync"
    for path in root.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                assert top in allowed or name.startswith("shared_schema.sync"), (path.name, name)
