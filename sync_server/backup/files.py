"""Backups of attachment files: complete files (and thumbnails) copied out of the storage into
a directory, and back. Files are immutable and named by their hash, so a backup into the same
directory only copies what is new, and a restore never overwrites a different file."""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sync_server.backup import BackupError
from sync_server.storage import Storage

PREFIXES = ("files/", "thumbs/")


@dataclass(frozen=True)
class FilesReport:
    copied: int
    skipped: int
    bytes: int


def backup_files(storage: Storage, output: Path) -> FilesReport:
    """Copy every complete file and thumbnail into `output` (kept between runs)."""
    copied = skipped = total = 0
    output.mkdir(parents=True, exist_ok=True, mode=0o700)
    for prefix in PREFIXES:
        for key in storage.keys(prefix):
            target = output / key
            if target.exists() and target.stat().st_size == storage.size(key):
                skipped += 1
                continue
            target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".part-")
            with os.fdopen(fd, "wb") as out:
                for piece in storage.iter_bytes(key):
                    out.write(piece)
                    total += len(piece)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, target)
            copied += 1
    return FilesReport(copied, skipped, total)


def restore_files(storage: Storage, source: Path) -> FilesReport:
    """Put the files of a backup directory back into the storage, checking each hash."""
    if not (source / "files").is_dir():
        raise BackupError(f"{source} holds no files/ folder: not a files backup")
    copied = skipped = total = 0
    for prefix in PREFIXES:
        for path in sorted((source / prefix).rglob("*")):
            if not path.is_file() or path.name.startswith(".part-"):
                continue
            key = path.relative_to(source).as_posix()
            if prefix == "files/":
                digest = hashlib.sha256()
                with path.open("rb") as handle:
                    while piece := handle.read(1 << 16):
                        digest.update(piece)
                if digest.hexdigest() != path.name:
                    raise BackupError(f"{key}: the bytes do not match the name")
            if storage.size(key) == path.stat().st_size:
                skipped += 1
                continue
            storage.put_file(key, path)
            copied += 1
            total += path.stat().st_size
    return FilesReport(copied, skipped, total)
