"""Reading the records a console user may see, with their risk flags computed once per request.

`ScopeData` loads the households of the caller's grids (optionally filtered), their members and
visits in three queries, and evaluates `shared_schema.rules.evaluate` lazily, caching the flags
of each visit for the rest of the request (the dashboard, the queue and the household page all
ask for the same visit's flags several times). Records keep their `id` and `version` next to
the wire `data` (`id` is added to member and visit dicts because rule flags name members by it).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared_schema.config import RulesConfig
from shared_schema.rules import Flag, evaluate
from sync_server.console.cases.calendar import WorkCalendar
from sync_server.console.readings import day_of, per_capita_of
from sync_server.extensions import Database
from sync_server.models import Grid, Record, Setting, User
from sync_server.services import config as config_service
from sync_server.services.admin import WORK_CALENDAR_KEY
from sync_server.services.principal import Principal, scope_grid_query


def rules_config(session: Session) -> RulesConfig:
    """The rules of the published configuration in force (sync_server.services.config): the
    console's risk flags follow the version in force."""
    return config_service.rules_in_force(session)


def work_calendar(session: Session) -> WorkCalendar:
    """The public holidays and make-up working days an administrator declared (none by
    default: plain Monday–Friday)."""
    row = session.get(Setting, WORK_CALENDAR_KEY)
    return WorkCalendar.from_setting(row.value if row is not None else None)


@dataclass
class Household:
    """One household with its members and visits (oldest visit first)."""

    id: str
    version: int
    grid_id: str
    data: dict[str, Any]
    members: list[dict[str, Any]] = field(default_factory=list)
    visits: list[dict[str, Any]] = field(default_factory=list)

    @property
    def latest_visit(self) -> dict[str, Any] | None:
        return self.visits[-1] if self.visits else None

    def previous_of(self, visit_id: str) -> dict[str, Any] | None:
        """The visit before `visit_id` in date order (for INCOME_DROP)."""
        for i, v in enumerate(self.visits):
            if v["id"] == visit_id:
                return self.visits[i - 1] if i > 0 else None
        return None


FLAG_MEMO_SIZE = 200_000
_FLAG_MEMO: dict[tuple[Any, ...], list[Flag]] = {}
"""Flags by the exact versions of their inputs. Versions are global and never reused, so an
entry can never be stale; a new version of any input is simply a new key. Flags are frozen."""


def _with_id(rec: Record) -> dict[str, Any]:
    return {**rec.data, "id": rec.id, "_version": rec.version}


def _strip(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k != "_version"}


def grids_in_scope(session: Session, principal: Principal) -> list[Grid]:
    """The caller's grids, ordered by id."""
    query = select(Grid).order_by(Grid.id)
    sub = scope_grid_query(principal)
    if sub is not None:
        query = query.where(Grid.id.in_(sub.scalar_subquery()))
    return list(session.scalars(query))


def grid_workers(session: Session, grid_ids: Iterable[str]) -> dict[str, str]:
    """Grid id -> display name of its worker."""
    ids = list(grid_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(Grid.id, User.display_name)
        .join(User, User.id == Grid.worker_id)
        .where(Grid.id.in_(ids))
    )
    return {gid: name for gid, name in rows}


class ScopeData:
    """Households of a set of grids, their members and visits, and cached visit flags."""

    def __init__(self, session: Session, grid_ids: Iterable[str], config: RulesConfig) -> None:
        self.config = config
        self.grid_ids = sorted(set(grid_ids))
        self.households: dict[str, Household] = {}
        self._flags: dict[str, list[Flag]] = {}
        if not self.grid_ids:
            return
        live = Record.deleted.is_(False)
        for rec in session.scalars(
            select(Record).where(
                Record.entity == "household", live, Record.grid_id.in_(self.grid_ids)
            )
        ):
            self.households[rec.id] = Household(rec.id, rec.version, rec.grid_id or "", rec.data)
        for rec in session.scalars(
            select(Record).where(Record.entity == "member", live, Record.grid_id.in_(self.grid_ids))
        ):
            hh = self.households.get(rec.household_id or "")
            if hh is not None:
                hh.members.append(_with_id(rec))
        for rec in session.scalars(
            select(Record).where(Record.entity == "visit", live, Record.grid_id.in_(self.grid_ids))
        ):
            hh = self.households.get(rec.household_id or "")
            if hh is not None:
                hh.visits.append(_with_id(rec))
        for hh in self.households.values():
            hh.visits.sort(key=lambda v: (str(v.get("visit_date") or ""), v["_version"]))
            hh.members.sort(key=lambda m: (m.get("relation") != "head", str(m.get("birth_date"))))

    def flags_of(self, household: Household, visit: dict[str, Any]) -> list[Flag]:
        """The flags of one visit (computed once per request, and remembered across requests
        while none of its inputs has a new version)."""
        cached = self._flags.get(visit["id"])
        if cached is None:
            previous = household.previous_of(visit["id"])
            key = (
                visit["id"],
                visit["_version"],
                household.version,
                tuple(sorted(m["_version"] for m in household.members)),
                None if previous is None else (previous["id"], previous["_version"]),
                self.config.version,
            )
            cached = _FLAG_MEMO.get(key)
            if cached is None:
                cached = evaluate(
                    household.data,
                    [_strip(m) for m in household.members],
                    _strip(visit),
                    previous_visit=_strip(previous) if previous else None,
                    config=self.config,
                )
                if len(_FLAG_MEMO) >= FLAG_MEMO_SIZE:
                    _FLAG_MEMO.clear()
                _FLAG_MEMO[key] = cached
            self._flags[visit["id"]] = cached
        return cached

    def current_flags(self, household: Household) -> list[Flag]:
        """The flags of the household's latest visit (none without a visit)."""
        latest = household.latest_visit
        return [] if latest is None else self.flags_of(household, latest)

    def next_due(self, household: Household) -> date | None:
        """When the next visit is due (None: never visited, due now)."""
        latest = household.latest_visit
        day = day_of(latest.get("visit_date")) if latest is not None else None
        if day is None:
            return None
        category = household.data.get("monitor_category")
        return self.config.next_visit_due(day, category if isinstance(category, str) else None)

    def is_overdue(self, household: Household, today: date) -> bool:
        due = self.next_due(household)
        return due is None or due < today

    def per_capita(self, household: Household, visit: dict[str, Any]) -> Decimal | None:
        return per_capita_of(visit.get("income"), household.members)


def load_scope(
    db: Database, principal: Principal, grid_id: str | None = None
) -> tuple[list[Grid], ScopeData]:
    """The caller's grids and the data of all of them (or of one grid of theirs)."""
    with db.read() as s:
        grids = grids_in_scope(s, principal)
        ids = [g.id for g in grids if grid_id in (None, "", g.id)]
        return grids, ScopeData(s, ids, rules_config(s))
