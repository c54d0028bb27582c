"""The visit form: sections from the shared definition, live relevance, inline errors, live
net and per-capita income and risk flags, draft autosave, and an offline save.

A new visit gets its id up front; its draft is stored under that id, so reopening the
household offers "continue draft" and the saved visit keeps the same id. Editing a visit the
supervisor returned resubmits it (the store sets `review_status` to `submitted`).
The visit form also shows household fields (the house's safety grade): they are edited with
the visit and saved to the household record in the same transaction.
"""

from __future__ import annotations

import copy
import logging
import uuid
from datetime import date
from typing import Any

from kivy.properties import ListProperty, StringProperty

from mobile_app.forms.definition import bundled_form, load_form
from mobile_app.store import Store, ValidationFailed
from mobile_app.store.clock import iso
from mobile_app.viewmodels.flags import flag_rows, rules_config
from mobile_app.viewmodels.form_base import FormViewModel, get_path, set_path
from mobile_app.viewmodels.labels import code_text
from shared_schema.formatting import money_text
from shared_schema.forms import FormDef

SERVER_OWNED = ("review_status", "review_comment")
EARLIEST_VISIT_DATE = date(2000, 1, 1)


def visit_form() -> FormDef:
    """The bundled shared visit form (read from its served JSON shape)."""
    return bundled_form("visit")


def form_for(store: Store, form_version: Any = None) -> FormDef:
    """The visit form to render: the one of `form_version` when the phone holds that
    published version (a visit begun on it is finished on it), else the newest pulled one,
    else the bundled one. A pulled definition that does not load falls back (logged)."""
    held = [store.config.forms_for(form_version)] if isinstance(form_version, int) else []
    for forms in (*held, store.config.forms_for(None)):
        definition = forms.get("visit") if isinstance(forms, dict) else None
        if not isinstance(definition, dict):
            continue
        try:
            return load_form(definition)
        except ValueError as exc:  # FormError / ConditionError: keep the worker working
            logging.getLogger(__name__).warning("pulled visit form unusable: %s", exc)
    return visit_form()


def new_visit(household_id: str, today: date) -> dict[str, Any]:
    """Defaults of a fresh visit: today, routine, in person, nothing ticked yet."""
    return {
        "household_id": household_id,
        "visit_date": today.isoformat(),
        "visit_type": "routine",
        "contact_mode": "in_person",
        "income": {},
        "water": {},
        "risks": [],
        "assistance": [],
        "confirmed": False,
    }


class VisitFormViewModel(FormViewModel):
    """State of the visit form screen."""

    entity = "visit"
    household_id = StringProperty("")
    household_title = StringProperty("")
    net_income_text = StringProperty("")
    per_capita_text = StringProperty("")
    flags = ListProperty([])
    member_rows = ListProperty([])
    draft_text = StringProperty("")
    review_comment = StringProperty("")

    def __init__(self, store: Store, form: FormDef | None = None, **kw: Any) -> None:
        self._household: dict[str, Any] = {}
        self._members: list[dict[str, Any]] = []
        self._previous: dict[str, Any] | None = None
        self._fixed_form = form is not None  # a form given here is kept (tests, previews)
        super().__init__(store, form or form_for(store), **kw)

    # -- opening ---------------------------------------------------------------------------
    def open_new(self, household_id: str) -> None:
        """Start a new visit (or continue the household's latest draft)."""
        drafts = self.store.visits.drafts(household_id)
        if drafts:
            self._open(household_id, drafts[0].id, drafts[0].data)
        else:
            data = new_visit(household_id, self.today())
            data["started_at"] = iso(self.now())
            version = self.store.config.version()
            if version is not None and self.store.config.forms_for(version) is not None:
                # filled on the newest published form this phone holds: the server validates
                # the visit with that version's rules (PROTOCOL.md "Configuration")
                data["form_version"] = version
            self._open(household_id, str(uuid.uuid4()), data)
        self.review_comment = ""

    def open_existing(self, visit_id: str) -> None:
        """Edit a saved visit (a returned one is resubmitted on save); its draft wins if any."""
        draft = self.store.visits.get_draft(visit_id)
        record = self.store.visits.get(visit_id)
        if record is None and draft is None:
            raise LookupError(f"no such visit: {visit_id}")
        data = draft.data if draft else dict(record.data)  # type: ignore[union-attr]
        self._open(data["household_id"], visit_id, data)
        self.review_comment = (record.data.get("review_comment") or "") if record else ""

    def _open(self, household_id: str, visit_id: str, data: dict[str, Any]) -> None:
        hh = self.store.households.get(household_id)
        if hh is None:
            raise LookupError(f"no such household: {household_id}")
        self._household = hh.data
        self._members = [
            {**m.data, "id": m.id} for m in self.store.members.for_household(household_id)
        ]
        self.household_id = household_id
        self.household_title = f"{hh.data.get('household_no', '')} {hh.data.get('head_name', '')}"
        self.record_id = visit_id
        if not self._fixed_form:  # the newest pulled form, or the visit's own version's
            self.form = form_for(self.store, data.get("form_version"))
        self.computed = {}  # nothing of the previously opened visit may show
        self.touched = set()
        self.show_all = False
        self._parse_errors = {}
        self.section_index = 0
        self.saved = False
        self.message = self.draft_text = ""
        values = {k: v for k, v in data.items() if k not in SERVER_OWNED}
        for f in self._household_fields():
            if get_path(values, f.path) is None:
                set_path(values, f.path, get_path(hh.data, f.path))
        self.values = values
        self._load_previous()
        self.revalidate()

    def reload_members(self) -> None:
        """Re-read the household's members (after the member form) and recompute."""
        if not self.household_id:
            return
        self._members = [
            {**m.data, "id": m.id} for m in self.store.members.for_household(self.household_id)
        ]
        self.revalidate()

    def _household_fields(self) -> list[Any]:
        return [f for f in self.form.fields() if f.entity == "household"]

    def _load_previous(self) -> None:
        day = str(self.values.get("visit_date") or "9999-12-31")
        previous = self.store.visits.last_before(self.household_id, day)
        self._previous = previous.data if previous and previous.id != self.record_id else None

    # -- live values -----------------------------------------------------------------------
    def as_of(self) -> date:
        try:
            return date.fromisoformat(str(self.values.get("visit_date")))
        except ValueError:
            return self.today()

    def after_change(self, path: str) -> None:
        if path == "visit_date":
            self._load_previous()
        self.autosave()

    def autosave(self) -> None:
        """Store the half-filled form as a draft (never in the outbox, never validated)."""
        if not self.record_id:
            return
        draft = self.store.visits.save_draft(
            self.record_id, self.household_id, dict(self.values), now=self.now()
        )
        self.draft_text = self.tr("visit.draft_saved", time=_local_hms(draft.updated_at))

    def household_data(self) -> dict[str, Any]:
        """The household record with the form's household fields applied."""
        data = copy.deepcopy(self._household)
        for f in self._household_fields():
            value = get_path(self.values, f.path)
            if value is None:
                data.pop(f.path, None)
            else:
                set_path(data, f.path, value)
        return data

    def compute(self) -> None:
        from shared_schema.forms import computed_values

        visit = self.clean_data()
        self.computed = computed_values(
            self.household_data(),
            self._members,
            visit,
            config=rules_config(self.store),
            previous_visit=self._previous,
        )

    def schema_errors(self, data: dict[str, Any]) -> dict[str, list[str]]:
        errors = super().schema_errors(data)
        if "visit_date" not in errors:  # the shared schema's own bound wins when it has one
            problem = self.visit_date_problem(data.get("visit_date"))
            if problem:
                errors["visit_date"] = [problem]
        if self._household_fields():
            from shared_schema.schemas.records import validate_record

            hh_errors = validate_record("household", self.household_data(), lang=self.lang)
            paths = {f.path for f in self._household_fields()}
            errors.update({k: v for k, v in hh_errors.items() if k in paths})
        return errors

    def visit_date_problem(self, value: Any) -> str | None:
        """A visit is dated on a day that has come: not after the device's today, not before
        2000 (the server refuses the same, with a day of grace for clocks and time zones)."""
        try:
            day = date.fromisoformat(str(value))
        except ValueError:
            return None  # a blank or unreadable date has its own message
        today = self.today()
        if day > today:
            return self.tr("visit.date_future", today=today.isoformat())
        if day < EARLIEST_VISIT_DATE:
            return self.tr("visit.date_too_early", earliest=EARLIEST_VISIT_DATE.isoformat())
        return None

    def on_revalidated(self) -> None:
        net = self.computed.get("net_income")
        per = self.computed.get("per_capita_income")
        self.net_income_text = self.tr(
            "visit.net_income", value=money_text(net) if net is not None else "—"
        )
        residents = [m for m in self._members if m.get("status", "present") == "present"]
        if per is not None:
            self.per_capita_text = self.tr("visit.per_capita", value=money_text(per))
        elif residents:
            self.per_capita_text = self.tr("visit.per_capita", value="—")
        else:
            self.per_capita_text = self.tr("visit.per_capita_none")
        self.flags = flag_rows(self.computed.get("flags") or [], self.lang)
        self.member_rows = [
            {
                "member_id": m["id"],
                "title": m.get("name") or "",
                "status": " · ".join(
                    [
                        code_text("relation", m.get("relation"), self.lang),
                        code_text("member_status", m.get("status", "present"), self.lang),
                    ]
                ),
            }
            for m in self._members
        ]

    # -- saving ----------------------------------------------------------------------------
    def save(self) -> bool:
        """Validate and save offline (household fields, visit and their outbox entries in one
        transaction); drop the draft. False with errors next to the fields when invalid."""
        self.saved = False
        if not self.validate_all():
            return False
        visit = self.clean_data()
        visit.setdefault("ended_at", iso(self.now()))
        household = self.household_data()
        node = self.store.session.client_id()
        try:
            with self.store.db.transaction():
                if household != self._household:
                    self.store.records.save(
                        "household", self.household_id, household, now=self.now(), hlc_node=node
                    )
                self.store.records.save(
                    "visit", self.record_id, visit, now=self.now(), hlc_node=node
                )
        except ValidationFailed as exc:
            shown = set(self.relevant)
            self.errors = {k: " ".join(map(str, v)) for k, v in exc.errors.items() if k in shown}
            self.form_errors = [
                f"{k}: {' '.join(map(str, v))}" for k, v in exc.errors.items() if k not in shown
            ]
            self.message = self.tr("visit.has_errors", n=len(exc.errors))
            return False
        self._household = household
        for rejection in self.store.rejected.for_record("visit", self.record_id):
            self.store.rejected.dismiss(rejection.mutation_id)  # fixed and saved again
        self.store.visits.discard_draft(self.record_id)
        self.draft_text = ""
        self.message = self.tr("visit.saved")
        self.saved = True
        return True


def _local_hms(stamp: str) -> str:
    from datetime import datetime

    try:
        return (
            datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone().strftime("%H:%M:%S")
        )
    except ValueError:
        return stamp
