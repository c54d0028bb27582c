"""PROTOCOL.md "Values the server accepts": dates, numbers and text the schema refuses, in
both languages, and the guard that every number field has a documented upper bound."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from marshmallow import fields, validate

from shared_schema.schemas import bounds
from shared_schema.schemas.examples import example_household, example_member, example_visit
from shared_schema.schemas.fieldtypes import DayBounds
from shared_schema.schemas.records import SCHEMAS, validate_changes, validate_record

TODAY = date(2026, 12, 3)


def visit(**overrides: Any) -> dict[str, Any]:
    return example_visit(household_id=str(uuid.uuid4()), visit_date="2026-11-20", **overrides)


@pytest.mark.parametrize(
    ("day", "ok"),
    [
        ("1999-12-31", False),
        ("2000-01-01", True),
        ("2026-12-03", True),
        ("2026-12-04", True),  # one day of grace
        ("2026-12-05", False),
        ("9999-12-31", False),
    ],
)
def test_visit_date_between_2000_and_tomorrow(day: str, ok: bool) -> None:
    errors = validate_record("visit", visit() | {"visit_date": day}, lang="en", today=TODAY)
    assert (errors == {}) is ok, errors
    partial = validate_changes("visit", {"visit_date": day}, lang="en", today=TODAY)
    assert (partial == {}) is ok, partial


def test_visit_date_messages_name_the_bound_in_both_languages() -> None:
    late = visit() | {"visit_date": "9999-12-31"}
    assert validate_record("visit", late, lang="zh", today=TODAY) == {
        "visit_date": ["走访日期不能晚于 2026-12-04"]
    }
    assert validate_record("visit", late, lang="en", today=TODAY) == {
        "visit_date": ["Visit date may not be after 2026-12-04"]
    }
    early = visit() | {"visit_date": "1970-01-01"}
    assert validate_record("visit", early, lang="en", today=TODAY) == {
        "visit_date": ["Visit date may not be before 2000-01-01"]
    }


def test_without_today_only_the_backstop_applies() -> None:
    assert validate_record("visit", visit() | {"visit_date": "2099-12-31"}) == {}
    assert "visit_date" in validate_record("visit", visit() | {"visit_date": "2100-01-01"})
    assert "visit_date" in validate_record("visit", visit() | {"visit_date": "9999-12-31"})


@pytest.mark.parametrize("name", ["started_at", "ended_at"])
@pytest.mark.parametrize(
    ("moment", "ok"),
    [
        ("2026-11-20T09:00:00+08:00", True),
        ("1999-12-31T23:59:59+08:00", False),
        ("9999-12-31T23:59:59+14:00", False),
        ("0001-01-01T00:00:00-12:00", False),
    ],
)
def test_visit_times_are_bounded_like_the_date(name: str, moment: str, ok: bool) -> None:
    errors = validate_changes("visit", {name: moment}, lang="en", today=TODAY)
    assert (errors == {}) is ok, errors


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("water.quantity_lpd", 10**400),
        ("water.quantity_lpd", 1000.5),
        ("water.quantity_lpd", 1e308),
        ("gps.accuracy_m", 10**400),
        ("gps.accuracy_m", 100_001),
        ("income.wage", 10**30),
        ("water.fetch_minutes", 10**400),
        ("water.interruption_days", 10**20),
        ("gps.lat", 1e300),
    ],
)
def test_numbers_past_their_documented_range_are_refused(path: str, value: Any) -> None:
    outer, inner = path.split(".")
    record = visit()
    record["water"] = dict(record["water"], source="well", fetch_minutes=10)
    record[outer] = dict(record[outer] or {"lat": 1, "lon": 2}, **{inner: value})
    errors = validate_record("visit", record, lang="en", today=TODAY)
    assert list(errors) == [path], errors


def test_member_counts_refuse_huge_integers() -> None:
    member = example_member(household_id=str(uuid.uuid4()))
    errors = validate_changes("member", {"work_months": 10**400}, lang="en")
    assert list(errors) == ["work_months"]
    assert validate_record("member", member, lang="en", as_of=TODAY, today=TODAY) == {}


def _number_fields(schema_class: type, prefix: str = "") -> list[tuple[str, fields.Field]]:
    found: list[tuple[str, fields.Field]] = []
    for name, field in schema_class._declared_fields.items():  # type: ignore[attr-defined]
        if isinstance(field, fields.Nested):
            found += _number_fields(field.nested, f"{prefix}{name}.")  # type: ignore[arg-type]
        elif isinstance(field, fields.Number):
            found.append((prefix + name, field))
    return found


@pytest.mark.parametrize("entity", sorted(SCHEMAS))
def test_every_number_field_has_a_lower_and_an_upper_bound(entity: str) -> None:
    for path, field in _number_fields(SCHEMAS[entity]):
        ranges = [v for v in field.validators if isinstance(v, validate.Range)]
        assert ranges, f"{entity}.{path} has no Range"
        assert all(r.min is not None and r.max is not None for r in ranges), f"{entity}.{path}"


def test_every_visit_date_field_is_bounded_by_today() -> None:
    schema = SCHEMAS["visit"](today=TODAY)
    for name in ("visit_date", "started_at", "ended_at"):
        day_bounds = [v for v in schema.fields[name].validators if isinstance(v, DayBounds)]
        assert [b.today for b in day_bounds] == [TODAY], name


CONTROL = ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\x9f"]
BIDI = list(bounds.BIDI_CONTROLS)


@pytest.mark.parametrize("char", [*CONTROL, "\n", "\t", "\r"])
def test_one_line_text_holds_no_control_character(char: str) -> None:
    hh = example_household(grid_id="g1")
    errors = validate_changes("household", {"head_name": f"李{char}四"}, lang="en")
    assert errors == {"head_name": ["Name of the head may not contain control characters"]}
    assert validate_changes("household", {"address": f"a{char}b"}, lang="en") != {}
    assert validate_record("household", hh) == {}


@pytest.mark.parametrize("char", CONTROL)
def test_multi_line_text_holds_only_tab_and_line_breaks(char: str) -> None:
    assert validate_changes("visit", {"notes": f"一\n二\t{char}"}, lang="en") == {
        "notes": ["Notes may not contain control characters"]
    }
    assert validate_changes("visit", {"notes": "一\n二\r\n三\t"}) == {}


@pytest.mark.parametrize("char", BIDI)
@pytest.mark.parametrize(
    ("entity", "name"),
    [("household", "head_name"), ("member", "name"), ("visit", "signed_by"), ("visit", "notes")],
)
def test_bidirectional_controls_are_refused(entity: str, name: str, char: str) -> None:
    errors = validate_changes(entity, {name: f"abc{char}gpj.exe"}, lang="zh")
    assert list(errors) == [name]
    assert "双向文字控制字符" in errors[name][0]
    # a right-to-left or left-to-right mark (not an override) is ordinary text
    assert validate_changes(entity, {name: "abc\u200fdef"}) == {}


def test_local_today_is_the_deployment_date() -> None:
    late_utc = datetime(2026, 12, 3, 17, 30, tzinfo=UTC)  # 01:30 on the 4th in Beijing
    assert bounds.local_today(late_utc) == date(2026, 12, 4)
    assert bounds.local_today(late_utc, timedelta(0)) == date(2026, 12, 3)
    assert bounds.local_today(late_utc.astimezone(timezone(timedelta(hours=-5)))) == date(
        2026, 12, 4
    )
    with pytest.raises(ValueError):
        bounds.local_today(datetime(2026, 12, 3))
