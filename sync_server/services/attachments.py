"""Attachment uploads (tus 1.0.0 core + creation + termination) and scoped reads.

The one writer of the `attachments` table. Bytes never sit whole in memory: a PATCH body is
read in 64 KiB pieces into a local temp file, stored as a staging piece keyed by its start
offset, and only then counted in `upload_offset` (a dropped connection keeps what arrived).
At the last byte the pieces are joined into one temp file while hashing; the SHA-256 and the
image type (Pillow, with its decompression-bomb limit) are checked, the thumbnail is made
once, and the file becomes `complete`. A mismatch discards the pieces and puts the offset
back at 0 (a 422). Decisions where PROTOCOL.md is silent: docs/attachments.md.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

from sqlalchemy import String, cast, delete, select

from shared_schema.schemas.visit import ATTACHMENT_MIMES
from sync_server.errors import ServiceError
from sync_server.extensions import Database
from sync_server.models import Attachment, Record
from sync_server.models.attachments import COMPLETE, UPLOADING
from sync_server.services.principal import ADMIN, Principal, scope_grid_query
from sync_server.storage import CHUNK, Storage

THUMB_SIDE = 320
UPLOAD_TTL = timedelta(days=7)
EXPIRY_EVERY = timedelta(hours=1)
_last_expiry: dict[str, datetime] = {}
"""When this process last expired uploads (the periodic job rides on upload traffic)."""
PIL_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
SHA256_HEX = frozenset("0123456789abcdef")
log = logging.getLogger("tianye.attachments")


@dataclass(frozen=True)
class UploadState:
    """What HEAD, POST and PATCH answer: how much of the file the server holds."""

    sha256: str
    offset: int
    length: int
    complete: bool


@dataclass(frozen=True)
class StoredFile:
    """A complete file a caller may read."""

    sha256: str
    mime: str
    length: int
    key: str


def file_key(sha256: str) -> str:
    return f"files/{sha256[:2]}/{sha256}"


def thumb_key(sha256: str) -> str:
    return f"thumbs/{sha256[:2]}/{sha256}.jpg"


def staging_prefix(sha256: str) -> str:
    return f"staging/{sha256}/"


def staging_key(sha256: str, offset: int) -> str:
    return f"{staging_prefix(sha256)}{offset:012d}"


def is_sha256(value: str) -> bool:
    return len(value) == 64 and set(value) <= SHA256_HEX


def _state(row: Attachment) -> UploadState:
    return UploadState(row.sha256, row.upload_offset, row.length, row.state == COMPLETE)


# --- creation, state, termination ----------------------------------------------------------


def check_creation(sha256: str, mime: str, length: int | None, max_size: int) -> None:
    """The POST's declared file, before anything is written (pure)."""
    errors: dict[str, list[str]] = {}
    if not is_sha256(sha256):
        errors["sha256"] = ["attachment_bad_sha256"]
    if mime not in ATTACHMENT_MIMES:
        errors["mime"] = ["attachment_bad_mime"]
    if length is None or length < 1:
        errors["Upload-Length"] = ["attachment_bad_length"]
    if errors:
        raise ServiceError(400, "attachment_bad_creation", errors)
    if length is not None and length > max_size:
        raise ServiceError(413, "attachment_too_large", limit=max_size)


def create_upload(
    db: Database,
    storage: Storage,
    principal: Principal,
    *,
    sha256: str,
    mime: str,
    length: int | None,
    max_size: int,
    now: datetime,
) -> UploadState:
    """POST: a new upload, or the state of the one the server already has (dedupe)."""
    check_creation(sha256, mime, length, max_size)
    assert length is not None
    with db.write() as s:
        row = s.get(Attachment, sha256, with_for_update=True)
        if row is not None and row.state == COMPLETE:
            return _state(row)  # dedupe: nothing is sent twice
        if row is not None and (row.length != length or row.mime != mime):
            # a different declaration of the same name: the bytes so far cannot be reused
            _drop_staging(storage, sha256)
            row.length, row.mime, row.upload_offset = length, mime, 0
        if row is None:
            row = Attachment(
                sha256=sha256,
                mime=mime,
                length=length,
                upload_offset=0,
                state=UPLOADING,
                created_at=now,
            )
            s.add(row)
        # another user's unfinished upload of the same bytes is taken over: the hash check at
        # the last byte keeps it honest, and the offset check keeps the pieces in order
        row.uploader_id = principal.user_id
        row.updated_at = now
        s.flush()
        state = _state(row)
    if state.offset == state.length:
        return finish_upload(db, storage, sha256, now=now)
    return state


def _own_upload(row: Attachment | None, principal: Principal) -> Attachment:
    if row is None or (row.state == UPLOADING and row.uploader_id != principal.user_id):
        raise ServiceError(404, "not_found")
    return row


def upload_state(db: Database, principal: Principal, sha256: str) -> UploadState:
    """HEAD: the offset of the caller's upload; a complete file's length to anyone who names
    it by its full hash (creation reveals as much; its bytes stay scoped)."""
    if not is_sha256(sha256):
        raise ServiceError(404, "not_found")
    with db.read() as s:
        return _state(_own_upload(s.get(Attachment, sha256), principal))


def terminate_upload(db: Database, storage: Storage, principal: Principal, sha256: str) -> None:
    """DELETE: drop an unfinished upload of the caller's (a complete file stays)."""
    if not is_sha256(sha256):
        raise ServiceError(404, "not_found")
    with db.write() as s:
        row = _own_upload(s.get(Attachment, sha256, with_for_update=True), principal)
        if row.state == COMPLETE:
            raise ServiceError(403, "attachment_complete")
        s.delete(row)
    _drop_staging(storage, sha256)


def _drop_staging(storage: Storage, sha256: str) -> None:
    for key in storage.keys(staging_prefix(sha256)):
        storage.delete(key)


# --- PATCH ---------------------------------------------------------------------------------


def receive_body(
    stream: IO[bytes], limit: int, spool_dir: str | None
) -> tuple[Path, int, bool, bool]:
    """Read a request body into a temp file, at most `limit` + 1 bytes.

    Returns (path, bytes read, too_long, disconnected): a client that drops the connection
    mid-body leaves what arrived, which is kept (tus: bytes received survive).
    """
    fd, name = tempfile.mkstemp(prefix="tianye-upload-", dir=spool_dir)
    received, disconnected = 0, False
    with os.fdopen(fd, "wb") as out:
        while received <= limit:
            try:
                piece = stream.read(min(CHUNK, limit + 1 - received))
            except Exception:  # ClientDisconnected, socket errors: keep what arrived
                disconnected = True
                break
            if not piece:
                break
            out.write(piece)
            received += len(piece)
    return Path(name), received, received > limit, disconnected


def append_bytes(
    db: Database,
    storage: Storage,
    principal: Principal,
    sha256: str,
    *,
    offset: int,
    content_length: int | None,
    stream: IO[bytes],
    spool_dir: str | None,
    now: datetime,
) -> UploadState:
    """PATCH: append the body at `offset` (the server's current offset, else 409)."""
    if not is_sha256(sha256):
        raise ServiceError(404, "not_found")
    with db.read() as s:
        row = _own_upload(s.get(Attachment, sha256), principal)
        state = _state(row)
    if state.complete:
        # a stock client that PATCHes a file the server already holds (dedupe) learns it is
        # done; its body is not read
        return state
    if offset != state.offset:
        raise ServiceError(
            409,
            "attachment_offset",
            headers={"Upload-Offset": str(state.offset)},
            offset=state.offset,
        )
    room = state.length - state.offset
    if content_length is not None and content_length > room:
        raise ServiceError(413, "attachment_beyond_length", limit=state.length)
    path, received, too_long, _disconnected = receive_body(stream, room, spool_dir)
    try:
        if too_long:
            raise ServiceError(413, "attachment_beyond_length", limit=state.length)
        if received:
            state = _commit_piece(db, storage, principal, sha256, offset, path, received, now)
    finally:
        path.unlink(missing_ok=True)
    if state.offset == state.length and not state.complete:
        return finish_upload(db, storage, sha256, now=now)
    return state


def _commit_piece(
    db: Database,
    storage: Storage,
    principal: Principal,
    sha256: str,
    offset: int,
    path: Path,
    received: int,
    now: datetime,
) -> UploadState:
    """Store one received piece and move the offset, unless another request moved it first."""
    with db.write() as s:
        row = _own_upload(s.get(Attachment, sha256, with_for_update=True), principal)
        if row.upload_offset != offset or row.state == COMPLETE:
            raise ServiceError(
                409,
                "attachment_offset",
                headers={"Upload-Offset": str(row.upload_offset)},
                offset=row.upload_offset,
            )
        storage.put_file(staging_key(sha256, offset), path)
        row.upload_offset = offset + received
        row.updated_at = now
        return _state(row)


# --- the last byte -------------------------------------------------------------------------


@dataclass(frozen=True)
class ImageCheck:
    """What Pillow found in a file (pure data; `problem` is a message key or None)."""

    problem: str | None
    width: int | None = None
    height: int | None = None


def inspect_image(path: Path, mime: str, thumb_path: Path) -> ImageCheck:
    """Open the file with Pillow (its decompression-bomb limit applies), check it is an image
    of the declared type, decode it whole, and write the thumbnail (≤ 320 px, JPEG)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as img:
                if img.format != PIL_FORMATS.get(mime):
                    return ImageCheck("attachment_wrong_type")
                width, height = img.size
                img.draft("RGB", (THUMB_SIDE, THUMB_SIDE))  # JPEG: decode at a fraction
                img.load()
                thumb = img.convert("RGBA") if img.mode in ("P", "LA", "PA") else img
                if thumb.mode == "RGBA":  # signatures: transparent ink on white paper
                    paper = Image.new("RGB", thumb.size, "white")
                    paper.paste(thumb, mask=thumb.getchannel("A"))
                    thumb = paper
                thumb = thumb.convert("RGB")
                thumb.thumbnail((THUMB_SIDE, THUMB_SIDE))
                thumb.save(thumb_path, "JPEG", quality=80)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return ImageCheck("attachment_too_many_pixels")
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return ImageCheck("attachment_not_an_image")
    return ImageCheck(None, width, height)


def finish_upload(db: Database, storage: Storage, sha256: str, *, now: datetime) -> UploadState:
    """Join the pieces, check hash and image, store file and thumbnail; or discard all (422)."""
    with db.read() as s:
        row = s.get(Attachment, sha256)
        if row is None:
            raise ServiceError(404, "not_found")
        if row.state == COMPLETE:
            return _state(row)
        mime, length = row.mime, row.length
    work = Path(tempfile.mkdtemp(prefix="tianye-finish-"))
    try:
        joined, thumb = work / "file", work / "thumb.jpg"
        digest = hashlib.sha256()
        size = 0
        with open(joined, "wb") as out:
            for key in storage.keys(staging_prefix(sha256)):
                for piece in storage.iter_bytes(key):
                    digest.update(piece)
                    out.write(piece)
                    size += len(piece)
        problem: str | None = None
        check = ImageCheck(None)
        if size != length or digest.hexdigest() != sha256:
            problem = "attachment_hash_mismatch"
        else:
            check = inspect_image(joined, mime, thumb)
            problem = check.problem
        if problem is not None:
            _reset(db, storage, sha256, now)
            raise ServiceError(422, "attachment_rejected", {"file": [problem]})
        storage.put_file(file_key(sha256), joined)
        storage.put_file(thumb_key(sha256), thumb)
    finally:
        for leftover in work.iterdir():
            leftover.unlink()
        work.rmdir()
    with db.write() as s:
        row = s.get(Attachment, sha256, with_for_update=True)
        if row is None:  # terminated meanwhile: keep nothing
            storage.delete(file_key(sha256))
            storage.delete(thumb_key(sha256))
            raise ServiceError(404, "not_found")
        row.state = COMPLETE
        row.upload_offset = row.length
        row.storage_key, row.thumb_key = file_key(sha256), thumb_key(sha256)
        row.width, row.height = check.width, check.height
        row.completed_at = row.updated_at = now
        state = _state(row)
    _drop_staging(storage, sha256)
    return state


def _reset(db: Database, storage: Storage, sha256: str, now: datetime) -> None:
    """A file that failed its checks: its pieces are gone and the offset is back at 0."""
    _drop_staging(storage, sha256)
    with db.write() as s:
        row = s.get(Attachment, sha256, with_for_update=True)
        if row is not None and row.state == UPLOADING:
            row.upload_offset = 0
            row.updated_at = now


# --- reads ---------------------------------------------------------------------------------


def referring_visits(session: Any, principal: Principal | None, sha256: str) -> list[Record]:
    """Live visits in the caller's scope (all, for None) whose `attachments` name the file."""
    query = select(Record).where(
        Record.entity == "visit",
        Record.deleted.is_(False),
        cast(Record.data, String).contains(sha256),  # prefilter; checked exactly below
    )
    if principal is not None:
        sub = scope_grid_query(principal)
        if sub is not None:
            query = query.where(Record.grid_id.in_(sub.scalar_subquery()))
    return [
        rec
        for rec in session.scalars(query)
        if any(
            isinstance(a, dict) and a.get("sha256") == sha256
            for a in (rec.data.get("attachments") or ())
        )
    ]


def readable_file(db: Database, principal: Principal, sha256: str) -> StoredFile:
    """A complete file the caller may read: an admin, its uploader, or anyone who may read a
    visit referring to it. Anyone else gets the same 404 as for a file that does not exist."""
    if not is_sha256(sha256):
        raise ServiceError(404, "not_found")
    with db.read() as s:
        row = s.get(Attachment, sha256)
        if row is None or row.state != COMPLETE or row.storage_key is None:
            raise ServiceError(404, "not_found")
        allowed = (
            principal.role == ADMIN
            or row.uploader_id == principal.user_id
            or bool(referring_visits(s, principal, sha256))
        )
        if not allowed:
            raise ServiceError(404, "not_found")
        return StoredFile(row.sha256, row.mime, row.length, row.storage_key)


def file_status(db: Database, hashes: list[str]) -> dict[str, str]:
    """sha256 → `complete` / `uploading` for the hashes the server knows (console evidence)."""
    with db.read() as s:
        return file_states_in(s, hashes)


def file_states_in(session: Any, hashes: list[str]) -> dict[str, str]:
    """`file_status` inside an open session (exports), 500 hashes per query."""
    wanted = sorted({h for h in hashes if isinstance(h, str) and is_sha256(h)})
    found: dict[str, str] = {}
    for start in range(0, len(wanted), 500):
        batch = wanted[start : start + 500]
        for sha, state in session.execute(
            select(Attachment.sha256, Attachment.state).where(Attachment.sha256.in_(batch))
        ):
            found[sha] = state
    return found


def stream_file(storage: Storage, key: str) -> Iterator[bytes]:
    """The stored bytes, piece by piece (for a streamed response)."""
    return storage.iter_bytes(key)


# --- housekeeping --------------------------------------------------------------------------


def maybe_expire_uploads(db: Database, storage: Storage, *, now: datetime) -> None:
    """The periodic job: at most once an hour per server process, on an upload request
    (idempotent, so several processes or hosts running it do no harm)."""
    last = _last_expiry.get("at")
    if last is not None and now - last < EXPIRY_EVERY:
        return
    _last_expiry["at"] = now
    try:
        expire_uploads(db, storage, now=now)
    except Exception:  # housekeeping never fails an upload
        log.exception("expiring unfinished uploads failed")


def expire_uploads(
    db: Database, storage: Storage, *, now: datetime, ttl: timedelta = UPLOAD_TTL
) -> list[str]:
    """Drop unfinished uploads untouched for `ttl` (7 days): rows and staging pieces."""
    cutoff = now - ttl
    with db.write() as s:
        stale = list(
            s.scalars(
                select(Attachment.sha256).where(
                    Attachment.state == UPLOADING, Attachment.updated_at < cutoff
                )
            )
        )
        if stale:
            s.execute(delete(Attachment).where(Attachment.sha256.in_(stale)))
    for sha in stale:
        _drop_staging(storage, sha)
    # staging pieces without a row (a crash between storing a piece and its commit); keys are
    # listed before the rows are read, so a piece stored meanwhile is never taken for one
    pieces = storage.keys("staging/")
    with db.read() as s:
        live = set(s.scalars(select(Attachment.sha256).where(Attachment.state == UPLOADING)))
    for key in pieces:
        sha = key.split("/")[1]
        if sha not in live:
            with contextlib.suppress(Exception):
                storage.delete(key)
    return stale
