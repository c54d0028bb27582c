"""The one owner of the phone's SQLite file: connections, PRAGMAs, migrations, transactions.

Durability decision: WAL journal with ``synchronous=FULL``. In WAL mode ``NORMAL`` survives an
app crash but may lose the last commits on power loss; cheap phones lose power often (battery
pulled, dies in the field) and a worker's saved form is the one thing we cannot recreate, so
every commit is fsynced. The cost is one fsync per user save or per pulled page, which is
negligible next to the network. Foreign keys are on, the busy timeout is 5 s.

With a `key` the file is opened through SQLCipher (`cipher.py`): the whole file, WAL included,
is encrypted and nothing else changes. Without one it is plain `sqlite3` (tests, simulation,
benchmarks); the app itself always passes a key (`vault.py`).

Every thread gets its own connection (the sync runner works in a background thread while
the UI reads and saves); SQLite's WAL lets readers run while one writer holds BEGIN IMMEDIATE.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeAlias

from mobile_app.store import cipher
from mobile_app.store.migrations import MIGRATIONS, apply_migrations

BUSY_TIMEOUT_MS = 5000
# SQLCipher decrypts and authenticates every page it reads from disk, so a page-cache miss
# costs far more than with plain SQLite (which the OS cache serves). With a cache large enough
# for a grid's store (2,000 households: ~12 MiB), list and search stay near plain speed
# (bench figures in docs/security.md). Only pages actually read are allocated.
ENCRYPTED_CACHE_KIB = 32768

Connection: TypeAlias = sqlite3.Connection
"""What every store function takes: this thread's connection inside `Database.transaction()`.

A SQLCipher connection (`sqlcipher3.dbapi2.Connection`) has exactly this API; the store only
ever gets one from `Database`, so one type names both."""
Row: TypeAlias = sqlite3.Row
Params: TypeAlias = Sequence[Any] | Mapping[str, Any]


class Database:
    """One SQLite file with its schema kept current by the migrations registry."""

    def __init__(
        self, path: str | Path, *, synchronous: str = "FULL", key: bytes | None = None
    ) -> None:
        self.path = Path(path)
        self.synchronous = synchronous
        self._key = bytes(key) if key is not None else None
        self._local = threading.local()
        self._all: list[Connection] = []
        self._lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.transaction() as conn:
            apply_migrations(conn, MIGRATIONS)

    # -- connections -------------------------------------------------------------------------
    def _open(self) -> Connection:
        conn: Connection
        if self._key is None:
            conn = sqlite3.connect(
                self.path,
                timeout=BUSY_TIMEOUT_MS / 1000,
                isolation_level=None,
                check_same_thread=False,
            )
            conn.row_factory = sqlite3.Row
        else:
            conn = cipher.connect(
                self.path,
                self._key,
                timeout=BUSY_TIMEOUT_MS / 1000,
                isolation_level=None,
                check_same_thread=False,
            )
            conn.row_factory = cipher.driver().Row
            conn.execute(f"PRAGMA cache_size=-{ENCRYPTED_CACHE_KIB}")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={self.synchronous}")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        with self._lock:
            self._all.append(conn)
        return conn

    @property
    def encrypted(self) -> bool:
        """Whether the file is opened through SQLCipher."""
        return self._key is not None

    @property
    def conn(self) -> Connection:
        """This thread's connection (autocommit mode; write through `transaction()`)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._open()
            self._local.conn = conn
            self._local.depth = 0
        return conn

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """BEGIN IMMEDIATE ... COMMIT (ROLLBACK on any error); nested calls join the outer one."""
        conn = self.conn
        if self._local.depth:
            self._local.depth += 1
            try:
                yield conn
            finally:
                self._local.depth -= 1
            return
        conn.execute("BEGIN IMMEDIATE")
        self._local.depth = 1
        try:
            yield conn
        except BaseException:
            self._local.depth = 0
            conn.execute("ROLLBACK")
            raise
        self._local.depth = 0
        conn.execute("COMMIT")

    @property
    def key(self) -> bytes | None:
        """The raw store key while open (None for plain SQLite); the sealed evidence files'
        key is derived from it (mobile_app/evidence/crypto.py)."""
        return self._key

    def query(self, sql: str, params: Params = ()) -> list[Row]:
        """Run a read query on this thread's connection."""
        return self.conn.execute(sql, params).fetchall()

    def query_one(self, sql: str, params: Params = ()) -> Row | None:
        """The first row of a read query, or None."""
        row: Row | None = self.conn.execute(sql, params).fetchone()
        return row

    def scalar(self, sql: str, params: Params = ()) -> Any:
        """The first column of the first row of a read query (None when there is no row)."""
        row = self.conn.execute(sql, params).fetchone()
        return None if row is None else row[0]

    def schema_version(self) -> int:
        """The number of the last applied migration."""
        row = self.query_one("SELECT max(number) AS n FROM migrations")
        return int(row["n"] or 0) if row else 0

    def close_thread_connection(self) -> None:
        """Close this thread's connection (a finished background sync thread calls this)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            return
        with self._lock:
            if conn in self._all:
                self._all.remove(conn)
        conn.close()
        self._local.conn = None
        self._local.depth = 0

    def close(self) -> None:
        """Close every connection this object opened (all threads)."""
        with self._lock:
            conns, self._all = self._all, []
        for conn in conns:
            conn.close()
        self._local = threading.local()
        self._key = None  # the bytes object itself cannot be wiped (docs/security.md)

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
