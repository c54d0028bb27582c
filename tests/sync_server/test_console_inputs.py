"""The console's typed inputs for a value a supervisor types (conflict resolution): drawn from
the shared form definitions, read back into the type the record holds."""

from __future__ import annotations

import pytest

from shared_schema.enums import ENUMS
from sync_server.console.inputs import InputError, input_spec, parse_input


def test_an_enumerated_field_offers_its_labels_not_codes():
    spec = input_spec("household", "house_grade", "c", "zh")
    assert spec.kind == "select" and spec.value == "c"
    enum = ENUMS["house_grade"]
    assert spec.options == tuple((code, enum.label(code, "zh")) for code in enum.codes)
    assert input_spec("household", "house_grade", "c", "en").options[0][1] == enum.label(
        enum.codes[0], "en"
    )


@pytest.mark.parametrize(
    ("entity", "path", "value", "kind"),
    [
        ("member", "health", ["chronic"], "multiselect"),
        ("member", "dibao", True, "yesno"),
        ("member", "work_months", 6, "number"),
        ("member", "birth_date", "1960-01-02", "date"),
        ("household", "notes", "多行\n备注", "textarea"),
        ("household", "phone", "13800000000", "text"),
        ("visit", "gps", {"lat": 26.5, "lon": 106.7}, "json"),
    ],
)
def test_each_widget_gets_its_input(entity, path, value, kind):
    assert input_spec(entity, path, value, "zh").kind == kind


@pytest.mark.parametrize(
    ("entity", "path", "form", "value"),
    [
        ("household", "house_grade", {"value": ["b"]}, "b"),
        ("household", "house_grade", {"value": [""]}, None),
        ("member", "health", {"value": ["chronic", "disabled"]}, ["chronic", "disabled"]),
        ("member", "health", {}, []),
        ("member", "dibao", {"value": ["false"]}, False),
        ("member", "work_months", {"value": ["6"]}, 6),
        ("visit", "income.wage", {"value": ["12,000.50"]}, 12000.5),
        ("member", "birth_date", {"value": ["1960-01-02"]}, "1960-01-02"),
        ("household", "phone", {"value": [" 13800000000 "]}, "13800000000"),
        ("visit", "gps", {"value": ['{"lat": 1}']}, {"lat": 1}),
    ],
)
def test_values_read_back_in_the_records_type(entity, path, form, value):
    assert parse_input(entity, path, form) == value


@pytest.mark.parametrize(
    ("entity", "path", "raw"),
    [
        ("household", "house_grade", "z"),
        ("member", "health", "nonsense"),
        ("member", "dibao", "maybe"),
        ("member", "work_months", "6.5"),
        ("member", "work_months", "1e400"),
        ("member", "work_months", "9" * 5000),
        ("member", "birth_date", "1960-13-40"),
        ("visit", "gps", "{not json"),
    ],
)
def test_values_that_do_not_fit_are_refused_in_both_languages(entity, path, raw):
    with pytest.raises(InputError) as info:
        parse_input(entity, path, {"value": [raw]})
    assert info.value.message("zh") and info.value.message("en")
