"""Push (load → decide → apply, exactly once) and pull (version order, scope, removals).

A push batch is one transaction, in three phases a reader can follow top to bottom:
1. **Load** (`_load`): lock the client's row (`FOR UPDATE` on PostgreSQL, `BEGIN IMMEDIATE` on
   SQLite) so two deliveries of the same batch serialize, take the version counter's row lock
   (every record writer holds it until commit, so what is read next is current), then one round
   of queries: the records the batch names and the households of those it edits, the history
   entries its older bases need, its already-logged mutation ids, the grids it names and the
   caller's scope.
2. **Decide** (`shared_schema.sync.decide.decide_batch`): pure; every merge and exactly-once
   rule of the protocol is stated there, with the record check (`record_checks.check_record`)
   passed in.
3. **Apply** (`_apply`): the decided rows in bulk (`versions.write_batch`; conflict and
   mutation-log rows in one multi-row INSERT each), the counter moved once to the batch's last
   version, the client's progress. A household moved to another grid takes its members and
   visits along (`versions.move_household`, after the batch's versions).

Per-mutation atomicity: if the database refuses the bulk write (a value it cannot store), the
transaction is rolled back and the batch runs again in careful mode: each mutation is written
inside its own savepoint, and one the database refuses is `rejected` alone (the batch is
decided again from there on, as if it had been rejected up front); savepoints are used only on
that path. Decisions where PROTOCOL.md is silent are in docs/protocol-notes.md and
docs/sync-server.md.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from typing import Any

from sqlalchemy import insert, select, tuple_
from sqlalchemy.exc import DataError, IntegrityError, StatementError
from sqlalchemy.orm import Session

from shared_schema.schemas.bounds import local_today
from shared_schema.sync.decide import (
    HOUSEHOLD,
    BatchDecision,
    BatchState,
    LoggedMutation,
    Outcome,
    StoredRecord,
    decide_batch,
    number_pairs,
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
from sync_server.services import config as config_service
from sync_server.services.principal import (
    WORKER,
    Principal,
    scope_grid_query,
    scope_grids,
)
from sync_server.services.record_checks import check_record, unstorable_paths
from sync_server.services.versions import (
    lock_versions,
    move_household,
    set_last_version,
    write_batch,
)

log = logging.getLogger("tianye.push")

_CHUNK = 500  # keys per IN list


@dataclass(frozen=True)
class PushOutcome:
    """Results in request order, the client's last id, and whether a gap stopped the batch."""

    results: list[dict[str, Any]]
    last_mutation_id: int
    gap: bool = False


class _Unstorable(Exception):
    """The bulk write hit a value the database refused: redo the batch mutation by mutation."""


def _is_unstorable(exc: Exception) -> bool:
    """A database (or driver) refusal of a value: bad input, never a server fault."""
    if isinstance(exc, DataError | IntegrityError | OverflowError):
        return True
    if isinstance(exc, StatementError):  # raised while binding, before the database saw it
        return isinstance(exc.orig, ValueError | OverflowError | TypeError)
    return False


def push(
    db: Database,
    principal: Principal,
    client_id: str,
    mutations: list[dict[str, Any]],
    *,
    lang: str,
    now: datetime,
    today: date | None = None,
) -> PushOutcome:
    """Apply a batch exactly once; raises 403 (`out_of_scope_batch`) writing nothing.

    `today` bounds dates (`shared_schema.schemas.bounds`); by default `now`'s date in UTC+8."""
    today = today or local_today(now)
    try:
        return _push(
            db, principal, client_id, mutations, lang=lang, now=now, today=today, careful=False
        )
    except _Unstorable:
        return _push(
            db, principal, client_id, mutations, lang=lang, now=now, today=today, careful=True
        )


def _push(
    db: Database,
    principal: Principal,
    client_id: str,
    mutations: list[dict[str, Any]],
    *,
    lang: str,
    now: datetime,
    today: date,
    careful: bool,
) -> PushOutcome:
    with db.write() as s:
        client = _lock_client(s, principal, client_id)
        state = _load(s, principal, client, mutations, now)
        # every configuration version's codes, loaded once per batch: a visit is validated
        # with its own form_version's (docs/rules-and-forms.md "Published configurations")
        configs = config_service.config_set(s)
        check = partial(check_record, lang=lang, today=today, configs=configs)
        decision = decide_batch(state, mutations, check)
        if decision.out_of_scope:
            errors = {
                f"mutations.{i}": [f"{message('out_of_scope', lang)} ({', '.join(grids)})"]
                for i, grids in decision.out_of_scope.items()
            }
            raise ServiceError(403, "out_of_scope_batch", errors)
        if careful:
            decision, done = _apply_carefully(
                s, state, mutations, decision, principal, lang, now, check
            )
            results = _results(decision, {}, lang, done)
        else:
            ids = _conflict_ids(decision)
            results = _results(decision, ids, lang)
            try:
                _apply(s, decision, ids, results, principal, now)
            except Exception as exc:
                if _is_unstorable(exc):
                    log.info("a push hit a value the database refused; redoing it carefully")
                    raise _Unstorable from exc
                raise
        if decision.last_version != state.last_version:
            set_last_version(s, decision.last_version)
        for o in decision.fresh:
            if o.move is not None:
                move_household(s, o.move.household_id, o.move.old_grid, o.move.new_grid, now)
        client.last_mutation_id = decision.last_mutation_id
        client.last_push_at = now
        client.last_seen = now
        return PushOutcome(results, decision.last_mutation_id, decision.gap)


def _lock_client(session: Session, principal: Principal, client_id: str) -> Client:
    if principal.client_id != client_id:
        raise ServiceError(403, "client_mismatch")
    client = session.scalar(select(Client).where(Client.client_id == client_id).with_for_update())
    if client is None or client.user_id != principal.user_id:
        raise ServiceError(403, "client_mismatch")
    return client


# --- load ---------------------------------------------------------------------------------


def _chunks(values: list[Any]) -> list[list[Any]]:
    return [values[i : i + _CHUNK] for i in range(0, len(values), _CHUNK)]


def _load(
    session: Session,
    principal: Principal,
    client: Client,
    mutations: list[dict[str, Any]],
    now: datetime,
) -> BatchState:
    """Everything the batch reads, in one round of queries (see the module docstring)."""
    last = client.last_mutation_id
    logged = _load_logged(session, client.client_id, [m["mutation_id"] for m in mutations], last)
    new = [m for m in mutations if m["mutation_id"] > last]
    records: dict[tuple[str, str], StoredRecord] = {}
    bases: dict[tuple[str, str, int], Mapping[str, Any]] = {}
    grids: frozenset[str] = frozenset()
    scope: set[str] | None = None
    counter = 0
    numbers: dict[tuple[str, str], frozenset[str]] = {}
    if new:
        # The counter row lock first: no other writer commits a record until this
        # transaction does, so the records read below stay current.
        counter = lock_versions(session)
        wanted: dict[str, set[str]] = {}
        for m in new:
            wanted.setdefault(m["entity"], set()).add(m["id"])
            hid = (m.get("data") or {}).get("household_id")
            if m["entity"] != HOUSEHOLD and isinstance(hid, str):
                wanted.setdefault(HOUSEHOLD, set()).add(hid)
        records = _load_records(session, wanted)
        # The households of the members and visits the batch edits (an edit rarely names
        # its household, yet a deleted household makes it a conflict): one more query.
        owners = {
            rec.household_id
            for rec in records.values()
            if rec.entity != HOUSEHOLD and rec.household_id
        } - wanted.get(HOUSEHOLD, set())
        if owners:
            records |= _load_records(session, {HOUSEHOLD: owners})
        bases = _load_bases(session, new, records)
        named = {g for m in new if isinstance(g := (m.get("data") or {}).get("grid_id"), str)}
        grids = _load_grids(session, named)
        scope = scope_grids(session, principal)
        numbers = _load_numbers(session, number_pairs(records, new))
    return BatchState(
        client_id=client.client_id,
        last_mutation_id=last,
        last_version=counter,
        records=records,
        bases=bases,
        logged=logged,
        grids=grids,
        scope=frozenset(scope) if scope is not None else None,
        today=now.date(),
        closes_visits=principal.role == WORKER,
        numbers=numbers,
    )


def _load_logged(
    session: Session, client_id: str, mutation_ids: list[int], last: int
) -> dict[int, LoggedMutation]:
    seen = sorted({mid for mid in mutation_ids if mid <= last})
    out: dict[int, LoggedMutation] = {}
    for chunk in _chunks(seen):
        rows = session.execute(
            select(
                MutationLog.mutation_id,
                MutationLog.entity,
                MutationLog.record_id,
                MutationLog.op,
                MutationLog.result,
            ).where(MutationLog.client_id == client_id, MutationLog.mutation_id.in_(chunk))
        )
        for mid, entity, record_id, op, result in rows:
            out[mid] = LoggedMutation(entity, record_id, op, result)
    return out


def _load_records(
    session: Session, wanted: dict[str, set[str]]
) -> dict[tuple[str, str], StoredRecord]:
    out: dict[tuple[str, str], StoredRecord] = {}
    for entity, ids in wanted.items():
        for chunk in _chunks(sorted(ids)):
            rows = session.execute(
                select(
                    Record.entity,
                    Record.id,
                    Record.version,
                    Record.deleted,
                    Record.data,
                    Record.grid_id,
                    Record.household_id,
                ).where(Record.entity == entity, Record.id.in_(chunk))
            )
            for row in rows:
                out[(row.entity, row.id)] = StoredRecord(*row)
    return out


def _load_bases(
    session: Session,
    new: list[dict[str, Any]],
    records: Mapping[tuple[str, str], StoredRecord],
) -> dict[tuple[str, str, int], Mapping[str, Any]]:
    """The history entries of edits made on an older base than the record's version: the
    versions first (primary-key index only), then the data of the ones needed."""
    needed: dict[tuple[str, str], set[int]] = {}
    for m in new:
        rec = records.get((m["entity"], m["id"]))
        bv = m.get("base_version")
        if rec is not None and bv is not None and bv < rec.version:
            needed.setdefault((rec.entity, rec.id), set()).add(bv)
    if not needed:
        return {}
    top = max(max(bvs) for bvs in needed.values())
    versions: dict[tuple[str, str], list[int]] = {}
    by_entity: dict[str, list[str]] = {}
    for entity, rid in needed:
        by_entity.setdefault(entity, []).append(rid)
    for entity, ids in by_entity.items():
        for chunk in _chunks(sorted(ids)):
            rows = session.execute(
                select(RecordVersion.record_id, RecordVersion.version).where(
                    RecordVersion.entity == entity,
                    RecordVersion.record_id.in_(chunk),
                    RecordVersion.version <= top,
                )
            )
            for rid, version in rows:
                versions.setdefault((entity, rid), []).append(version)
    picks: dict[tuple[str, str, int], int] = {}
    for key, bvs in needed.items():
        have = sorted(versions.get(key, []))
        for bv in bvs:
            at_or_below = [v for v in have if v <= bv]
            if at_or_below:
                picks[(*key, bv)] = at_or_below[-1]
    data: dict[tuple[str, str, int], Mapping[str, Any]] = {}
    wanted = sorted({(e, rid, v) for (e, rid, _), v in picks.items()})
    for chunk in _chunks(wanted):
        rows = session.execute(
            select(
                RecordVersion.entity,
                RecordVersion.record_id,
                RecordVersion.version,
                RecordVersion.data,
            ).where(
                tuple_(RecordVersion.entity, RecordVersion.record_id, RecordVersion.version).in_(
                    chunk
                )
            )
        )
        for row in rows:
            data[(row.entity, row.record_id, row.version)] = row.data
    return {
        key: data[(key[0], key[1], v)] for key, v in picks.items() if (key[0], key[1], v) in data
    }


def _load_numbers(
    session: Session, pairs: set[tuple[str, str]]
) -> dict[tuple[str, str], frozenset[str]]:
    """The live households holding each (grid, household number) pair (one query per grid;
    the grid index narrows it, the number is read from the JSON data)."""
    by_grid: dict[str, set[str]] = {}
    for grid, number in pairs:
        by_grid.setdefault(grid, set()).add(number)
    found: dict[tuple[str, str], set[str]] = {}
    number_of = Record.data["household_no"].as_string()
    for grid, wanted in by_grid.items():
        for chunk in _chunks(sorted(wanted)):
            rows = session.execute(
                select(Record.id, number_of).where(
                    Record.entity == HOUSEHOLD,
                    Record.grid_id == grid,
                    Record.deleted.is_(False),
                    number_of.in_(chunk),
                )
            )
            for rid, number in rows:
                found.setdefault((grid, number), set()).add(rid)
    return {pair: frozenset(ids) for pair, ids in found.items()}


def _load_grids(session: Session, named: set[str]) -> frozenset[str]:
    found: set[str] = set()
    for chunk in _chunks(sorted(named)):
        found.update(session.scalars(select(Grid.id).where(Grid.id.in_(chunk))))
    return frozenset(found)


# --- results and apply --------------------------------------------------------------------


def _conflict_ids(decision: BatchDecision) -> dict[tuple[int, int], str]:
    """A fresh id for each conflict row: (mutation id, index within it) → id."""
    return {(o.mutation_id, i): new_id() for o in decision.fresh for i in range(len(o.conflicts))}


def _results(
    decision: BatchDecision,
    ids: Mapping[tuple[int, int], str],
    lang: str,
    done: Mapping[int, dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """The wire result of each mutation (`done`: fresh results already written); messages
    are rendered only for rejections."""
    results: list[dict[str, Any]] = []
    by_id: dict[int, dict[str, Any]] = {}
    for o in decision.outcomes:
        if o.kind == "fresh" and done is not None:
            result = by_id[o.mutation_id] = done[o.mutation_id]
        elif o.kind == "replay":
            result = dict(o.logged) if o.logged is not None else _unknown(o.mutation_id, lang)
        elif o.kind == "repeat":
            result = dict(by_id[o.mutation_id])
        else:
            errors = dict(o.errors)
            if o.refusal is not None:
                errors[o.refusal.field] = [message(o.refusal.key, lang)]
            result = {
                "mutation_id": o.mutation_id,
                "status": o.status,
                "version": o.version,
                "conflicts": [ids[(o.mutation_id, i)] for i in range(len(o.conflicts))],
                "errors": errors,
            }
            by_id[o.mutation_id] = result
        results.append(result)
    return results


def _unknown(mutation_id: int, lang: str) -> dict[str, Any]:
    return {
        "mutation_id": mutation_id,
        "status": "rejected",
        "version": None,
        "conflicts": [],
        "errors": {"mutation_id": [message("unknown_mutation", lang)]},
    }


def _conflict_rows(
    outcomes: tuple[Outcome, ...],
    ids: Mapping[tuple[int, int], str],
    principal: Principal,
    client_id: str,
    now: datetime,
) -> list[dict[str, Any]]:
    return [
        {
            "id": ids[(o.mutation_id, i)],
            "entity": row.entity,
            "record_id": row.record_id,
            "field": row.conflict.field,
            "base_value": row.conflict.base_value,
            "server_value": row.conflict.server_value,
            "client_value": row.conflict.client_value,
            "client_data": row.conflict.client_data,
            "author": principal.username,
            "client_id": client_id,
            "mutation_id": row.mutation_id,
            "version": row.version,
            "status": "open",
            "created_at": now,
        }
        for o in outcomes
        for i, row in enumerate(o.conflicts)
    ]


def _log_rows(
    outcomes: list[tuple[Outcome, dict[str, Any]]],
    principal: Principal,
    client_id: str,
    now: datetime,
    *,
    refused: frozenset[int] = frozenset(),
) -> list[dict[str, Any]]:
    """Mutation-log rows. A rejected mutation whose data cannot be stored (`1e400`), and one
    the database refused, keep only what replays need: the result says why."""
    rows = []
    for o, result in outcomes:
        m = o.mutation
        stored = o.mutation_id not in refused and not (
            o.status == "rejected" and _unstorable_mutation(m)
        )
        rows.append(
            {
                "client_id": client_id,
                "mutation_id": o.mutation_id,
                "user_id": principal.user_id,
                "entity": m["entity"],
                "record_id": m["id"],
                "op": m["op"],
                "base_version": m.get("base_version") if stored else None,
                "data": (m.get("data") or {}) if stored else {},
                "hlc": m.get("hlc") if stored else None,
                "status": result["status"],
                "result": result,
                "created_at": now,
            }
        )
    return rows


def _unstorable_mutation(m: Mapping[str, Any]) -> bool:
    """Whether a (rejected) mutation holds a value its log row could not store."""
    base = m.get("base_version")
    return bool(unstorable_paths(m.get("data"))) or (base is not None and base >= 2**63)


def _apply(
    session: Session,
    decision: BatchDecision,
    ids: Mapping[tuple[int, int], str],
    results: list[dict[str, Any]],
    principal: Principal,
    now: datetime,
) -> None:
    """The decided rows in bulk: records and history, conflicts, the mutation log."""
    client_id = principal.client_id
    fresh = [(o, r) for o, r in zip(decision.outcomes, results, strict=True) if o.kind == "fresh"]
    history = [o.history for o, _ in fresh if o.history is not None]
    write_batch(
        session,
        list(decision.final_records().values()),
        history,
        author=principal.username,
        client_id=client_id,
        now=now,
    )
    conflicts = _conflict_rows(decision.fresh, ids, principal, client_id or "", now)
    if conflicts:
        session.execute(insert(ConflictRow), conflicts)
    if fresh:
        session.execute(insert(MutationLog), _log_rows(fresh, principal, client_id or "", now))


def _apply_carefully(
    session: Session,
    state: BatchState,
    mutations: list[dict[str, Any]],
    decision: BatchDecision,
    principal: Principal,
    lang: str,
    now: datetime,
    check: Any,
) -> tuple[BatchDecision, dict[int, dict[str, Any]]]:
    """Each mutation in its own savepoint; one the database refuses is rejected alone and the
    batch is decided again with it refused (earlier decisions do not change). Returns the
    final decision and the results written, by mutation id."""
    client_id = principal.client_id or ""
    refused: dict[int, dict[str, list[str]]] = {}
    done: dict[int, dict[str, Any]] = {}
    in_db = set(state.records)  # keys with a `records` row by now
    index = 0
    while index < len(decision.outcomes):
        o = decision.outcomes[index]
        if o.kind != "fresh":
            index += 1
            continue
        ids = {(o.mutation_id, i): new_id() for i in range(len(o.conflicts))}
        single = BatchDecision((o,), o.mutation_id, decision.last_version)
        result = _results(single, ids, lang)[0]
        try:
            with session.begin_nested():
                if o.record is not None:
                    key = (o.record.entity, o.record.id)
                    write_batch(
                        session,
                        [(o.record, key not in in_db)],
                        [o.history] if o.history is not None else [],
                        author=principal.username,
                        client_id=client_id,
                        now=now,
                    )
                conflicts = _conflict_rows((o,), ids, principal, client_id, now)
                if conflicts:
                    session.execute(insert(ConflictRow), conflicts)
                rows = _log_rows(
                    [(o, result)], principal, client_id, now, refused=frozenset(refused)
                )
                session.execute(insert(MutationLog), rows)
        except Exception as exc:
            if not _is_unstorable(exc) or o.mutation_id in refused:
                raise
            log.info("mutation %s refused by the database: %s", o.mutation_id, type(exc).__name__)
            refused[o.mutation_id] = {"_schema": [message("unstorable", lang)]}
            decision = decide_batch(state, mutations, check, refused)
            continue  # the same index, now rejected
        if o.record is not None:
            in_db.add((o.record.entity, o.record.id))
        done[o.mutation_id] = result
        index += 1
    return decision, done


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
        config_version = config_service.version_in_force(s)
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
        "config_version": config_version,
    }
