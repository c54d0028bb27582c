"""HouseholdSchema: every field of docs/data-model.md#household — pass, fail and boundary."""

from __future__ import annotations

from typing import Any

import pytest

from shared_schema.schemas.household import HouseholdSchema
from shared_schema.schemas.records import schema_for

from .schema_cases import DROP, assert_localized, errors, record

# (overrides, the dotted paths that must fail — empty: valid)
_TARGET = "0190a5c2-7b1e-7cc3-8d5e-2a0c0d0e0f11"

CASES: list[tuple[str, dict[str, Any], set[str]]] = [
    ("example", {}, set()),
    # grid_id: string 1–64, required
    ("grid_id 1", {"grid_id": "g"}, set()),
    ("grid_id 64", {"grid_id": "g" * 64}, set()),
    ("grid_id 65", {"grid_id": "g" * 65}, {"grid_id"}),
    ("grid_id empty", {"grid_id": ""}, {"grid_id"}),
    ("grid_id blank", {"grid_id": "   "}, {"grid_id"}),
    ("grid_id missing", {"grid_id": DROP}, {"grid_id"}),
    ("grid_id null", {"grid_id": None}, {"grid_id"}),
    ("grid_id number", {"grid_id": 7}, {"grid_id"}),
    # household_no: string 1–32, required
    ("household_no 32", {"household_no": "9" * 32}, set()),
    ("household_no 33", {"household_no": "9" * 33}, {"household_no"}),
    ("household_no empty", {"household_no": ""}, {"household_no"}),
    ("household_no missing", {"household_no": DROP}, {"household_no"}),
    # head_name: string 1–50, required
    ("head_name 1", {"head_name": "王"}, set()),
    ("head_name 50", {"head_name": "王" * 50}, set()),
    ("head_name 51", {"head_name": "王" * 51}, {"head_name"}),
    ("head_name empty", {"head_name": ""}, {"head_name"}),
    ("head_name missing", {"head_name": DROP}, {"head_name"}),
    # address: string 1–200, required
    ("address 200", {"address": "路" * 200}, set()),
    ("address 201", {"address": "路" * 201}, {"address"}),
    ("address blank", {"address": "\t"}, {"address"}),
    ("address missing", {"address": DROP}, {"address"}),
    # phone: ^1\d{10}$, optional
    ("phone 11 digits", {"phone": "13912345678"}, set()),
    ("phone null", {"phone": None}, set()),
    ("phone absent", {"phone": DROP}, set()),
    ("phone 10 digits", {"phone": "1391234567"}, {"phone"}),
    ("phone 12 digits", {"phone": "139123456789"}, {"phone"}),
    ("phone starts with 2", {"phone": "23912345678"}, {"phone"}),
    ("phone with dash", {"phone": "139-1234-5678"}, {"phone"}),
    ("phone trailing newline", {"phone": "13912345678\n"}, {"phone"}),
    ("phone full-width digits", {"phone": "１３９１２３４５６７８"}, {"phone"}),
    ("phone empty", {"phone": ""}, {"phone"}),
    ("phone number", {"phone": 13912345678}, {"phone"}),
    # household_type: enum, required
    ("household_type ordinary", {"household_type": "ordinary"}, set()),
    ("household_type label", {"household_type": "脱贫户"}, {"household_type"}),
    ("household_type uppercase", {"household_type": "LIFTED"}, {"household_type"}),
    ("household_type missing", {"household_type": DROP}, {"household_type"}),
    ("household_type null", {"household_type": None}, {"household_type"}),
    # monitor_category: enum, optional
    ("monitor_category marginal", {"monitor_category": "marginal"}, set()),
    ("monitor_category sudden", {"monitor_category": "sudden_hardship"}, set()),
    ("monitor_category absent", {"monitor_category": DROP}, set()),
    ("monitor_category unknown", {"monitor_category": "poor"}, {"monitor_category"}),
    ("monitor_category empty", {"monitor_category": ""}, {"monitor_category"}),
    # house_grade: enum a–d, required
    ("house_grade a", {"house_grade": "a"}, set()),
    ("house_grade d", {"house_grade": "d"}, set()),
    ("house_grade e", {"house_grade": "e"}, {"house_grade"}),
    ("house_grade uppercase", {"house_grade": "A"}, {"house_grade"}),
    ("house_grade missing", {"house_grade": DROP}, {"house_grade"}),
    # house_damaged: bool, optional
    ("house_damaged true", {"house_damaged": True}, set()),
    ("house_damaged null", {"house_damaged": None}, set()),
    ("house_damaged string", {"house_damaged": "true"}, {"house_damaged"}),
    ("house_damaged 1", {"house_damaged": 1}, {"house_damaged"}),
    # notes: ≤ 2000, optional
    ("notes empty", {"notes": ""}, set()),
    ("notes 2000", {"notes": "记" * 2000}, set()),
    ("notes 2001", {"notes": "记" * 2001}, {"notes"}),
    # control characters: none on one line; tab and line breaks in free text
    ("head_name with NUL", {"head_name": "王\x00"}, {"head_name"}),
    ("address with newline", {"address": "南花村\n3 组"}, {"address"}),
    ("grid_id with escape", {"grid_id": "g\x1b[0m"}, {"grid_id"}),
    ("household_no with DEL", {"household_no": "1\x7f"}, {"household_no"}),
    ("notes with lines and tabs", {"notes": "第一行\r\n第二行\t完"}, set()),
    ("notes with NUL", {"notes": "a\x00b"}, {"notes"}),
    ("notes with form feed", {"notes": "a\x0cb"}, {"notes"}),
    # the register: status, merged_into, registration (server-owned)
    ("status moved_away", {"status": "moved_away"}, set()),
    ("status active", {"status": "active"}, set()),
    ("status null", {"status": None}, set()),
    ("status unknown", {"status": "gone"}, {"status"}),
    ("merged with target", {"status": "merged", "merged_into": _TARGET}, set()),
    ("merged without target", {"status": "merged"}, {"merged_into"}),
    ("merged with null target", {"status": "merged", "merged_into": None}, {"merged_into"}),
    ("target without merged", {"status": "moved_away", "merged_into": _TARGET}, {"merged_into"}),
    ("target not a uuid", {"status": "merged", "merged_into": "H-1"}, {"merged_into"}),
    # the record as a whole
    ("unknown field", {"village": "南花村"}, {"village"}),
    ("server field id in data", {"id": "0190a5c2-7b1e-7cc3-8d5e-2a0c0d0e0f10"}, {"id"}),
]


@pytest.mark.parametrize(
    ("overrides", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_household_field_rules(overrides: dict[str, Any], expected: set[str]) -> None:
    zh = errors("household", record("household", **overrides))
    en = errors("household", record("household", **overrides), lang="en")
    assert set(zh) == expected
    assert_localized(zh, en)


def test_every_required_field_missing_at_once() -> None:
    found = errors("household", {}, lang="en")
    assert set(found) == {
        "grid_id", "household_no", "head_name", "address", "household_type", "house_grade",
    }  # fmt: skip
    assert found["grid_id"] == ["Grid is required"]


def test_minimal_household_needs_no_optional_field() -> None:
    minimal = {
        "grid_id": "g-001",
        "household_no": "1",
        "head_name": "李",
        "address": "南花村",
        "household_type": "ordinary",
        "house_grade": "c",
    }
    assert errors("household", minimal) == {}


@pytest.mark.parametrize(
    ("overrides", "path", "zh", "en"),
    [
        ({"grid_id": DROP}, "grid_id", "所属网格为必填项", "Grid is required"),
        ({"head_name": None}, "head_name", "户主姓名不能为空", "Name of the head may not be empty"),
        ({"address": " "}, "address", "家庭住址不能为空白", "Address may not be blank"),
        (
            {"household_no": "9" * 33},
            "household_no",
            "户编号长度应为 1 至 32 个字符",
            "Household number must be 1 to 32 characters long",
        ),
        (
            {"notes": "x" * 2001},
            "notes",
            "备注最多 2000 个字符",
            "Notes must be at most 2000 characters long",
        ),
        (
            {"phone": "1391234567"},
            "phone",
            "联系电话应为以 1 开头的 11 位手机号码",
            "Phone must be an 11-digit mobile number starting with 1",
        ),
        (
            {"house_grade": "e"},
            "house_grade",
            "住房安全等级取值无效，应为以下之一：a（A级（安全））、b（B级（安全））、c（C级（危房））、d（D级（危房））",
            "House safety grade: invalid value, expected one of: a (Grade A (safe)), "
            "b (Grade B (safe)), c (Grade C (dangerous)), d (Grade D (dangerous))",
        ),
        (
            {"house_damaged": "no"},
            "house_damaged",
            "住房近期受损应为“是”或“否”",
            "House recently damaged must be true or false",
        ),
        ({"grid_id": 7}, "grid_id", "所属网格应为文本", "Grid must be text"),
        (
            {"head_name": "王\x00"},
            "head_name",
            "户主姓名不能包含控制字符",
            "Name of the head may not contain control characters",
        ),
        ({"farm": 1}, "farm", "未知字段：farm", "Unknown field: farm"),
    ],
)
def test_household_messages(overrides: dict[str, Any], path: str, zh: str, en: str) -> None:
    assert errors("household", record("household", **overrides)) == {path: [zh]}
    assert errors("household", record("household", **overrides), lang="en") == {path: [en]}


@pytest.mark.parametrize("data", [[], "household", 3, None])
def test_a_record_that_is_not_an_object(data: Any) -> None:
    assert errors("household", data) == {"_schema": ["记录应为 JSON 对象"]}
    assert errors("household", data, lang="en") == {"_schema": ["The record must be a JSON object"]}


def test_schema_instances_carry_their_settings() -> None:
    schema = schema_for("household", lang="en")
    assert isinstance(schema, HouseholdSchema)
    assert (schema.lang, schema.as_of, schema.origin) == ("en", None, "client")
    # A schema in one language does not change another instance's messages.
    zh_schema = HouseholdSchema()
    assert zh_schema.fields["grid_id"].error_messages["required"] == "所属网格为必填项"
    assert schema.fields["grid_id"].error_messages["required"] == "Grid is required"


def test_load_returns_the_same_values() -> None:
    data = record("household")
    assert HouseholdSchema().load(data) == data


def test_the_server_may_write_registration_and_a_partial_merge_waits_for_the_record() -> None:
    from shared_schema.schemas.records import schema_for, validate_changes, validate_record

    client = schema_for("household", origin="client", partial=True)
    assert set(client.validate({"registration": "field_new"})) == {"registration"}

    whole = record("household", registration="confirmed", status="merged", merged_into=_TARGET)
    assert validate_record("household", whole) == {}
    # a change of the status alone is judged on the merged record, not on the change
    assert validate_changes("household", {"status": "merged"}) == {}
    assert set(validate_record("household", record("household", status="merged"))) == {
        "merged_into"
    }
