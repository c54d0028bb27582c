"""One household: head, address, members (add, edit, move out), visit history with review
status and the supervisor's comments, and its current risk flags with the reasons; whether it
is still to be confirmed by a supervisor and whether it left the register (issue 16)."""

from __future__ import annotations

from typing import Any

from kivy.properties import BooleanProperty, DictProperty, ListProperty, StringProperty

from mobile_app.store import Record, Store, ValidationFailed
from mobile_app.viewmodels.base import ViewModel
from mobile_app.viewmodels.flags import compute_flags, flag_rows
from mobile_app.viewmodels.labels import code_text, field_text
from shared_schema.computed import member_age


class HouseholdViewModel(ViewModel):
    """State of the household screen."""

    household_id = StringProperty("")
    title = StringProperty("")
    head_name = StringProperty("")
    address = StringProperty("")
    summary = StringProperty("")
    members = ListProperty([])
    visits = ListProperty([])
    flags = ListProperty([])
    draft_id = StringProperty("")
    draft_text = StringProperty("")
    error = StringProperty("")
    unsynced = BooleanProperty(False)
    household = DictProperty({})
    registration_text = StringProperty("")  # not confirmed by a supervisor yet, and why
    standing_text = StringProperty("")  # moved away / merged into …; "" on the register

    def __init__(self, store: Store, **kw: Any) -> None:
        super().__init__(**kw)
        self.store = store
        self._members: list[Record] = []
        self.bind(lang=lambda *_: self._reload())

    def _reload(self) -> None:
        if self.household_id:
            self.load(self.household_id)

    def load(self, household_id: str) -> None:
        """Read the household, its members, visits, drafts and flags from the store."""
        hh = self.store.households.get(household_id)
        if hh is None:
            raise LookupError(f"no such household: {household_id}")
        self.household_id = household_id
        self.household = hh.data
        data = hh.data
        self.title = f"{data.get('household_no', '')} {data.get('head_name', '')}".strip()
        self.head_name = data.get("head_name") or ""
        self.address = data.get("address") or ""
        parts = [code_text("household_type", data.get("household_type"), self.lang)]
        if data.get("monitor_category"):
            parts.append(code_text("monitor_category", data["monitor_category"], self.lang))
        self.summary = " · ".join(parts)
        self.unsynced = hh.unsynced
        self.registration_text = self._registration(hh.version, data)
        self.standing_text = self._standing(data)
        self._members = self.store.members.for_household(household_id)
        self.members = [self._member_row(m) for m in self._members]
        visits = self.store.visits.for_household(household_id)
        self.visits = [self._visit_row(v) for v in visits]
        drafts = self.store.visits.drafts(household_id)
        self.draft_id = drafts[0].id if drafts else ""
        self.draft_text = (
            self.tr("household.continue_draft", date=drafts[0].updated_at[:10]) if drafts else ""
        )
        last = visits[0].data if visits else None
        previous = visits[1].data if len(visits) > 1 else None
        flags = compute_flags(self.store, data, self.member_dicts(), last, previous) if last else []
        self.flags = flag_rows(flags, self.lang)

    def _registration(self, version: int | None, data: dict[str, Any]) -> str:
        """Registered on this phone and not uploaded yet, or new from the field and not yet
        confirmed by a supervisor (the server's `registration`); "" once confirmed."""
        if version is None:
            return self.tr("household.registered_here")
        if data.get("registration") == "field_new":
            return self.tr("household.field_new")
        return ""

    def _standing(self, data: dict[str, Any]) -> str:
        status = data.get("status") or "active"
        if status == "active":
            return ""
        if status == "merged":
            target = self.store.households.get(str(data.get("merged_into") or ""))
            number = target.data.get("household_no", "") if target else ""
            name = target.data.get("head_name", "") if target else ""
            return self.tr("household.merged_into", household=f"{number} {name}".strip() or "?")
        return code_text("household_status", status, self.lang)

    def member_dicts(self) -> list[dict[str, Any]]:
        """Members as the shared rules read them (each with its id)."""
        return [{**m.data, "id": m.id} for m in self._members]

    def _member_row(self, m: Record) -> dict[str, Any]:
        d = m.data
        age = member_age(d, self.today())
        line = self.tr(
            "household.member_line",
            relation=code_text("relation", d.get("relation"), self.lang),
            sex=code_text("sex", d.get("sex"), self.lang),
            age="?" if age is None else age,
        )
        status = d.get("status", "present")
        if status != "present":
            line += " · " + code_text("member_status", status, self.lang)
        return {
            "member_id": m.id,
            "title": d.get("name") or "",
            "status": line,
            "present": status == "present",
            "is_head": d.get("relation") == "head",
            "unsynced": m.dirty,
        }

    def _visit_row(self, v: Record) -> dict[str, Any]:
        d = v.data
        review = d.get("review_status") or "submitted"
        title = " · ".join(
            [
                d.get("visit_date") or "",
                code_text("visit_type", d.get("visit_type"), self.lang),
                code_text("review_status", review, self.lang),
            ]
        )
        comment = d.get("review_comment") or ""
        return {
            "visit_id": v.id,
            "title": title,
            "status": self.tr("household.comment", text=comment) if comment else "",
            "returned": review == "returned",
            "unsynced": v.dirty,
        }

    def move_out(self, member_id: str) -> bool:
        """Mark a member moved out (saved offline, synced later); the head cannot move out."""
        self.error = ""
        member = next((m for m in self._members if m.id == member_id), None)
        if member is None:
            raise LookupError(f"no such member: {member_id}")
        if member.data.get("relation") == "head":
            self.error = self.tr("household.err_move_out_head")
            return False
        try:
            self.store.records.save(
                "member",
                member_id,
                {**member.data, "status": "moved_out"},
                now=self.now(),
                hlc_node=self.store.session.client_id(),
            )
        except ValidationFailed as exc:
            self.error = "; ".join(
                f"{field_text('member', k, self.lang)}: {' '.join(map(str, v))}"
                for k, v in sorted(exc.errors.items())
            )
            return False
        self.load(self.household_id)
        return True
