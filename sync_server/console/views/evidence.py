"""Evidence in the console: a visit's files (thumbnail / full size, scoped like the API) and a
streamed zip of one grid's photos for a month (`/console/exports/photos.zip`)."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from typing import Any

from flask import Response, abort, request, stream_with_context
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from sync_server.api.attachments import file_response
from sync_server.console.blueprint import bp, now, principal
from sync_server.console.evidence import attachments_of
from sync_server.console.scope import grids_in_scope
from sync_server.extensions import current_db, current_storage
from sync_server.models import Attachment, Record
from sync_server.services.attachments import is_sha256

EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


@bp.route("/attachments/<sha256>")
def attachment_file(sha256: str) -> ResponseReturnValue:
    """A file (or `?variant=thumb`) for whoever may read a visit referring to it."""
    return file_response(principal(), sha256, request.args.get("variant"))


class _Pipe:
    """A write-only file object whose written bytes a generator hands on (zip streaming)."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.offset = 0

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        self.offset += len(data)
        return len(data)

    def tell(self) -> int:
        return self.offset

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def take(self) -> bytes:
        out, self.parts = b"".join(self.parts), []
        return out


def month_files(grid_id: str, month: str) -> list[tuple[str, str, str, str]]:
    """(zip name, sha256, storage key, mime) of the grid's complete files of visits in `month`."""
    db = current_db()
    wanted: dict[str, str] = {}
    with db.read() as s:
        visits = s.scalars(
            select(Record).where(
                Record.entity == "visit",
                Record.deleted.is_(False),
                Record.grid_id == grid_id,
            )
        )
        for rec in visits:
            day = str(rec.data.get("visit_date") or "")
            if not day.startswith(month):
                continue
            for a in attachments_of(rec.data):
                if is_sha256(a["sha256"]):
                    wanted.setdefault(a["sha256"], f"{day}_{rec.id[:8]}_{a.get('kind') or 'file'}")
        rows = (
            list(s.scalars(select(Attachment).where(Attachment.sha256.in_(sorted(wanted)))))
            if wanted
            else []
        )
    files = []
    for row in rows:
        if row.state != "complete" or row.storage_key is None:
            continue
        name = f"{wanted[row.sha256]}_{row.sha256[:12]}.{EXTENSIONS.get(row.mime, 'bin')}"
        files.append((name, row.sha256, row.storage_key, row.mime))
    return sorted(files)


def stream_zip(files: list[tuple[str, str, str, str]], storage: Any) -> Iterator[bytes]:
    """A zip written piece by piece (photos are stored, not recompressed)."""
    pipe = _Pipe()
    with zipfile.ZipFile(pipe, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, _sha, key, _mime in files:
            with archive.open(name, "w", force_zip64=True) as entry:
                for piece in storage.iter_bytes(key):
                    entry.write(piece)
                    yield pipe.take()
            yield pipe.take()
    yield pipe.take()


@bp.route("/exports/photos.zip")
def photos_zip() -> ResponseReturnValue:
    grid = request.args.get("grid", "")
    month = request.args.get("month", "")
    if len(month) != 7 or month[4] != "-" or not (month[:4] + month[5:]).isdigit():
        abort(400)
    with current_db().read() as s:
        allowed = {g.id for g in grids_in_scope(s, principal())}
    if grid not in allowed:
        abort(403 if grid else 400)
    files = month_files(grid, month)
    body = stream_zip(files, current_storage())
    response = Response(stream_with_context(body), mimetype="application/zip")
    safe = "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "_" for c in grid)
    filename = f"tianye-photos-{safe}-{month}-{now():%Y%m%d}.zip"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response
