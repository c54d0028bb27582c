"""How the console shows a stored value: enumeration labels, yes/no, money, lists, blanks.

Pure (no Flask). The enumeration of each field comes from the shared form definitions
(`shared_schema.forms.FORMS`), so a code is shown with the same label as on the phone; a value
no label explains (an unknown code, an object) is shown as compact JSON rather than hidden.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from shared_schema.enums import ENUMS
from shared_schema.forms import FORMS
from shared_schema.labels import FIELD_LABELS, field_label, field_unit
from sync_server.console.i18n import t

BLANK = "—"
_FORM_OF = {"visit": "visit", "member": "member", "household": "household"}


def _enum_index() -> dict[tuple[str, str], tuple[str | None, str]]:
    index: dict[tuple[str, str], tuple[str | None, str]] = {}
    for form in FORMS.values():
        for f in form.fields():
            if f.entity in _FORM_OF:
                index[(f.entity, f.path)] = (f.enum, f.widget)
    return index


FIELD_KINDS = _enum_index() | {("visit", "review_status"): ("review_status", "select")}
"""(entity, path) -> (enumeration name or None, widget) from the shared forms (plus the
server-owned review status, which no form shows)."""


def label_of(entity: str, path: str, lang: str) -> str:
    """A field's label (dotted paths too); the path itself for a field with no label."""
    if path == "_deleted":
        return t("cf.deleted_field", lang)
    try:
        return field_label(entity, path, lang)
    except KeyError:
        return path


def known_field(entity: str, path: str) -> bool:
    """True when the data model labels this field (a guard for user-chosen paths)."""
    return path in FIELD_LABELS.get(entity, {})


def _code(enum: str, code: Any, lang: str) -> str:
    enumeration = ENUMS.get(enum)
    if isinstance(code, str) and enumeration is not None and code in enumeration.codes:
        return enumeration.label(code, lang)
    return json.dumps(code, ensure_ascii=False)


def format_value(entity: str, path: str, value: Any, lang: str = "zh") -> str:
    """A stored value as text for a table cell, in `lang`."""
    if value is None or value == [] or value == "":
        return BLANK
    if path == "_deleted" and isinstance(value, bool):
        return t("hh.deleted", lang) if value else t("cf.not_deleted", lang)
    enum, widget = FIELD_KINDS.get((entity, path), (None, ""))
    if isinstance(value, bool):
        return t("common.yes" if value else "common.no", lang)
    if enum is not None:
        if isinstance(value, list):
            sep = ", " if lang == "en" else "、"
            return sep.join(_code(enum, v, lang) for v in value)
        return _code(enum, value, lang)
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        unit = field_unit(entity, path, lang)
        text = f"{Decimal(str(value)):,.2f}" if widget == "money" else f"{value:g}"
        return f"{text} {unit}" if unit else text
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return (", " if lang == "en" else "、").join(value)
    if path == "gps" and isinstance(value, dict) and {"lat", "lon"} <= set(value):
        text = f"{value['lat']}, {value['lon']}"
        if value.get("accuracy_m") is not None:
            text += f" (±{value['accuracy_m']} {'m' if lang == 'en' else '米'})"
        return text
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
