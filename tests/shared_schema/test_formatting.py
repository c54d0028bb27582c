"""The one value formatter (`shared_schema.formatting`) of the phone, the console and exports."""

from __future__ import annotations

import json
import os
import tempfile
from decimal import Decimal

os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="tianye-kivy-home-"))

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared_schema.formatting import export_value, field_kind, format_value, money_text


@pytest.mark.parametrize(
    ("entity", "path", "value", "lang", "expected"),
    [
        ("visit", "risks", ["illness", "water"], "zh", "因病、饮水安全问题"),
        ("visit", "income.wage", 1200, "en", "1,200.00 yuan"),
        ("visit", "income.wage", 1200.5, "zh", "1,200.50 元"),
        ("visit", "water.quantity_lpd", 35.0, "zh", "35 升/人/天"),
        ("visit", "water.reliability_pct", 92.5, "en", "92.5 %"),
        ("household", "house_grade", "c", "zh", "C级（危房）"),
        ("visit", "food_ok", False, "en", "No"),
        ("visit", "notes", None, "zh", "—"),
        ("member", "relation", "martian", "zh", '"martian"'),
        ("visit", "gps", {"lat": 26.5, "lon": 107.9}, "en", "26.5, 107.9"),
        ("visit", "unknown_field", {"a": [1]}, "zh", '{"a": [1]}'),
    ],
)
def test_format_value(entity, path, value, lang, expected):
    assert format_value(entity, path, value, lang) == expected


def test_exports_keep_numbers_and_label_codes():
    assert export_value("visit", "income.wage", 1200.5, "zh") == 1200.5
    assert export_value("visit", "risks", ["illness"], "en") == "Illness"
    assert export_value("visit", "risks", [], "zh") == ""
    assert export_value("visit", "notes", None, "zh") == ""
    assert export_value("visit", "confirmed", True, "zh") == "是"


def test_phone_console_and_exports_share_it():
    from mobile_app.viewmodels.labels import value_text
    from sync_server.console.exports import cell
    from sync_server.console.values import FIELD_KINDS
    from sync_server.console.values import format_value as console_format

    for args in (("visit", "risks", ["illness"], "zh"), ("visit", "income.wage", 9, "en")):
        assert value_text(*args) == console_format(*args) == format_value(*args)
    assert value_text("visit", "notes", None, "en") == "Not recorded"
    assert value_text("visit", "risks", [], "zh") == "无"
    assert cell("visit", "risks", ["illness"], "zh") == "因病"
    kind = ("risk", "multiselect")
    assert FIELD_KINDS[("visit", "risks")] == field_kind("visit", "risks") == kind


@given(
    st.recursive(
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats()
        | st.decimals()
        | st.text(max_size=20),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
        max_leaves=8,
    ),
    st.sampled_from(
        [("visit", "risks"), ("visit", "income.wage"), ("visit", "gps"), ("member", "age")]
    ),
)
def test_no_stored_value_breaks_it(value, where):
    text = format_value(*where, value, "zh")
    assert isinstance(text, str)
    cell = export_value(*where, value, "en")
    assert isinstance(cell, str | int | float | Decimal)
    json.dumps(text)


def test_money_text_of_odd_amounts():
    assert money_text(Decimal("1234.5")) == "1,234.50"
    assert money_text(float("nan")) == "nan"
    assert money_text("abc") == "abc"
