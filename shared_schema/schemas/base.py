"""The base of the record schemas: language, `as_of`, origin, and cross-field rule plumbing.

marshmallow 4 has no schema context, so a schema instance carries its own settings:
`lang` ("zh" | "en") for every message, `as_of` (the date age rules are judged on; None skips
them — shared code never reads the clock), `today` (the caller's date, bounding dates per
`bounds.latest_day`; None leaves only the fixed backstop) and `origin` ("client" |
"server": who may write the server-owned fields). Nested parts (income, water, gps) are
instantiated with the same settings.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any, ClassVar

from marshmallow import RAISE, Schema, ValidationError, fields

from shared_schema.enums import check_lang
from shared_schema.labels import field_label
from shared_schema.messages import message
from shared_schema.schemas.fieldtypes import DayBounds, localize_field

ORIGINS: tuple[str, ...] = ("client", "server")


class RecordSchema(Schema):
    """A record (or a nested part of one) in the wire format, with localized messages."""

    entity: ClassVar[str] = ""
    server_owned: ClassVar[tuple[str, ...]] = ()
    uses_as_of: ClassVar[bool] = False
    """Whether a rule of this schema or of a nested part reads `as_of`; one that does not
    validates alike on every date, so a cache can share one instance across dates."""
    uses_today: ClassVar[bool] = False
    """Whether a field of this schema is bounded by `today` (a `DayBounds` validator)."""

    class Meta:
        unknown = RAISE

    def __init__(
        self,
        *,
        lang: str = "zh",
        as_of: date | None = None,
        today: date | None = None,
        origin: str = "client",
        path_prefix: str = "",
        **kwargs: Any,
    ) -> None:
        if origin not in ORIGINS:
            raise ValueError(f"origin must be one of {ORIGINS}, not {origin!r}")
        if as_of is not None and (not isinstance(as_of, date) or isinstance(as_of, datetime)):
            # a datetime's day depends on the time zone: the caller picks the day
            raise TypeError("as_of must be a datetime.date (not a datetime) or None")
        if today is not None and (not isinstance(today, date) or isinstance(today, datetime)):
            raise TypeError("today must be a datetime.date (not a datetime) or None")
        self.lang = check_lang(lang)
        self.as_of = as_of
        self.today = today
        self.origin = origin
        self.path_prefix = path_prefix
        super().__init__(**kwargs)
        self.error_messages = {
            **self.error_messages,
            "unknown": message("unknown_field", lang),
            "type": (
                message("not_an_object", lang, field=self.label(path_prefix.rstrip(".")))
                if path_prefix
                else message("record_type", lang)
            ),
        }
        for name, field in self.declared_fields.items():
            path = path_prefix + name
            if isinstance(field, fields.Nested):
                nested_class = field.nested
                if not (isinstance(nested_class, type) and issubclass(nested_class, RecordSchema)):
                    raise TypeError(f"{path}: nested parts must be RecordSchema classes")
                field.nested = nested_class(
                    lang=lang, as_of=as_of, today=today, origin=origin, path_prefix=path + "."
                )
            elif isinstance(field, fields.List) and isinstance(field.inner, fields.Nested):
                item_class = field.inner.nested  # a list of objects: each item is a part too
                if not (isinstance(item_class, type) and issubclass(item_class, RecordSchema)):
                    raise TypeError(f"{path}: nested parts must be RecordSchema classes")
                field.inner.nested = item_class(
                    lang=lang, as_of=as_of, origin=origin, path_prefix=path + "."
                )
            localize_field(field, lang, self.label(path))
            for validator in field.validators:  # private copies (localize_field)
                if isinstance(validator, DayBounds):
                    validator.today = today

    def handle_error(self, error: ValidationError, data: Any, *, many: bool, **kwargs: Any) -> None:
        """Names each unknown field in its message (marshmallow's is one fixed string)."""
        messages = error.messages
        if not isinstance(messages, dict) or not isinstance(data, Mapping):
            return
        generic = [self.error_messages["unknown"]]
        for key, texts in messages.items():
            if isinstance(key, str) and key not in self.fields and texts == generic:
                messages[key] = [self.msg("unknown_field_named", name=self.path_prefix + key)]

    # -- helpers for rules -----------------------------------------------------------------

    def label(self, path: str) -> str:
        """The label of a field of this record in the schema's language."""
        return field_label(self.entity, path, self.lang)

    def msg(self, key: str, **params: Any) -> str:
        return message(key, self.lang, **params)

    def checkable(
        self,
        data: Mapping[str, Any],
        original: Any,
        names: Iterable[str],
        partial: Any,
    ) -> bool:
        """Whether a cross-field rule over `names` can be judged.

        Not when one of the fields already failed on its own (its own message says enough),
        nor, on a partial load, when one of them is not part of the change: the rule is then
        judged on the merged record (`validate_record`).
        """
        if not isinstance(original, Mapping):
            return False
        for name in names:
            if name in original and name not in data:
                return False
            if partial and name not in original:
                return False
        return True


class RuleErrors:
    """Collects cross-field errors by field name and raises them together."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, name: str, text: str) -> None:
        self.errors.setdefault(name, []).append(text)

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)
