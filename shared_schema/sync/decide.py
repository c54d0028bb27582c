"""Push, decided: what a batch of mutations does to the server's records, as plain data.

The server's push is load → decide → apply (docs/sync-server.md). The load fetches, in one
round of queries, everything the batch touches (`BatchState`); `decide_batch` — this module —
states the protocol's rules and returns, per mutation, its outcome and the rows to write
(`BatchDecision`); the apply writes those rows in bulk. No I/O, no clock (`today` is passed in),
no session, no logging, no messages: rejections carry field errors from the record check the
caller passes in, or a message key (`Refusal`) the caller renders only on that path.

The rules, in the order a mutation meets them (PROTOCOL.md "Push", "Closed visits";
docs/protocol-notes.md for the decisions where it is silent):
1. Exactly once: an id at or below the client's last one is a replay of its logged result (of
   the earlier result when it was decided in this same batch); an id that skips ahead of last + 1,
   or a reused id naming another record or op (the phone's numbering was reset), stops the batch
   there (`gap`). A batch that touches a grid outside the caller's scope is refused whole
   (`out_of_scope`), before anything is decided.
2. Validation: a create is checked once as a whole record (`CREATE`); otherwise the changes are
   checked (`CHANGES`) and, after the merge, the merged record (`RECORD`). A household names an
   existing grid, a member or visit an existing household.
3. Closed visits: a worker's edit of a visit whose `review_status` is `approved` or `rejected` is
   never applied: every changed field (a delete: `_deleted`) becomes a conflict; the record is
   re-stamped so every device pulls its open conflicts.
4. The per-field three-way merge of `shared_schema.sync.merge` against the record at
   `base_version`; a member or visit of a deleted household is edit vs delete (the child is kept
   as a tombstone and the conflict carries the submitted data).
5. Household numbers are unique within a grid: a household write that gives a household a
   (grid, number) pair another live household holds is kept as written and carries a conflict
   on `household_no` (base, server and client values: the clashing number) that a supervisor
   resolves by choosing a number; both households are kept (docs/protocol-notes.md).
6. Versions: each data change takes the next global version and writes a history row; a conflict
   that takes no field re-stamps the record (a version, no history row); a rejection or a no-op
   takes none. A household whose grid changes yields a `Move` (its members and visits follow,
   re-stamped by the apply after this batch's versions).

Each mutation is decided against the state the earlier mutations of the batch left, so the
decision of mutation k never depends on a later one: refusing mutation k (`refused`: the database
would not store it) leaves every earlier decision as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Final

from shared_schema.sync.changes import apply_changes
from shared_schema.sync.merge import (
    DELETE,
    DELETED_FIELD,
    STATUS_CONFLICT,
    STATUS_NOOP,
    Conflict,
    Deleted,
    MergeResult,
    merge,
)
from shared_schema.sync.paths import flatten, value_at, values_equal

HOUSEHOLD: Final = "household"
HOUSEHOLD_NO: Final = "household_no"
VISIT: Final = "visit"
CLOSED_REVIEW: Final = frozenset({"approved", "rejected"})
"""Review statuses that close a visit to workers' edits (PROTOCOL.md "Closed visits")."""

CREATE: Final = "create"
CHANGES: Final = "changes"
RECORD: Final = "record"

Key = tuple[str, str]
Errors = dict[str, list[str]]
RecordCheck = Callable[[str, Mapping[str, Any], str, date], Errors]
"""`check(entity, data, kind, as_of) -> field errors`; kind is CREATE (a whole new record with
the client's rights; the caller only asks whether it is empty), CHANGES (a client's partial
changes) or RECORD (a whole merged record, the server's rights)."""


@dataclass(frozen=True)
class StoredRecord:
    """A record as the server holds it (the `records` row)."""

    entity: str
    id: str
    version: int
    deleted: bool
    data: Mapping[str, Any]
    grid_id: str | None
    household_id: str | None


@dataclass(frozen=True)
class LoggedMutation:
    """A processed mutation of this client: what it named and the result it was answered."""

    entity: str
    record_id: str
    op: str
    result: Mapping[str, Any]


@dataclass(frozen=True)
class BatchState:
    """Everything the batch reads, loaded before deciding.

    `records` holds every record a fresh mutation names (its own, the household it names, the
    household of a member or visit it edits); a key that is absent is not on the server.
    `bases[(entity, id, base_version)]` is the data of the latest history entry at or below
    `base_version`, loaded only where `base_version` is below the record's version (else the
    current data is the base); absent: no history entry (the base is empty).
    """

    client_id: str
    last_mutation_id: int
    last_version: int
    records: Mapping[Key, StoredRecord]
    bases: Mapping[tuple[str, str, int], Mapping[str, Any]]
    logged: Mapping[int, LoggedMutation]
    grids: frozenset[str]
    scope: frozenset[str] | None
    today: date
    closes_visits: bool
    numbers: Mapping[tuple[str, str], frozenset[str]] = field(default_factory=dict)
    """(grid_id, household_no) → the live households holding it, loaded for every pair the
    batch's household mutations may write (a pair absent here is held by none)."""


@dataclass(frozen=True)
class Refusal:
    """A protocol-level rejection on one field, as a message key (rendered by the caller)."""

    field: str
    key: str


@dataclass(frozen=True)
class HistoryRow:
    """One `record_versions` row."""

    entity: str
    record_id: str
    version: int
    data: Mapping[str, Any]
    deleted: bool
    changed_fields: tuple[str, ...]
    mutation_id: int
    hlc: str | None


@dataclass(frozen=True)
class ConflictRow:
    """One conflict row; its id is made by the apply (ids are random, decide is pure)."""

    entity: str
    record_id: str
    conflict: Conflict
    mutation_id: int
    version: int | None


@dataclass(frozen=True)
class Move:
    """A household left `old_grid`: its members and visits follow it to `new_grid`."""

    household_id: str
    old_grid: str
    new_grid: str | None


@dataclass(frozen=True)
class Outcome:
    """What one mutation of the batch does.

    `kind`: `fresh` (decided here), `replay` (`logged` is the stored result) or `repeat` (an
    id decided earlier in this batch: `repeat_of`). A fresh outcome's `record` is the record's
    state after it (None when nothing was written), `history` its history row, `conflicts` its
    conflict rows.
    """

    mutation: Mapping[str, Any]
    kind: str
    status: str = "applied"
    version: int | None = None
    errors: Errors = field(default_factory=dict)
    refusal: Refusal | None = None
    record: StoredRecord | None = None
    created: bool = False
    history: HistoryRow | None = None
    conflicts: tuple[ConflictRow, ...] = ()
    move: Move | None = None
    logged: Mapping[str, Any] | None = None
    repeat_of: int | None = None

    @property
    def mutation_id(self) -> int:
        return int(self.mutation["mutation_id"])


@dataclass(frozen=True)
class BatchDecision:
    """The batch's outcomes in request order (up to a gap), and where the counters end."""

    outcomes: tuple[Outcome, ...]
    last_mutation_id: int
    last_version: int
    gap: bool = False
    out_of_scope: Mapping[int, tuple[str, ...]] = field(default_factory=dict)

    @property
    def fresh(self) -> tuple[Outcome, ...]:
        return tuple(o for o in self.outcomes if o.kind == "fresh")

    def final_records(self) -> dict[Key, tuple[StoredRecord, bool]]:
        """Each written record's last state, and whether the batch created it."""
        out: dict[Key, tuple[StoredRecord, bool]] = {}
        for o in self.fresh:
            if o.record is not None:
                key = (o.record.entity, o.record.id)
                created = out[key][1] if key in out else o.created
                out[key] = (o.record, created)
        return out


def as_of(entity: str, record: Mapping[str, Any] | None, today: date) -> date:
    """Age rules are judged on the visit date for visits, today otherwise."""
    if entity == VISIT and record and isinstance(record.get("visit_date"), str):
        try:
            return date.fromisoformat(record["visit_date"])
        except ValueError:
            pass
    return today


def classify(
    state: BatchState, mutations: Sequence[Mapping[str, Any]]
) -> tuple[list[tuple[str, Mapping[str, Any]]], bool]:
    """Exactly once: each mutation as `fresh`, `replay` or `repeat`, up to a gap (the bool)."""
    last = state.last_mutation_id
    batch: dict[int, tuple[str, str, str]] = {}
    plan: list[tuple[str, Mapping[str, Any]]] = []
    for m in mutations:
        mid = m["mutation_id"]
        if mid <= last:
            logged = state.logged.get(mid)
            if mid in batch:
                earlier: tuple[str, str, str] | None = batch[mid]
                kind = "repeat"
            else:
                earlier = (logged.entity, logged.record_id, logged.op) if logged else None
                kind = "replay"
            if earlier is not None and earlier != (m["entity"], m["id"], m["op"]):
                return plan, True  # not a redelivery: the phone reused an id; renumber
            plan.append((kind, m))
        elif mid == last + 1:
            plan.append(("fresh", m))
            batch[mid] = (m["entity"], m["id"], m["op"])
            last = mid
        else:
            return plan, True
    return plan, False


def scope_violations(
    state: BatchState, fresh: list[tuple[int, Mapping[str, Any]]]
) -> dict[int, tuple[str, ...]]:
    """Request index → grids outside the caller's scope that the mutation touches."""
    if state.scope is None:
        return {}
    batch_grid: dict[str, str | None] = {}
    out: dict[int, tuple[str, ...]] = {}
    for index, m in fresh:
        data = m.get("data") or {}
        rec = state.records.get((m["entity"], m["id"]))
        touched: set[str | None] = set()
        if rec is not None:
            touched.add(rec.grid_id)
        if m["entity"] == HOUSEHOLD:
            new_grid = data.get("grid_id") if isinstance(data.get("grid_id"), str) else None
            if new_grid is not None:
                touched.add(new_grid)
            batch_grid[m["id"]] = new_grid or (rec.grid_id if rec else None)
        else:
            hid = data.get("household_id")
            if isinstance(hid, str):
                hh = state.records.get((HOUSEHOLD, hid))
                grid = batch_grid.get(hid) or (hh.grid_id if hh else None)
                if grid is not None:
                    touched.add(grid)
        outside = sorted(g for g in touched if g is not None and g not in state.scope)
        if outside:
            out[index] = tuple(outside)
    return out


def decide_batch(
    state: BatchState,
    mutations: Sequence[Mapping[str, Any]],
    check: RecordCheck,
    refused: Mapping[int, Errors] | None = None,
) -> BatchDecision:
    """Decide a whole batch against `state` (see the module docstring for the rules).

    `refused` maps mutation ids the database would not store to their errors: they are
    `rejected` with those errors and change nothing.
    """
    plan, gap = classify(state, mutations)
    fresh = [(i, m) for i, (kind, m) in enumerate(plan) if kind == "fresh"]
    outside = scope_violations(state, fresh)
    if outside:
        return BatchDecision((), state.last_mutation_id, state.last_version, gap, outside)
    batch = _Batch(state, check, refused or {})
    outcomes: list[Outcome] = []
    last_id = state.last_mutation_id
    for kind, m in plan:
        mid = m["mutation_id"]
        if kind == "fresh":
            outcomes.append(batch.decide(m))
            last_id = mid
        elif kind == "repeat":
            outcomes.append(Outcome(m, "repeat", repeat_of=mid))
        else:
            logged = state.logged.get(mid)
            outcomes.append(
                Outcome(m, "replay", logged=logged.result if logged is not None else None)
            )
    return BatchDecision(tuple(outcomes), last_id, batch.version, gap)


class _Batch:
    """The records as the batch has left them so far, and the versions it has handed out."""

    def __init__(self, state: BatchState, check: RecordCheck, refused: Mapping[int, Errors]):
        self.state = state
        self.check = check
        self.refused = refused
        self.version = state.last_version
        self.current: dict[Key, StoredRecord | None] = dict(state.records)
        self.history: dict[Key, list[tuple[int, Mapping[str, Any]]]] = {}
        self.numbers: dict[tuple[str, str], set[str]] = {
            pair: set(ids) for pair, ids in state.numbers.items()
        }

    def record(self, entity: str, record_id: str | None) -> StoredRecord | None:
        if record_id is None:
            return None
        return self.current.get((entity, record_id))

    def base_at(self, rec: StoredRecord, base_version: int | None) -> dict[str, Any] | None:
        """The record as of `base_version`: the latest history entry at or below it."""
        if base_version is None:
            return None
        key = (rec.entity, rec.id)
        for version, data in reversed(self.history.get(key, [])):
            if version <= base_version:
                return dict(data)
        loaded = self.state.records.get(key)
        if loaded is not None and base_version >= loaded.version:
            return dict(loaded.data)  # every data change writes history; re-stamps change none
        return dict(self.state.bases.get((rec.entity, rec.id, base_version), {}))

    def decide(self, m: Mapping[str, Any]) -> Outcome:
        entity, rid, op = m["entity"], m["id"], m["op"]
        data: Mapping[str, Any] = m.get("data") or {}
        base_version: int | None = m.get("base_version")
        rec = self.record(entity, rid)
        current_version = rec.version if rec is not None else None

        def reject(errors: Errors | None = None, refusal: Refusal | None = None) -> Outcome:
            return Outcome(m, "fresh", "rejected", current_version, errors or {}, refusal=refusal)

        if m["mutation_id"] in self.refused:
            return reject(self.refused[m["mutation_id"]])
        if base_version is not None and base_version > self.version:
            # Never handed out (the counter is below it): no device can have seen it.
            return reject(refusal=Refusal("base_version", "base_unknown"))
        whole = False  # a create whose data is a valid whole record: one check decides
        if op == "upsert":
            day = as_of(entity, data, self.state.today)
            if rec is None and base_version is None and not self.check(entity, data, CREATE, day):
                whole = True
            else:
                errors = self.check(entity, data, CHANGES, day)
                if errors:
                    return reject(errors)
            grid_id = data.get("grid_id")
            if entity == HOUSEHOLD and isinstance(grid_id, str) and grid_id not in self.state.grids:
                return reject(refusal=Refusal("grid_id", "unknown_grid"))
        orphan = False  # a member/visit upsert whose household another device has deleted
        if op == "upsert" and entity != HOUSEHOLD:
            if "household_id" in data:
                hh = self.record(HOUSEHOLD, str(data["household_id"]))
                if hh is None:
                    return reject(refusal=Refusal("household_id", "unknown_household"))
            else:
                hh = self.record(HOUSEHOLD, rec.household_id if rec is not None else None)
            orphan = hh is not None and hh.deleted
        if rec is None:
            if base_version is not None and op == "upsert":
                return Outcome(
                    m, "fresh", "rejected", None, refusal=Refusal("base_version", "base_unknown")
                )
            base = None
            server: dict[str, Any] | Deleted | None = Deleted({}) if orphan else None
        else:
            base = self.base_at(rec, base_version)
            gone = rec.deleted or orphan
            server = Deleted(dict(rec.data)) if gone else dict(rec.data)
            if self._closed(rec, orphan):
                return self._closed_conflict(m, rec, base, data)
        if whole and server is None:
            # A valid create merges to its own data: `merge`'s copy (flatten + unflatten)
            # gives an equal dict; a shallow copy does (nothing mutates the nested parts).
            outcome = MergeResult(dict(data), False, changed=tuple(sorted(flatten(data))))
        else:
            outcome = merge(base, server, DELETE if op == "delete" else data)
        merged = outcome.merged
        if entity == VISIT and rec is None and merged is not None:
            merged.setdefault("review_status", "submitted")
        if entity == HOUSEHOLD and rec is None and merged is not None:
            merged.setdefault("registration", "field_new")
        if (
            merged is not None
            and not outcome.deleted
            and outcome.status != STATUS_NOOP
            and not whole
        ):
            errors = self.check(entity, merged, RECORD, as_of(entity, merged, self.state.today))
            if errors:
                return reject(errors)
        written: Outcome | None = None
        if orphan and outcome.conflicts and (rec is None or not rec.deleted):
            # Edit vs delete of the household: the child is kept as a tombstone (it follows
            # its household's delete) holding what a restore would bring back, so it is
            # validated like any record; the conflict carries the submitted data.
            kept = _orphan_tombstone(entity, rec, data)
            errors = self.check(entity, kept, RECORD, as_of(entity, kept, self.state.today))
            if errors:
                return reject(errors)
            changed = (DELETED_FIELD, *(sorted(flatten(kept)) if rec is None else []))
            written = self._write(m, rec, kept, True, changed)
        elif outcome.changed:
            record_data = merged if merged is not None else (dict(rec.data) if rec else {})
            written = self._write(m, rec, record_data, outcome.deleted, outcome.changed)
        elif outcome.conflicts and rec is not None:
            written = self._restamp(m, rec)
        status = "applied" if outcome.status == STATUS_NOOP else outcome.status
        if written is None:
            return Outcome(m, "fresh", status, current_version)
        conflicts = outcome.conflicts
        clash = self._number_clash(rec, written.record, base)
        if clash is not None:
            conflicts = (*conflicts, clash)
            status = STATUS_CONFLICT
        if written.status != status:
            written = replace(written, status=status)
        return self._with_conflicts(written, conflicts)

    def _number_clash(
        self,
        before: StoredRecord | None,
        after: StoredRecord | None,
        base: Mapping[str, Any] | None,
    ) -> Conflict | None:
        """A household's write that takes a (grid, number) another live household holds.

        Keeps `self.numbers` in step with the batch's writes; only a write that changes the
        household's own pair (a create, a new number, a new grid, an undelete) can clash, so a
        household already sharing a number does not raise a second conflict on each edit."""
        if after is None or after.entity != HOUSEHOLD:
            return None
        old = _number_pair(before)
        new = _number_pair(after)
        if old == new:
            return None
        if old is not None:
            self.numbers.get(old, set()).discard(after.id)
        if new is None:
            return None
        holders = self.numbers.setdefault(new, set())
        others = holders - {after.id}
        holders.add(after.id)
        if not others:
            return None
        number = new[1]
        return Conflict(HOUSEHOLD_NO, value_at(base, HOUSEHOLD_NO), number, number)

    def _closed(self, rec: StoredRecord, orphan: bool) -> bool:
        """A worker's edit of an approved or rejected visit (that is not a tombstone)."""
        return (
            self.state.closes_visits
            and rec.entity == VISIT
            and not rec.deleted
            and not orphan
            and rec.data.get("review_status") in CLOSED_REVIEW
        )

    def _closed_conflict(
        self,
        m: Mapping[str, Any],
        rec: StoredRecord,
        base: Mapping[str, Any] | None,
        data: Mapping[str, Any],
    ) -> Outcome:
        """Closed visit: every field the edit changes is a conflict; the approved values stand.

        A field already at the server's value changes nothing; an edit that changes nothing is
        a no-op. A delete is one `_deleted` conflict (as a delete vs edit)."""
        if m["op"] == "delete":
            conflicts: tuple[Conflict, ...] = (Conflict(DELETED_FIELD, False, False, True),)
        else:
            conflicts = tuple(
                Conflict(path, value_at(base, path), value_at(rec.data, path), value)
                for path, value in sorted(flatten(data).items())
                if not values_equal(value, value_at(rec.data, path))
            )
        if not conflicts:
            return Outcome(m, "fresh", "applied", rec.version)
        written = replace(self._restamp(m, rec), status=STATUS_CONFLICT)
        return self._with_conflicts(written, conflicts)

    def _with_conflicts(self, written: Outcome, conflicts: tuple[Conflict, ...]) -> Outcome:
        if not conflicts:
            return written
        rows = tuple(
            ConflictRow(
                written.mutation["entity"],
                written.mutation["id"],
                c,
                written.mutation_id,
                written.version,
            )
            for c in conflicts
        )
        return replace(written, conflicts=rows)

    def _next_version(self) -> int:
        self.version += 1
        return self.version

    def _write(
        self,
        m: Mapping[str, Any],
        rec: StoredRecord | None,
        data: dict[str, Any],
        deleted: bool,
        changed: tuple[str, ...],
    ) -> Outcome:
        """A new version of the record with a history row (docs/sync-core.md)."""
        entity, rid = m["entity"], m["id"]
        version = self._next_version()
        if entity == HOUSEHOLD:
            grid_id, household_id = data.get("grid_id"), None
        else:
            household_id = data.get("household_id")
            hh = self.record(HOUSEHOLD, household_id if isinstance(household_id, str) else None)
            grid_id = hh.grid_id if hh is not None else None
        new = StoredRecord(entity, rid, version, deleted, data, grid_id, household_id)
        self.current[(entity, rid)] = new
        self.history.setdefault((entity, rid), []).append((version, data))
        move = None
        old_grid = rec.grid_id if rec is not None else None
        if entity == HOUSEHOLD and old_grid is not None and old_grid != grid_id:
            move = Move(rid, old_grid, grid_id)
        row = HistoryRow(
            entity, rid, version, data, deleted, tuple(changed), m["mutation_id"], m.get("hlc")
        )
        return Outcome(
            m, "fresh", "applied", version, record=new, created=rec is None, history=row, move=move
        )

    def _restamp(self, m: Mapping[str, Any], rec: StoredRecord) -> Outcome:
        """A fresh version without a history row (the data did not change), so every device
        pulls the record again with its open conflicts."""
        new = replace(rec, version=self._next_version())
        self.current[(rec.entity, rec.id)] = new
        return Outcome(m, "fresh", STATUS_CONFLICT, new.version, record=new)


def _number_pair(rec: StoredRecord | None) -> tuple[str, str] | None:
    """A live household's (grid, number); None for a tombstone or a record without them."""
    if rec is None or rec.deleted or rec.entity != HOUSEHOLD:
        return None
    number = rec.data.get(HOUSEHOLD_NO)
    if not isinstance(rec.grid_id, str) or not isinstance(number, str):
        return None
    return (rec.grid_id, number)


def number_pairs(
    records: Mapping[Key, StoredRecord], mutations: Sequence[Mapping[str, Any]]
) -> set[tuple[str, str]]:
    """The (grid, number) pairs a batch's household upserts may write: what the load fetches
    into `BatchState.numbers` (each pair combines the grid and number a mutation sends with
    the ones its record holds)."""
    pairs: set[tuple[str, str]] = set()
    for m in mutations:
        if m.get("entity") != HOUSEHOLD or m.get("op") != "upsert":
            continue
        data = m.get("data") or {}
        rec = records.get((HOUSEHOLD, m.get("id", "")))
        grid = data.get("grid_id", rec.grid_id if rec is not None else None)
        number = data.get(HOUSEHOLD_NO, rec.data.get(HOUSEHOLD_NO) if rec is not None else None)
        if isinstance(grid, str) and isinstance(number, str):
            pairs.add((grid, number))
    return pairs


def _orphan_tombstone(
    entity: str, rec: StoredRecord | None, data: Mapping[str, Any]
) -> dict[str, Any]:
    """The data a child of a deleted household is stored with: a create's submitted record
    (a new visit as `submitted`), or an existing child's current data (its edit waits in the
    conflict, applied only if a supervisor restores it)."""
    if rec is not None:
        return dict(rec.data)
    kept = apply_changes(None, data)
    if entity == VISIT:
        kept.setdefault("review_status", "submitted")
    return kept
