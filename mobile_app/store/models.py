"""Dataclasses the repositories return (never sqlite rows), shared by the store and the UI."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


class ValidationFailed(Exception):
    """A record failed the shared schema; `errors` maps dotted field paths to messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(errors)
        self.errors = errors

    def __str__(self) -> str:
        return "; ".join(f"{k}: {', '.join(map(str, v))}" for k, v in sorted(self.errors.items()))


@dataclass(frozen=True)
class Record:
    """One record as the phone holds it: local data and what it knows of the server."""

    entity: str
    id: str
    data: dict[str, Any]
    household_id: str | None
    version: int | None  # the server version the local data is based on (None: never synced)
    deleted: bool
    dirty: bool  # local edits not yet acknowledged by the server
    open_conflicts: list[str]  # field paths with an open conflict on the server
    updated_at: str | None


@dataclass(frozen=True)
class RecordRow:
    """A `records` row as the sync reconcile reads it: local state and its server base."""

    entity: str
    id: str
    household_id: str | None
    data: dict[str, Any] | None  # local state (None only for a bare tombstone)
    base_data: dict[str, Any] | None  # the server state it is based on (None: never synced)
    base_version: int | None
    base_deleted: bool
    deleted: bool
    dirty: bool
    open_conflicts: list[str] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str]:
        return (self.entity, self.id)


@dataclass(frozen=True)
class Household(Record):
    """A household with the denormalised columns the list screen shows."""

    risk_count: int = 0
    last_visit_date: str | None = None
    next_visit_due: str | None = None
    last_review_status: str | None = None
    has_conflict: bool = False
    unsynced: bool = False


@dataclass(frozen=True)
class HouseholdSummary:
    """One row of the household list (no JSON decoding of the whole record)."""

    id: str
    grid_id: str | None
    household_no: str | None
    head_name: str | None
    risk_count: int
    last_visit_date: str | None
    next_visit_due: str | None  # None: never visited, due now
    last_review_status: str | None
    has_conflict: bool
    unsynced: bool
    standing: str = "active"  # the register `status`: active, moved_away or merged
    new_from_field: bool = False  # not confirmed by a supervisor yet (issue 16)


@dataclass(frozen=True)
class Draft:
    """An autosaved, unsaved form (not in the outbox until saved)."""

    id: str
    entity: str
    household_id: str | None
    data: dict[str, Any]
    updated_at: str


@dataclass(frozen=True)
class OutboxEntry:
    """A pending mutation: the fields changed since `base_version` (all fields on create)."""

    seq: int
    entity: str
    record_id: str
    op: str
    base_version: int | None
    data: dict[str, Any]
    hlc: str
    created_at: str
    mutation_id: int | None  # assigned and persisted just before the first send

    def to_wire(self) -> dict[str, Any]:
        """The mutation as PROTOCOL.md sends it."""
        return {
            "mutation_id": self.mutation_id,
            "entity": self.entity,
            "id": self.record_id,
            "op": self.op,
            "base_version": self.base_version,
            "data": self.data,
            "hlc": self.hlc,
        }


@dataclass(frozen=True)
class SyncState:
    """Where sync stands: pull cursor, acknowledgements, last run and what is pending."""

    cursor: int
    last_mutation_id: int  # last id the server acknowledged
    next_mutation_id: int
    last_sync_at: str | None
    last_error: str | None
    pending_count: int
    rejected_count: int
    parked_count: int


@dataclass(frozen=True)
class RejectedMutation:
    """A mutation the server refused, with its field errors, waiting for the worker."""

    mutation_id: int
    entity: str
    record_id: str
    op: str
    data: dict[str, Any]
    errors: dict[str, Any]
    created_at: str


@dataclass(frozen=True)
class ConflictNotice:
    """Something that happened to the worker's data: a conflict or a supervisor's return."""

    key: str
    kind: str  # "conflict" | "returned" | "rejected_review" | "deleted_on_server"
    entity: str
    record_id: str
    household_id: str | None
    field: str | None
    detail: dict[str, Any]
    created_at: str
    seen: bool
    closed: bool


@dataclass(frozen=True)
class ParkedEdit:
    """Something set aside, kept and exportable: an edit the server refused as outside the
    worker's scope (403) or whose record left their grids (`op` upsert/delete/draft), or a
    pulled record version this phone could not store (`op` "pulled"; docs/mobile-store.md)."""

    seq: int
    entity: str
    record_id: str
    op: str
    base_version: int | None
    data: dict[str, Any]
    record_data: dict[str, Any] | None
    hlc: str
    reason: str  # JSON text
    created_at: str

    @property
    def reason_value(self) -> Any:
        """`reason` decoded (the raw text when it is not JSON)."""
        try:
            return json.loads(self.reason)
        except ValueError:
            return self.reason


@dataclass(frozen=True)
class Session:
    """The local login: server, user, token and this install's client id."""

    server_url: str | None
    client_id: str
    user: dict[str, Any] | None
    token: str | None
    grids: list[Any] = field(default_factory=list)
    device_name: str | None = None

    @property
    def logged_in(self) -> bool:
        return bool(self.token and self.server_url)
