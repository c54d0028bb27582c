"""The rules config: threshold lookup, fallbacks, immutability, validation, JSON round trip."""

from __future__ import annotations

import dataclasses
import json

import pytest

from shared_schema import config_data
from shared_schema.config import (
    CONFIG_KEYS,
    DEFAULT_CONFIG,
    ConfigError,
    RulesConfig,
    config_for,
    config_from_dict,
    config_to_dict,
    normalize_province,
    threshold_for,
)


@pytest.mark.parametrize(
    ("province", "year", "threshold", "source"),
    [
        ("52", 2024, 7800, "52/2024"),  # exact province entry
        ("52", 2026, 8300, "52/2026"),
        ("52", 2030, 8300, "52/2026"),  # latest province year <= requested
        ("52", 2022, 6300, "00/2022"),  # province has nothing that early: national of that year
        ("32", 2024, 8800, "32/2024"),
        ("32", 2026, 9000, "32/2025"),
        ("53", 2023, 7500, "00/2023"),
        ("11", 2024, 7800, "00/2024"),  # province with no entries: national
        (None, 2021, 6000, "00/2021"),
        (None, 2026, 8200, "00/2026"),
        (None, 2019, 6000, "00/2021"),  # before every entry: the earliest national
        ("520102", 2025, 8100, "52/2025"),  # a county code reduces to its province
    ],
)
def test_threshold_lookup_falls_back(province, year, threshold, source):
    assert threshold_for(province, year) == (threshold, source)
    cfg = config_for(province, year)
    assert cfg.monitoring_threshold == threshold
    assert cfg.threshold_source == source
    assert cfg.year == year
    assert cfg.province == normalize_province(province)


def test_default_config_is_national_current_year():
    assert DEFAULT_CONFIG.province == config_data.NATIONAL
    assert DEFAULT_CONFIG.year == config_data.CURRENT_YEAR == 2026
    assert DEFAULT_CONFIG.monitoring_threshold == 8200
    assert DEFAULT_CONFIG.near_factor == 1.2
    assert DEFAULT_CONFIG.drop_ratio == 0.30
    assert DEFAULT_CONFIG.rigid_medical_ratio == 0.50
    assert DEFAULT_CONFIG.school_age == (6, 16)
    assert DEFAULT_CONFIG.labor_age == (16, 59)
    assert DEFAULT_CONFIG.wage_suspicious == (0, 100)
    assert DEFAULT_CONFIG.min_quantity_lpd == 20
    assert DEFAULT_CONFIG.max_fetch_minutes == 20
    assert DEFAULT_CONFIG.min_reliability_pct == 90
    assert DEFAULT_CONFIG.max_interruption_days == 30
    assert DEFAULT_CONFIG.ill_health_codes == ("chronic", "serious_illness")
    assert DEFAULT_CONFIG.no_labor_codes == ("lost", "none")
    assert DEFAULT_CONFIG.max_risks == 5


def test_versions_differ_by_province_and_year():
    versions = {config_for(p, y).version for p in (None, "52", "32") for y in (2023, 2024)}
    assert len(versions) == 6
    assert config_for("52", 2024).version == f"r{config_data.RULESET_REVISION}-52-2024"


def test_visit_intervals_per_category():
    assert DEFAULT_CONFIG.visit_interval("marginal") == 30
    assert DEFAULT_CONFIG.visit_interval("unstable_lifted") == 30
    assert DEFAULT_CONFIG.visit_interval("sudden_hardship") == 30
    assert DEFAULT_CONFIG.visit_interval(None) == 90
    assert DEFAULT_CONFIG.visit_interval("unknown_category") == 90


def test_every_rule_has_a_severity():
    assert set(DEFAULT_CONFIG.severities.values()) <= {"high", "medium", "low"}
    assert DEFAULT_CONFIG.severity("INCOME_LOW") == "high"
    assert DEFAULT_CONFIG.severity("NOT_A_RULE") == "medium"


def test_config_is_immutable_and_does_not_share_defaults():
    with pytest.raises(dataclasses.FrozenInstanceError):
        DEFAULT_CONFIG.monitoring_threshold = 1  # type: ignore[misc]
    with pytest.raises(TypeError):
        DEFAULT_CONFIG.severities["INCOME_LOW"] = "low"  # type: ignore[index]
    with pytest.raises(TypeError):
        DEFAULT_CONFIG.visit_interval_days["none"] = 1  # type: ignore[index]
    assert config_data.SEVERITIES["INCOME_LOW"] == "high"
    assert isinstance(hash(DEFAULT_CONFIG), int)


def test_replace_builds_a_validated_variant():
    cfg = dataclasses.replace(DEFAULT_CONFIG, monitoring_threshold=7500, version="custom")
    assert cfg.monitoring_threshold == 7500
    assert cfg != DEFAULT_CONFIG
    with pytest.raises(ConfigError) as err:
        dataclasses.replace(DEFAULT_CONFIG, monitoring_threshold=-1)
    assert "monitoring_threshold" in err.value.errors


def test_json_round_trip():
    for cfg in (DEFAULT_CONFIG, config_for("52", 2024)):
        data = config_to_dict(cfg)
        assert set(data) == set(CONFIG_KEYS)
        again = config_from_dict(json.loads(json.dumps(data)))
        assert again == cfg
        assert config_to_dict(again) == data


def test_from_dict_fills_keys_missing_from_an_older_config():
    data = config_to_dict(config_for("52", 2024))
    del data["max_risks"], data["check_risk_codes"]
    cfg = config_from_dict(data)
    assert cfg.max_risks == 5
    assert cfg.check_risk_codes["CHK_DISASTER_NO_SUBTYPE"] == ("disaster",)


@pytest.mark.parametrize(
    ("change", "bad_key"),
    [
        ({"near_factor": 0.9}, "near_factor"),
        ({"near_factor": "1.2"}, "near_factor"),
        ({"drop_ratio": 0}, "drop_ratio"),
        ({"drop_ratio": 1.5}, "drop_ratio"),
        ({"rigid_medical_ratio": float("nan")}, "rigid_medical_ratio"),
        ({"school_age": [16, 6]}, "school_age"),
        ({"labor_age": [16]}, "labor_age"),
        ({"wage_suspicious": [0, "100"]}, "wage_suspicious"),
        ({"min_reliability_pct": 101}, "min_reliability_pct"),
        ({"max_fetch_minutes": 20.5}, "max_fetch_minutes"),
        ({"max_interruption_days": -1}, "max_interruption_days"),
        ({"max_risks": 0}, "max_risks"),
        ({"monitoring_threshold": True}, "monitoring_threshold"),
        ({"year": 1999}, "year"),
        ({"province": "G"}, "province"),
        ({"version": ""}, "version"),
        ({"visit_interval_days": {"marginal": 30}}, "visit_interval_days"),
        ({"visit_interval_days": {"none": 0}}, "visit_interval_days"),
        ({"ill_health_codes": ["chronic", ""]}, "ill_health_codes"),
        ({"no_labor_codes": "lost"}, "no_labor_codes"),
        ({"severities": {"INCOME_LOW": "urgent"}}, "severities"),
        ({"check_risk_codes": {"CHK_X": [1]}}, "check_risk_codes"),
        ({"suggested_risks": {"HOUSING_UNSAFE": ""}}, "suggested_risks"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_from_dict_rejects_bad_values_naming_the_key(change, bad_key):
    data = {**config_to_dict(DEFAULT_CONFIG), **change}
    with pytest.raises(ConfigError) as err:
        config_from_dict(data)
    assert bad_key in err.value.errors
    assert bad_key in str(err.value)


def test_from_dict_requires_identity_and_an_object():
    data = config_to_dict(DEFAULT_CONFIG)
    del data["monitoring_threshold"]
    with pytest.raises(ConfigError) as err:
        config_from_dict(data)
    assert err.value.errors == {"monitoring_threshold": ["missing"]}
    with pytest.raises(ConfigError):
        config_from_dict([("version", "x")])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("province", "year"), [("GZ", 2024), ("5", 2024), ("52", 1900), (None, "2024")]
)
def test_config_for_rejects_bad_input(province, year):
    with pytest.raises(ConfigError):
        config_for(province, year)


def test_constructor_validates():
    with pytest.raises(ConfigError):
        RulesConfig(version="v", province="52", year=2024, monitoring_threshold=0)
    cfg = RulesConfig(version="v", province="52", year=2024, monitoring_threshold=7000)
    assert cfg.severities == DEFAULT_CONFIG.severities


def test_next_visit_due_per_category():
    from datetime import date

    assert DEFAULT_CONFIG.next_visit_due("2026-03-01", "marginal") == date(2026, 3, 31)
    assert DEFAULT_CONFIG.next_visit_due(date(2026, 3, 1), None) == date(2026, 5, 30)
    slower = dataclasses.replace(
        DEFAULT_CONFIG, version="t", visit_interval_days={"marginal": 14, "none": 60}
    )
    assert slower.next_visit_due("2026-03-01", "marginal") == date(2026, 3, 15)
    assert slower.next_visit_due("2026-03-01", "sudden_hardship") == date(2026, 4, 30)


def test_every_config_key_is_documented():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "rules-and-forms.md").read_text("utf-8")
    table = doc.split("## Config keys", 1)[1]
    documented = {line.split("`")[1] for line in table.splitlines() if line.startswith("| `")}
    assert documented == set(CONFIG_KEYS)
