"""Paradata flags (shared_schema.paradata): duration, distance from the usual place, photo
time against visit time — pure, table-driven, plus a Hypothesis property."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared_schema.paradata import distance_m, usual_place, visit_paradata

HOME = {"lat": 30.0, "lon": 110.0}
EARLIER = [{"gps": HOME}, {"gps": {"lat": 30.0001, "lon": 110.0001}}, {"gps": None}]


def visit(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "visit_date": "2024-05-20",
        "started_at": "2024-05-20T09:00:00+08:00",
        "ended_at": "2024-05-20T09:40:00+08:00",
        "gps": {"lat": 30.0, "lon": 110.0, "accuracy_m": 10},
        "attachments": [{"kind": "house_photo", "taken_at": "2024-05-20T09:10:00+08:00"}],
    }
    return base | changes


def codes(v: dict[str, Any], earlier: list[dict[str, Any]] = EARLIER) -> list[str]:
    return [f.code for f in visit_paradata(v, earlier)]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, []),
        ({"ended_at": "2024-05-20T09:03:00+08:00"}, ["duration_short"]),
        ({"ended_at": "2024-05-20T14:00:00+08:00"}, ["duration_long"]),
        ({"started_at": None}, []),
        ({"gps": {"lat": 30.01, "lon": 110.0}}, ["far_from_home"]),  # ~1.1 km
        ({"gps": {"lat": 30.004, "lon": 110.0, "accuracy_m": 10}}, []),  # ~445 m
        ({"gps": {"lat": 30.006, "lon": 110.0, "accuracy_m": 300}}, []),  # within accuracy
        ({"gps": None}, []),
        (
            {"attachments": [{"kind": "house_photo", "taken_at": "2024-05-19T09:10:00+08:00"}]},
            ["photo_time"],
        ),
        (
            {"attachments": [{"kind": "signature", "taken_at": "2024-05-20T12:00:00+08:00"}]},
            ["photo_time"],
        ),
        (
            {"attachments": [{"kind": "house_photo", "taken_at": "2024-05-20T11:30:00+08:00"}]},
            [],  # within two hours of the end
        ),
        ({"attachments": [{"kind": "document", "taken_at": "2020-01-01T00:00:00Z"}]}, []),
        (
            {
                "started_at": None,
                "ended_at": None,
                "attachments": [{"kind": "water_photo", "taken_at": "2024-05-21T01:00:00+08:00"}],
            },
            ["photo_time"],
        ),
        ({"attachments": [{"kind": "house_photo", "taken_at": "garbage"}]}, []),
    ],
)
def test_flags(changes: dict[str, Any], expected: list[str]) -> None:
    assert codes(visit(**changes)) == expected


def test_no_usual_place_without_two_earlier_fixes() -> None:
    far = visit(gps={"lat": 31.0, "lon": 111.0})
    assert codes(far, earlier=[{"gps": HOME}]) == []
    assert usual_place([{"gps": HOME}, {"gps": {"lat": 30.2, "lon": 110.2}}, {"gps": HOME}]) == HOME


def test_reasons_in_both_languages() -> None:
    (flag,) = visit_paradata(visit(gps={"lat": 30.01, "lon": 110.0}), EARLIER)
    assert flag.reason("zh") == "定位距该户常用位置 1106 米"
    assert flag.reason("en") == "The GPS fix is 1106 m from the household's usual place"


def test_distance_is_about_right() -> None:
    assert distance_m({"lat": 0, "lon": 0}, {"lat": 0, "lon": 1}) == pytest.approx(
        111_195, rel=1e-3
    )


JUNK = st.none() | st.integers() | st.floats() | st.text(max_size=30) | st.booleans()


@given(
    st.dictionaries(
        st.sampled_from(["started_at", "ended_at", "gps", "attachments", "visit_date"]),
        JUNK | st.lists(st.dictionaries(st.sampled_from(["kind", "taken_at"]), JUNK)),
    )
)
def test_any_stored_value_never_breaks_it(v: dict[str, Any]) -> None:
    visit_paradata(v, [v, v])
