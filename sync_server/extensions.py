"""The database owner: one SQLAlchemy 2 engine and its sessionmaker per app (no flask-sqlalchemy).

SQLite connections get WAL, foreign keys and a busy timeout on connect, and write transactions
start with `BEGIN IMMEDIATE` so two writers never deadlock upgrading a read lock (the single
SQLite writer is what keeps versions in commit order there). Services receive the `Database`
as a plain argument and own their transactions through `read()` and `write()`.

A SQLite database file is private to the server's user: a missing folder is made 0700, a new
file 0600 before SQLite opens it (SQLite gives its `-wal`/`-shm` files the database file's
mode), and an existing file readable by others is narrowed to 0600 with a warning.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from sync_server.services.login_throttle import LoginPolicy, LoginThrottle

EXTENSION_KEY = "tianye_db"
log = logging.getLogger("tianye.db")
STORAGE_KEY = "tianye_storage"


class Database:
    """Owns the engine; `write()` is a transaction that may change data."""

    def __init__(self, url: str | None = None) -> None:
        self.engine: Engine | None = None
        self._sessions: sessionmaker[Session] | None = None
        self._write_sessions: sessionmaker[Session] | None = None
        self._snapshot_sessions: sessionmaker[Session] | None = None
        if url is not None:
            self.connect(url)

    @property
    def is_sqlite(self) -> bool:
        return self.engine is not None and self.engine.dialect.name == "sqlite"

    def connect(self, url: str) -> None:
        """Create the engine for `url`."""
        # hide_parameters: database errors end up in logs, and parameters hold ID numbers.
        kwargs: dict[str, Any] = {"future": True, "hide_parameters": True}
        if url.startswith("sqlite"):
            kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
            prepare_sqlite_file(url)
        else:
            kwargs.update(pool_pre_ping=True, pool_size=5, max_overflow=10)
        engine = create_engine(url, **kwargs)
        if engine.dialect.name == "sqlite":
            _configure_sqlite(engine)
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._write_sessions = sessionmaker(
            engine.execution_options(sqlite_begin="IMMEDIATE"), expire_on_commit=False
        )
        snapshot = engine
        if engine.dialect.name == "postgresql":
            snapshot = engine.execution_options(isolation_level="REPEATABLE READ")
        self._snapshot_sessions = sessionmaker(snapshot, expire_on_commit=False)

    def init_app(self, app: Flask) -> None:
        """Bind to `app`: engine from `DATABASE_URL`, disposed of with the app."""
        self.connect(app.config["DATABASE_URL"])
        app.extensions[EXTENSION_KEY] = self

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only unit of work (closed at the end; loaded rows stay readable)."""
        assert self._sessions is not None, "Database not connected"
        with self._sessions() as session:
            yield session

    @contextmanager
    def read_snapshot(self) -> Iterator[Session]:
        """A read-only unit of work that sees one snapshot across statements.

        REPEATABLE READ on PostgreSQL (READ COMMITTED would give each statement its own view,
        and a pull that joins two queries could then skip a version); SQLite's deferred read
        transaction already reads one snapshot.
        """
        assert self._snapshot_sessions is not None, "Database not connected"
        with self._snapshot_sessions() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A transaction committed on success and rolled back on any error."""
        assert self._write_sessions is not None, "Database not connected"
        with self._write_sessions() as session, session.begin():
            yield session

    def dispose(self) -> None:
        if self.engine is not None:
            self.engine.dispose()


def prepare_sqlite_file(url: str) -> None:
    """Make the database file of a SQLite `url` private (see the module docstring)."""
    name = make_url(url).database
    if not name or name == ":memory:" or name.startswith("file:"):
        return
    path = Path(name)
    make_private_dirs(path.parent)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            log.warning("database file %s was mode %o: narrowed to 600", path, mode)
            for suffix in ("", "-wal", "-shm", "-journal"):
                candidate = Path(f"{path}{suffix}")
                if candidate.exists():
                    candidate.chmod(0o600)
    else:
        os.close(fd)


def make_private_dirs(folder: Path) -> None:
    """Create `folder` and its missing parents with mode 0700 (existing ones are left alone)."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for part in reversed(missing):
        part.mkdir(mode=0o700, exist_ok=True)
        part.chmod(0o700)  # mkdir's mode is filtered by the umask


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


THROTTLE_KEY = "tianye_throttle"


def init_rate_limits(app: Flask) -> None:
    """Flask-Limiter on `app`: Redis storage when `REDIS_URL` is set, else memory; and the
    sign-in throttle on top of its strategy (`sync_server.services.login_throttle`)."""
    from flask_limiter import Limiter
    from flask_limiter.util import get_remote_address

    config = app.config
    uri = config.get("RATELIMIT_STORAGE_URI") or config.get("REDIS_URL") or "memory://"
    config["RATELIMIT_STORAGE_URI"] = uri
    config.setdefault("RATELIMIT_KEY_PREFIX", config.get("RATE_LIMIT_KEY_PREFIX") or "tianye")
    limiter = Limiter(
        get_remote_address,
        app=app,
        storage_uri=uri,
        strategy="moving-window",
        key_prefix=config["RATELIMIT_KEY_PREFIX"],
    )
    app.extensions[THROTTLE_KEY] = LoginThrottle(limiter.limiter, config["RATELIMIT_KEY_PREFIX"])


def current_throttle() -> LoginThrottle:
    """The current app's sign-in throttle."""
    throttle: LoginThrottle = current_app.extensions[THROTTLE_KEY]
    return throttle


def login_policy() -> LoginPolicy:
    """The sign-in limits of the current app's configuration (read per request)."""
    shared = not str(current_app.config["RATELIMIT_STORAGE_URI"]).startswith("memory")
    return LoginPolicy.from_config(current_app.config, shared_storage=shared)


def current_db() -> Database:
    """The current app's database."""
    db: Database = current_app.extensions[EXTENSION_KEY]
    return db


def init_storage(app: Flask) -> None:
    """The attachment storage of `app` (sync_server.storage) and Pillow's pixel limit."""
    from PIL import Image

    from sync_server.storage import storage_from_config

    Image.MAX_IMAGE_PIXELS = app.config["ATTACHMENT_MAX_PIXELS"]
    app.extensions[STORAGE_KEY] = storage_from_config(app.config)


def current_storage() -> Any:
    """The current app's attachment storage (a `sync_server.storage.Storage`)."""
    return current_app.extensions[STORAGE_KEY]
