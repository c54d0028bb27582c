"""Fast record checks compiled from the marshmallow schemas themselves (issue 13).

marshmallow stays the one source of truth: it defines the fields, their validators and the
cross-field rules, it writes every error message and the OpenAPI document. This module reads a
schema instance's own field objects, validator objects and `@validates_schema` / `@post_load`
hooks once, and compiles one plain function per field that does exactly what marshmallow's
`Field.deserialize` does for the JSON a record can hold — without the error store, the getter
closures and the keyword plumbing that make `Schema.load` slow. The validators and the rules
that run are the schema's own objects and methods (not copies of their logic), so a change to
a bound or a rule changes both paths at once.

Whenever the compiled path meets anything it was not built for — a value of another type, a
field or validator kind it does not know, a failing check — it gives up and marshmallow loads
the record, so errors (and their messages in the caller's language) are always marshmallow's.
`tests/shared_schema/test_fast_checks.py` proves with Hypothesis that both accept, reject and
normalise alike, valid and invalid input, the bounds included.

Records are checked one at a time: marshmallow's `many=True` skips every
`skip_on_field_errors=True` rule of *all* items once *one* item has a field error, so a batch
must never be loaded as a list.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
import threading
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate
from marshmallow.decorators import POST_LOAD, PRE_LOAD, VALIDATES, VALIDATES_SCHEMA
from marshmallow.utils import missing

from shared_schema.schemas.base import RecordSchema
from shared_schema.schemas.fieldtypes import (
    Amount,
    Code,
    CodeList,
    Count,
    Day,
    Flag,
    FullMatch,
    ItemCount,
    Moment,
    NoBidiControls,
    NotBlank,
    Phone,
    PlainText,
    Quantity,
    Text,
    TextLength,
    Unique,
    localize_field,
)
from shared_schema.schemas.records import SCHEMAS, flatten_errors, schema_for

Checker = Callable[[Any], Any]
"""A compiled field or record check: the loaded value, or `FAIL`."""


class _Fail:
    """The compiled path cannot vouch for this value (marshmallow decides)."""

    def __repr__(self) -> str:
        return "FAIL"


FAIL: Any = _Fail()


class NotCompilable(Exception):
    """A schema uses something the compiler does not know; it is always loaded by marshmallow."""


# -- values --------------------------------------------------------------------------------


def _string(value: Any) -> Any:
    return value if isinstance(value, str) else FAIL


def _flag(value: Any) -> Any:
    return value if isinstance(value, bool) else FAIL


def _quantity(value: Any) -> Any:
    kind = type(value)
    if kind is int or (kind is float and math.isfinite(value)):
        return value
    return FAIL


def _count(value: Any) -> Any:
    kind = type(value)
    if kind is int:
        return value
    if kind is float and math.isfinite(value) and value.is_integer():
        return int(value)
    return FAIL


def _day(value: Any) -> Any:
    if type(value) is dt.date:
        return value
    if not isinstance(value, str) or Day._SHAPE.fullmatch(value) is None:
        return FAIL
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return FAIL


def _moment(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str) or Moment._SHAPE.fullmatch(value) is None:
        return FAIL
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        return FAIL


def _field_own(field: fields.Field) -> Checker:
    """The field's own `_deserialize` (marshmallow's code, minus the error plumbing)."""

    def convert(value: Any) -> Any:
        try:
            return field._deserialize(value, None, None)
        except ValidationError:
            return FAIL

    return convert


_SCALARS: dict[type, Checker] = {
    fields.String: _string,  # plain strings checked by their validators (attachments' sha256, mime)
    Text: _string,
    Phone: _string,
    Code: _string,
    Flag: _flag,
    Quantity: _quantity,
    Amount: _quantity,
    Count: _count,
    Day: _day,
    Moment: _moment,
}
"""The `_deserialize` of each field class, for JSON input (exact classes: a subclass may
deserialize differently and is not compilable until it is listed here)."""


# -- fields --------------------------------------------------------------------------------


Predicate = Callable[[Any], bool]


def _length_ok(low: int | None, high: int | None, equal: int | None) -> Predicate:
    """`validate.Length.__call__` as a predicate."""
    if equal is not None:
        return lambda value: len(value) == equal

    def ok(value: Any) -> bool:
        length = len(value)
        return (low is None or length >= low) and (high is None or length <= high)

    return ok


def _range_ok(validator: validate.Range) -> Predicate:
    """`validate.Range.__call__` as a predicate (same bounds, same inclusiveness)."""
    low, high = validator.min, validator.max
    low_in, high_in = validator.min_inclusive, validator.max_inclusive

    def ok(value: Any) -> bool:
        if low is not None and (value < low if low_in else value <= low):
            return False
        return not (high is not None and (value > high if high_in else value >= high))

    return ok


def _predicate(validator: Any) -> Predicate:
    """One of the field's validator objects as a predicate: the common kinds read from the
    object's own settings (pattern, bounds, choices), any other one called as it is."""
    kind = type(validator)
    if kind in (PlainText, NoBidiControls):
        search = validator.pattern.search
        return lambda value: search(value) is None
    if kind is NotBlank:
        return lambda value: bool(value.strip())
    if kind is TextLength:
        length_ok = _length_ok(validator.min, validator.max, validator.equal)
        return lambda value: value == "" or length_ok(value)
    if kind is ItemCount:
        return _length_ok(validator.min, validator.max, None)
    if kind is validate.Range:
        return _range_ok(validator)
    if kind is FullMatch:
        fullmatch = validator.regex.fullmatch
        return lambda value: fullmatch(value) is not None
    if kind is validate.OneOf and all(isinstance(c, str) for c in validator.choices):
        choices = frozenset(validator.choices)
        return lambda value: isinstance(value, str) and value in choices
    if kind is Unique:
        return lambda value: len(set(value)) == len(value)

    def call(value: Any) -> bool:
        try:
            return validator(value) is not False
        except ValidationError:
            return False

    return call


def _with_validators(convert: Checker, validators: list[Any]) -> Checker:
    """`convert` then the field's own validators, as `Field._validate` runs them."""
    if not validators:
        return convert
    predicates = tuple(_predicate(v) for v in validators)

    def check(value: Any) -> Any:
        out = convert(value)
        if out is FAIL:
            return FAIL
        for ok in predicates:
            if not ok(out):
                return FAIL
        return out

    return check


def _compile_field(field: fields.Field, partial: bool) -> Checker:
    if field.data_key is not None or field.attribute is not None:
        raise NotCompilable(f"{field!r}: data_key/attribute")
    if field.load_default is not missing:
        raise NotCompilable(f"{field!r}: load_default")
    kind = type(field)
    if kind in _SCALARS:
        convert = _SCALARS[kind]
    elif kind is fields.UUID:
        convert = _field_own(field)
    elif kind in (fields.List, CodeList):
        assert isinstance(field, fields.List)
        inner = _compile_field(field.inner, partial)

        def convert(value: Any, inner: Checker = inner) -> Any:
            if type(value) is not list:
                return FAIL
            out = [inner(item) for item in value]
            return FAIL if any(item is FAIL for item in out) else out

    elif kind is fields.Nested:
        assert isinstance(field, fields.Nested)
        nested = field.nested
        if not isinstance(nested, RecordSchema):
            raise NotCompilable(f"{field!r}: nested is not a RecordSchema instance")
        convert = _compile_schema(nested, partial)
    else:
        raise NotCompilable(f"{field!r}: field class {kind.__name__}")
    check = _with_validators(convert, list(field.validators))
    allow_none = field.allow_none

    def load(value: Any) -> Any:
        if value is None:
            return None if allow_none else FAIL
        return check(value)

    return load


# -- schemas -------------------------------------------------------------------------------


def _hooks(schema: Schema, tag: str) -> list[tuple[Callable[..., Any], bool]]:
    """The schema's own hook methods of `tag`, with their `pass_original`."""
    found = []
    for attr_name, pass_collection, kwargs in schema._hooks[tag]:
        if pass_collection:
            raise NotCompilable(f"{attr_name}: a pass_collection hook")
        found.append((getattr(schema, attr_name), bool(kwargs.get("pass_original", False))))
    return found


def _compile_schema(schema: Schema, partial: bool) -> Checker:
    """One record (or nested part): every field, unknown keys, then the schema's own rules
    and post-load processors, called as `Schema._do_load` calls them."""
    if schema._hooks[PRE_LOAD] or schema._hooks[VALIDATES]:
        raise NotCompilable(f"{type(schema).__name__}: pre_load or field @validates hooks")
    if schema.unknown != RAISE:
        raise NotCompilable(f"{type(schema).__name__}: unknown={schema.unknown}")
    plan = [
        (name, _compile_field(field, partial), field.required)
        for name, field in schema.load_fields.items()
    ]
    known = frozenset(schema.load_fields)
    rules = _hooks(schema, VALIDATES_SCHEMA)
    post_loads = _hooks(schema, POST_LOAD)
    hook_kwargs = {"partial": partial, "many": False, "unknown": schema.unknown}

    def check(data: Any) -> Any:
        if not isinstance(data, Mapping):
            return FAIL
        for key in data:
            if key not in known:
                return FAIL
        out: dict[str, Any] = {}
        for name, load, required in plan:
            if name not in data:
                if required and not partial:
                    return FAIL
                continue
            value = load(data[name])
            if value is FAIL:
                return FAIL
            out[name] = value
        try:
            for rule, pass_original in rules:
                if pass_original:
                    rule(out, data, **hook_kwargs)
                else:
                    rule(out, **hook_kwargs)
            result: Any = out
            for processor, pass_original in post_loads:
                if pass_original:
                    result = processor(result, data, **hook_kwargs)
                else:
                    result = processor(result, **hook_kwargs)
        except ValidationError:
            return FAIL
        return result

    return check


# -- front door ----------------------------------------------------------------------------


def _schema_settings(
    entity: str, as_of: dt.date | None, today: dt.date | None
) -> tuple[dt.date | None, dt.date | None]:
    """Drop the dates no rule or field of the entity reads (fewer compiled variants)."""
    schema_class = SCHEMAS[entity]
    return (as_of if schema_class.uses_as_of else None, today if schema_class.uses_today else None)


@lru_cache(maxsize=128)
def _compiled(
    entity: str,
    as_of: dt.date | None,
    today: dt.date | None,
    partial: bool,
    origin: str,
) -> tuple[Schema, Checker | None]:
    schema = schema_for(entity, lang="en", as_of=as_of, today=today, partial=partial, origin=origin)
    try:
        return schema, _compile_schema(schema, partial)
    except NotCompilable:
        return schema, None


_BUILD = threading.Lock()


def _own_field(field: fields.Field) -> None:
    field.validators = [copy.copy(v) for v in field.validators]
    if isinstance(field, fields.List):
        field.inner = copy.copy(field.inner)
        _own_field(field.inner)


def _own(schema: RecordSchema) -> None:
    """Detach `schema` from the field objects it shares with other instances (marshmallow
    copies fields shallowly: a list's item field is shared) and localize it again, so a schema
    built later in another language cannot change this one's messages."""
    for name, field in schema.declared_fields.items():
        if isinstance(field, fields.Nested) and isinstance(field.nested, RecordSchema):
            _own(field.nested)
        _own_field(field)
        localize_field(field, schema.lang, schema.label(schema.path_prefix + name))


@lru_cache(maxsize=128)
def _messages_schema(
    entity: str,
    lang: str,
    as_of: dt.date | None,
    today: dt.date | None,
    partial: bool,
    origin: str,
) -> Schema:
    """The schema that writes the messages of a failing record (one per settings)."""
    with _BUILD:
        schema = schema_for(
            entity, lang=lang, as_of=as_of, today=today, partial=partial, origin=origin
        )
        assert isinstance(schema, RecordSchema)
        _own(schema)
        return schema


def fast_load(
    entity: str,
    data: Any,
    *,
    today: dt.date | None,
    as_of: dt.date | None = None,
    partial: bool = False,
    origin: str = "client",
) -> Any:
    """The compiled path alone: what `schema.load(data)` returns, or `FAIL` (then marshmallow
    must decide). For the push (which keeps its own marshmallow path for the messages), the
    equivalence tests and the benchmark."""
    as_of, today = _schema_settings(entity, as_of, today)
    _, checker = _compiled(entity, as_of, today, partial, origin)
    if checker is None:
        return FAIL
    return checker(data)


def check_record(
    entity: str,
    data: Any,
    *,
    today: dt.date | None,
    as_of: dt.date | None = None,
    partial: bool = False,
    origin: str = "client",
    lang: str = "zh",
) -> tuple[dict[str, Any] | None, dict[str, list[str]] | None]:
    """Validate one record (or, with `partial`, one change set) as the shared schema does.

    Contract:
    - Returns `(loaded, None)` when the record is valid, where `loaded` equals what
      `schema_for(entity, as_of=as_of, today=today, partial=partial, origin=origin).load(data)`
      returns (dates as `date`, times as `datetime`, ids as `UUID`, a resident ID number's `x`
      as `X`); it is a new dict and `data` is never modified.
    - Returns `(None, errors)` when it is not, where `errors` is exactly
      `records.flatten_errors` of marshmallow's messages in `lang`: `{dotted.path: [texts]}`.
    - Never raises for any JSON value of `data`; raises KeyError for an unknown entity.
    - `today` is the caller's date (the server's in its time zone, `bounds.local_today`;
      the phone's own): it bounds `visit_date` and the visit times. `as_of` is the day age
      rules are judged on (None skips them). `origin="client"` refuses server-owned fields;
      `"server"` (a merged record) allows them. Same meaning as `records.schema_for`.
    - Thread-safe: compiled checks and schemas are shared, and neither keeps state per call.
    - One record per call: do not batch (marshmallow's `many=True` would let one item's
      field error silence the other items' `skip_on_field_errors` rules).
    The valid path builds no message and no schema (after the first call per settings).
    """
    if entity not in SCHEMAS:
        raise KeyError(f"unknown entity {entity!r}")
    as_of, today = _schema_settings(entity, as_of, today)
    _, checker = _compiled(entity, as_of, today, partial, origin)
    if checker is not None:
        loaded = checker(data)
        if loaded is not FAIL:
            return loaded, None
    schema = _messages_schema(entity, lang, as_of, today, partial, origin)
    try:
        loaded = schema.load(data)
    except ValidationError as exc:
        return None, flatten_errors(exc.messages)
    return loaded, None  # marshmallow accepts what the compiled path would not vouch for
