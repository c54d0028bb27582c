"""Record validation for the push path, with the compiled schemas kept between calls.

`shared_schema.schemas.records.validate_changes` / `validate_record` build a fresh schema
(nested parts, localized messages for every field) on each call, which was the largest single
cost of a push. A schema instance holds only its settings (entity, lang, as_of, partial,
origin) and `load` keeps no state on it, so one instance per settings tuple is reused, also
across threads. The checks and error shapes are exactly those of `shared_schema`.

One catch: marshmallow copies fields shallowly, so every instance of a schema class shares
its fields' validator objects, and `localize_field` writes the language's message into them
(the last schema built wins). A cached schema therefore gets its own copies of its validators
(and list item fields) and is localized again on those copies, under a lock, so a schema built
later in another language cannot change its messages. (The fresh-schema path of
`shared_schema` can, under the server's threads, answer in the language of a concurrent
request; conflict resolution uses this module for that reason too.)
"""

from __future__ import annotations

import copy
import threading
from datetime import date
from functools import lru_cache
from typing import Any

from marshmallow import Schema, ValidationError, fields

from shared_schema.schemas.base import RecordSchema
from shared_schema.schemas.fieldtypes import localize_field
from shared_schema.schemas.records import SCHEMAS, flatten_errors, schema_for

_BUILD = threading.Lock()


def _own_field(field: fields.Field) -> None:
    """Private copies of the validators (and list item field) a field shares with others."""
    field.validators = [copy.copy(v) for v in field.validators]
    if isinstance(field, fields.List):
        field.inner = copy.copy(field.inner)
        _own_field(field.inner)


def _own(schema: RecordSchema) -> None:
    """Detach `schema` from shared validators and localize it again, as its __init__ did."""
    for name, field in schema.declared_fields.items():
        if isinstance(field, fields.Nested) and isinstance(field.nested, RecordSchema):
            _own(field.nested)
        _own_field(field)
        localize_field(field, schema.lang, schema.label(schema.path_prefix + name))


@lru_cache(maxsize=256)  # as_of is today's date for members, None for the other entities
def _schema(entity: str, lang: str, as_of: date | None, partial: bool, origin: str) -> Schema:
    with _BUILD:
        schema = schema_for(entity, lang=lang, as_of=as_of, partial=partial, origin=origin)
        assert isinstance(schema, RecordSchema)
        _own(schema)
        return schema


def _cached(entity: str, lang: str, as_of: date | None, partial: bool, origin: str) -> Schema:
    """The cached schema; one per settings, and one for all dates where no rule reads them
    (`RecordSchema.uses_as_of`: a visit is judged on its own date, but no visit rule reads
    it, so visits of many dates no longer build a schema each)."""
    schema_class = SCHEMAS.get(entity)
    if schema_class is not None and not schema_class.uses_as_of:
        as_of = None
    return _schema(entity, lang, as_of, partial, origin)


def _validate(
    entity: str, data: Any, *, lang: str, as_of: date | None, partial: bool, origin: str
) -> dict[str, list[str]]:
    try:
        _cached(entity, lang, as_of, partial, origin).load(data)
    except ValidationError as exc:
        return flatten_errors(exc.messages)
    return {}


def validate_changes(
    entity: str, data: Any, *, lang: str, as_of: date | None
) -> dict[str, list[str]]:
    """A client's partial changes, as `shared_schema.schemas.records.validate_changes`."""
    return _validate(entity, data, lang=lang, as_of=as_of, partial=True, origin="client")


def validate_record(
    entity: str, data: Any, *, lang: str, as_of: date | None
) -> dict[str, list[str]]:
    """A whole merged record, as `shared_schema.schemas.records.validate_record`."""
    return _validate(entity, data, lang=lang, as_of=as_of, partial=False, origin="server")


def create_is_valid(entity: str, data: Any, *, lang: str, as_of: date | None) -> bool:
    """Whether a create's data passes `validate_changes` and, as the merged record,
    `validate_record`: both, decided by one load (the push's common case).

    A create (no server record, no base) merges to its own data (a new visit also gets
    `review_status: "submitted"`, a valid value). The one load is the whole-record check with
    the client's rights (`partial=False`, `origin="client"`). Passing it implies passing
    both: the partial load checks the same fields minus `required`, and each cross-field rule
    it judges is judged alike on the whole record (`RecordSchema.checkable`); the server's
    rights only drop the server-owned-field rule. When it fails, the caller runs the two checks
    as before, so a bad create gets the same errors as before.
    """
    try:
        _cached(entity, lang, as_of, False, "client").load(data)
    except ValidationError:
        return False
    return True
