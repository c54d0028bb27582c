"""The engine: registry, stable order, severities from config, summaries, and never raising."""

from __future__ import annotations

import dataclasses
import json
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared_schema.config import DEFAULT_CONFIG
from shared_schema.config_data import SEVERITIES as DEFAULT_SEVERITIES
from shared_schema.rules import RULE_CODES, RULES, Flag, evaluate, flags_summary, make_context
from tests.shared_schema.rules_cases import (
    CFG,
    born_aged,
    household,
    income_for,
    member,
    members,
    run,
    visit,
)

EXPECTED_CODES = {
    "INCOME_LOW",
    "INCOME_NEAR",
    "INCOME_DROP",
    "RIGID_MEDICAL",
    "EDU_DROPOUT",
    "MED_UNINSURED",
    "MED_DOUBLE",
    "HOUSING_UNSAFE",
    "WATER_UNSAFE",
    "NO_LABOR_HOUSEHOLD",
    "CHK_ILLNESS_NO_ILL_MEMBER",
    "CHK_WORK_NO_WORKER",
    "CHK_DIBAO_NO_TRANSFER",
    "CHK_DISASTER_NO_SUBTYPE",
    "CHK_WAGE_SUSPICIOUS",
    "CHK_HEALTHY_ADULT_NO_LABOR",
    "MEMBERS_HEAD",
}


def troubled_case():
    """A household that trips most rules at once."""
    ms = [
        member(
            "m1",
            name="张三",
            relation="head",
            labor_ability="none",
            medical_insurance=[],
            dibao=True,
        ),
        member(
            "m2",
            name="李梅",
            relation="spouse",
            labor_ability="lost",
            medical_insurance=["resident", "employee"],
        ),
        member(
            "m3",
            name="张小花",
            relation="child",
            birth_date=born_aged(12),
            education=None,
            labor_ability="none",
        ),
    ]
    v = visit(
        income=income_for("50", medical_out_of_pocket=5000),
        risks=["illness", "disaster", "unstable_work"],
        water={"source": "well", "fetch_minutes": 40},
    )
    return household(house_grade="d"), ms, v


def test_registry_holds_every_rule_and_every_rule_has_a_severity():
    assert set(RULES) == EXPECTED_CODES
    assert tuple(RULES) == RULE_CODES
    assert set(DEFAULT_SEVERITIES) == EXPECTED_CODES
    for code, rule in RULES.items():
        assert rule.__doc__ and rule.__doc__.startswith(code)


def test_flags_come_in_registry_order_and_each_rule_is_callable_alone():
    hh, ms, v = troubled_case()
    flags = evaluate(hh, ms, v, previous_visit={"income": income_for("9000")}, config=CFG)
    codes = [f.code for f in flags]
    assert codes == [c for c in RULE_CODES if c in codes]
    assert len(codes) >= 12
    ctx = make_context(hh, ms, v, config=CFG)
    assert RULES["HOUSING_UNSAFE"](ctx) == next(f for f in flags if f.code == "HOUSING_UNSAFE")
    assert evaluate(hh, ms, v, previous_visit={"income": income_for("9000")}, config=CFG) == flags


def test_every_flag_has_both_messages_and_fields():
    hh, ms, v = troubled_case()
    for flag in evaluate(hh, ms, v, config=CFG):
        assert flag.severity in {"high", "medium", "low"}
        assert flag.message_zh and flag.message_en and flag.fields
        assert flag.message("zh") == flag.message_zh
        assert flag.message("en") == flag.message_en
        assert all(f and " " not in f for f in flag.fields)


def test_severities_are_config():
    cfg = dataclasses.replace(
        CFG, version="test", severities={**CFG.severities, "HOUSING_UNSAFE": "low"}
    )
    assert run(hh=household(house_grade="c"), config=cfg)["HOUSING_UNSAFE"].severity == "low"


def test_flags_summary_counts_every_severity():
    hh, ms, v = troubled_case()
    flags = evaluate(hh, ms, v, config=CFG)
    summary = flags_summary(flags)
    assert set(summary) == {"high", "medium", "low"}
    assert sum(summary.values()) == len(flags)
    assert summary["high"] == sum(f.severity == "high" for f in flags)
    assert flags_summary([]) == {"high": 0, "medium": 0, "low": 0}


def test_flag_round_trips_through_json():
    hh, ms, v = troubled_case()
    for flag in evaluate(hh, ms, v, config=CFG):
        again = Flag.from_dict(json.loads(json.dumps(flag.to_dict(), ensure_ascii=False)))
        assert again == flag
    assert (
        Flag.from_dict(
            {"code": "X", "severity": "low", "fields": ["a"], "message_zh": "甲", "message_en": "a"}
        ).details
        == ()
    )


def test_empty_and_partial_inputs_raise_nothing_and_flag_nothing_unfounded():
    assert evaluate({}, [], {}, config=DEFAULT_CONFIG) == []
    assert evaluate(None, None, None, config=DEFAULT_CONFIG) == []  # type: ignore[arg-type]
    # A visit just started: date and type only; members typed so far.
    started = {"visit_date": "2026-03-01", "visit_type": "routine"}
    assert evaluate(household(), members(), started, config=CFG) == []
    assert evaluate({}, [{"id": "x"}], {"income": {}}, config=CFG) == []


def test_visit_date_may_be_a_date_object():
    kid = member("c", birth_date=born_aged(12), education=None, relation="child")
    v = visit(visit_date=date(2026, 3, 1))
    assert "EDU_DROPOUT" in run(ms=members(kid), v=v)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from(["", "0", "12.5", "abc", "2026-03-01", "head", "tap", "present", "lost"]),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=12,
)
FIELDS = st.sampled_from(
    ["income", "water", "risks", "visit_date", "disaster_type", "house_grade", "house_damaged"]
)
MEMBER_FIELDS = st.sampled_from(
    [
        "id",
        "name",
        "relation",
        "birth_date",
        "health",
        "labor_ability",
        "school_stage",
        "not_in_school_reason",
        "medical_insurance",
        "dibao",
        "status",
    ]
)
INCOME_KEYS = st.sampled_from(
    [
        "wage",
        "operating",
        "property",
        "transfer",
        "costs",
        "insurance_payout",
        "medical_out_of_pocket",
    ]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    hh=st.dictionaries(FIELDS, json_values, max_size=4),
    ms=st.lists(st.dictionaries(MEMBER_FIELDS, json_values, max_size=8) | json_values, max_size=4),
    v=st.dictionaries(FIELDS, json_values, max_size=6),
    income=st.dictionaries(INCOME_KEYS, json_values, max_size=7),
    prev=st.none() | st.dictionaries(FIELDS, json_values, max_size=3),
)
def test_garbage_in_never_raises(hh, ms, v, income, prev):
    v = {**v, "income": income} if income else v
    flags = evaluate(hh, ms, v, previous_visit=prev, config=CFG)
    assert all(isinstance(f, Flag) for f in flags)
    assert [f.code for f in flags] == [c for c in RULE_CODES if c in {f.code for f in flags}]


@settings(max_examples=200, deadline=None)
@given(
    target=st.sampled_from(["household", "member", "visit", "income", "water"]),
    key=FIELDS
    | MEMBER_FIELDS
    | INCOME_KEYS
    | st.sampled_from(
        [
            "quantity_lpd",
            "quality_ok",
            "fetch_minutes",
            "reliability_pct",
            "interruption_days",
            "source",
        ]
    ),
    value=json_values,
    which=st.integers(0, 2),
)
def test_one_garbage_value_in_realistic_records_never_raises(target, key, value, which):
    hh, ms, v = troubled_case()
    record = {
        "household": hh,
        "member": ms[which],
        "visit": v,
        "income": v["income"],
        "water": v["water"],
    }[target]
    record[key] = value
    flags = evaluate(hh, ms, v, previous_visit={"income": income_for("9000")}, config=CFG)
    assert all(isinstance(f, Flag) for f in flags)


def test_unhashable_or_odd_values_in_any_field_never_raise():
    odd_values = [[], {}, ["x"], {"a": 1}, 3.5, -1, True, "", "zz", float("nan")]
    hh, ms, v = troubled_case()
    targets = [hh, *ms, v, v["income"], v["water"]]
    for record in targets:
        for key in list(record):
            for value in odd_values:
                changed = dict(record)
                changed[key] = value
                args = [changed if r is record else r for r in targets]
                visit_ = dict(args[4], income=args[5], water=args[6])
                evaluate(args[0], args[1:4], visit_, config=CFG)


def test_flag_field_paths_name_real_schema_fields():
    from tests.shared_schema.test_forms_schema import schema_field

    hh, ms, v = troubled_case()
    hh["house_damaged"] = True
    v["water"] = {
        "source": "well",
        "quantity_lpd": 1,
        "quality_ok": False,
        "fetch_minutes": 99,
        "reliability_pct": 1,
        "interruption_days": 99,
    }
    v["income"]["wage"] = 50
    flags = evaluate(hh, ms, v, previous_visit={"income": income_for("9000")}, config=CFG)
    member_ids = {m["id"] for m in ms}
    seen = set()
    for flag in flags:
        for path in flag.fields:
            if path.startswith("members."):
                _, mid, leaf = path.split(".", 2)
                assert mid in member_ids
                schema_field("member", leaf)
            elif path.startswith("household."):
                schema_field("household", path.removeprefix("household."))
            else:
                schema_field("visit", path)
            seen.add(flag.code)
    assert len(seen) >= 15


def test_suggested_risks_point_at_unticked_codes():
    from shared_schema.enums import ENUMS
    from shared_schema.rules import suggested_risks

    hh, ms, v = troubled_case()
    flags = evaluate(hh, ms, v, config=CFG)
    mapping = CFG.suggested_risks
    assert set(mapping.values()) <= set(ENUMS["risk"].codes)
    assert set(mapping) <= set(RULES)
    hints = suggested_risks(flags, v["risks"], mapping)
    assert hints == ["dropout", "housing", "water", "lack_of_labor"]  # illness already ticked
    assert suggested_risks(flags, [*v["risks"], "housing", "water"], mapping) == [
        "dropout",
        "lack_of_labor",
    ]
    assert suggested_risks([], None, mapping) == []
