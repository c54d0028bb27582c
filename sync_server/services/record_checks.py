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
from shared_schema.schemas.records import flatten_errors, schema_for

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


@lru_cache(maxsize=2048)  # as_of is a visit's date for visits: a few hundred keys at most
def _schema(entity: str, lang: str, as_of: date | None, partial: bool, origin: str) -> Schema:
    with _BUILD:
        schema = schema_for(entity, lang=lang, as_of=as_of, partial=partial, origin=origin)
        assert isinstance(schema, RecordSchema)
        _own(schema)
        return schema


def _validate(
    entity: str, data: Any, *, lang: str, as_of: date | None, partial: bool, origin: str
) -> dict[str, list[str]]:
    try:
        _schema(entity, lang, as_of, partial, origin).load(data)
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
