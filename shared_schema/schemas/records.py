"""One front door to the record schemas: pick a schema, validate, normalise, flatten errors.

Errors come back flat, keyed by dotted field path (`income.wage`), the same paths as the merge
and the labels. A list's item errors are reported on the list itself (lists are one value).
`_schema` is used only for a problem with the record as a whole (not a JSON object).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from marshmallow import Schema, ValidationError

from shared_schema.enums import ENUMS, check_lang
from shared_schema.messages import message
from shared_schema.schemas.base import RecordSchema
from shared_schema.schemas.household import HouseholdSchema
from shared_schema.schemas.member import MemberSchema
from shared_schema.schemas.visit import VisitSchema

ENTITIES: tuple[str, ...] = ("household", "member", "visit")

SCHEMAS: dict[str, type[RecordSchema]] = {
    "household": HouseholdSchema,
    "member": MemberSchema,
    "visit": VisitSchema,
}

SCHEMA_LEVEL = "_schema"


def schema_for(
    entity: str,
    *,
    lang: str = "zh",
    as_of: date | None = None,
    partial: bool = False,
    origin: str = "client",
    today: date | None = None,
) -> Schema:
    """A fresh schema instance for `entity` (KeyError for an unknown entity)."""
    if entity not in SCHEMAS:
        raise KeyError(f"unknown entity {entity!r}; expected one of {ENTITIES}")
    return SCHEMAS[entity](lang=lang, as_of=as_of, today=today, origin=origin, partial=partial)


def flatten_errors(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested error dict as {dotted path: [messages]}."""
    flat: dict[str, list[str]] = {}

    def put(path: str, texts: list[str]) -> None:
        bucket = flat.setdefault(path or SCHEMA_LEVEL, [])
        bucket.extend(t for t in texts if t not in bucket)

    def walk(node: Any, path: str) -> None:
        if isinstance(node, Mapping):
            for key, sub in node.items():
                if isinstance(key, int) or key == SCHEMA_LEVEL:
                    walk(sub, path)  # a list item or an object-level error: on the owner
                else:
                    walk(sub, f"{path}.{key}" if path else str(key))
        elif isinstance(node, list | tuple):
            texts: list[str] = []
            for item in node:
                if isinstance(item, Mapping):
                    walk(item, path)
                else:
                    texts.append(str(item))
            if texts:
                put(path, texts)
        else:
            put(path, [str(node)])

    walk(messages, prefix)
    return flat


def _validate(
    entity: str,
    data: Any,
    *,
    lang: str,
    as_of: date | None,
    today: date | None,
    partial: bool,
    origin: str,
) -> dict[str, list[str]]:
    schema = schema_for(entity, lang=lang, as_of=as_of, today=today, partial=partial, origin=origin)
    try:
        schema.load(data)
    except ValidationError as exc:
        return flatten_errors(exc.messages)
    return {}


def validate_record(
    entity: str,
    data: Any,
    *,
    lang: str = "zh",
    as_of: date | None = None,
    today: date | None = None,
) -> dict[str, list[str]]:
    """Errors of a whole record (server-owned fields allowed); empty when valid.

    `today` (the caller's date) bounds dates: `visit_date` at most one day after it."""
    return _validate(
        entity, data, lang=lang, as_of=as_of, today=today, partial=False, origin="server"
    )


def validate_changes(
    entity: str,
    data: Any,
    *,
    lang: str = "zh",
    as_of: date | None = None,
    today: date | None = None,
) -> dict[str, list[str]]:
    """Errors of a client's partial changes: only the given fields (and nested keys) are
    checked, cross-field rules only when all their fields are in the change; unknown and
    server-owned fields (other than `review_status: "submitted"`) are errors."""
    return _validate(
        entity, data, lang=lang, as_of=as_of, today=today, partial=True, origin="client"
    )


def normalize(entity: str, data: Any, *, partial: bool = False) -> dict[str, Any]:
    """The canonical wire form of a record (or, with `partial`, of a change set).

    Loads then dumps with the server schema: `x` → `X` in resident ID numbers, UUIDs in
    lowercase, datetimes in `isoformat`. Raises marshmallow's ValidationError, with flat
    English messages, when the data is invalid.
    """
    schema = schema_for(entity, lang="en", partial=partial, origin="server")
    try:
        loaded = schema.load(data)
    except ValidationError as exc:
        raise ValidationError(flatten_errors(exc.messages)) from None
    dumped: dict[str, Any] = schema.dump(loaded)
    return dumped


def _member_names(members: list[Mapping[str, Any]], lang: str) -> str:
    """Names (or ids, for a member without a name) joined in the language's way."""
    separator = "、" if lang == "zh" else ", "
    return separator.join(str(m.get("name") or m.get("id") or "?") for m in members)


def composition_problems_added(
    before: list[Mapping[str, Any]], after: list[Mapping[str, Any]], *, lang: str = "zh"
) -> list[str]:
    """The composition problems (`validate_household_members`) that `after` has and `before`
    had not: what an edit or a move brings to a household. Problems it already had (no head
    yet while a split is being built) are not blamed on the edit."""
    old = set(validate_household_members(before, lang=lang).get("relation", []))
    new = validate_household_members(after, lang=lang).get("relation", [])
    return [e for e in new if e not in old]


def validate_household_members(
    members: list[Mapping[str, Any]], *, lang: str = "zh"
) -> dict[str, list[str]]:
    """Household composition: exactly one `head` and at most one `spouse` among the members
    living in the household (`status` present, or absent). Errors are keyed `relation` and
    name the members concerned."""
    check_lang(lang)
    present = [m for m in members if m.get("status", "present") == "present"]
    heads = [m for m in present if m.get("relation") == "head"]
    spouses = [m for m in present if m.get("relation") == "spouse"]
    head = ENUMS["relation"].label("head", lang)
    spouse = ENUMS["relation"].label("spouse", lang)
    errors: list[str] = []
    if not heads:
        errors.append(message("members_no_head", lang, head=head))
    elif len(heads) > 1:
        errors.append(
            message(
                "members_many_heads",
                lang,
                head=head,
                count=len(heads),
                names=_member_names(heads, lang),
            )
        )
    if len(spouses) > 1:
        errors.append(
            message(
                "members_many_spouses",
                lang,
                spouse=spouse,
                count=len(spouses),
                names=_member_names(spouses, lang),
            )
        )
    return {"relation": errors} if errors else {}
