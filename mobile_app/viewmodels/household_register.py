"""The household register on the phone, offline (issue 16): register a household in the
worker's grid with a provisional number, edit its details from the shared household form,
split members off into a new household, move a member, mark a household moved away or merged.

Every write goes through the store's record owner (`Store.records`), so each becomes pending
mutations pushed as usual; a split is one `save_together` (the new household and the moves).

`HouseholdRegisterViewModel` also holds what the register screen's worker has chosen and not
yet confirmed (members ticked to split off, the new head, the member to move and where, the
status to mark), so the screen stays layout only and Back can ask before dropping choices.
"""

from __future__ import annotations

import uuid
from typing import Any

from kivy.properties import ListProperty, StringProperty

from mobile_app.store import Store, ValidationFailed
from mobile_app.viewmodels.base import ViewModel
from mobile_app.viewmodels.form_base import RecordFormViewModel
from mobile_app.viewmodels.labels import code_text
from shared_schema.enums import ENUMS
from shared_schema.register import provisional_number, rehead_members, split_members

STATUSES = ("active", "moved_away", "merged")
MODES = ("split", "move", "head", "mark")
TARGETS_SHOWN = 8  # households listed under the search box (a grid holds up to ~300)
# Kept from the old household when a split makes a new one (the rest is the new head's).
INHERITED = ("grid_id", "address", "household_type", "monitor_category", "house_grade")


def grid_numbers(store: Store, grid_id: str) -> set[str]:
    """Every household number the phone holds in a grid (deleted ones too: never reused)."""
    return store.households.numbers(grid_id)


class HouseholdFormViewModel(RecordFormViewModel):
    """State of the household form: a new household of a grid, or an existing one."""

    entity = "household"
    form_id = "household"
    saved_key = "register.saved"
    title = StringProperty("")

    def open_new(self, grid_id: str) -> None:
        """A blank household of `grid_id` with the next provisional number."""
        number = provisional_number(grid_id, grid_numbers(self.store, grid_id))
        self.open_record(str(uuid.uuid4()), {"grid_id": grid_id, "household_no": number})
        self.title = self.tr("register.title_new")

    def open_existing(self, household_id: str) -> None:
        record = self.store.households.get(household_id)
        if record is None:
            raise LookupError(f"no such household: {household_id}")
        self.open_record(household_id, dict(record.data))
        self.title = self.tr("register.title_edit")

    def display(self, path: str) -> Any:
        """The grid reads as the worker knows it (village and grid name, from the session),
        its id when the session does not name it."""
        if path == "grid_id":
            from mobile_app.viewmodels.grid import grid_choice

            gid = str(self.value("grid_id") or "")
            for grid in map(grid_choice, self.store.session.get().grids or []):
                if grid["id"] == gid and grid["text"] != gid:
                    return f"{grid['text']} ({gid})"
            return gid
        return super().display(path)


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
    error_on = StringProperty("")  # the action the error belongs to: split, move or mark
    # -- the worker's choices, not yet confirmed ---------------------------------------------
    mode = StringProperty("split")
    moving = ListProperty([])  # member ids ticked to leave in a split
    new_head = StringProperty("")
    move_member_id = StringProperty("")
    move_target = StringProperty("")
    move_relation = StringProperty("")  # the moving member's relation to the new head
    relations = ListProperty([])  # {"code", "text"}: every relation but head
    head_choice = StringProperty("")  # the member chosen as the new head
    head_preview = StringProperty("")  # "name: old relation → new relation", one per line
    head_candidates = ListProperty([])  # {"id", "name", "relation_text"}: present, not head
    mark_status = StringProperty("active")
    merge_target = StringProperty("")
    target_search = StringProperty("")
    target_rows = ListProperty([])  # the households shown under the search box
    target_note = StringProperty("")  # how many match, when not all are shown
    new_household_id = StringProperty("")  # the household the last split made
    new_household_no = StringProperty("")  # and its provisional number

    def __init__(self, store: Store, **kw: Any) -> None:
        super().__init__(**kw)
        self.store = store
        self.bind(lang=lambda *_: self._reload())

    def _reload(self) -> None:
        if self.household_id:
            self.load(self.household_id)

    # -- choices ----------------------------------------------------------------------------
    def open(self, household_id: str) -> None:
        """Load a household with no choices made (the screen is opened afresh)."""
        self.load(household_id)
        self.clear_choices()
        self.mode = "split"
        self.message = self.error = self.error_on = ""
        self.new_household_id = self.new_household_no = ""

    def clear_choices(self) -> None:
        self.moving = []
        self.new_head = self.move_member_id = self.move_target = self.merge_target = ""
        self.move_relation = self.head_choice = ""
        self.head_preview = ""
        self.mark_status = self.status
        self.set_target_search("")

    def has_unsaved_choices(self) -> bool:
        """Whether Back would throw away something the worker chose."""
        return bool(
            self.moving
            or self.new_head
            or self.move_member_id
            or self.move_target
            or self.move_relation
            or self.head_choice
            or self.merge_target
            or self.mark_status != self.status
        )

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}")
        self.mode = mode
        self.error = self.error_on = ""
        self.set_target_search("")

    def toggle_moving(self, member_id: str) -> None:
        """Tick or untick a member leaving in the split (unticking the new head unsets it)."""
        if member_id in self.moving:
            self.moving = [m for m in self.moving if m != member_id]
            if self.new_head == member_id:
                self.new_head = ""
        elif member_id in {m["id"] for m in self.members}:
            self.moving = [*self.moving, member_id]
        self._clear_error("split")

    def choose_head(self, member_id: str) -> None:
        """The new household's head (ticked as leaving too)."""
        if member_id not in self.moving:
            self.toggle_moving(member_id)
        self.new_head = member_id
        self._clear_error("split")

    def choose_move_member(self, member_id: str) -> None:
        self.move_member_id = "" if self.move_member_id == member_id else member_id
        self._clear_error("move")

    def choose_new_head(self, member_id: str) -> None:
        """The member who becomes the head (a second tap unchooses); shows what changes."""
        self.head_choice = "" if self.head_choice == member_id else member_id
        self.head_preview = self._head_preview()
        self._clear_error("head")

    def _head_preview(self) -> str:
        if not self.head_choice:
            return ""
        members = self._member_data()
        try:
            moves = rehead_members(members, self.head_choice)
        except ValueError:
            return ""
        return "\n".join(
            self.tr(
                "register.head_preview",
                name=m.get("name", ""),
                old=code_text("relation", m.get("relation"), self.lang),
                new=code_text("relation", moves[m["id"]]["relation"], self.lang),
            )
            for m in members
            if m.get("relation") != moves[m["id"]]["relation"]
        )

    def _head_candidates(self) -> list[dict[str, str]]:
        """Who may become the head: members living in the household, not the head."""
        return [
            {
                "id": m.id,
                "name": m.data.get("name", ""),
                "relation_text": code_text("relation", m.data.get("relation"), self.lang),
            }
            for m in self.store.members.for_household(self.household_id)
            if m.data.get("relation") != "head" and m.data.get("status", "present") == "present"
        ]

    def _member_data(self) -> list[dict[str, Any]]:
        return [{**m.data, "id": m.id} for m in self.store.members.for_household(self.household_id)]

    def choose_move_relation(self, code: str) -> None:
        """How the moving member is related to the head of the household they join."""
        if code not in {r["code"] for r in self.relations}:
            raise ValueError(f"unknown relation {code!r}")
        self.move_relation = code
        self._clear_error("move")

    def choose_move_relation_text(self, text: str) -> None:
        """The picker's label chosen (another text, e.g. "Choose", changes nothing)."""
        code = next((r["code"] for r in self.relations if r["text"] == text), None)
        if code is not None and code != self.move_relation:
            self.choose_move_relation(code)

    def relation_text(self, code: str) -> str:
        """A relation's label in the current language ("" when none is chosen)."""
        return next((r["text"] for r in self.relations if r["code"] == code), "")

    def choose_status(self, status: str) -> None:
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}")
        self.mark_status = status
        if status != "merged":
            self.merge_target = ""
        self._clear_error("mark")

    def choose_target(self, household_id: str) -> None:
        """The household a member moves to (move) or this one merged into (mark)."""
        if self.mode == "mark":
            self.merge_target = household_id
            self.mark_status = "merged"
        else:
            self.move_target = household_id
        self._clear_error(self.mode)

    def set_target_search(self, text: str) -> None:
        """Filter the grid's other households by number or head's name."""
        self.target_search = text
        term = text.strip().lower()
        hits = [o for o in self.others if not term or term in o["text"].lower()]
        self.target_rows = hits[:TARGETS_SHOWN]
        more = len(hits) - len(self.target_rows)
        self.target_note = (
            self.tr("register.more_targets", n=len(hits))
            if more > 0
            else (self.tr("register.no_targets") if not hits else "")
        )

    def target_text(self, household_id: str) -> str:
        """How a chosen household reads ("" when none)."""
        return next((o["text"] for o in self.others if o["id"] == household_id), "")

    def mark_needs_confirm(self) -> bool:
        """Marking moved away or merged takes the household off the active list: ask first."""
        return self.mark_status in ("moved_away", "merged") and self.mark_status != self.status

    def _clear_error(self, action: str) -> None:
        if self.error_on == action:
            self.error = self.error_on = ""

    # -- confirmed actions --------------------------------------------------------------------
    def confirm_split(self) -> str | None:
        """Split off the ticked members under the chosen head; the new household's id."""
        if self.moving and not self.new_head:
            self._fail(ValueError(self.tr("register.choose_head")))
            self.error_on = "split"
            return None
        new_id = self.split(list(self.moving), self.new_head)
        if new_id is None:
            self.error_on = "split"
            return None
        new = self.store.households.get(new_id)
        self.new_household_no = str(new.data.get("household_no", "")) if new else ""
        self.new_household_id = new_id
        self.moving, self.new_head = [], ""
        return new_id

    def confirm_move(self) -> bool:
        """Move the chosen member to the chosen household."""
        if not self.move_member_id:
            ok = self._fail(ValueError(self.tr("register.choose_member")))
        elif not self.move_target:
            ok = self._fail(ValueError(self.tr("register.move_invalid")))
        elif not self.move_relation:
            ok = self._fail(ValueError(self.tr("register.choose_relation")))
        else:
            ok = self.move_member(self.move_member_id, self.move_target, self.move_relation)
        if not ok:
            self.error_on = "move"
            return False
        self.move_member_id = self.move_target = self.move_relation = ""
        self.set_target_search("")
        return True

    def confirm_head(self) -> bool:
        """Make the chosen member the head."""
        if not self.head_choice:
            ok = self._fail(ValueError(self.tr("register.choose_new_head")))
        else:
            ok = self.change_head(self.head_choice)
        if not ok:
            self.error_on = "head"
            return False
        self.head_choice = ""
        self.head_preview = ""
        return True

    def confirm_mark(self) -> bool:
        """Mark the chosen status (the screen asks first when `mark_needs_confirm`)."""
        if self.mark_status == self.status and self.status != "merged":
            self._fail(ValueError(self.tr("register.mark_unchanged")))
        elif self.mark(self.mark_status, self.merge_target or None):
            self.merge_target = ""
            self.mark_status = self.status
            self.set_target_search("")
            return True
        self.error_on = "mark"
        return False

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
        # targets are households still on the register (one cannot join a household that left)
        self.others = [
            {"id": s.id, "text": f"{s.household_no or ''} {s.head_name or ''}".strip()}
            for s in self.store.households.list(
                filters=["active"], limit=10_000, sort="household_no"
            )
            if s.id != household_id and s.grid_id == hh.data.get("grid_id")
        ]
        self.statuses = [
            {"code": c, "text": code_text("household_status", c, self.lang)} for c in STATUSES
        ]
        self.relations = [
            {"code": c, "text": text}
            for c, text in ENUMS["relation"].choices(self.lang)
            if c != "head"  # the household joined keeps its head
        ]
        self.head_candidates = self._head_candidates()
        present = {m["id"] for m in self.members}  # choices of members who left go
        self.moving = [m for m in self.moving if m in present]
        if self.new_head not in present:
            self.new_head = ""
        if self.move_member_id not in present:
            self.move_member_id = ""
        if self.head_choice not in {c["id"] for c in self.head_candidates}:
            self.head_choice = ""
        self.head_preview = self._head_preview()
        self.set_target_search(self.target_search)

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

    def move_member(self, member_id: str, target_id: str, relation: str | None = None) -> bool:
        """Move one member to another household of the grid, related to its head by
        `relation` (the screen asks for it: a relation to the old head means nothing there).
        Without one the relation is kept, and a head joins as `other`: the target keeps its
        head. A second spouse is refused (the household's composition rules)."""
        member = self.store.members.get(member_id)
        if member is None or target_id not in {o["id"] for o in self.others}:
            return self._fail(ValueError(self.tr("register.move_invalid")))
        if relation == "head":
            return self._fail(ValueError(self.tr("register.move_not_head")))
        data = dict(member.data) | {"household_id": target_id}
        if relation is not None:
            data["relation"] = relation
        elif data.get("relation") == "head":
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

    def change_head(self, new_head: str) -> bool:
        """Make `new_head` (a member living in the household) its head: every member
        re-related to them (`shared_schema.register.rehead_members`, the split's table) and
        the household's head name with them — one action, all saved or none."""
        hh = self.store.households.get(self.household_id)
        if hh is None:
            raise LookupError(self.household_id)
        members = self._member_data()  # read afresh: a member may have died since load
        living = {m["id"] for m in members if m.get("status", "present") == "present"} - {
            m["id"] for m in members if m.get("relation") == "head"
        }
        if new_head not in living:
            return self._fail(ValueError(self.tr("register.head_invalid")))
        moves = rehead_members(members, new_head)
        name = str(moves[new_head].get("name", ""))
        before = {m["id"]: m.get("relation") for m in members}
        items: list[tuple[str, str, dict[str, Any]]] = [
            ("member", mid, data)
            for mid, data in moves.items()
            if data["relation"] != before[mid]  # only what changes becomes a mutation
        ]
        if hh.data.get("head_name") != name:
            items.append(("household", hh.id, dict(hh.data) | {"head_name": name}))
        try:
            self.store.records.save_together(items, now=self.now(), hlc_node=self._client())
        except ValidationFailed as exc:
            return self._fail(exc)
        self.error = ""
        self.message = self.tr("register.head_done", name=name)
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
