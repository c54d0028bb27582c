"""Read repositories for the screens: the household list, members, visits and visit drafts.

The household list reads only indexed, denormalised columns (never the JSON) so it stays fast
with thousands of households. "priority" order puts who needs a visit first: never visited,
then the earliest next-visit due date, then the most risk flags, then the household number.
A household's register standing (`status`: on the register, or moved away / merged) is read
from its JSON: the `active` and `left` filters (issue 16) keep households that left the
register off the worker's list, or show only them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from mobile_app.store.clock import iso
from mobile_app.store.database import Database
from mobile_app.store.drafts import delete_draft, draft_from_row, write_draft
from mobile_app.store.models import Draft, Household, HouseholdSummary, Record
from mobile_app.store.records import record_from_row
from shared_schema.schemas.records import validate_household_members

FILTERS = ("risk", "due", "overdue", "unsynced", "conflict", "returned", "active", "left")
STANDING = "COALESCE(json_extract(data, '$.status'), 'active')"
# not confirmed by a supervisor yet: registered on this phone and never on the server, or
# pulled as `field_new` (docs/data-model.md, `registration`)
NEW_FROM_FIELD = "(base_version IS NULL OR json_extract(data, '$.registration') = 'field_new')"
SORTS = {
    "priority": "next_visit_due IS NOT NULL, next_visit_due, risk_count DESC, household_no, id",
    "household_no": "household_no, id",
    "head_name": "head_name, id",
    "recent": "last_visit_date IS NULL, last_visit_date DESC, household_no, id",
    "risk": "risk_count DESC, next_visit_due IS NOT NULL, next_visit_due, household_no, id",
}
DUE_WINDOW_DAYS = 7


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class HouseholdRepository:
    """Households for the list and detail screens."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def _where(
        self, search: str | None, filters: Iterable[str], today: date | None
    ) -> tuple[str, list[Any]]:
        clauses = ["entity='household'", "deleted=0"]
        params: list[Any] = []
        if search and search.strip():
            term = search.strip()
            clauses.append(
                "(head_name LIKE ? ESCAPE '\\' OR household_no LIKE ? ESCAPE '\\' OR id IN"
                " (SELECT household_id FROM records WHERE entity='member' AND deleted=0"
                " AND id_number LIKE ? ESCAPE '\\'))"
            )
            params += [_like(term), _like(term), _like(term.upper())]
        for name in filters:
            if name not in FILTERS:
                raise ValueError(f"unknown filter {name!r}; expected one of {FILTERS}")
            if name in ("due", "overdue") and today is None:
                raise ValueError(f"filter {name!r} needs today=")
            if name == "risk":
                clauses.append("risk_count > 0")
            elif name == "due":
                limit = date.fromordinal(today.toordinal() + DUE_WINDOW_DAYS)  # type: ignore[union-attr]
                clauses.append("(next_visit_due IS NULL OR next_visit_due <= ?)")
                params.append(limit.isoformat())
            elif name == "overdue":
                clauses.append("(next_visit_due IS NULL OR next_visit_due < ?)")
                params.append(today.isoformat())  # type: ignore[union-attr]
            elif name == "unsynced":
                clauses.append("unsynced=1")
            elif name == "conflict":
                clauses.append("has_conflict=1")
            elif name == "returned":
                clauses.append("last_review_status='returned'")
            elif name == "active":
                clauses.append(f"{STANDING} = 'active'")
            elif name == "left":
                clauses.append(f"{STANDING} IN ('moved_away', 'merged')")
        return " AND ".join(clauses), params

    def grid_ids(self) -> list[str]:
        """The grids of the households held on the phone (sorted)."""
        rows = self.db.query(
            "SELECT DISTINCT grid_id FROM records WHERE entity='household' AND deleted=0"
            " AND grid_id IS NOT NULL ORDER BY grid_id"
        )
        return [r["grid_id"] for r in rows]

    def list(
        self,
        search: str | None = None,
        filters: Iterable[str] = (),
        sort: str = "priority",
        limit: int = 50,
        offset: int = 0,
        *,
        today: date | None = None,
    ) -> list[HouseholdSummary]:
        """One page of households matching a search (head name, household no., member ID
        number) and filters ("risk", "due", "overdue" need `today`, "unsynced", "conflict",
        "returned", "active" on the register, "left" moved away or merged), in `sort` order
        ("priority", "household_no", "head_name", "recent", "risk").
        """
        if sort not in SORTS:
            raise ValueError(f"unknown sort {sort!r}; expected one of {tuple(SORTS)}")
        where, params = self._where(search, list(filters), today)
        rows = self.db.query(
            "SELECT id, grid_id, household_no, head_name, risk_count, last_visit_date,"
            " next_visit_due, last_review_status, has_conflict, unsynced,"
            f" {STANDING} AS standing, {NEW_FROM_FIELD} AS new_from_field FROM records"
            f" WHERE {where} ORDER BY {SORTS[sort]} LIMIT ? OFFSET ?",
            (*params, int(limit), int(offset)),
        )
        return [
            HouseholdSummary(
                id=r["id"],
                grid_id=r["grid_id"],
                household_no=r["household_no"],
                head_name=r["head_name"],
                risk_count=r["risk_count"],
                last_visit_date=r["last_visit_date"],
                next_visit_due=r["next_visit_due"],
                last_review_status=r["last_review_status"],
                has_conflict=bool(r["has_conflict"]),
                unsynced=bool(r["unsynced"]),
                standing=r["standing"],
                new_from_field=bool(r["new_from_field"]),
            )
            for r in rows
        ]

    def count(
        self, search: str | None = None, filters: Iterable[str] = (), *, today: date | None = None
    ) -> int:
        """How many households `list` would page through."""
        where, params = self._where(search, list(filters), today)
        return int(self.db.scalar(f"SELECT count(*) FROM records WHERE {where}", params))

    def numbers(self, grid_id: str) -> set[str]:
        """Every household number held on the phone in `grid_id`, deleted ones included."""
        rows = self.db.query(
            "SELECT household_no FROM records WHERE entity='household' AND grid_id=?",
            (grid_id,),
        )
        return {r["household_no"] for r in rows if r["household_no"]}

    def get(self, household_id: str) -> Household | None:
        """One household (None if unknown or deleted)."""
        row = self.db.query_one(
            "SELECT * FROM records WHERE entity='household' AND id=? AND deleted=0",
            (household_id,),
        )
        return record_from_row(row) if row else None  # type: ignore[return-value]


class MemberRepository:
    """Members of a household."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def for_household(self, household_id: str) -> list[Record]:
        """The household's members, head first, then by name."""
        rows = self.db.query(
            "SELECT * FROM records WHERE entity='member' AND household_id=? AND deleted=0"
            " ORDER BY json_extract(data, '$.relation') != 'head',"
            " json_extract(data, '$.name'), id",
            (household_id,),
        )
        return [record_from_row(r) for r in rows]

    def composition_errors(self, household_id: str, *, lang: str = "zh") -> dict[str, list[str]]:
        """Household composition problems (no head, several heads or spouses), {} if none."""
        members: list[Mapping[str, Any]] = [m.data for m in self.for_household(household_id)]
        return validate_household_members(members, lang=lang)

    def get(self, member_id: str) -> Record | None:
        """One member (None if unknown or deleted)."""
        row = self.db.query_one(
            "SELECT * FROM records WHERE entity='member' AND id=? AND deleted=0", (member_id,)
        )
        return record_from_row(row) if row else None


class VisitRepository:
    """Visits of a household and the visit form's autosaved drafts."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def for_household(self, household_id: str) -> list[Record]:
        """The household's visits, newest first."""
        rows = self.db.query(
            "SELECT * FROM records WHERE entity='visit' AND household_id=? AND deleted=0"
            " ORDER BY visit_date DESC, updated_at DESC",
            (household_id,),
        )
        return [record_from_row(r) for r in rows]

    def get(self, visit_id: str) -> Record | None:
        """One visit (None if unknown or deleted)."""
        row = self.db.query_one(
            "SELECT * FROM records WHERE entity='visit' AND id=? AND deleted=0", (visit_id,)
        )
        return record_from_row(row) if row else None

    def last_before(self, household_id: str, visit_date: str) -> Record | None:
        """The latest visit strictly before a date (for the income-drop rule)."""
        row = self.db.query_one(
            "SELECT * FROM records WHERE entity='visit' AND household_id=? AND deleted=0"
            " AND visit_date < ? ORDER BY visit_date DESC LIMIT 1",
            (household_id, visit_date),
        )
        return record_from_row(row) if row else None

    # -- drafts: autosave of the visit form, never in the outbox ---------------------------
    def save_draft(
        self, draft_id: str, household_id: str, data: dict[str, Any], *, now: datetime
    ) -> Draft:
        """Autosave an unfinished visit form (no validation: it may be half typed)."""
        with self.db.transaction() as conn:
            return write_draft(conn, draft_id, household_id, data, now=iso(now))

    def get_draft(self, draft_id: str) -> Draft | None:
        """A draft by id (the id the visit will have once saved)."""
        row = self.db.query_one("SELECT * FROM drafts WHERE id=?", (draft_id,))
        return draft_from_row(row) if row else None

    def drafts(self, household_id: str | None = None) -> list[Draft]:
        """Unsaved drafts, newest first (of one household, or all)."""
        if household_id is None:
            rows = self.db.query("SELECT * FROM drafts ORDER BY updated_at DESC")
        else:
            rows = self.db.query(
                "SELECT * FROM drafts WHERE household_id=? ORDER BY updated_at DESC",
                (household_id,),
            )
        return [draft_from_row(r) for r in rows]

    def discard_draft(self, draft_id: str) -> None:
        """Drop a draft (after saving the visit, or when the worker abandons it)."""
        with self.db.transaction() as conn:
            delete_draft(conn, draft_id)
