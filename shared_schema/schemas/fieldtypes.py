"""Field types of the wire format, strict about JSON types, with localisable messages.

JSON is the wire: a number must be a JSON number (never a numeric string, never a boolean),
a flag a JSON boolean, a date a `YYYY-MM-DD` string. Error messages are filled in per schema
instance by `localize_field` (marshmallow 4 has no schema context, and the language is a
property of the schema instance, not of the class).
"""

from __future__ import annotations

import copy
import datetime as dt
import math
import re
from decimal import Decimal
from typing import Any

from marshmallow import ValidationError, fields, validate

from shared_schema.enums import ENUMS, codes_in_force
from shared_schema.messages import message
from shared_schema.schemas.bounds import BIDI_CONTROLS, latest_day

MAX_AMOUNT = 99_999_999.99
"""Largest yuan amount accepted: fits NUMERIC(10, 2), far above any household's income."""


# ---------------------------------------------------------------------------------------------
# validators (subclasses of marshmallow's, so that apispec still documents them)


class LocalizedValidator(validate.Validator):
    """A validator whose message is set by `localize(lang, label)` on each schema instance."""

    key = "invalid"
    error: str = ""

    def message_params(self, lang: str) -> dict[str, Any]:
        return {}

    def localize(self, lang: str, label: str) -> None:
        self.error = message(self.key, lang, field=label, **self.message_params(lang))

    def fail(self) -> ValidationError:
        return ValidationError(self.error)


class NotBlank(LocalizedValidator):
    """Rejects an empty or whitespace-only string."""

    key = "blank"

    def __call__(self, value: str) -> str:
        if not value.strip():
            raise self.fail()
        return value


class PlainText(LocalizedValidator):
    """No control characters: none at all on one line, only tab and line breaks in free text.

    A NUL or an escape sequence is never data a person typed; PostgreSQL text cannot even hold
    a NUL, so such a value must be a clear 422 here, not a failure at the database. Control
    characters are Unicode's `Cc`: C0, DEL and C1 (U+0080–U+009F). A line break is LF or CRLF.
    """

    key = "control_characters"
    _ONE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
    _MULTI_LINE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

    def __init__(self, *, multiline: bool = False) -> None:
        self.multiline = multiline
        self.pattern = self._MULTI_LINE if multiline else self._ONE_LINE

    def __call__(self, value: str) -> str:
        if self.pattern.search(value):
            raise self.fail()
        return value


class NoBidiControls(LocalizedValidator):
    """No bidirectional embedding, override or isolate controls (U+202A–U+202E,
    U+2066–U+2069): they make a name or a note display as something other than what it is."""

    key = "bidi_characters"
    pattern = re.compile(f"[{BIDI_CONTROLS}]")

    def __call__(self, value: str) -> str:
        if self.pattern.search(value):
            raise self.fail()
        return value


class DayBounds(LocalizedValidator):
    """A date (or a date and time, by its own calendar day) within `earliest` … today + grace.

    `today` is set per schema instance (`RecordSchema(today=...)`); without it only the fixed
    backstop applies (`bounds.latest_day`). The message names the bound, so it is built when a
    value fails, from the language and label `localize` keeps.
    """

    def __init__(self, *, earliest: dt.date) -> None:
        self.earliest = earliest
        self.today: dt.date | None = None
        self.lang, self.label = "zh", ""

    def localize(self, lang: str, label: str) -> None:
        self.lang, self.label = lang, label

    def latest(self) -> dt.date:
        return latest_day(self.today)

    def __call__(self, value: dt.date) -> dt.date:
        day = value.date() if isinstance(value, dt.datetime) else value
        if day < self.earliest:
            raise ValidationError(
                message(
                    "date_too_early",
                    self.lang,
                    field=self.label,
                    earliest=self.earliest.isoformat(),
                )
            )
        latest = self.latest()
        if day > latest:
            raise ValidationError(
                message("date_too_late", self.lang, field=self.label, latest=latest.isoformat())
            )
        return value


class TextLength(validate.Length):
    """`Length` that leaves the empty string to `NotBlank` (one clear message, not two)."""

    def __call__(self, value: Any) -> Any:
        if value == "":
            return value
        return super().__call__(value)


class FullMatch(validate.Regexp):
    """`Regexp` matching the whole string (`$` alone would accept a trailing newline)."""

    def __call__(self, value: Any) -> Any:
        pattern: re.Pattern[Any] = self.regex
        if pattern.fullmatch(value) is None:
            raise ValidationError(self._format_error(value))
        return value


class ItemCount(validate.Length):
    """`Length` for lists, with separate localized messages for too few and too many items."""

    few_error = ""
    many_error = ""

    def localize(self, lang: str, label: str) -> None:
        self.few_error = message("too_few_items", lang, field=label, min=self.min)
        self.many_error = message("too_many_items", lang, field=label, max=self.max)

    def __call__(self, value: Any) -> Any:
        if self.min is not None and len(value) < self.min:
            raise ValidationError(self.few_error)
        if self.max is not None and len(value) > self.max:
            raise ValidationError(self.many_error)
        return value


class DefinedItemCount(ItemCount):
    """At most the `max_items` the shared form definition gives a field, read when validating:
    the form model is the one place a list's limit is written (the phone caps its widget with
    the same number), and a changed definition is followed without another edit."""

    def __init__(self, entity: str, path: str) -> None:
        self.entity, self.path = entity, path
        super().__init__(min=None, max=self.max)

    @property
    def max(self) -> int | None:
        from shared_schema.forms import form_field  # the forms import the rules, not schemas

        found = form_field(self.entity, self.path)
        return found.max_items if found is not None else None

    @max.setter
    def max(self, _value: Any) -> None:
        """Always the definition's."""


class EnumChoice(validate.OneOf):
    """`OneOf` the codes of a shared enumeration, read when validating (an option added to the
    enumeration is accepted at once): the shipped codes, or those of the configuration version
    the server set for this record (`shared_schema.enums.codes_in_force`;
    docs/rules-and-forms.md "Published configurations")."""

    def __init__(self, enum_name: str) -> None:
        self.enum_name = enum_name
        super().__init__(ENUMS[enum_name].codes)

    @property  # type: ignore[override]
    def choices(self) -> tuple[str, ...]:
        return tuple(codes_in_force(self.enum_name))

    @choices.setter
    def choices(self, _value: Any) -> None:
        """Always the enumeration's."""

    @property
    def choices_text(self) -> str:
        return ", ".join(self.choices)

    @choices_text.setter
    def choices_text(self, _value: Any) -> None:
        """Always the enumeration's."""


class Unique(LocalizedValidator):
    """A list without repeated items."""

    key = "duplicate_items"

    def __call__(self, value: list[Any]) -> list[Any]:
        if len(set(value)) != len(value):
            raise self.fail()
        return value


class Sha256Hex(LocalizedValidator):
    """A SHA-256 in exactly 64 lowercase hex digits (a file's only name, PROTOCOL.md)."""

    key = "hash_format"
    _SHAPE = re.compile(r"[0-9a-f]{64}")

    def __call__(self, value: str) -> str:
        if self._SHAPE.fullmatch(value) is None:
            raise self.fail()
        return value


class Cents(LocalizedValidator):
    """At most two decimal places (1.005 is rejected; 12.5 and 3 are fine)."""

    key = "too_many_decimals"

    def __call__(self, value: int | float) -> int | float:
        if isinstance(value, int):
            return value  # whole yuan (and no repr of a huge integer)
        exponent = Decimal(repr(value)).as_tuple().exponent
        if isinstance(exponent, int) and exponent < -2:
            raise self.fail()
        return value


class Alone(LocalizedValidator):
    """A code that cannot be combined with others in the same list (`healthy`)."""

    key = "healthy_alone"

    def __init__(self, enum_name: str, code: str) -> None:
        self.enum_name, self.code = enum_name, code

    def message_params(self, lang: str) -> dict[str, Any]:
        return {"healthy": ENUMS[self.enum_name].label(self.code, lang)}

    def __call__(self, value: list[str]) -> list[str]:
        if self.code in value and len(value) > 1:
            raise self.fail()
        return value


# ---------------------------------------------------------------------------------------------
# field types


def _as_list(validators: Any) -> list[Any]:
    if validators is None:
        return []
    return list(validators) if isinstance(validators, list | tuple) else [validators]


class _Validated(fields.Field):
    """Runs the validators directly while they pass (a record loads some 40 fields, a push
    500 records); the first failure hands over to marshmallow's `And`, which runs them all
    again and gathers exactly the messages it always did (validators are pure)."""

    def _validate(self, value: Any) -> None:
        try:
            for validator in self.validators:
                validator(value)
        except ValidationError:
            super()._validate(value)


class Text(_Validated, fields.String):
    """A string of bounded length without control characters; `min_length=1` also rejects a
    blank one; `multiline` (notes, comments) allows tabs and line breaks."""

    def __init__(
        self, *, min_length: int = 0, max_length: int, multiline: bool = False, **kwargs: Any
    ) -> None:
        validators: list[Any] = [
            PlainText(multiline=multiline),
            NoBidiControls(),
            TextLength(min=min_length or None, max=max_length),
        ]
        if min_length:
            validators.insert(0, NotBlank())
        super().__init__(validate=validators, **kwargs)


class Phone(_Validated, fields.String):
    """A mainland mobile number: 11 ASCII digits starting with 1."""

    PATTERN = r"^1[0-9]{10}$"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(validate=[FullMatch(self.PATTERN)], **kwargs)


class Code(_Validated, fields.String):
    """One code of a `shared_schema.enums` enumeration."""

    def __init__(self, enum_name: str, **kwargs: Any) -> None:
        self.enum_name = enum_name
        metadata = {"enum_name": enum_name, **kwargs.pop("metadata", {})}
        super().__init__(validate=[EnumChoice(enum_name)], metadata=metadata, **kwargs)


class CodeList(_Validated, fields.List):
    """A list of distinct codes of one enumeration (a single value for merging)."""

    def __init__(
        self,
        enum_name: str,
        *,
        min_items: int | None = None,
        max_items: int | None = None,
        defined_by: tuple[str, str] | None = None,
        extra: tuple[Any, ...] = (),
        **kwargs: Any,
    ) -> None:
        """`defined_by` (entity, path): the limit is the shared form field's `max_items`."""
        validators: list[Any] = [Unique(), *extra]
        if min_items is not None or max_items is not None:
            validators.insert(0, ItemCount(min=min_items, max=max_items))
        if defined_by is not None:
            validators.insert(0, DefinedItemCount(*defined_by))
        super().__init__(Code(enum_name), validate=validators, **kwargs)


class Flag(_Validated, fields.Boolean):
    """A JSON boolean, nothing else (no "yes", 1 or "true")."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


def _json_number(field: fields.Field, value: Any) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise field.make_error("invalid")
    if isinstance(value, float) and not math.isfinite(value):
        raise field.make_error("special")
    return value


class Quantity(_Validated, fields.Float):
    """A JSON number (int or float), kept as given: an int stays an int on the wire."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> int | float:
        return _json_number(self, value)

    def _format_num(self, value: Any) -> Any:
        if isinstance(value, Decimal):
            return int(value) if value == value.to_integral_value() else float(value)
        return value


class Amount(Quantity):
    """A yuan amount: ≥ 0, at most two decimals, at most `MAX_AMOUNT`."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(validate=[validate.Range(min=0, max=MAX_AMOUNT), Cents()], **kwargs)


class Count(_Validated, fields.Integer):
    """A JSON integer (an integral float such as 3.0 is taken as 3)."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> int:
        number = _json_number(self, value)
        if isinstance(number, float):
            if not number.is_integer():
                raise self.make_error("invalid")
            return int(number)
        return number


class Day(_Validated, fields.Date):
    """A calendar date, exactly `YYYY-MM-DD` on the wire; with `earliest`, also no later than
    today plus the grace day (`DayBounds`)."""

    _SHAPE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

    def __init__(self, *, earliest: dt.date | None = None, **kwargs: Any) -> None:
        if earliest is not None:
            kwargs["validate"] = [DayBounds(earliest=earliest), *_as_list(kwargs.get("validate"))]
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> dt.date:
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        if not isinstance(value, str) or self._SHAPE.fullmatch(value) is None:
            raise self.make_error("invalid")
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise self.make_error("invalid") from None


class Moment(_Validated, fields.DateTime):
    """A date and time in ISO 8601 extended form (with or without a UTC offset).

    `YYYY-MM-DDTHH:MM[:SS[.ffffff]]` then optionally `Z` or `±HH:MM`. Python's `fromisoformat`
    alone would also take a bare date or the basic form (`20240520T0930`), which no client
    sends and which would compare wrongly with a real time.
    """

    _SHAPE = re.compile(
        r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?"
        r"(Z|[+-][0-9]{2}:[0-9]{2})?"
    )

    def __init__(self, *, earliest: dt.date | None = None, **kwargs: Any) -> None:
        if earliest is not None:
            kwargs["validate"] = [DayBounds(earliest=earliest), *_as_list(kwargs.get("validate"))]
        super().__init__(format="iso", **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> dt.datetime:
        if isinstance(value, dt.datetime):
            return value
        if not isinstance(value, str) or self._SHAPE.fullmatch(value) is None:
            raise self.make_error("invalid")
        try:
            return dt.datetime.fromisoformat(value)
        except ValueError:
            raise self.make_error("invalid") from None


# ---------------------------------------------------------------------------------------------
# localisation


def _type_key(field: fields.Field) -> str:
    """The messages.py key for a wrong JSON type of this field."""
    kinds: tuple[tuple[type, str], ...] = (
        (fields.Nested, "not_an_object"),
        (fields.List, "not_a_list"),
        (fields.UUID, "not_a_uuid"),
        (fields.Date, "not_a_date"),
        (fields.DateTime, "not_a_datetime"),
        (fields.Boolean, "not_a_boolean"),
        (fields.Integer, "not_an_integer"),
        (fields.Number, "not_a_number"),
        (fields.String, "not_a_string"),
    )
    for cls, key in kinds:
        if isinstance(field, cls):
            return key
    return "invalid"


def _validator_message(validator: Any, field: fields.Field, lang: str, label: str) -> str | None:
    """The localized `error` for one of marshmallow's own validators (None: leave it)."""
    if isinstance(validator, validate.OneOf):
        enum_name = getattr(field, "enum_name", None)
        if enum_name is None:
            choices = ", ".join(validator.choices)
        elif lang == "zh":
            choices = "、".join(f"{c}（{lbl}）" for c, lbl in ENUMS[enum_name].choices(lang))
        else:
            choices = ", ".join(f"{c} ({lbl})" for c, lbl in ENUMS[enum_name].choices(lang))
        return message("invalid_choice", lang, field=label, choices=choices)
    if isinstance(validator, validate.Length):
        low, high = validator.min, validator.max
        if low is not None and high is not None:
            return message("length_between", lang, field=label, min=low, max=high)
        return message("length_max", lang, field=label, max=high)
    if isinstance(validator, validate.Range):
        low, high = validator.min, validator.max
        if low is not None and high is not None:
            return message("range_between", lang, field=label, min=low, max=high)
        if low is not None:
            return message("range_min", lang, field=label, min=low)
        return message("range_max", lang, field=label, max=high)
    if isinstance(validator, validate.Regexp):
        return message("phone_format", lang, field=label)
    return None


def localize_field(field: fields.Field, lang: str, label: str) -> None:
    """Rewrites a field's messages (its own copies of them) in `lang`, naming it by `label`."""
    type_message = message(_type_key(field), lang, field=label)
    localized: dict[str, Any] = {}
    for key in field.error_messages:
        if key == "required":
            localized[key] = message("required", lang, field=label)
        elif key == "null":
            localized[key] = message("null", lang, field=label)
        elif key == "special":
            localized[key] = message("not_finite", lang, field=label)
        elif key == "validator_failed":
            localized[key] = message("invalid", lang, field=label)
        else:
            localized[key] = type_message
    if isinstance(field, fields.Number):
        # NaN and infinities: every number field (Integer has no such message of its own)
        localized["special"] = message("not_finite", lang, field=label)
    field.error_messages = localized
    # marshmallow copies fields shallowly per schema instance, so validator objects are shared
    # by every instance: localise private copies, or two languages would race each other.
    field.validators = [copy.copy(v) for v in field.validators]
    for validator in field.validators:
        if isinstance(validator, LocalizedValidator | ItemCount):
            validator.localize(lang, label)
        else:
            text = _validator_message(validator, field, lang, label)
            if text is not None:
                validator.error = text  # type: ignore[attr-defined]
    if isinstance(field, fields.List):
        localize_field(field.inner, lang, label)


def text_errors(
    value: str,
    *,
    label: str,
    lang: str = "zh",
    max_length: int,
    multiline: bool = False,
    min_length: int = 0,
) -> list[str]:
    """The messages a `Text` field of these settings gives `value` (empty: acceptable).

    For text typed outside a record (a review comment, a case's reason, an admin form): the
    same kinds as the record fields — no control characters (multi-line: tab and line breaks
    only), no bidirectional overrides, bounded length — and the same localized messages.
    """
    field = Text(min_length=min_length, max_length=max_length, multiline=multiline)
    localize_field(field, lang, label)
    try:
        field.deserialize(value)
    except ValidationError as exc:
        messages = exc.messages
        return [str(m) for m in messages] if isinstance(messages, list) else [str(messages)]
    return []
