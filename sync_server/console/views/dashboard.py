"""Dashboard: per-grid counts, risk flags by type (latest visit of each household), and the
12-month chart of visits and flags."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from markupsafe import Markup
from sqlalchemy import func, select

from sync_server.console.blueprint import bp, lang, local_today, page, principal, tr
from sync_server.console.chart import last_months, render_chart
from sync_server.console.scope import grid_workers, load_scope
from sync_server.console.views.common import open_case_counts
from sync_server.extensions import current_db
from sync_server.models import ConflictRow, Record


def open_conflicts_by_grid(grid_ids: list[str]) -> Counter[str]:
    """Open conflicts per grid of the record they concern."""
    if not grid_ids:
        return Counter()
    with current_db().read() as s:
        rows = s.execute(
            select(Record.grid_id, func.count())
            .join(
                ConflictRow,
                (ConflictRow.entity == Record.entity) & (ConflictRow.record_id == Record.id),
            )
            .where(ConflictRow.status == "open", Record.grid_id.in_(grid_ids))
            .group_by(Record.grid_id)
        )
        return Counter({gid or "": n for gid, n in rows})


@bp.route("/")
def dashboard() -> str:
    today: date = local_today()
    month_key = today.strftime("%Y-%m")
    grids, data = load_scope(current_db(), principal())
    grid_ids = [g.id for g in grids]
    conflicts = open_conflicts_by_grid(grid_ids)
    with current_db().read() as s:
        workers = grid_workers(s, grid_ids)
    months = last_months(today.year, today.month)
    visits_per_month: Counter[str] = Counter()
    flags_per_month: Counter[str] = Counter()
    flag_types: Counter[str] = Counter()
    severity_of: dict[str, str] = {}
    rows: dict[str, dict[str, Any]] = {
        g.id: {
            "grid": g,
            "worker": workers.get(g.id),
            "households": 0,
            "visits_month": 0,
            "overdue": 0,
            "awaiting": 0,
            "conflicts": conflicts.get(g.id, 0),
            "flagged": 0,
        }
        for g in grids
    }
    first_month = months[0]
    for hh in data.households.values():
        row = rows[hh.grid_id]
        row["households"] += 1
        if data.is_overdue(hh, today):
            row["overdue"] += 1
        for visit in hh.visits:
            key = str(visit.get("visit_date") or "")[:7]
            if key == month_key:
                row["visits_month"] += 1
            if visit.get("review_status") == "submitted":
                row["awaiting"] += 1
            if first_month <= key <= month_key:
                visits_per_month[key] += 1
                flags_per_month[key] += len(data.flags_of(hh, visit))
        current = data.current_flags(hh)
        if current:
            row["flagged"] += 1
        for flag in current:
            flag_types[flag.code] += 1
            severity_of[flag.code] = flag.severity
    totals = {
        key: sum(r[key] for r in rows.values())
        for key in ("households", "visits_month", "overdue", "awaiting", "conflicts", "flagged")
    }
    chart = render_chart(
        months,
        [visits_per_month[m] for m in months],
        [flags_per_month[m] for m in months],
        title=tr("dash.chart_title"),
        visits_label=tr("dash.chart_visits"),
        flags_label=tr("dash.chart_flags"),
    )
    order = {"high": 0, "medium": 1, "low": 2}
    types = sorted(flag_types.items(), key=lambda kv: (order.get(severity_of[kv[0]], 3), -kv[1]))
    cases = open_case_counts(grid_ids, today)
    return page(
        "dashboard.html",
        active="console.dashboard",
        rows=list(rows.values()),
        totals=totals,
        chart=Markup(chart),
        flag_types=[(code, n, severity_of[code]) for code, n in types],
        cases=cases,
        lang_code=lang(),
    )
