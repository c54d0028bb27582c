"""Declarative form definitions (visit, member, household) and the safe relevance evaluator.

Public API: `VISIT_FORM`, `MEMBER_FORM`, `HOUSEHOLD_FORM`, `FORMS`; the model (`FormDef`,
`SectionDef`, `FieldDef`, `WIDGETS`, `FormError`, `form_to_dict`, `form_from_dict`); conditions
(`evaluate_condition`, `compile_condition`, `relevant_fields`, `ConditionError`); live values
(`computed_values`, `member_values`, `form_values`, `missing_required`).
"""

from shared_schema.forms.definitions import (
    FORMS,
    HOUSEHOLD_FORM,
    MEMBER_FORM,
    VISIT_FORM,
    form_field,
    forms_to_dict,
)
from shared_schema.forms.live import (
    attachments_of_kind,
    computed_values,
    form_values,
    is_blank,
    is_required,
    member_values,
    missing_required,
)
from shared_schema.forms.model import (
    EVIDENCE_WIDGETS,
    WIDGETS,
    FieldDef,
    FormDef,
    FormError,
    SectionDef,
    evidence_path,
    form_from_dict,
    form_to_dict,
)
from shared_schema.forms.relevance import (
    ConditionError,
    compile_condition,
    evaluate_condition,
    relevant_fields,
)

__all__ = [
    "EVIDENCE_WIDGETS",
    "FORMS",
    "HOUSEHOLD_FORM",
    "MEMBER_FORM",
    "VISIT_FORM",
    "WIDGETS",
    "ConditionError",
    "FieldDef",
    "FormDef",
    "FormError",
    "SectionDef",
    "attachments_of_kind",
    "compile_condition",
    "computed_values",
    "evaluate_condition",
    "evidence_path",
    "form_field",
    "form_from_dict",
    "form_to_dict",
    "form_values",
    "forms_to_dict",
    "is_blank",
    "is_required",
    "member_values",
    "missing_required",
    "relevant_fields",
]
