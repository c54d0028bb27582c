"""The push's fast paths keep its guarantees (issue 7).

- A create is validated by one whole-record load (`record_checks.create_is_valid`) instead of
  the partial check of the changes plus the check of the merged record: it must accept exactly
  what the two checks accept, and a bad create must get exactly the errors the two checks give.
- A create of an id the server already holds (another phone created it first) is no fast path:
  it still merges against the server's record.
- Schemas whose rules never read `as_of` (households, visits) are cached once for all dates;
  only schemas that declare `uses_as_of` are cached per date.
- Field validators run directly while they pass; a failure gives marshmallow's `And` messages.
- The request's JSON check searches strings for NUL/surrogates only when the raw text could
  hold one; `JsonObject` (a push's `data`, a pull's records) loads and dumps like
  `fields.Dict(keys=fields.String())`.
"""

from __future__ import annotations

import inspect
import json
import re
from collections import OrderedDict
from datetime import UTC, date, datetime
from typing import Any

import pytest
from marshmallow import Schema, ValidationError, fields, validate

from shared_schema.schemas import records as shared
from shared_schema.schemas.base import RecordSchema
from shared_schema.schemas.fieldtypes import Alone, Amount, CodeList, Count, Text, localize_field
from shared_schema.schemas.protocol import JsonObject
from shared_schema.sync import merge
from sync_server.http import json_body_problem
from sync_server.services import record_checks
from tests.shared_schema import test_household_schema, test_member_schema, test_visit_schema
from tests.shared_schema.schema_cases import record
from tests.sync_server.helpers import household, member, mutation, new_id, pull, push, visit

DAY = date(2026, 11, 25)


def _reference(entity: str, data: dict[str, Any], *, lang: str, as_of: date) -> dict[str, Any]:
    """The errors of a create by the two checks the push always made (empty: accepted)."""
    errors = shared.validate_changes(entity, data, lang=lang, as_of=as_of)
    if errors:
        return errors
    merged = merge(None, None, data).merged
    assert merged is not None
    if entity == "visit":
        merged.setdefault("review_status", "submitted")
    return shared.validate_record(entity, merged, lang=lang, as_of=as_of)


def _cases() -> list[tuple[str, str, dict[str, Any]]]:
    """Every record of the schema case tables, valid and invalid, as a create's data."""
    out: list[tuple[str, str, dict[str, Any]]] = []
    tables = [
        ("household", test_household_schema.CASES),
        ("member", test_member_schema.FIELD_CASES),
        ("member", test_member_schema.ID_CASES),
        ("member", test_member_schema.SCHOOLING_CASES),
        ("visit", test_visit_schema.CASES),
    ]
    for entity, table in tables:
        for name, overrides, _expected in table:
            out.append((entity, name, record(entity, **overrides)))
    for name, data, _as_of, _expected in test_member_schema.AGE_CASES:
        out.append(("member", name, data))
    # server-owned fields, required fields missing next to a bad value, a partial create
    out.append(("visit", "review_status approved", record("visit", review_status="approved")))
    out.append(("visit", "no review_status", record("visit", review_status=None)))
    out.append(("household", "only a bad phone", {"phone": "12345"}))
    out.append(("household", "only a good phone", {"phone": "13800000001"}))
    out.append(("visit", "partial income", {"income": {"wage": 1}}))
    return out


CASES = _cases()


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize(
    ("entity", "data"), [(e, d) for e, _, d in CASES], ids=[n for _, n, _ in CASES]
)
def test_one_load_accepts_exactly_what_both_checks_accept(
    entity: str, data: dict[str, Any], lang: str
) -> None:
    expected = _reference(entity, data, lang=lang, as_of=DAY) == {}
    assert record_checks.create_is_valid(entity, data, lang=lang, as_of=DAY) is expected


def test_the_case_tables_hold_both_outcomes() -> None:
    outcomes = {_reference(e, d, lang="en", as_of=DAY) == {} for e, _, d in CASES}
    assert outcomes == {True, False}
    # some bad creates pass the partial check and fail only as a whole record
    only_whole = [
        n
        for e, n, d in CASES
        if not shared.validate_changes(e, d, lang="en", as_of=DAY)
        and _reference(e, d, lang="en", as_of=DAY)
    ]
    assert only_whole


@pytest.fixture
def wang(seed, client):
    seed.grid("g1", township="t1")
    seed.user("wang", grids=["g1"])
    return seed.login(client, "wang")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_bad_create_gets_the_errors_of_both_checks(client, wang, lang):
    hid = new_id()
    bad: list[tuple[str, dict[str, Any]]] = [
        ("household", household("g1", phone="12345")),  # a bad value
        ("household", {"phone": "12345", "colour": "red"}),  # bad values, required missing
        ("household", {"phone": "13800000001"}),  # valid changes, required fields missing
        ("member", member(hid, id_number="123")),
        ("member", member(hid, sex="female")),  # disagrees with the ID number
        ("visit", visit(hid, review_status="approved")),
        ("visit", visit(hid, review_comment="好")),
        ("visit", visit(hid, income={"wage": -1})),
    ]
    good = [
        mutation(wang, "household", hid, household("g1")),
        mutation(wang, "member", new_id(), member(hid)),
        mutation(wang, "visit", new_id(), visit(hid)),
    ]
    batch = good + [mutation(wang, e, new_id(), d) for e, d in bad]
    response = push(client, wang, *batch, **{"Accept-Language": lang})
    results = response.get_json()["results"]
    today = datetime.now(UTC).date()
    assert [r["status"] for r in results[:3]] == ["applied"] * 3
    for (entity, data), result in zip(bad, results[3:], strict=True):
        as_of = date.fromisoformat(data["visit_date"]) if entity == "visit" else today
        expected = _reference(entity, data, lang=lang, as_of=as_of)
        assert expected, (entity, data)
        assert (result["status"], result["errors"]) == ("rejected", expected)
    # what was stored is each create's data (a visit with its default review status, a
    # household marked new from the field)
    stored = {c["id"]: c["data"] for c in pull(client, wang)["changes"]}
    assert stored == {
        good[0]["id"]: good[0]["data"] | {"registration": "field_new"},
        good[1]["id"]: good[1]["data"],
        good[2]["id"]: good[2]["data"] | {"review_status": "submitted"},
    }


def test_a_create_of_an_id_the_server_holds_still_merges(client, seed, wang):
    hid = new_id()
    created = household("g1")
    [first] = push(client, wang, mutation(wang, "household", hid, created)).get_json()["results"]
    assert first["status"] == "applied"
    # Another phone created the same id offline (base_version null), with one field changed.
    other = seed.login(client, "wang")
    racing = created | {"phone": "13911112222"}
    [result] = push(client, other, mutation(other, "household", hid, racing)).get_json()["results"]
    # Judged against an empty base: the phone differs from the server's, a conflict, and the
    # server's value stays (a fresh create would have overwritten it).
    assert result["status"] == "conflict" and len(result["conflicts"]) == 1
    [change] = pull(client, other)["changes"]
    assert change["data"] == created | {"registration": "field_new"}
    assert change["open_conflicts"] == ["phone"]
    # The same create once more, now identical to the server's record: nothing to write.
    [same] = push(client, other, mutation(other, "household", hid, created)).get_json()["results"]
    assert same["status"] == "applied" and same["version"] == change["version"]


def test_a_create_of_a_held_id_is_checked_as_the_merged_record(client, seed, wang):
    hid, mid = new_id(), new_id()
    held = member(hid, work_place=None, work_months=None)
    push(
        client,
        wang,
        mutation(wang, "household", hid, household("g1")),
        mutation(wang, "member", mid, held),
    )
    # A partial "create" (base null) of the held member: valid as changes, but the merged
    # record has work months without a work place; the create check alone would not see it.
    other = seed.login(client, "wang")
    change = {"work_months": 5}
    [result] = push(client, other, mutation(other, "member", mid, change)).get_json()["results"]
    merged = held | change
    today = datetime.now(UTC).date()
    expected = shared.validate_record("member", merged, lang="zh", as_of=today)
    assert set(expected) == {"work_place"}
    assert (result["status"], result["errors"]) == ("rejected", expected)


def _nested_classes(schema_class: type[RecordSchema]) -> list[type[RecordSchema]]:
    found = [schema_class]
    for field in schema_class._declared_fields.values():
        if isinstance(field, fields.Nested) and isinstance(field.nested, type):
            found += _nested_classes(field.nested)
    return found


@pytest.mark.parametrize("entity", shared.ENTITIES)
def test_uses_as_of_is_declared_by_every_schema_whose_rules_read_it(entity):
    schema_class = shared.SCHEMAS[entity]
    reads = any("as_of" in inspect.getsource(c) for c in _nested_classes(schema_class))
    assert schema_class.uses_as_of is reads


def test_visits_of_many_dates_share_one_schema_members_are_cached_per_date():
    hid = new_id()
    record_checks.validate_changes("visit", visit(hid), lang="en", as_of=DAY)
    before = record_checks._schema.cache_info().currsize
    for day in range(1, 29):
        as_of = date(2025, 2, day)
        assert record_checks.validate_changes(
            "visit", visit(hid, visit_date=as_of.isoformat()), lang="en", as_of=as_of
        ) == shared.validate_changes(
            "visit", visit(hid, visit_date=as_of.isoformat()), lang="en", as_of=as_of
        )
    assert record_checks._schema.cache_info().currsize == before
    # A member's age rules read the date: 10 years old on one day, 17 on another.
    child = test_member_schema.child(10)
    young = record_checks.validate_record("member", child, lang="en", as_of=date(2024, 5, 20))
    grown = record_checks.validate_record("member", child, lang="en", as_of=date(2031, 5, 20))
    assert "not_in_school_reason" in young and "not_in_school_reason" not in grown


def _walked(data: bytes) -> str | None:
    """json_body_problem's answer by searching every string (no shortcut on the raw text)."""
    problem = json_body_problem(data)
    if problem is not None:
        return problem
    stack: list[Any] = [json.loads(data)]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack += [*item.keys(), *item.values()]
        elif isinstance(item, list):
            stack += item
        elif isinstance(item, str) and re.search("[\x00\ud800-\udfff]", item):
            return "text holds a NUL character or an unpaired surrogate"
    return None


@pytest.mark.parametrize(
    "body",
    [
        '{"a": "张三"}'.encode(),
        json.dumps({"a": "张三"}).encode(),  # ASCII escapes
        b'{"a": "x\\u0000y"}',
        b'{"a\\u0000": 1}',
        b'{"a": ["\\ud800"]}',
        b'{"a": "\\uDBFF"}',
        b'{"a": "\\udfff"}',
        b'{"a": "\\uD83D\\uDE00"}',  # a pair: one character, fine
        '{"a": "😀"}'.encode(),
        b'{"a": "\xed\xa0\x80"}',  # a raw surrogate (decoded with surrogatepass)
        b'{"a": "\xed\x9f\xbf"}',  # U+D7FF, the last code point before the surrogates
        b'{"a": "\\\\u0000"}',  # an escaped backslash, then text
        '{"a": "\\u0000"}'.encode("utf-16"),
        b'\xef\xbb\xbf{"a": "\\u0000"}',
    ],
)
def test_the_raw_text_shortcut_answers_like_searching_every_string(body: bytes) -> None:
    try:
        expected = _walked(body)
    except ValueError:  # not JSON at all: the usual 400, both ways
        expected = None
    assert json_body_problem(body) == expected


@pytest.mark.parametrize(
    "value",
    [{}, {"a": 1, "b": {"c": [1]}}, {"名": "张"}, OrderedDict(a=1), [], "x", 3, None],
)
def test_json_object_loads_and_dumps_like_a_dict_of_string_keys(value: Any) -> None:
    class Fast(Schema):
        data = JsonObject(allow_none=True)

    class Plain(Schema):
        data = fields.Dict(keys=fields.String(), allow_none=True)

    def outcome(schema: Schema) -> Any:
        try:
            return ("loaded", schema.load({"data": value}))
        except ValidationError as exc:
            return ("error", exc.messages)

    assert outcome(Fast()) == outcome(Plain())
    if isinstance(value, dict):
        assert Fast().dump({"data": value}) == Plain().dump({"data": value})


@pytest.mark.parametrize(
    ("field", "value"),
    [
        (Text(min_length=1, max_length=3), "\x01abcd"),  # two validators fail: both messages
        (Text(min_length=1, max_length=3), "   "),
        (Text(min_length=1, max_length=3), "abc"),
        (CodeList("health", min_items=1, extra=(Alone("health", "healthy"),)), []),
        (CodeList("health", extra=(Alone("health", "healthy"),)), ["healthy", "healthy"]),
        (Amount(), 1.005),
        (Amount(), -1.005),
        (Count(validate=validate.Range(min=0, max=12)), 13),
    ],
)
def test_direct_validators_fail_with_the_messages_of_marshmallows_and(field, value):
    localize_field(field, "en", "Field")

    def messages(run: Any) -> Any:
        try:
            run(value)
        except ValidationError as exc:
            return exc.messages
        return None

    expected = messages(lambda v: fields.Field._validate(field, v))  # marshmallow's And
    assert messages(field._validate) == expected
    if value in ("\x01abcd", 1.005, -1.005, 13, []):
        assert expected, value
    if value in ("\x01abcd", -1.005):
        assert len(expected) == 2
