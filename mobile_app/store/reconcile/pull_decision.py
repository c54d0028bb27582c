"""Deciding what a pulled page does to the phone's records: pure, plain data in and out.

`decide_pull(changes, local)` reads the page's changes (as the protocol sends them) and what
the phone holds for those records (`PullLocal`: typed rows and which have pending outbox
entries) and returns a `PullDecision`: per change its outcome and the ordered steps that
apply it. No SQL, no clock (the apply phase stamps what it writes), no logging: this is where
a reader learns how the phone folds the server's state into its own (docs/mobile-store.md).

Outcomes: `changed`, `deleted` (a tombstone), `removed` (left the worker's scope), `parked`
(a version this phone cannot store: `admission.check_pulled`; issue 15).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mobile_app.store.models import RecordRow
from mobile_app.store.reconcile.admission import WRONG_TYPE, check_pulled
from shared_schema.sync import rebase_local

Key = tuple[str, str]

CHANGED = "changed"
DELETED = "deleted"
REMOVED = "removed"
PARKED = "parked"


# -- steps: what the apply phase writes, in order ----------------------------------------------
@dataclass(frozen=True)
class WriteRecord:
    """Upsert the row: local `data`/`deleted` and the server base it now stands on."""

    key: Key
    data: dict[str, Any] | None
    deleted: bool
    base_data: dict[str, Any] | None
    base_version: int | None
    base_deleted: bool
    rebase_outbox: bool = False  # re-base the unsent outbox entry onto the new base


@dataclass(frozen=True)
class DropRecord:
    """A clean record deleted on the server: the row and its notices go."""

    key: Key


@dataclass(frozen=True)
class RemoveRecord:
    """The record left the worker's scope: park its pending edits and drafts, then drop it."""

    key: Key


@dataclass(frozen=True)
class SettleRecord:
    """Store the open-conflict fields the server reports and recompute `dirty`."""

    key: Key
    open_conflicts: tuple[str, ...]


@dataclass(frozen=True)
class ParkPulled:
    """Keep a version the phone cannot store, with the problems found; the row stays as is."""

    key: Key
    version: int | None
    data: Any
    errors: dict[str, list[str]]


@dataclass(frozen=True)
class ForgetParkedPulled:
    """A version of this record was applied: an older parked (unreadable) one is obsolete."""

    key: Key


@dataclass(frozen=True)
class AddNotice:
    """Insert or refresh a notice for the worker."""

    key: str
    kind: str
    entity: str
    record_id: str
    household_id: str | None
    field: str | None
    detail: dict[str, Any]


@dataclass(frozen=True)
class CloseNotice:
    """Close one notice by key."""

    key: str


@dataclass(frozen=True)
class CloseOpenFieldNotices:
    """Close the record's `open:` notices except those of `keep` (none kept: the record's
    push-time conflict notices are settled too)."""

    key: Key
    keep: tuple[str, ...]


Step = (
    WriteRecord
    | DropRecord
    | RemoveRecord
    | SettleRecord
    | ParkPulled
    | ForgetParkedPulled
    | AddNotice
    | CloseNotice
    | CloseOpenFieldNotices
)


@dataclass(frozen=True)
class ChangeDecision:
    """One change of the page: its outcome, the household it touches, and its steps."""

    key: Key
    outcome: str
    household_id: str | None
    steps: tuple[Step, ...]
    version: int | None = None
    data: Any = None


@dataclass(frozen=True)
class PullLocal:
    """What the phone holds for the records of a page (loaded in one round of queries)."""

    records: Mapping[Key, RecordRow] = field(default_factory=dict)
    pending: frozenset[Key] = frozenset()  # records with outbox entries
    parked: frozenset[Key] = frozenset()  # records with a parked (unreadable) pulled version


@dataclass(frozen=True)
class PullDecision:
    """Every change's decision, in page order."""

    changes: tuple[ChangeDecision, ...]

    @property
    def counts(self) -> dict[str, int]:
        counts = {CHANGED: 0, REMOVED: 0, DELETED: 0, PARKED: 0}
        for change in self.changes:
            counts[change.outcome] += 1
        return counts

    @property
    def households(self) -> set[str]:
        """Households whose list columns must be recomputed."""
        return {c.household_id for c in self.changes if c.household_id}


def decide_pull(changes: Sequence[Mapping[str, Any]], local: PullLocal) -> PullDecision:
    """Decide a whole page. Later changes see the effect of earlier ones on the same record.

    Nothing here depends on the time (notices and rows are stamped with `now` by apply)."""
    records = dict(local.records)
    decisions = []
    for change in changes:
        key = _key(change)
        decision = decide_change(
            change, records.get(key), key in local.pending, parked=key in local.parked
        )
        decisions.append(decision)
        _follow(records, decision)
    return PullDecision(tuple(decisions))


def _key(change: Mapping[str, Any]) -> Key:
    return (str(change["entity"]), str(change["id"]))


def decide_change(
    change: Mapping[str, Any], rec: RecordRow | None, pending: bool, *, parked: bool = False
) -> ChangeDecision:
    """One pulled change against the phone's row for that record (None: not held here);
    `pending`: it has outbox entries; `parked`: an unreadable version of it is parked."""
    key = _key(change)
    entity, record_id = key
    if change.get("removed"):
        return ChangeDecision(key, REMOVED, rec.household_id if rec else None, (RemoveRecord(key),))
    raw = change.get("data")
    version = change.get("version")
    if isinstance(version, bool) or not isinstance(version, int):
        # The protocol makes it required; a server that leaves it out cannot be followed.
        errors = {"version": [WRONG_TYPE]}
        return ChangeDecision(key, PARKED, None, (ParkPulled(key, None, raw, errors),), data=raw)
    server_deleted = bool(change.get("deleted"))
    problems = check_pulled(entity, raw if raw is not None else {})
    if problems and not server_deleted:
        return ChangeDecision(
            key,
            PARKED,
            None,
            (ParkPulled(key, version, raw, problems),),
            version=version,
            data=raw,
        )
    # A tombstone's data is never computed on; an unreadable one is simply not kept.
    server_data: dict[str, Any] = {} if problems or raw is None else dict(raw)
    outcome = DELETED if server_deleted else CHANGED
    clean = rec is None or (not rec.dirty and not pending)
    steps: list[Step] = [ForgetParkedPulled(key)] if parked else []
    if server_deleted and clean:
        # A clean record deleted on the server simply goes (an unknown one is not stored).
        if rec is not None:
            steps.append(DropRecord(key))
        return _decided(key, outcome, rec.household_id if rec else None, steps, version, raw)
    write: WriteRecord | None = None
    notice: AddNotice | None = None
    if rec is None or clean:
        write = WriteRecord(key, server_data, server_deleted, server_data, version, server_deleted)
    elif rec.deleted:
        # A pending local delete keeps its old base so the server can see a delete-vs-edit
        # conflict; only the knowledge that the server deleted it too is recorded.
        if server_deleted:
            write = WriteRecord(key, rec.data, True, server_data, version, True)
    elif server_deleted:
        # Deleted on the server while edited here: keep the local edit (the push will make
        # the server keep it as a conflict) and tell the worker.
        write = WriteRecord(key, rec.data, False, rec.base_data, rec.base_version, False)
        notice = AddNotice(
            key=f"deleted:{entity}:{record_id}:{version}",
            kind="deleted_on_server",
            entity=entity,
            record_id=record_id,
            household_id=rec.household_id,
            field=None,
            detail={"version": version},
        )
    else:
        # Edited here and changed on the server: the pulled state never overwrites a locally
        # changed field, and the unsent entry is re-based onto the pulled version.
        base = rec.base_data if rec.base_version is not None else None
        new_local, _pending = rebase_local(base, server_data, rec.data or {})
        write = WriteRecord(key, new_local, False, server_data, version, False, rebase_outbox=True)
    if write is not None:
        steps.append(write)
    if notice is not None:
        steps.append(notice)
    household_id = _household_of(key, rec, write, server_data)
    open_fields = tuple(str(f) for f in change.get("open_conflicts") or [])
    steps.append(SettleRecord(key, open_fields))
    steps += conflict_notices(key, household_id, open_fields)
    if entity == "visit":
        previous = rec.base_data if rec is not None else None
        steps += review_notices(record_id, household_id, previous, server_data, version)
    return _decided(key, outcome, household_id, steps, version, raw)


def _decided(
    key: Key,
    outcome: str,
    household_id: str | None,
    steps: Iterable[Step],
    version: int | None,
    data: Any,
) -> ChangeDecision:
    return ChangeDecision(key, outcome, household_id, tuple(steps), version=version, data=data)


def _household_of(
    key: Key, rec: RecordRow | None, write: WriteRecord | None, server_data: Mapping[str, Any]
) -> str | None:
    """The household whose list columns the change moves (as the written row will say)."""
    entity, record_id = key
    if entity == "household":
        return record_id if (rec is not None or write is not None) else None
    if write is not None and isinstance(write.data, dict) and write.data.get("household_id"):
        return str(write.data["household_id"])
    if rec is not None and rec.household_id:
        return rec.household_id
    hid = server_data.get("household_id")
    return str(hid) if hid else None


def conflict_notices(key: Key, household_id: str | None, fields: tuple[str, ...]) -> list[Step]:
    """One notice per open conflict field; close those the server no longer reports."""
    entity, record_id = key
    steps: list[Step] = [
        AddNotice(
            key=f"open:{entity}:{record_id}:{name}",
            kind="conflict",
            entity=entity,
            record_id=record_id,
            household_id=household_id,
            field=name,
            detail={"field": name},
        )
        for name in fields
    ]
    steps.append(CloseOpenFieldNotices(key, fields))
    return steps


def review_notices(
    visit_id: str,
    household_id: str | None,
    previous: Mapping[str, Any] | None,
    data: Mapping[str, Any],
    version: int,
) -> list[Step]:
    """A supervisor's return or rejection reaches the worker as a notice with the comment;
    any other status closes it."""
    status = data.get("review_status")
    before = (previous or {}).get("review_status")
    key = f"review:{visit_id}"
    if status not in ("returned", "rejected"):
        return [CloseNotice(key)]
    if status == before and data.get("review_comment") == (previous or {}).get("review_comment"):
        return []
    return [
        AddNotice(
            key=key,
            kind="returned" if status == "returned" else "rejected_review",
            entity="visit",
            record_id=visit_id,
            household_id=household_id,
            field="review_status",
            detail={
                "status": status,
                "comment": data.get("review_comment"),
                "visit_date": data.get("visit_date"),
                "version": version,
            },
        )
    ]


def _follow(records: dict[Key, RecordRow], decision: ChangeDecision) -> None:
    """Track the row a decision leaves behind, for a later change of the same record."""
    for step in decision.steps:
        if isinstance(step, DropRecord | RemoveRecord):
            records.pop(step.key, None)
        elif isinstance(step, WriteRecord):
            old = records.get(step.key)
            household_id = (
                step.key[1]
                if step.key[0] == "household"
                else ((step.data or {}).get("household_id") or (old.household_id if old else None))
            )
            row = RecordRow(
                entity=step.key[0],
                id=step.key[1],
                household_id=household_id,
                data=step.data,
                base_data=step.base_data,
                base_version=step.base_version,
                base_deleted=step.base_deleted,
                deleted=step.deleted,
                dirty=old.dirty if old is not None else False,
            )
            records[step.key] = row


@dataclass(frozen=True)
class OpenConflictsDecision:
    """The notices `GET /api/v1/conflicts?status=open` yields: added, and closed by key."""

    notices: tuple[AddNotice, ...]
    closed: tuple[CloseNotice, ...]

    @property
    def open_keys(self) -> tuple[str, ...]:
        return tuple(n.key for n in self.notices)


def decide_open_conflicts(
    conflicts: Sequence[Mapping[str, Any]],
    held: Mapping[Key, str | None],
    *,
    client_id: str | None,
) -> OpenConflictsDecision:
    """Each open conflict on a record this phone holds (`held`: key → household id), or
    holding an edit made on this phone even of a record deleted since, becomes the notice
    `conflict:<id>` with the base, server and client values; the coarser `open:` notice of
    the same field closes. (Conflict notices the server no longer lists close in apply.)"""
    notices: list[AddNotice] = []
    closed: list[CloseNotice] = []
    for c in conflicts:
        key = (str(c.get("entity")), str(c.get("record_id")))
        if key not in held and (client_id is None or c.get("client_id") != client_id):
            continue
        entity, record_id = key
        if key in held:
            household_id = held[key]
        elif entity == "household":
            household_id = record_id
        else:  # a member/visit of a household deleted since (issue 6)
            household_id = (c.get("client_data") or {}).get("household_id")
        notices.append(
            AddNotice(
                key=f"conflict:{c['id']}",
                kind="conflict",
                entity=entity,
                record_id=record_id,
                household_id=household_id,
                field=c.get("field"),
                detail=dict(c),
            )
        )
        closed.append(CloseNotice(f"open:{entity}:{record_id}:{c.get('field')}"))
    return OpenConflictsDecision(tuple(notices), tuple(closed))
