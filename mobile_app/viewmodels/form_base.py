"""What the visit and member forms share: values by dotted path, live relevance, inline errors.

Inline validation is the shared schema's (`validate_record`), shown only for fields the worker
has touched until they try to save; then every error shows. Values of fields that are not
relevant (hidden by a condition) are dropped when saving, as paper forms skip them.
"""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from kivy.properties import (
    BooleanProperty,
    DictProperty,
    ListProperty,
    NumericProperty,
    ObjectProperty,
    StringProperty,
)

from mobile_app.forms.definition import NUMBER_WIDGETS, TEXT_WIDGETS
from mobile_app.store import Store
from mobile_app.viewmodels.base import ViewModel
from mobile_app.viewmodels.localtime import minute_text
from shared_schema.formatting import money_text
from shared_schema.forms import FieldDef, FormDef

NUMBER_MESSAGES = {
    "integer": ("请输入整数", "Enter a whole number"),
    "number": ("请输入数字", "Enter a number"),
    "money": ("请输入金额（最多两位小数）", "Enter an amount (at most 2 decimals)"),
    "date": ("日期格式应为 年-月-日", "Use the date format YYYY-MM-DD"),
}


def get_path(data: dict[str, Any], path: str) -> Any:
    """The value at a dotted path (None when any part is missing)."""
    value: Any = data
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def set_path(data: dict[str, Any], path: str, value: Any) -> None:
    """Set a dotted path, creating intermediate objects."""
    parts = path.split(".")
    target = data
    for part in parts[:-1]:
        if not isinstance(target.get(part), dict):
            target[part] = {}
        target = target[part]
    target[parts[-1]] = value


def drop_path(data: dict[str, Any], path: str) -> None:
    """Remove a dotted path if present."""
    parts = path.split(".")
    target: Any = data
    for part in parts[:-1]:
        target = target.get(part) if isinstance(target, dict) else None
    if isinstance(target, dict):
        target.pop(parts[-1], None)


def parse_input(field: FieldDef, raw: Any) -> tuple[Any, tuple[str, str] | None]:
    """A widget's raw value as the wire value, or (None, (zh, en) message) when unreadable."""
    kind = field.widget
    if kind in NUMBER_WIDGETS or kind == "date":
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None, None
        if not isinstance(raw, str):
            return raw, None
        text = raw.strip().replace(",", "").replace("，", "")
        if kind == "date":
            try:
                return date.fromisoformat(text).isoformat(), None
            except ValueError:
                return None, NUMBER_MESSAGES["date"]
        try:
            number = Decimal(text)
        except InvalidOperation:
            return None, NUMBER_MESSAGES[kind]
        if not number.is_finite():
            return None, NUMBER_MESSAGES[kind]
        if kind == "integer":
            if number != number.to_integral_value():
                return None, NUMBER_MESSAGES["integer"]
            return int(number), None
        if kind == "money" and number.as_tuple().exponent < -2:  # type: ignore[operator]
            return None, NUMBER_MESSAGES["money"]
        return (int(number) if number == number.to_integral_value() else float(number)), None
    if isinstance(raw, str) and kind in TEXT_WIDGETS:
        text = raw.strip()
        return (text or None), None
    return raw, None


def display_value(field: FieldDef, value: Any) -> Any:
    """A wire value as its widget shows it (text for inputs, the value itself otherwise)."""
    kind = field.widget
    if kind == "datetime" and isinstance(value, str):
        return minute_text(value)  # the deployment's clock, like every time the app shows
    if kind in ("gps", "geopoint") and isinstance(value, dict):
        return f"{value.get('lat')}, {value.get('lon')}"
    if kind in NUMBER_WIDGETS or kind in TEXT_WIDGETS or kind == "date":
        if value is None:
            return ""
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)
    return value


class FormViewModel(ViewModel):
    """A form over one record: values, relevance, errors, sections, save."""

    values = DictProperty({})
    errors = DictProperty({})  # path -> message in the current language
    relevant = ListProperty([])  # paths currently shown
    form_errors = ListProperty([])  # errors not tied to a shown field
    section_index = NumericProperty(0)
    message = StringProperty("")
    saved = BooleanProperty(False)
    form: Any = ObjectProperty(None, allownone=True)  # the shared FormDef rendered
    record_id = StringProperty("")
    computed = DictProperty({})  # computed-field key -> value (net income, flags, age...)

    entity = "visit"

    def __init__(self, store: Store, form: FormDef, **kw: Any) -> None:
        super().__init__(**kw)
        self.store = store
        self.form = form
        self.touched: set[str] = set()
        self.show_all = False
        self._parse_errors: dict[str, tuple[str, str]] = {}
        self._schema_errors: dict[str, list[str]] = {}
        self.bind(lang=lambda *_: self.revalidate())

    # -- values ----------------------------------------------------------------------------
    def value(self, path: str) -> Any:
        return get_path(self.values, path)

    def display(self, path: str) -> Any:
        """What the field's widget should show (text for computed values)."""
        field = self.form.field(path)
        if field.computed is not None:
            return self.computed_text(field)
        return display_value(field, self.value(path))

    def computed_text(self, field: FieldDef) -> str:
        """A computed value as read-only text in the current language."""
        value = self.computed.get(field.computed)
        if field.widget == "flags":
            flags = value or []
            return "\n".join(f"• {f.message(self.lang)}" for f in flags) or self.tr(
                "visit.no_flags"
            )
        if value is None:
            return "—"
        if isinstance(value, bool):
            return self.tr("common.yes" if value else "common.no")
        if isinstance(value, Decimal | float):
            return money_text(value)
        return str(value)

    def relevance_values(self) -> dict[str, Any]:
        """Names the relevance conditions read (the record, plus computed names)."""
        return {**self.values, **self.computed}

    def compute(self) -> None:
        """Hook: refresh `computed` from the current values (before relevance)."""

    def set_value(self, path: str, raw: Any) -> None:
        """A field changed in the UI: parse, store, re-evaluate relevance and errors."""
        field = self.form.field(path)
        value, problem = parse_input(field, raw)
        if problem:
            self._parse_errors[path] = problem
        else:
            self._parse_errors.pop(path, None)
        data = copy.deepcopy(dict(self.values))
        set_path(data, path, value)
        self.touched.add(path)
        self.message = ""
        self.saved = False
        self.values = data
        self.after_change(path)
        self.revalidate()

    def after_change(self, path: str) -> None:
        """Hook for derived values (ID number → birth date and sex; autosave)."""

    # -- relevance and validation ----------------------------------------------------------
    def _relevant_paths(self) -> set[str]:
        from shared_schema.forms import relevant_fields

        return relevant_fields(self.form, self.relevance_values())

    def clean_data(self) -> dict[str, Any]:
        """The record to validate and save: this entity's values minus hidden fields."""
        data = copy.deepcopy(dict(self.values))
        shown = set(self.relevant)
        for f in self.form.fields():
            if f.entity != self.entity or f.path not in shown:
                drop_path(data, f.path)
        return data

    def schema_errors(self, data: dict[str, Any]) -> dict[str, list[str]]:
        from shared_schema.schemas.records import validate_record

        return (
            validate_record(
                self.entity, data, lang=self.lang, as_of=self.as_of(), today=self.today()
            )
            or {}
        )

    def as_of(self) -> date:
        """The day age-dependent rules are checked on (the visit date, or today)."""
        return self.today()

    def revalidate(self) -> None:
        """Recompute computed values, relevance and the errors shown next to fields."""
        if not self.record_id:
            return
        self.compute()
        self.relevant = sorted(self._relevant_paths())
        data = self.clean_data()
        self._schema_errors = self.schema_errors(data)
        shown_paths = set(self.relevant)
        errors: dict[str, str] = {}
        loose: list[str] = []
        for key, messages in sorted(self._schema_errors.items()):
            text = " ".join(map(str, messages if isinstance(messages, list) else [messages]))
            target = self._field_for_error(key, shown_paths)
            if target is None:
                if self.show_all:
                    loose.append(text)
                continue
            if self.show_all or target in self.touched:
                errors[target] = f"{errors[target]} {text}" if target in errors else text
        for path, text in self.server_errors().items():
            if path not in self.touched:
                target = self._field_for_error(path, shown_paths)
                if target is None:
                    loose.append(text)
                else:
                    errors.setdefault(target, text)
        for path, (zh, en) in self._parse_errors.items():
            errors[path] = en if self.lang == "en" else zh
        self.errors = errors
        self.form_errors = loose
        self.on_revalidated()

    def server_errors(self) -> dict[str, str]:
        """Errors the server gave when it refused this record's last upload (by field), shown
        until the worker changes the field or saves the fixed record."""
        found: dict[str, str] = {}
        for rejection in self.store.rejected.for_record(self.entity, self.record_id):
            for path, messages in rejection.errors.items():
                text = " ".join(map(str, messages if isinstance(messages, list) else [messages]))
                found[path] = text
        return found

    def on_revalidated(self) -> None:
        """Hook: computed values that depend on the data (income, flags)."""

    def _field_for_error(self, key: str, shown: set[str]) -> str | None:
        if key in shown:
            return key
        # an error on an object ("income") or on a list item ("health.0") goes to its field
        for path in sorted(shown):
            if key.startswith(path + ".") or path.startswith(key + "."):
                return path
        return None

    def error_count(self) -> int:
        return len(self.errors) + len(self.form_errors)

    # -- sections --------------------------------------------------------------------------
    def go_to_section(self, index: int) -> None:
        self.section_index = max(0, min(int(index), len(self.form.sections) - 1))

    def first_error_section(self) -> int | None:
        for i, s in enumerate(self.form.sections):
            if any(f.path in self.errors for f in s.fields):
                return i
        return None

    # -- saving ----------------------------------------------------------------------------
    def validate_all(self) -> bool:
        """Show every error; True when the record may be saved."""
        self.show_all = True
        self.revalidate()
        if self._parse_errors or self._schema_errors:
            self.message = self.tr("visit.has_errors", n=max(1, self.error_count()))
            first = self.first_error_section()
            if first is not None:
                self.go_to_section(first)
            return False
        return True


class RecordFormViewModel(FormViewModel):
    """A form that saves one record when the worker says so (member, household), unlike the
    visit form's draft: it remembers the record as opened, asks on Back (`leave`), and turns
    the store's refusal into errors next to the fields."""

    form_id = ""  # the form rendered: the newest pulled definition of this id
    saved_key: str  # each form's "saved (to sync)" message (an i18n key)

    def __init__(self, store: Store, form: FormDef | None = None, **kw: Any) -> None:
        from mobile_app.forms.definition import pulled_form

        self._opened: dict[str, Any] = {}
        self._fixed_form = form is not None  # a form given here is kept (tests, previews)
        super().__init__(store, form or pulled_form(store.config, self.form_id), **kw)

    def open_record(self, record_id: str, data: dict[str, Any]) -> None:
        """Show one record afresh: the newest pulled form (over the air, issue 16), nothing
        of the previously opened record (values, computed values, errors, section)."""
        from mobile_app.forms.definition import pulled_form

        self.record_id = record_id
        if not self._fixed_form:
            self.form = pulled_form(self.store.config, self.form_id)
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
        """Whether the worker changed something since the record was opened or saved."""
        return bool(self.record_id) and dict(self.values) != self._opened

    def leave(self, choice: str) -> bool:
        """The worker's answer to "unsaved changes" on Back: `save` (True when saved; errors
        show otherwise), `discard` (the edits go, the stored record is untouched) or `stay`."""
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

    def save(self) -> bool:
        """Validate and save offline (a pending mutation); errors show next to the fields."""
        self.saved = False
        return self.validate_all() and self.store_record()

    def store_record(self) -> bool:
        """Save the form's record offline (a pending mutation); on the store's refusal the
        errors show next to the fields and False comes back."""
        from mobile_app.store import ValidationFailed

        try:
            self.store.records.save(
                self.entity,
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
        self.message = self.tr(self.saved_key)
        self.saved = True
        return True
