"""`HouseholdSchema`: a household record in the wire format (docs/data-model.md#household).

The register: `status` (absent or null reads as `active`) is `moved_away` or `merged`, and a
merged household names the household it joined in `merged_into` (required then, forbidden
otherwise). `registration` is server-owned: a household created through push is `field_new`
(新登记) until a supervisor confirms it; a client may not send it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from marshmallow import fields, validates_schema

from shared_schema.enums import ENUMS
from shared_schema.schemas.base import RecordSchema, RuleErrors
from shared_schema.schemas.fieldtypes import Code, Flag, Phone, Text


class HouseholdSchema(RecordSchema):
    """A household: its grid, number, head, address, type, category, housing and register."""

    entity: ClassVar[str] = "household"
    server_owned: ClassVar[tuple[str, ...]] = ("registration",)

    grid_id = Text(min_length=1, max_length=64, required=True)
    household_no = Text(min_length=1, max_length=32, required=True)
    head_name = Text(min_length=1, max_length=50, required=True)
    address = Text(min_length=1, max_length=200, required=True)
    phone = Phone(allow_none=True)
    household_type = Code("household_type", required=True)
    monitor_category = Code("monitor_category", allow_none=True)
    house_grade = Code("house_grade", required=True)
    house_damaged = Flag(allow_none=True)
    notes = Text(max_length=2000, multiline=True, allow_none=True)
    status = Code("household_status", allow_none=True)
    merged_into = fields.UUID(allow_none=True)
    registration = Code("registration", allow_none=True)

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def check_rules(self, data: dict[str, Any], original: Any, **kwargs: Any) -> None:
        errors = RuleErrors()
        self._check_merged_into(data, original, kwargs.get("partial"), errors)
        if self.origin == "client" and isinstance(original, Mapping) and "registration" in original:
            errors.add("registration", self.msg("server_owned", field=self.label("registration")))
        errors.raise_if_any()

    def _check_merged_into(
        self, data: Mapping[str, Any], original: Any, partial: Any, errors: RuleErrors
    ) -> None:
        if not self.checkable(data, original, ("status", "merged_into"), partial):
            return
        merged = data.get("status") == "merged"
        params = {
            "field": self.label("merged_into"),
            "status": self.label("status"),
            "merged": ENUMS["household_status"].label("merged", self.lang),
        }
        if merged and data.get("merged_into") is None:
            errors.add("merged_into", self.msg("merged_into_required", **params))
        elif not merged and data.get("merged_into") is not None:
            errors.add("merged_into", self.msg("merged_into_forbidden", **params))
