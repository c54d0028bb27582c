"""The evidence files' bytes on the phone: sealed (AES-GCM, `crypto.FileCipher`) under the
app's private directory, named by hash: `<root>/files/<ab>/<sha256>` and its thumbnail
`<root>/thumbs/<ab>/<sha256>`. Writes go to a temp name, are fsynced and renamed, so a crash
leaves either the old state or the whole file. `FileVault` does the I/O; `EvidenceFiles`
ties it to the `files` table (load → pure `plan_space` → apply).
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mobile_app.evidence.crypto import FileCipher, SealedFileError
from mobile_app.evidence.eviction import DEFAULT_LIMIT_BYTES, SpacePlan, plan_space
from mobile_app.evidence.photo import PreparedImage, sha256_hex, thumbnail
from mobile_app.store import files as files_table
from mobile_app.store.database import Database
from mobile_app.store.files import StoredFile


class MissingFile(LookupError):
    """The file's bytes are not on the phone (evicted, deleted or damaged): retake it."""


class FileVault:
    def __init__(self, root: str | Path, cipher: FileCipher) -> None:
        self.root = Path(root)
        self.cipher = cipher

    def _path(self, variant: str, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError("a file is named by its lowercase hex SHA-256")
        return self.root / variant / sha256[:2] / sha256

    def _write(self, path: Path, blob: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(blob)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def put(self, image: PreparedImage) -> None:
        """Store the file and its thumbnail, sealed."""
        self._write(self._path("files", image.sha256), self.cipher.seal(image.data, image.sha256))
        thumb = thumbnail(image.data)
        self._write(self._path("thumbs", image.sha256), self.cipher.seal(thumb, "t" + image.sha256))

    def read(self, sha256: str) -> bytes:
        """The file's bytes, checked against its name; `MissingFile` when absent or damaged."""
        try:
            blob = self._path("files", sha256).read_bytes()
            data = self.cipher.open(blob, sha256)
        except (FileNotFoundError, SealedFileError) as exc:
            raise MissingFile(sha256) from exc
        if sha256_hex(data) != sha256:
            raise MissingFile(sha256)
        return data

    def put_thumb(self, sha256: str, data: bytes) -> None:
        """A thumbnail fetched from the server for a file taken on another phone."""
        self._write(self._path("thumbs", sha256), self.cipher.seal(data, "t" + sha256))

    def read_thumb(self, sha256: str) -> bytes:
        try:
            return self.cipher.open(self._path("thumbs", sha256).read_bytes(), "t" + sha256)
        except (FileNotFoundError, SealedFileError) as exc:
            raise MissingFile(sha256) from exc

    def has(self, sha256: str) -> bool:
        return self._path("files", sha256).exists()

    def drop_full(self, sha256: str) -> None:
        self._path("files", sha256).unlink(missing_ok=True)


@dataclass(frozen=True)
class Added:
    file: StoredFile
    plan: SpacePlan


class EvidenceFiles:
    """The phone's evidence files: the table (`mobile_app.store.files`) plus the sealed bytes."""

    def __init__(
        self, db: Database, root: str | Path, *, limit_bytes: int = DEFAULT_LIMIT_BYTES
    ) -> None:
        self.db = db
        self.vault = FileVault(root, FileCipher(db.key))
        self.limit_bytes = limit_bytes

    def add(self, image: PreparedImage, *, kind: str, visit_id: str | None, now: str) -> Added:
        """Store a new photo or signature: make room first (evicting only uploaded files),
        then write the sealed bytes, then the row. Returns the row and the space plan (its
        `warn` is what the form shows)."""
        plan = plan_space(
            files_table.all_files(self.db), incoming=image.size, limit=self.limit_bytes
        )
        self.apply_evictions(plan)
        self.vault.put(image)
        with self.db.transaction() as conn:
            files_table.add_file(
                conn,
                sha256=image.sha256,
                visit_id=visit_id,
                kind=kind,
                mime=image.mime,
                size=image.size,
                width=image.width,
                height=image.height,
                taken_at=image.taken_at,
                now=now,
            )
        stored = files_table.get_file(self.db, image.sha256)
        assert stored is not None
        return Added(stored, plan)

    def keep_fetched(
        self, item: dict[str, Any], data: bytes, *, visit_id: str | None, now: str
    ) -> Added:
        """A full file fetched from the server (a visit's `attachments` item and its bytes):
        checked against its name, then stored like a new file (room made first) but counted
        as on the server, so it is evicted again when space runs low."""
        sha256 = str(item.get("sha256"))
        if sha256_hex(data) != sha256:
            raise MissingFile(sha256)  # the bytes are not the file the visit names
        files = files_table.all_files(self.db)
        plan = plan_space(files, incoming=len(data), limit=self.limit_bytes)
        self.apply_evictions(plan)
        mime = str(item.get("mime") or "image/jpeg")
        width, height = item.get("width"), item.get("height")
        image = PreparedImage(
            data=data,
            mime=mime,
            width=int(width) if isinstance(width, int) else 0,
            height=int(height) if isinstance(height, int) else 0,
            sha256=sha256,
            taken_at=item.get("taken_at"),
        )
        self.vault.put(image)
        with self.db.transaction() as conn:
            files_table.add_fetched(
                conn,
                sha256=sha256,
                visit_id=visit_id,
                kind=str(item.get("kind") or "document"),
                mime=mime,
                size=len(data),
                width=width if isinstance(width, int) else None,
                height=height if isinstance(height, int) else None,
                taken_at=item.get("taken_at") if isinstance(item.get("taken_at"), str) else None,
                now=now,
            )
        stored = files_table.get_file(self.db, sha256)
        assert stored is not None
        return Added(stored, plan)

    def read_full(self, sha256: str, *, now: str) -> bytes:
        """The full bytes for viewing: read, and marked recently used (evicted last)."""
        data = self.read(sha256)
        with self.db.transaction() as conn:
            files_table.touch(conn, sha256, now=now)
        return data

    def apply_evictions(self, plan: SpacePlan) -> None:
        if not plan.evict:
            return
        with self.db.transaction() as conn:
            files_table.mark_local(conn, list(plan.evict), "thumb")
        for sha in plan.evict:  # after the commit: a crash leaves a file marked evicted, no loss
            current = files_table.get_file(self.db, sha)
            if current is not None and current.local == "thumb":
                self.vault.drop_full(sha)

    def read(self, sha256: str) -> bytes:
        """The full bytes; a file found gone is marked `missing` (then shown, retakable)."""
        try:
            return self.vault.read(sha256)
        except MissingFile:
            row = files_table.get_file(self.db, sha256)
            if row is not None and row.local == "full":
                with self.db.transaction() as conn:
                    files_table.mark_local(conn, [sha256], "missing")
            raise

    def space(self) -> SpacePlan:
        return plan_space(files_table.all_files(self.db), limit=self.limit_bytes)
