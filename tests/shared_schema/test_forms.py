"""The form definitions: structure and order, conditions, JSON round trip, live values."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from shared_schema.config import config_for
from shared_schema.forms import (
    FORMS,
    HOUSEHOLD_FORM,
    MEMBER_FORM,
    VISIT_FORM,
    WIDGETS,
    ConditionError,
    FieldDef,
    FormDef,
    FormError,
    SectionDef,
    computed_values,
    form_from_dict,
    form_to_dict,
    form_values,
    forms_to_dict,
    is_blank,
    member_values,
    missing_required,
    relevant_fields,
)
from shared_schema.forms.relevance import condition_names
from tests.shared_schema.rules_cases import born_aged, household, income_for, member, members, visit

CFG = config_for("52", 2023)


def test_visit_sections_in_order():
    assert [s.key for s in VISIT_FORM.sections] == [
        "visit",
        "members",
        "income",
        "guarantees",
        "water",
        "housing",
        "risks",
        "assistance",
        "confirmation",
    ]
    assert [f.path for f in VISIT_FORM.section("visit").fields][:4] == [
        "visit_type",
        "visit_date",
        "contact_mode",
        "started_at",
    ]
    assert VISIT_FORM.section("members").subform == MEMBER_FORM.form_id
    confirmation = [f.path for f in VISIT_FORM.section("confirmation").fields]
    assert {"signed_by", "confirmed", "notes"} <= set(confirmation)


def test_forms_are_versioned_and_registered():
    assert set(FORMS) == {"visit", "member", "household"}
    for form_id, form in FORMS.items():
        assert form.form_id == form_id
        assert form.version >= 1
        assert form.title("zh") and form.title("en")


def test_computed_fields_are_read_only():
    computed = {f.path: f for f in VISIT_FORM.fields() if f.entity == "computed"}
    assert set(computed) == {
        "net_income",
        "per_capita_income",
        "education_ok",
        "medical_ok",
        "flags",
    }
    assert all(f.read_only and not f.required for f in computed.values())
    assert computed["flags"].widget == "flags"
    assert MEMBER_FORM.field("age").computed == "age"


def test_every_field_is_complete():
    for form in FORMS.values():
        for f in form.fields():
            assert f.widget in WIDGETS
            assert f.label("zh") and f.label("en") and f.label("zh") != f.label("en")
            assert (f.enum is not None) == (f.widget in ("select", "multiselect"))
            if f.widget == "money":
                assert f.unit("zh") == "元" and f.unit("en") == "yuan"
            assert bool(f.help("zh")) == bool(f.help("en")), f.path
            assert (f.unit("zh") is None) == (f.unit("en") is None), f.path
        for s in form.sections:
            assert s.title("zh") and s.title("en")
            assert bool(s.help_zh) == bool(s.help_en), s.key


def test_conditions_named_in_the_task_are_used():
    conditions = {f.relevant for form in FORMS.values() for f in form.fields()}
    assert "'disabled' in health" in conditions
    assert "'disaster' in risks" in conditions
    assert "age >= 6 and age <= 16 and not school_stage" in conditions
    assert "water.source != 'tap'" in conditions


def test_condition_names_refer_to_fields_of_the_same_form():
    for form in FORMS.values():
        paths = {f.path for f in form.fields()}
        exprs = [f.relevant for f in form.fields()] + [s.relevant for s in form.sections]
        assert condition_names(exprs) <= paths, form.form_id


def test_json_round_trip_rebuilds_equal_forms():
    for form in FORMS.values():
        text = json.dumps(form_to_dict(form), ensure_ascii=False)
        again = form_from_dict(json.loads(text))
        assert again == form
        assert form_to_dict(again) == json.loads(text)


def test_from_dict_refuses_bad_definitions():
    data = form_to_dict(MEMBER_FORM)
    unsafe = json.loads(json.dumps(data))
    unsafe["sections"][0]["fields"][0]["relevant"] = "__import__('os').system('true')"
    with pytest.raises(ConditionError):
        form_from_dict(unsafe)
    unknown = json.loads(json.dumps(data))
    unknown["sections"][0]["fields"][0]["colour"] = "red"
    with pytest.raises(FormError, match="unknown keys"):
        form_from_dict(unknown)
    widget = json.loads(json.dumps(data))
    widget["sections"][0]["fields"][0]["widget"] = "slider"
    with pytest.raises(FormError, match="unknown widget"):
        form_from_dict(widget)
    with pytest.raises(FormError):
        form_from_dict({**data, "version": 0})
    with pytest.raises(FormError):
        form_from_dict({**data, "sections": ["x"]})
    with pytest.raises(FormError):
        form_from_dict("form")  # type: ignore[arg-type]


def field(**changes):
    base = {
        "path": "name",
        "widget": "text",
        "label_zh": "姓名",
        "label_en": "Name",
        "entity": "member",
    }
    return FieldDef(**{**base, **changes})


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"widget": "slider"}, FormError),
        ({"widget": "select"}, FormError),  # no enum
        ({"enum": "sex"}, FormError),  # enum on a text field
        ({"path": "a..b"}, FormError),
        ({"label_en": ""}, FormError),
        ({"entity": "grid"}, FormError),
        ({"entity": "computed"}, FormError),  # without `computed`
        ({"entity": "computed", "computed": "x", "read_only": True, "required": True}, FormError),
        ({"max_items": 3}, FormError),
        ({"relevant": "len(name) > 0"}, ConditionError),
        ({"relevant": "name.__class__"}, ConditionError),
    ],
)
def test_bad_fields_fail_at_definition_time(changes, error):
    with pytest.raises(error):
        field(**changes)


def test_bad_sections_and_forms_fail_at_definition_time():
    with pytest.raises(FormError, match="neither fields nor a subform"):
        SectionDef(key="empty", title_zh="空", title_en="Empty")
    with pytest.raises(ConditionError):
        SectionDef(key="s", title_zh="节", title_en="S", fields=(field(),), relevant="f()")
    section = SectionDef(key="s", title_zh="节", title_en="S", fields=(field(), field()))
    with pytest.raises(FormError, match="duplicate field paths"):
        FormDef(
            form_id="f",
            version=1,
            entity="member",
            title_zh="表",
            title_en="F",
            sections=(section,),
        )


def test_member_relevance():
    shown = relevant_fields(MEMBER_FORM, member_values(member("a"), as_of="2026-03-01"))
    assert "education" in shown and "school_stage" not in shown
    assert "not_in_school_reason" not in shown
    assert "disability_grade" not in shown and "work_months" not in shown

    kid = member("c", birth_date=born_aged(12), education=None, school_stage=None)
    shown = relevant_fields(MEMBER_FORM, member_values(kid, as_of="2026-03-01"))
    assert {"not_in_school_reason", "school_stage", "education"} <= shown

    older = member("c", birth_date=born_aged(17), education=None)
    assert "not_in_school_reason" not in relevant_fields(
        MEMBER_FORM, member_values(older, as_of="2026-03-01")
    )
    disabled = member("d", health=["disabled"], work_place="in_county")
    shown = relevant_fields(MEMBER_FORM, member_values(disabled, as_of=None))
    assert {"disability_category", "disability_grade", "work_months"} <= shown
    lost = member("e", labor_ability="lost")
    assert "work_place" not in relevant_fields(MEMBER_FORM, member_values(lost, as_of=None))


def test_visit_relevance():
    tap = relevant_fields(VISIT_FORM, visit())
    assert "water.fetch_minutes" not in tap and "disaster_type" not in tap
    assert "risk_notes" not in tap and "gps" in tap
    well = relevant_fields(
        VISIT_FORM, visit(water={"source": "well"}, risks=["disaster"], contact_mode="phone")
    )
    assert {"water.fetch_minutes", "disaster_type", "risk_notes"} <= well
    assert "gps" not in well and "signed_by" not in well and "photos" not in well
    # household fields and computed values carry no condition: always shown
    assert {"house_grade", "net_income", "flags"} <= tap
    assert relevant_fields(HOUSEHOLD_FORM, {}) == {f.path for f in HOUSEHOLD_FORM.fields()}


def test_member_values_adds_age():
    assert member_values({"birth_date": "2014-03-02"}, as_of="2026-03-01")["age"] == 11
    assert member_values({"birth_date": "2014-03-01"}, as_of="2026-03-01")["age"] == 12
    assert member_values({"birth_date": None}, as_of="2026-03-01")["age"] is None
    assert member_values({"birth_date": "2014-03-01"}, as_of=None)["age"] is None


def test_computed_values_of_a_complete_visit():
    values = computed_values(household(), members(), visit(income=income_for("5400")), config=CFG)
    assert values["net_income"] == Decimal("16200.00")
    assert values["per_capita_income"] == Decimal("5400.00")
    assert [f.code for f in values["flags"]] == ["INCOME_LOW"]
    assert values["education_ok"] is True
    assert values["medical_ok"] is True
    assert set(values) == {f.computed for f in VISIT_FORM.fields() if f.computed}


def test_computed_verdicts_turn_false_or_unknown():
    kid = member("c", birth_date=born_aged(12), education=None, relation="child")
    uninsured = member("u", medical_insurance=[])
    values = computed_values(household(), members(kid, uninsured), visit(), config=CFG)
    assert values["education_ok"] is False and values["medical_ok"] is False
    unknown = member("x", medical_insurance=None)
    values = computed_values(household(), members(unknown), visit(visit_date=None), config=CFG)
    assert values["education_ok"] is None and values["medical_ok"] is None
    empty = computed_values({}, [], {}, config=CFG)
    assert empty == {
        "net_income": None,
        "per_capita_income": None,
        "flags": [],
        "education_ok": None,
        "medical_ok": None,
    }


def test_form_values_read_each_field_from_its_own_record():
    hh = household(house_grade="c", notes="户备注")
    v = visit(notes=None, water={"source": "well"})
    values = form_values(
        VISIT_FORM, {"visit": v, "household": hh}, computed={"net_income": Decimal("1.00")}
    )
    assert set(values) == {f.path for f in VISIT_FORM.fields()}
    assert values["house_grade"] == "c"
    assert values["notes"] is None  # the visit's notes, not the household's
    assert values["water.source"] == "well"
    assert values["net_income"] == Decimal("1.00")
    assert values["flags"] is None
    assert form_values(VISIT_FORM, {})["visit_date"] is None


def test_missing_required_follows_relevance():
    v = visit(water={"source": "well", "fetch_minutes": None}, risks=["disaster"])
    values = form_values(VISIT_FORM, {"visit": v, "household": household()})
    assert missing_required(VISIT_FORM, values) == ["water.fetch_minutes", "disaster_type"]
    v = visit(water={"source": "tap", "fetch_minutes": None}, risks=[], visit_type=" ")
    values = form_values(VISIT_FORM, {"visit": v, "household": household(house_grade=None)})
    assert missing_required(VISIT_FORM, values) == ["visit_type", "house_grade"]
    new_member = member_values({"health": []}, as_of="2026-03-01")
    missing = missing_required(
        MEMBER_FORM, form_values(MEMBER_FORM, {"member": new_member}, computed=new_member)
    )
    assert missing[:3] == ["name", "id_type", "id_number"]
    assert "health" in missing and "not_in_school_reason" not in missing


def test_is_blank():
    assert is_blank(None) and is_blank("  ") and is_blank([]) and is_blank(())
    assert not is_blank(0) and not is_blank(False) and not is_blank(["x"]) and not is_blank("a")


def test_forms_to_dict_is_json_and_keyed_by_id():
    data = forms_to_dict()
    assert set(data) == set(FORMS)
    assert (
        json.loads(json.dumps(data, ensure_ascii=False))["visit"]["version"] == VISIT_FORM.version
    )
