"""Consistency checks of the national data cleansing and the head/spouse rule."""

from __future__ import annotations

import dataclasses

import pytest

from tests.shared_schema.rules_cases import CFG, born_aged, income_for, member, members, run, visit


def adults(**changes):
    """Head and spouse with the same changes (e.g. both unable to work)."""
    return [
        member("m1", name="张三", relation="head", **changes),
        member("m2", name="李梅", relation="spouse", **changes),
    ]


@pytest.mark.parametrize(
    ("risks", "health", "flagged"),
    [
        (["illness"], ["healthy"], True),
        (["illness"], ["chronic"], False),
        (["illness"], ["serious_illness", "disabled"], False),
        (["illness"], ["disabled"], True),  # disability is not illness
        ([], ["healthy"], False),
        (["illness"], None, False),  # health not recorded yet
    ],
)
def test_illness_risk_without_ill_member(risks, health, flagged):
    flags = run(ms=adults(health=health), v=visit(risks=risks))
    assert ("CHK_ILLNESS_NO_ILL_MEMBER" in flags) is flagged
    if flagged:
        flag = flags["CHK_ILLNESS_NO_ILL_MEMBER"]
        assert flag.severity == "low"
        assert flag.fields == ("risks", "members.m1.health", "members.m2.health")
        assert flag.message_zh == "风险含“因病”，但没有常住成员的健康状况为长期慢性病或患有大病"
        assert "chronic illness or serious illness" in flag.message_en


def test_ill_member_who_moved_out_does_not_count():
    ms = [*adults(), member("m3", health=["serious_illness"], status="moved_out")]
    assert "CHK_ILLNESS_NO_ILL_MEMBER" in run(ms=ms, v=visit(risks=["illness"]))


@pytest.mark.parametrize(
    ("ability", "flagged"),
    [("lost", True), ("none", True), ("weak", False), ("ordinary", False), (None, False)],
)
def test_unstable_work_risk_without_worker(ability, flagged):
    flags = run(ms=adults(labor_ability=ability), v=visit(risks=["unstable_work"]))
    assert ("CHK_WORK_NO_WORKER" in flags) is flagged
    if flagged:
        assert "因务工就业不稳" in flags["CHK_WORK_NO_WORKER"].message_zh
        assert "unstable work" in flags["CHK_WORK_NO_WORKER"].message_en
    assert "CHK_WORK_NO_WORKER" not in run(ms=adults(labor_ability=ability))


def test_the_risk_codes_a_check_reads_are_config():
    cfg = dataclasses.replace(
        CFG,
        version="test",
        check_risk_codes={**CFG.check_risk_codes, "CHK_WORK_NO_WORKER": ("lack_of_labor",)},
    )
    ms = adults(labor_ability="lost")
    assert "CHK_WORK_NO_WORKER" not in run(ms=ms, v=visit(risks=["unstable_work"]), config=cfg)
    assert "CHK_WORK_NO_WORKER" in run(ms=ms, v=visit(risks=["lack_of_labor"]), config=cfg)


@pytest.mark.parametrize(
    ("dibao", "transfer", "status", "flagged"),
    [
        (True, 0, "present", True),
        (True, "0.00", "present", True),
        (True, 100, "present", False),
        (True, None, "present", False),
        (False, 0, "present", False),
        (True, 0, "moved_out", False),
    ],
)
def test_dibao_without_transfer_income(dibao, transfer, status, flagged):
    ms = members(member("m9", name="赵六", dibao=dibao, status=status))
    flags = run(ms=ms, v=visit(income={**income_for(20000), "transfer": transfer}))
    assert ("CHK_DIBAO_NO_TRANSFER" in flags) is flagged
    if flagged:
        flag = flags["CHK_DIBAO_NO_TRANSFER"]
        assert flag.fields == ("income.transfer", "members.m9.dibao")
        assert flag.message_zh == "赵六 享受低保，但转移性收入为 0.00 元"
        assert flag.message_en == (
            "赵六 receives the minimum living allowance (dibao) but transfer income is 0.00 yuan"
        )
        assert flag.severity == "medium"


@pytest.mark.parametrize(
    ("risks", "disaster_type", "flagged"),
    [
        (["disaster"], None, True),
        (["disaster"], "", True),
        (["disaster", "illness"], "flood", False),
        (["illness"], None, False),
    ],
)
def test_disaster_without_subtype(risks, disaster_type, flagged):
    flags = run(ms=adults(health=["chronic"]), v=visit(risks=risks, disaster_type=disaster_type))
    assert ("CHK_DISASTER_NO_SUBTYPE" in flags) is flagged
    if flagged:
        assert flags["CHK_DISASTER_NO_SUBTYPE"].fields == ("risks", "disaster_type")
        assert flags["CHK_DISASTER_NO_SUBTYPE"].message_zh == "风险含“因自然灾害”，但未填写灾害类型"


@pytest.mark.parametrize(
    ("wage", "flagged"),
    [(0, False), (0.01, True), (50, True), (99.99, True), (100, False), (None, False)],
)
def test_suspicious_wage(wage, flagged):
    income = {**income_for(20000), "wage": wage, "operating": 60000}
    flags = run(v=visit(income=income))
    assert ("CHK_WAGE_SUSPICIOUS" in flags) is flagged
    if flagged:
        assert flags["CHK_WAGE_SUSPICIOUS"].fields == ("income.wage",)
        assert "介于 0 与 100 元之间" in flags["CHK_WAGE_SUSPICIOUS"].message_zh


@pytest.mark.parametrize(
    ("changes", "flagged"),
    [
        ({"birth_date": born_aged(35), "labor_ability": "lost"}, True),
        ({"birth_date": born_aged(35), "labor_ability": "none"}, True),
        ({"birth_date": born_aged(16), "labor_ability": "none"}, True),
        ({"birth_date": born_aged(59), "labor_ability": "none"}, True),
        ({"birth_date": born_aged(60), "labor_ability": "none"}, False),
        ({"birth_date": born_aged(16, tomorrow=True), "labor_ability": "none"}, False),  # 15
        ({"birth_date": born_aged(35), "labor_ability": "weak"}, False),
        ({"birth_date": born_aged(35), "labor_ability": "none", "health": ["chronic"]}, False),
        (
            {"birth_date": born_aged(19), "labor_ability": "none", "school_stage": "undergraduate"},
            False,
        ),
        ({"birth_date": born_aged(35), "labor_ability": "none", "status": "deceased"}, False),
    ],
)
def test_healthy_adult_without_labour(changes, flagged):
    flags = run(ms=members(member("m9", name="赵六", **changes)))
    assert ("CHK_HEALTHY_ADULT_NO_LABOR" in flags) is flagged
    if flagged:
        flag = flags["CHK_HEALTHY_ADULT_NO_LABOR"]
        assert flag.fields == ("members.m9.labor_ability", "members.m9.health")
        assert "赵六（" in flag.message_zh and "赵六 (aged" in flag.message_en


@pytest.mark.parametrize(
    ("relations", "statuses", "flagged"),
    [
        (["head", "spouse", "child"], None, False),
        (["head", "head", "child"], None, True),
        (["spouse", "child"], None, True),
        (["head", "spouse", "spouse"], None, True),
        (["spouse", None], None, False),  # a relation not chosen yet: no head may still come
        (["head", "head"], ["present", "deceased"], False),
        (["head", "spouse", "spouse"], ["present", "present", "moved_out"], False),
        ([], None, False),
    ],
)
def test_members_head(relations, statuses, flagged):
    ms = [
        member(f"m{i}", relation=r, status=(statuses or ["present"] * len(relations))[i])
        for i, r in enumerate(relations)
    ]
    assert ("MEMBERS_HEAD" in run(ms=ms)) is flagged


def test_members_head_messages():
    ms = [
        member("a", name="甲", relation="head"),
        member("b", name="乙", relation="head"),
        member("c", name="丙", relation="spouse"),
        member("d", name="丁", relation="spouse"),
    ]
    flag = run(ms=ms)["MEMBERS_HEAD"]
    assert flag.message_zh == (
        "家庭成员关系有误：户主 2 人（甲、乙），应为 1 人；配偶 2 人（丙、丁），最多 1 人"
    )
    assert flag.message_en == (
        "Member relations are inconsistent: 2 heads (甲, 乙), there must be exactly one; "
        "2 spouses (丙, 丁), at most one allowed"
    )
    assert flag.fields == tuple(f"members.{m}.relation" for m in "abcd")
    no_head = run(ms=[member("a", relation="child")])["MEMBERS_HEAD"]
    assert no_head.message_zh == "家庭成员关系有误：常住成员中没有户主"
    assert no_head.severity == "medium"
