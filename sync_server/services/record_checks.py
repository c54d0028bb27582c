"""Record validation for the push path, with the compiled schemas kept between calls.

`shared_schema.schemas.records.validate_changes` / `validate_record` build a fresh schema
(nested parts, localized messages for every field) on each call, which was the largest single
cost of a push. A schema instance holds only its settings (entity, lang, as_of, partial,
origin) and `load` keeps no state on it, so one instance per settings tuple is reused, also
across threads. The checks and error shapes are exactly those of `shared_schema`.

The compiled checks of `shared_schema.schemas.fast` decide the common case first: when they
vouch for the data, marshmallow would accept it too (proven by tests/shared_schema/
test_fast_checks.py), so no schema runs; anything else, and every message, is marshmallow's.

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
import json
import math
import re
import threading
from collections.abc import Mapping
from datetime import date
from functools import lru_cache
from typing import Any

from marshmallow import Schema, ValidationError, fields

from shared_schema.config_bundle import ConfigSet
from shared_schema.enums import enum_codes
from shared_schema.schemas import fast
from shared_schema.schemas.base import RecordSchema
from shared_schema.schemas.fieldtypes import localize_field
from shared_schema.schemas.records import SCHEMAS, flatten_errors, schema_for
from shared_schema.sync.decide import CHANGES, CREATE, RECORD
from sync_server.messages import message

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
def _schema(
    entity: str, lang: str, as_of: date | None, today: date | None, partial: bool, origin: str
) -> Schema:
    with _BUILD:
        schema = schema_for(
            entity, lang=lang, as_of=as_of, today=today, partial=partial, origin=origin
        )
        assert isinstance(schema, RecordSchema)
        _own(schema)
        return schema


def _cached(
    entity: str, lang: str, as_of: date | None, partial: bool, origin: str, today: date | None
) -> Schema:
    """The cached schema; one per settings, and one for all dates where no rule reads them
    (`RecordSchema.uses_as_of`: a visit is judged on its own date, but no visit rule reads
    it, so visits of many dates no longer build a schema each)."""
    schema_class = SCHEMAS.get(entity)
    if schema_class is not None and not schema_class.uses_as_of:
        as_of = None
    if schema_class is not None and not schema_class.uses_today:
        today = None
    return _schema(entity, lang, as_of, today, partial, origin)


def _codes(
    entity: str, data: Any, configs: ConfigSet | None, whole: bool
) -> Mapping[str, frozenset[str]] | None:
    """The enumeration codes `data` is validated with: its configuration version's (see
    `ConfigSet.codes_for`); None: the shipped ones (no configuration loaded). Both the
    compiled checks and marshmallow read them (`EnumChoice` → `codes_in_force`)."""
    if configs is None or not isinstance(data, Mapping):
        return None
    return configs.codes_for(entity, data, whole)


def _version_errors(
    entity: str, data: Any, configs: ConfigSet | None, lang: str
) -> dict[str, list[str]]:
    """A visit naming a configuration version the server has not published."""
    if configs is None or entity != "visit" or not isinstance(data, Mapping):
        return {}
    version = data.get("form_version")
    if isinstance(version, int) and not isinstance(version, bool) and not configs.knows(version):
        return {"form_version": [message("unknown_config_version", lang, version=version)]}
    return {}


def _validate(
    entity: str,
    data: Any,
    *,
    lang: str,
    as_of: date | None,
    partial: bool,
    origin: str,
    today: date | None,
    configs: ConfigSet | None = None,
) -> dict[str, list[str]]:
    versioned = _version_errors(entity, data, configs, lang)
    with enum_codes(_codes(entity, data, configs, whole=not partial)):
        loaded = fast.fast_load(
            entity, data, today=today, as_of=as_of, partial=partial, origin=origin
        )
        if loaded is not fast.FAIL and not versioned:
            return {}  # the compiled check vouches: marshmallow would accept it (no schema run)
        errors: dict[str, list[str]] = {}
        try:
            _cached(entity, lang, as_of, partial, origin, today).load(data)
        except ValidationError as exc:
            errors = flatten_errors(exc.messages)
    for key, messages in versioned.items():
        errors.setdefault(key, []).extend(m for m in messages if m not in errors.get(key, []))
    return errors


def validate_changes(
    entity: str,
    data: Any,
    *,
    lang: str,
    as_of: date | None,
    today: date | None = None,
    configs: ConfigSet | None = None,
) -> dict[str, list[str]]:
    """A client's partial changes, as `shared_schema.schemas.records.validate_changes`, with
    the enumeration codes of the visit's configuration version (`configs`: the push batch's)."""
    return _validate(
        entity,
        data,
        lang=lang,
        as_of=as_of,
        partial=True,
        origin="client",
        today=today,
        configs=configs,
    )


def validate_record(
    entity: str,
    data: Any,
    *,
    lang: str,
    as_of: date | None,
    today: date | None = None,
    configs: ConfigSet | None = None,
) -> dict[str, list[str]]:
    """A whole merged record, as `shared_schema.schemas.records.validate_record`, with the
    enumeration codes of the visit's configuration version."""
    return _validate(
        entity,
        data,
        lang=lang,
        as_of=as_of,
        partial=False,
        origin="server",
        today=today,
        configs=configs,
    )


def create_is_valid(
    entity: str,
    data: Any,
    *,
    lang: str,
    as_of: date | None,
    today: date | None = None,
    configs: ConfigSet | None = None,
) -> bool:
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
    if _version_errors(entity, data, configs, "en"):
        return False
    with enum_codes(_codes(entity, data, configs, whole=True)):
        loaded = fast.fast_load(
            entity, data, today=today, as_of=as_of, partial=False, origin="client"
        )
        if loaded is not fast.FAIL:
            return True
        try:
            _cached(entity, lang, as_of, False, "client", today).load(data)
        except ValidationError:
            return False
    return True


_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_ID_FIELDS = ("household_id",)
"""Record fields that name another record: compared and stored as sent, so they must be in
the one canonical form (docs/protocol-notes.md "Ids in record data")."""


def unstorable_paths(data: Any) -> list[str]:
    """Paths of values no database here can store as JSON: non-finite numbers (`1e400`
    parses as infinity; PostgreSQL's json refuses it, SQLite would keep `Infinity`)."""
    try:
        json.dumps(data, allow_nan=False)  # in C: the common case costs one encode
    except ValueError:
        pass
    else:
        return []
    found: list[str] = []
    stack: list[tuple[Any, str]] = [(data, "")]
    while stack:
        node, path = stack.pop()
        if type(node) is float and not math.isfinite(node):
            found.append(path or "_schema")
        elif isinstance(node, Mapping):
            stack.extend((v, f"{path}.{k}" if path else str(k)) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((v, f"{path}.{i}") for i, v in enumerate(node))
    return sorted(found)


def _storable_errors(data: Any, lang: str) -> dict[str, list[str]]:
    """What the database could not store or the server could not compare: a non-finite number
    anywhere in the data, an id field not in canonical form."""
    errors: dict[str, list[str]] = {
        path: [message("not_finite", lang)] for path in unstorable_paths(data)
    }
    if isinstance(data, Mapping):
        for name in _ID_FIELDS:
            value = data.get(name)
            if isinstance(value, str) and not _CANONICAL_UUID.fullmatch(value):
                errors.setdefault(name, []).append(message("non_canonical_id", lang))
    return errors


def check_record(
    entity: str,
    data: Any,
    kind: str,
    as_of: date | None,
    *,
    lang: str,
    today: date | None = None,
    configs: ConfigSet | None = None,
) -> dict[str, list[str]]:
    """The push's one validation call (`shared_schema.sync.decide.RecordCheck`, with `lang`
    bound): field errors of `data` as `kind` — CREATE (a whole new record with the client's
    rights: only whether it is empty counts), CHANGES (a client's partial changes) or RECORD
    (a whole merged record, the server's rights). Messages are built only for bad data.

    The client's data (CREATE, CHANGES) must also be storable (`_storable_errors`); a merged
    record is not re-checked for that, so a record stored before these checks stays editable.
    `today` (the server's date in its time zone) bounds dates (`shared_schema.schemas.bounds`).
    `configs` (the push batch's) gives a visit the codes of its own configuration version
    (`ConfigSet.codes_for`; docs/rules-and-forms.md "Published configurations").
    """
    if kind == RECORD:
        return validate_record(entity, data, lang=lang, as_of=as_of, today=today, configs=configs)
    if kind == CREATE:
        valid = create_is_valid(entity, data, lang=lang, as_of=as_of, today=today, configs=configs)
        errors = {} if valid else {"_create": ["not a valid whole record"]}
    elif kind == CHANGES:
        errors = validate_changes(
            entity, data, lang=lang, as_of=as_of, today=today, configs=configs
        )
    else:
        raise ValueError(f"unknown check kind {kind!r}")
    if errors:
        return errors
    return _storable_errors(data, lang)
