"""The member form: add or edit one household member, offline.

Typing a valid resident ID number fills the birth date and sex from it (GB 11643), so the
worker does not type them twice and they cannot disagree with the number.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from typing import Any

from kivy.properties import StringProperty

from mobile_app.forms.definition import bundled_form
from mobile_app.viewmodels.form_base import RecordFormViewModel
from shared_schema.forms import FormDef


def member_form() -> FormDef:
    """The bundled shared member form (read from its served JSON shape)."""
    return bundled_form("member")


class MemberFormViewModel(RecordFormViewModel):
    """State of the member form screen."""

    entity = "member"
    form_id = "member"
    saved_key = "member.saved"
    household_id = StringProperty("")
    title = StringProperty("")
    filled_text = StringProperty("")

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
        self.filled_text = ""
        self.open_record(member_id, data)

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
        from shared_schema.schemas.records import composition_problems_added

        others: list[Mapping[str, Any]] = [
            {**m.data, "id": m.id}
            for m in self.store.members.for_household(self.household_id)
            if m.id != self.record_id
        ]
        current = self.store.members.get(self.record_id)
        before = others + ([{**current.data, "id": current.id}] if current else [])
        after = [*others, {**self.clean_data(), "id": self.record_id}]
        return composition_problems_added(before, after, lang=self.lang)

    def save(self) -> bool:
        """Validate (the record, then the household's composition) and save offline."""
        self.saved = False
        if not self.validate_all():
            return False
        problems = self.composition_errors()
        current = self.store.members.get(self.record_id)
        if problems and current is not None and current.data.get("relation") == "head":
            problems.append(self.tr("member.change_head_first"))  # the way to do it
        if problems:
            self.errors = {**self.errors, "relation": " ".join(problems)}
            self.message = self.tr("visit.has_errors", n=1)
            self.go_to_section(0)
            return False
        if not self.store_record():
            return False
        for rejection in self.store.rejected.for_record("member", self.record_id):
            self.store.rejected.dismiss(rejection.mutation_id)  # fixed and saved again
        return True
