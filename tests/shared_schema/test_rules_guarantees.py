"""Schooling, medical insurance, housing, water and labour rules, with their boundaries."""

from __future__ import annotations

import pytest

from tests.shared_schema.rules_cases import born_aged, household, member, members, run, visit


def child(**changes):
    base = {
        "relation": "child",
        "name": "王小花",
        "education": None,
        "school_stage": None,
        "not_in_school_reason": None,
        "labor_ability": "none",
    }
    return member("c1", **{**base, **changes})


@pytest.mark.parametrize(
    ("changes", "flagged"),
    [
        ({"birth_date": born_aged(6)}, True),  # 6 on the visit day
        ({"birth_date": born_aged(6, tomorrow=True)}, False),  # still 5
        ({"birth_date": born_aged(16)}, True),
        ({"birth_date": born_aged(17)}, False),
        ({"birth_date": born_aged(12), "not_in_school_reason": "illness"}, False),
        ({"birth_date": born_aged(12), "not_in_school_reason": "disability"}, False),
        ({"birth_date": born_aged(12), "not_in_school_reason": "weariness"}, True),
        ({"birth_date": born_aged(12), "not_in_school_reason": "family"}, True),
        ({"birth_date": born_aged(12), "school_stage": "junior"}, False),
        ({"birth_date": born_aged(12), "status": "moved_out"}, False),
        ({"birth_date": None}, False),
        ({"birth_date": "2014-13-45"}, False),  # half-typed date
    ],
)
def test_edu_dropout_boundary(changes, flagged):
    assert ("EDU_DROPOUT" in run(ms=members(child(**changes)))) is flagged


def test_edu_dropout_names_the_member_with_age_and_reason():
    kids = members(
        child(birth_date=born_aged(12)),
        member(
            "c2",
            name="王小军",
            birth_date=born_aged(14),
            education=None,
            not_in_school_reason="work",
        ),
    )
    flag = run(ms=kids)["EDU_DROPOUT"]
    assert flag.severity == "high"
    assert flag.message_zh == (
        "义务教育阶段（6–16 岁）成员未在校：王小花（12 岁，未填写不在校原因）、"
        "王小军（14 岁，原因：外出务工）"
    )
    assert "王小花 (aged 12, no reason recorded), 王小军 (aged 14, reason: went to work)" in (
        flag.message_en
    )
    assert flag.fields == (
        "members.c1.school_stage",
        "members.c1.not_in_school_reason",
        "members.c2.school_stage",
        "members.c2.not_in_school_reason",
    )


def test_edu_dropout_needs_the_visit_date():
    assert "EDU_DROPOUT" not in run(
        ms=members(child(birth_date=born_aged(12))), v=visit(visit_date=None)
    )


@pytest.mark.parametrize(
    ("insurance", "expected"),
    [
        (["resident"], set()),
        (["employee"], set()),
        ([], {"MED_UNINSURED"}),
        (["resident", "employee"], {"MED_DOUBLE"}),
        (None, set()),  # not recorded yet
        ("resident", set()),  # malformed
    ],
)
def test_medical_insurance(insurance, expected):
    flags = run(ms=members(member("m9", name="赵六", medical_insurance=insurance)))
    assert set(flags) & {"MED_UNINSURED", "MED_DOUBLE"} == expected
    for code in expected:
        assert flags[code].fields == ("members.m9.medical_insurance",)
        assert "赵六" in flags[code].message_zh and "赵六" in flags[code].message_en


def test_medical_rules_skip_members_who_left_and_severities():
    gone = member("m9", medical_insurance=[], status="deceased")
    assert "MED_UNINSURED" not in run(ms=members(gone))
    flags = run(ms=members(member("a", medical_insurance=[]), member("b", medical_insurance=[])))
    assert flags["MED_UNINSURED"].severity == "high"
    assert flags["MED_UNINSURED"].message_zh == "未参加基本医疗保险的成员：成员a、成员b"
    assert (
        flags["MED_UNINSURED"].message_en == "Members without basic medical insurance: 成员a, 成员b"
    )
    assert (
        run(ms=members(member("a", medical_insurance=["resident", "employee"])))[
            "MED_DOUBLE"
        ].severity
        == "medium"
    )


@pytest.mark.parametrize(
    ("grade", "damaged", "details"),
    [
        ("a", False, None),
        ("b", None, None),
        ("c", False, ("grade",)),
        ("d", False, ("grade",)),
        ("a", True, ("damaged",)),
        ("d", True, ("grade", "damaged")),
        (None, None, None),
    ],
)
def test_housing_unsafe(grade, damaged, details):
    flags = run(hh=household(house_grade=grade, house_damaged=damaged))
    if details is None:
        assert "HOUSING_UNSAFE" not in flags
    else:
        assert flags["HOUSING_UNSAFE"].details == details
        assert flags["HOUSING_UNSAFE"].severity == "high"


def test_housing_message_names_grade_and_damage():
    flag = run(hh=household(house_grade="c", house_damaged=True))["HOUSING_UNSAFE"]
    assert flag.message_zh == "住房不安全：住房安全等级为C级（危房），住房近期受损"
    assert flag.message_en == (
        "Housing unsafe: the house is rated grade C (dangerous); the house was recently damaged"
    )
    assert flag.fields == ("household.house_grade", "household.house_damaged")


@pytest.mark.parametrize(
    ("water", "details"),
    [
        ({"quantity_lpd": 20}, None),
        ({"quantity_lpd": 19.99}, ("quantity",)),
        ({"quality_ok": False}, ("quality",)),
        ({"quality_ok": None}, None),
        ({"source": "well", "fetch_minutes": 20}, None),
        ({"source": "well", "fetch_minutes": 21}, ("convenience",)),
        ({"source": "tap", "fetch_minutes": 21}, None),  # tap water is convenient
        ({"source": None, "fetch_minutes": 21}, ("convenience",)),
        ({"reliability_pct": 90}, None),
        ({"reliability_pct": 89}, ("reliability",)),
        ({"interruption_days": 30}, None),
        ({"interruption_days": 31}, ("interruption",)),
        ({"quantity_lpd": None, "reliability_pct": None, "interruption_days": None}, None),
        (
            {"source": "cistern", "quantity_lpd": 10, "fetch_minutes": 45, "interruption_days": 60},
            ("quantity", "convenience", "interruption"),
        ),
    ],
)
def test_water_sub_checks_and_boundaries(water, details):
    flags = run(v=visit(water=water))
    if details is None:
        assert "WATER_UNSAFE" not in flags
    else:
        assert flags["WATER_UNSAFE"].details == details
        assert len(flags["WATER_UNSAFE"].fields) == len(details)


def test_water_messages_name_each_failed_check():
    flag = run(v=visit(water={"source": "well", "fetch_minutes": 21, "reliability_pct": 89}))[
        "WATER_UNSAFE"
    ]
    assert flag.message_zh == (
        "饮水不安全：取水往返 21 分钟，超过 20 分钟；供水保证率 89%，低于 90%"
    )
    assert flag.message_en == (
        "Drinking water unsafe: fetching water takes 21 minutes round trip, over 20 minutes; "
        "supply reliability 89% is below 90%"
    )
    assert flag.fields == ("water.fetch_minutes", "water.reliability_pct")
    assert "WATER_UNSAFE" not in run(v=visit(water=None))


@pytest.mark.parametrize(
    ("abilities", "flagged"),
    [
        (["lost", "none"], True),
        (["none"], True),
        (["lost", "weak"], False),
        (["lost", None], False),  # one not recorded yet
        ([], False),
    ],
)
def test_no_labor_household(abilities, flagged):
    ms = [
        member(f"m{i}", labor_ability=a, relation="head" if i == 0 else "other")
        for i, a in enumerate(abilities)
    ]
    flags = run(ms=ms)
    assert ("NO_LABOR_HOUSEHOLD" in flags) is flagged
    if flagged:
        assert flags["NO_LABOR_HOUSEHOLD"].severity == "medium"
        assert (
            f"全部 {len(abilities)} 名常住成员均无劳动能力"
            in flags["NO_LABOR_HOUSEHOLD"].message_zh
        )


def test_no_labor_household_ignores_members_who_left():
    ms = [
        member("m1", relation="head", labor_ability="lost"),
        member("m2", labor_ability="ordinary", status="moved_out"),
    ]
    flag = run(ms=ms)["NO_LABOR_HOUSEHOLD"]
    assert flag.fields == ("members.m1.labor_ability",)
    assert flag.message_en == "The only resident member cannot work (lost labour ability)"
