"""A big county written straight into the server's tables, for the scale benchmarks.

`build_county` makes ~300 households per grid (4 members on average, one visit a month) with
the demo generator's value makers (realistic Chinese names, addresses, incomes) and writes
them in the exact form `sync_server.seed.loader` gives through `write_record`: a `records` row
per record, one `record_versions` row per version (a visit reviewed by the township supervisor
has two: `submitted` by the worker, then `approved`/`returned`), the counter at the last
version, grids, their workers and one supervisor per township. Pushing 1.7 million records
through HTTP would take hours; this takes minutes (bulk Core INSERTs in chunks).

Grids are written one after another, so versions follow grid order (records of one grid in
time order), as if the county had been loaded grid by grid. Every user's password is
`PASSWORD`. No mutation log or clients: nothing was pushed by a phone.
"""

from __future__ import annotations

import argparse
import json
import random
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    create_engine,
    event,
    func,
    insert,
    select,
    update,
)

from shared_schema.sync import flatten
from sync_server.extensions import Database
from sync_server.migrations import upgrade
from sync_server.models import Grid, Record, RecordVersion, SyncCounter, User
from sync_server.seed.generator import (
    GROUPS,
    DemoRecord,
    MemberFactory,
    household_visits,
    make_household,
    person_name,
)
from sync_server.services.identity import hash_password

PASSWORD = "bench-pass-1"
TODAY = date(2026, 11, 25)
GRIDS_PER_TOWNSHIP = 30  # ≈ 9,000 households: a township of a large county
GRIDS_PER_VILLAGE = 2  # a village's two groups (一组, 二组), one grid each
TOWNSHIPS = (
    "青山镇",
    "龙场镇",
    "花溪乡",
    "白岩镇",
    "石桥镇",
    "桃源乡",
    "清水镇",
    "新寨乡",
    "红岩镇",
    "大坪乡",
    "松林镇",
    "马场镇",
)
VILLAGE_FIRST = "石杨龙青白红黄马牛桃竹松梅花金银新高"
VILLAGE_SECOND = "门柳潭坪岩溪坝湾山寨沟田林冲"
_ORDER = {"household": 0, "member": 1, "visit": 2}
_CHUNK = 2000  # rows per executemany


@dataclass
class CountySummary:
    """What `build_county` wrote, and who can log in (all with `password`)."""

    database_url: str
    households: int
    members: int
    visits: int
    records: int
    history_rows: int
    grids: int
    townships: int
    head_version: int
    seconds: float
    password: str = PASSWORD
    workers: dict[str, str] = field(default_factory=dict)  # grid id -> worker username
    supervisors: dict[str, str] = field(default_factory=dict)  # township -> username

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["workers"] = f"{len(self.workers)} (worker0001 has grid {self.first_grid})"
        out["supervisors"] = dict(self.supervisors)
        return out

    @property
    def first_grid(self) -> str:
        return next(iter(self.workers))


def _township(t: int) -> str:
    name = TOWNSHIPS[t % len(TOWNSHIPS)]
    return name if t < len(TOWNSHIPS) else f"{name[:-1]}{t // len(TOWNSHIPS) + 1}{name[-1]}"


def _village(v: int) -> str:
    first, second = VILLAGE_FIRST, VILLAGE_SECOND
    combos = len(first) * len(second)
    base = first[v % len(first)] + second[(v // len(first)) % len(second)]
    return f"{base}村" if v < combos else f"{base}{v // combos + 1}村"


def _engine(database_url: str) -> Engine:
    """An engine for the bulk load: on SQLite, WAL like the server but no fsync and a big cache."""
    if not database_url.startswith("sqlite"):
        return create_engine(database_url)
    engine = create_engine(database_url, connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=OFF")  # a crash mid-build means: build again
        cursor.execute("PRAGMA cache_size=-1048576")  # 1 GiB: the indexes of 4M rows
        cursor.execute("PRAGMA temp_store=MEMORY")
        cursor.close()

    return engine


class _Encoder:
    """Values as the model columns store them: the columns' own bind processors on SQLite
    (JSON text, naive-UTC datetime text), JSON text and naive UTC for PostgreSQL's COPY.

    Each record's JSON is made once and shared by its row and its last history row.
    """

    def __init__(self, engine: Engine) -> None:
        dialect = engine.dialect
        self.sqlite = dialect.name == "sqlite"
        columns = RecordVersion.__table__.c
        self._json: Any = json.dumps
        self._time: Any = _naive_utc
        if self.sqlite:
            self._json = (
                columns.data.type.dialect_impl(dialect).bind_processor(dialect) or json.dumps
            )
            self._time = (
                columns.created_at.type.dialect_impl(dialect).bind_processor(dialect) or _naive_utc
            )
        self._changed: dict[Any, str] = {}

    def json(self, value: Any) -> Any:
        return self._json(value)

    def time(self, at: datetime) -> Any:
        return self._time(at)

    def changed(self, data: dict[str, Any]) -> Any:
        """`sorted(flatten(data))` as JSON, cached by the record's shape (keys and nesting)."""
        shape = _shape(data)
        if shape not in self._changed:
            self._changed[shape] = self.json(sorted(flatten(data)))
        return self._changed[shape]


def _naive_utc(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(tzinfo=None)


def _shape(node: dict[str, Any]) -> tuple[Any, ...]:
    """What `flatten`'s paths depend on: the keys, and which values are objects (empty or not)."""
    return tuple([(k, _shape(v) if v else ()) if type(v) is dict else k for k, v in node.items()])


def _grid_rows(
    rng: random.Random,
    enc: _Encoder,
    *,
    grid_id: str,
    households: int,
    region: str,
    numbering: str,
    address: str,
    worker: tuple[str, str],
    supervisor: str,
    today: date,
    now: datetime,
    months: int,
    first_version: int,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, int]]:
    """The `records` and `record_versions` rows of one grid (values encoded for the database),
    versions from `first_version`."""
    worker_username, worker_name = worker
    factory = MemberFactory(rng, today, region)
    made: list[DemoRecord] = []
    for h in range(households):
        household, members, monitored = make_household(
            rng,
            factory,
            today=today,
            grid_id=grid_id,
            household_no=f"{numbering}{h + 1:04d}",
            address=address,
        )
        made.append(household)
        made.extend(members)
        made.extend(
            household_visits(
                rng,
                household.id,
                [m.data for m in members],
                monitored,
                today,
                worker_name,
                interval_days=30,  # every household monthly (issue 7), not only monitored
                span_days=months * 365 // 12,
            )
        )
    made.sort(key=lambda r: (r.at, _ORDER[r.entity]))
    records: list[dict[str, Any]] = []
    history: list[dict[str, Any]] = []
    counts = {"household": 0, "member": 0, "visit": 0}
    review_changed = enc.json(["review_comment", "review_status"])
    version = first_version
    for rec in made:
        counts[rec.entity] += 1
        at = rec.at.replace(tzinfo=UTC)
        created = enc.time(at)
        data = dict(rec.data)
        final_status = data.get("review_status")
        if rec.entity == "visit":
            data |= {"review_status": "submitted", "review_comment": None}
        text = enc.json(data)
        history.append(
            _version_row(rec, version, text, enc.changed(data), worker_username, created)
        )
        updated = created
        if rec.entity == "visit" and final_status != "submitted":
            version += 1
            updated = enc.time(min(at + timedelta(days=2), now))
            data = data | {
                "review_status": final_status,
                "review_comment": rec.data.get("review_comment"),
            }
            text = enc.json(data)
            history.append(_version_row(rec, version, text, review_changed, supervisor, updated))
        records.append(
            {
                "entity": rec.entity,
                "id": rec.id,
                "grid_id": grid_id,
                "household_id": None if rec.entity == "household" else data["household_id"],
                "version": version,
                "deleted": False,
                "data": text,
                "created_at": created,
                "updated_at": updated,
            }
        )
        version += 1
    return records, history, counts


def _version_row(
    rec: DemoRecord, version: int, data: Any, changed: Any, author: str, at: Any
) -> dict[str, Any]:
    return {
        "entity": rec.entity,
        "record_id": rec.id,
        "version": version,
        "data": data,
        "deleted": False,
        "changed_fields": changed,
        "author": author,
        "client_id": None,
        "mutation_id": None,
        "hlc": None,
        "created_at": at,
    }


def _bulk_insert(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    """SQLite: the compiled Core `insert()`, executemany in chunks; PostgreSQL: COPY."""
    if not rows:
        return
    names = list(rows[0])
    tuples = [tuple(row[n] for n in names) for row in rows]
    if conn.dialect.name == "sqlite":
        # Compiled once, run by the driver with positional rows (the values are encoded).
        sql = str(insert(table).compile(dialect=conn.dialect, column_keys=names))
        for start in range(0, len(tuples), _CHUNK):
            conn.exec_driver_sql(sql, tuples[start : start + _CHUNK])
        return
    driver = conn.connection.driver_connection
    assert driver is not None
    copy_sql = f"COPY {table.name} ({', '.join(names)}) FROM STDIN"
    with driver.cursor() as cursor, cursor.copy(copy_sql) as copy:
        for row in tuples:
            copy.write_row(row)


def build_county(
    database_url: str,
    households: int,
    months: int = 12,
    seed: int = 2026,
    *,
    households_per_grid: int = 300,
    today: date = TODAY,
) -> CountySummary:
    """Migrate `database_url` and write a county of `households` into it (must hold no grids).

    Deterministic for a given seed, size and `today`: each grid has its own random stream.
    """
    started = time.perf_counter()
    db = Database(database_url)
    assert db.engine is not None
    if db.is_sqlite and db.engine.url.database:
        Path(db.engine.url.database).parent.mkdir(parents=True, exist_ok=True)
    upgrade(db.engine)
    db.dispose()
    engine = _engine(database_url)
    now = datetime.combine(today, datetime.min.time(), tzinfo=UTC) + timedelta(hours=18)
    enc = _Encoder(engine)
    password_hash = hash_password(PASSWORD)  # one hash for all: argon2 is slow on purpose
    grid_count = -(-households // households_per_grid)
    summary = CountySummary(database_url, 0, 0, 0, 0, 0, grid_count, 0, 0, 0.0)
    try:
        with engine.begin() as conn:
            if conn.scalar(select(func.count()).select_from(Grid)):
                raise ValueError(f"{database_url} already holds grids")
            version = int(conn.scalar(select(SyncCounter.value).where(SyncCounter.id == 1)) or 0)
            conn.execute(
                insert(User),
                [
                    {
                        "id": _id(seed, "admin"),
                        "username": "admin",
                        "password_hash": password_hash,
                        "role": "admin",
                        "display_name": "系统管理员",
                        "township": None,
                        "active": True,
                        "created_at": now,
                    }
                ],
            )
        left = households
        for n in range(grid_count):
            t, in_township = divmod(n, GRIDS_PER_TOWNSHIP)
            village_no, group = divmod(in_township, GRIDS_PER_VILLAGE)
            township, village = _township(t), _village(t * GRIDS_PER_TOWNSHIP + village_no)
            rng = random.Random(f"{seed}-{n}")
            size = min(households_per_grid, left)
            left -= size
            grid_id = f"T{t + 1:02d}-{in_township + 1:03d}"
            worker_username = f"worker{n + 1:04d}"
            worker_name = person_name(rng, "female" if n % 2 else "male")
            users: list[dict[str, Any]] = []
            if township not in summary.supervisors:
                sup = f"supervisor{t + 1:02d}"
                summary.supervisors[township] = sup
                users.append(
                    _user(
                        seed, sup, password_hash, "supervisor", f"{township}督导员", township, now
                    )
                )
            supervisor = summary.supervisors[township]
            users.append(
                _user(seed, worker_username, password_hash, "worker", worker_name, None, now)
            )
            summary.workers[grid_id] = worker_username
            region = f"5227{t % 30 + 1:02d}"
            records, history, counts = _grid_rows(
                rng,
                enc,
                grid_id=grid_id,
                households=size,
                region=region,
                numbering=f"{region}{t + 1:02d}{in_township + 1:03d}",
                address=f"{township}{village}{GROUPS[group % 2]}",
                worker=(worker_username, worker_name),
                supervisor=supervisor,
                today=today,
                now=now,
                months=months,
                first_version=version + 1,
            )
            version = max((r["version"] for r in records), default=version)
            with engine.begin() as conn:
                conn.execute(insert(User), users)
                conn.execute(
                    insert(Grid),
                    [
                        {
                            "id": grid_id,
                            "name": f"{village}{GROUPS[group % 2]}",
                            "village": village,
                            "township": township,
                            "worker_id": _id(seed, worker_username),
                            "created_at": now,
                        }
                    ],
                )
                _bulk_insert(conn, Record.__table__, records)
                _bulk_insert(conn, RecordVersion.__table__, history)
                conn.execute(update(SyncCounter).where(SyncCounter.id == 1).values(value=version))
            summary.households += counts["household"]
            summary.members += counts["member"]
            summary.visits += counts["visit"]
            summary.records += len(records)
            summary.history_rows += len(history)
        if not enc.sqlite:  # what autovacuum would soon do; the planner needs the statistics
            with engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
    finally:
        engine.dispose()
    summary.townships = len(summary.supervisors)
    summary.head_version = version
    summary.seconds = round(time.perf_counter() - started, 1)
    return summary


def _id(seed: int, username: str) -> str:
    """A stable user id (so a rebuilt county has the same ids)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"tianye-bench-county/{seed}/{username}"))


def _user(
    seed: int,
    username: str,
    password_hash: str,
    role: str,
    display_name: str,
    township: str | None,
    now: datetime,
) -> dict[str, Any]:
    return {
        "id": _id(seed, username),
        "username": username,
        "password_hash": password_hash,
        "role": role,
        "display_name": display_name,
        "township": township,
        "active": True,
        "created_at": now,
    }


def main(argv: list[str] | None = None) -> int:
    """`python -m bench county --households N --database-url URL [--seed S]`."""
    parser = argparse.ArgumentParser(
        prog="python -m bench county", description="write a big county straight into a database"
    )
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument(
        "--database-url", required=True, help="a new SQLite file or an empty database"
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--months", type=int, default=12)
    args = parser.parse_args(argv)
    summary = build_county(args.database_url, args.households, months=args.months, seed=args.seed)
    print(json.dumps(summary.as_dict(), indent=2, ensure_ascii=False))
    return 0
