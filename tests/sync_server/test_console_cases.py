"""Pure tests of the monitoring-case lifecycle: the state machine, elimination rules, calendar."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from sync_server.console.cases import (
    ACTIONS,
    STATES,
    CaseError,
    CaseSnapshot,
    EliminationFacts,
    VisitIncome,
    add_months,
    available_actions,
    elimination_refusals,
    is_overdue,
    plan_transition,
    working_days_between,
)

TODAY = date(2026, 11, 25)  # a Wednesday


def member(labor: str = "ordinary", status: str = "present") -> dict:
    return {"labor_ability": labor, "status": status}


def facts(**kw) -> EliminationFacts:
    base = dict(
        today=TODAY,
        threshold=Decimal(8000),
        members=[member(), member("none")],
        visits=[
            VisitIncome(TODAY - timedelta(days=150), Decimal("9500")),
            VisitIncome(TODAY - timedelta(days=20), Decimal("10200.50")),
        ],
        measures=["employment"],
        monitoring_started=date(2025, 12, 1),
    )
    base.update(kw)
    return EliminationFacts(**base)


# --- calendar ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (date(2026, 11, 23), date(2026, 11, 23), 0),  # same day
        (date(2026, 11, 23), date(2026, 11, 20), 0),  # end before start
        (date(2026, 11, 23), date(2026, 11, 24), 1),  # Mon -> Tue
        (date(2026, 11, 20), date(2026, 11, 23), 1),  # Fri -> Mon: weekend skipped
        (date(2026, 11, 21), date(2026, 11, 22), 0),  # Sat -> Sun
        (date(2026, 11, 2), date(2026, 11, 30), 20),  # four whole weeks
        (date(2026, 11, 2), date(2026, 12, 1), 21),
    ],
)
def test_working_days_between(start, end, expected):
    assert working_days_between(start, end) == expected


def test_holidays_and_makeup_days_count_as_given():
    start, end = date(2026, 9, 30), date(2026, 10, 9)
    holidays = {date(2026, 10, d) for d in range(1, 8)}
    assert working_days_between(start, end) == 7
    assert working_days_between(start, end, holidays) == 2
    assert working_days_between(start, end, holidays, extra_workdays={date(2026, 10, 10)}) == 2
    assert working_days_between(start, date(2026, 10, 10), holidays, {date(2026, 10, 10)}) == 3


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 1, 15), 6, date(2026, 7, 15)),
        (date(2025, 8, 31), 6, date(2026, 2, 28)),
        (date(2027, 8, 31), 6, date(2028, 2, 29)),
        (date(2026, 11, 25), -6, date(2026, 5, 25)),
        (date(2026, 3, 31), -1, date(2026, 2, 28)),
        (date(2026, 12, 1), 1, date(2027, 1, 1)),
    ],
)
def test_add_months(day, months, expected):
    assert add_months(day, months) == expected


# --- elimination rules ------------------------------------------------------------------------


def codes(f: EliminationFacts) -> list[str]:
    return [r.code for r in elimination_refusals(f)]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({}, []),
        ({"members": [member("none"), member("lost")]}, ["NO_LABOR"]),
        ({"members": [member("ordinary", "moved_out"), member("lost")]}, ["NO_LABOR"]),
        ({"members": []}, ["NO_LABOR"]),
        ({"members": [member("weak")]}, []),
        (
            {"visits": [VisitIncome(TODAY - timedelta(days=10), Decimal("7999.99"))]},
            ["INCOME_BELOW"],
        ),
        ({"visits": [VisitIncome(TODAY - timedelta(days=10), Decimal("8000"))]}, []),
        (
            {
                "visits": [
                    VisitIncome(TODAY - timedelta(days=100), Decimal("6000")),
                    VisitIncome(TODAY - timedelta(days=10), Decimal("12000")),
                ]
            },
            ["INCOME_BELOW"],
        ),
        (  # a low visit older than six months no longer counts
            {
                "visits": [
                    VisitIncome(TODAY - timedelta(days=200), Decimal("6000")),
                    VisitIncome(TODAY - timedelta(days=10), Decimal("12000")),
                ]
            },
            [],
        ),
        ({"visits": []}, ["INCOME_BELOW"]),
        ({"visits": [VisitIncome(TODAY - timedelta(days=3), None)]}, ["INCOME_BELOW"]),
        ({"monitoring_started": date(2026, 5, 26)}, ["MONITORED_TOO_SHORT"]),
        ({"monitoring_started": date(2026, 5, 25)}, []),
        ({"monitoring_started": None}, ["MONITORED_TOO_SHORT"]),
        ({"measures": []}, ["NO_MEASURE"]),
        ({"measures": ["", ""]}, ["NO_MEASURE"]),
        (
            {
                "members": [member("none")],
                "visits": [],
                "measures": [],
                "monitoring_started": TODAY,
            },
            ["NO_LABOR", "INCOME_BELOW", "MONITORED_TOO_SHORT", "NO_MEASURE"],
        ),
    ],
)
def test_elimination_rules(change, expected):
    assert codes(facts(**change)) == expected


def test_refusal_messages_name_the_numbers_in_both_languages():
    [refusal] = elimination_refusals(
        facts(visits=[VisitIncome(TODAY - timedelta(days=10), Decimal("7250.5"))])
    )
    assert "7,250.50" in refusal.message_zh and "8,000.00" in refusal.message_zh
    assert "7,250.50" in refusal.message("en") and "threshold" in refusal.message("en")
    [short] = elimination_refusals(facts(monitoring_started=date(2026, 7, 1)))
    assert "2027-01-01" in short.message_zh and "2027-01-01" in short.message_en


# --- state machine ----------------------------------------------------------------------------

HAPPY_PATH = [
    ("verify_home", "township", "lead", "home_verified"),
    ("open_notice", "township", "home_verified", "village_notice"),
    ("township_review", "township", "village_notice", "township_reviewed"),
    ("county_approve", "county", "township_reviewed", "county_approved"),
    ("start_monitoring", "township", "county_approved", "monitoring"),
    ("propose_elimination", "township", "monitoring", "elimination_proposed"),
    ("verify_elimination", "township", "elimination_proposed", "elimination_verified"),
    ("approve_elimination", "county", "elimination_verified", "elimination_approved"),
    ("eliminate", "county", "elimination_approved", "eliminated"),
]


def test_the_whole_lifecycle_moves_one_step_at_a_time():
    case = CaseSnapshot(state="lead", opened_on=date(2026, 1, 5))
    day = date(2026, 1, 6)
    for action, level, src, dst in HAPPY_PATH:
        assert case.state == src
        if action == "township_review":
            day += timedelta(days=5)
        if action == "propose_elimination":
            day = add_months(case.monitoring_started, 7)
        t = plan_transition(
            case,
            action,
            actor_level=level,
            today=day,
            reason="核实无误",
            mode="assistance",
            facts=facts(
                today=day,
                monitoring_started=case.monitoring_started,
                visits=[VisitIncome(day - timedelta(days=3), Decimal(9000))],
            ),
        )
        assert (t.from_state, t.to_state) == (src, dst)
        case = CaseSnapshot(
            state=t.to_state,
            opened_on=case.opened_on,
            notice_started=t.updates.get("notice_started", case.notice_started),
            monitoring_started=t.updates.get("monitoring_started", case.monitoring_started),
        )
    assert case.state == "eliminated"
    assert t.updates == {"elimination_mode": "assistance", "closed_on": day}


def snap(state: str, **kw) -> CaseSnapshot:
    return CaseSnapshot(state=state, opened_on=kw.pop("opened_on", date(2026, 11, 2)), **kw)


@pytest.mark.parametrize(
    ("state", "action", "level", "kw", "code"),
    [
        ("lead", "county_approve", "county", {}, "WRONG_STATE"),
        ("monitoring", "verify_home", "township", {}, "WRONG_STATE"),
        ("eliminated", "return_to_monitoring", "county", {}, "WRONG_STATE"),
        ("dismissed", "verify_home", "county", {}, "WRONG_STATE"),
        ("township_reviewed", "county_approve", "township", {}, "FORBIDDEN_LEVEL"),
        ("elimination_verified", "approve_elimination", "township", {}, "FORBIDDEN_LEVEL"),
        ("elimination_approved", "eliminate", "township", {}, "FORBIDDEN_LEVEL"),
        ("lead", "verify_home", "township", {"reason": "   "}, "REASON_REQUIRED"),
        ("lead", "fly_away", "county", {}, "UNKNOWN_ACTION"),
        ("village_notice", "township_review", "township", {}, "NOTICE_TOO_SHORT"),
        ("elimination_approved", "eliminate", "county", {"mode": None}, "MODE_REQUIRED"),
        ("elimination_approved", "eliminate", "county", {"mode": "magic"}, "MODE_REQUIRED"),
        (
            "monitoring",
            "propose_elimination",
            "township",
            {"facts": facts(members=[member("none")])},
            "ELIMINATION_FORBIDDEN",
        ),
        (
            "elimination_approved",
            "eliminate",
            "county",
            {"mode": "natural", "facts": facts(measures=[])},
            "ELIMINATION_FORBIDDEN",
        ),
    ],
)
def test_refused_actions(state, action, level, kw, code):
    kwargs = {"reason": "理由", "today": TODAY, "mode": "assistance", "facts": facts()}
    kwargs.update(kw)
    notice = kwargs.pop("notice_started", TODAY - timedelta(days=4))
    with pytest.raises(CaseError) as info:
        plan_transition(snap(state, notice_started=notice), action, actor_level=level, **kwargs)
    assert info.value.code == code
    assert info.value.message("zh") and info.value.message("en")
    assert info.value.message_zh != info.value.message_en


def test_notice_must_have_run_five_days():
    case = snap("village_notice", notice_started=date(2026, 11, 20))
    with pytest.raises(CaseError, match=r"\(it has run 4\)"):
        plan_transition(
            case, "township_review", actor_level="county", today=date(2026, 11, 24), reason="ok"
        )
    t = plan_transition(
        case, "township_review", actor_level="township", today=date(2026, 11, 25), reason="ok"
    )
    assert t.to_state == "township_reviewed"
    with pytest.raises(CaseError, match="public notice"):
        plan_transition(
            snap("village_notice"),
            "township_review",
            actor_level="county",
            today=TODAY,
            reason="ok",
        )


def test_elimination_refusal_lists_every_rule():
    with pytest.raises(CaseError) as info:
        plan_transition(
            snap("monitoring"),
            "propose_elimination",
            actor_level="county",
            today=TODAY,
            reason="收入稳定",
            facts=facts(members=[member("lost")], measures=[]),
        )
    assert [r.code for r in info.value.refusals] == ["NO_LABOR", "NO_MEASURE"]
    assert "无劳动力" in info.value.message_zh and "no labour" in info.value.message_en


def test_elimination_steps_need_facts():
    with pytest.raises(ValueError, match="EliminationFacts"):
        plan_transition(
            snap("monitoring"),
            "propose_elimination",
            actor_level="township",
            today=TODAY,
            reason="x",
        )


@pytest.mark.parametrize(
    ("state", "level", "expected"),
    [
        ("lead", "township", ["verify_home", "dismiss"]),
        ("township_reviewed", "township", ["dismiss"]),
        ("township_reviewed", "county", ["county_approve", "dismiss"]),
        ("elimination_approved", "township", ["return_to_monitoring"]),
        ("elimination_approved", "county", ["eliminate", "return_to_monitoring"]),
        ("eliminated", "county", []),
        ("dismissed", "county", []),
    ],
)
def test_available_actions(state, level, expected):
    assert [a.code for a in available_actions(state, level)] == expected


def test_every_state_is_reachable_and_labelled():
    targets = {a.to_state for a in ACTIONS.values()} | {"lead"}
    assert targets == set(STATES)
    for zh, en in STATES.values():
        assert zh and en and zh != en
    for a in ACTIONS.values():
        assert a.from_states <= set(STATES) and a.label("zh") != a.label("en")


@pytest.mark.parametrize(
    ("state", "opened_on", "expected"),
    [
        ("lead", date(2026, 10, 30), False),  # 18 working days
        ("lead", date(2026, 10, 20), True),
        ("township_reviewed", date(2026, 10, 1), True),
        ("county_approved", date(2026, 10, 1), False),  # identification finished
        ("monitoring", date(2025, 1, 1), False),
        ("dismissed", date(2025, 1, 1), False),
    ],
)
def test_overdue(state, opened_on, expected):
    assert is_overdue(snap(state, opened_on=opened_on), TODAY) is expected


def test_overdue_boundary_is_more_than_twenty_working_days():
    opened = date(2026, 10, 28)
    assert working_days_between(opened, TODAY) == 20
    assert not is_overdue(snap("lead", opened_on=opened), TODAY)
    assert is_overdue(snap("lead", opened_on=opened), TODAY + timedelta(days=1))


def test_cases_package_is_pure():
    """The lifecycle imports only the standard library and itself (no Flask, no database)."""
    import ast
    from pathlib import Path

    import sync_server.console.cases as package

    allowed = {
        "__future__",
        "calendar",
        "collections",
        "dataclasses",
        "datetime",
        "decimal",
        "re",
        "typing",
    }
    for path in Path(package.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert name.startswith("sync_server.console.cases") or name.split(".")[0] in (
                    allowed
                ), f"{path.name} imports {name}"
