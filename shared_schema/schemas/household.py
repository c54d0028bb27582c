"""`HouseholdSchema`: a household record in the wire format (docs/data-model.md#household)."""

from __future__ import annotations

from typing import ClassVar

from shared_schema.schemas.base import RecordSchema
from shared_schema.schemas.fieldtypes import Code, Flag, Phone, Text


class HouseholdSchema(RecordSchema):
    """A household: its grid, number, head, address, type, category and housing."""

    entity: ClassVar[str] = "household"

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
