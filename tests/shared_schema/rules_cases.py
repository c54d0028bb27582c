"""Builders of plain wire-format records for the rule tests: a clean household and its variants."""

from __future__ import annotations

import copy
from typing import Any

from shared_schema.config import RulesConfig, config_for
from shared_schema.rules import Flag, evaluate

CFG: RulesConfig = config_for("52", 2023)  # monitoring threshold 7,500 yuan
VISIT_DATE = "2026-03-01"


def born_aged(age: int, *, tomorrow: bool = False) -> str:
    """A birth date giving exactly `age` on VISIT_DATE (or turning it the day after)."""
    return f"{2026 - age}-03-0{2 if tomorrow else 1}"


def member(mid: str, **changes: Any) -> dict[str, Any]:
    """A healthy, insured, working-age resident adult, changed as asked."""
    record: dict[str, Any] = {
        "id": mid,
        "household_id": "h1",
        "name": f"成员{mid}",
        "id_type": "other",
        "id_number": f"X{mid}",
        "relation": "other",
        "sex": "male",
        "birth_date": born_aged(40),
        "education": "junior",
        "school_stage": None,
        "not_in_school_reason": None,
        "health": ["healthy"],
        "labor_ability": "ordinary",
        "medical_insurance": ["resident"],
        "dibao": False,
        "tekun": False,
        "status": "present",
    }
    record.update(changes)
    return record


def members(*extra: dict[str, Any]) -> list[dict[str, Any]]:
    """Head, spouse and a 10-year-old at primary school, then any extra members."""
    return [
        member("m1", name="张三", relation="head"),
        member("m2", name="李梅", relation="spouse", sex="female"),
        member(
            "m3",
            name="张小明",
            relation="child",
            birth_date=born_aged(10),
            education=None,
            school_stage="primary",
            labor_ability="none",
        ),
        *extra,
    ]


def household(**changes: Any) -> dict[str, Any]:
    """A household in a safe house."""
    return {
        "grid_id": "g1",
        "household_no": "001",
        "head_name": "张三",
        "address": "贵州省某县某村",
        "household_type": "lifted",
        "monitor_category": None,
        "house_grade": "a",
        "house_damaged": False,
        **changes,
    }


def income_for(per_capita: str | float, residents: int = 3, **extra: Any) -> dict[str, Any]:
    """An income object whose net income is `per_capita` x residents, all as wage."""
    from decimal import Decimal

    total = Decimal(str(per_capita)) * residents
    return {"wage": float(total), "operating": 0, "property": 0, "transfer": 0, "costs": 0, **extra}


def visit(**changes: Any) -> dict[str, Any]:
    """A routine visit with comfortable income, safe tap water and no risks; `water` is merged."""
    record: dict[str, Any] = {
        "household_id": "h1",
        "visit_date": VISIT_DATE,
        "visit_type": "routine",
        "contact_mode": "in_person",
        "income": income_for(20000),
        "food_ok": True,
        "clothing_ok": True,
        "water": {
            "source": "tap",
            "quantity_lpd": 60,
            "quality_ok": True,
            "fetch_minutes": None,
            "reliability_pct": 100,
            "interruption_days": 0,
        },
        "risks": [],
        "disaster_type": None,
        "assistance": [],
        "confirmed": True,
    }
    for key, value in changes.items():
        if key == "water" and isinstance(value, dict):  # merged: tests change one water value
            record[key] = {**record[key], **value}
        else:
            record[key] = value
    return record


def run(
    *,
    hh: dict[str, Any] | None = None,
    ms: list[dict[str, Any]] | None = None,
    v: dict[str, Any] | None = None,
    previous: dict[str, Any] | None = None,
    config: RulesConfig = CFG,
) -> dict[str, Flag]:
    """Evaluate and index the flags by code (each rule raises at most one flag)."""
    flags = evaluate(
        copy.deepcopy(hh if hh is not None else household()),
        copy.deepcopy(ms if ms is not None else members()),
        copy.deepcopy(v if v is not None else visit()),
        previous_visit=previous,
        config=config,
    )
    by_code = {f.code: f for f in flags}
    assert len(by_code) == len(flags)
    return by_code
