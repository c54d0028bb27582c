"""Field and value labels for the screens, from the shared labels and enumerations.

A field without a shared label shows its dotted path (never crashes a screen); a value of an
enumerated field shows its label in the current language.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from mobile_app.i18n import translate

# Fields whose enumeration is not named like the field itself.
FIELD_ENUMS: dict[tuple[str, str], str] = {
    ("member", "status"): "member_status",
    ("visit", "water.source"): "water_source",
    ("visit", "risks"): "risk",
}


def enum_name(entity: str, path: str) -> str | None:
    """The enumeration a field's codes come from, or None for a free field."""
    from shared_schema.enums import ENUMS

    name = FIELD_ENUMS.get((entity, path), path.rsplit(".", 1)[-1])
    return name if name in ENUMS else None


def field_text(entity: str, path: str, lang: str) -> str:
    """The label of a field (its path when the shared labels have none)."""
    from shared_schema.labels import field_label

    try:
        return field_label(entity, path, lang)
    except KeyError:
        return path


def code_text(enum: str, code: Any, lang: str) -> str:
    """The label of one enumeration code (the code itself when unknown)."""
    from shared_schema.enums import ENUMS

    try:
        return ENUMS[enum].label(str(code), lang)
    except KeyError:
        return str(code)


def value_text(entity: str, path: str, value: Any, lang: str) -> str:
    """A field value as the worker reads it: labels for codes, 是/否 for booleans."""
    if value is None or value == "":
        return translate("common.unknown", lang)
    if isinstance(value, bool):
        return translate("common.yes" if value else "common.no", lang)
    enum = enum_name(entity, path)
    if isinstance(value, list):
        if not value:
            return translate("common.none", lang)
        sep = "、" if lang == "zh" else ", "
        return sep.join(code_text(enum, v, lang) if enum else str(v) for v in value)
    if enum:
        return code_text(enum, value, lang)
    if isinstance(value, float | Decimal):
        return f"{value:,.2f}"
    return str(value)
