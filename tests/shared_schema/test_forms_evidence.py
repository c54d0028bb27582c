"""Evidence fields (photo, signature, geopoint) in the shared form model, and `required_when`:
the elimination check needs a house photo and a signature; a routine visit does not."""

from __future__ import annotations

import pytest

from shared_schema.forms import (
    VISIT_FORM,
    FieldDef,
    FormError,
    form_from_dict,
    form_to_dict,
    form_values,
    missing_required,
)
from shared_schema.forms.relevance import ConditionError

PHOTO = {
    "sha256": "a" * 64,
    "kind": "house_photo",
    "mime": "image/jpeg",
    "size": 1000,
    "width": 10,
    "height": 10,
    "taken_at": None,
}
SIGNATURE = {**PHOTO, "sha256": "b" * 64, "kind": "signature", "mime": "image/png"}


def missing(visit: dict) -> list[str]:
    return missing_required(VISIT_FORM, form_values(VISIT_FORM, {"visit": visit}))


def visit(**overrides: object) -> dict:
    return {
        "visit_type": "elimination_check",
        "visit_date": "2026-05-20",
        "contact_mode": "in_person",
        "confirmed": True,
        **overrides,
    }


EVIDENCE = {"attachments.house_photo", "attachments.signature", "signed_by"}


def test_elimination_check_in_person_needs_house_photo_signature_and_signer():
    assert set(missing(visit())) >= EVIDENCE
    done = visit(attachments=[PHOTO, SIGNATURE], signed_by="王建国")
    assert EVIDENCE.isdisjoint(missing(done))


def test_water_photo_stays_optional_and_routine_visits_need_no_evidence():
    assert "attachments.water_photo" not in missing(visit())
    assert EVIDENCE.isdisjoint(missing(visit(visit_type="routine")))
    assert EVIDENCE.isdisjoint(missing(visit(contact_mode="phone")))


def test_evidence_value_is_the_attachments_of_its_kind_and_bad_stored_values_are_empty():
    values = form_values(VISIT_FORM, {"visit": visit(attachments=[PHOTO, SIGNATURE, "junk"])})
    assert values["attachments.house_photo"] == [PHOTO]
    assert values["attachments.signature"] == [SIGNATURE]
    assert values["attachments.water_photo"] == []
    for stored in ("text", 5, {"kind": "house_photo"}, None):
        assert (
            form_values(VISIT_FORM, {"visit": visit(attachments=stored)})["attachments.house_photo"]
            == []
        )


def test_gps_is_a_geopoint_and_the_form_round_trips_through_json():
    assert VISIT_FORM.field("gps").widget == "geopoint"
    rebuilt = form_from_dict(form_to_dict(VISIT_FORM))
    assert rebuilt == VISIT_FORM
    assert rebuilt.field("attachments.signature").required_when is not None


def base(**kw: object) -> dict:
    return {"label_zh": "照片", "label_en": "Photo", "entity": "visit", **kw}


@pytest.mark.parametrize(
    "kw",
    [
        {"path": "attachments.house_photo", "widget": "photo"},  # no kind
        {"path": "notes", "widget": "text", "attachment_kind": "house_photo"},  # kind on text
        {"path": "photo", "widget": "photo", "attachment_kind": "house_photo"},  # wrong path
        {
            "path": "attachments.house_photo",
            "widget": "photo",
            "attachment_kind": "house_photo",
            "entity": "household",
        },
        {"path": "notes", "widget": "text", "required": True, "required_when": "a == 1"},
    ],
)
def test_inconsistent_evidence_fields_are_refused_at_definition_time(kw: dict):
    with pytest.raises(FormError):
        FieldDef(**base(**kw))


def test_unsafe_required_when_is_refused():
    with pytest.raises(ConditionError):
        FieldDef(**base(path="notes", widget="text", required_when="__import__('os')"))
