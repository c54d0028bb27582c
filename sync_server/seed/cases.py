"""Monitoring cases for the demo county: one household at every stage of the lifecycle.

The cases are walked through the console's own service (`case_service.open_case`, `act`,
`add_measure`) with back-dated moments, so every event, deadline and elimination check is the
real one: a case shown as `eliminated` really passed the six-month income and monitoring rules
on the demo's data. Households are tried in a fixed order until a path succeeds (an elimination
needs a household whose recent incomes stay above the threshold), so the same seed gives the
same cases.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import select

from sync_server.console import case_service
from sync_server.console.auth import actor_level
from sync_server.console.cases import CaseError, elimination_refusals
from sync_server.extensions import Database
from sync_server.models import MonitoringCase, Record, User
from sync_server.services.principal import Principal

# (action, days before `now` it happens); the notice stays up at least 5 days, monitoring runs
# six months before an elimination may be proposed.
PATH: tuple[tuple[str, int], ...] = (
    ("verify_home", 262),
    ("open_notice", 258),
    ("township_review", 248),
    ("county_approve", 246),
    ("start_monitoring", 244),
    ("propose_elimination", 6),
    ("verify_elimination", 4),
    ("approve_elimination", 2),
    ("eliminate", 1),
)
OPENED_DAYS_AGO = 265

STAGES: tuple[str, ...] = (
    "lead",
    "home_verified",
    "village_notice",
    "township_reviewed",
    "county_approved",
    "monitoring",
    "elimination_proposed",
    "elimination_verified",
    "elimination_approved",
    "eliminated",
    "dismissed",
)
"""Every state a demo case is left in (the states of `cases.machine.STATES`)."""

REASONS = {
    "open": "网格员走访发现家庭收入骤减，申报为监测对象线索。",
    "dismiss": "入户核实后收入高于监测标准，不予纳入。",
}
MEASURES = ("industry", "employment")


def _steps_to(stage: str) -> list[str]:
    """The actions that take a new case from `lead` to `stage`."""
    if stage == "dismissed":
        return ["dismiss"]
    actions = [a for a, _ in PATH]
    ends = {
        "lead": 0,
        "home_verified": 1,
        "village_notice": 2,
        "township_reviewed": 3,
        "county_approved": 4,
        "monitoring": 5,
        "elimination_proposed": 6,
        "elimination_verified": 7,
        "elimination_approved": 8,
        "eliminated": 9,
    }
    return actions[: ends[stage]]


def _principal(db: Database) -> Principal:
    with db.read() as s:
        admin = s.scalar(select(User).where(User.role == "admin").order_by(User.username))
        assert admin is not None, "the demo county has an admin"
        return Principal(admin.id, admin.username, admin.role, admin.display_name)


def _walk(db: Database, who: Principal, household_id: str, stage: str, now: datetime) -> None:
    """Open a case for the household and take it to `stage`; raises CaseError if refused."""
    days = dict(PATH)
    opened = now - timedelta(days=OPENED_DAYS_AGO)
    case_id = case_service.open_case(
        db, who, household_id, source="grid_visit", reason=REASONS["open"], now=opened
    )
    for action in _steps_to(stage):
        at = now - timedelta(days=days.get(action, OPENED_DAYS_AGO - 3))
        if action == "propose_elimination":
            for measure in MEASURES:
                case_service.add_measure(
                    db, who, case_id, measure=measure, note="", now=at - timedelta(days=30)
                )
        case_service.act(
            db,
            who,
            case_id,
            action,
            reason=REASONS.get(action, "按程序办理。"),
            mode="assistance" if action == "eliminate" else None,
            level=actor_level(who),
            now=at,
        )


def _candidates(db: Database) -> Sequence[str]:
    with db.read() as s:
        return list(
            s.scalars(
                select(Record.id)
                .where(Record.entity == "household", Record.deleted.is_(False))
                .order_by(Record.id)
            )
        )


def _may_eliminate(db: Database, household_id: str, now: datetime) -> bool:
    """Whether the elimination rules would let this household's risk go, judged on a case
    that is not stored (the same facts the service reads, measures as the walk adds them)."""
    probe = MonitoringCase(
        household_id=household_id, monitoring_started=(now - timedelta(days=244)).date()
    )
    with db.read() as s:
        facts = case_service.elimination_facts(s, probe, (now - timedelta(days=6)).date())
    facts = replace(facts, measures=[*facts.measures, *MEASURES])
    return not elimination_refusals(facts)


def seed_cases(db: Database, *, now: datetime) -> dict[str, str]:
    """One case per stage of `STAGES`; returns stage -> household id (a stage no household
    can reach is left out: the caller reports it)."""
    who = _principal(db)
    free = list(_candidates(db))
    placed: dict[str, str] = {}
    for stage in STAGES:
        picky = stage.startswith("elimination") or stage == "eliminated"
        household_id = next(
            (h for h in free if not picky or _may_eliminate(db, h, now)),
            None,
        )
        if household_id is None:
            continue
        try:
            _walk(db, who, household_id, stage, now)
        except CaseError:
            continue  # the case stays at the last stage it reached; the report says so
        finally:
            free.remove(household_id)
        placed[stage] = household_id
    return placed
