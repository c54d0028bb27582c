"""Values the forms show but nobody types: the inputs of conditions and the computed fields.

The app calls these while a worker fills a form (with whatever is entered so far); nothing here
raises on partial data. `computed_values` returns one entry per computed field of
`VISIT_FORM` (keyed by `FieldDef.computed`); `member_values` adds `age` for `MEMBER_FORM`'s
conditions and its computed age.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from shared_schema.computed import member_age
from shared_schema.config import RulesConfig
from shared_schema.forms.model import EVIDENCE_WIDGETS, FieldDef, FormDef
from shared_schema.forms.relevance import evaluate_condition, lookup, relevant_fields
from shared_schema.rules import RULES, make_context
from shared_schema.rules.context import read_codes

EDUCATION_RULES: tuple[str, ...] = ("EDU_DROPOUT",)
MEDICAL_RULES: tuple[str, ...] = ("MED_UNINSURED", "MED_DOUBLE")


def member_values(member: Mapping[str, Any], *, as_of: date | str | None) -> dict[str, Any]:
    """A member's values for conditions: the record plus `age` on `as_of` (None if unknown)."""
    return {**member, "age": member_age(member, as_of)}


def computed_values(
    household: Mapping[str, Any] | None,
    members: Sequence[Mapping[str, Any]] | None,
    visit: Mapping[str, Any] | None,
    *,
    config: RulesConfig,
    previous_visit: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Net and per-capita income, live flags, and the education/medical guarantee verdicts.

    A verdict is None while it cannot be judged (no visit date, no resident, a resident's
    insurance not recorded), True when no rule objects, False when one does.
    """
    ctx = make_context(household, members, visit, previous_visit=previous_visit, config=config)
    flags = [flag for rule in RULES.values() if (flag := rule(ctx)) is not None]
    raised = {f.code for f in flags}
    education_ok: bool | None = None
    if ctx.present and ctx.visit_date is not None:
        education_ok = raised.isdisjoint(EDUCATION_RULES)
    medical_ok: bool | None = None
    if raised & set(MEDICAL_RULES):
        medical_ok = False
    elif ctx.present and all(read_codes(m.get("medical_insurance")) for m in ctx.present):
        medical_ok = True
    return {
        "net_income": ctx.net_income,
        "per_capita_income": ctx.per_capita,
        "flags": flags,
        "education_ok": education_ok,
        "medical_ok": medical_ok,
    }


def form_values(
    form: FormDef,
    records: Mapping[str, Mapping[str, Any] | None],
    computed: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Flat `{field path: value}` of a form, each read from the record of its field's entity.

    `records` maps entity to record, e.g. `{"visit": visit, "household": household}` for the
    visit form (whose housing fields belong to the household); `computed` is the output of
    `computed_values` or `member_values`. This is what `relevant_fields` and
    `missing_required` read, so a visit's `notes` is never mistaken for the household's.
    """
    computed = computed or {}
    values: dict[str, Any] = {}
    for f in form.fields():
        if f.entity == "computed":
            values[f.path] = computed.get(f.computed or f.path)
        elif f.widget in EVIDENCE_WIDGETS:
            record = records.get(f.entity)
            values[f.path] = attachments_of_kind(record, f.attachment_kind)
        else:
            record = records.get(f.entity)
            values[f.path] = lookup(record, f.path) if isinstance(record, Mapping) else None
    return values


def is_blank(value: Any) -> bool:
    """Whether an answer is missing: None, blank text or an empty list."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, list | tuple) and not value


def attachments_of_kind(record: Mapping[str, Any] | None, kind: str | None) -> list[Any]:
    """The items of a visit's `attachments` of one kind (an evidence field's value); a stored
    value that is not a list of objects gives an empty list, never an error."""
    items = record.get("attachments") if isinstance(record, Mapping) else None
    if not isinstance(items, list):
        return []
    return [a for a in items if isinstance(a, Mapping) and a.get("kind") == kind]


def is_required(field: FieldDef, values: Mapping[str, Any]) -> bool:
    """Whether a field must be answered for these values: `required`, or `required_when` holds
    (e.g. the elimination check needs a house photo and a signature)."""
    if field.required:
        return True
    return field.required_when is not None and evaluate_condition(field.required_when, values)


def missing_required(form: FormDef, values: Mapping[str, Any]) -> list[str]:
    """Paths of the required fields that are shown for these values but not answered yet."""
    shown = relevant_fields(form, values)
    return [
        f.path
        for f in form.fields()
        if f.path in shown and is_required(f, values) and is_blank(lookup(values, f.path))
    ]
