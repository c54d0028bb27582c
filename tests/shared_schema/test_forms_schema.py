"""Guards: the forms and the record schemas, enumerations and labels describe the same fields."""

from __future__ import annotations

import ast

import pytest
from marshmallow import fields as mm_fields

from shared_schema.enums import ENUMS
from shared_schema.forms import FORMS, HOUSEHOLD_FORM, MEMBER_FORM, VISIT_FORM, FieldDef
from shared_schema.forms.model import EVIDENCE_WIDGETS
from shared_schema.labels import field_label, field_unit
from shared_schema.schemas.records import schema_for

# schema field class name -> the widgets that may edit it
WIDGETS_FOR_TYPE: dict[str, set[str]] = {
    "Text": {"text", "textarea", "id_number"},
    "Phone": {"phone"},
    "Code": {"select"},
    "CodeList": {"multiselect"},
    "Day": {"date"},
    "Moment": {"datetime"},
    "Flag": {"checkbox"},
    "Count": {"integer"},
    "Quantity": {"number"},
    "Amount": {"money"},
    "Nested": {"gps", "geopoint"},
    "List": {"photos"},
}
NOT_ON_FORMS = {
    "household": {"status", "merged_into", "registration"},  # set by register actions / server
    "member": {"household_id"},
    # linked / server-owned / set by the app from the configuration it renders
    "visit": {"household_id", "review_status", "review_comment", "form_version"},
}
# `photos` (free-text file references) is superseded by `attachments`, which the evidence fields
# (one per attachment kind: `attachments.<kind>`) fill; old records keep their `photos`.
NOT_ON_FORMS["visit"] = NOT_ON_FORMS["visit"] | {"photos"}
# Lists that are required on the wire but may be empty: the form does not insist on a choice.
MAY_BE_EMPTY = {("member", "medical_insurance"), ("visit", "risks"), ("visit", "assistance")}


def schema_field(entity: str, path: str) -> mm_fields.Field:
    """The marshmallow field of a dotted path (nested objects are followed)."""
    schema = schema_for(entity)
    head, _, rest = path.partition(".")
    found = schema.fields[head]
    if rest:
        assert isinstance(found, mm_fields.Nested)
        found = found.schema.fields[rest]
    return found


def wire_fields():
    for form in FORMS.values():
        for f in form.fields():
            if f.entity != "computed" and f.widget not in EVIDENCE_WIDGETS:
                yield pytest.param(form.form_id, f, id=f"{form.form_id}:{f.path}")


@pytest.mark.parametrize(("form_id", "f"), list(wire_fields()))
def test_field_exists_in_schema_with_matching_widget_and_enum(form_id: str, f: FieldDef):
    sf = schema_field(f.entity, f.path)
    assert f.widget in WIDGETS_FOR_TYPE[type(sf).__name__], (f.path, type(sf).__name__)
    enum = sf.metadata.get("enum_name") or getattr(getattr(sf, "inner", None), "enum_name", None)
    assert f.enum == enum
    if f.enum is not None:
        assert f.enum in ENUMS
    if f.required and f.relevant is None:
        assert sf.required, f"{f.path} is required on the form but optional in the schema"
    if sf.required and f.relevant is None and (f.entity, f.path) not in MAY_BE_EMPTY:
        assert f.required, f"{f.path} is required in the schema but optional on the form"


@pytest.mark.parametrize(("form_id", "f"), list(wire_fields()))
def test_labels_and_units_come_from_shared_labels(form_id: str, f: FieldDef):
    assert f.label_zh == field_label(f.entity, f.path, "zh")
    assert f.label_en == field_label(f.entity, f.path, "en")
    assert f.unit_zh == field_unit(f.entity, f.path, "zh")
    assert f.unit_en == field_unit(f.entity, f.path, "en")


@pytest.mark.parametrize(
    ("form", "entity"),
    [(VISIT_FORM, "visit"), (MEMBER_FORM, "member"), (HOUSEHOLD_FORM, "household")],
)
def test_every_schema_field_is_on_its_form(form, entity):
    schema = schema_for(entity)
    on_form = {f.path.split(".")[0] for f in form.fields() if f.entity == entity}
    assert set(schema.fields) - NOT_ON_FORMS[entity] == on_form
    for name, sf in schema.fields.items():
        if isinstance(sf, mm_fields.Nested) and name != "gps":
            leaves = {f"{name}.{leaf}" for leaf in sf.schema.fields}
            assert leaves <= {f.path for f in form.fields()}, name


def test_evidence_fields_are_attachment_kinds_of_the_visit_schema():
    schema = schema_for("visit")
    inner = schema.fields["attachments"].inner
    assert isinstance(inner, mm_fields.Nested)
    kinds = ENUMS[inner.schema.fields["kind"].metadata["enum_name"]]
    evidence = [f for f in VISIT_FORM.fields() if f.widget in EVIDENCE_WIDGETS]
    assert {f.attachment_kind for f in evidence} >= {"house_photo", "signature"}
    for f in evidence:
        assert f.attachment_kind in kinds.codes
        assert f.path == f"attachments.{f.attachment_kind}"
        assert (f.label_zh, f.label_en) == (
            kinds.label(f.attachment_kind, "zh"),
            kinds.label(f.attachment_kind, "en"),
        )


def test_max_risks_agrees_with_config_and_schema():
    from shared_schema.config import DEFAULT_CONFIG
    from shared_schema.schemas.visit import MAX_RISKS

    assert VISIT_FORM.field("risks").max_items == DEFAULT_CONFIG.max_risks == MAX_RISKS


def _dotted(node: ast.AST) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return ".".join([node.id, *reversed(parts)])


def _strings(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.List | ast.Tuple):
        return [s for e in node.elts for s in _strings(e)]
    return []


def test_codes_quoted_in_conditions_exist_in_the_fields_enumeration():
    checked = 0
    for form in FORMS.values():
        enums = {f.path: f.enum for f in form.fields() if f.enum}
        exprs = [f.relevant for f in form.fields() if f.relevant]
        for expr in exprs:
            for node in ast.walk(ast.parse(expr, mode="eval")):
                if not isinstance(node, ast.Compare):
                    continue
                operands = [node.left, *node.comparators]
                names = [n for n in map(_dotted, operands) if n in enums]
                for name in names:
                    for other in operands:
                        for code in _strings(other):
                            assert code in ENUMS[enums[name]].codes, (form.form_id, expr, code)
                            checked += 1
    assert checked >= 6
