"""The "three guarantees" and water rules: schooling, medical insurance, housing, water, labour.

Member rules look at resident members only and name each member concerned (by name, with the
age where it matters) in the message and by id in `fields`. A member whose relevant value is
not recorded yet is left out rather than flagged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared_schema.rules.context import (
    RuleContext,
    make_flag,
    member_field,
    member_name,
    ratio,
    read_codes,
    read_map,
    read_number,
    whole,
)
from shared_schema.rules.flag import Flag
from shared_schema.rules.wording import code_label, code_labels

Member = Mapping[str, Any]


def join(items: list[str], lang: str) -> str:
    """A list the way each language writes one."""
    return (", " if lang == "en" else "、").join(items)


def edu_dropout(ctx: RuleContext) -> Flag | None:
    """EDU_DROPOUT: a resident aged 6-16 out of school for a reason other than ill health."""
    low, high = ctx.config.school_age
    excused = set(ctx.config.excused_dropout_reasons)
    found: list[tuple[Member, int, str | None]] = []
    for m in ctx.present:
        age = ctx.age(m)
        if age is None or not low <= age <= high or m.get("school_stage"):
            continue
        reason = m.get("not_in_school_reason")
        reason = reason if isinstance(reason, str) and reason else None
        if reason in excused:
            continue
        found.append((m, age, reason))
    if not found:
        return None

    def describe(lang: str) -> str:
        parts = []
        for m, age, reason in found:
            if lang == "en":
                why = (
                    f"reason: {code_label('not_in_school_reason', reason, 'en')}"
                    if reason
                    else ("no reason recorded")
                )
                parts.append(f"{member_name(m, 'en')} (aged {age}, {why})")
            else:
                why = (
                    f"原因：{code_label('not_in_school_reason', reason, 'zh')}"
                    if reason
                    else ("未填写不在校原因")
                )
                parts.append(f"{member_name(m, 'zh')}（{age} 岁，{why}）")
        return join(parts, lang)

    fields = [
        f
        for m, _, _ in found
        for f in (member_field(m, "school_stage"), member_field(m, "not_in_school_reason"))
    ]
    return make_flag(
        ctx,
        "EDU_DROPOUT",
        fields,
        f"义务教育阶段（{low}–{high} 岁）成员未在校：{describe('zh')}",
        f"Members of compulsory-school age ({low}-{high}) not at school: {describe('en')}",
    )


def _insurance(m: Member) -> tuple[str, ...] | None:
    return read_codes(m.get("medical_insurance"))


def med_uninsured(ctx: RuleContext) -> Flag | None:
    """MED_UNINSURED: a resident enrolled in no basic medical insurance (empty list)."""
    found = [m for m in ctx.present if _insurance(m) == ()]
    if not found:
        return None
    return make_flag(
        ctx,
        "MED_UNINSURED",
        [member_field(m, "medical_insurance") for m in found],
        f"未参加基本医疗保险的成员：{join([member_name(m, 'zh') for m in found], 'zh')}",
        "Members without basic medical insurance: "
        f"{join([member_name(m, 'en') for m in found], 'en')}",
    )


def med_double(ctx: RuleContext) -> Flag | None:
    """MED_DOUBLE: a resident enrolled in both resident and employee basic medical insurance."""
    found = [m for m in ctx.present if len(set(_insurance(m) or ())) >= 2]
    if not found:
        return None
    return make_flag(
        ctx,
        "MED_DOUBLE",
        [member_field(m, "medical_insurance") for m in found],
        "重复参加城乡居民与职工基本医疗保险的成员："
        f"{join([member_name(m, 'zh') for m in found], 'zh')}",
        "Members enrolled in both resident and employee basic medical insurance: "
        f"{join([member_name(m, 'en') for m in found], 'en')}",
    )


def housing_unsafe(ctx: RuleContext) -> Flag | None:
    """HOUSING_UNSAFE: house grade C/D (dangerous) or recent damage."""
    grade = ctx.household.get("house_grade")
    unsafe_grade = isinstance(grade, str) and grade in ctx.config.unsafe_house_grades
    damaged = ctx.household.get("house_damaged") is True
    if not unsafe_grade and not damaged:
        return None
    zh, en, fields, details = [], [], [], []
    if unsafe_grade:
        zh.append(f"住房安全等级为{code_label('house_grade', str(grade), 'zh')}")
        en.append(f"the house is rated {code_label('house_grade', str(grade), 'en')}")
        fields.append("household.house_grade")
        details.append("grade")
    if damaged:
        zh.append("住房近期受损")
        en.append("the house was recently damaged")
        fields.append("household.house_damaged")
        details.append("damaged")
    return make_flag(
        ctx,
        "HOUSING_UNSAFE",
        fields,
        "住房不安全：" + "，".join(zh),
        "Housing unsafe: " + "; ".join(en),
        tuple(details),
    )


def water_unsafe(ctx: RuleContext) -> Flag | None:
    """WATER_UNSAFE: any of quantity, quality, convenience, reliability, interruption fails."""
    water = read_map(ctx.visit.get("water"))
    cfg = ctx.config
    failed: list[tuple[str, str, str, str]] = []  # (detail, field, zh, en)

    quantity = read_number(water.get("quantity_lpd"))
    if quantity is not None and quantity < ratio(cfg.min_quantity_lpd):
        failed.append(
            (
                "quantity",
                "water.quantity_lpd",
                f"供水量 {whole(quantity)} 升/人·日，低于 {whole(cfg.min_quantity_lpd)} 升",
                f"quantity {whole(quantity)} L/person/day is below {whole(cfg.min_quantity_lpd)} L",
            )
        )
    if water.get("quality_ok") is False:
        failed.append(("quality", "water.quality_ok", "水质不达标", "water quality is not safe"))
    fetch = read_number(water.get("fetch_minutes"))
    if water.get("source") != "tap" and fetch is not None and fetch > cfg.max_fetch_minutes:
        failed.append(
            (
                "convenience",
                "water.fetch_minutes",
                f"取水往返 {whole(fetch)} 分钟，超过 {cfg.max_fetch_minutes} 分钟",
                f"fetching water takes {whole(fetch)} minutes round trip, over "
                f"{cfg.max_fetch_minutes} minutes",
            )
        )
    reliability = read_number(water.get("reliability_pct"))
    if reliability is not None and reliability < ratio(cfg.min_reliability_pct):
        failed.append(
            (
                "reliability",
                "water.reliability_pct",
                f"供水保证率 {whole(reliability)}%，低于 {whole(cfg.min_reliability_pct)}%",
                f"supply reliability {whole(reliability)}% is below "
                f"{whole(cfg.min_reliability_pct)}%",
            )
        )
    interruption = read_number(water.get("interruption_days"))
    if interruption is not None and interruption > cfg.max_interruption_days:
        failed.append(
            (
                "interruption",
                "water.interruption_days",
                f"断水 {whole(interruption)} 天，超过 {cfg.max_interruption_days} 天",
                f"supply interrupted for {whole(interruption)} days, over "
                f"{cfg.max_interruption_days} days",
            )
        )
    if not failed:
        return None
    return make_flag(
        ctx,
        "WATER_UNSAFE",
        [f[1] for f in failed],
        "饮水不安全：" + "；".join(f[2] for f in failed),
        "Drinking water unsafe: " + "; ".join(f[3] for f in failed),
        tuple(f[0] for f in failed),
    )


def no_labor_household(ctx: RuleContext) -> Flag | None:
    """NO_LABOR_HOUSEHOLD: every resident member has lost or no labour ability."""
    present = ctx.present
    none_codes = ctx.config.no_labor_codes
    if not present or any(m.get("labor_ability") not in none_codes for m in present):
        return None
    codes = tuple(dict.fromkeys(str(m.get("labor_ability")) for m in present))
    return make_flag(
        ctx,
        "NO_LABOR_HOUSEHOLD",
        [member_field(m, "labor_ability") for m in present],
        f"全部 {len(present)} 名常住成员均无劳动能力"
        f"（{code_labels('labor_ability', codes, 'zh')}）",
        (
            "The only resident member cannot work "
            if len(present) == 1
            else f"None of the {len(present)} resident members can work "
        )
        + f"({code_labels('labor_ability', codes, 'en')})",
    )
