"""The household register on the phone, offline (issue 16): register a household in the
worker's grid with a provisional number, edit its details from the shared household form,
split members off into a new household, move a member, mark a household moved away or merged.

Every write goes through the store's record owner (`Store.records`), so each becomes pending
mutations pushed as usual; a split is one `save_together` (the new household and the moves).
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

from kivy.properties import ListProperty, StringProperty

from mobile_app.forms.definition import bundled_form
from mobile_app.store import Store, ValidationFailed
from mobile_app.viewmodels.base import ViewModel
from mobile_app.viewmodels.form_base import FormViewModel
from mobile_app.viewmodels.labels import code_text
from shared_schema.forms import FormDef
from shared_schema.register import provisional_number, split_members

STATUSES = ("active", "moved_away", "merged")
# Kept from the old household when a split makes a new one (the rest is the new head's).
INHERITED = ("grid_id", "address", "household_type", "monitor_category", "house_grade")


def household_form() -> FormDef:
    """The bundled shared household form."""
    return bundled_form("household")


def grid_numbers(store: Store, grid_id: str) -> set[str]:
    """Every household number the phone holds in a grid (deleted ones too: never reused)."""
    return store.households.numbers(grid_id)


class HouseholdFormViewModel(FormViewModel):
    """State of the household form: a new household of a grid, or an existing one."""

    entity = "household"
    title = StringProperty("")

    def __init__(self, store: Store, form: FormDef | None = None, **kw: Any) -> None:
        self._opened: dict[str, Any] = {}
        super().__init__(store, form or household_form(), **kw)

    def open_new(self, grid_id: str) -> None:
        """A blank household of `grid_id` with the next provisional number."""
        number = provisional_number(grid_id, grid_numbers(self.store, grid_id))
        self._open(str(uuid.uuid4()), {"grid_id": grid_id, "household_no": number})
        self.title = self.tr("register.title_new")

    def open_existing(self, household_id: str) -> None:
        record = self.store.households.get(household_id)
        if record is None:
            raise LookupError(f"no such household: {household_id}")
        self._open(household_id, dict(record.data))
        self.title = self.tr("register.title_edit")

    def _open(self, record_id: str, data: dict[str, Any]) -> None:
        self.record_id = record_id
        self.touched = set()
        self.show_all = False
        self._parse_errors = {}
        self.saved = False
        self.message = ""
        self.section_index = 0
        self.computed = {}
        self._opened = copy.deepcopy(data)
        self.values = data
        self.revalidate()

    def has_unsaved_changes(self) -> bool:
        return bool(self.record_id) and dict(self.values) != self._opened

    def save(self) -> bool:
        """Validate and save offline (a pending mutation); errors show next to the fields."""
        self.saved = False
        if not self.validate_all():
            return False
        try:
            self.store.records.save(
                "household",
                self.record_id,
                self.clean_data(),
                now=self.now(),
                hlc_node=self.store.session.client_id(),
            )
        except ValidationFailed as exc:
            self.errors = {k: " ".join(map(str, v)) for k, v in exc.errors.items()}
            self.message = self.tr("visit.has_errors", n=len(exc.errors))
            return False
        self._opened = copy.deepcopy(dict(self.values))
        self.message = self.tr("register.saved")
        self.saved = True
        return True


class HouseholdRegisterViewModel(ViewModel):
    """Split, move a member, mark moved away or merged — for one household."""

    household_id = StringProperty("")
    title = StringProperty("")
    status = StringProperty("active")
    status_text = StringProperty("")
    members = ListProperty([])  # {"id", "name", "relation_text"}
    others = ListProperty([])  # other live households of the grid: {"id", "text"}
    statuses = ListProperty([])  # {"code", "text"}
    message = StringProperty("")
    error = StringProperty("")

    def __init__(self, store: Store, **kw: Any) -> None:
        super().__init__(**kw)
        self.store = store
        self.bind(lang=lambda *_: self._reload())

    def _reload(self) -> None:
        if self.household_id:
            self.load(self.household_id)

    def load(self, household_id: str) -> None:
        hh = self.store.households.get(household_id)
        if hh is None:
            raise LookupError(f"no such household: {household_id}")
        self.household_id = household_id
        data = hh.data
        self.title = f"{data.get('household_no', '')} {data.get('head_name', '')}".strip()
        self.status = data.get("status") or "active"
        self.status_text = code_text("household_status", self.status, self.lang)
        self.members = [
            {
                "id": m.id,
                "name": m.data.get("name", ""),
                "relation_text": code_text("relation", m.data.get("relation"), self.lang),
            }
            for m in self.store.members.for_household(household_id)
        ]
        self.others = [
            {"id": s.id, "text": f"{s.household_no or ''} {s.head_name or ''}".strip()}
            for s in self.store.households.list(limit=10_000, sort="household_no")
            if s.id != household_id and s.grid_id == hh.data.get("grid_id")
        ]
        self.statuses = [
            {"code": c, "text": code_text("household_status", c, self.lang)} for c in STATUSES
        ]

    def _client(self) -> str:
        return self.store.session.client_id()

    def _fail(self, exc: Exception) -> bool:
        errors = getattr(exc, "errors", None)
        self.error = (
            "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in errors.items())
            if isinstance(errors, dict)
            else str(exc)
        )
        self.message = ""
        return False

    def split(self, moving: list[str], new_head: str) -> str | None:
        """Split `moving` members off into a new household headed by `new_head` (one user
        action: the new household and the moves are saved together, or nothing is). Returns
        the new household's id, or None with `error` set."""
        old = self.store.households.get(self.household_id)
        if old is None:
            raise LookupError(self.household_id)
        members = [{**m.data, "id": m.id} for m in self.store.members.for_household(old.id)]
        try:
            moves = split_members(members, moving, new_head)
        except ValueError:
            self._fail(ValueError(self.tr("register.split_invalid")))
            return None
        new_id = str(uuid.uuid4())
        grid = str(old.data["grid_id"])
        household = {k: old.data[k] for k in INHERITED if k in old.data}
        household["household_no"] = provisional_number(grid, grid_numbers(self.store, grid))
        household["head_name"] = moves[new_head]["name"]
        household["phone"] = moves[new_head].get("phone")
        # the new head first, so the new household never holds two heads on the way
        order = [new_head, *(m for m in moves if m != new_head)]
        items: list[tuple[str, str, dict[str, Any]]] = [("household", new_id, household)]
        items += [("member", mid, moves[mid] | {"household_id": new_id}) for mid in order]
        try:
            self.store.records.save_together(
                items, now=self.now(), hlc_node=self._client(), moving=frozenset(order)
            )
        except ValidationFailed as exc:
            self._fail(exc)
            return None
        self.error = ""
        self.message = self.tr("register.split_done", number=household["household_no"])
        self.load(self.household_id)
        return new_id

    def move_member(self, member_id: str, target_id: str) -> bool:
        """Move one member to another household of the grid (its relation kept; a head that
        moves joins as `other`, the target keeps its head)."""
        member = self.store.members.get(member_id)
        if member is None or target_id not in {o["id"] for o in self.others}:
            return self._fail(ValueError(self.tr("register.move_invalid")))
        data = dict(member.data) | {"household_id": target_id}
        if data.get("relation") == "head":
            data["relation"] = "other"
        try:
            self.store.records.save_together(
                [("member", member_id, data)],
                now=self.now(),
                hlc_node=self._client(),
                moving=frozenset({member_id}),
            )
        except ValidationFailed as exc:
            return self._fail(exc)
        self.error = ""
        self.message = self.tr("register.moved")
        self.load(self.household_id)
        return True

    def mark(self, status: str, merged_into: str | None = None) -> bool:
        """Mark the household `active`, `moved_away` or `merged` (into another household of
        the grid). A household leaving the register keeps its members, visits and history."""
        hh = self.store.households.get(self.household_id)
        if hh is None:
            raise LookupError(self.household_id)
        if status == "merged" and merged_into not in {o["id"] for o in self.others}:
            return self._fail(ValueError(self.tr("register.merge_target")))
        data = dict(hh.data) | {
            "status": status,
            "merged_into": merged_into if status == "merged" else None,
        }
        try:
            self.store.records.save(
                "household", self.household_id, data, now=self.now(), hlc_node=self._client()
            )
        except ValidationFailed as exc:
            return self._fail(exc)
        self.error = ""
        shown = code_text("household_status", status, self.lang)
        self.message = self.tr("register.marked", status=shown)
        self.load(self.household_id)
        return True
