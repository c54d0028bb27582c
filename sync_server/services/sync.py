"""Push (exactly-once, per-field three-way merge) and pull (version order, scope, removals).

A push batch is one transaction that starts by locking the client's row (`FOR UPDATE` on
PostgreSQL, `BEGIN IMMEDIATE` on SQLite), so two deliveries of the same batch serialize and
the second only replays stored results. Each mutation is validated (its partial data, then the
merged record), merged with `shared_schema.sync.merge` against the history entry at or below
its `base_version`, written with a fresh global version, and logged with its result.

Decisions (see also docs/protocol-notes.md):
- A conflict that takes no field still re-stamps the record (new version, no history entry),
  so every device pulls it again with its `open_conflicts`.
- A new visit without `review_status` is stored as `submitted`.
- A member or visit must name an existing household (else rejected on `household_id`), a
  household an existing grid (else rejected on `grid_id`; for a worker an unknown grid is
  outside their scope, hence the batch's 403); a household moved to another grid takes its
  members and visits along.
- A member or visit upsert (create or edit) whose household another device has deleted is
  edit vs delete, not a rejection: the child is written as a tombstone (it follows its
  household's delete; a create keeps its submitted data there, in history) and a `_deleted`
  conflict carries the submitted data. Restoring it (`services.conflicts`) brings back the
  household, the children its delete took along, and the child.
- An edit with a `base_version` of a record the server never had is rejected on `base_version`.
- An already-used mutation id whose entity, id or op differ from the logged mutation is not a
  redelivery (the phone's numbering was reset): the batch stops there with the gap's 409, so
  the phone renumbers from `last_mutation_id + 1` instead of receiving a foreign result.

Speed (bench/README.md has the profile): the batch's records, and the households its members
and visits name, are loaded in one query per entity up front and kept in a `KnownRecords` map
that the writes keep current, so a mutation issues no primary-key SELECTs; the schemas are
compiled once per settings (`record_checks`); the batch's versions are reserved with one
counter UPDATE (`plan_versions`, unused ones released before commit); records are flushed
once at commit (the ORM then batches the INSERTs/UPDATEs), except where a query needs them
earlier (autoflush); history and mutation-log rows go in one multi-row INSERT per table at the
end, or earlier when the batch reads those tables (a `base_version`, a repeated mutation
id). A database error still rolls back the whole batch, as before: results are only answered
after the commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from shared_schema.sync import (
    DELETE,
    DELETED_FIELD,
    STATUS_NOOP,
    Deleted,
    apply_changes,
    flatten,
    merge,
)
from sync_server.errors import ServiceError
from sync_server.extensions import Database
from sync_server.messages import message
from sync_server.models import (
    Client,
    ConflictRow,
    Grid,
    MutationLog,
    Record,
    RecordVersion,
    Removal,
)
from sync_server.models.base import new_id
from sync_server.services.principal import Principal, scope_grid_query, scope_grids
from sync_server.services.record_checks import (
    create_is_valid,
    validate_changes,
    validate_record,
)
from sync_server.services.versions import (
    KnownRecords,
    find_record,
    grid_of_household,
    plan_versions,
    release_versions,
    restamp,
    write_record,
)


@dataclass
class _Pending:
    """History and mutation-log rows of the batch, inserted in bulk (`_insert_pending`)."""

    history: list[dict[str, Any]] = field(default_factory=list)
    log: list[dict[str, Any]] = field(default_factory=list)


def _insert_pending(session: Session, pending: _Pending) -> None:
    """One multi-row INSERT per table; called before reading either table and at the end."""
    if pending.history:
        session.execute(insert(RecordVersion), pending.history)
        pending.history = []
    if pending.log:
        session.execute(insert(MutationLog), pending.log)
        pending.log = []


@dataclass(frozen=True)
class PushOutcome:
    """Results in request order, the client's last id, and whether a gap stopped the batch."""

    results: list[dict[str, Any]]
    last_mutation_id: int
    gap: bool = False


def _lock_client(session: Session, principal: Principal, client_id: str) -> Client:
    if principal.client_id != client_id:
        raise ServiceError(403, "client_mismatch")
    client = session.scalar(select(Client).where(Client.client_id == client_id).with_for_update())
    if client is None or client.user_id != principal.user_id:
        raise ServiceError(403, "client_mismatch")
    return client


def push(
    db: Database,
    principal: Principal,
    client_id: str,
    mutations: list[dict[str, Any]],
    *,
    lang: str,
    now: datetime,
) -> PushOutcome:
    """Apply a batch exactly once; raises 403 (`out_of_scope_batch`) writing nothing."""
    with db.write() as s:
        client = _lock_client(s, principal, client_id)
        last = client.last_mutation_id
        plan: list[tuple[str, dict[str, Any]]] = []
        gap = False
        batch: dict[int, tuple[str, str, str]] = {}  # ids this batch applies, not yet logged
        for m in mutations:
            mid = m["mutation_id"]
            if mid <= last:
                logged = s.get(MutationLog, (client_id, mid))
                earlier = (logged.entity, logged.record_id, logged.op) if logged else batch.get(mid)
                if earlier is not None and earlier != (m["entity"], m["id"], m["op"]):
                    # Not a redelivery: the phone reused an id (e.g. its numbering was reset).
                    # Answer like a gap so it renumbers from last_mutation_id + 1.
                    gap = True
                    break
                plan.append(("replay", m))
            elif mid == last + 1:
                plan.append(("apply", m))
                batch[mid] = (m["entity"], m["id"], m["op"])
                last = mid
            else:
                gap = True
                break
        fresh = [(i, m) for i, (kind, m) in enumerate(plan) if kind == "apply"]
        # Versions first: the counter row lock also orders this batch's reads after every
        # committed writer (PostgreSQL), so the prefetched records are current.
        plan_versions(s, len(fresh))
        known = _prefetch(s, [m for _, m in fresh])
        grids: dict[str, bool] = {}  # grid id -> exists (the identity map holds rows weakly)
        errors = _scope_errors(s, principal, fresh, lang, known)
        if errors:
            raise ServiceError(403, "out_of_scope_batch", errors)
        results: list[dict[str, Any]] = []
        pending = _Pending()
        for kind, m in plan:
            if kind == "replay":
                _insert_pending(s, pending)  # the id may be one this batch applied
                results.append(_replay(s, client_id, m["mutation_id"], lang))
                continue
            result = _apply(s, principal, client_id, m, known, grids, pending, lang=lang, now=now)
            pending.log.append(
                {
                    "client_id": client_id,
                    "mutation_id": m["mutation_id"],
                    "user_id": principal.user_id,
                    "entity": m["entity"],
                    "record_id": m["id"],
                    "op": m["op"],
                    "base_version": m.get("base_version"),
                    "data": m.get("data") or {},
                    "hlc": m.get("hlc"),
                    "status": result["status"],
                    "result": result,
                    "created_at": now,
                }
            )
            client.last_mutation_id = m["mutation_id"]
            results.append(result)
        _insert_pending(s, pending)
        release_versions(s)
        client.last_push_at = now
        client.last_seen = now
        return PushOutcome(results, client.last_mutation_id, gap)


def _prefetch(session: Session, fresh: list[dict[str, Any]]) -> KnownRecords:
    """The records the batch touches or names as household (and the households of the
    members and visits it edits), one query per entity.

    Every looked-up key is in the map, absent ones as None, so the mutations need no
    primary-key SELECTs. Called with the counter row lock held (`plan_versions`): no other
    transaction can write a record until this one commits, so the map stays current.
    """
    wanted: dict[str, set[str]] = {}
    for m in fresh:
        wanted.setdefault(m["entity"], set()).add(m["id"])
        hid = (m.get("data") or {}).get("household_id")
        if m["entity"] != "household" and isinstance(hid, str):
            wanted.setdefault("household", set()).add(hid.lower())
    known: KnownRecords = {}
    _load_known(session, known, wanted)
    # The households of the members and visits the batch edits (an edit rarely names its
    # household, yet a deleted household makes it a conflict): one more query.
    owners = {
        rec.household_id
        for rec in known.values()
        if rec is not None and rec.entity != "household" and rec.household_id
    }
    owners -= {key for entity, key in known if entity == "household"}
    if owners:
        _load_known(session, known, {"household": owners})
    return known


def _load_known(session: Session, known: KnownRecords, wanted: dict[str, set[str]]) -> None:
    """Put each wanted key into `known`: its record, or None when there is none."""
    for entity, ids in wanted.items():
        for key in ids:
            known[(entity, key)] = None
        chunk = sorted(ids)
        for start in range(0, len(chunk), 500):
            rows = session.scalars(
                select(Record).where(
                    Record.entity == entity, Record.id.in_(chunk[start : start + 500])
                )
            )
            for rec in rows:
                known[(rec.entity, rec.id)] = rec


def _replay(session: Session, client_id: str, mutation_id: int, lang: str) -> dict[str, Any]:
    row = session.get(MutationLog, (client_id, mutation_id))
    if row is None:
        return {
            "mutation_id": mutation_id,
            "status": "rejected",
            "version": None,
            "conflicts": [],
            "errors": {"mutation_id": [message("unknown_mutation", lang)]},
        }
    return dict(row.result)


def _scope_errors(
    session: Session,
    principal: Principal,
    fresh: list[tuple[int, dict[str, Any]]],
    lang: str,
    known: KnownRecords,
) -> dict[str, list[str]]:
    """`mutations.<i>` → reason, for each mutation that touches a grid outside the scope."""
    allowed = scope_grids(session, principal)
    if allowed is None:
        return {}
    batch_grid: dict[str, str | None] = {}
    errors: dict[str, list[str]] = {}
    for index, m in fresh:
        data = m.get("data") or {}
        rec = find_record(session, m["entity"], m["id"], known)
        touched: set[str | None] = set()
        if rec is not None:
            touched.add(rec.grid_id)
        if m["entity"] == "household":
            new_grid = data.get("grid_id") if isinstance(data.get("grid_id"), str) else None
            if new_grid is not None:
                touched.add(new_grid)
            batch_grid[m["id"]] = new_grid or (rec.grid_id if rec else None)
        else:
            hid = data.get("household_id")
            if isinstance(hid, str):
                grid = batch_grid.get(hid.lower()) or grid_of_household(session, hid.lower(), known)
                if grid is not None:
                    touched.add(grid)
        outside = {g for g in touched if g is not None and g not in allowed}
        if outside:
            errors[f"mutations.{index}"] = [
                f"{message('out_of_scope', lang)} ({', '.join(sorted(outside))})"
            ]
    return errors


def _grid_exists(session: Session, grids: dict[str, bool], grid_id: str) -> bool:
    """Whether a grid exists, asked once per batch and grid (grids are never deleted)."""
    if grid_id not in grids:
        grids[grid_id] = session.get(Grid, grid_id) is not None
    return grids[grid_id]


def _as_of(entity: str, record: dict[str, Any] | None, now: datetime) -> date:
    """Age rules are judged on the visit date for visits, today otherwise."""
    if entity == "visit" and record and isinstance(record.get("visit_date"), str):
        try:
            return date.fromisoformat(record["visit_date"])
        except ValueError:
            pass
    return now.date()


def _base_at(session: Session, rec: Record, base_version: int | None) -> dict[str, Any] | None:
    """The record as of `base_version`: the latest history entry at or below it."""
    if base_version is None:
        return None
    entry = session.scalar(
        select(RecordVersion)
        .where(
            RecordVersion.entity == rec.entity,
            RecordVersion.record_id == rec.id,
            RecordVersion.version <= base_version,
        )
        .order_by(RecordVersion.version.desc())
        .limit(1)
    )
    return dict(entry.data) if entry is not None else {}


def _result(
    m: dict[str, Any],
    status: str,
    version: int | None,
    conflicts: list[str] | None = None,
    errors: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    return {
        "mutation_id": m["mutation_id"],
        "status": status,
        "version": version,
        "conflicts": conflicts or [],
        "errors": errors or {},
    }


def _apply(
    session: Session,
    principal: Principal,
    client_id: str,
    m: dict[str, Any],
    known: KnownRecords,
    grids: dict[str, bool],
    pending: _Pending,
    *,
    lang: str,
    now: datetime,
) -> dict[str, Any]:
    """One mutation: validate, merge, write, record conflicts; returns its wire result."""
    entity, rid, op = m["entity"], m["id"], m["op"]
    data: dict[str, Any] = m.get("data") or {}
    rec = find_record(session, entity, rid, known)
    current_version = rec.version if rec is not None else None
    # A create whose data is a valid whole record passes both checks below: one load decides
    # (record_checks.create_is_valid); otherwise both run, with the errors they always gave.
    whole = (
        op == "upsert"
        and rec is None
        and m.get("base_version") is None
        and create_is_valid(entity, data, lang=lang, as_of=_as_of(entity, data, now))
    )
    if op == "upsert":
        errors = (
            {}
            if whole
            else validate_changes(entity, data, lang=lang, as_of=_as_of(entity, data, now))
        )
        if errors:
            return _result(m, "rejected", current_version, errors=errors)
        grid_id = data.get("grid_id")
        if (
            entity == "household"
            and isinstance(grid_id, str)
            and not _grid_exists(session, grids, grid_id)
        ):
            return _result(
                m, "rejected", current_version, errors={"grid_id": [message("unknown_grid", lang)]}
            )
    orphan = False  # a member/visit upsert whose household another device has deleted
    if op == "upsert" and entity != "household":
        if "household_id" in data:
            hh = find_record(session, "household", str(data["household_id"]).lower(), known)
            if hh is None:
                return _result(
                    m,
                    "rejected",
                    current_version,
                    errors={"household_id": [message("unknown_household", lang)]},
                )
        else:
            hid = rec.household_id if rec is not None else None
            hh = find_record(session, "household", hid, known) if hid else None
        orphan = hh is not None and hh.deleted
    if rec is None:
        if m.get("base_version") is not None and op == "upsert":
            return _result(
                m,
                "rejected",
                None,
                errors={"base_version": [message("base_unknown", lang)]},
            )
        base = None
        server: dict[str, Any] | Deleted | None = Deleted({}) if orphan else None
    else:
        base_version = m.get("base_version")
        if base_version is not None and base_version >= rec.version:
            # Nothing was written to the record after the device's base (the usual edit): the
            # base is the current state, as every data change writes a history entry with the
            # record's data and re-stamps change no data. No flush, no history SELECT.
            base = dict(rec.data)
        else:
            if base_version is not None:
                _insert_pending(session, pending)  # the base may be a version of this batch
            base = _base_at(session, rec, base_version)
        gone = rec.deleted or orphan
        server = Deleted(dict(rec.data)) if gone else dict(rec.data)
    outcome = merge(base, server, DELETE if op == "delete" else data)
    merged = outcome.merged
    if entity == "visit" and rec is None and merged is not None:
        merged.setdefault("review_status", "submitted")
    if merged is not None and not outcome.deleted and outcome.status != STATUS_NOOP and not whole:
        errors = validate_record(entity, merged, lang=lang, as_of=_as_of(entity, merged, now))
        if errors:
            return _result(m, "rejected", current_version, errors=errors)
    written: Record | None = rec
    if orphan and outcome.conflicts and (rec is None or not rec.deleted):
        # Edit vs delete of the household: the child is kept as a tombstone (it follows its
        # household's delete) holding what the restore would bring back, so it is validated
        # like any record; the conflict below carries the submitted data.
        kept = _orphan_tombstone(entity, rec, data)
        errors = validate_record(entity, kept, lang=lang, as_of=_as_of(entity, kept, now))
        if errors:
            return _result(m, "rejected", current_version, errors=errors)
        written = write_record(
            session,
            entity=entity,
            record_id=rid,
            data=kept,
            deleted=True,
            changed=[DELETED_FIELD, *(sorted(flatten(kept)) if rec is None else [])],
            author=principal.username,
            now=now,
            client_id=client_id,
            mutation_id=m["mutation_id"],
            hlc=m.get("hlc"),
            known=known,
            flush=False,
            history=pending.history,
        )
    elif outcome.changed:
        record_data = merged if merged is not None else (dict(rec.data) if rec else {})
        written = write_record(
            session,
            entity=entity,
            record_id=rid,
            data=record_data,
            deleted=outcome.deleted,
            changed=list(outcome.changed),
            author=principal.username,
            now=now,
            client_id=client_id,
            mutation_id=m["mutation_id"],
            hlc=m.get("hlc"),
            known=known,
            flush=False,
            history=pending.history,
        )
    elif outcome.conflicts and rec is not None:
        restamp(session, rec, now, flush=False)
    ids: list[str] = []
    for c in outcome.conflicts:
        row = ConflictRow(
            id=new_id(),
            entity=entity,
            record_id=rid,
            field=c.field,
            base_value=c.base_value,
            server_value=c.server_value,
            client_value=c.client_value,
            client_data=c.client_data,
            author=principal.username,
            client_id=client_id,
            mutation_id=m["mutation_id"],
            version=written.version if written is not None else None,
            status="open",
            created_at=now,
        )
        session.add(row)
        ids.append(row.id)
    status = "applied" if outcome.status == STATUS_NOOP else outcome.status
    return _result(m, status, written.version if written is not None else None, ids)


def _orphan_tombstone(entity: str, rec: Record | None, data: dict[str, Any]) -> dict[str, Any]:
    """The data a child of a deleted household is stored with: a create's submitted record
    (a new visit as `submitted`), or an existing child's current data (its edit waits in the
    conflict, applied only if a supervisor restores it)."""
    if rec is not None:
        return dict(rec.data)
    kept = apply_changes(None, data)
    if entity == "visit":
        kept.setdefault("review_status", "submitted")
    return kept


def pull(
    db: Database,
    principal: Principal,
    *,
    cursor: int,
    limit: int,
    now: datetime,
) -> dict[str, Any]:
    """One page of changes after `cursor` in the caller's scope, oldest version first."""
    with db.read_snapshot() as s:
        records_q = select(Record).where(Record.version > cursor)
        grids = scope_grid_query(principal)
        if grids is not None:
            records_q = records_q.where(Record.grid_id.in_(grids.scalar_subquery()))
        records = list(s.scalars(records_q.order_by(Record.version).limit(limit + 1)))
        removals = list(
            s.scalars(
                select(Removal)
                .where(Removal.user_id == principal.user_id, Removal.version > cursor)
                .order_by(Removal.version)
                .limit(limit + 1)
            )
        )
        items: list[tuple[int, Record | Removal]] = [(r.version, r) for r in records]
        items += [(r.version, r) for r in removals]
        items.sort(key=lambda item: item[0])
        page = items[:limit]
        ids = [r.id for _, r in page if isinstance(r, Record)]
        open_fields: dict[tuple[str, str], list[str]] = {}
        if ids:
            rows = s.execute(
                select(ConflictRow.entity, ConflictRow.record_id, ConflictRow.field).where(
                    ConflictRow.status == "open", ConflictRow.record_id.in_(ids)
                )
            )
            for entity, record_id, field in rows:
                open_fields.setdefault((entity, record_id), []).append(field)
        changes: list[dict[str, Any]] = []
        for _, item in page:
            if isinstance(item, Removal):
                changes.append({"entity": item.entity, "id": item.record_id, "removed": True})
            else:
                changes.append(
                    {
                        "entity": item.entity,
                        "id": item.id,
                        "version": item.version,
                        "deleted": item.deleted,
                        "data": item.data,
                        "open_conflicts": sorted(set(open_fields.get((item.entity, item.id), []))),
                    }
                )
        new_cursor = page[-1][0] if page else cursor
        client = s.get(Client, principal.client_id) if principal.client_id else None
        last_mutation_id = client.last_mutation_id if client is not None else 0
        client_key = client.client_id if client is not None else None
        fresh = (
            client is not None
            and client.last_pull_cursor == new_cursor
            and client.last_seen is not None
            and (now - client.last_seen).total_seconds() < 60
        )
    if client_key is not None and not fresh:  # an idle poll writes at most once a minute
        with db.write() as w:
            row = w.get(Client, client_key)
            if row is not None:
                row.last_pull_cursor = new_cursor
                row.last_pull_at = now
                row.last_seen = now
    return {
        "changes": changes,
        "cursor": new_cursor,
        "has_more": len(items) > limit,
        "last_mutation_id": last_mutation_id,
    }
