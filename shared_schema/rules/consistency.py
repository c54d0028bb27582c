"""Consistency checks of the national data cleansing, and the head/spouse rule (MEMBERS_HEAD).

These flag contradictions between answers (a risk with nothing in the household to support
it, an implausible wage), not hardship. Each check reads the risk codes the config lists for
it (`config.check_risk_codes[code]`). A check that needs every resident's value (health, labour
ability, relation) stays silent while any of them is still unrecorded.
"""

from __future__ import annotations

from shared_schema.rules.context import (
    RuleContext,
    make_flag,
    member_field,
    member_name,
    ratio,
    read_codes,
    read_number,
    whole,
    yuan,
)
from shared_schema.rules.flag import Flag
from shared_schema.rules.guarantees import join
from shared_schema.rules.wording import code_label, code_labels


def _risks_read(ctx: RuleContext, code: str) -> tuple[str, ...]:
    """The risk codes of this visit that a check is about."""
    wanted = ctx.config.check_risk_codes.get(code, ())
    return tuple(r for r in ctx.risks if r in wanted)


def chk_illness_no_ill_member(ctx: RuleContext) -> Flag | None:
    """CHK_ILLNESS_NO_ILL_MEMBER: an illness risk but no resident is chronically/seriously ill."""
    risks = _risks_read(ctx, "CHK_ILLNESS_NO_ILL_MEMBER")
    healths = [read_codes(m.get("health")) for m in ctx.present]
    if not risks or not healths or any(not h for h in healths):
        return None
    ill = set(ctx.config.ill_health_codes)
    if any(ill & set(h or ()) for h in healths):
        return None
    ill_zh = "或".join(code_label("health", c, "zh") for c in ctx.config.ill_health_codes)
    ill_en = " or ".join(code_label("health", c, "en") for c in ctx.config.ill_health_codes)
    return make_flag(
        ctx,
        "CHK_ILLNESS_NO_ILL_MEMBER",
        ["risks", *(member_field(m, "health") for m in ctx.present)],
        f"风险含“{code_labels('risk', risks, 'zh')}”，但没有常住成员的健康状况为{ill_zh}",
        f"Risk “{code_labels('risk', risks, 'en')}” is recorded but no resident member has "
        f"{ill_en}",
    )


def chk_work_no_worker(ctx: RuleContext) -> Flag | None:
    """CHK_WORK_NO_WORKER: an unstable-work risk but no resident is able to work."""
    risks = _risks_read(ctx, "CHK_WORK_NO_WORKER")
    abilities = [m.get("labor_ability") for m in ctx.present]
    if not risks or not abilities or any(not isinstance(a, str) or not a for a in abilities):
        return None
    if any(a in ctx.config.worker_labor_codes for a in abilities):
        return None
    return make_flag(
        ctx,
        "CHK_WORK_NO_WORKER",
        ["risks", *(member_field(m, "labor_ability") for m in ctx.present)],
        f"风险含“{code_labels('risk', risks, 'zh')}”，但没有具备劳动能力的常住成员",
        f"Risk “{code_labels('risk', risks, 'en')}” is recorded but no resident member is able "
        "to work",
    )


def chk_dibao_no_transfer(ctx: RuleContext) -> Flag | None:
    """CHK_DIBAO_NO_TRANSFER: a resident receives 低保 but transfer income is zero."""
    transfer = read_number(ctx.income.get("transfer"))
    if transfer is None or transfer != 0:
        return None
    markers = ctx.config.dibao_member_flags
    found = [m for m in ctx.present if any(m.get(k) is True for k in markers)]
    if not found:
        return None
    return make_flag(
        ctx,
        "CHK_DIBAO_NO_TRANSFER",
        ["income.transfer", *(member_field(m, k) for m in found for k in markers)],
        f"{join([member_name(m, 'zh') for m in found], 'zh')} 享受低保，但转移性收入为 "
        f"{yuan(transfer)} 元",
        f"{join([member_name(m, 'en') for m in found], 'en')} "
        f"{'receives' if len(found) == 1 else 'receive'} the minimum living "
        f"allowance (dibao) but transfer income is {yuan(transfer)} yuan",
    )


def chk_disaster_no_subtype(ctx: RuleContext) -> Flag | None:
    """CHK_DISASTER_NO_SUBTYPE: a natural-disaster risk without its disaster type."""
    risks = _risks_read(ctx, "CHK_DISASTER_NO_SUBTYPE")
    if not risks or ctx.visit.get("disaster_type"):
        return None
    return make_flag(
        ctx,
        "CHK_DISASTER_NO_SUBTYPE",
        ("risks", "disaster_type"),
        f"风险含“{code_labels('risk', risks, 'zh')}”，但未填写灾害类型",
        f"Risk “{code_labels('risk', risks, 'en')}” is recorded without a disaster type",
    )


def chk_wage_suspicious(ctx: RuleContext) -> Flag | None:
    """CHK_WAGE_SUSPICIOUS: wage income strictly between 0 and 100 yuan (a likely unit slip)."""
    wage = read_number(ctx.income.get("wage"))
    low, high = ctx.config.wage_suspicious
    if wage is None or not ratio(low) < wage < ratio(high):
        return None
    return make_flag(
        ctx,
        "CHK_WAGE_SUSPICIOUS",
        ("income.wage",),
        f"工资性收入 {yuan(wage)} 元，介于 {whole(low)} 与 {whole(high)} 元之间，"
        "请核实是否按元、按年填写",
        f"Wage income of {yuan(wage)} yuan is between {whole(low)} and {whole(high)} yuan; "
        "check it is in yuan for the whole year",
    )


def chk_healthy_adult_no_labor(ctx: RuleContext) -> Flag | None:
    """CHK_HEALTHY_ADULT_NO_LABOR: a healthy resident aged 16-59, not at school, cannot work."""
    low, high = ctx.config.labor_age
    found = []
    for m in ctx.present:
        age = ctx.age(m)
        ability = m.get("labor_ability")
        if (
            read_codes(m.get("health")) == ("healthy",)
            and age is not None
            and low <= age <= high
            and not m.get("school_stage")
            and ability in ctx.config.no_labor_codes
        ):
            found.append((m, age, str(ability)))
    if not found:
        return None
    zh = [
        f"{member_name(m, 'zh')}（{age} 岁，{code_label('labor_ability', a, 'zh')}）"
        for m, age, a in found
    ]
    en = [
        f"{member_name(m, 'en')} (aged {age}, {code_label('labor_ability', a, 'en')})"
        for m, age, a in found
    ]
    return make_flag(
        ctx,
        "CHK_HEALTHY_ADULT_NO_LABOR",
        [
            f
            for m, _, _ in found
            for f in (member_field(m, "labor_ability"), member_field(m, "health"))
        ],
        f"健康、不在校的 {low}–{high} 岁成员被标为无劳动能力：{join(zh, 'zh')}",
        f"Healthy members aged {low}-{high}, not at school, marked unable to work: "
        f"{join(en, 'en')}",
    )


def members_head(ctx: RuleContext) -> Flag | None:
    """MEMBERS_HEAD: resident members have no head, several heads, or more than one spouse."""
    present = ctx.present
    relations = [m.get("relation") for m in present]
    heads = [m for m in present if m.get("relation") == "head"]
    spouses = [m for m in present if m.get("relation") == "spouse"]
    unknown = any(not isinstance(r, str) or not r for r in relations)
    no_head = not heads and present and not unknown
    if not (no_head or len(heads) > 1 or len(spouses) > 1):
        return None
    zh, en, fields = [], [], []
    if no_head:
        zh.append("常住成员中没有户主")
        en.append("no resident member is the head")
        fields += [member_field(m, "relation") for m in present]
    if len(heads) > 1:
        zh.append(
            f"户主 {len(heads)} 人（{join([member_name(m, 'zh') for m in heads], 'zh')}），"
            "应为 1 人"
        )
        en.append(
            f"{len(heads)} heads ({join([member_name(m, 'en') for m in heads], 'en')}), "
            "there must be exactly one"
        )
        fields += [member_field(m, "relation") for m in heads]
    if len(spouses) > 1:
        zh.append(
            f"配偶 {len(spouses)} 人"
            f"（{join([member_name(m, 'zh') for m in spouses], 'zh')}），最多 1 人"
        )
        en.append(
            f"{len(spouses)} spouses "
            f"({join([member_name(m, 'en') for m in spouses], 'en')}), at most one allowed"
        )
        fields += [member_field(m, "relation") for m in spouses]
    return make_flag(
        ctx,
        "MEMBERS_HEAD",
        fields,
        "家庭成员关系有误：" + "；".join(zh),
        "Member relations are inconsistent: " + "; ".join(en),
    )
