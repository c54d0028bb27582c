"""After the records, the files: every evidence file the server does not hold yet goes up over
tus (`mobile_app.sync.tus`), oldest first, resuming where the server is.

One file never holds up the others or the records: a file gone from the phone is marked
missing (the visit shows it, the worker retakes it), a file the server refuses is marked with
the reason; both are skipped. A dropped network ends the files phase quietly (what is left is
counted and goes next sync). "Photos on Wi-Fi only" (the settings screen, stored with the
session; `TIANYE_PHOTOS_WIFI_ONLY=1`/`=0` overrides it for tests and ops) holds the photos back
on a metered network (`mobile_app.sync.connectivity.metered_for`); signatures, a few KB
each, still go. What was held back is counted (`held_for_wifi`), so the sync screen and
home say "3 photos wait for Wi-Fi" instead of "done".
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from mobile_app.evidence.vault import EvidenceFiles, MissingFile
from mobile_app.store import files as files_table
from mobile_app.store.database import Database
from mobile_app.store.files import StoredFile
from mobile_app.sync.client import Offline
from mobile_app.sync.connectivity import env_flag
from mobile_app.sync.tus import TusClient, UploadRefused

WIFI_ONLY_ENV = "TIANYE_PHOTOS_WIFI_ONLY"
STORAGE_MB_ENV = "TIANYE_EVIDENCE_STORAGE_MB"


def evidence_root(db_path: str | Path) -> Path:
    """The private folder of a store's evidence files (next to the database file)."""
    path = Path(db_path)
    return path.with_name(path.name + ".files")


def evidence_for(db: Database, env: Mapping[str, str] = os.environ) -> EvidenceFiles:
    """The store's evidence files with the configured storage bound (default 500 MB)."""
    try:
        mb = int(env.get(STORAGE_MB_ENV, "500"))
    except ValueError:
        mb = 500
    return EvidenceFiles(db, evidence_root(db.path), limit_bytes=max(10, mb) * 1024 * 1024)


WIFI_EXEMPT_KINDS = frozenset({"signature"})
"""Kinds that go on any network even with "photos on Wi-Fi only" (a signature is a few KB)."""


def wifi_only_setting(stored: bool = False, env: Mapping[str, str] = os.environ) -> bool:
    """The setting in force: `TIANYE_PHOTOS_WIFI_ONLY` (1/0) when set, else the stored one."""
    forced = env_flag(env, WIFI_ONLY_ENV)
    return stored if forced is None else forced


def waits_for_wifi(f: StoredFile) -> bool:
    """Whether "photos on Wi-Fi only" holds this file back on a metered network."""
    return f.kind not in WIFI_EXEMPT_KINDS


@dataclass(frozen=True)
class FilesProgress:
    files_left: int
    bytes_left: int
    files_total: int
    bytes_total: int

    @property
    def fraction(self) -> float:
        return 1.0 if self.bytes_total == 0 else 1 - self.bytes_left / self.bytes_total


@dataclass
class FilesResult:
    uploaded: int = 0
    deduplicated: int = 0
    bytes_sent: int = 0
    files_left: int = 0
    bytes_left: int = 0
    missing: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    skipped: str | None = None  # "wifi_only" (photos held back) | "offline" (cut off)
    held_for_wifi: int = 0  # photos not sent because the network is metered


@dataclass(frozen=True)
class PendingSummary:
    """The files the server does not hold yet, by what keeps them here (home, sync screen)."""

    waiting: int = 0  # will go with the next sync that can reach the server
    waiting_bytes: int = 0
    photos: int = 0  # of those, the ones "photos on Wi-Fi only" holds back
    photo_bytes: int = 0
    missing: int = 0  # gone from the phone: retake in the visit
    refused: int = 0  # the server refused the bytes (tried again next sync)

    @property
    def anything(self) -> bool:
        return bool(self.waiting or self.missing or self.refused)


def summarize(files: list[StoredFile]) -> PendingSummary:
    """Pure: a summary of pending files (load them with `files_table.pending_uploads`)."""
    waiting = [f for f in files if f.local != "missing" and not f.upload_error]
    photos = [f for f in waiting if waits_for_wifi(f)]
    return PendingSummary(
        waiting=len(waiting),
        waiting_bytes=sum(f.size - f.upload_offset for f in waiting),
        photos=len(photos),
        photo_bytes=sum(f.size - f.upload_offset for f in photos),
        missing=sum(1 for f in files if f.local == "missing"),
        refused=sum(1 for f in files if f.local != "missing" and f.upload_error),
    )


def pending_summary(db: Database) -> PendingSummary:
    return summarize(files_table.pending_uploads(db))


def left(files: list[StoredFile]) -> tuple[int, int]:
    pending = [f for f in files if f.remote == "pending" and f.local != "missing"]
    return len(pending), sum(f.size - f.upload_offset for f in pending)


def upload_pending(
    evidence: EvidenceFiles,
    tus: TusClient,
    *,
    now: Callable[[], str],
    on_progress: Callable[[FilesProgress], None] = lambda p: None,
    should_stop: Callable[[], bool] = lambda: False,
    wifi_only: bool = False,
    metered: Callable[[], bool] = lambda: False,
    sleep: Callable[[float], None] = lambda s: None,
) -> FilesResult:
    """Upload every pending file (load → per-file decide → apply, one file at a time)."""
    db = evidence.db
    result = FilesResult()
    pending = files_table.pending_uploads(db)
    if wifi_only and any(waits_for_wifi(f) for f in pending) and metered():
        held = [f for f in pending if waits_for_wifi(f) and f.local != "missing"]
        result.held_for_wifi = len(held)
        result.skipped = "wifi_only" if held else None
        # a missing photo is still reported as missing (no bytes would move anyway)
        pending = [f for f in pending if not waits_for_wifi(f) or f.local == "missing"]
    files_total, bytes_total = left(pending)
    sending = {f.sha256 for f in pending}

    def report() -> None:
        now_pending = [f for f in files_table.pending_uploads(db) if f.sha256 in sending]
        files_left, bytes_left = left(now_pending)
        on_progress(FilesProgress(files_left, bytes_left, files_total, bytes_total))

    report()
    for f in pending:
        if f.local == "missing":
            result.missing.append(f.sha256)
            continue
        try:
            data = evidence.read(f.sha256)
        except MissingFile:
            result.missing.append(f.sha256)
            continue

        def persist(offset: int, sha: str = f.sha256) -> None:
            with db.transaction() as conn:
                files_table.set_offset(conn, sha, offset, now=now())
            report()

        try:
            sent = tus.upload(
                f.sha256,
                f.mime,
                partial(bytes, data),
                known_offset=f.upload_offset,
                on_offset=persist,
                should_stop=should_stop,
                sleep=sleep,
            )
        except UploadRefused as exc:
            with db.transaction() as conn:
                files_table.mark_error(conn, f.sha256, f"{exc.status}: {exc.message}")
            result.refused.append(f.sha256)
            continue
        except Offline:
            result.skipped = "offline"  # what is left waits for the next sync
            break
        with db.transaction() as conn:
            files_table.mark_uploaded(conn, f.sha256, now=now())
        result.uploaded += 1
        result.deduplicated += int(sent.deduplicated)
        result.bytes_sent += sent.bytes_sent
        report()
    result.files_left, result.bytes_left = left(files_table.pending_uploads(db))
    return result
