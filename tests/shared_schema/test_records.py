"""The front door `shared_schema.schemas.records`: schema_for, validate_record,
validate_changes (partial client data), validate_household_members, normalize, error paths."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError

from shared_schema.schemas.household import HouseholdSchema
from shared_schema.schemas.member import MemberSchema
from shared_schema.schemas.records import (
    ENTITIES,
    flatten_errors,
    normalize,
    schema_for,
    validate_changes,
    validate_household_members,
    validate_record,
)
from shared_schema.schemas.visit import VisitSchema

from .schema_cases import assert_localized, record
from .strategies import records_of

AS_OF = date(2024, 5, 20)

# --- schema_for ------------------------------------------------------------------------------


def test_entities() -> None:
    assert ENTITIES == ("household", "member", "visit")


@pytest.mark.parametrize(
    ("entity", "cls"),
    [("household", HouseholdSchema), ("member", MemberSchema), ("visit", VisitSchema)],
)
def test_schema_for_builds_a_configured_instance(entity: str, cls: type) -> None:
    schema = schema_for(entity, lang="en", as_of=AS_OF, partial=True, origin="server")
    assert type(schema) is cls
    assert (schema.lang, schema.as_of, schema.origin, schema.partial) == (
        "en",
        AS_OF,
        "server",
        True,
    )
    default = schema_for(entity)
    assert (default.lang, default.as_of, default.origin, default.partial) == (
        "zh",
        None,
        "client",
        False,
    )
    assert schema_for(entity) is not default  # fresh each time


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"entity": "village"}, KeyError),
        ({"entity": "member", "lang": "fr"}, ValueError),
        ({"entity": "member", "origin": "phone"}, ValueError),
        ({"entity": "member", "as_of": "2024-05-20"}, TypeError),
        ({"entity": "member", "as_of": datetime(2024, 5, 20, 9)}, TypeError),
    ],
)
def test_schema_for_refuses_bad_arguments(kwargs: dict[str, Any], error: type) -> None:
    entity = kwargs.pop("entity")
    with pytest.raises(error):
        schema_for(entity, **kwargs)


# --- validate_record -------------------------------------------------------------------------


@pytest.mark.parametrize("entity", ENTITIES)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_examples_are_valid(entity: str, lang: str) -> None:
    assert validate_record(entity, record(entity), lang=lang, as_of=AS_OF) == {}


def test_validate_record_allows_server_owned_fields() -> None:
    data = record("visit", review_status="returned", review_comment="请补充收入")
    assert validate_record("visit", data) == {}


def test_validate_record_flattens_nested_errors_to_dotted_paths() -> None:
    data = record("visit")
    data["income"]["wage"] = -1
    data["water"]["reliability_pct"] = 101
    data["gps"]["lat"] = "north"
    data["photos"] = ["a.jpg", ""]
    found = validate_record("visit", data, lang="en")
    assert set(found) == {"income.wage", "water.reliability_pct", "gps.lat", "photos"}
    assert all(isinstance(v, list) and all(isinstance(t, str) for t in v) for v in found.values())


def test_cross_field_errors_name_a_field_never_schema() -> None:
    data = record(
        "member",
        birth_date="2014-05-20",
        id_type="other",
        id_number="CN123",
        education=None,
        health=["healthy", "disabled"],
        disability_grade=2,
        work_place=None,
    )
    found = validate_record("member", data, as_of=AS_OF)
    assert "_schema" not in found
    assert set(found) == {"education", "not_in_school_reason", "health", "work_place"}
    found = validate_record(
        "member", {**data, "education": "primary", "health": ["healthy"]}, as_of=AS_OF
    )
    assert set(found) == {"not_in_school_reason", "disability_grade", "work_place"}


@pytest.mark.parametrize("entity", ENTITIES)
@pytest.mark.parametrize("data", [None, [], "x", 1])
def test_a_record_that_is_not_an_object_is_a_schema_error(entity: str, data: Any) -> None:
    assert validate_record(entity, data, lang="en") == {
        "_schema": ["The record must be a JSON object"]
    }


def test_validate_record_checks_age_rules_only_with_as_of() -> None:
    child = record(
        "member", id_type="other", id_number="C1", birth_date="2014-01-01", education="primary"
    )
    assert validate_record("member", child) == {}
    assert set(validate_record("member", child, as_of=AS_OF)) == {"not_in_school_reason"}


# --- validate_changes ------------------------------------------------------------------------

CHANGE_CASES: list[tuple[str, str, dict[str, Any], set[str]]] = [
    ("empty change", "visit", {}, set()),
    ("one field", "household", {"address": "新地址 1 号"}, set()),
    ("one bad field", "household", {"phone": "12345"}, {"phone"}),
    ("required field set to null", "household", {"head_name": None}, {"head_name"}),
    ("unknown field", "household", {"owner": "x"}, {"owner"}),
    ("record id is not data", "member", {"id": "0190a5c2-7b1e-7cc3-8d5e-2a0c0d0e0f10"}, {"id"}),
    # nested objects are partial too
    ("one income key", "visit", {"income": {"wage": 1200}}, set()),
    ("empty income change", "visit", {"income": {}}, set()),
    ("bad income key", "visit", {"income": {"wage": 1.005}}, {"income.wage"}),
    ("unknown income key", "visit", {"income": {"bonus": 1}}, {"income.bonus"}),
    ("income set to null", "visit", {"income": None}, {"income"}),
    ("one water key", "visit", {"water": {"quantity_lpd": 40}}, set()),
    ("water source alone: fetch rule waits", "visit", {"water": {"source": "well"}}, set()),
    (
        "tap with minutes in one change",
        "visit",
        {"water": {"source": "tap", "fetch_minutes": 3}},
        {"water.fetch_minutes"},
    ),
    ("gps without lon", "visit", {"gps": {"lat": 26.5}}, set()),
    ("gps lat out of range", "visit", {"gps": {"lat": -91}}, {"gps.lat"}),
    # cross-field rules only when all their fields are in the change
    ("school stage alone", "member", {"school_stage": "senior"}, set()),
    (
        "education and stage together",
        "member",
        {"education": "senior", "school_stage": "senior"},
        {"education"},
    ),
    ("education cleared alone", "member", {"education": None}, set()),
    (
        "education and stage both cleared",
        "member",
        {"education": None, "school_stage": None},
        {"education"},
    ),
    ("health disabled alone", "member", {"health": ["disabled"]}, set()),
    (
        "disabled, category cleared",
        "member",
        {"health": ["disabled"], "disability_category": None},
        {"disability_category"},
    ),
    ("healthy alone is a field rule", "member", {"health": ["healthy", "chronic"]}, {"health"}),
    ("grade out of range", "member", {"disability_grade": 0}, {"disability_grade"}),
    ("work place alone", "member", {"work_place": "abroad"}, set()),
    (
        "work place, months cleared",
        "member",
        {"work_place": "abroad", "work_months": None},
        {"work_months"},
    ),
    ("id number alone: judged with id type", "member", {"id_number": "123"}, set()),
    (
        "id type and bad number",
        "member",
        {"id_type": "resident_id", "id_number": "123"},
        {"id_number"},
    ),
    ("sex alone", "member", {"sex": "female"}, set()),
    ("disaster type alone", "visit", {"disaster_type": "flood"}, set()),
    (
        "disaster type and risks",
        "visit",
        {"disaster_type": "flood", "risks": ["illness"]},
        {"disaster_type"},
    ),
    (
        "ended before started",
        "visit",
        {"started_at": "2024-05-20T10:00:00Z", "ended_at": "2024-05-20T09:59:00Z"},
        {"ended_at"},
    ),
    ("ended alone", "visit", {"ended_at": "2024-05-20T09:59:00Z"}, set()),
    (
        "six risks",
        "visit",
        {"risks": ["illness", "schooling", "disability", "disaster", "accident", "water"]},
        {"risks"},
    ),
    # server-owned fields
    ("submitting", "visit", {"review_status": "submitted"}, set()),
    ("approving", "visit", {"review_status": "approved"}, {"review_status"}),
    ("returning", "visit", {"review_status": "returned"}, {"review_status"}),
    ("clearing the status", "visit", {"review_status": None}, {"review_status"}),
    ("unknown status", "visit", {"review_status": "done"}, {"review_status"}),
    ("a comment", "visit", {"review_comment": "好"}, {"review_comment"}),
    ("a null comment", "visit", {"review_comment": None}, {"review_comment"}),
]


@pytest.mark.parametrize(
    ("entity", "data", "expected"), [c[1:] for c in CHANGE_CASES], ids=[c[0] for c in CHANGE_CASES]
)
def test_validate_changes(entity: str, data: dict[str, Any], expected: set[str]) -> None:
    zh = validate_changes(entity, data)
    assert set(zh) == expected
    assert_localized(zh, validate_changes(entity, data, lang="en"))


def test_validate_changes_applies_as_of_to_what_it_can_judge() -> None:
    assert set(validate_changes("member", {"birth_date": "2024-05-21"}, as_of=AS_OF)) == {
        "birth_date"
    }
    assert validate_changes("member", {"birth_date": "2024-05-20"}, as_of=AS_OF) == {}
    child = {
        "birth_date": "2014-01-01",
        "education": "primary",
        "school_stage": None,
        "not_in_school_reason": None,
    }
    assert validate_changes("member", child) == {}
    assert validate_changes("member", child, as_of=AS_OF, lang="en") == {
        "not_in_school_reason": [
            "The member is 10 and not at school: Reason for not being at school is required"
        ]
    }


def test_validate_changes_messages() -> None:
    assert validate_changes("visit", {"review_status": "approved"}) == {
        "review_status": ["客户端只能将审核状态设为“待审核”"]
    }
    assert validate_changes("visit", {"review_comment": "x"}, lang="en") == {
        "review_comment": ["Review comment is set by the server and cannot be changed by a client"]
    }
    assert validate_changes("visit", {"income": {"bonus": 1}}) == {
        "income.bonus": ["未知字段：income.bonus"]
    }


def test_a_whole_record_is_a_valid_change() -> None:
    for entity in ENTITIES:
        assert validate_changes(entity, record(entity), as_of=AS_OF) == {}


# --- flatten_errors --------------------------------------------------------------------------


def test_flatten_errors_shapes() -> None:
    nested = {
        "income": {"wage": ["bad"], "_schema": ["whole income"]},
        "photos": {0: ["empty"], 3: ["long", "empty"]},
        "name": ["a", "a", "b"],
        "_schema": ["record"],
    }
    assert flatten_errors(nested) == {
        "income.wage": ["bad"],
        "income": ["whole income"],
        "photos": ["empty", "long"],
        "name": ["a", "b"],
        "_schema": ["record"],
    }
    assert flatten_errors("boom") == {"_schema": ["boom"]}
    assert flatten_errors({"x": ["y"]}, prefix="gps") == {"gps.x": ["y"]}


# --- validate_household_members --------------------------------------------------------------


def m(name: str, relation: str, status: str | None = "present", **extra: Any) -> dict[str, Any]:
    member: dict[str, Any] = {"id": f"id-{name}", "name": name, "relation": relation, **extra}
    if status is not None:
        member["status"] = status
    return member


MEMBER_CASES: list[tuple[str, list[dict[str, Any]], int]] = [
    ("head alone", [m("王一", "head")], 0),
    (
        "head, spouse, children",
        [m("王一", "head"), m("李二", "spouse"), m("王三", "child"), m("王四", "child")],
        0,
    ),
    ("status absent counts as present", [m("王一", "head", status=None)], 0),
    ("no member", [], 1),
    ("no head", [m("李二", "spouse"), m("王三", "child")], 1),
    ("head moved out", [m("王一", "head", "moved_out"), m("李二", "spouse")], 1),
    ("deceased head and a new head", [m("王一", "head", "deceased"), m("李二", "head")], 0),
    ("two heads", [m("王一", "head"), m("王二", "head")], 1),
    ("one spouse", [m("王一", "head"), m("李二", "spouse")], 0),
    ("two spouses", [m("王一", "head"), m("李二", "spouse"), m("张三", "spouse")], 1),
    (
        "second spouse moved out",
        [m("王一", "head"), m("李二", "spouse"), m("张三", "spouse", "moved_out")],
        0,
    ),
    ("no head and two spouses", [m("李二", "spouse"), m("张三", "spouse")], 2),
    (
        "three heads and two spouses",
        [m("A", "head"), m("B", "head"), m("C", "head"), m("D", "spouse"), m("E", "spouse")],
        2,
    ),
]


@pytest.mark.parametrize(
    ("members", "count"), [c[1:] for c in MEMBER_CASES], ids=[c[0] for c in MEMBER_CASES]
)
def test_household_members(members: list[dict[str, Any]], count: int) -> None:
    zh = validate_household_members(members)
    en = validate_household_members(members, lang="en")
    if count == 0:
        assert zh == {} == en
    else:
        assert set(zh) == {"relation"} == set(en)
        assert len(zh["relation"]) == count == len(en["relation"])


def test_household_member_messages_name_the_members() -> None:
    two = [m("王一", "head"), m("王二", "head"), m("李二", "spouse"), m("张三", "spouse")]
    assert validate_household_members(two) == {
        "relation": [
            "在户成员中只能有一名“户主”，当前有 2 名：王一、王二",
            "在户成员中最多一名“配偶”，当前有 2 名：李二、张三",
        ]
    }
    assert validate_household_members(two, lang="en") == {
        "relation": [
            "Only one present member may be “Head of household”; there are 2: 王一, 王二",
            "At most one present member may be “Spouse”; there are 2: 李二, 张三",
        ]
    }
    assert validate_household_members([m("李二", "spouse")]) == {
        "relation": ["在户成员中须有一名“户主”，当前没有"]
    }
    assert validate_household_members([], lang="en") == {
        "relation": ["One present member must be the “Head of household”; there is none"]
    }


def test_a_member_without_a_name_is_named_by_id() -> None:
    members = [{"id": "u-1", "relation": "head"}, {"id": "u-2", "name": "", "relation": "head"}]
    assert validate_household_members(members, lang="en") == {
        "relation": ["Only one present member may be “Head of household”; there are 2: u-1, u-2"]
    }


def test_household_members_refuses_an_unknown_language() -> None:
    with pytest.raises(ValueError):
        validate_household_members([], lang="de")


# --- normalize -------------------------------------------------------------------------------


def test_normalize_uppercases_the_id_check_x_and_lowercases_uuids() -> None:
    data = record(
        "member",
        id_number="11010519491231002x",
        sex="female",
        birth_date="1949-12-31",
        household_id="0190A5C2-7B1E-7CC3-8D5E-2A0C0D0E0F10",
    )
    out = normalize("member", data)
    assert out["id_number"] == "11010519491231002X"
    assert out["household_id"] == "0190a5c2-7b1e-7cc3-8d5e-2a0c0d0e0f10"
    assert out == {**data, "id_number": "11010519491231002X", "household_id": out["household_id"]}


@pytest.mark.parametrize("entity", ENTITIES)
def test_normalize_is_idempotent_and_keeps_valid_examples(entity: str) -> None:
    data = record(entity)
    once = normalize(entity, data)
    assert once == data
    assert normalize(entity, once) == once
    assert validate_record(entity, once) == {}


def test_normalize_keeps_nulls_and_json_number_types() -> None:
    out = normalize("visit", record("visit"))
    assert out["notes"] is None and out["income"]["insurance_payout"] is None
    assert type(out["income"]["wage"]) is int and type(out["income"]["operating"]) is float


def test_normalize_writes_datetimes_in_one_form() -> None:
    out = normalize(
        "visit",
        record("visit", started_at="2024-05-20T01:30:00Z", ended_at="2024-05-20T02:00:00.5Z"),
    )
    assert out["started_at"] == "2024-05-20T01:30:00+00:00"
    assert out["ended_at"] == "2024-05-20T02:00:00.500000+00:00"


def test_normalize_a_partial_change() -> None:
    assert normalize("visit", {"income": {"wage": 10}}, partial=True) == {"income": {"wage": 10}}
    assert normalize("member", {"id_number": "11010519491231002x"}, partial=True) == {
        "id_number": "11010519491231002X"
    }


def test_normalize_refuses_invalid_data_with_flat_english_errors() -> None:
    with pytest.raises(ValidationError) as caught:
        normalize("visit", record("visit", income={"wage": -1}))
    assert set(caught.value.messages) == {
        "income.wage", "income.operating", "income.property", "income.transfer", "income.costs",
    }  # fmt: skip
    assert caught.value.messages["income.wage"] == ["Wage income must be between 0 and 99999999.99"]


def test_normalize_does_not_change_its_input() -> None:
    data = record("member", id_number="11010519491231002x", sex="female", birth_date="1949-12-31")
    before = dict(data)
    normalize("member", data)
    assert data == before


# --- properties over valid records (tests/shared_schema/strategies.py) ------------------------


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_normalize_is_a_projection_onto_valid_records(data: st.DataObject) -> None:
    entity = data.draw(st.sampled_from(ENTITIES))
    original = data.draw(records_of(entity))
    once = normalize(entity, original)
    assert normalize(entity, once) == once
    assert validate_record(entity, once) == {}
    assert set(once) == set(original)
    # every field of a valid record is its own valid change, in both languages
    for name, value in original.items():
        if name not in ("review_status", "review_comment"):
            assert validate_changes(entity, {name: value}, lang="en") == {}, name
