"""Where the phone's forms come from: the shared form model, read from its JSON shape.

The phone renders `shared_schema.forms.FormDef` objects directly; it never re-describes a
field. A form is always built from the serialised definition (the shape `GET /api/v1/config`
serves under `forms`), so the bundled forms and a definition pulled over the air take the same
road through `form_from_dict`, which re-checks everything (`FormError` for a bad one).

What stays in the app is the widget mapping: which group of Kivy inputs serves a widget name.
"""

from __future__ import annotations

import logging
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


def pulled_form(config: Any, form_id: str, form_version: Any = None) -> FormDef:
    """The form `form_id` to render, from the phone's pulled configuration (`store.config`):
    the one of `form_version` when the phone holds that published version (a visit begun on
    it is finished on it), else the newest pulled one, else the bundled one. A pulled
    definition that does not load falls back (logged): the worker keeps working."""
    held = [config.forms_for(form_version)] if isinstance(form_version, int) else []
    for forms in (*held, config.forms_for(None)):
        definition = forms.get(form_id) if isinstance(forms, dict) else None
        if not isinstance(definition, dict):
            continue
        try:
            return load_form(definition)
        except ValueError as exc:  # FormError / ConditionError
            logging.getLogger(__name__).warning("pulled %s form unusable: %s", form_id, exc)
    return bundled_form(form_id)


# Fields the phone shows but never edits: a household changes grid only by a supervisor's
# hand in the console (a worker sees and syncs only their own grids, so a household moved out
# of them would vanish from the phone that moved it).
PHONE_FIXED = frozenset({("household", "grid_id")})


def shown_only(field: FieldDef) -> bool:
    """Whether the phone shows a field without an input (computed values, GPS, photos, the
    household's grid...)."""
    return (
        field.computed is not None
        or field.read_only
        or field.widget in SHOWN_ONLY_WIDGETS
        or (field.entity, field.path) in PHONE_FIXED
    )
