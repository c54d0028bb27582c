"""Labels and units: every field of every schema (nested leaves too) has a zh and en label."""

from __future__ import annotations

import re

import pytest
from marshmallow import Schema, fields

from shared_schema.labels import (
    ENTITY_LABELS,
    FIELD_LABELS,
    FIELD_UNITS,
    entity_label,
    field_label,
    field_unit,
)
from shared_schema.schemas.records import ENTITIES, schema_for

HAN = re.compile(r"[\u4e00-\u9fff]")


def schema_paths(schema: Schema, prefix: str = "") -> set[str]:
    """Every field path of a schema instance: objects and their leaves."""
    paths: set[str] = set()
    for name, field in schema.fields.items():
        path = prefix + name
        paths.add(path)
        if isinstance(field, fields.Nested):
            paths |= schema_paths(field.schema, path + ".")
        elif isinstance(field, fields.List) and isinstance(field.inner, fields.Nested):
            paths |= schema_paths(field.inner.schema, path + ".")
    return paths


@pytest.mark.parametrize("entity", ENTITIES)
def test_every_schema_field_has_a_label_and_no_label_is_stale(entity: str) -> None:
    paths = schema_paths(schema_for(entity, origin="server"))
    assert paths == set(FIELD_LABELS[entity])


def test_nested_leaves_are_really_walked() -> None:
    paths = schema_paths(schema_for("visit"))
    assert {"income.wage", "water.quantity_lpd", "gps.lat", "gps.accuracy_m"} <= paths


@pytest.mark.parametrize(
    ("entity", "path", "zh", "en"),
    [(e, p, zh, en) for e, table in FIELD_LABELS.items() for p, (zh, en) in table.items()],
)
def test_every_label_has_both_languages(entity: str, path: str, zh: str, en: str) -> None:
    assert zh.strip() and en.strip()
    assert HAN.search(zh), (entity, path)
    assert en.isascii() and not HAN.search(en)
    assert "{" not in zh + en and "}" not in zh + en  # labels go into message templates


@pytest.mark.parametrize("entity", ENTITIES)
def test_labels_are_unique_within_an_entity(entity: str) -> None:
    for index in (0, 1):
        labels = [pair[index] for pair in FIELD_LABELS[entity].values()]
        duplicates = {x for x in labels if labels.count(x) > 1}
        assert not duplicates, (entity, duplicates)


def test_units_only_for_labelled_numeric_fields() -> None:
    for entity, table in FIELD_UNITS.items():
        for path, (zh, en) in table.items():
            assert path in FIELD_LABELS[entity], (entity, path)
            assert zh and en


@pytest.mark.parametrize(
    ("entity", "path", "zh", "en"),
    [
        ("visit", "income.wage", "元", "yuan"),
        ("visit", "income.costs", "元", "yuan"),
        ("visit", "water.quantity_lpd", "升/人/天", "L/person/day"),
        ("visit", "water.fetch_minutes", "分钟", "min"),
        ("visit", "water.reliability_pct", "%", "%"),
        ("member", "work_months", "月", "months"),
    ],
)
def test_units(entity: str, path: str, zh: str, en: str) -> None:
    assert field_unit(entity, path) == zh
    assert field_unit(entity, path, "en") == en


def test_field_without_unit() -> None:
    assert field_unit("member", "name") is None
    assert field_unit("nothing", "name", "en") is None


@pytest.mark.parametrize(
    ("entity", "path", "zh", "en"),
    [
        ("member", "id_number", "证件号码", "ID number"),
        ("visit", "income.wage", "工资性收入", "Wage income"),
        ("visit", "gps.lat", "纬度", "Latitude"),
        ("household", "household_type", "户类型", "Household type"),
    ],
)
def test_field_label(entity: str, path: str, zh: str, en: str) -> None:
    assert field_label(entity, path) == zh
    assert field_label(entity, path, lang="en") == en


def test_entity_labels() -> None:
    assert set(ENTITY_LABELS) == set(ENTITIES)
    assert entity_label("visit") == "走访记录"
    assert entity_label("member", "en") == "Member"


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda: field_label("member", "nope"), KeyError),
        (lambda: field_label("nope", "name"), KeyError),
        (lambda: field_label("member", "name", "fr"), ValueError),
    ],
)
def test_bad_lookups_raise(call, error) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error):
        call()
