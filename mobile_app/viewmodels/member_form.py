"""The member form: add or edit one household member, offline.

Typing a valid resident ID number fills the birth date and sex from it (GB 11643), so the
worker does not type them twice and they cannot disagree with the number.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Mapping
from datetime import date
from typing import Any

from kivy.properties import StringProperty

from mobile_app.forms.definition import bundled_form, pulled_form
from mobile_app.store import Store, ValidationFailed
from mobile_app.viewmodels.form_base import FormViewModel
from shared_schema.forms import FormDef


def member_form() -> FormDef:
    """The bundled shared member form (read from its served JSON shape)."""
    return bundled_form("member")


class MemberFormViewModel(FormViewModel):
    """State of the member form screen."""

    entity = "member"
    household_id = StringProperty("")
    title = StringProperty("")
    filled_text = StringProperty("")

    def __init__(self, store: Store, form: FormDef | None = None, **kw: Any) -> None:
        self._opened: dict[str, Any] = {}
        self._fixed_form = form is not None  # a form given here is kept (tests, previews)
        super().__init__(store, form or pulled_form(store.config, "member"), **kw)

    def open_new(self, household_id: str) -> None:
        """A blank member of a household (present, resident ID, no insurance ticked)."""
        self._open(
            household_id,
            str(uuid.uuid4()),
            {
                "household_id": household_id,
                "id_type": "resident_id",
                "status": "present",
                "medical_insurance": [],
                "health": [],
            },
        )
        self.title = self.tr("member.title_new")

    def open_existing(self, member_id: str) -> None:
        """Edit a saved member."""
        record = self.store.members.get(member_id)
        if record is None:
            raise LookupError(f"no such member: {member_id}")
        self._open(record.data["household_id"], member_id, dict(record.data))
        self.title = self.tr("member.title_edit")

    def _open(self, household_id: str, member_id: str, data: dict[str, Any]) -> None:
        self.household_id = household_id
        self.record_id = member_id
        if not self._fixed_form:  # the newest pulled definition (over the air, issue 16)
            self.form = pulled_form(self.store.config, "member")
        self.touched = set()
        self.show_all = False
        self._parse_errors = {}
        self.saved = False
        self.message = self.filled_text = ""
        self.section_index = 0
        self.computed = {}  # nothing of the previously opened member may show
        self._opened = copy.deepcopy(data)
        self.values = data
        self.revalidate()

    # -- leaving -----------------------------------------------------------------------------
    def has_unsaved_changes(self) -> bool:
        """Whether the worker changed something since the member was opened or saved."""
        return bool(self.record_id) and dict(self.values) != self._opened

    def leave(self, choice: str) -> bool:
        """The worker's answer to "unsaved changes" on Back: `save` (True when saved; errors
        show otherwise), `discard` (the edits go, the stored member is untouched) or `stay`."""
        if choice == "save":
            return self.save()
        if choice == "discard":
            self.values = copy.deepcopy(self._opened)
            self.touched = set()
            self._parse_errors = {}
            self.revalidate()
            return True
        if choice == "stay":
            return False
        raise ValueError(f"unknown choice {choice!r}")

    def compute(self) -> None:
        from shared_schema.forms import member_values

        self.computed = {"age": member_values(self.values, as_of=self.today())["age"]}

    def after_change(self, path: str) -> None:
        if path != "id_number" or self.values.get("id_type", "resident_id") != "resident_id":
            return
        from shared_schema.idnumber import IdNumberError, parse_id_number

        number = self.values.get("id_number")
        if not number:
            return
        try:
            info = parse_id_number(number)
        except IdNumberError:
            self.filled_text = ""
            return
        data = dict(self.values)
        data.update(id_number=info.number, birth_date=info.birth_date.isoformat(), sex=info.sex)
        self.values = data
        self.touched.update({"birth_date", "sex"})
        self.filled_text = self.tr("member.id_filled")

    def as_of(self) -> date:
        return self.today()

    def composition_errors(self) -> list[str]:
        """Household composition problems this edit would introduce (a second head or
        spouse); problems the household already had are not blamed on this member."""
        from shared_schema.schemas.records import validate_household_members

        others: list[Mapping[str, Any]] = [
            {**m.data, "id": m.id}
            for m in self.store.members.for_household(self.household_id)
            if m.id != self.record_id
        ]
        current = self.store.members.get(self.record_id)
        before = others + ([{**current.data, "id": current.id}] if current else [])
        after = [*others, {**self.clean_data(), "id": self.record_id}]
        old = set(validate_household_members(before, lang=self.lang).get("relation", []))
        new = validate_household_members(after, lang=self.lang).get("relation", [])
        return [e for e in new if e not in old]

    def save(self) -> bool:
        """Validate (the record, then the household's composition) and save offline."""
        self.saved = False
        if not self.validate_all():
            return False
        problems = self.composition_errors()
        if problems:
            self.errors = {**self.errors, "relation": " ".join(problems)}
            self.message = self.tr("visit.has_errors", n=1)
            self.go_to_section(0)
            return False
        try:
            self.store.records.save(
                "member",
                self.record_id,
                self.clean_data(),
                now=self.now(),
                hlc_node=self.store.session.client_id(),
            )
        except ValidationFailed as exc:
            self.errors = {k: " ".join(map(str, v)) for k, v in exc.errors.items()}
            self.message = self.tr("visit.has_errors", n=len(exc.errors))
            return False
        for rejection in self.store.rejected.for_record("member", self.record_id):
            self.store.rejected.dismiss(rejection.mutation_id)  # fixed and saved again
        self._opened = copy.deepcopy(dict(self.values))
        self.message = self.tr("member.saved")
        self.saved = True
        return True
