"""Monitoring cases: open, act on, add measures, list — the console's own service.

Reads the database, builds the plain inputs of the pure lifecycle (`sync_server.console.cases`),
and writes what it returns, each operation in one transaction with the case row locked. Scope
is the household's current grid, checked with the API's `require_grid`; a refused action
raises `CaseError` and writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared_schema.enums import ENUMS
from shared_schema.schemas.fieldtypes import text_errors
from sync_server.console.cases import (
    CLOSED_STATES,
    SOURCES,
    CaseError,
    CaseSnapshot,
    EliminationFacts,
    VisitIncome,
    available_actions,
    elimination_refusals,
    is_overdue,
    plan_transition,
)
from sync_server.console.cases.calendar import WorkCalendar
from sync_server.console.cases.machine import STATES, procedure_working_days
from sync_server.console.readings import day_of, per_capita_of
from sync_server.console.scope import rules_config, work_calendar
from sync_server.errors import ServiceError
from sync_server.extensions import Database
from sync_server.models import CaseEvent, CaseMeasure, MonitoringCase, Record
from sync_server.services.principal import (
    ADMIN,
    SUPERVISOR,
    Principal,
    require_grid,
    require_role,
    scope_grid_query,
)


def snapshot(case: MonitoringCase) -> CaseSnapshot:
    return CaseSnapshot(case.state, case.opened_on, case.notice_started, case.monitoring_started)


def _household(session: Session, principal: Principal, household_id: str) -> Record:
    rec = session.get(Record, ("household", household_id.lower()))
    if rec is None or rec.deleted:
        raise ServiceError(404, "not_found")
    require_grid(session, principal, rec.grid_id)
    return rec


def _case(
    session: Session, principal: Principal, case_id: str, lock: bool = False
) -> MonitoringCase:
    case = session.get(MonitoringCase, case_id, with_for_update=lock)
    if case is None:
        raise ServiceError(404, "not_found")
    _household(session, principal, case.household_id)
    return case


def _check_text(value: str, label_zh: str, label_en: str) -> None:
    """Refuse typed text the records would refuse (control characters, bidirectional
    overrides: docs/record-schemas.md "Bounds"), in both languages; length is cut elsewhere."""
    zh = text_errors(value, label=label_zh, lang="zh", max_length=10_000, multiline=True)
    if zh:
        en = text_errors(value, label=label_en, lang="en", max_length=10_000, multiline=True)
        raise CaseError("TEXT_INVALID", "；".join(zh), "; ".join(en))


def open_case(
    db: Database,
    principal: Principal,
    household_id: str,
    *,
    source: str,
    reason: str,
    now: datetime,
) -> str:
    """A new case in state `lead` for a household in scope; one open case per household."""
    require_role(principal, SUPERVISOR, ADMIN)
    if source not in SOURCES:
        raise ServiceError(422, "validation", {"source": ["unknown source"]})
    if not reason.strip():
        raise CaseError("REASON_REQUIRED", "请填写理由", "A reason is required")
    _check_text(reason, "理由", "Reason")
    with db.write() as s:
        rec = _household(s, principal, household_id)
        existing = s.scalar(
            select(MonitoringCase.id).where(
                MonitoringCase.household_id == rec.id,
                MonitoringCase.state.not_in(CLOSED_STATES),
            )
        )
        if existing is not None:
            raise CaseError(
                "ALREADY_OPEN", "该户已有在办的监测案件", "The household already has an open case"
            )
        case = MonitoringCase(
            household_id=rec.id,
            source=source,
            state="lead",
            opened_on=now.date(),
            opened_by=principal.username,
            created_at=now,
            updated_at=now,
        )
        s.add(case)
        s.flush()
        s.add(
            CaseEvent(
                case_id=case.id,
                action="open",
                from_state=None,
                to_state="lead",
                actor=principal.username,
                reason=reason.strip(),
                details={"source": source},
                at=now,
            )
        )
        return case.id


def elimination_facts(session: Session, case: MonitoringCase, today: date) -> EliminationFacts:
    """What the elimination rules need, read from the household's current records."""
    members = [
        r.data
        for r in session.scalars(
            select(Record).where(
                Record.entity == "member",
                Record.household_id == case.household_id,
                Record.deleted.is_(False),
            )
        )
    ]
    visits = sorted(
        (
            r.data
            for r in session.scalars(
                select(Record).where(
                    Record.entity == "visit",
                    Record.household_id == case.household_id,
                    Record.deleted.is_(False),
                )
            )
        ),
        key=lambda v: str(v.get("visit_date") or ""),
    )
    incomes = [
        VisitIncome(day, per_capita_of(v.get("income"), members))
        for v in visits
        if (day := day_of(v.get("visit_date"))) is not None
    ]
    measures = [
        m.measure
        for m in session.scalars(select(CaseMeasure).where(CaseMeasure.case_id == case.id))
    ]
    if visits:
        measures += list(visits[-1].get("assistance") or [])
    config = rules_config(session)
    return EliminationFacts(
        today=today,
        threshold=Decimal(config.monitoring_threshold),
        members=members,
        visits=incomes,
        measures=measures,
        monitoring_started=case.monitoring_started,
        no_labor_codes=tuple(config.no_labor_codes),
    )


def act(
    db: Database,
    principal: Principal,
    case_id: str,
    action: str,
    *,
    reason: str,
    mode: str | None,
    level: str,
    now: datetime,
) -> str:
    """Apply one lifecycle action (or raise `CaseError`); returns the new state."""
    require_role(principal, SUPERVISOR, ADMIN)
    _check_text(reason, "理由", "Reason")
    with db.write() as s:
        case = _case(s, principal, case_id, lock=True)
        facts = elimination_facts(s, case, now.date())
        transition = plan_transition(
            snapshot(case),
            action,
            actor_level=level,
            today=now.date(),
            reason=reason,
            mode=mode,
            facts=facts,
        )
        for key, value in transition.updates.items():
            setattr(case, key, value)
        case.state = transition.to_state
        case.updated_at = now
        s.add(
            CaseEvent(
                case_id=case.id,
                action=transition.action,
                from_state=transition.from_state,
                to_state=transition.to_state,
                actor=principal.username,
                reason=transition.reason,
                details={k: str(v) for k, v in transition.updates.items()} or None,
                at=now,
            )
        )
        return transition.to_state


def add_measure(
    db: Database, principal: Principal, case_id: str, *, measure: str, note: str, now: datetime
) -> None:
    """Record an assistance measure on an open case."""
    require_role(principal, SUPERVISOR, ADMIN)
    if measure not in ENUMS["assistance"].codes:
        raise ServiceError(422, "validation", {"measure": ["unknown measure"]})
    _check_text(note, "说明", "Note")
    with db.write() as s:
        case = _case(s, principal, case_id, lock=True)
        if case.state in CLOSED_STATES:
            raise CaseError("WRONG_STATE", "案件已办结", "The case is closed")
        s.add(
            CaseMeasure(
                case_id=case.id,
                measure=measure,
                note=note.strip()[:500],
                added_by=principal.username,
                added_at=now,
            )
        )
        s.add(
            CaseEvent(
                case_id=case.id,
                action="measure",
                from_state=case.state,
                to_state=case.state,
                actor=principal.username,
                reason=note.strip() or measure,
                details={"measure": measure},
                at=now,
            )
        )


def _row(
    case: MonitoringCase, hh: Record, today: date, lang: str, cal: WorkCalendar
) -> dict[str, Any]:
    snap = snapshot(case)
    return {
        "id": case.id,
        "household_id": case.household_id,
        "head_name": hh.data.get("head_name"),
        "household_no": hh.data.get("household_no"),
        "grid_id": hh.grid_id,
        "source": case.source,
        "state": case.state,
        "state_label": STATES[case.state][1 if lang == "en" else 0],
        "opened_on": case.opened_on,
        "working_days": procedure_working_days(snap, today, cal),
        "overdue": is_overdue(snap, today, cal),
        "open": case.state not in CLOSED_STATES,
        "case": case,
    }


def list_cases(
    db: Database,
    principal: Principal,
    today: date,
    *,
    lang: str = "zh",
    state: str | None = None,
    overdue_only: bool = False,
    grid_ids: Iterable[str] | None = None,
) -> list[dict[str, Any]]:
    """Cases of the caller's scope, overdue first, then oldest lead first."""
    with db.read() as s:
        query = select(MonitoringCase, Record).join(
            Record, (Record.entity == "household") & (Record.id == MonitoringCase.household_id)
        )
        sub = scope_grid_query(principal)
        if sub is not None:
            query = query.where(Record.grid_id.in_(sub.scalar_subquery()))
        if grid_ids is not None:
            query = query.where(Record.grid_id.in_(list(grid_ids)))
        if state:
            query = query.where(MonitoringCase.state == state)
        cal = work_calendar(s)
        rows = [_row(c, hh, today, lang, cal) for c, hh in s.execute(query)]
    if overdue_only:
        rows = [r for r in rows if r["overdue"]]
    rows.sort(key=lambda r: (not r["overdue"], not r["open"], r["opened_on"]))
    return rows


def cases_of_household(
    db: Database, household_id: str, today: date, lang: str = "zh"
) -> list[dict[str, Any]]:
    """Every case of one household (scope already checked by the caller)."""
    with db.read() as s:
        hh = s.get(Record, ("household", household_id))
        if hh is None:
            return []
        cases = s.scalars(
            select(MonitoringCase)
            .where(MonitoringCase.household_id == household_id)
            .order_by(MonitoringCase.created_at.desc())
        )
        cal = work_calendar(s)
        return [_row(c, hh, today, lang, cal) for c in cases]


def case_counts(db: Database, grid_ids: list[str], today: date) -> dict[str, int]:
    """Open and overdue cases of these grids (for the dashboard)."""
    if not grid_ids:
        return {"open": 0, "overdue": 0}
    with db.read() as s:
        cases = s.scalars(
            select(MonitoringCase)
            .join(
                Record, (Record.entity == "household") & (Record.id == MonitoringCase.household_id)
            )
            .where(Record.grid_id.in_(grid_ids), MonitoringCase.state.not_in(CLOSED_STATES))
        ).all()
        cal = work_calendar(s)
    return {
        "open": len(cases),
        "overdue": sum(is_overdue(snapshot(c), today, cal) for c in cases),
    }


def case_detail(
    db: Database, principal: Principal, case_id: str, today: date, level: str, lang: str = "zh"
) -> dict[str, Any]:
    """A case with its steps, measures, the household, the actions open to this actor and
    the elimination check as it stands today."""
    with db.read() as s:
        case = _case(s, principal, case_id)
        hh = s.get(Record, ("household", case.household_id))
        assert hh is not None
        events = list(
            s.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id))
        )
        measures = list(
            s.scalars(
                select(CaseMeasure).where(CaseMeasure.case_id == case.id).order_by(CaseMeasure.id)
            )
        )
        facts = elimination_facts(s, case, today)
        row = _row(case, hh, today, lang, work_calendar(s))
    return row | {
        "events": events,
        "measures": measures,
        "actions": available_actions(case.state, level),
        "refusals": elimination_refusals(facts) if case.state not in CLOSED_STATES else [],
        "visit_measures": [m for m in facts.measures if m not in {x.measure for x in measures}],
    }
