"""One widget per field kind, each a vertical box: label, input, help, and the error label
right under the input. Widgets report changes with `on_change(path, raw_value)` and show
values with `show(value)`; they never parse or validate (the view-model does).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from kivy.clock import Clock
from kivy.metrics import dp
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.stacklayout import StackLayout

from mobile_app.forms.definition import EVIDENCE_INPUTS, NUMBER_WIDGETS, shown_only
from mobile_app.i18n import translate
from mobile_app.widgets.common import COLORS, Chip, FitButton, TInput, TLabel, TSpinner
from mobile_app.widgets.datepicker import DatePicker, parse_iso
from shared_schema.enums import ENUMS
from shared_schema.forms import FieldDef

OnChange = Callable[[str, Any], None]
TEXT_COMMIT_DELAY = 0.4  # seconds of no typing before a text value is committed


class FieldBox(BoxLayout):
    """Label + input + error label for one field; `error` shows in red under the input."""

    error = StringProperty("")
    label_text = StringProperty("")
    help_text = StringProperty("")

    def __init__(self, field_def: FieldDef, lang: str, on_change: OnChange, **kw: Any) -> None:
        super().__init__(orientation="vertical", size_hint_y=None, spacing=dp(4), **kw)
        self.bind(minimum_height=self.setter("height"))
        self.field_def = field_def
        self.path = field_def.path
        self.on_change = on_change
        self.lang = lang
        self.label = TLabel(font_size="15sp", bold=True)
        self.add_widget(self.label)
        self.input = self.make_input()
        self.add_widget(self.input_row())
        self.help_label = TLabel(font_size="13sp", color=COLORS["muted"])
        self.error_label = TLabel(font_size="14sp", color=COLORS["danger"])
        self.add_widget(self.error_label)
        self.bind(error=self._show_error)
        self.relabel(lang)
        self._show_error()

    def relabel(self, lang: str) -> None:
        """Labels in a language (the input keeps its value)."""
        self.lang = lang
        unit = self.field_def.unit(lang)
        star = " *" if self.field_def.required else ""
        suffix = ""
        if unit:
            suffix = f"（{unit}）" if lang == "zh" else f" ({unit})"
        self.label.text = f"{self.field_def.label(lang)}{suffix}{star}"
        help_text = self.field_def.help(lang) or ""
        self.help_label.text = help_text
        if help_text and self.help_label.parent is None:
            self.add_widget(self.help_label, index=0)
        elif not help_text and self.help_label.parent is not None:
            self.remove_widget(self.help_label)

    def _show_error(self, *_: Any) -> None:
        self.error_label.text = self.error

    def make_input(self) -> Any:
        raise NotImplementedError

    def input_row(self) -> Any:
        """What is placed under the label: the input itself, unless a kind adds buttons."""
        return self.input

    def show(self, value: Any) -> None:
        raise NotImplementedError


class TextField(FieldBox):
    """Text, numbers, dates, phone and ID numbers: a text input committed after a pause."""

    def make_input(self) -> TInput:
        kind = self.field_def.widget
        ti = TInput(multiline=kind == "textarea")
        if kind == "textarea":
            ti.height = dp(96)
        if kind in NUMBER_WIDGETS or kind == "phone":
            ti.input_type = "number"
        if kind == "date":
            ti.hint_text = translate("common.date_hint", self.lang)
        self._trigger = Clock.create_trigger(self._commit, TEXT_COMMIT_DELAY)
        self._showing = False
        ti.bind(text=self._typed, focus=self._focus)
        ti.bind(on_text_validate=lambda *_: self._commit())
        return ti

    def _typed(self, *_: Any) -> None:
        if not self._showing:
            self._trigger()

    def _focus(self, _ti: Any, focused: bool) -> None:
        if not focused:
            self._commit()

    def _commit(self, *_: Any) -> None:
        self._trigger.cancel()
        self.on_change(self.path, self.input.text)

    def show(self, value: Any) -> None:
        text = "" if value is None else str(value)
        if self.input.text != text and not self.input.focus:
            self._showing = True
            self.input.text = text
            self._showing = False


class DateField(TextField):
    """A date typed as YYYY-MM-DD, or picked from a month calendar (`DatePicker`)."""

    def __init__(
        self,
        field_def: FieldDef,
        lang: str,
        on_change: OnChange,
        today: Callable[[], date] | None = None,
        **kw: Any,
    ) -> None:
        self.today = today or date.today
        self.picker: DatePicker | None = None
        super().__init__(field_def, lang, on_change, **kw)

    def input_row(self) -> BoxLayout:
        row = BoxLayout(size_hint_y=None, height=self.input.height, spacing=dp(6))
        self.calendar_button = FitButton(text=translate("date.open", self.lang), size_hint_x=None)
        self.calendar_button.bind(on_release=lambda *_: self.open_picker())
        row.add_widget(self.input)
        row.add_widget(self.calendar_button)
        return row

    def relabel(self, lang: str) -> None:
        super().relabel(lang)
        if hasattr(self, "calendar_button"):
            self.calendar_button.text = translate("date.open", lang)

    def open_picker(self) -> DatePicker:
        """Open the calendar on the typed date (or today) and commit the day picked."""
        today = self.today()
        initial = parse_iso(self.input.text) or today
        self.picker = DatePicker(initial, today, self.lang, self._picked)
        self.picker.open()
        return self.picker

    def _picked(self, text: str) -> None:
        self._showing = True
        self.input.text = text
        self._showing = False
        self._commit()


class SelectField(FieldBox):
    """One code of an enumeration, picked from a spinner showing labels."""

    def make_input(self) -> TSpinner:
        sp = TSpinner()
        self._codes: list[str] = []
        self._value: Any = None
        sp.bind(text=self._picked)
        self._quiet = False
        return sp

    def relabel(self, lang: str) -> None:
        super().relabel(lang)
        choices = ENUMS[self.field_def.enum].choices(lang) if self.field_def.enum in ENUMS else []
        self._codes = [c for c, _ in choices]
        self._labels = [label for _, label in choices]
        self._quiet = True
        self.input.values = self._labels
        self.show(self._value)
        self._quiet = False

    def _picked(self, _sp: Any, text: str) -> None:
        if self._quiet or text not in self._labels:
            return
        code = self._codes[self._labels.index(text)]
        self._value = code
        self.on_change(self.path, code)

    def show(self, value: Any) -> None:
        self._value = value
        self._quiet = True
        if value in self._codes:
            self.input.text = self._labels[self._codes.index(value)]
        else:
            self.input.text = translate("common.choose", self.lang)
        self._quiet = False


class MultiSelectField(FieldBox):
    """Several codes of an enumeration as toggle chips (a list value).

    A field with `max_items` caps the choice: once that many are chosen, the other chips are
    disabled and a note under them says why (untick one to choose another)."""

    def make_input(self) -> StackLayout:
        box = StackLayout(size_hint_y=None, spacing=dp(6))
        box.bind(minimum_height=box.setter("height"))
        self._chips: dict[str, Chip] = {}
        self._quiet = False
        self.limit_label = TLabel(font_size="13sp", color=COLORS["muted"])
        return box

    def input_row(self) -> BoxLayout:
        row = BoxLayout(orientation="vertical", size_hint_y=None, spacing=dp(4))
        row.bind(minimum_height=row.setter("height"))
        row.add_widget(self.input)
        if self.field_def.max_items is not None:
            row.add_widget(self.limit_label)
        return row

    def chosen(self) -> list[str]:
        """The codes ticked now, in enumeration order."""
        return [c for c, chip in self._chips.items() if chip.state == "down"]

    def relabel(self, lang: str) -> None:
        super().relabel(lang)
        selected = self.chosen()
        self.input.clear_widgets()
        self._chips = {}
        choices = ENUMS[self.field_def.enum].choices(lang) if self.field_def.enum in ENUMS else []
        for code, label in choices:
            chip = Chip(text=label, state="down" if code in selected else "normal")
            chip.bind(state=self._toggled)
            self._chips[code] = chip
            self.input.add_widget(chip)
        self._cap()

    def _toggled(self, chip: Chip, state: str) -> None:
        if self._quiet:
            return
        limit = self.field_def.max_items
        if state == "down" and limit is not None and len(self.chosen()) > limit:
            self._quiet = True
            chip.state = "normal"  # over the limit: the tap is refused, the note says why
            self._quiet = False
            self._cap()
            return
        self._cap()
        self.on_change(self.path, self.chosen())

    def _cap(self) -> None:
        """Disable unticked chips while the limit is reached; the note gives the count."""
        limit = self.field_def.max_items
        if limit is None:
            return
        count = len(self.chosen())
        full = count >= limit
        for chip in self._chips.values():
            chip.disabled = full and chip.state != "down"
        key = "form.limit_reached" if full else "form.limit"
        self.limit_label.text = translate(key, self.lang, n=limit, count=count)
        self.limit_label.color = COLORS["warn"] if full else COLORS["muted"]

    def show(self, value: Any) -> None:
        chosen = set(value or [])
        self._quiet = True
        for code, chip in self._chips.items():
            chip.state = "down" if code in chosen else "normal"
        self._quiet = False
        self._cap()


class YesNoField(FieldBox):
    """A yes/no answer as two big chips; neither pressed means not recorded."""

    value = BooleanProperty(None, allownone=True)

    def make_input(self) -> BoxLayout:
        box = BoxLayout(size_hint_y=None, height=dp(48), spacing=dp(8))
        self.yes = Chip(size_hint_x=None)
        self.no = Chip(size_hint_x=None)
        self.yes.bind(on_release=lambda *_: self._press(True))
        self.no.bind(on_release=lambda *_: self._press(False))
        box.add_widget(self.yes)
        box.add_widget(self.no)
        return box

    def relabel(self, lang: str) -> None:
        super().relabel(lang)
        self.yes.text = translate("common.yes", lang)
        self.no.text = translate("common.no", lang)
        self.yes.width = self.no.width = dp(96)

    def _press(self, answer: bool) -> None:
        self.show(answer)
        self.on_change(self.path, answer)

    def show(self, value: Any) -> None:
        self.yes.state = "down" if value is True else "normal"
        self.no.state = "down" if value is False else "normal"


class ReadOnlyField(FieldBox):
    """Computed values (net income, flags, age) and kinds this version does not capture
    (GPS, photos, timestamps set automatically): shown, never typed."""

    def make_input(self) -> TLabel:
        return TLabel(color=COLORS["text"])

    def show(self, value: Any) -> None:
        if isinstance(value, list):
            value = ", ".join(map(str, value))
        self.input.text = translate("common.unknown", self.lang) if not value else str(value)
        if self.field_def.widget == "flags":
            self.input.color = (
                COLORS["danger"] if value and value.startswith("•") else COLORS["muted"]
            )


def field_widget(
    field_def: FieldDef, lang: str, on_change: OnChange, today: Callable[[], date] | None = None
) -> FieldBox:
    """The widget for a field's kind (`today` is the device's date, for the date picker)."""
    if field_def.widget in EVIDENCE_INPUTS and not field_def.read_only:
        from mobile_app.forms import evidence_fields

        kinds = {
            "photo": evidence_fields.PhotoField,
            "signature": evidence_fields.SignatureField,
            "geopoint": evidence_fields.GeoField,
        }
        return kinds[field_def.widget](field_def, lang, on_change)
    if shown_only(field_def):
        return ReadOnlyField(field_def, lang, on_change)
    if field_def.widget == "select":
        return SelectField(field_def, lang, on_change)
    if field_def.widget == "multiselect":
        return MultiSelectField(field_def, lang, on_change)
    if field_def.widget == "checkbox":
        return YesNoField(field_def, lang, on_change)
    if field_def.widget == "date":
        return DateField(field_def, lang, on_change, today=today)
    return TextField(field_def, lang, on_change)
