"""Field and value labels for the screens, from the shared labels and the shared formatter.

A field without a shared label shows its dotted path (never crashes a screen); a value of an
enumerated field shows its label in the current language.
"""

from __future__ import annotations

from typing import Any

from mobile_app.i18n import translate
from shared_schema import formatting


def field_text(entity: str, path: str, lang: str) -> str:
    """The label of a field (its path when the shared labels have none)."""
    from shared_schema.labels import field_label

    try:
        return field_label(entity, path, lang)
    except KeyError:
        return path


def code_text(enum: str, code: Any, lang: str) -> str:
    """The label of one enumeration code (the shared formatter's)."""
    return formatting.code_text(enum, code, lang)


def value_text(entity: str, path: str, value: Any, lang: str) -> str:
    """A field value as the worker reads it (the shared formatter, with the app's words for
    nothing recorded and an empty list)."""
    return formatting.format_value(
        entity,
        path,
        value,
        lang,
        blank=translate("common.unknown", lang),
        empty_list=translate("common.none", lang),
    )
