"""How the console shows a stored value: the shared formatter (`shared_schema.formatting`,
also the phone's and the exports'), plus the console's words for a deleted record.

Pure (no Flask). Enumerations and widgets come from the shared form definitions at call time,
so a code is shown with the same label as on the phone; a value no label explains (an unknown
code, an object) is shown as compact JSON rather than hidden. A value outside its field's
bounds (stored before the schema bounded it, docs/console.md "Values out of range") is shown
as it is — a number past 10^15 compactly, `1e+400` — and marked "out of range".
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any

from marshmallow import fields, validate

from shared_schema.formatting import BLANK, FieldKinds, field_kind
from shared_schema.formatting import format_value as shared_format_value
from shared_schema.labels import FIELD_LABELS, field_label, field_unit
from shared_schema.rules.context import read_date
from shared_schema.schemas.bounds import BACKSTOP_DAY
from shared_schema.schemas.fieldtypes import DayBounds
from shared_schema.schemas.records import SCHEMAS
from shared_schema.timefmt import format_datetime
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


def format_value(
    entity: str, path: str, value: Any, lang: str = "zh", *, zone: tzinfo | None = None
) -> str:
    """A stored value as text for a table cell, in `lang` (the shared formatter), marked when
    it is out of its field's bounds; a moment (a `datetime` field such as a visit's start) on
    the deployment's clock when `zone` is given, in the human format."""
    if path == "_deleted" and isinstance(value, bool):
        return t("hh.deleted", lang) if value else t("cf.not_deleted", lang)
    mark = t("common.out_of_range", lang)
    if out_of_range(entity, path, value):
        number = as_decimal(value)
        if number is not None and (not number.is_finite() or abs(number) >= LARGE):
            unit = field_unit(entity, path, lang)
            text = compact_number(number)
            return (f"{text} {unit}" if unit else text) + mark
        return shared_format_value(entity, path, value, lang, blank=BLANK) + mark
    if zone is not None and isinstance(value, str) and field_kind(entity, path)[1] == "datetime":
        try:
            moment = datetime.fromisoformat(value)
            if moment.tzinfo is not None:
                return format_datetime(moment, zone, lang)
        except (ValueError, OverflowError):
            pass  # not a moment, or one no clock can show (year 9999 + 8 h): shown as stored
    text = shared_format_value(entity, path, value, lang, blank=BLANK)
    if isinstance(value, dict) and any(
        out_of_range(entity, f"{path}.{k}", v) for k, v in value.items()
    ):
        return text + mark  # an object (gps) holding an out-of-range part
    return text


LARGE = Decimal(10) ** 15
"""From this magnitude a number out of range is shown in scientific notation."""

Bound = tuple[str, Any, Any]


def _bounds_index() -> dict[tuple[str, str], Bound]:
    """(entity, path) -> ("number", low, high) or ("date", earliest, latest) from the schemas'
    own `Range` and `DayBounds` validators (one definition of every bound)."""
    index: dict[tuple[str, str], Bound] = {}

    def walk(entity: str, schema_class: Any, prefix: str) -> None:
        for name, field in schema_class._declared_fields.items():
            path = prefix + name
            if isinstance(field, fields.Nested):
                walk(entity, field.nested, path + ".")
            elif isinstance(field, fields.Number):
                for v in field.validators:
                    if isinstance(v, validate.Range):
                        index[(entity, path)] = ("number", v.min, v.max)
            elif isinstance(field, fields.Date | fields.DateTime):
                for v in field.validators:
                    if isinstance(v, DayBounds):
                        index[(entity, path)] = ("date", v.earliest, BACKSTOP_DAY)

    for entity, schema_class in SCHEMAS.items():
        walk(entity, schema_class, "")
    return index


BOUNDS = _bounds_index()
"""Where a stored value can be out of range."""


def out_of_range(entity: str, path: str, value: Any) -> bool:
    """True when a stored value of a bounded field could not be accepted: a number outside its
    range or not a finite number, a date outside its bounds or not a date."""
    bound = BOUNDS.get((entity, path))
    if bound is None or value is None:
        return False
    kind, low, high = bound
    if kind == "date":
        day = read_date(value)
        return day is None or not low <= day <= high
    number = as_decimal(value)
    if number is None or not number.is_finite():
        return True
    return (low is not None and number < low) or (high is not None and number > high)


def as_decimal(value: Any) -> Decimal | None:
    """A stored number as a Decimal (NaN and infinities kept), None when it is not a number."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    try:
        return value if isinstance(value, Decimal) else Decimal(str(value))
    except (ValueError, InvalidOperation):  # an integer past Python's str() digit limit
        return Decimal("Infinity") if value > 0 else Decimal("-Infinity")


def compact_number(number: Decimal) -> str:
    """`1e+400`, `-1.5e+300`, `nan`: six significant digits, no float conversion."""
    if not number.is_finite():
        return str(number).lower()
    mantissa, _, exponent = f"{number:.6g}".partition("e")
    if "." in mantissa:
        mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{exponent}" if exponent else mantissa
