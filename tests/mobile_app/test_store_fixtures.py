"""Record builders and a store factory for the store, sync and crash tests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mobile_app.store import Store

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
NODE = "test-node"


def new_id() -> str:
    """A fresh record id."""
    return str(uuid.uuid4())


def household(**over: Any) -> dict[str, Any]:
    """A valid household record."""
    data = {
        "grid_id": "g-001",
        "household_no": "0001",
        "head_name": "张三",
        "address": "红旗村一组 5 号",
        "phone": "13800000001",
        "household_type": "lifted",
        "monitor_category": None,
        "house_grade": "b",
        "house_damaged": False,
        "notes": "",
    }
    data.update(over)
    return data


def member(household_id: str, **over: Any) -> dict[str, Any]:
    """A valid member record (the head, with a checksummed resident ID number)."""
    data = {
        "household_id": household_id,
        "name": "张三",
        "id_type": "resident_id",
        "id_number": "11010519491231002X",
        "relation": "head",
        "sex": "female",
        "birth_date": "1949-12-31",
        "education": "primary",
        "school_stage": None,
        "health": ["healthy"],
        "labor_ability": "ordinary",
        "medical_insurance": ["resident"],
        "status": "present",
    }
    data.update(over)
    return data


def visit(household_id: str, **over: Any) -> dict[str, Any]:
    """A valid visit record."""
    data = {
        "household_id": household_id,
        "visit_date": "2026-02-20",
        "visit_type": "routine",
        "contact_mode": "in_person",
        "income": {
            "wage": 12000,
            "operating": 3000,
            "property": 0,
            "transfer": 1200,
            "costs": 1000,
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
        "assistance": [],
        "confirmed": True,
        "notes": "",
    }
    data.update(over)
    return data


def open_store(path: Path) -> Store:
    """A store on a real SQLite file, validating with the shared schema."""
    return Store(path)
