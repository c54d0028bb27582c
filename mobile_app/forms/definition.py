"""Where the phone's forms come from: the shared form model, read from its JSON shape.

The phone renders `shared_schema.forms.FormDef` objects directly; it never re-describes a
field. A form is always built from the serialised definition (the shape `GET /api/v1/config`
serves under `forms`), so the bundled forms and a definition pulled over the air take the same
road through `form_from_dict`, which re-checks everything (`FormError` for a bad one).

What stays in the app is the widget mapping: which group of Kivy inputs serves a widget name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared_schema.forms import FieldDef, FormDef, form_from_dict, forms_to_dict

# Widget names (shared_schema.forms.WIDGETS) grouped by the input the phone gives them.
TEXT_WIDGETS = frozenset({"text", "textarea", "phone", "id_number"})
NUMBER_WIDGETS = frozenset({"number", "money", "integer"})
SHOWN_ONLY_WIDGETS = frozenset({"gps", "photos", "datetime", "flags"})  # not typed on the phone
EVIDENCE_INPUTS = frozenset(
    {"photo", "signature", "geopoint"}
)  # forms/evidence_fields.py  # not typed on the phone


def load_form(data: Mapping[str, Any]) -> FormDef:
    """A form from its served JSON shape (raises the shared `FormError`/`ConditionError`)."""
    return form_from_dict(data)


def bundled_form(form_id: str) -> FormDef:
    """The form shipped with the app, read from the same JSON the server serves."""
    return load_form(forms_to_dict()[form_id])


def shown_only(field: FieldDef) -> bool:
    """Whether the phone shows a field without an input (computed values, GPS, photos...)."""
    return field.computed is not None or field.read_only or field.widget in SHOWN_ONLY_WIDGETS
