"""MemberSchema: every field and cross-field rule of docs/data-model.md#member.

Each rule has a passing case, a failing case and its boundary (age exactly 6, 16 and 17;
work_months 0/12/13; disability grade 0/1/4/5 ...), and messages in zh and en.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from shared_schema.idnumber import make_id_number
from shared_schema.schemas.examples import EXAMPLE_BIRTH, EXAMPLE_REGION
from shared_schema.schemas.member import MemberSchema

from .schema_cases import DROP, assert_localized, errors, person, record, years_before

AS_OF = date(2024, 5, 20)
UUID = "0190a5c2-7b1e-7cc3-8d5e-2a0c0d0e0f10"
VALID_ID = make_id_number(EXAMPLE_REGION, EXAMPLE_BIRTH, 13, "male")
WRONG_CHECK = VALID_ID[:17] + ("0" if VALID_ID[17] != "0" else "1")
DISABLED = {"health": ["disabled"], "disability_category": "physical", "disability_grade": 2}
PUPIL = {"education": None, "school_stage": "junior"}

FIELD_CASES: list[tuple[str, dict[str, Any], set[str]]] = [
    ("example", {}, set()),
    # household_id: UUID, required
    ("household_id uuid", {"household_id": UUID}, set()),
    ("household_id uppercase", {"household_id": UUID.upper()}, set()),
    ("household_id not a uuid", {"household_id": "hh-1"}, {"household_id"}),
    ("household_id number", {"household_id": 12}, {"household_id"}),
    ("household_id missing", {"household_id": DROP}, {"household_id"}),
    # name: 1–50
    ("name 50", {"name": "张" * 50}, set()),
    ("name 51", {"name": "张" * 51}, {"name"}),
    ("name empty", {"name": ""}, {"name"}),
    ("name blank", {"name": "  "}, {"name"}),
    ("name null", {"name": None}, {"name"}),
    ("name with newline", {"name": "张\n三"}, {"name"}),
    ("name with tab", {"name": "张\t三"}, {"name"}),
    # id_type / id_number
    ("id_type other, NUL", {"id_type": "other", "id_number": "A\x00"}, {"id_number"}),
    ("id_type other, 1 char", {"id_type": "other", "id_number": "A"}, set()),
    ("id_type other, 32 chars", {"id_type": "other", "id_number": "A" * 32}, set()),
    ("id_type other, 33 chars", {"id_type": "other", "id_number": "A" * 33}, {"id_number"}),
    ("id_type other, empty", {"id_type": "other", "id_number": ""}, {"id_number"}),
    ("id_type other, wrong check digit ok", {"id_type": "other", "id_number": WRONG_CHECK}, set()),
    ("id_type unknown", {"id_type": "passport"}, {"id_type"}),
    ("id_type missing", {"id_type": DROP}, {"id_type"}),
    ("id_number missing", {"id_number": DROP}, {"id_number"}),
    ("resident id wrong check digit", {"id_number": WRONG_CHECK}, {"id_number"}),
    ("resident id 17 chars", {"id_number": VALID_ID[:17]}, {"id_number"}),
    ("resident id 19 chars", {"id_number": VALID_ID + "1"}, {"id_number"}),
    ("resident id letter", {"id_number": "A" + VALID_ID[1:]}, {"id_number"}),
    ("resident id region 00", {"id_number": "00" + VALID_ID[2:]}, {"id_number"}),
    # relation / sex / labor_ability / status: enums, required
    ("relation spouse", {"relation": "spouse"}, set()),
    ("relation unknown", {"relation": "cousin"}, {"relation"}),
    ("relation missing", {"relation": DROP}, {"relation"}),
    ("sex unknown", {"sex": "m"}, {"sex"}),
    ("labor_ability none", {"labor_ability": "none"}, set()),
    ("labor_ability unknown", {"labor_ability": "strong"}, {"labor_ability"}),
    ("labor_ability missing", {"labor_ability": DROP}, {"labor_ability"}),
    ("status moved_out", {"status": "moved_out"}, set()),
    ("status unknown", {"status": "absent"}, {"status"}),
    ("status missing", {"status": DROP}, {"status"}),
    # birth_date: YYYY-MM-DD
    ("birth_date short form", {"birth_date": "1980-6-15"}, {"birth_date"}),
    ("birth_date not a day", {"birth_date": "1980-02-30"}, {"birth_date"}),
    ("birth_date with time", {"birth_date": "1980-06-15T00:00:00"}, {"birth_date"}),
    ("birth_date number", {"birth_date": 19800615}, {"birth_date"}),
    ("birth_date missing", {"birth_date": DROP}, {"birth_date"}),
    # education / school_stage / not_in_school_reason: codes
    ("education unknown", {"education": "phd"}, {"education"}),
    ("school_stage unknown", {"education": None, "school_stage": "kindergarten"}, {"school_stage"}),
    ("not_in_school_reason unknown", {"not_in_school_reason": "lazy"}, {"not_in_school_reason"}),
    # health: list of codes, ≥ 1, unique, healthy alone
    ("health chronic", {"health": ["chronic"]}, set()),
    ("health two illnesses", {"health": ["chronic", "serious_illness"]}, set()),
    ("health empty", {"health": []}, {"health"}),
    ("health healthy and chronic", {"health": ["healthy", "chronic"]}, {"health"}),
    ("health duplicate", {"health": ["chronic", "chronic"]}, {"health"}),
    ("health unknown code", {"health": ["sick"]}, {"health"}),
    ("health not a list", {"health": "healthy"}, {"health"}),
    ("health missing", {"health": DROP}, {"health"}),
    # disability: category and grade both required with `disabled`, forbidden otherwise
    ("disabled with category and grade", DISABLED, set()),
    ("disabled grade 1", {**DISABLED, "disability_grade": 1}, set()),
    ("disabled grade 4", {**DISABLED, "disability_grade": 4}, set()),
    ("disabled grade 0", {**DISABLED, "disability_grade": 0}, {"disability_grade"}),
    ("disabled grade 5", {**DISABLED, "disability_grade": 5}, {"disability_grade"}),
    ("disabled grade 2.5", {**DISABLED, "disability_grade": 2.5}, {"disability_grade"}),
    ("disabled grade string", {**DISABLED, "disability_grade": "2"}, {"disability_grade"}),
    ("disabled and chronic", {**DISABLED, "health": ["chronic", "disabled"]}, set()),
    (
        "disabled without category",
        {**DISABLED, "disability_category": None},
        {"disability_category"},
    ),
    ("disabled without grade", {**DISABLED, "disability_grade": DROP}, {"disability_grade"}),
    (
        "disabled without either",
        {"health": ["disabled"]},
        {"disability_category", "disability_grade"},
    ),
    ("healthy with category", {"disability_category": "visual"}, {"disability_category"}),
    ("healthy with grade", {"disability_grade": 3}, {"disability_grade"}),
    (
        "chronic with category",
        {"health": ["chronic"], "disability_category": "visual"},
        {"disability_category"},
    ),
    (
        "disability category unknown",
        {**DISABLED, "disability_category": "blind"},
        {"disability_category"},
    ),
    # work_place and work_months: both or neither, months 0–12
    ("work neither", {"work_place": None, "work_months": None}, set()),
    ("work neither (absent)", {"work_place": DROP, "work_months": DROP}, set()),
    ("work_months 0", {"work_months": 0}, set()),
    ("work_months 12", {"work_months": 12}, set()),
    ("work_months 13", {"work_months": 13}, {"work_months"}),
    ("work_months -1", {"work_months": -1}, {"work_months"}),
    ("work_months 6.0 is 6", {"work_months": 6.0}, set()),
    ("work_months 6.5", {"work_months": 6.5}, {"work_months"}),
    ("work_months string", {"work_months": "6"}, {"work_months"}),
    ("work_months true", {"work_months": True}, {"work_months"}),
    ("work_months NaN", {"work_months": float("nan")}, {"work_months"}),
    ("work_months infinite", {"work_months": float("inf")}, {"work_months"}),
    ("work_place without months", {"work_months": None}, {"work_months"}),
    ("work_months without place", {"work_place": DROP}, {"work_place"}),
    ("work_place unknown", {"work_place": "mars"}, {"work_place"}),
    # flags: JSON booleans or null
    ("welfare_post true", {"welfare_post": True}, set()),
    ("dibao null", {"dibao": None}, set()),
    ("tekun absent", {"tekun": DROP}, set()),
    ("dibao string", {"dibao": "yes"}, {"dibao"}),
    ("pension_insurance 0", {"pension_insurance": 0}, {"pension_insurance"}),
    ("welfare_post string true", {"welfare_post": "true"}, {"welfare_post"}),
    # medical_insurance: list, may be empty, unique
    ("medical_insurance empty (uninsured)", {"medical_insurance": []}, set()),
    ("medical_insurance both (double)", {"medical_insurance": ["resident", "employee"]}, set()),
    (
        "medical_insurance duplicate",
        {"medical_insurance": ["resident", "resident"]},
        {"medical_insurance"},
    ),
    ("medical_insurance unknown", {"medical_insurance": ["commercial"]}, {"medical_insurance"}),
    ("medical_insurance missing", {"medical_insurance": DROP}, {"medical_insurance"}),
    ("medical_insurance null", {"medical_insurance": None}, {"medical_insurance"}),
    # phone
    ("phone null", {"phone": None}, set()),
    ("phone 10 digits", {"phone": "1380000000"}, {"phone"}),
    ("phone 12 digits", {"phone": "138000000011"}, {"phone"}),
    # unknown
    ("unknown field", {"age": 44}, {"age"}),
    ("computed field is unknown", {"per_capita_income": 1}, {"per_capita_income"}),
]


@pytest.mark.parametrize(
    ("overrides", "expected"), [c[1:] for c in FIELD_CASES], ids=[c[0] for c in FIELD_CASES]
)
def test_member_field_rules(overrides: dict[str, Any], expected: set[str]) -> None:
    zh = errors("member", record("member", **overrides), as_of=AS_OF)
    en = errors("member", record("member", **overrides), lang="en", as_of=AS_OF)
    assert set(zh) == expected
    assert_localized(zh, en)


# --- the resident ID number agrees with birth_date and sex ----------------------------------

ID_CASES: list[tuple[str, dict[str, Any], set[str]]] = [
    ("agrees", {}, set()),
    (
        "lowercase x accepted",
        {"id_number": "11010519491231002x", "sex": "female", "birth_date": "1949-12-31"},
        set(),
    ),
    (
        "uppercase X",
        {"id_number": "11010519491231002X", "sex": "female", "birth_date": "1949-12-31"},
        set(),
    ),
    ("birth date one day off", {"birth_date": "1980-06-16"}, {"birth_date"}),
    ("sex differs", {"sex": "female"}, {"sex"}),
    ("both differ", {"sex": "female", "birth_date": "1981-06-15"}, {"sex", "birth_date"}),
    ("other document: no agreement needed", {"id_type": "other", "sex": "female"}, set()),
    (
        "invalid number: reported once, on id_number",
        {"id_number": WRONG_CHECK, "sex": "female"},
        {"id_number"},
    ),
]


@pytest.mark.parametrize(
    ("overrides", "expected"), [c[1:] for c in ID_CASES], ids=[c[0] for c in ID_CASES]
)
def test_id_number_agrees_with_birth_date_and_sex(
    overrides: dict[str, Any], expected: set[str]
) -> None:
    data = record("member", **overrides)
    zh = errors("member", data, as_of=AS_OF)
    assert set(zh) == expected
    assert_localized(zh, errors("member", data, lang="en", as_of=AS_OF))


def test_id_number_messages() -> None:
    data = record("member", sex="female", birth_date="1980-06-16")
    assert errors("member", data) == {
        "sex": ["性别与身份证号码不一致：按身份证号码应为男"],
        "birth_date": ["出生日期与身份证号码不一致：按身份证号码应为 1980-06-15"],
    }
    assert errors("member", data, lang="en") == {
        "sex": ["Sex does not match the ID number, which gives Male"],
        "birth_date": ["Date of birth does not match the ID number, which gives 1980-06-15"],
    }
    bad = record("member", id_number=WRONG_CHECK)
    assert errors("member", bad) == {
        "id_number": [f"身份证号码校验位错误：最后一位应为 {VALID_ID[17]}"]
    }
    assert errors("member", bad, lang="en") == {
        "id_number": [f"ID number: wrong check digit, the last character should be {VALID_ID[17]}"]
    }


def test_lowercase_x_is_loaded_as_uppercase() -> None:
    data = record("member", id_number="11010519491231002x", sex="female", birth_date="1949-12-31")
    assert MemberSchema().load(data)["id_number"] == "11010519491231002X"
    other = record("member", id_type="other", id_number="ab12x")
    assert MemberSchema().load(other)["id_number"] == "ab12x"
    other_18 = record("member", id_type="other", id_number="11010519491231002x")
    assert MemberSchema().load(other_18)["id_number"] == "11010519491231002x"
    change = MemberSchema(partial=True)
    assert change.load({"id_number": "11010519491231002x"}) == {"id_number": "11010519491231002X"}
    assert change.load({"id_number": "A1010519491231002x"}) == {"id_number": "A1010519491231002x"}


# --- birth dates and as_of ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("birth", "as_of", "expected"),
    [
        (AS_OF, AS_OF, set()),  # born on the visit day
        (AS_OF + timedelta(days=1), AS_OF, {"birth_date", "id_number"}),  # born after it
        (AS_OF + timedelta(days=1), None, set()),  # no as_of: not judged
        (date(1900, 1, 1), AS_OF, set()),
    ],
)
def test_birth_date_is_judged_against_as_of(
    birth: date, as_of: date | None, expected: set[str]
) -> None:
    data = person(birth, education="illiterate", work_place=None, work_months=None)
    assert set(errors("member", data, as_of=as_of)) == expected


def test_birth_before_1900_with_another_document() -> None:
    data = record("member", id_type="other", id_number="X1", birth_date="1899-12-31")
    assert errors("member", data, lang="en") == {
        "birth_date": ["Date of birth may not be before 1900-01-01"]
    }


def test_birth_in_future_messages() -> None:
    data = person(AS_OF + timedelta(days=1), work_place=None, work_months=None)
    assert errors("member", data, as_of=AS_OF) == {
        "birth_date": ["出生日期不能晚于 2024-05-20"],
        "id_number": ["身份证号码中的出生日期 2024-05-21 晚于 2024-05-20"],
    }
    assert errors("member", data, lang="en", as_of=AS_OF) == {
        "birth_date": ["Date of birth may not be after 2024-05-20"],
        "id_number": ["ID number: the birth date 2024-05-21 is after 2024-05-20"],
    }


# --- education xor school stage -------------------------------------------------------------

SCHOOLING_CASES: list[tuple[str, dict[str, Any], set[str]]] = [
    ("education only", {"education": "senior", "school_stage": None}, set()),
    ("school stage only", {"education": None, "school_stage": "undergraduate"}, set()),
    ("school stage only, education absent", {"education": DROP, "school_stage": "senior"}, set()),
    ("both", {"education": "senior", "school_stage": "senior"}, {"education"}),
    ("neither", {"education": None, "school_stage": None}, {"education"}),
    ("neither (absent)", {"education": DROP, "school_stage": DROP}, {"education"}),
    # a member at school has no not-in-school reason
    (
        "at school with a reason",
        {**PUPIL, "not_in_school_reason": "illness"},
        {"not_in_school_reason"},
    ),
    ("not at school with a reason", {"not_in_school_reason": "work"}, set()),
]


@pytest.mark.parametrize(
    ("overrides", "expected"), [c[1:] for c in SCHOOLING_CASES], ids=[c[0] for c in SCHOOLING_CASES]
)
def test_education_or_school_stage(overrides: dict[str, Any], expected: set[str]) -> None:
    zh = errors("member", record("member", **overrides), as_of=AS_OF)
    assert set(zh) == expected
    assert_localized(zh, errors("member", record("member", **overrides), lang="en", as_of=AS_OF))


def test_schooling_messages() -> None:
    both = record("member", education="senior", school_stage="senior")
    assert errors("member", both) == {
        "education": ["文化程度和在校阶段只能填写其中一项：在校学生填写在校阶段，不填文化程度"]
    }
    neither = record("member", education=None)
    assert errors("member", neither, lang="en") == {
        "education": ["Either Education level or School stage is required"]
    }
    assert errors("member", neither) == {"education": ["文化程度和在校阶段须填写其中一项"]}
    reason = record("member", **PUPIL, not_in_school_reason="work")
    assert errors("member", reason, lang="en") == {
        "not_in_school_reason": [
            "The member is at school (School stage is set): "
            "Reason for not being at school must be empty"
        ]
    }


# --- aged 6–16 on as_of, not at school: a reason is required --------------------------------

CHILD = {"relation": "child", "work_place": None, "work_months": None, "phone": None}


def child(age_years: int, days_to_birthday: int = 0, **overrides: Any) -> dict[str, Any]:
    """A child whose age on AS_OF is `age_years` (born `days_to_birthday` days later than the
    day that makes them exactly that old)."""
    birth = years_before(AS_OF, age_years) + timedelta(days=days_to_birthday)
    return person(birth, **{**CHILD, "education": "primary", **overrides})


AGE_CASES: list[tuple[str, dict[str, Any], date | None, set[str]]] = [
    ("5, birthday tomorrow: under age", child(6, 1), AS_OF, set()),
    ("exactly 6 today", child(6), AS_OF, {"not_in_school_reason"}),
    ("exactly 6 with a reason", child(6, not_in_school_reason="illness"), AS_OF, set()),
    ("exactly 6 at school", child(6, education=None, school_stage="primary"), AS_OF, set()),
    ("10", child(10), AS_OF, {"not_in_school_reason"}),
    ("exactly 16 today", child(16), AS_OF, {"not_in_school_reason"}),
    ("16, turns 17 tomorrow", child(17, 1), AS_OF, {"not_in_school_reason"}),
    ("exactly 17 today", child(17), AS_OF, set()),
    ("10 but no as_of: not judged", child(10), None, set()),
    ("10 and deceased: not judged", child(10, status="deceased"), AS_OF, set()),
    (
        "10 and moved out: still judged",
        child(10, status="moved_out"),
        AS_OF,
        {"not_in_school_reason"},
    ),
    ("10 with reason work", child(10, not_in_school_reason="work"), AS_OF, set()),
]


@pytest.mark.parametrize(
    ("data", "as_of", "expected"), [c[1:] for c in AGE_CASES], ids=[c[0] for c in AGE_CASES]
)
def test_compulsory_school_age_needs_a_reason(
    data: dict[str, Any], as_of: date | None, expected: set[str]
) -> None:
    zh = errors("member", data, as_of=as_of)
    assert set(zh) == expected
    assert_localized(zh, errors("member", data, lang="en", as_of=as_of))


def test_school_age_message_names_the_age() -> None:
    data = child(16)
    assert errors("member", data, as_of=AS_OF) == {
        "not_in_school_reason": ["成员 16 岁且未在校，须填写未在校原因"]
    }
    assert errors("member", data, lang="en", as_of=AS_OF) == {
        "not_in_school_reason": [
            "The member is 16 and not at school: Reason for not being at school is required"
        ]
    }


def test_leap_day_birthday_counts_from_first_of_march() -> None:
    data = person(date(2012, 2, 29), **CHILD, education="primary")
    assert errors("member", data, as_of=date(2018, 2, 28)) == {}  # still 5
    assert set(errors("member", data, as_of=date(2018, 3, 1))) == {"not_in_school_reason"}


# --- messages of the other cross-field rules -------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "path", "zh", "en"),
    [
        (
            {"health": ["healthy", "chronic"]},
            "health",
            "健康状况选择“健康”时不能同时选择其他项",
            "Health: “Healthy” cannot be combined with other values",
        ),
        (
            {"health": ["disabled"], "disability_grade": 2},
            "disability_category",
            "健康状况包含“残疾”时须填写残疾类别",
            "Disability category is required when Health includes “Disabled”",
        ),
        (
            {"disability_grade": 2},
            "disability_grade",
            "健康状况不包含“残疾”时不应填写残疾等级",
            "Disability grade must be empty unless Health includes “Disabled”",
        ),
        (
            {**DISABLED, "disability_grade": 5},
            "disability_grade",
            "残疾等级应在 1 至 4 之间",
            "Disability grade must be between 1 and 4",
        ),
        (
            {"work_months": None},
            "work_months",
            "填写了务工区域时须同时填写务工时间",
            "Months of migrant work is required when Place of work is set",
        ),
        (
            {"work_place": None},
            "work_place",
            "填写了务工时间时须同时填写务工区域",
            "Place of work is required when Months of migrant work is set",
        ),
        (
            {"work_months": 13},
            "work_months",
            "务工时间应在 0 至 12 之间",
            "Months of migrant work must be between 0 and 12",
        ),
        (
            {"work_months": 6.5},
            "work_months",
            "务工时间应为整数",
            "Months of migrant work must be a whole number",
        ),
        (
            {"medical_insurance": ["resident", "resident"]},
            "medical_insurance",
            "基本医疗保险不能有重复项",
            "Basic medical insurance may not contain duplicates",
        ),
        ({"health": []}, "health", "健康状况至少选择 1 项", "Health: at least 1 item(s)"),
        (
            {"household_id": "hh"},
            "household_id",
            "所属农户应为 UUID",
            "Household must be a UUID",
        ),
    ],
)
def test_member_messages(overrides: dict[str, Any], path: str, zh: str, en: str) -> None:
    assert errors("member", record("member", **overrides)) == {path: [zh]}
    assert errors("member", record("member", **overrides), lang="en") == {path: [en]}


def test_a_field_that_fails_alone_is_not_judged_again_by_a_rule() -> None:
    # work_months 13 is out of range: no "both or neither" message on top of it.
    assert set(errors("member", record("member", work_place=None, work_months=13))) == {
        "work_months"
    }
    # an invalid health code: the disability rule is not judged on a guess.
    found = errors("member", record("member", health=["sick"], disability_grade=2))
    assert set(found) == {"health"}


def test_load_and_dump_round_trip() -> None:
    data = record("member")
    schema = MemberSchema()
    assert schema.dump(schema.load(data)) == data
