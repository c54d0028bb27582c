"""Enumerations: the codes of docs/data-model.md, each with a zh and en label."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from shared_schema.enums import ENUMS, LANGS, Enumeration, Option, label

DATA_MODEL = Path(__file__).resolve().parents[2] / "docs" / "data-model.md"

EXPECTED_NAMES = {
    "household_type", "monitor_category", "house_grade", "id_type", "relation", "sex",
    "education", "school_stage", "not_in_school_reason", "health", "disability_category",
    "labor_ability", "work_place", "medical_insurance", "member_status", "visit_type",
    "contact_mode", "water_source", "risk", "disaster_type", "assistance", "review_status",
    "household_status", "registration",
    "attachment_kind",
}  # fmt: skip


def test_every_enumeration_of_the_brief_exists() -> None:
    assert set(ENUMS) == EXPECTED_NAMES
    assert all(ENUMS[name].name == name for name in ENUMS)


def test_the_data_model_names_no_enumeration_we_lack() -> None:
    named = set(re.findall(r"enum `([a-z_]+)`", DATA_MODEL.read_text(encoding="utf-8")))
    assert named <= set(ENUMS)


# The codes of docs/data-model.md, in its order (the order pickers show).
DATA_MODEL_CODES: dict[str, tuple[str, ...]] = {
    "household_type": ("lifted", "ordinary"),
    "monitor_category": ("unstable_lifted", "marginal", "sudden_hardship"),
    "house_grade": ("a", "b", "c", "d"),
    "id_type": ("resident_id", "other"),
    "relation": ("head", "spouse", "child", "child_in_law", "parent", "parent_in_law",
                 "grandchild", "grandparent", "sibling", "other"),
    "sex": ("male", "female"),
    "education": ("illiterate", "primary", "junior", "senior", "vocational", "college",
                  "bachelor"),
    "school_stage": ("preschool", "primary", "junior", "senior", "secondary_vocational",
                     "higher_vocational", "undergraduate", "postgraduate"),
    "not_in_school_reason": ("illness", "disability", "family", "weariness", "work", "other"),
    "health": ("healthy", "chronic", "serious_illness", "disabled"),
    "disability_category": ("visual", "hearing", "speech", "physical", "intellectual",
                            "mental", "multiple"),
    "labor_ability": ("ordinary", "skilled", "weak", "lost", "none"),
    "work_place": ("in_county", "in_province", "out_of_province", "abroad"),
    "medical_insurance": ("resident", "employee"),
    "member_status": ("present", "moved_out", "deceased"),
    "visit_type": ("routine", "sweep", "look_back", "application_check", "elimination_check"),
    "contact_mode": ("in_person", "phone", "wechat"),
    "water_source": ("tap", "well", "spring", "cistern", "trucked", "other"),
    "risk": ("illness", "schooling", "disability", "disaster", "accident", "industry_failure",
             "unstable_work", "lack_of_labor", "housing", "water", "dropout", "other"),
    "disaster_type": ("flood", "geological", "drought", "biological", "meteorological",
                      "earthquake", "other"),
    "assistance": ("industry", "employment", "microcredit", "welfare_post", "housing", "water",
                   "health", "education", "yulu", "dibao", "tekun", "disability_subsidy",
                   "social_assistance", "relocation"),
    "review_status": ("submitted", "approved", "returned", "rejected"),
    "attachment_kind": ("house_photo", "water_photo", "member_photo", "signature", "document"),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(DATA_MODEL_CODES))
def test_codes_match_the_data_model(name: str) -> None:
    assert ENUMS[name].codes == DATA_MODEL_CODES[name]


@pytest.mark.parametrize("name", sorted(DATA_MODEL_CODES))
def test_every_code_is_written_in_the_data_model(name: str) -> None:
    text = DATA_MODEL.read_text(encoding="utf-8")
    for code in DATA_MODEL_CODES[name]:
        assert f"`{code}`" in text, (name, code)


@pytest.mark.parametrize("name", sorted(EXPECTED_NAMES))
def test_every_option_has_both_labels_and_a_clean_code(name: str) -> None:
    enum = ENUMS[name]
    assert enum.options, name
    assert len(set(enum.codes)) == len(enum.codes)
    for option in enum.options:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", option.code), option
        assert option.zh.strip() and option.en.strip(), option
        assert re.search(r"[\u4e00-\u9fff]", option.zh) or option.zh[0].isupper(), option
        assert option.en.isascii(), option
        assert "{" not in option.zh + option.en  # labels are pasted into message templates
    for lang in LANGS:
        labels = [lbl for _, lbl in enum.choices(lang)]
        assert len(set(labels)) == len(labels), (name, lang)


@pytest.mark.parametrize(
    ("enum_name", "code", "zh", "en"),
    [
        ("household_type", "lifted", "脱贫户", "Poverty-lifted household"),
        ("household_type", "ordinary", "一般农户", "Ordinary rural household"),
        ("monitor_category", "unstable_lifted", "脱贫不稳定户",
         "Unstable poverty-lifted household"),
        ("monitor_category", "marginal", "边缘易致贫户", "Marginal household prone to poverty"),
        ("monitor_category", "sudden_hardship", "突发严重困难户",
         "Household with sudden severe hardship"),
        ("relation", "head", "户主", "Head of household"),
        ("labor_ability", "ordinary", "普通劳动力", "Ordinary labour"),
        ("labor_ability", "skilled", "技能劳动力", "Skilled labour"),
        ("labor_ability", "weak", "弱劳动力或半劳动力", "Weak or half labour"),
        ("labor_ability", "lost", "丧失劳动力", "Lost labour ability"),
        ("labor_ability", "none", "无劳动力", "No labour ability"),
        ("risk", "illness", "因病", "Illness"),
        ("risk", "schooling", "因学", "Schooling costs"),
        ("risk", "disability", "因残", "Disability"),
        ("risk", "disaster", "因自然灾害", "Natural disaster"),
        ("risk", "accident", "因意外事故", "Accident"),
        ("risk", "industry_failure", "因产业项目失败", "Failed industry project"),
        ("risk", "unstable_work", "因务工就业不稳", "Unstable work"),
        ("risk", "lack_of_labor", "缺劳动力", "Lack of labour"),
        ("assistance", "yulu", "雨露计划", "Yulu Plan (vocational training)"),
        ("assistance", "microcredit", "小额信贷", "Microcredit"),
        ("assistance", "welfare_post", "公益岗位", "Public-welfare post"),
        ("assistance", "dibao", "低保", "Minimum living allowance (dibao)"),
        ("assistance", "tekun", "特困供养", "Extreme-poverty support (tekun)"),
        ("health", "serious_illness", "患有大病", "Serious illness"),
    ],
)  # fmt: skip
def test_official_terms(enum_name: str, code: str, zh: str, en: str) -> None:
    assert label(enum_name, code) == zh
    assert label(enum_name, code, "zh") == zh
    assert label(enum_name, code, lang="en") == en


def test_enumeration_api() -> None:
    sex = ENUMS["sex"]
    assert sex.codes == ("male", "female")
    assert sex.choices("zh") == [("male", "男"), ("female", "女")]
    assert sex.choices("en") == [("male", "Male"), ("female", "Female")]
    assert sex.label("female") == "女"
    assert sex.option("male") == Option("male", "男", "Male")
    assert isinstance(sex, Enumeration)


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda: label("sex", "unknown"), KeyError),
        (lambda: label("no_such_enum", "male"), KeyError),
        (lambda: label("sex", "male", "fr"), ValueError),
        (lambda: ENUMS["sex"].choices("de"), ValueError),
    ],
)
def test_bad_lookups_raise(call, error) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error):
        call()


def test_options_are_immutable() -> None:
    with pytest.raises(AttributeError):
        ENUMS["sex"].options[0].zh = "x"  # type: ignore[misc]
