"""The household list: search, filters, "who needs a visit first" order, unsynced badges.

Rows are plain dicts ready for a RecycleView (`data`), so 2,000 households scroll smoothly: the
store reads only indexed list columns, and rows are loaded a page at a time as the list
scrolls (`load_more`). Households that left the register (moved away, merged) are off the
list unless the `left` filter asks for them; "register a household" needs the worker's grid
(`register_grids`).
"""

from __future__ import annotations

from typing import Any

from kivy.properties import (
    DictProperty,
    ListProperty,
    NumericProperty,
    ObjectProperty,
    StringProperty,
)

from mobile_app.store import FILTERS, HouseholdSummary, Store
from mobile_app.viewmodels.attention import home_lines, load_status
from mobile_app.viewmodels.base import ViewModel
from mobile_app.viewmodels.labels import code_text

PAGE_SIZE = 500
CHIPS = ("due", "overdue", "risk", "unsynced", "conflict", "returned", "left")


def grid_choice(grid: Any) -> dict[str, str]:
    """A grid of the session (the server sends {id, name, village, township}; older sessions
    and tests keep bare ids) as {"id", "text"}."""
    if isinstance(grid, dict):
        gid = str(grid.get("id") or "")
        parts = [str(grid[k]) for k in ("village", "name") if grid.get(k)]
        return {"id": gid, "text": " ".join(parts) or gid}
    return {"id": str(grid), "text": str(grid)}


class GridViewModel(ViewModel):
    """State of the household list screen."""

    search = StringProperty("")
    filters = ListProperty([])
    rows = ListProperty([])
    total = NumericProperty(0)
    unsynced_total = NumericProperty(0)
    attention_count = NumericProperty(0)
    filter_labels = DictProperty({})
    status_text = StringProperty("")  # last sync, waiting to go up, what needs the worker
    needs_attention = NumericProperty(0)
    online: Any = ObjectProperty(None, allownone=True)  # the server reachable? None: not known

    def __init__(self, store: Store, *, page_size: int = PAGE_SIZE, **kw: Any) -> None:
        super().__init__(**kw)
        self.store = store
        self.page_size = page_size
        self._loaded: list[HouseholdSummary] = []
        self.bind(lang=lambda *_: self._relabel())
        self._relabel()

    def _relabel(self) -> None:
        self.filter_labels = {name: self.tr(f"grid.filter.{name}") for name in FILTERS}
        self.rows = [self.row(s) for s in self._loaded]
        self.refresh_status()

    def refresh_status(self) -> None:
        """The always-visible status block (cheap: counts only)."""
        status = load_status(self.store, self.today())
        self.status_text = "\n".join(home_lines(status, self.tr, self.lang, online=self.online))
        self.needs_attention = status.attention.total

    # -- actions ---------------------------------------------------------------------------
    def set_search(self, text: str) -> None:
        """New search text (name, household number or ID number); reloads the first page."""
        self.search = text
        self.refresh()

    def toggle_filter(self, name: str) -> None:
        """Switch one filter on or off (filters combine with AND)."""
        if name not in CHIPS:
            raise ValueError(f"unknown filter {name!r}")
        self.filters = (
            [f for f in self.filters if f != name]
            if name in self.filters
            else [*self.filters, name]
        )
        self.refresh()

    def query_filters(self) -> list[str]:
        """The store filters behind the chips: on the register only, unless `left` is on."""
        return [*self.filters] if "left" in self.filters else [*self.filters, "active"]

    def register_grids(self) -> list[dict[str, str]]:
        """Where "register a household" may put one: the worker's grids from the session,
        else the grids of the households on the phone. Several: the screen asks which."""
        grids = [grid_choice(g) for g in self.store.session.get().grids or []]
        grids = [g for g in grids if g["id"]]
        if not grids:
            grids = [grid_choice(g) for g in self.store.households.grid_ids()]
        return grids

    def refresh(self) -> None:
        """Reload the first page and the counters from the store."""
        today = self.today()
        filters = self.query_filters()
        self._loaded = self.store.households.list(
            self.search, filters, limit=self.page_size, today=today
        )
        self.total = self.store.households.count(self.search, filters, today=today)
        self.unsynced_total = self.store.outbox.count()
        self.attention_count = self.store.conflicts.unseen_count() + len(self.store.rejected.list())
        self.rows = [self.row(s) for s in self._loaded]
        self.refresh_status()

    def load_more(self) -> bool:
        """Append the next page; False when everything is loaded."""
        if len(self._loaded) >= self.total:
            return False
        more = self.store.households.list(
            self.search,
            self.query_filters(),
            limit=self.page_size,
            offset=len(self._loaded),
            today=self.today(),
        )
        self._loaded += more
        self.rows = self.rows + [self.row(s) for s in more]
        return bool(more)

    # -- presentation ----------------------------------------------------------------------
    def row(self, s: HouseholdSummary) -> dict[str, Any]:
        """One RecycleView row: title, status line, badges, and whether it is urgent."""
        today = self.today().isoformat()
        if s.next_visit_due is None:
            due, urgent = self.tr("grid.never_visited"), True
        elif s.next_visit_due < today:
            due, urgent = self.tr("grid.overdue_since", date=s.next_visit_due), True
        else:
            due, urgent = self.tr("grid.due_on", date=s.next_visit_due), False
        status = [due]
        if s.standing != "active":  # listed only under the "left" filter
            status, urgent = [code_text("household_status", s.standing, self.lang)], False
        if s.risk_count:
            status.append(self.tr("grid.risks", n=s.risk_count))
        badges = []
        if s.new_from_field:
            badges.append(self.tr("grid.badge.new"))
        if s.unsynced:
            badges.append(self.tr("grid.badge.unsynced"))
        if s.has_conflict:
            badges.append(self.tr("grid.badge.conflict"))
        if s.last_review_status == "returned":
            badges.append(self.tr("grid.badge.returned"))
        return {
            "key": s.id,
            "title": f"{s.household_no or ''}  {s.head_name or ''}".strip(),
            "status": " · ".join(status),
            "badges": " ".join(badges),
            "urgent": urgent,
        }
