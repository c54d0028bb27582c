"""Whether the phone can store and compute on a pulled record (pure; issue 15, point 1).

A server of another version, or one that took a value before the shared schema bounded it,
can send a record this phone cannot keep: a `visit_date` in year 9999 (the rules' date
arithmetic overflows), `1e400` or `10**400` in a number (not finite, not an SQLite integer),
a broken date, a text where a number belongs. Such a version is parked with the problems
found here instead of failing the whole page (and every later sync) on it.

What a field *is* comes from the shared marshmallow schema (one definition): numbers, flags,
texts, dates, lists and nested objects are checked for their JSON type; numbers for being
finite and within `MAX_MAGNITUDE`; dates for their shape and for lying within
`MIN_DATE`..`MAX_DATE`, where every computation the phone makes (ages, next visit due) works.
Fields the schema does not know (a newer server) are only checked for numbers. Whether a
value is *valid* (a code from the list, a phone number's shape) is not checked: the phone
shows what the server holds, and the worker's next save validates it as usual.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import date
from functools import cache
from typing import Any

from marshmallow import Schema, fields

from shared_schema.schemas.fieldtypes import Day
from shared_schema.schemas.records import SCHEMAS

MAX_MAGNITUDE = 1e15  # above any amount, count or measure a record holds; exact in a double
MIN_DATE = date(1900, 1, 1)
MAX_DATE = date(2100, 12, 31)
MAX_DEPTH = 16
RECORD = "_record"

# Problem codes; the screens show them in zh and en (mobile_app/i18n.py "parked.problem.*").
NOT_AN_OBJECT = "not_an_object"
WRONG_TYPE = "wrong_type"
NOT_FINITE = "number_not_finite"
OUT_OF_RANGE = "number_out_of_range"
DATE_INVALID = "date_invalid"
DATE_OUT_OF_RANGE = "date_out_of_range"
TOO_DEEP = "too_deep"
CANNOT_STORE = "cannot_store"  # applying it failed (pull.py's savepoint), detail follows
PROBLEMS = (
    NOT_AN_OBJECT,
    WRONG_TYPE,
    NOT_FINITE,
    OUT_OF_RANGE,
    DATE_INVALID,
    DATE_OUT_OF_RANGE,
    TOO_DEEP,
    CANNOT_STORE,
)

_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

# "number" | "flag" | "text" | "date" | "list" | ("list", kind) | ("object", {name: kind})
Kind = str | tuple[str, Any]


def _kind(field: fields.Field) -> Kind | None:
    if isinstance(field, fields.Nested):
        nested = field.nested
        if isinstance(nested, type) and issubclass(nested, Schema):
            sub = ("object", _kinds_of(nested))
            return ("list", sub) if field.many else sub
        return None
    if isinstance(field, fields.List):
        inner = _kind(field.inner)
        return ("list", inner) if inner is not None else "list"
    if isinstance(field, fields.Boolean):
        return "flag"
    if isinstance(field, fields.Number):
        return "number"
    if isinstance(field, Day) or (
        isinstance(field, fields.Date) and not isinstance(field, fields.DateTime)
    ):
        return "date"
    if isinstance(field, fields.String | fields.DateTime | fields.UUID):
        return "text"
    if isinstance(field, fields.Dict):
        return ("object", {})
    return None


def _kinds_of(schema: type[Schema]) -> dict[str, Kind]:
    kinds: dict[str, Kind] = {}
    for name, field in schema._declared_fields.items():
        kind = _kind(field)
        if kind is not None:
            kinds[field.data_key or name] = kind
    return kinds


@cache
def field_kinds(entity: str) -> Mapping[str, Kind]:
    """What the shared schema says each top-level field of `entity` is."""
    return _kinds_of(SCHEMAS[entity])


def check_pulled(entity: str, data: Any) -> dict[str, list[str]]:
    """Problems that keep the phone from storing a pulled record: {dotted path: [codes]}.

    {} when the record can be stored and computed on.
    """
    if not isinstance(data, dict):
        return {RECORD: [NOT_AN_OBJECT]}
    problems: dict[str, list[str]] = {}
    _check_object(data, dict(field_kinds(entity)) if entity in SCHEMAS else {}, "", 0, problems)
    return problems


def _add(problems: dict[str, list[str]], path: str, code: str) -> None:
    codes = problems.setdefault(path or RECORD, [])
    if code not in codes:
        codes.append(code)


def _check_object(
    data: Mapping[str, Any],
    kinds: Mapping[str, Kind],
    prefix: str,
    depth: int,
    problems: dict[str, list[str]],
) -> None:
    for key, value in data.items():
        path = f"{prefix}{key}"
        _check_value(value, kinds.get(key), path, depth + 1, problems)


def _check_value(
    value: Any, kind: Kind | None, path: str, depth: int, problems: dict[str, list[str]]
) -> None:
    if depth > MAX_DEPTH:
        _add(problems, path, TOO_DEEP)
        return
    if value is None:
        return
    if kind is None:  # unknown to this app version: only what would break storage
        _check_any(value, path, depth, problems)
    elif kind == "number":
        _check_number(value, path, problems)
    elif kind == "flag":
        if not isinstance(value, bool):
            _add(problems, path, WRONG_TYPE)
    elif kind == "text":
        if not isinstance(value, str):
            _add(problems, path, WRONG_TYPE)
    elif kind == "date":
        _check_date(value, path, problems)
    elif kind == "list" or (isinstance(kind, tuple) and kind[0] == "list"):
        if not isinstance(value, list):
            _add(problems, path, WRONG_TYPE)
            return
        inner = kind[1] if isinstance(kind, tuple) else None
        for item in value:
            _check_value(item, inner, path, depth + 1, problems)
    elif isinstance(kind, tuple) and kind[0] == "object":
        if not isinstance(value, dict):
            _add(problems, path, WRONG_TYPE)
            return
        _check_object(value, kind[1], f"{path}.", depth, problems)


def _check_number(value: Any, path: str, problems: dict[str, list[str]]) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        _add(problems, path, WRONG_TYPE)
    elif isinstance(value, float) and not math.isfinite(value):
        _add(problems, path, NOT_FINITE)
    elif abs(value) > MAX_MAGNITUDE:
        _add(problems, path, OUT_OF_RANGE)


def _check_date(value: Any, path: str, problems: dict[str, list[str]]) -> None:
    if not isinstance(value, str):
        _add(problems, path, WRONG_TYPE)
        return
    if _DAY.fullmatch(value) is None:
        _add(problems, path, DATE_INVALID)
        return
    try:
        day = date.fromisoformat(value)
    except ValueError:
        _add(problems, path, DATE_INVALID)
        return
    if not MIN_DATE <= day <= MAX_DATE:
        _add(problems, path, DATE_OUT_OF_RANGE)


def _check_any(value: Any, path: str, depth: int, problems: dict[str, list[str]]) -> None:
    if isinstance(value, bool | str):
        return
    if isinstance(value, int | float):
        _check_number(value, path, problems)
    elif isinstance(value, list):
        for item in value:
            _check_value(item, None, path, depth + 1, problems)
    elif isinstance(value, dict):
        _check_object(value, {}, f"{path}.", depth, problems)
