"""Every code the rules config names exists in `shared_schema.enums`; labels come from there."""

from __future__ import annotations

from shared_schema.config import DEFAULT_CONFIG
from shared_schema.enums import ENUMS
from shared_schema.rules.wording import code_label, code_labels


def test_config_code_lists_name_real_codes():
    cfg = DEFAULT_CONFIG
    assert set(cfg.ill_health_codes) <= set(ENUMS["health"].codes)
    assert set(cfg.no_labor_codes) <= set(ENUMS["labor_ability"].codes)
    assert set(cfg.worker_labor_codes) <= set(ENUMS["labor_ability"].codes)
    assert set(cfg.worker_labor_codes).isdisjoint(cfg.no_labor_codes)
    assert set(cfg.excused_dropout_reasons) <= set(ENUMS["not_in_school_reason"].codes)
    assert set(cfg.unsafe_house_grades) <= set(ENUMS["house_grade"].codes)
    for codes in cfg.check_risk_codes.values():
        assert set(codes) <= set(ENUMS["risk"].codes)
    categories = set(ENUMS["monitor_category"].codes)
    assert set(cfg.visit_interval_days) == categories | {"none"}


def test_labels_come_from_enums_and_unknown_codes_are_quoted():
    assert code_label("risk", "illness", "zh") == ENUMS["risk"].label("illness", "zh")
    assert code_label("labor_ability", "lost", "en") == "lost labour ability"
    assert code_label("risk", "not_a_code", "zh") == "not_a_code"
    assert code_label("no_such_enum", "x", "en") == "x"
    assert code_labels("risk", ("illness", "disaster"), "zh") == "因病、因自然灾害"
    assert code_labels("risk", ("illness", "disaster"), "en") == "illness, natural disaster"
