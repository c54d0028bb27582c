"""Pulled pages in three phases: load what the phone holds → decide (pure) → apply.

`apply_pull_page` applies one page AND advances the cursor in one transaction. Each change
is applied inside a savepoint: one the phone still cannot store (beyond what
`admission.check_pulled` catches) is rolled back alone and parked with the error, and the
rest of the page, the cursor and later pages go on (issue 15).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

from mobile_app.store.crashpoints import reach
from mobile_app.store.database import Connection, Database
from mobile_app.store.drafts import delete_draft, drafts_of
from mobile_app.store.notices import (
    close_conflict_notices_except,
    close_notice,
    close_open_field_notices,
    close_record_notices,
    households_with_notices,
)
from mobile_app.store.outbox import entries_for, pending_keys, sync_record_outbox
from mobile_app.store.parked import (
    REMOVED_REASON,
    drop_pulled,
    park_draft,
    park_pulled,
    pulled_keys,
)
from mobile_app.store.reconcile.admission import CANNOT_STORE, RECORD
from mobile_app.store.reconcile.pull_decision import (
    PARKED,
    AddNotice,
    ChangeDecision,
    CloseNotice,
    CloseOpenFieldNotices,
    DropRecord,
    ForgetParkedPulled,
    Key,
    ParkPulled,
    PullDecision,
    PullLocal,
    RemoveRecord,
    SettleRecord,
    Step,
    WriteRecord,
    decide_open_conflicts,
    decide_pull,
)
from mobile_app.store.reconcile.push import apply_notice, park_entry
from mobile_app.store.records import (
    delete_record,
    load_records,
    refresh_dirty,
    refresh_household,
    set_open_conflicts,
    write_row,
)
from mobile_app.store.sync_state import set_value

# What applying one pulled change may raise when a value is beyond what the phone can store
# or compute on (an integer too large for SQLite, date arithmetic overflowing, a wrong type
# reaching the rules). Disk and locking errors are not among them: those stop the sync.
UNSTORABLE = (
    ValueError,
    TypeError,
    ArithmeticError,
    KeyError,
    RecursionError,
    sqlite3.InterfaceError,
    sqlite3.DataError,
)


def apply_pull_page(db: Database, page: Mapping[str, Any], *, now: str) -> dict[str, int]:
    """Apply one pulled page and advance the cursor in one transaction; return counts
    (`changed`, `deleted`, `removed`, `parked`)."""
    changes: Sequence[Mapping[str, Any]] = page.get("changes") or []
    with db.transaction() as conn:
        local = load_pull(conn, changes)
        decision = decide_pull(changes, local)
        counts = apply_pull(conn, decision, now=now)
        reach("pull.before_cursor")
        set_value(conn, "cursor", int(page["cursor"]))
    return counts


def load_pull(conn: Connection, changes: Sequence[Mapping[str, Any]]) -> PullLocal:
    """The rows and pending flags of the page's records, in one round of queries."""
    keys = [(str(c["entity"]), str(c["id"])) for c in changes]
    return PullLocal(
        records=load_records(conn, keys),
        pending=frozenset(pending_keys(conn) & set(keys)),
        parked=frozenset(pulled_keys(conn) & set(keys)),
    )


def apply_pull(conn: Connection, decision: PullDecision, *, now: str) -> dict[str, int]:
    """Write a decided page. The page is tried in one savepoint; when a change fails with a
    value the phone cannot store, the page is rolled back to it and applied again with each
    change in its own savepoint, so that change alone is parked (two statements a change are
    only spent when a page holds such a value)."""
    conn.execute("SAVEPOINT pulled_page")
    try:
        outcomes = []
        for change in decision.changes:
            for step in change.steps:
                apply_step(conn, step, now)
            outcomes.append(change.outcome)
            reach("pull.change")
    except UNSTORABLE:
        conn.execute("ROLLBACK TO pulled_page")
        outcomes = []
        for change in decision.changes:
            outcomes.append(_apply_change(conn, change, now))
            reach("pull.change")
    conn.execute("RELEASE pulled_page")
    counts = {"changed": 0, "removed": 0, "deleted": 0, "parked": 0}
    households: set[str] = set()
    for change, outcome in zip(decision.changes, outcomes, strict=True):
        counts[outcome] += 1
        if outcome != PARKED and change.household_id:
            households.add(change.household_id)
    for household_id in sorted(households):
        refresh_household(conn, household_id)
    return counts


def _apply_change(conn: Connection, change: ChangeDecision, now: str) -> str:
    conn.execute("SAVEPOINT pulled_change")
    try:
        for step in change.steps:
            apply_step(conn, step, now)
    except UNSTORABLE as exc:
        conn.execute("ROLLBACK TO pulled_change")
        conn.execute("RELEASE pulled_change")
        entity, record_id = change.key
        park_pulled(
            conn,
            entity=entity,
            record_id=record_id,
            version=change.version,
            data=change.data,
            errors={RECORD: [CANNOT_STORE, f"{type(exc).__name__}: {exc}"[:300]]},
            now=now,
        )
        return PARKED
    conn.execute("RELEASE pulled_change")
    return change.outcome


def apply_step(conn: Connection, step: Step, now: str) -> None:
    """Carry out one decided step with the owning modules' writers."""
    if isinstance(step, WriteRecord):
        entity, record_id = step.key
        write_row(
            conn,
            entity,
            record_id,
            data=step.data,
            deleted=step.deleted,
            now=now,
            base=(step.base_data, step.base_version, step.base_deleted),
        )
        if step.rebase_outbox:
            sync_record_outbox(conn, entity, record_id, hlc=None, now=now)
    elif isinstance(step, SettleRecord):
        set_open_conflicts(conn, *step.key, step.open_conflicts)
        refresh_dirty(conn, *step.key)
    elif isinstance(step, DropRecord):
        delete_record(conn, *step.key)
        close_record_notices(conn, *step.key)
    elif isinstance(step, RemoveRecord):
        _remove(conn, step.key, now)
    elif isinstance(step, ParkPulled):
        park_pulled(
            conn,
            entity=step.key[0],
            record_id=step.key[1],
            version=step.version,
            data=step.data,
            errors=step.errors,
            now=now,
        )
    elif isinstance(step, ForgetParkedPulled):
        drop_pulled(conn, *step.key)
    elif isinstance(step, AddNotice):
        apply_notice(conn, step, now)
    elif isinstance(step, CloseNotice):
        close_notice(conn, step.key)
    elif isinstance(step, CloseOpenFieldNotices):
        close_open_field_notices(conn, *step.key, step.keep)
    else:  # pragma: no cover - every Step type is handled above
        raise TypeError(f"unknown step {step!r}")


def _remove(conn: Connection, key: Key, now: str) -> None:
    """The record left the worker's scope: park its pending edits and drafts, then drop it."""
    entity, record_id = key
    for entry in entries_for(conn, entity, record_id):
        park_entry(conn, entry, reason=REMOVED_REASON, now=now)
    for draft in drafts_of(conn, entity, record_id):
        park_draft(conn, draft, reason=REMOVED_REASON, now=now)
        delete_draft(conn, draft.id)
    delete_record(conn, entity, record_id)
    close_record_notices(conn, entity, record_id)
    drop_pulled(conn, entity, record_id)


def apply_open_conflicts(
    db: Database, conflicts: list[dict[str, Any]], *, now: str, client_id: str | None = None
) -> int:
    """Replace conflict notices with the server's open list (`GET /conflicts?status=open`):
    load the held records, decide (`decide_open_conflicts`), apply; the conflict notices the
    server no longer lists close. Returns how many are open here."""
    with db.transaction() as conn:
        keys = [(str(c.get("entity")), str(c.get("record_id"))) for c in conflicts]
        held = {key: rec.household_id for key, rec in load_records(conn, keys).items()}
        decision = decide_open_conflicts(conflicts, held, client_id=client_id)
        for notice in decision.notices:
            apply_notice(conn, notice, now)
        for close in decision.closed:
            close_notice(conn, close.key)
        close_conflict_notices_except(conn, decision.open_keys)
        for household_id in households_with_notices(conn):
            refresh_household(conn, household_id)
    return len(decision.open_keys)
