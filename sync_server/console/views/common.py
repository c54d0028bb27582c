"""Small pieces several pages share: paging, case counts, scope checks on one household."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort, request

from sync_server.console.blueprint import principal
from sync_server.extensions import current_db
from sync_server.models import Record
from sync_server.services.principal import require_grid

PAGE_SIZE = 50


def page_number() -> int:
    """The `page` query argument (1-based, bad values mean 1)."""
    try:
        return max(1, int(request.args.get("page", "1")))
    except ValueError:
        return 1


def household_in_scope(household_id: str) -> Record:
    """The live household record, 404 when unknown, 403 outside the caller's scope."""
    with current_db().read() as s:
        rec = s.get(Record, ("household", household_id.lower()))
        if rec is None or rec.deleted:
            abort(404)
        require_grid(s, principal(), rec.grid_id)
        return rec


def open_case_counts(grid_ids: list[str], today: date) -> dict[str, Any]:
    """Open and overdue monitoring cases of these grids."""
    from sync_server.console.case_service import case_counts

    return case_counts(current_db(), grid_ids, today)
