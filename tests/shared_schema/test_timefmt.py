"""Local time for people: zones from settings, the human format in zh and en, local days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared_schema.timefmt import (
    TimeZoneError,
    export_timestamp,
    format_date,
    format_datetime,
    local_date,
    parse_zone,
    to_local,
    zone_label,
)

LATE_UTC = datetime(2026, 12, 2, 17, 30, tzinfo=UTC)  # 01:30 on 3 December in Beijing


@pytest.mark.parametrize(
    ("name", "offset"),
    [
        ("Asia/Shanghai", timedelta(hours=8)),
        ("UTC+8", timedelta(hours=8)),
        ("+08:00", timedelta(hours=8)),
        ("utc-3:30", timedelta(hours=-3, minutes=-30)),
        ("UTC", timedelta(0)),
    ],
)
def test_zone_settings(name, offset):
    assert parse_zone(name).utcoffset(LATE_UTC) == offset


@pytest.mark.parametrize("name", ["", "Mars/Olympus", "UTC+25", "+8:99", "../../etc/passwd"])
def test_bad_zone_settings_are_refused(name):
    with pytest.raises(TimeZoneError):
        parse_zone(name)


def test_a_late_utc_evening_is_already_tomorrow_in_beijing():
    zone = parse_zone("Asia/Shanghai")
    assert local_date(LATE_UTC, zone) == date(2026, 12, 3)
    assert format_datetime(LATE_UTC, zone, "zh") == "2026年12月3日 01:30"
    assert format_datetime(LATE_UTC, zone, "en") == "3 Dec 2026, 01:30"
    assert zone_label(zone, LATE_UTC) == "UTC+8"
    assert export_timestamp(LATE_UTC, zone) == "2026-12-03 01:30:00"


def test_naive_stored_moments_are_utc():
    zone = parse_zone("UTC+8")
    assert to_local(LATE_UTC.replace(tzinfo=None), zone) == to_local(LATE_UTC, zone)
    assert zone_label(parse_zone("+05:30"), LATE_UTC) == "UTC+5:30"
    assert zone_label(UTC, LATE_UTC) == "UTC"


def test_dates_in_both_languages():
    assert format_date(date(2027, 1, 9), "zh") == "2027年1月9日"
    assert format_date(date(2027, 1, 9), "en") == "9 Jan 2027"


@given(
    st.datetimes(
        min_value=datetime(1970, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
    ),
    st.integers(min_value=-14 * 60, max_value=14 * 60),
)
def test_local_time_keeps_the_moment(moment, minutes):
    zone = timezone(timedelta(minutes=minutes))
    local = to_local(moment, zone)
    assert local == moment and local.utcoffset() == timedelta(minutes=minutes)
    assert format_datetime(moment, zone, "zh").startswith(f"{local.year}年{local.month}月")
