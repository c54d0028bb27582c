"""Push answers in three phases: load the answered entries → decide (pure) → apply.

Also numbering a batch before it is sent, and the recoveries of docs/protocol-notes.md: 409
(renumber from the server's last id + 1) and 403 (park the out-of-scope mutations, renumber
the rest from the batch's first id).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from mobile_app.store.crashpoints import reach
from mobile_app.store.database import Connection, Database
from mobile_app.store.models import OutboxEntry
from mobile_app.store.notices import add_notice
from mobile_app.store.outbox import (
    drop_entry,
    entries_by_mutation_id,
    has_pending,
    numbered_entries,
    renumber,
    set_mutation_id,
    sync_record_outbox,
    unnumbered_entries,
)
from mobile_app.store.parked import park_outbox_entry
from mobile_app.store.reconcile.pull_decision import AddNotice
from mobile_app.store.reconcile.push_decision import (
    DropEntry,
    KeepRejected,
    PushDecision,
    PushLocal,
    PushStep,
    SetBase,
    SetBaseDeleted,
    SettleAfterAck,
    Undelete,
    decide_push,
)
from mobile_app.store.records import (
    delete_record,
    load_record,
    load_records,
    refresh_dirty,
    refresh_household,
    restore_base,
    set_base,
    set_base_deleted,
    undelete,
)
from mobile_app.store.rejected import add_rejected, resolve_record_rejections
from mobile_app.store.sync_state import get_value, next_mutation_id, set_value

ENVELOPE_BYTES = 200  # {"client_id": ..., "schema_version": 1, "mutations": []}


def wire_size(entry: OutboxEntry, mutation_id: int) -> int:
    """Bytes one mutation takes in the uncompressed push body."""
    wire = entry.to_wire() | {"mutation_id": mutation_id}
    return len(json.dumps(wire, ensure_ascii=False, separators=(",", ":")).encode("utf-8")) + 1


def prepare_batch(db: Database, *, max_mutations: int, max_bytes: int) -> list[OutboxEntry]:
    """The next batch to push: previously numbered entries first (resent unchanged), else
    number the next entries in outbox order within the limits and persist the ids.
    """
    with db.transaction() as conn:
        numbered = numbered_entries(conn, max_mutations)
        if numbered:
            return numbered
        next_id = next_mutation_id(conn)
        batch: list[OutboxEntry] = []
        size = ENVELOPE_BYTES
        for entry in unnumbered_entries(conn, max_mutations):
            cost = wire_size(entry, next_id)
            if batch and size + cost > max_bytes:
                break
            size += cost
            set_mutation_id(conn, entry.seq, next_id)
            batch.append(_with_id(entry, next_id))
            next_id += 1
        set_value(conn, "next_mutation_id", next_id)
    return batch


def _with_id(entry: OutboxEntry, mutation_id: int) -> OutboxEntry:
    return OutboxEntry(**{**entry.__dict__, "mutation_id": mutation_id})


def record_push_results(
    db: Database,
    results: Sequence[Mapping[str, Any]],
    last_mutation_id: int | None,
    *,
    now: str,
) -> dict[str, int]:
    """Apply a push answer in one transaction: per result advance the base or keep the
    rejection, and drop the entry. Returns counts by status."""
    with db.transaction() as conn:
        local = load_push(conn, results)
        decision = decide_push(results, local)
        apply_push(conn, decision, now=now)
        if last_mutation_id is not None:
            current = int(get_value(conn, "last_mutation_id", 0))
            set_value(conn, "last_mutation_id", max(current, int(last_mutation_id)))
        for household_id in sorted(decision.households):
            refresh_household(conn, household_id)
    return decision.counts


def load_push(conn: Connection, results: Sequence[Mapping[str, Any]]) -> PushLocal:
    """The numbered entries the answer names and the records they touch."""
    ids = [r["mutation_id"] for r in results if isinstance(r.get("mutation_id"), int)]
    entries = entries_by_mutation_id(conn, ids)
    records = load_records(conn, [(e.entity, e.record_id) for e in entries.values()])
    return PushLocal(entries=entries, records=records)


def apply_push(conn: Connection, decision: PushDecision, *, now: str) -> None:
    """Write a decided push answer."""
    for ack in decision.acks:
        for step in ack.steps:
            apply_push_step(conn, step, now)
        reach("push.result")


def apply_push_step(conn: Connection, step: PushStep, now: str) -> None:
    """Carry out one decided step with the owning modules' writers."""
    if isinstance(step, DropEntry):
        drop_entry(conn, step.seq)
    elif isinstance(step, KeepRejected):
        add_rejected(conn, step.entry, step.errors, now=now)
    elif isinstance(step, SetBase):
        set_base(conn, *step.key, data=step.data, version=step.version)
    elif isinstance(step, SetBaseDeleted):
        set_base_deleted(conn, *step.key, step.version)
    elif isinstance(step, Undelete):
        undelete(conn, *step.key)
        sync_record_outbox(conn, *step.key, hlc=step.hlc, now=now)
    elif isinstance(step, SettleAfterAck):
        _settle(conn, *step.key, now=now)
    elif isinstance(step, AddNotice):
        apply_notice(conn, step, now)
    else:  # pragma: no cover - every step type is handled above
        raise TypeError(f"unknown step {step!r}")


def _settle(conn: Connection, entity: str, record_id: str, *, now: str) -> None:
    # Later edits of the same record were waiting for this base: re-base them now.
    sync_record_outbox(conn, entity, record_id, hlc=None, now=now)
    rec = load_record(conn, entity, record_id)
    if rec is None:
        return
    never_on_server = rec.base_version is None
    if (
        rec.deleted
        and (rec.base_deleted or never_on_server)
        and not has_pending(conn, entity, record_id)
    ):
        # Nothing left to tell the server: an acknowledged delete, or a record whose
        # create was rejected and which the worker has deleted since.
        delete_record(conn, entity, record_id)
        resolve_record_rejections(conn, entity, record_id)
    else:
        refresh_dirty(conn, entity, record_id)


def renumber_from(db: Database, first_id: int) -> None:
    """Give every numbered outbox entry consecutive ids from `first_id` (409 gap recovery)."""
    with db.transaction() as conn:
        set_value(conn, "next_mutation_id", renumber(conn, first_id))


def park_and_renumber(
    db: Database, batch: list[OutboxEntry], errors: Mapping[str, Any], *, now: str
) -> int:
    """403 recovery: park the batch's out-of-scope mutations, renumber the rest from the
    batch's first id (the server recorded nothing). Returns how many were parked."""
    bad = out_of_scope_indexes(errors)
    if not bad:
        return 0
    with db.transaction() as conn:
        for index in sorted(bad):
            if index >= len(batch):
                continue
            park_entry(conn, batch[index], reason=errors.get(f"mutations.{index}"), now=now)
        set_value(conn, "next_mutation_id", renumber(conn, batch[0].mutation_id or 1))
    return len(bad)


def out_of_scope_indexes(errors: Mapping[str, Any] | None) -> set[int]:
    """The batch indexes a 403's field errors name (`mutations.<index>`)."""
    bad = set()
    for key in errors or {}:
        parts = str(key).split(".")
        if len(parts) >= 2 and parts[0] == "mutations" and parts[1].isdigit():
            bad.add(int(parts[1]))
    return bad


def park_entry(conn: Connection, entry: OutboxEntry, *, reason: Any, now: str) -> None:
    """Set a pending edit aside: kept in `parked`, dropped from the outbox, and the record
    falls back to what the server has (a record the server never had goes)."""
    rec = load_record(conn, entry.entity, entry.record_id)
    park_outbox_entry(
        conn, entry, record_data=rec.data if rec is not None else None, reason=reason, now=now
    )
    drop_entry(conn, entry.seq)
    if rec is None:
        return
    restore_base(conn, entry.entity, entry.record_id)
    if rec.base_version is None:
        delete_record(conn, entry.entity, entry.record_id)
    else:
        refresh_dirty(conn, entry.entity, entry.record_id)
    refresh_household(conn, rec.household_id)


def apply_notice(conn: Connection, step: AddNotice, now: str) -> None:
    """Write a decided notice (pull and push decide them alike) through its owner module."""
    add_notice(
        conn,
        key=step.key,
        kind=step.kind,
        entity=step.entity,
        record_id=step.record_id,
        household_id=step.household_id,
        field=step.field,
        detail=step.detail,
        now=now,
    )
