"""SQLCipher for the phone's store: the driver, keyed connections, and encrypting an old file.

The whole file is encrypted (pages, WAL, indexes), so every query works unchanged. The key is
a raw 256-bit key (`PRAGMA key = "x'…'"`): no SQLCipher KDF runs at each open, because the
key already came out of the key file's scrypt + AES-GCM unwrapping (`keyfile.py`).

`encrypt_plaintext` turns a store of the previous app version into an encrypted one with
`sqlcipher_export`: checkpoint the plaintext WAL into the file, export into a temp file
attached with the key, verify row counts and integrity, fsync, atomically rename over the old
file. A crash at any point leaves the old plaintext file or the new encrypted one, never a mix.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path
from types import ModuleType
from typing import Any

from mobile_app.store import crashpoints
from mobile_app.store.keyfile import fsync_dir

PLAINTEXT_HEADER = b"SQLite format 3\x00"
SIDE_SUFFIXES = ("-wal", "-shm", "-journal")
TEMP_SUFFIX = ".encrypting"


class CipherUnavailable(RuntimeError):
    """The sqlcipher3 driver cannot be imported: the app must not open its data unencrypted."""


class WrongKey(Exception):
    """The key does not open the file (or the file is not a database)."""


def driver() -> ModuleType:
    """The `sqlcipher3.dbapi2` module; `CipherUnavailable` when it is not installed."""
    try:
        from sqlcipher3 import dbapi2
    except ImportError as exc:
        raise CipherUnavailable(f"SQLCipher (sqlcipher3) is not available: {exc}") from exc
    return dbapi2


def available() -> bool:
    """Whether SQLCipher can be used on this device."""
    try:
        driver()
    except CipherUnavailable:
        return False
    return True


def key_pragma(key: bytes) -> str:
    """The PRAGMA that opens the file with a raw 256-bit key."""
    return f"PRAGMA key = \"x'{bytes(key).hex()}'\""


def connect(path: str | Path, key: bytes, **kwargs: Any) -> sqlite3.Connection:
    """A SQLCipher connection with `key` applied and checked (`WrongKey` when it does not fit).

    `sqlcipher3.dbapi2.Connection` has no type stubs; it has `sqlite3.Connection`'s API, which
    is the type the store names it by (`database.Connection`)."""
    conn: sqlite3.Connection = driver().connect(str(path), **kwargs)
    conn.execute(key_pragma(key))
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except driver().DatabaseError as exc:
        conn.close()
        raise WrongKey(str(exc)) from exc
    return conn


def is_plaintext(path: str | Path) -> bool:
    """Whether `path` is an ordinary (unencrypted) SQLite file."""
    try:
        with open(path, "rb") as fh:
            return fh.read(16) == PLAINTEXT_HEADER
    except FileNotFoundError:
        return False


def side_files(path: Path) -> list[Path]:
    return [path.with_name(path.name + suffix) for suffix in SIDE_SUFFIXES]


def remove_files(*paths: Path) -> None:
    for p in paths:
        with contextlib.suppress(FileNotFoundError):
            p.unlink()


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _counts(conn: sqlite3.Connection, schema: str = "main") -> dict[str, int]:
    tables = [
        row[0]
        for row in conn.execute(
            f"SELECT name FROM {schema}.sqlite_master WHERE type='table'"
            " AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ]
    return {t: conn.execute(f'SELECT count(*) FROM {schema}."{t}"').fetchone()[0] for t in tables}


def encrypt_plaintext(path: str | Path, key: bytes) -> dict[str, int]:
    """Encrypt the plaintext store at `path` in place with `key`; the row counts copied.

    The caller has already saved the key (wrapped) in the key file: once the rename happens,
    the key is the only way in.
    """
    path = Path(path)
    temp = path.with_name(path.name + TEMP_SUFFIX)
    remove_files(temp, *side_files(temp))  # a leftover of an interrupted earlier attempt
    sc = driver()
    # 1. Fold the plaintext WAL into the main file and leave rollback-journal mode, so the
    #    plaintext store is one self-contained file and no plaintext -wal can outlive it.
    plain = sc.connect(str(path), isolation_level=None)
    try:
        plain.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        plain.execute("PRAGMA journal_mode=DELETE")
        crashpoints.reach("encrypt.checkpointed")
        # 2. Export everything into a keyed temp file.
        plain.execute(f"ATTACH DATABASE ? AS encrypted KEY \"x'{bytes(key).hex()}'\"", (str(temp),))
        plain.execute("SELECT sqlcipher_export('encrypted')")
        version = plain.execute("PRAGMA main.user_version").fetchone()[0]
        plain.execute(f"PRAGMA encrypted.user_version = {int(version)}")
        plain.execute("DETACH DATABASE encrypted")
        expected = _counts(plain)
    finally:
        plain.close()
    remove_files(*side_files(path))
    crashpoints.reach("encrypt.exported")
    # 3. Verify the copy with the key alone, then make it durable.
    check = connect(temp, key)
    try:
        got = _counts(check)
        integrity = check.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        check.close()
    if got != expected or integrity != "ok":
        remove_files(temp, *side_files(temp))
        raise RuntimeError(f"encrypted copy differs: {got} != {expected} ({integrity})")
    _fsync_file(temp)
    crashpoints.reach("encrypt.verified")
    # 4. Swap: one rename replaces the plaintext file; the old blocks are freed, not wiped.
    os.replace(temp, path)
    fsync_dir(path.parent)
    crashpoints.reach("encrypt.swapped")
    remove_files(*side_files(temp))
    return expected
