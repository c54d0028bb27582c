"""`shared_schema.schemas.fast` accepts, rejects and normalises exactly as marshmallow does
(issue 13): Hypothesis feeds valid records, records with one value replaced by junk or by a
value at or past a bound, partial change sets, unknown keys and non-objects, under several
`today`/`as_of`/`origin` settings, and compares `check_record` with `schema.load`."""

from __future__ import annotations

import copy
import uuid
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError

from shared_schema.schemas.examples import example_visit
from shared_schema.schemas.fast import FAIL, check_record, fast_load
from shared_schema.schemas.records import ENTITIES, flatten_errors, schema_for
from tests.shared_schema.strategies import records_of

TODAYS = (date(2024, 5, 21), date(2026, 12, 3))
JUNK: list[Any] = [
    None,
    "",
    " ",
    "x",
    "tap",
    "healthy",
    "13800000001",
    "1380000000\n",
    0,
    -1,
    -0.0,
    1.5,
    3.0,
    12.345,
    1000,
    1000.001,
    100_000.5,
    99_999_999.99,
    99_999_999.995,
    10**20,
    10**400,
    1e308,
    float("nan"),
    float("inf"),
    True,
    False,
    [],
    {},
    [1],
    ["healthy"],
    ["healthy", "disabled"],
    ["tap", "tap"],
    {"wage": 1},
    "2024-05-20",
    "2024-05-22",
    "2024-05-23",
    "1999-12-31",
    "2000-01-01",
    "9999-12-31",
    "2026-02-30",
    "20240520",
    "2024-05-20T09:30:00+08:00",
    "2024-05-20T09:30:00",
    "9999-12-31T23:59:59+14:00",
    "a\x1bb",
    "a\x85b",
    "a\u202eb",
    "a\tb\nc",
    "x" * 51,
    "x" * 2001,
    str(uuid.uuid4()),
    str(uuid.uuid4()).upper(),
    "{" + str(uuid.uuid4()) + "}",
    "11010519491231002x",
    "11010519491231002X",
    b"bytes",
    date(2024, 5, 20),
    datetime(2024, 5, 20, 9, 30, tzinfo=timezone(timedelta(hours=8))),
]


def marshmallow_outcome(entity: str, data: Any, **settings: Any) -> tuple[Any, Any]:
    schema = schema_for(entity, lang="en", **settings)
    try:
        return schema.load(data), None
    except ValidationError as exc:
        return None, flatten_errors(exc.messages)


def assert_same(entity: str, data: Any, **settings: Any) -> Any:
    """check_record equals marshmallow; the compiled path alone never disagrees."""
    before = copy.deepcopy(data)
    expected = marshmallow_outcome(entity, data, **settings)
    assert check_record(entity, data, lang="en", **settings) == expected
    fast = fast_load(entity, data, **settings)
    if fast is not FAIL:
        assert expected[1] is None, (data, expected)
        assert fast == expected[0]
    assert data == before or data != data  # never modified (NaN is not equal to itself)
    return fast


SETTINGS = st.fixed_dictionaries(
    {
        "today": st.sampled_from((*TODAYS, None)),
        "as_of": st.sampled_from((*TODAYS, None)),
        "origin": st.sampled_from(("client", "server")),
    }
)
FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("entity", ENTITIES)
@FAST
@given(data=st.data())
def test_valid_records_take_the_compiled_path_and_load_alike(entity, data):
    record = data.draw(records_of(entity))
    settings_ = data.draw(SETTINGS) | {"origin": "server"}
    expected, errors = marshmallow_outcome(entity, record, **settings_)
    fast = assert_same(entity, record, **settings_)
    if errors is None:
        assert fast is not FAIL  # the fast path vouched for it itself
        assert fast == expected


def _paths(record: dict[str, Any]) -> list[tuple[str, ...]]:
    paths: list[tuple[str, ...]] = []
    for key, value in record.items():
        paths.append((key,))
        if isinstance(value, dict):
            paths += [(key, inner) for inner in value]
    return paths


@pytest.mark.parametrize("entity", ENTITIES)
@FAST
@given(data=st.data())
def test_one_bad_or_edge_value_is_judged_alike(entity, data):
    record = data.draw(records_of(entity))
    path = data.draw(st.sampled_from(_paths(record)))
    action = data.draw(st.sampled_from(["replace", "replace", "replace", "drop", "unknown"]))
    target = record
    for key in path[:-1]:
        target = target[key]
    if action == "replace":
        target[path[-1]] = data.draw(st.sampled_from(JUNK))
    elif action == "drop":
        del target[path[-1]]
    else:
        target["zz_" + path[-1]] = 1
    assert_same(entity, record, partial=data.draw(st.booleans()), **data.draw(SETTINGS))


@pytest.mark.parametrize("entity", ENTITIES)
@FAST
@given(data=st.data())
def test_partial_change_sets_are_judged_alike(entity, data):
    record = data.draw(records_of(entity))
    keys = data.draw(st.lists(st.sampled_from(sorted(record)), unique=True))
    change = {k: record[k] for k in keys}
    if data.draw(st.booleans()) and keys:
        change[keys[0]] = data.draw(st.sampled_from(JUNK))
    assert_same(entity, change, partial=True, **data.draw(SETTINGS))


@FAST
@given(
    value=st.one_of(
        st.sampled_from(JUNK),
        st.lists(st.integers()),
        st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    ),
    entity=st.sampled_from(ENTITIES),
)
def test_any_json_value_as_a_record_is_judged_alike(value, entity):
    assert_same(entity, value, today=TODAYS[0])


def test_the_visit_date_bound_follows_today():
    visit = example_visit(household_id=str(uuid.uuid4()), visit_date="2024-05-22")
    assert check_record("visit", visit, today=date(2024, 5, 21))[1] is None
    assert check_record("visit", visit, today=date(2024, 5, 20), lang="en") == (
        None,
        {"visit_date": ["Visit date may not be after 2024-05-21"]},
    )


def test_a_rule_failure_gives_marshmallows_messages_in_the_callers_language():
    visit = example_visit(household_id=str(uuid.uuid4()), risks=[], disaster_type="flood")
    loaded, errors = check_record("visit", visit, today=TODAYS[1], lang="zh")
    assert loaded is None and list(errors) == ["disaster_type"]
    schema = schema_for("visit", lang="zh", today=TODAYS[1])
    with pytest.raises(ValidationError) as raised:
        schema.load(visit)
    assert errors == flatten_errors(raised.value.messages)
    assert errors != marshmallow_outcome("visit", visit, today=TODAYS[1])[1]  # English there


def test_valid_input_is_not_modified_and_the_result_is_a_new_dict():
    visit = example_visit(household_id=str(uuid.uuid4()).upper())
    loaded, errors = check_record("visit", visit, today=TODAYS[1])
    assert errors is None and loaded is not visit
    assert loaded["household_id"] == uuid.UUID(visit["household_id"])
    assert isinstance(visit["household_id"], str)


def test_unknown_entity():
    with pytest.raises(KeyError):
        check_record("tractor", {}, today=None)
