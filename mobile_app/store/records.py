"""The `records` table's one writer, and the write path: validate, write the row and its
outbox entry together.

`RecordRepository.save`/`.delete` run in one BEGIN IMMEDIATE transaction that writes the
record, rewrites its outbox entry and refreshes the household's list columns, so a crash
leaves either the old state or the new one with its pending mutation — never an edit without
its mutation. The row-level functions below (`write_row`, `set_base`, `delete_record` ...)
are the only SQL that writes `records`; reconcile calls them in its apply phase.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any

from mobile_app.store import jsonio
from mobile_app.store.clock import iso, local_day, next_hlc
from mobile_app.store.crashpoints import reach
from mobile_app.store.database import Connection, Database, Row
from mobile_app.store.drafts import delete_draft
from mobile_app.store.models import Household, Record, RecordRow, ValidationFailed
from mobile_app.store.outbox import has_pending, sync_record_outbox
from mobile_app.store.risk import count_flags, next_visit_due
from shared_schema.schemas.records import validate_household_members, validate_record

ENTITIES = ("household", "member", "visit")

Validator = Callable[..., dict[str, Any]]
"""`validator(entity, data, *, lang, as_of, today) -> {dotted.path: [messages]}` ({} when
valid); `today` is the device's date, bounding dates as the server does (PROTOCOL.md)."""


def shared_validator(
    entity: str,
    data: dict[str, Any],
    *,
    lang: str = "zh",
    as_of: date | None = None,
    today: date | None = None,
) -> dict[str, Any]:
    """Validate a whole record with the shared marshmallow schema."""
    return validate_record(entity, data, lang=lang, as_of=as_of, today=today)


def record_from_row(row: Row) -> Record:
    """A records row as a Record (Household for households, with its list columns)."""
    common = dict(
        entity=row["entity"],
        id=row["id"],
        data=jsonio.loads(row["data"]) or {},
        household_id=row["household_id"],
        version=row["base_version"],
        deleted=bool(row["deleted"]),
        dirty=bool(row["dirty"]),
        open_conflicts=jsonio.loads(row["open_conflicts"]) or [],
        updated_at=row["updated_at"],
    )
    if row["entity"] == "household":
        return Household(
            **common,
            risk_count=row["risk_count"],
            last_visit_date=row["last_visit_date"],
            next_visit_due=row["next_visit_due"],
            last_review_status=row["last_review_status"],
            has_conflict=bool(row["has_conflict"]),
            unsynced=bool(row["unsynced"]),
        )
    return Record(**common)


def record_row(row: Row) -> RecordRow:
    """A records row as the typed row reconcile works on."""
    return RecordRow(
        entity=row["entity"],
        id=row["id"],
        household_id=row["household_id"],
        data=jsonio.loads(row["data"]),
        base_data=jsonio.loads(row["base_data"]),
        base_version=row["base_version"],
        base_deleted=bool(row["base_deleted"]),
        deleted=bool(row["deleted"]),
        dirty=bool(row["dirty"]),
        open_conflicts=jsonio.loads(row["open_conflicts"]) or [],
    )


def load_record(conn: Connection, entity: str, record_id: str) -> RecordRow | None:
    """One record's typed row, or None."""
    row = conn.execute(
        "SELECT * FROM records WHERE entity=? AND id=?", (entity, record_id)
    ).fetchone()
    return record_row(row) if row is not None else None


def load_records(
    conn: Connection, keys: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], RecordRow]:
    """The typed rows of the records among `keys` that exist here."""
    found: dict[tuple[str, str], RecordRow] = {}
    for entity, record_id in set(keys):
        rec = load_record(conn, entity, record_id)
        if rec is not None:
            found[rec.key] = rec
    return found


def check_entity(entity: str) -> None:
    if entity not in ENTITIES:
        raise ValueError(f"unknown entity {entity!r}; expected one of {ENTITIES}")


def check_id(record_id: str) -> None:
    try:
        uuid.UUID(str(record_id))
    except ValueError:
        raise ValidationFailed({"id": [f"not a UUID: {record_id!r}"]}) from None


def denormalised_columns(entity: str, data: dict[str, Any] | None) -> dict[str, Any]:
    """Columns copied out of the JSON for indexes and list queries."""
    data = data or {}
    cols: dict[str, Any] = {
        "household_id": data.get("household_id"),
        "grid_id": None,
        "household_no": None,
        "head_name": None,
        "id_number": None,
        "visit_date": None,
        "review_status": None,
    }
    if entity == "household":
        cols.update(
            grid_id=data.get("grid_id"),
            household_no=data.get("household_no"),
            head_name=data.get("head_name"),
        )
    elif entity == "member":
        cols["id_number"] = data.get("id_number")
    else:
        cols.update(visit_date=data.get("visit_date"), review_status=data.get("review_status"))
    return cols


def write_row(
    conn: Connection,
    entity: str,
    record_id: str,
    *,
    data: dict[str, Any] | None,
    deleted: bool,
    now: str,
    base: tuple[dict[str, Any] | None, int | None, bool] | None = None,
) -> None:
    """Upsert a records row with fresh denormalised columns (base: (data, version, deleted))."""
    cols = denormalised_columns(entity, data)
    existing = conn.execute(
        "SELECT household_id FROM records WHERE entity=? AND id=?", (entity, record_id)
    ).fetchone()
    if cols["household_id"] is None and existing is not None:
        cols["household_id"] = existing["household_id"]
    if entity == "household":
        cols["household_id"] = record_id
    values = {
        "entity": entity,
        "id": record_id,
        "data": jsonio.dumps(data) if data is not None else None,
        "deleted": int(deleted),
        "updated_at": now,
        **cols,
    }
    if base is not None:
        values.update(
            base_data=jsonio.dumps(base[0]) if base[0] is not None else None,
            base_version=base[1],
            base_deleted=int(base[2]),
        )
    names = list(values)
    updates = ", ".join(f"{n}=excluded.{n}" for n in names if n not in ("entity", "id"))
    conn.execute(
        f"INSERT INTO records ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
        f" ON CONFLICT (entity, id) DO UPDATE SET {updates}",
        [values[n] for n in names],
    )


def set_open_conflicts(
    conn: Connection, entity: str, record_id: str, fields: Iterable[str]
) -> None:
    """The fields the server reports with an open conflict on this record."""
    conn.execute(
        "UPDATE records SET open_conflicts=? WHERE entity=? AND id=?",
        (jsonio.dumps(list(fields)), entity, record_id),
    )


def set_base(
    conn: Connection, entity: str, record_id: str, *, data: dict[str, Any], version: int | None
) -> None:
    """The server now holds `data` at `version` (an acknowledged upsert)."""
    conn.execute(
        "UPDATE records SET base_data=?, base_version=?, base_deleted=0 WHERE entity=? AND id=?",
        (jsonio.dumps(data), version, entity, record_id),
    )


def set_base_deleted(conn: Connection, entity: str, record_id: str, version: int | None) -> None:
    """The server deleted the record at `version` (an acknowledged delete)."""
    conn.execute(
        "UPDATE records SET base_deleted=1, base_version=? WHERE entity=? AND id=?",
        (version, entity, record_id),
    )


def undelete(conn: Connection, entity: str, record_id: str) -> None:
    """Bring a locally deleted record back (its delete became a conflict on the server)."""
    conn.execute(
        "UPDATE records SET deleted=0, data=coalesce(data, base_data) WHERE entity=? AND id=?",
        (entity, record_id),
    )


def restore_base(conn: Connection, entity: str, record_id: str) -> None:
    """Local state falls back to the server state (the edit was parked elsewhere)."""
    conn.execute(
        "UPDATE records SET data=base_data, deleted=base_deleted WHERE entity=? AND id=?",
        (entity, record_id),
    )


def set_data(
    conn: Connection, entity: str, record_id: str, data: dict[str, Any], *, now: str
) -> None:
    """Replace a record's local data (a rejected edit given up)."""
    conn.execute(
        "UPDATE records SET data=?, updated_at=? WHERE entity=? AND id=?",
        (jsonio.dumps(data), now, entity, record_id),
    )


def mark_deleted(conn: Connection, entity: str, record_id: str, *, now: str) -> None:
    """A local delete: the row stays as a tombstone until the server acknowledges it."""
    conn.execute(
        "UPDATE records SET deleted=1, updated_at=? WHERE entity=? AND id=?",
        (now, entity, record_id),
    )


def delete_record(conn: Connection, entity: str, record_id: str) -> None:
    """Drop a record's row (gone on the server, out of scope, or never sent)."""
    conn.execute("DELETE FROM records WHERE entity=? AND id=?", (entity, record_id))


def clear_records(conn: Connection) -> None:
    """Drop every record (another user's data at a user switch)."""
    conn.execute("DELETE FROM records")


def refresh_dirty(conn: Connection, entity: str, record_id: str) -> None:
    """dirty = pending outbox entries, or local data the server has not acknowledged."""
    row = conn.execute(
        "SELECT data, base_data, deleted, base_deleted FROM records WHERE entity=? AND id=?",
        (entity, record_id),
    ).fetchone()
    if row is None:
        return
    if has_pending(conn, entity, record_id):
        dirty = True
    elif row["deleted"]:
        dirty = not row["base_deleted"] and row["base_data"] is not None
    else:
        dirty = jsonio.loads(row["data"]) != jsonio.loads(row["base_data"])
    conn.execute(
        "UPDATE records SET dirty=? WHERE entity=? AND id=?", (int(dirty), entity, record_id)
    )


def refresh_household(conn: Connection, household_id: str | None) -> None:
    """Recompute one household's list columns from its own rows (cheap, indexed)."""
    if not household_id:
        return
    hh = conn.execute(
        "SELECT data, open_conflicts FROM records WHERE entity='household' AND id=?",
        (household_id,),
    ).fetchone()
    if hh is None:
        return
    hdata = jsonio.loads(hh["data"]) or {}
    last = conn.execute(
        "SELECT data, visit_date, review_status FROM records WHERE entity='visit'"
        " AND household_id=? AND deleted=0 AND visit_date IS NOT NULL"
        " ORDER BY visit_date DESC, updated_at DESC LIMIT 1",
        (household_id,),
    ).fetchone()
    last_date = last["visit_date"] if last else None
    next_due = next_visit_due(conn, last_date, hdata.get("monitor_category")) if last_date else None
    risk_count = 0
    if last is not None:
        risk_count = count_flags(conn, household_id, hdata, jsonio.loads(last["data"]) or {})
    flags = conn.execute(
        "SELECT max(dirty) AS unsynced, max(open_conflicts != '[]') AS conflicted FROM records"
        # `entity IN (...)` lets SQLite use records_household (entity, household_id, ...)
        # instead of scanning every row of the phone for each household refreshed
        " WHERE entity IN ('household','member','visit') AND household_id=?"
        " AND (entity='household' OR deleted=0)",
        (household_id,),
    ).fetchone()
    notices = conn.execute(
        "SELECT 1 FROM conflicts WHERE household_id=? AND closed=0 AND kind='conflict' LIMIT 1",
        (household_id,),
    ).fetchone()
    conn.execute(
        "UPDATE records SET risk_count=?, last_visit_date=?, next_visit_due=?,"
        " last_review_status=?, has_conflict=?, unsynced=? WHERE entity='household' AND id=?",
        (
            risk_count,
            last_date,
            next_due,
            last["review_status"] if last else None,
            int(bool(flags["conflicted"]) or notices is not None),
            int(bool(flags["unsynced"])),
            household_id,
        ),
    )


def _as_of(entity: str, data: dict[str, Any], now: datetime) -> date:
    """The day age-dependent rules are checked on: the visit's date, else today."""
    if entity == "visit" and isinstance(data.get("visit_date"), str):
        try:
            return date.fromisoformat(data["visit_date"])
        except ValueError:
            pass
    return now.date()


SERVER_OWNED = ("review_comment", "registration")
"""Fields only the server writes (a visit's review comment, a household's registration): a
save keeps what the server last said and never sends a change of them."""


class RecordRepository:
    """Validated writes of households, members and visits, each with its outbox entry."""

    def __init__(
        self, db: Database, *, validator: Validator | None = None, lang: str = "zh"
    ) -> None:
        self.db = db
        self.validator = validator or shared_validator
        self.lang = lang  # language of validation messages ("zh" or "en")

    def get(self, entity: str, record_id: str) -> Record | None:
        """A record by entity and id (deleted ones too, flagged), or None."""
        check_entity(entity)
        row = self.db.query_one(
            "SELECT * FROM records WHERE entity=? AND id=?", (entity, record_id)
        )
        return record_from_row(row) if row else None

    def save(
        self, entity: str, record_id: str, data: dict[str, Any], *, now: datetime, hlc_node: str
    ) -> Record:
        """Validate and store the whole record, appending (or coalescing) its pending mutation.

        Raises ValidationFailed (dotted-path errors) and changes nothing when invalid.
        """
        return self.save_together([(entity, record_id, data)], now=now, hlc_node=hlc_node)[0]

    def save_together(
        self,
        items: list[tuple[str, str, dict[str, Any]]],
        *,
        now: datetime,
        hlc_node: str,
        moving: frozenset[str] = frozenset(),
    ) -> list[Record]:
        """Save several records as one user action, in one transaction (all or nothing): a
        household split is its new household and its members' moves; a change of head is
        every member re-related. `moving` names the members allowed to change `household_id`
        (a move; any other change of it is refused). A household's composition (one head, one
        spouse) is checked once the whole action is written, so its order does not matter.
        """
        prepared = [self._prepare(e, rid, data, now) for e, rid, data in items]
        with self.db.transaction() as conn:
            saved = [
                self._save_in(conn, e, rid, data, now, hlc_node, rid in moving)
                for e, rid, data in prepared
            ]
            joined = {str(data["household_id"]) for e, _rid, data in prepared if e == "member"}
            for household_id in sorted(joined):
                self._check_composition(conn, household_id)
            return saved

    def _prepare(
        self, entity: str, record_id: str, data: Any, now: datetime
    ) -> tuple[str, str, dict[str, Any]]:
        """The record checked on its own (raises ValidationFailed)."""
        check_entity(entity)
        check_id(record_id)
        if not isinstance(data, dict):
            raise ValidationFailed({"_schema": ["record data must be an object"]})
        data = dict(data)
        if entity == "visit":
            # A saved visit is (re)submitted for review; the comment belongs to the server.
            data["review_status"] = "submitted"
        errors = self.validator(
            entity,
            {k: v for k, v in data.items() if k != "review_comment"},
            lang=self.lang,
            as_of=_as_of(entity, data, now),
            today=local_day(now),
        )
        if errors:
            raise ValidationFailed(errors)
        return entity, record_id, data

    def _save_in(
        self,
        conn: Connection,
        entity: str,
        record_id: str,
        data: dict[str, Any],
        now: datetime,
        hlc_node: str,
        may_move: bool,
    ) -> Record:
        stamp_now = iso(now)
        row = conn.execute(
            "SELECT * FROM records WHERE entity=? AND id=?", (entity, record_id)
        ).fetchone()
        if row is not None and row["deleted"]:
            raise ValidationFailed({"id": ["this record was deleted"]})
        if entity != "household":
            hh = conn.execute(
                "SELECT deleted FROM records WHERE entity='household' AND id=?",
                (data.get("household_id"),),
            ).fetchone()
            if hh is None or hh["deleted"]:
                raise ValidationFailed({"household_id": ["unknown household"]})
            moved = row is not None and row["household_id"] != data.get("household_id")
            if moved and not may_move:
                raise ValidationFailed({"household_id": ["cannot move to another household"]})
        # The supervisor's comment and the registration are the server's: keep what it last
        # said, never send a change.
        previous = (jsonio.loads(row["data"]) or {}) if row is not None else {}
        for owned in SERVER_OWNED:
            data.pop(owned, None)
            if owned in previous:
                data[owned] = previous[owned]
        write_row(
            conn,
            entity,
            record_id,
            data=data,
            deleted=False,
            now=stamp_now,
            base=None if row is not None else (None, None, False),
        )
        stamp = next_hlc(conn, now, hlc_node)
        reach("save.before_outbox")
        sync_record_outbox(conn, entity, record_id, hlc=stamp, now=stamp_now)
        refresh_dirty(conn, entity, record_id)
        delete_draft(conn, record_id)
        refresh_household(conn, record_id if entity == "household" else data["household_id"])
        if (
            entity != "household"
            and row is not None
            and row["household_id"] != data.get("household_id")
        ):
            refresh_household(conn, row["household_id"])  # the household it left
        saved = conn.execute(
            "SELECT * FROM records WHERE entity=? AND id=?", (entity, record_id)
        ).fetchone()
        return record_from_row(saved)

    def _check_composition(self, conn: Connection, household_id: str) -> None:
        """Refuse a save that leaves the household with a second head or spouse (raised inside
        the transaction: nothing of the action stays).

        A household with no head yet is allowed (members are added one at a time);
        `MemberRepository.composition_errors` reports it for the screen.
        """
        members = [
            jsonio.loads(r["data"])
            for r in conn.execute(
                "SELECT data FROM records WHERE entity='member' AND household_id=? AND deleted=0",
                (household_id,),
            )
        ]
        present = [m for m in members if m.get("status", "present") == "present"]
        heads = sum(1 for m in present if m.get("relation") == "head")
        spouses = sum(1 for m in present if m.get("relation") == "spouse")
        if heads > 1 or spouses > 1:
            errors = validate_household_members(members, lang=self.lang)
            raise ValidationFailed(errors or {"relation": ["household composition"]})

    def delete(self, entity: str, record_id: str, *, now: datetime, hlc_node: str) -> None:
        """Delete a record (and, for a household, its members and visits) with its mutations.

        A record the server never saw simply disappears; otherwise it becomes a local
        tombstone with a pending `delete` mutation.
        """
        check_entity(entity)
        stamp_now = iso(now)
        with self.db.transaction() as conn:
            row = conn.execute(
                "SELECT * FROM records WHERE entity=? AND id=?", (entity, record_id)
            ).fetchone()
            if row is None or row["deleted"]:
                raise LookupError(f"no such {entity}: {record_id}")
            targets = [(entity, record_id)]
            if entity == "household":
                children = conn.execute(
                    "SELECT entity, id FROM records WHERE household_id=? AND entity!='household'"
                    " AND deleted=0",
                    (record_id,),
                ).fetchall()
                targets = [(c["entity"], c["id"]) for c in children] + targets
            stamp = next_hlc(conn, now, hlc_node)
            for ent, rid in targets:
                mark_deleted(conn, ent, rid, now=stamp_now)
                sync_record_outbox(conn, ent, rid, hlc=stamp, now=stamp_now)
                current = load_record(conn, ent, rid)
                if (
                    current is not None
                    and current.base_version is None
                    and not has_pending(conn, ent, rid)
                ):
                    delete_record(conn, ent, rid)
                else:
                    refresh_dirty(conn, ent, rid)
            delete_draft(conn, record_id)
            refresh_household(conn, row["household_id"])
