"""Whole-database backups and restores for both backends, taken while the server runs.

Decisions (docs/operations.md):
- SQLite: the online backup API (`sqlite3.Connection.backup`) copies every page inside one
  read transaction, so the copy is one consistent snapshot while gunicorn workers keep
  writing (WAL: readers never block writers). The copy is switched to `journal_mode=DELETE`
  (one self-contained file), checked with `PRAGMA integrity_check`, fsynced and renamed into
  place, so a half-written backup never carries the final name.
- PostgreSQL: `pg_dump --format=custom` (one snapshot, compressed); the dump is listed with
  `pg_restore --list` before it takes its final name. Connection settings go to the tools as
  `PG*` environment variables, never on the command line (the password would show in `ps`).
- Restore never overwrites live data by accident. SQLite restores only into a new or empty
  path (stop the server, move the old file away, restore, start). PostgreSQL restores with
  `pg_restore --clean --if-exists --no-owner --single-transaction --exit-on-error` into the
  configured database: all or nothing.
- Backups are created readable by their owner only (mode 0600): they hold every ID number.
- Both check that the input is a Tianye database (an `alembic_version` table at a revision
  this code knows) before touching anything; an older revision is restored as is and
  upgraded by `init-db`.
"""

from __future__ import annotations

import glob
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from sync_server.backup import BackupError
from sync_server.config import normalize_database_url
from sync_server.extensions import make_private_dirs

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"


@dataclass(frozen=True)
class BackupInfo:
    """What a backup or restore did: backend, file, size in bytes, schema revision."""

    backend: str
    path: Path
    size: int
    revision: str | None


def backend_of(url: str) -> str:
    """`sqlite` or `postgresql` for a database URL (anything else is refused)."""
    name = make_url(normalize_database_url(url)).get_backend_name()
    if name not in ("sqlite", "postgresql"):
        raise BackupError(f"unsupported database backend: {name}")
    return name


def known_revisions() -> set[str]:
    """Every Alembic revision of this code (a backup from a newer server is refused)."""
    from alembic.script import ScriptDirectory

    from sync_server.migrations import HERE

    scripts = ScriptDirectory(str(HERE))
    return {rev.revision for rev in scripts.walk_revisions()}


def backup(url: str, output: str | Path) -> BackupInfo:
    """Write a consistent copy of the database at `url` to `output` (which must not exist)."""
    out = Path(output)
    if out.exists():
        raise BackupError(f"{out} already exists; choose a new file name")
    out.parent.mkdir(parents=True, exist_ok=True)
    if backend_of(url) == "sqlite":
        return _backup_sqlite(_sqlite_path(url), out)
    return _backup_postgres(make_url(normalize_database_url(url)), out)


def restore(url: str, source: str | Path, *, advance_versions: int = 0) -> BackupInfo:
    """Restore the backup `source` into the database at `url` (see the module's rules).

    `advance_versions` raises the version counter after the restore, so that changes made from
    now on are numbered above any pull cursor a phone got from the lost server.
    """
    if advance_versions < 0:
        raise BackupError("--advance-versions must not be negative")
    src = Path(source)
    if not src.is_file():
        raise BackupError(f"{src} is not a file")
    with src.open("rb") as fh:
        head = fh.read(len(SQLITE_MAGIC))
    if backend_of(url) == "sqlite":
        if not head.startswith(SQLITE_MAGIC):
            raise BackupError(
                f"{src} is not a SQLite backup (a PostgreSQL dump needs a PostgreSQL URL)"
            )
        return _restore_sqlite(src, _sqlite_path(url), advance_versions)
    if not head.startswith(PGDUMP_MAGIC):
        raise BackupError(f"{src} is not a pg_dump custom-format file")
    return _restore_postgres(make_url(normalize_database_url(url)), src, advance_versions)


# --- SQLite ------------------------------------------------------------------------------


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        raise BackupError("an in-memory SQLite database cannot be backed up or restored")
    return Path(database)


def _partial(path: Path) -> Path:
    return path.with_name(f".{path.name}.partial-{os.getpid()}")


def _create_private(path: Path) -> None:
    """Create `path` empty, readable by its owner only (a backup holds every ID number)."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    _fsync(path.parent if path.parent != Path("") else Path("."))


def _check_sqlite_copy(path: Path) -> str:
    """integrity_check and the schema revision of a SQLite file (raises BackupError)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        ok = conn.execute("PRAGMA integrity_check").fetchone()
        if not ok or ok[0] != "ok":
            raise BackupError(f"{path}: integrity check failed: {ok}")
        try:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{path} is not a Tianye database (no alembic_version)") from exc
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a readable SQLite database: {exc}") from exc
    finally:
        conn.close()
    if row is None:
        raise BackupError(f"{path} is not a Tianye database (empty alembic_version)")
    revision = str(row[0])
    if revision not in known_revisions():
        raise BackupError(f"{path} is at schema revision {revision}, unknown to this server")
    return revision


def _copy_sqlite(source: sqlite3.Connection, target: Path) -> None:
    """Copy `source` page by page (one read transaction) into the new file `target`."""
    dest = sqlite3.connect(target)
    try:
        source.backup(dest)  # pages=-1: everything in one step, hence one snapshot
        dest.execute("PRAGMA journal_mode=DELETE")
        dest.commit()
    finally:
        dest.close()
    _fsync(target)


def _backup_sqlite(src: Path, out: Path) -> BackupInfo:
    if not src.is_file():
        raise BackupError(f"database file {src} does not exist")
    partial = _partial(out)
    partial.unlink(missing_ok=True)
    _create_private(partial)
    conn = sqlite3.connect(src, timeout=30)
    try:
        conn.execute("PRAGMA busy_timeout=30000")
        _copy_sqlite(conn, partial)
        revision = _check_sqlite_copy(partial)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        conn.close()
    os.replace(partial, out)
    _fsync_dir(out)
    return BackupInfo("sqlite", out, out.stat().st_size, revision)


def _restore_sqlite(src: Path, target: Path, advance: int) -> BackupInfo:
    revision = _check_sqlite_copy(src)
    for path in (target, Path(f"{target}-wal")):
        if path.exists() and path.stat().st_size > 0:
            raise BackupError(
                f"{path} exists and is not empty: stop the server and move the old database "
                "away first (restore writes only into a new or empty file)"
            )
    make_private_dirs(target.parent)
    partial = _partial(target)
    partial.unlink(missing_ok=True)
    _create_private(partial)  # the restored database is as private as the live one
    conn = sqlite3.connect(f"file:{src}?mode=ro", uri=True)
    try:
        _copy_sqlite(conn, partial)
        if advance:
            with sqlite3.connect(partial) as copy:
                copy.execute("UPDATE sync_counter SET value = value + ?", (advance,))
            copy.close()
            _fsync(partial)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        conn.close()
    for stale in (Path(f"{target}-wal"), Path(f"{target}-shm")):
        stale.unlink(missing_ok=True)
    os.replace(partial, target)
    _fsync_dir(target)
    return BackupInfo("sqlite", target, target.stat().st_size, revision)


# --- PostgreSQL --------------------------------------------------------------------------


def pg_tool(name: str) -> str:
    """The path of `pg_dump` / `pg_restore`: on PATH, else the newest /usr/lib/postgresql."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if not candidates:
        raise BackupError(f"{name} not found: install the postgresql-client package")
    return candidates[-1]


def _pg_env(url: URL) -> dict[str, str]:
    """libpq settings of `url` as PG* variables (no password on any command line)."""
    env = dict(os.environ)
    for key, value in (
        ("PGHOST", url.host),
        ("PGPORT", str(url.port) if url.port else None),
        ("PGUSER", url.username),
        ("PGPASSWORD", url.password),
        ("PGDATABASE", url.database),
    ):
        if value:
            env[key] = str(value)
    for param, var in (("sslmode", "PGSSLMODE"), ("host", "PGHOST"), ("port", "PGPORT")):
        setting = url.query.get(param)
        if isinstance(setting, str) and setting:
            env[var] = setting
    return env


def _run(argv: list[str], env: dict[str, str], what: str) -> str:
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{what} failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout


def _dump_revision(path: Path, env: dict[str, str]) -> str:
    """The schema revision stored in a custom-format dump (raises BackupError if none)."""
    listing = _run([pg_tool("pg_restore"), "--list", str(path)], env, "pg_restore --list")
    if "alembic_version" not in listing:
        raise BackupError(f"{path} is not a Tianye database dump (no alembic_version)")
    sql = _run(
        [pg_tool("pg_restore"), "--data-only", "--table=alembic_version", "--file=-", str(path)],
        env,
        "pg_restore --data-only",
    )
    lines = sql.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("COPY ") and "alembic_version" in line and i + 1 < len(lines):
            revision = lines[i + 1].strip()
            if revision and revision != "\\.":
                return revision
    raise BackupError(f"{path} is not a Tianye database dump (empty alembic_version)")


def _backup_postgres(url: URL, out: Path) -> BackupInfo:
    if not url.database:
        raise BackupError("the PostgreSQL URL names no database")
    env = _pg_env(url)
    partial = _partial(out)
    partial.unlink(missing_ok=True)
    _create_private(partial)
    try:
        _run(
            [pg_tool("pg_dump"), "--format=custom", "--no-password", f"--file={partial}"],
            env,
            "pg_dump",
        )
        revision = _dump_revision(partial, env)
        _fsync(partial)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, out)
    _fsync_dir(out)
    return BackupInfo("postgresql", out, out.stat().st_size, revision)


def _restore_postgres(url: URL, src: Path, advance: int) -> BackupInfo:
    if not url.database:
        raise BackupError("the PostgreSQL URL names no database")
    env = _pg_env(url)
    revision = _dump_revision(src, env)
    if revision not in known_revisions():
        raise BackupError(f"{src} is at schema revision {revision}, unknown to this server")
    _run(
        [
            pg_tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            "--no-password",
            f"--dbname={url.database}",
            str(src),
        ],
        env,
        "pg_restore",
    )
    if advance:
        import psycopg

        conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(conninfo, connect_timeout=10) as conn:
            conn.execute("UPDATE sync_counter SET value = value + %s", (advance,))
    return BackupInfo("postgresql", src, src.stat().st_size, revision)
