"""Hypothesis strategies for valid household, member and visit records (wire format).

Reusable by any test: `households()`, `members()`, `visits()`, `records_of(entity)`. Values
come from small pools so that two independently drawn records often agree on a field, which is
what merge properties need. Every drawn record passes `validate_record` (with `as_of=None`).
`CROSS_FIELD_GROUPS` lists, per entity, the fields tied together by a cross-field rule.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from hypothesis import strategies as st

from shared_schema.enums import ENUMS
from shared_schema.idnumber import make_id_number
from shared_schema.schemas.examples import EXAMPLE_HOUSEHOLD_ID, EXAMPLE_REGION

HOUSEHOLD_IDS = (EXAMPLE_HOUSEHOLD_ID, "0190a5c2-7b1e-7cc3-8d5e-2a0c0d0e0f11")
NAMES = ("王建国", "李秀英", "张伟", "Ayi")
PHONES = (None, "13800000001", "13912345678")
NOTES = (None, "", "门前有狗", "note")


def codes(enum: str) -> st.SearchStrategy[str]:
    return st.sampled_from(ENUMS[enum].codes)


def optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


def code_list(enum: str, *, max_size: int | None = None) -> st.SearchStrategy[list[str]]:
    return st.lists(codes(enum), unique=True, max_size=max_size)


def households() -> st.SearchStrategy[dict[str, Any]]:
    """Valid household records."""
    return st.fixed_dictionaries(
        {
            "grid_id": st.sampled_from(["g-001", "g-002"]),
            "household_no": st.sampled_from(["5226010010001", "5226010010002"]),
            "head_name": st.sampled_from(NAMES),
            "address": st.sampled_from(["南花村 3 组 12 号", "北岭村 1 组"]),
            "phone": st.sampled_from(PHONES),
            "household_type": codes("household_type"),
            "monitor_category": optional(codes("monitor_category")),
            "house_grade": codes("house_grade"),
            "house_damaged": optional(st.booleans()),
            "notes": st.sampled_from(NOTES),
        }
    )


@st.composite
def members(draw: st.DrawFn) -> dict[str, Any]:
    """Valid member records (ID number, sex and birth date agree; rules hold with as_of=None)."""
    sex = draw(codes("sex"))
    birth = draw(st.sampled_from([date(1950, 3, 1), date(1980, 6, 15), date(2012, 9, 30)]))
    id_type = draw(codes("id_type"))
    if id_type == "resident_id":
        id_number = make_id_number(EXAMPLE_REGION, birth, draw(st.integers(0, 3)), sex)
    else:
        id_number = draw(st.sampled_from(["P1234567", "HK-778"]))
    at_school = draw(st.booleans())
    health = draw(
        st.one_of(
            st.just(["healthy"]),
            st.lists(
                st.sampled_from(["chronic", "serious_illness", "disabled"]),
                unique=True,
                min_size=1,
            ),
        )
    )
    disabled = "disabled" in health
    works = draw(st.booleans())
    return {
        "household_id": draw(st.sampled_from(HOUSEHOLD_IDS)),
        "name": draw(st.sampled_from(NAMES)),
        "id_type": id_type,
        "id_number": id_number,
        "relation": draw(codes("relation")),
        "sex": sex,
        "birth_date": birth.isoformat(),
        "education": None if at_school else draw(codes("education")),
        "school_stage": draw(codes("school_stage")) if at_school else None,
        "not_in_school_reason": None
        if at_school
        else draw(optional(codes("not_in_school_reason"))),
        "health": health,
        "disability_category": draw(codes("disability_category")) if disabled else None,
        "disability_grade": draw(st.integers(1, 4)) if disabled else None,
        "labor_ability": draw(codes("labor_ability")),
        "work_place": draw(codes("work_place")) if works else None,
        "work_months": draw(st.integers(0, 12)) if works else None,
        "welfare_post": draw(optional(st.booleans())),
        "medical_insurance": draw(code_list("medical_insurance")),
        "pension_insurance": draw(optional(st.booleans())),
        "dibao": draw(optional(st.booleans())),
        "tekun": draw(optional(st.booleans())),
        "status": draw(codes("member_status")),
        "phone": draw(st.sampled_from(PHONES)),
    }


amounts = st.sampled_from([0, 100, 1500.5, 36000])


@st.composite
def waters(draw: st.DrawFn) -> dict[str, Any]:
    source = draw(codes("water_source"))
    return {
        "source": source,
        "quantity_lpd": draw(st.sampled_from([15, 40, 60.5])),
        "quality_ok": draw(st.booleans()),
        "fetch_minutes": None if source == "tap" else draw(st.sampled_from([5, 30])),
        "reliability_pct": draw(st.sampled_from([80, 95, 100])),
        "interruption_days": draw(optional(st.sampled_from([0, 40]))),
    }


@st.composite
def visits(draw: st.DrawFn) -> dict[str, Any]:
    """Valid visit records (as the server stores them, review fields included)."""
    risks = draw(code_list("risk", max_size=5))
    times = draw(
        st.sampled_from(
            [
                (None, None),
                ("2024-05-20T09:30:00+08:00", "2024-05-20T10:10:00+08:00"),
                ("2024-05-20T09:30:00+08:00", None),
                ("2024-05-20T08:00:00", "2024-05-20T08:45:00"),
            ]
        )
    )
    return {
        "household_id": draw(st.sampled_from(HOUSEHOLD_IDS)),
        "visit_date": draw(st.sampled_from(["2024-05-20", "2024-06-18"])),
        "visit_type": draw(codes("visit_type")),
        "contact_mode": draw(codes("contact_mode")),
        "started_at": times[0],
        "ended_at": times[1],
        "gps": draw(
            optional(
                st.fixed_dictionaries(
                    {
                        "lat": st.sampled_from([26.566, -10.5]),
                        "lon": st.sampled_from([107.981, 0]),
                        "accuracy_m": optional(st.sampled_from([5, 12.5])),
                    }
                )
            )
        ),
        "income": draw(
            st.fixed_dictionaries(
                {
                    "wage": amounts,
                    "operating": amounts,
                    "property": amounts,
                    "transfer": amounts,
                    "costs": amounts,
                    "insurance_payout": optional(amounts),
                    "medical_out_of_pocket": optional(amounts),
                }
            )
        ),
        "food_ok": draw(st.booleans()),
        "clothing_ok": draw(st.booleans()),
        "water": draw(waters()),
        "risks": risks,
        "disaster_type": draw(optional(codes("disaster_type"))) if "disaster" in risks else None,
        "risk_notes": draw(st.sampled_from(NOTES)),
        "assistance": draw(code_list("assistance", max_size=3)),
        "assistance_notes": draw(st.sampled_from(NOTES)),
        "photos": draw(optional(st.lists(st.sampled_from(["a.jpg", "b.jpg"]), max_size=2))),
        "signed_by": draw(st.sampled_from([None, "王建国"])),
        "confirmed": draw(st.booleans()),
        "notes": draw(st.sampled_from(NOTES)),
        "review_status": draw(st.sampled_from(ENUMS["review_status"].codes)),
        "review_comment": draw(st.sampled_from([None, "请核实收入"])),
    }


RECORD_STRATEGIES = {"household": households, "member": members, "visit": visits}


def records_of(entity: str) -> st.SearchStrategy[dict[str, Any]]:
    """Valid records of one entity."""
    return RECORD_STRATEGIES[entity]()


CROSS_FIELD_GROUPS: dict[str, tuple[frozenset[str], ...]] = {
    "household": (),
    "member": (
        frozenset({"id_type", "id_number", "sex", "birth_date"}),
        frozenset({"education", "school_stage", "not_in_school_reason", "birth_date", "status"}),
        frozenset({"health", "disability_category", "disability_grade"}),
        frozenset({"work_place", "work_months"}),
    ),
    "visit": (
        frozenset({"risks", "disaster_type"}),
        frozenset({"started_at", "ended_at"}),
        frozenset({"gps.lat", "gps.lon", "gps.accuracy_m", "gps"}),
        frozenset({"water.source", "water.fetch_minutes"}),
    ),
}
"""Fields a cross-field rule ties together (dotted paths; `gps` stands for the object)."""
