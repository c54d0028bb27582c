"""Income rules with their boundaries: threshold, 1.2 x threshold, a 30 % drop, 50 % medical."""

from __future__ import annotations

import dataclasses
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.shared_schema.rules_cases import CFG, income_for, member, members, run, visit


def test_clean_visit_raises_nothing():
    assert run() == {}


@pytest.mark.parametrize(
    ("per_capita", "expected"),
    [
        ("5400", {"INCOME_LOW"}),
        ("7499.99", {"INCOME_LOW"}),
        ("7500", {"INCOME_NEAR"}),  # exactly at the threshold: near, not low
        ("8999.99", {"INCOME_NEAR"}),
        ("9000", set()),  # exactly 1.2 x threshold: neither
        ("12000", set()),
        ("0", {"INCOME_LOW"}),
        ("-100", {"INCOME_LOW"}),  # costs above income
    ],
)
def test_income_low_and_near_boundaries(per_capita, expected):
    flags = run(v=visit(income=income_for(per_capita)))
    assert set(flags) & {"INCOME_LOW", "INCOME_NEAR"} == expected


def test_income_low_message_and_severity():
    flag = run(v=visit(income=income_for("5400")))["INCOME_LOW"]
    assert flag.severity == "high"
    assert flag.message_zh == "人均纯收入 5,400.00 元，低于监测线 7,500 元"
    assert flag.message_en == (
        "Per-capita net income 5,400.00 yuan is below the monitoring threshold of 7,500 yuan"
    )
    assert flag.fields == (
        "income.wage",
        "income.operating",
        "income.property",
        "income.transfer",
        "income.costs",
    )


def test_income_near_message_and_severity():
    flag = run(v=visit(income=income_for("8000")))["INCOME_NEAR"]
    assert flag.severity == "medium"
    assert "8,000.00 元" in flag.message_zh and "7,500 元" in flag.message_zh
    assert "1.2 倍 9,000.00 元" in flag.message_zh
    assert "1.2 × threshold = 9,000.00 yuan" in flag.message_en


def test_per_capita_counts_only_resident_members():
    moved = members()
    moved[1]["status"] = "moved_out"  # 2 residents left: 15,000 / 2 = 7,500 -> near, not low
    flags = run(ms=moved, v=visit(income=income_for("5000")))
    assert "INCOME_LOW" not in flags
    assert "7,500.00" in flags["INCOME_NEAR"].message_zh


@pytest.mark.parametrize("missing", ["wage", "operating", "property", "transfer", "costs"])
def test_income_rules_wait_for_every_income_part(missing):
    income = income_for("100")
    income[missing] = None
    assert not set(run(v=visit(income=income))) & {"INCOME_LOW", "INCOME_NEAR"}
    del income[missing]
    assert not set(run(v=visit(income=income))) & {"INCOME_LOW", "INCOME_NEAR"}


def test_income_rules_ignore_half_typed_amounts():
    income = {**income_for("100"), "operating": "12.3.4"}
    assert not set(run(v=visit(income=income))) & {"INCOME_LOW", "INCOME_NEAR"}
    income = {**income_for("100"), "operating": True}
    assert not set(run(v=visit(income=income))) & {"INCOME_LOW", "INCOME_NEAR"}
    assert "INCOME_LOW" in run(v=visit(income={**income_for("100"), "operating": "12.5"}))


def test_no_resident_member_means_no_per_capita_flag():
    gone = [dict(m, status="deceased") for m in members()]
    assert not set(run(ms=gone, v=visit(income=income_for("100")))) & {"INCOME_LOW", "INCOME_NEAR"}


def test_threshold_comes_from_the_config():
    strict = dataclasses.replace(CFG, monitoring_threshold=10000, version="test")
    assert "INCOME_LOW" in run(v=visit(income=income_for("9500")), config=strict)
    assert "INCOME_LOW" not in run(v=visit(income=income_for("9500")))


def previous(per_capita: str, date: str | None = "2025-12-01") -> dict:
    return {"visit_date": date, "income": income_for(per_capita)}


@pytest.mark.parametrize(
    ("before", "now", "flagged"),
    [
        ("10000", "7000", True),  # exactly 30 % down
        ("10000", "7000.01", False),
        ("10000", "6999.99", True),
        ("10000", "10000", False),
        ("10000", "12000", False),  # a rise
        ("0", "0", False),  # nothing to fall from
        ("-100", "-500", False),
    ],
)
def test_income_drop_boundary(before, now, flagged):
    flags = run(v=visit(income=income_for(now)), previous=previous(before))
    assert ("INCOME_DROP" in flags) is flagged


def test_income_drop_message_and_absent_previous_visit():
    flag = run(v=visit(income=income_for("6000")), previous=previous("10000"))["INCOME_DROP"]
    assert flag.severity == "high"
    assert flag.message_zh == (
        "人均纯收入 6,000.00 元，比上次走访（2025-12-01）的 10,000.00 元下降 40.0%"
        "（预警幅度 30.0%）"
    )
    assert "fell 40.0% from 10,000.00 yuan at the previous visit (2025-12-01)" in flag.message_en
    assert "INCOME_DROP" not in run(v=visit(income=income_for("6000")))
    undated = run(v=visit(income=income_for("6000")), previous=previous("10000", None))
    assert "比上次走访的 10,000.00 元" in undated["INCOME_DROP"].message_zh
    partial = {"income": {"wage": 30000}}
    assert "INCOME_DROP" not in run(v=visit(income=income_for("6000")), previous=partial)


@pytest.mark.parametrize(
    ("out_of_pocket", "payout", "flagged"),
    [
        ("6000", "0", True),  # exactly 50 % of 12,000 net
        ("5999.99", "0", False),
        ("7000", "2000", True),  # exactly 50 % of 12,000 + 2,000
        ("6999.99", "2000", False),
        ("6000", None, True),  # payout not recorded counts as zero
        ("0", "0", False),
        (None, "0", False),
    ],
)
def test_rigid_medical_boundary(out_of_pocket, payout, flagged):
    income = income_for("4000", medical_out_of_pocket=out_of_pocket, insurance_payout=payout)
    assert ("RIGID_MEDICAL" in run(v=visit(income=income))) is flagged


def test_rigid_medical_with_non_positive_income_and_messages():
    income = {**income_for("0"), "costs": 500, "medical_out_of_pocket": 300}
    flag = run(v=visit(income=income))["RIGID_MEDICAL"]
    assert "而纯收入与理赔收入之和仅 -500.00 元" in flag.message_zh
    assert "exceeds net income plus insurance payouts (-500.00 yuan" in flag.message_en
    flag = run(v=visit(income=income_for("4000", medical_out_of_pocket=9000)))["RIGID_MEDICAL"]
    assert flag.message_zh == (
        "合规自付医疗费用 9,000.00 元，占纯收入与理赔收入之和 12,000.00 元的 75.0%（预警线 50.0%）"
    )
    assert flag.fields[0] == "income.medical_out_of_pocket"
    missing_part = {**income_for("4000", medical_out_of_pocket=9000), "costs": None}
    assert "RIGID_MEDICAL" not in run(v=visit(income=missing_part))


@settings(max_examples=200, deadline=None)
@given(
    cents=st.integers(min_value=-(10**7), max_value=10**8),
    residents=st.integers(min_value=1, max_value=8),
    threshold=st.integers(min_value=1000, max_value=20000),
)
def test_low_and_near_partition_per_capita_income(cents, residents, threshold):
    cfg = dataclasses.replace(CFG, monitoring_threshold=threshold, version="prop")
    ms = [member(f"m{i}", relation="head" if i == 0 else "child") for i in range(residents)]
    income = {"wage": cents / 100, "operating": 0, "property": 0, "transfer": 0, "costs": 0}
    flags = run(ms=ms, v=visit(income=income), config=cfg)
    pc = (Decimal(cents) / 100 / residents).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert ("INCOME_LOW" in flags) is (pc < threshold)
    assert ("INCOME_NEAR" in flags) is (threshold <= pc < Decimal("1.2") * threshold)
