"""The `files` table's one writer: the evidence files of visits and their upload state.

A row names a file by its SHA-256 and says where its bytes are: `local` is `full` (the sealed
file and its thumbnail are on the phone), `thumb` (the full file was evicted after the server
acknowledged it; the thumbnail stays) or `missing` (gone from the phone: shown as missing, can
be retaken, never blocks a sync); `remote` is `pending` until the server holds it, then
`uploaded`; `upload_offset` is the last offset the server confirmed, so an upload resumes
after a dropped connection, an app restart or a reboot. The bytes are written by
`mobile_app.evidence.vault.FileVault`; nothing else writes this table.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from mobile_app.store.database import Database


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    visit_id: str | None
    kind: str
    mime: str
    size: int
    width: int | None
    height: int | None
    taken_at: str | None
    local: str
    remote: str
    upload_offset: int
    upload_error: str | None
    created_at: str
    last_used_at: str
    uploaded_at: str | None

    def attachment(self) -> dict[str, Any]:
        """The visit's `attachments` item for this file (PROTOCOL.md "Attachments")."""
        return {
            "sha256": self.sha256,
            "kind": self.kind,
            "mime": self.mime,
            "size": self.size,
            "width": self.width,
            "height": self.height,
            "taken_at": self.taken_at,
        }


def file_from_row(row: Any) -> StoredFile:
    return StoredFile(**{name: row[name] for name in StoredFile.__dataclass_fields__})


def add_file(
    conn: sqlite3.Connection,
    *,
    sha256: str,
    visit_id: str | None,
    kind: str,
    mime: str,
    size: int,
    width: int | None,
    height: int | None,
    taken_at: str | None,
    now: str,
) -> None:
    """Record a file just written by the vault; the same bytes again (same hash) only touch
    the row (a retaken file that was missing is `full` again, its upload state kept)."""
    conn.execute(
        "INSERT INTO files (sha256, visit_id, kind, mime, size, width, height, taken_at,"
        " local, remote, created_at, last_used_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'full', 'pending', ?, ?)"
        " ON CONFLICT (sha256) DO UPDATE SET local='full', last_used_at=excluded.last_used_at,"
        " visit_id=coalesce(files.visit_id, excluded.visit_id)",
        (sha256, visit_id, kind, mime, size, width, height, taken_at, now, now),
    )


def add_fetched(
    conn: sqlite3.Connection,
    *,
    sha256: str,
    visit_id: str | None,
    kind: str,
    mime: str,
    size: int,
    width: int | None,
    height: int | None,
    taken_at: str | None,
    now: str,
) -> None:
    """Record a full file fetched from the server (another phone's photo, or one of ours that
    was evicted): on the server, so counted in the storage bound and evictable again."""
    conn.execute(
        "INSERT INTO files (sha256, visit_id, kind, mime, size, width, height, taken_at,"
        " local, remote, upload_offset, created_at, last_used_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'full', 'uploaded', ?, ?, ?)"
        " ON CONFLICT (sha256) DO UPDATE SET local='full', remote='uploaded',"
        " upload_offset=files.size, upload_error=NULL, last_used_at=excluded.last_used_at",
        (sha256, visit_id, kind, mime, size, width, height, taken_at, size, now, now),
    )


def attach_to_visit(conn: sqlite3.Connection, sha256s: list[str], visit_id: str) -> None:
    """Files taken on a visit form before its id was known now belong to it."""
    conn.executemany(
        "UPDATE files SET visit_id=? WHERE sha256=? AND visit_id IS NULL",
        [(visit_id, s) for s in sha256s],
    )


def set_offset(conn: sqlite3.Connection, sha256: str, offset: int, *, now: str) -> None:
    """The server confirmed `offset` bytes (persisted at once: a reboot resumes from here)."""
    conn.execute(
        "UPDATE files SET upload_offset=?, upload_error=NULL, last_used_at=? WHERE sha256=?",
        (offset, now, sha256),
    )


def mark_uploaded(conn: sqlite3.Connection, sha256: str, *, now: str) -> None:
    conn.execute(
        "UPDATE files SET remote='uploaded', upload_offset=size, upload_error=NULL,"
        " uploaded_at=? WHERE sha256=?",
        (now, sha256),
    )


def mark_error(conn: sqlite3.Connection, sha256: str, error: str) -> None:
    """An upload the server refused (422...) or that failed: shown, retried next sync."""
    conn.execute(
        "UPDATE files SET upload_error=?, upload_offset=0 WHERE sha256=?", (error[:500], sha256)
    )


def mark_local(conn: sqlite3.Connection, sha256s: list[str], local: str) -> None:
    """`thumb` after eviction (only ever for uploaded files), `missing` when the bytes are gone."""
    if local not in ("full", "thumb", "missing"):
        raise ValueError(f"unknown local state {local!r}")
    guard = " AND remote='uploaded'" if local == "thumb" else ""
    conn.executemany(
        f"UPDATE files SET local=? WHERE sha256=?{guard}", [(local, s) for s in sha256s]
    )


def touch(conn: sqlite3.Connection, sha256: str, *, now: str) -> None:
    conn.execute("UPDATE files SET last_used_at=? WHERE sha256=?", (now, sha256))


def get_file(db: Database, sha256: str) -> StoredFile | None:
    row = db.query_one("SELECT * FROM files WHERE sha256=?", (sha256,))
    return None if row is None else file_from_row(row)


def all_files(db: Database) -> list[StoredFile]:
    return [file_from_row(r) for r in db.query("SELECT * FROM files ORDER BY created_at")]


def pending_uploads(db: Database) -> list[StoredFile]:
    """Files the server does not hold yet, oldest first (the upload order)."""
    rows = db.query("SELECT * FROM files WHERE remote='pending' ORDER BY created_at, sha256")
    return [file_from_row(r) for r in rows]


def files_of_visit(db: Database, visit_id: str) -> list[StoredFile]:
    rows = db.query("SELECT * FROM files WHERE visit_id=? ORDER BY created_at", (visit_id,))
    return [file_from_row(r) for r in rows]
