"""How the console shows a stored value: the shared formatter (`shared_schema.formatting`,
also the phone's and the exports'), plus the console's words for a deleted record.

Pure (no Flask). Enumerations and widgets come from the shared form definitions at call time,
so a code is shown with the same label as on the phone; a value no label explains (an unknown
code, an object) is shown as compact JSON rather than hidden.
"""

from __future__ import annotations

from typing import Any

from shared_schema.formatting import BLANK, FieldKinds
from shared_schema.formatting import format_value as shared_format_value
from shared_schema.labels import FIELD_LABELS, field_label
from sync_server.console.i18n import t

__all__ = ["BLANK", "FIELD_KINDS", "format_value", "known_field", "label_of"]

FIELD_KINDS = FieldKinds()
"""(entity, path) -> (enumeration name or None, widget), read live from the shared forms (plus
the server-owned review status, which no form shows)."""


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


def format_value(entity: str, path: str, value: Any, lang: str = "zh") -> str:
    """A stored value as text for a table cell, in `lang` (the shared formatter)."""
    if path == "_deleted" and isinstance(value, bool):
        return t("hh.deleted", lang) if value else t("cf.not_deleted", lang)
    return shared_format_value(entity, path, value, lang, blank=BLANK)
