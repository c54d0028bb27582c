"""Deciding what a push answer does to the phone's records: pure, plain data in and out.

`decide_push(results, local)` takes the server's per-mutation results (PROTOCOL.md: `applied`,
`merged`, `conflict`, `rejected`, each with the record's `version` and conflict ids) and what
the phone holds (`PushLocal`: the numbered outbox entries and the records they touch) and
returns one `Acknowledgement` per result it can match, each with the ordered steps that
fold it in. No SQL, no clock, no logging (docs/mobile-store.md, "Push results").

The status names are the protocol's (`shared_schema.schemas.protocol.RESULT_STATUSES`), the
same words the server's decide uses.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from mobile_app.store.models import OutboxEntry, RecordRow
from mobile_app.store.reconcile.pull_decision import AddNotice, Key
from shared_schema.sync import STATUS_CONFLICT, apply_changes

STATUS_REJECTED = "rejected"


@dataclass(frozen=True)
class DropEntry:
    """The outbox entry is answered: it goes."""

    seq: int


@dataclass(frozen=True)
class KeepRejected:
    """Keep the refused mutation with the server's field errors (the local edit stays)."""

    entry: OutboxEntry
    errors: Any


@dataclass(frozen=True)
class SetBase:
    """The server holds `data` at `version`: the record's new base."""

    key: Key
    data: dict[str, Any]
    version: int | None


@dataclass(frozen=True)
class SetBaseDeleted:
    """The server deleted the record at `version`."""

    key: Key
    version: int | None


@dataclass(frozen=True)
class Undelete:
    """A delete the server kept as a conflict: bring the record back with the worker's own
    edits, which go out again as an upsert (stamped `hlc`) on the same base."""

    key: Key
    hlc: str


@dataclass(frozen=True)
class SettleAfterAck:
    """Re-base later edits waiting for this base; drop a record nothing is left to tell the
    server about (an acknowledged delete, or a rejected create deleted since)."""

    key: Key


PushStep = (
    DropEntry | KeepRejected | SetBase | SetBaseDeleted | Undelete | SettleAfterAck | AddNotice
)


@dataclass(frozen=True)
class Acknowledgement:
    """One result folded in: its status, the household it touches, and its steps."""

    mutation_id: int
    status: str
    household_id: str | None
    steps: tuple[PushStep, ...]


@dataclass(frozen=True)
class PushLocal:
    """The outbox entries answered (by mutation id) and their records."""

    entries: Mapping[int, OutboxEntry] = field(default_factory=dict)
    records: Mapping[Key, RecordRow] = field(default_factory=dict)


@dataclass(frozen=True)
class PushDecision:
    """Every matched result's acknowledgement, in answer order."""

    acks: tuple[Acknowledgement, ...]

    @property
    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for ack in self.acks:
            counts[ack.status] = counts.get(ack.status, 0) + 1
        return counts

    @property
    def households(self) -> set[str]:
        return {a.household_id for a in self.acks if a.household_id}


def decide_push(results: Sequence[Mapping[str, Any]], local: PushLocal) -> PushDecision:
    """Decide a push answer. Results for ids not in the outbox (handled before) are skipped."""
    records = dict(local.records)
    acks = []
    seen: set[int] = set()
    for result in results:
        mid = result.get("mutation_id")
        if not isinstance(mid, int) or mid in seen or mid not in local.entries:
            continue
        seen.add(mid)
        entry = local.entries[mid]
        key = (entry.entity, entry.record_id)
        ack = decide_result(entry, records.get(key), result)
        acks.append(ack)
        _follow(records, key, ack)
    return PushDecision(tuple(acks))


def new_base_version(answered: int | None, held: int | None) -> int | None:
    """The base version after an answer: the answer's, but never behind what a pull already
    brought (a pull may have moved the base past this answer's version)."""
    version = answered if answered is not None else held
    if held is not None and version is not None:
        version = max(version, held)
    return version


def decide_result(
    entry: OutboxEntry, rec: RecordRow | None, result: Mapping[str, Any]
) -> Acknowledgement:
    """One mutation's result against its outbox entry and the record as the phone holds it."""
    key = (entry.entity, entry.record_id)
    status = str(result.get("status"))
    mid = int(entry.mutation_id or 0)
    steps: list[PushStep] = [DropEntry(entry.seq)]
    household_id = rec.household_id if rec is not None else None
    if status == STATUS_REJECTED:
        steps.append(KeepRejected(entry, result.get("errors") or {}))
    elif rec is not None:
        version = new_base_version(result.get("version"), rec.base_version)
        if entry.op == "delete":
            if status == STATUS_CONFLICT:
                steps.append(Undelete(key, entry.hlc))
            else:
                steps.append(SetBaseDeleted(key, version))
        else:
            # Applied, merged or conflict: the server holds our sent values as far as we know
            # (conflicting fields stay provisionally the server's; the next pull brings them
            # and, because they are now in our base, they replace our value locally).
            steps.append(SetBase(key, apply_changes(rec.base_data or {}, entry.data), version))
        for conflict_id in result.get("conflicts") or []:
            steps.append(
                AddNotice(
                    key=f"conflict:{conflict_id}",
                    kind="conflict",
                    entity=entry.entity,
                    record_id=entry.record_id,
                    household_id=household_id,
                    field=None,
                    detail={
                        "conflict_id": conflict_id,
                        "mutation_id": entry.mutation_id,
                        "op": entry.op,
                        "sent": entry.data,
                    },
                )
            )
    if rec is not None:
        steps.append(SettleAfterAck(key))
    return Acknowledgement(mid, status, household_id, tuple(steps))


def _follow(records: dict[Key, RecordRow], key: Key, ack: Acknowledgement) -> None:
    """The base an acknowledgement leaves, for a later result of the same record."""
    rec = records.get(key)
    if rec is None:
        return
    for step in ack.steps:
        if isinstance(step, SetBase):
            rec = replace(rec, base_data=step.data, base_version=step.version, base_deleted=False)
        elif isinstance(step, SetBaseDeleted):
            rec = replace(rec, base_version=step.version, base_deleted=True)
        elif isinstance(step, Undelete):
            data = rec.data if rec.data is not None else rec.base_data
            rec = replace(rec, deleted=False, data=data)
    records[key] = rec
