"""`VisitSchema`: one inspection visit in the wire format (docs/data-model.md#visit).

Nested parts (`income`, `water`, `gps`) are schemas of their own so that a partial change
(`{"income": {"wage": 1200}}`) is checked key by key, like the merge treats them.
Decisions where data-model.md is silent:
- `water`: `source`, `quantity_lpd`, `quality_ok` and `reliability_pct` are required (what the
  WATER_UNSAFE rule needs to judge quantity, quality and reliability); `fetch_minutes` is null
  for tap water and required for any other source (convenience); `interruption_days` optional.
- `water.fetch_minutes` ≤ 1440 (a day) and `water.interruption_days` ≤ 366 (the trailing
  year): upper bounds that no real answer exceeds, so that a slip of the finger is caught.
- `gps`: `lat` and `lon` required, `accuracy_m` optional (0 … 100,000 m), `fixed_at` optional
  (when the phone got the fix: the start of the visit, issue 14).
- `water.quantity_lpd` 0 … 1,000 litres per person per day (`bounds.MAX_QUANTITY_LPD`).
- `visit_date`, and the day of `started_at` / `ended_at`: 2000-01-01 … `today` + 1 day
  (`bounds`; `today` is the caller's, passed to the schema).
- `photos`: at most 50 references, each 1–255 characters.
- `attachments` (PROTOCOL.md "Attachments", docs/attachments.md): at most 20 files, each named
  by a lowercase hex SHA-256 that appears once in the list; `size` 1 byte to 10 MiB (the
  server's `Tus-Max-Size`), `width`/`height` 1–20,000 px when known, `taken_at` optional.
- `started_at` / `ended_at` must both carry a UTC offset or both lack one to be compared.
- From a client (`origin="client"`), `review_status` may only be `submitted` and
  `review_comment` may not be sent at all; the server (`origin="server"`) writes both.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from marshmallow import fields, validate, validates_schema

from shared_schema.enums import ENUMS
from shared_schema.forms.definitions import VISIT_FORM
from shared_schema.schemas.base import RecordSchema, RuleErrors
from shared_schema.schemas.bounds import EARLIEST_DAY, MAX_ACCURACY_M, MAX_QUANTITY_LPD
from shared_schema.schemas.fieldtypes import (
    Amount,
    Code,
    CodeList,
    Count,
    Day,
    Flag,
    ItemCount,
    Moment,
    Quantity,
    Sha256Hex,
    Text,
)

MAX_RISKS = VISIT_FORM.field("risks").max_items  # written once, in the form definition
MAX_FORM_VERSION = 1_000_000
MAX_PHOTOS = 50
MAX_FETCH_MINUTES = 1440
"""A round trip to fetch water longer than a day is a typing error, not a measurement."""
DAYS_IN_A_YEAR = 366
"""`water.interruption_days` counts days of the trailing year."""
MAX_ATTACHMENTS = 20
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
"""The default `Tus-Max-Size`: no file a visit refers to can be larger."""
MAX_IMAGE_SIDE = 20_000
ATTACHMENT_MIMES: tuple[str, ...] = ("image/jpeg", "image/png", "image/webp")


class IncomeSchema(RecordSchema):
    """Trailing-12-month income in yuan; payouts and medical spending are kept apart."""

    entity: ClassVar[str] = "visit"

    wage = Amount(required=True)
    operating = Amount(required=True)
    property = Amount(required=True)
    transfer = Amount(required=True)
    costs = Amount(required=True)
    insurance_payout = Amount(allow_none=True)
    medical_out_of_pocket = Amount(allow_none=True)


class WaterSchema(RecordSchema):
    """Drinking-water safety: quantity, quality, convenience, reliability."""

    entity: ClassVar[str] = "visit"

    source = Code("water_source", required=True)
    quantity_lpd = Quantity(validate=validate.Range(min=0, max=MAX_QUANTITY_LPD), required=True)
    quality_ok = Flag(required=True)
    fetch_minutes = Count(validate=validate.Range(min=0, max=MAX_FETCH_MINUTES), allow_none=True)
    reliability_pct = Quantity(validate=validate.Range(min=0, max=100), required=True)
    interruption_days = Count(validate=validate.Range(min=0, max=DAYS_IN_A_YEAR), allow_none=True)

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def check_fetch_minutes(self, data: dict[str, Any], original: Any, **kwargs: Any) -> None:
        if not self.checkable(data, original, ("source", "fetch_minutes"), kwargs.get("partial")):
            return
        params = {
            "field": self.label("water.fetch_minutes"),
            "other": self.label("water.source"),
            "tap": ENUMS["water_source"].label("tap", self.lang),
        }
        errors = RuleErrors()
        tap = data.get("source") == "tap"
        has_minutes = data.get("fetch_minutes") is not None
        if tap and has_minutes:
            errors.add("fetch_minutes", self.msg("fetch_minutes_tap", **params))
        elif not tap and not has_minutes and data.get("source") is not None:
            errors.add("fetch_minutes", self.msg("fetch_minutes_required", **params))
        errors.raise_if_any()


class GpsSchema(RecordSchema):
    """Where the visit took place (WGS 84 degrees)."""

    entity: ClassVar[str] = "visit"

    lat = Quantity(validate=validate.Range(min=-90, max=90), required=True)
    lon = Quantity(validate=validate.Range(min=-180, max=180), required=True)
    accuracy_m = Quantity(validate=validate.Range(min=0, max=MAX_ACCURACY_M), allow_none=True)
    fixed_at = Moment(earliest=EARLIEST_DAY, allow_none=True)


class AttachmentSchema(RecordSchema):
    """One file a visit refers to, by the SHA-256 of its bytes (uploaded separately, tus)."""

    entity: ClassVar[str] = "visit"

    sha256 = fields.String(validate=[Sha256Hex()], required=True)
    kind = Code("attachment_kind", required=True)
    mime = fields.String(validate=[validate.OneOf(ATTACHMENT_MIMES)], required=True)
    size = Count(validate=validate.Range(min=1, max=MAX_ATTACHMENT_BYTES), required=True)
    width = Count(validate=validate.Range(min=1, max=MAX_IMAGE_SIDE), allow_none=True)
    height = Count(validate=validate.Range(min=1, max=MAX_IMAGE_SIDE), allow_none=True)
    taken_at = Moment(allow_none=True)


class VisitSchema(RecordSchema):
    """A visit: when and how, income, two-no-worries checks, water, risks, assistance, review."""

    entity: ClassVar[str] = "visit"
    server_owned: ClassVar[tuple[str, ...]] = ("review_status", "review_comment")
    uses_today: ClassVar[bool] = True

    household_id = fields.UUID(required=True)
    visit_date = Day(earliest=EARLIEST_DAY, required=True)
    visit_type = Code("visit_type", required=True)
    contact_mode = Code("contact_mode", required=True)
    started_at = Moment(earliest=EARLIEST_DAY, allow_none=True)
    ended_at = Moment(earliest=EARLIEST_DAY, allow_none=True)
    gps = fields.Nested(GpsSchema, allow_none=True)
    income = fields.Nested(IncomeSchema, required=True)
    food_ok = Flag(required=True)
    clothing_ok = Flag(required=True)
    water = fields.Nested(WaterSchema, required=True)
    risks = CodeList("risk", defined_by=("visit", "risks"), required=True)
    disaster_type = Code("disaster_type", allow_none=True)
    risk_notes = Text(max_length=500, multiline=True, allow_none=True)
    assistance = CodeList("assistance", required=True)
    assistance_notes = Text(max_length=1000, multiline=True, allow_none=True)
    photos = fields.List(
        Text(min_length=1, max_length=255),
        validate=[ItemCount(max=MAX_PHOTOS)],
        allow_none=True,
    )
    signed_by = Text(max_length=50, allow_none=True)
    signer_relation = Code("relation", allow_none=True)  # who signed (`signed_by`), to the head
    attachments = fields.List(
        fields.Nested(AttachmentSchema),
        validate=[ItemCount(max=MAX_ATTACHMENTS)],
        allow_none=True,
    )
    confirmed = Flag(required=True)
    notes = Text(max_length=2000, multiline=True, allow_none=True)
    review_status = Code("review_status", allow_none=True)
    review_comment = Text(max_length=1000, multiline=True, allow_none=True)
    form_version = Count(validate=validate.Range(min=1, max=MAX_FORM_VERSION), allow_none=True)
    """The published configuration version the visit was filled with (PROTOCOL.md
    "Configuration"); absent or null: an app older than versioned configuration, version 1."""

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def check_rules(self, data: dict[str, Any], original: Any, **kwargs: Any) -> None:
        partial = kwargs.get("partial")
        errors = RuleErrors()
        self._check_disaster_type(data, original, partial, errors)
        self._check_times(data, original, partial, errors)
        self._check_server_owned(data, original, errors)
        self._check_attachments(data, errors)
        errors.raise_if_any()

    def _check_disaster_type(
        self, data: Mapping[str, Any], original: Any, partial: Any, errors: RuleErrors
    ) -> None:
        if not self.checkable(data, original, ("risks", "disaster_type"), partial):
            return
        if data.get("disaster_type") is not None and "disaster" not in (data.get("risks") or []):
            errors.add(
                "disaster_type",
                self.msg(
                    "disaster_type_forbidden",
                    field=self.label("disaster_type"),
                    other=self.label("risks"),
                    disaster=ENUMS["risk"].label("disaster", self.lang),
                ),
            )

    def _check_times(
        self, data: Mapping[str, Any], original: Any, partial: Any, errors: RuleErrors
    ) -> None:
        if not self.checkable(data, original, ("started_at", "ended_at"), partial):
            return
        started, ended = data.get("started_at"), data.get("ended_at")
        if started is None or ended is None:
            return
        params = {"field": self.label("ended_at"), "other": self.label("started_at")}
        if (started.utcoffset() is None) != (ended.utcoffset() is None):
            errors.add("ended_at", self.msg("datetime_awareness", **params))
        elif ended < started:
            errors.add("ended_at", self.msg("ended_before_started", **params))

    def _check_attachments(self, data: Mapping[str, Any], errors: RuleErrors) -> None:
        """A file appears once in a visit (its hash is its name)."""
        hashes = [a.get("sha256") for a in data.get("attachments") or () if isinstance(a, dict)]
        if len(set(hashes)) != len(hashes):
            errors.add("attachments", self.msg("duplicate_items", field=self.label("attachments")))

    def _check_server_owned(
        self, data: Mapping[str, Any], original: Any, errors: RuleErrors
    ) -> None:
        if self.origin != "client" or not isinstance(original, Mapping):
            return
        if "review_comment" in original:
            errors.add(
                "review_comment", self.msg("server_owned", field=self.label("review_comment"))
            )
        if "review_status" in data and data["review_status"] != "submitted":
            errors.add(
                "review_status",
                self.msg(
                    "review_status_client",
                    field=self.label("review_status"),
                    submitted=ENUMS["review_status"].label("submitted", self.lang),
                ),
            )
