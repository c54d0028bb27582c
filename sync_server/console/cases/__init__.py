"""Monitoring-case lifecycle as pure data and functions (no Flask, no database, no clock).

`machine` holds the states, the actions that move a case between them and who may take them;
`elimination` holds the rules that forbid eliminating a household's risk; `calendar` the
working-day arithmetic behind "overdue". The console's views read the database, build the plain
inputs, call these functions and write what they return.
"""

from sync_server.console.cases.calendar import (
    EMPTY_CALENDAR,
    WorkCalendar,
    add_months,
    build_calendar,
    is_working_day,
    parse_dates,
    working_days_between,
)
from sync_server.console.cases.elimination import (
    ELIMINATION_RULES,
    EliminationFacts,
    Refusal,
    VisitIncome,
    elimination_refusals,
)
from sync_server.console.cases.machine import (
    ACTIONS,
    CLOSED_STATES,
    ELIMINATION_MODES,
    LEVELS,
    NOTICE_MIN_DAYS,
    OVERDUE_WORKING_DAYS,
    PROCEDURE_STATES,
    SOURCES,
    STATES,
    Action,
    CaseError,
    CaseSnapshot,
    Transition,
    available_actions,
    is_overdue,
    plan_transition,
)

__all__ = [
    "ACTIONS",
    "CLOSED_STATES",
    "ELIMINATION_MODES",
    "ELIMINATION_RULES",
    "EMPTY_CALENDAR",
    "LEVELS",
    "NOTICE_MIN_DAYS",
    "OVERDUE_WORKING_DAYS",
    "PROCEDURE_STATES",
    "SOURCES",
    "STATES",
    "Action",
    "CaseError",
    "CaseSnapshot",
    "EliminationFacts",
    "Refusal",
    "Transition",
    "VisitIncome",
    "WorkCalendar",
    "add_months",
    "available_actions",
    "build_calendar",
    "elimination_refusals",
    "is_overdue",
    "is_working_day",
    "parse_dates",
    "plan_transition",
    "working_days_between",
]
