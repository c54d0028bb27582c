"""Valid example records in the wire format, for API documentation and tests.

Each call returns a fresh dict; pass keyword overrides to change top-level fields
(`example_member(relation="spouse")`). The values are fictional.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from shared_schema.idnumber import make_id_number

EXAMPLE_HOUSEHOLD_ID = "0190a5c2-7b1e-7cc3-8d5e-2a0c0d0e0f10"
EXAMPLE_REGION = "522601"  # 贵州省黔东南州凯里市
EXAMPLE_BIRTH = date(1980, 6, 15)


def example_household(**overrides: Any) -> dict[str, Any]:
    """A poverty-lifted household in grid `g-001`."""
    record: dict[str, Any] = {
        "grid_id": "g-001",
        "household_no": "5226010010001",
        "head_name": "王建国",
        "address": "凯里市三棵树镇南花村 3 组 12 号",
        "phone": "13800000001",
        "household_type": "lifted",
        "monitor_category": None,
        "house_grade": "b",
        "house_damaged": False,
        "notes": None,
    }
    return record | overrides


def example_member(**overrides: Any) -> dict[str, Any]:
    """The head: a 40-something skilled worker with a resident ID card, insured."""
    record: dict[str, Any] = {
        "household_id": EXAMPLE_HOUSEHOLD_ID,
        "name": "王建国",
        "id_type": "resident_id",
        "id_number": make_id_number(EXAMPLE_REGION, EXAMPLE_BIRTH, 13, "male"),
        "relation": "head",
        "sex": "male",
        "birth_date": EXAMPLE_BIRTH.isoformat(),
        "education": "junior",
        "school_stage": None,
        "not_in_school_reason": None,
        "health": ["healthy"],
        "disability_category": None,
        "disability_grade": None,
        "labor_ability": "skilled",
        "work_place": "out_of_province",
        "work_months": 8,
        "welfare_post": False,
        "medical_insurance": ["resident"],
        "pension_insurance": True,
        "dibao": False,
        "tekun": False,
        "status": "present",
        "phone": "13800000001",
    }
    return record | overrides


def example_visit(**overrides: Any) -> dict[str, Any]:
    """A routine in-person visit with income, tap water and no risks."""
    record: dict[str, Any] = {
        "household_id": EXAMPLE_HOUSEHOLD_ID,
        "visit_date": "2024-05-20",
        "visit_type": "routine",
        "contact_mode": "in_person",
        "started_at": "2024-05-20T09:30:00+08:00",
        "ended_at": "2024-05-20T10:10:00+08:00",
        "gps": {"lat": 26.566, "lon": 107.981, "accuracy_m": 12.5},
        "income": {
            "wage": 36000,
            "operating": 8200.5,
            "property": 600,
            "transfer": 1500,
            "costs": 3000,
            "insurance_payout": None,
            "medical_out_of_pocket": 0,
        },
        "food_ok": True,
        "clothing_ok": True,
        "water": {
            "source": "tap",
            "quantity_lpd": 60,
            "quality_ok": True,
            "fetch_minutes": None,
            "reliability_pct": 98,
            "interruption_days": 0,
        },
        "risks": [],
        "disaster_type": None,
        "risk_notes": None,
        "assistance": ["employment"],
        "assistance_notes": None,
        "photos": ["IMG_20240520_0931.jpg"],
        "signed_by": "王建国",
        "attachments": [
            {
                "sha256": "5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef",
                "kind": "house_photo",
                "mime": "image/jpeg",
                "size": 245_760,
                "width": 1600,
                "height": 1200,
                "taken_at": "2024-05-20T09:31:00+08:00",
            }
        ],
        "confirmed": True,
        "notes": None,
        "review_status": "submitted",
    }
    return record | overrides


EXAMPLES = {"household": example_household, "member": example_member, "visit": example_visit}
