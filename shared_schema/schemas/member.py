"""`MemberSchema`: a household member in the wire format (docs/data-model.md#member).

Cross-field rules (each reported on the field a person would correct):
- resident ID number: GB 11643 check (`id_number`), agreeing with `birth_date` and `sex`
  (reported on those two: the card is the source of truth);
- exactly one of `education` / `school_stage` (reported on `education`);
- aged 6–16 on `as_of` with no `school_stage` needs `not_in_school_reason` (skipped when `as_of`
  is None, and for a deceased member); a member at school has no `not_in_school_reason`;
- `healthy` stands alone in `health`; `disability_category` and `disability_grade` are required
  when `health` contains `disabled` and forbidden otherwise;
- `work_place` and `work_months`: both or neither (reported on the missing one).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar

from marshmallow import fields, post_load, validate, validates_schema

from shared_schema.computed import member_age
from shared_schema.enums import ENUMS
from shared_schema.idnumber import (
    EARLIEST_BIRTH,
    IdNumberError,
    normalize_id_number,
    parse_id_number,
)
from shared_schema.schemas.base import RecordSchema, RuleErrors
from shared_schema.schemas.fieldtypes import Alone, Code, CodeList, Count, Day, Flag, Phone, Text

_RESIDENT_SHAPE = re.compile(r"[0-9]{17}x")

COMPULSORY_SCHOOL_AGES = (6, 16)
"""Inclusive ages at which a member with no school stage needs a not-in-school reason."""


class MemberSchema(RecordSchema):
    """A member of a household: identity, schooling, health, labour, insurance, status."""

    entity: ClassVar[str] = "member"
    uses_as_of: ClassVar[bool] = True

    household_id = fields.UUID(required=True)
    name = Text(min_length=1, max_length=50, required=True)
    id_type = Code("id_type", required=True)
    id_number = Text(min_length=1, max_length=32, required=True)
    relation = Code("relation", required=True)
    sex = Code("sex", required=True)
    birth_date = Day(required=True)
    education = Code("education", allow_none=True)
    school_stage = Code("school_stage", allow_none=True)
    not_in_school_reason = Code("not_in_school_reason", allow_none=True)
    health = CodeList("health", min_items=1, extra=(Alone("health", "healthy"),), required=True)
    disability_category = Code("disability_category", allow_none=True)
    disability_grade = Count(validate=validate.Range(min=1, max=4), allow_none=True)
    labor_ability = Code("labor_ability", required=True)
    work_place = Code("work_place", allow_none=True)
    work_months = Count(validate=validate.Range(min=0, max=12), allow_none=True)
    welfare_post = Flag(allow_none=True)
    medical_insurance = CodeList("medical_insurance", required=True)
    pension_insurance = Flag(allow_none=True)
    dibao = Flag(allow_none=True)
    tekun = Flag(allow_none=True)
    status = Code("member_status", required=True)
    phone = Phone(allow_none=True)

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def check_rules(self, data: dict[str, Any], original: Any, **kwargs: Any) -> None:
        partial = kwargs.get("partial")
        errors = RuleErrors()
        self._check_birth_date(data, original, partial, errors)
        self._check_id_number(data, original, partial, errors)
        self._check_schooling(data, original, partial, errors)
        self._check_disability(data, original, partial, errors)
        self._check_work(data, original, partial, errors)
        errors.raise_if_any()

    def _check_birth_date(
        self, data: Mapping[str, Any], original: Any, partial: Any, errors: RuleErrors
    ) -> None:
        if not self.checkable(data, original, ("birth_date",), partial):
            return
        born = data.get("birth_date")
        if born is None:
            return
        if born < EARLIEST_BIRTH:
            errors.add("birth_date", self.msg("birth_too_early", field=self.label("birth_date")))
        elif self.as_of is not None and born > self.as_of:
            errors.add(
                "birth_date",
                self.msg(
                    "birth_in_future", field=self.label("birth_date"), on=self.as_of.isoformat()
                ),
            )

    def _check_id_number(
        self, data: Mapping[str, Any], original: Any, partial: Any, errors: RuleErrors
    ) -> None:
        if not self.checkable(data, original, ("id_type", "id_number"), partial):
            return
        if data.get("id_type") != "resident_id" or data.get("id_number") is None:
            return
        try:
            info = parse_id_number(data["id_number"])
        except IdNumberError as exc:
            errors.add("id_number", exc.message(self.lang))
            return
        if self.as_of is not None and info.birth_date > self.as_of:
            errors.add(
                "id_number",
                self.msg(
                    "id_birth_in_future",
                    birth=info.birth_date.isoformat(),
                    on=self.as_of.isoformat(),
                ),
            )
        if (
            self.checkable(data, original, ("birth_date",), partial)
            and data.get("birth_date") is not None
            and data["birth_date"] != info.birth_date
        ):
            errors.add(
                "birth_date",
                self.msg(
                    "id_birth_mismatch",
                    field=self.label("birth_date"),
                    expected=info.birth_date.isoformat(),
                ),
            )
        if (
            self.checkable(data, original, ("sex",), partial)
            and data.get("sex") is not None
            and data["sex"] != info.sex
        ):
            errors.add(
                "sex",
                self.msg(
                    "id_sex_mismatch",
                    field=self.label("sex"),
                    expected=ENUMS["sex"].label(info.sex, self.lang),
                ),
            )

    def _check_schooling(
        self, data: Mapping[str, Any], original: Any, partial: Any, errors: RuleErrors
    ) -> None:
        pair = {"field": self.label("education"), "other": self.label("school_stage")}
        if self.checkable(data, original, ("education", "school_stage"), partial):
            has_education = data.get("education") is not None
            has_stage = data.get("school_stage") is not None
            if has_education and has_stage:
                errors.add("education", self.msg("education_and_school_stage", **pair))
            elif not has_education and not has_stage:
                errors.add("education", self.msg("education_or_school_stage", **pair))
        if not self.checkable(data, original, ("school_stage", "not_in_school_reason"), partial):
            return
        reason = {"field": self.label("not_in_school_reason"), "other": self.label("school_stage")}
        at_school = data.get("school_stage") is not None
        has_reason = data.get("not_in_school_reason") is not None
        if at_school and has_reason:
            errors.add("not_in_school_reason", self.msg("not_in_school_reason_forbidden", **reason))
            return
        if (
            at_school
            or has_reason
            or self.as_of is None
            or not self.checkable(data, original, ("birth_date",), partial)
            or data.get("birth_date") is None
            or data.get("status") == "deceased"
        ):
            return
        age = member_age(data, self.as_of)
        low, high = COMPULSORY_SCHOOL_AGES
        if age is not None and low <= age <= high:
            errors.add(
                "not_in_school_reason",
                self.msg("not_in_school_reason_required", age=age, **reason),
            )

    def _check_disability(
        self, data: Mapping[str, Any], original: Any, partial: Any, errors: RuleErrors
    ) -> None:
        disabled_label = ENUMS["health"].label("disabled", self.lang)
        for name in ("disability_category", "disability_grade"):
            if not self.checkable(data, original, ("health", name), partial):
                continue
            disabled = "disabled" in (data.get("health") or [])
            present = data.get(name) is not None
            if disabled != present:
                key = "disability_required" if disabled else "disability_forbidden"
                errors.add(
                    name,
                    self.msg(
                        key,
                        field=self.label(name),
                        other=self.label("health"),
                        disabled=disabled_label,
                    ),
                )

    def _check_work(
        self, data: Mapping[str, Any], original: Any, partial: Any, errors: RuleErrors
    ) -> None:
        if not self.checkable(data, original, ("work_place", "work_months"), partial):
            return
        place, months = data.get("work_place"), data.get("work_months")
        if place is not None and months is None:
            errors.add(
                "work_months",
                self.msg(
                    "paired_required",
                    field=self.label("work_months"),
                    other=self.label("work_place"),
                ),
            )
        elif place is None and months is not None:
            errors.add(
                "work_place",
                self.msg(
                    "paired_required",
                    field=self.label("work_place"),
                    other=self.label("work_months"),
                ),
            )

    @post_load
    def normalize_id_number(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        """A resident ID number's trailing `x` becomes `X` (the canonical form).

        In a partial change without `id_type`, a number shaped like a resident ID number
        (17 digits and `x`) is taken as one; another document's number is kept as typed.
        """
        number = data.get("id_number")
        if not isinstance(number, str) or not _RESIDENT_SHAPE.fullmatch(number):
            return data
        if data.get("id_type", "resident_id") == "resident_id":
            data["id_number"] = normalize_id_number(number)
        return data
