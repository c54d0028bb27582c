"""How a stored value reads to a person: the one formatter of the phone, the console and the
exports.

What a field *is* (its enumeration, its widget) comes from the shared form definitions at call
time (`shared_schema.forms.FORMS`), so a changed definition is followed everywhere without a
second description. Nothing here raises on an odd stored value: an unknown code or an object
is shown as compact JSON rather than hidden or crashing a page.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from shared_schema.enums import enumeration as shown_enumeration
from shared_schema.labels import field_unit

BLANK = "—"
YES_NO: dict[str, tuple[str, str]] = {"zh": ("是", "否"), "en": ("Yes", "No")}
SERVER_OWNED_KINDS: dict[tuple[str, str], tuple[str | None, str]] = {
    ("visit", "review_status"): ("review_status", "select"),  # set by review, on no form
    ("household", "status"): ("household_status", "select"),  # set by mark moved/merged
    ("household", "registration"): ("registration", "select"),  # set by the server/console
}

_index: tuple[tuple[int, ...], dict[tuple[str, str], tuple[str | None, str]]] | None = None
_forms: dict[str, Any] | None = None


def _kinds() -> dict[tuple[str, str], tuple[str | None, str]]:
    """(entity, path) → (enumeration, widget) of the current forms (rebuilt when FORMS change:
    the check is the forms' identities, a fraction of a microsecond per call)."""
    global _index, _forms
    if _forms is None:
        from shared_schema.forms import FORMS  # here: the rules (imported by forms) use money_text

        _forms = FORMS
    key = tuple(map(id, _forms.values()))
    if _index is None or _index[0] != key:
        kinds: dict[tuple[str, str], tuple[str | None, str]] = {}
        for form in _forms.values():
            for f in form.fields():
                if f.entity != "computed":
                    kinds.setdefault((f.entity, f.path), (f.enum, f.widget))
        _index = (key, kinds | SERVER_OWNED_KINDS)
    return _index[1]


def field_kind(entity: str, path: str) -> tuple[str | None, str]:
    """A record field's enumeration (or None) and widget; `(None, "")` for a field no form has."""
    return _kinds().get((entity, path), (None, ""))


class FieldKinds(Mapping[tuple[str, str], tuple[str | None, str]]):
    """Every form field's (enumeration, widget) by (entity, path), in form order, read live."""

    def __getitem__(self, key: tuple[str, str]) -> tuple[str | None, str]:
        return _kinds()[key]

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(_kinds())

    def __len__(self) -> int:
        return len(_kinds())


def yes_no(value: bool, lang: str = "zh") -> str:
    yes, no = YES_NO["en" if lang == "en" else "zh"]
    return yes if value else no


def list_separator(lang: str = "zh") -> str:
    return ", " if lang == "en" else "、"


def money_text(amount: Any) -> str:
    """An amount of yuan with thousands separators and two decimals: `5,400.00`."""
    try:
        number = Decimal(str(amount))
    except InvalidOperation:
        return str(amount)
    if not number.is_finite():
        return str(amount)
    return f"{number:,.2f}"


def number_text(value: int | float | Decimal) -> str:
    """A plain number without needless decimals: `20`, `37.5`."""
    number = Decimal(str(value))
    if not number.is_finite():
        return str(value)
    if number == number.to_integral_value():
        return f"{int(number)}"
    return f"{number.normalize():f}"


def code_text(enum: str | None, code: Any, lang: str = "zh") -> str:
    """The label of one code of an enumeration; the value as JSON when it is not one of its
    codes (`"martian"`: visibly not a label)."""
    enumeration = shown_enumeration(enum) if enum else None
    if isinstance(code, str) and enumeration is not None and code in enumeration.codes:
        return enumeration.label(code, lang)
    return json.dumps(code, ensure_ascii=False, default=str)


def format_value(
    entity: str,
    path: str,
    value: Any,
    lang: str = "zh",
    *,
    blank: str = BLANK,
    empty_list: str | None = None,
    units: bool = True,
) -> str:
    """A stored value as text: labels for codes, 是/否, money with two decimals (and the unit
    when `units`), lists joined, `blank` for nothing (`empty_list` for `[]` when given)."""
    if value is None or value == "":
        return blank
    if isinstance(value, list) and not value:
        return blank if empty_list is None else empty_list
    if isinstance(value, bool):
        return yes_no(value, lang)
    return _text(entity, path, value, lang, field_kind(entity, path), units)


def _text(
    entity: str, path: str, value: Any, lang: str, kind: tuple[str | None, str], units: bool
) -> str:
    enum, widget = kind
    if enum is not None:
        if isinstance(value, list):
            return list_separator(lang).join(code_text(enum, v, lang) for v in value)
        return code_text(enum, value, lang)
    if isinstance(value, int | float | Decimal):
        text = money_text(value) if widget == "money" else number_text(value)
        unit = field_unit(entity, path, lang) if units else None
        return f"{text} {unit}" if unit else text
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list_separator(lang).join(value)
    if widget in ("gps", "geopoint") and isinstance(value, dict) and {"lat", "lon"} <= set(value):
        text = f"{value['lat']}, {value['lon']}"
        if value.get("accuracy_m") is not None:
            text += f" (±{value['accuracy_m']} {'m' if lang == 'en' else '米'})"
        return text
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def export_value(
    entity: str,
    path: str,
    value: Any,
    lang: str = "zh",
    *,
    kind: tuple[str | None, str] | None = None,
) -> Any:
    """An export cell: like `format_value`, but numbers stay numbers (a spreadsheet sums them)
    and nothing is written for no value. `kind` (from `field_kind`) may be looked up once per
    column by a caller writing many rows."""
    if value is None or value == "" or (isinstance(value, list) and not value):
        return ""
    if isinstance(value, bool):
        return yes_no(value, lang)
    if kind is None:
        kind = field_kind(entity, path)
    if kind[0] is None and isinstance(value, int | float | Decimal):
        return value
    if kind[0] is None and isinstance(value, str):
        return value
    return _text(entity, path, value, lang, kind, False)
