"""The monitoring-case state machine: states, actions, who may take them, and their checks.

A case starts as a `lead` (线索) with its source and moves, one action at a time, through the
identification procedure (home verified → village assessment and public notice → township
review → county approval), then monitoring with assistance measures, then the elimination
procedure (proposed → verified → approved → eliminated). Decisions where DOMAIN.md is silent:
- `dismissed` (不予纳入) ends a lead that verification shows does not qualify; it is open from
  every identification state before county approval.
- `return_to_monitoring` sends an elimination request back to monitoring (the household is not
  ready); the elimination rules are re-checked at every elimination step, so a household whose
  income fell after the proposal is stopped at verification or approval.
- Every action needs a reason (the "why" of the audit trail), even an approval.
- The public notice lasts at least `NOTICE_MIN_DAYS` calendar days, counted from the day the
  case entered `village_notice`.
- Actor levels: `township` steps may be taken by a township supervisor or anyone above;
  `county` steps (county approval, elimination approval, elimination) need county level.
- Overdue: a case still in the identification procedure more than `OVERDUE_WORKING_DAYS`
  working days after its lead was opened.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sync_server.console.cases.calendar import EMPTY_CALENDAR, WorkCalendar
from sync_server.console.cases.elimination import EliminationFacts, Refusal, elimination_refusals

NOTICE_MIN_DAYS = 5
OVERDUE_WORKING_DAYS = 20

STATES: dict[str, tuple[str, str]] = {
    "lead": ("线索", "Lead"),
    "home_verified": ("已入户核实", "Home verified"),
    "village_notice": ("村级评议公示", "Village assessment and notice"),
    "township_reviewed": ("乡镇已审核", "Township reviewed"),
    "county_approved": ("县级已审定", "County approved"),
    "monitoring": ("监测帮扶中", "Monitoring"),
    "elimination_proposed": ("申请风险消除", "Elimination proposed"),
    "elimination_verified": ("风险消除已核实", "Elimination verified"),
    "elimination_approved": ("风险消除已审定", "Elimination approved"),
    "eliminated": ("风险已消除", "Risk eliminated"),
    "dismissed": ("不予纳入", "Dismissed"),
}
"""State code -> (zh, en) label, in lifecycle order."""

PROCEDURE_STATES: frozenset[str] = frozenset(
    {"lead", "home_verified", "village_notice", "township_reviewed"}
)
"""States of the identification procedure, which must finish within 20 working days."""

CLOSED_STATES: frozenset[str] = frozenset({"eliminated", "dismissed"})

SOURCES: dict[str, tuple[str, str]] = {
    "self_declaration": ("农户自主申报", "Self-declaration"),
    "grid_visit": ("网格员排查", "Grid visit"),
    "department_alert": ("部门筛查预警", "Department alert"),
    "look_back": ("回头看", "Look-back re-check"),
}

ELIMINATION_MODES: dict[str, tuple[str, str]] = {
    "assistance": ("帮扶消除", "Eliminated by assistance"),
    "natural": ("自然消除", "Eliminated naturally"),
}

LEVELS: tuple[str, ...] = ("township", "county")
"""Actor levels, lowest first; a level may take every action of the levels below it."""


@dataclass(frozen=True)
class Action:
    """One move of the lifecycle: from which states, to which, at what level, with what checks."""

    code: str
    label_zh: str
    label_en: str
    from_states: frozenset[str]
    to_state: str
    level: str = "township"
    checks_elimination: bool = False
    needs_mode: bool = False

    def label(self, lang: str = "zh") -> str:
        return self.label_en if lang == "en" else self.label_zh


def _action(code: str, zh: str, en: str, src: Sequence[str], dst: str, **kw: object) -> Action:
    return Action(code, zh, en, frozenset(src), dst, **kw)  # type: ignore[arg-type]


_ELIMINATION_STEPS = ("elimination_proposed", "elimination_verified", "elimination_approved")

ACTIONS: dict[str, Action] = {
    a.code: a
    for a in (
        _action("verify_home", "入户核实", "Verify at home", ["lead"], "home_verified"),
        _action(
            "open_notice",
            "村级评议并公示",
            "Assess in the village and post the notice",
            ["home_verified"],
            "village_notice",
        ),
        _action(
            "township_review",
            "乡镇审核",
            "Township review",
            ["village_notice"],
            "township_reviewed",
        ),
        _action(
            "county_approve",
            "县级审定",
            "County approval",
            ["township_reviewed"],
            "county_approved",
            level="county",
        ),
        _action(
            "start_monitoring",
            "纳入监测帮扶",
            "Start monitoring and assistance",
            ["county_approved"],
            "monitoring",
        ),
        _action(
            "propose_elimination",
            "申请风险消除",
            "Propose elimination",
            ["monitoring"],
            "elimination_proposed",
            checks_elimination=True,
        ),
        _action(
            "verify_elimination",
            "核实风险消除",
            "Verify elimination",
            ["elimination_proposed"],
            "elimination_verified",
            checks_elimination=True,
        ),
        _action(
            "approve_elimination",
            "审定风险消除",
            "Approve elimination",
            ["elimination_verified"],
            "elimination_approved",
            level="county",
            checks_elimination=True,
        ),
        _action(
            "eliminate",
            "标注风险消除",
            "Mark the risk eliminated",
            ["elimination_approved"],
            "eliminated",
            level="county",
            checks_elimination=True,
            needs_mode=True,
        ),
        _action(
            "return_to_monitoring",
            "退回继续监测",
            "Send back to monitoring",
            _ELIMINATION_STEPS,
            "monitoring",
        ),
        _action(
            "dismiss",
            "不予纳入",
            "Dismiss",
            ["lead", "home_verified", "village_notice", "township_reviewed"],
            "dismissed",
        ),
    )
}
"""Action code -> action, in the order the console offers them."""


class CaseError(ValueError):
    """An action is refused; `code` is stable, the messages say why in both languages."""

    def __init__(
        self, code: str, message_zh: str, message_en: str, refusals: Sequence[Refusal] = ()
    ):
        super().__init__(message_en)
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en
        self.refusals = tuple(refusals)

    def message(self, lang: str = "zh") -> str:
        return self.message_en if lang == "en" else self.message_zh


@dataclass(frozen=True)
class CaseSnapshot:
    """What the machine needs to know about a case: its state and its key dates."""

    state: str
    opened_on: date
    notice_started: date | None = None
    monitoring_started: date | None = None


@dataclass(frozen=True)
class Transition:
    """An accepted action: the new state and the case fields to update, with the reason."""

    action: str
    from_state: str
    to_state: str
    reason: str
    updates: dict[str, object] = field(default_factory=dict)


def level_allows(actor_level: str, needed: str) -> bool:
    """True when an actor of `actor_level` may take an action of level `needed`."""
    return LEVELS.index(actor_level) >= LEVELS.index(needed)


def available_actions(state: str, actor_level: str) -> list[Action]:
    """The actions an actor of this level may try from this state (checks may still refuse)."""
    return [
        a for a in ACTIONS.values() if state in a.from_states and level_allows(actor_level, a.level)
    ]


def plan_transition(
    case: CaseSnapshot,
    action_code: str,
    *,
    actor_level: str,
    today: date,
    reason: str,
    mode: str | None = None,
    facts: EliminationFacts | None = None,
) -> Transition:
    """Checks one action against the case and returns the transition, or raises `CaseError`.

    `facts` is required for the elimination steps (a `ValueError` without it: a caller bug).
    """
    action = ACTIONS.get(action_code)
    if action is None:
        raise CaseError("UNKNOWN_ACTION", "未知的操作", f"Unknown action {action_code!r}")
    if actor_level not in LEVELS:
        raise ValueError(f"unknown actor level {actor_level!r}")
    if case.state not in action.from_states:
        zh_state, en_state = STATES.get(case.state, (case.state, case.state))
        raise CaseError(
            "WRONG_STATE",
            f"当前状态“{zh_state}”不能执行“{action.label_zh}”",
            f"“{action.label_en}” is not possible in state “{en_state}”",
        )
    if not level_allows(actor_level, action.level):
        raise CaseError(
            "FORBIDDEN_LEVEL",
            f"“{action.label_zh}”须由县级审定",
            f"“{action.label_en}” needs county level",
        )
    reason = (reason or "").strip()
    if not reason:
        raise CaseError("REASON_REQUIRED", "请填写理由", "A reason is required")
    updates: dict[str, object] = {}
    if action.code == "township_review":
        started = case.notice_started
        days = (today - started).days if started else 0
        if started is None or days < NOTICE_MIN_DAYS:
            raise CaseError(
                "NOTICE_TOO_SHORT",
                f"村级公示不少于 {NOTICE_MIN_DAYS} 天（已公示 {days} 天）",
                f"The public notice must run at least {NOTICE_MIN_DAYS} days (it has run {days})",
            )
    if action.needs_mode:
        if mode not in ELIMINATION_MODES:
            raise CaseError(
                "MODE_REQUIRED",
                "请选择风险消除方式（帮扶消除或自然消除）",
                "Choose how the risk was eliminated (by assistance or naturally)",
            )
        updates["elimination_mode"] = mode
    if action.checks_elimination:
        if facts is None:
            raise ValueError(f"action {action.code!r} needs EliminationFacts")
        refusals = elimination_refusals(facts)
        if refusals:
            raise CaseError(
                "ELIMINATION_FORBIDDEN",
                "不能标注风险消除：" + "；".join(r.message_zh for r in refusals),
                "The risk cannot be eliminated: " + "; ".join(r.message_en for r in refusals),
                refusals,
            )
    if action.to_state == "village_notice":
        updates["notice_started"] = today
    if action.code == "start_monitoring":
        updates["monitoring_started"] = today
    if action.to_state in CLOSED_STATES:
        updates["closed_on"] = today
    return Transition(action.code, case.state, action.to_state, reason, updates)


def procedure_working_days(
    case: CaseSnapshot, today: date, work_calendar: WorkCalendar = EMPTY_CALENDAR
) -> int:
    """Working days since the lead was opened, as the 20-day procedure counts them."""
    return work_calendar.working_days_between(case.opened_on, today)


def is_overdue(
    case: CaseSnapshot, today: date, work_calendar: WorkCalendar = EMPTY_CALENDAR
) -> bool:
    """True for a case still in identification more than 20 working days after its lead
    (working days of `work_calendar`: public holidays out, make-up working days in)."""
    return (
        case.state in PROCEDURE_STATES
        and procedure_working_days(case, today, work_calendar) > OVERDUE_WORKING_DAYS
    )
