"""The pure half of published configurations: a bundle builds from JSON or names every
problem by its path, round-trips, summarizes what changed, and `ConfigSet` picks the
enumeration codes a record is validated with."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from shared_schema.config import ConfigError
from shared_schema.config_bundle import (
    BUILTIN_VERSION,
    ConfigSet,
    builtin_bundle,
    builtin_parts,
    bundle_from_dict,
    bundle_from_parts,
    bundle_to_dict,
    summarize,
)
from shared_schema.enums import ENUMS, codes_in_force, enum_codes
from shared_schema.schemas.examples import example_visit
from shared_schema.schemas.records import validate_record


def parts() -> dict[str, Any]:
    return copy.deepcopy(builtin_parts())


def test_the_shipped_bundle_round_trips():
    shipped = builtin_bundle()
    doc = bundle_to_dict(shipped)
    assert doc["version"] == BUILTIN_VERSION
    assert set(doc) == {"version", "rules", "forms", "enums"}
    again = bundle_from_dict(doc)
    assert bundle_to_dict(again) == doc
    assert again.codes["sex"] == frozenset({"male", "female"})


def _visit_field(data: dict[str, Any], path: str) -> dict[str, Any]:
    for section in data["forms"]["visit"]["sections"]:
        for f in section["fields"]:
            if f["path"] == path:
                found: dict[str, Any] = f
                return found
    raise KeyError(path)


@pytest.mark.parametrize(
    "edit, key",
    [
        (lambda p: p["rules"].update(monitoring_threshold=-5), "rules.monitoring_threshold"),
        (lambda p: p["rules"].update(unsafe_house_grades=["z"]), "rules.unsafe_house_grades"),
        (
            lambda p: p["rules"].update(suggested_risks={"HOUSING_UNSAFE": "nope"}),
            "rules.suggested_risks",
        ),
        (lambda p: p["enums"].pop("sex"), "enums.sex"),
        (lambda p: p["enums"]["sex"].append(p["enums"]["sex"][0]), "enums.sex"),
        (
            lambda p: p["enums"]["risk"].append({"code": "x", "zh": "甲", "en": "a\x07"}),
            "enums.risk.x.en",
        ),
        (
            lambda p: p["enums"].update(review_status=p["enums"]["review_status"][:2]),
            "enums.review_status",
        ),
        (lambda p: p["forms"].pop("member"), "forms.member"),
        (lambda p: p["forms"]["visit"].update(entity="member"), "forms.visit"),
        (
            lambda p: p["forms"]["visit"]["sections"][0]["fields"][0].update(path="brand_new"),
            "forms.visit.brand_new",
        ),
        (lambda p: p.update(extra=1), "extra"),
        (lambda p: _visit_field(p, "risks").update(max_items=9), "forms.visit.risks"),
        (lambda p: _visit_field(p, "visit_date").update(widget="text"), "forms.visit.visit_date"),
    ],
)
def test_a_bad_part_is_named_by_its_path(edit, key):
    data = parts()
    edit(data)
    with pytest.raises(ConfigError) as caught:
        bundle_from_parts(data, 2)
    assert key in caught.value.errors, caught.value.errors


def test_options_may_be_added_relabelled_and_dropped():
    data = parts()
    data["enums"]["visit_type"] = [
        {"code": "routine", "zh": "例行", "en": "Routine"},
        {"code": "flood_check", "zh": "汛期排查", "en": "Flood check"},
    ]
    bundle = bundle_from_parts(data, 2)
    assert bundle.codes["visit_type"] == frozenset({"routine", "flood_check"})
    changes = {(c.area, c.name, c.kind) for c in summarize(parts(), data)}
    assert ("enums", "visit_type", "added") in changes
    assert ("enums", "visit_type", "removed") in changes
    assert ("enums", "visit_type", "relabelled") in changes


def test_summary_names_rule_changes_key_by_key():
    before, after = parts(), parts()
    after["rules"]["monitoring_threshold"] = 9000
    after["rules"]["visit_interval_days"]["marginal"] = 14
    lines = {(c.name, c.detail) for c in summarize(before, after)}
    threshold = before["rules"]["monitoring_threshold"]
    assert ("monitoring_threshold", f"{threshold} → 9000") in lines
    assert ("visit_interval_days.marginal", "30 → 14") in lines
    assert summarize(before, copy.deepcopy(before)) == []


def test_config_set_picks_a_visits_own_version():
    v1 = {"visit_type": frozenset({"routine", "sweep"})}
    v2 = {"visit_type": frozenset({"routine", "flood_check"})}
    configs = ConfigSet(in_force=2, versions={1: v1, 2: v2})
    assert configs.codes_for("visit", {"form_version": 2}, True) == v2
    assert configs.codes_for("visit", {"form_version": 1}, False) == v1
    assert configs.codes_for("visit", {}, True) == v1  # an older app: version 1
    union = configs.codes_for("visit", {}, False)  # partial changes without a version
    assert union["visit_type"] == {"routine", "sweep", "flood_check"}
    assert configs.codes_for("member", {}, True)["visit_type"] == union["visit_type"]
    assert configs.knows(2) and not configs.knows(3) and not configs.knows(True)


def test_validation_reads_the_codes_set_around_it():
    visit = example_visit(
        household_id="018f3a2e-0000-7000-8000-000000000001", visit_type="flood_check"
    )
    assert "visit_type" in validate_record("visit", visit)
    codes = {"visit_type": frozenset(ENUMS["visit_type"].codes) | {"flood_check"}}
    with enum_codes(codes):
        assert codes_in_force("visit_type") == codes["visit_type"]
        assert "visit_type" not in validate_record("visit", visit)
    assert codes_in_force("visit_type") == ENUMS["visit_type"].codes  # reset after the block
