"""`backup` / `restore` on SQLite and PostgreSQL, run as real CLI processes (real pg_dump).

Data goes in through a live server (pushes, a merge and a conflict); the backup is taken while
a phone keeps pushing; the restore goes into a fresh database and is compared table by table;
a server on the restored database answers pulls exactly like the original. Refusals (existing
output, non-empty target, wrong or damaged input) change nothing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import requests
from sqlalchemy import create_engine, select

from sync_server.config import normalize_database_url
from sync_server.models import Base
from tests.conftest import PG_ADMIN_URL, ROOT, LiveServer
from tests.sync_server.helpers import household, member, visit

pytestmark = [pytest.mark.slow]


def cli(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m sync_server --database-url URL ...` as the operator would run it."""
    return subprocess.run(
        [sys.executable, "-m", "sync_server", "--database-url", url, *args],
        cwd=ROOT,
        env=os.environ | {"PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def fresh_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """An empty target for a restore: a new SQLite path, or a new PostgreSQL database."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored' / 'tianye.sqlite3'}"
        return
    name = f"tianye_restore_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Device:
    """One signed-in client pushing over HTTP with its own mutation numbering."""

    def __init__(self, url: str, username: str, password: str) -> None:
        self.url = url
        self.client_id = str(uuid.uuid4())
        r = requests.post(
            f"{url}/api/v1/auth/token",
            json={
                "username": username,
                "password": password,
                "client_id": self.client_id,
                "device_name": "phone",
            },
            timeout=30,
        )
        assert r.status_code == 200, r.text
        self.token = r.json()["token"]
        self.headers = {"Authorization": f"Bearer {self.token}"}
        self.next_id = 0

    def push(self, *changes: tuple[str, str, dict[str, Any], int | None]) -> list[dict[str, Any]]:
        mutations = []
        for entity, rid, data, base in changes:
            self.next_id += 1
            mutations.append(
                {
                    "mutation_id": self.next_id,
                    "entity": entity,
                    "id": rid,
                    "op": "upsert",
                    "base_version": base,
                    "data": data,
                    "hlc": f"{self.next_id:016d}-0000-test",
                }
            )
        r = requests.post(
            f"{self.url}/api/v1/sync/push",
            json={"client_id": self.client_id, "schema_version": 1, "mutations": mutations},
            headers=self.headers,
            timeout=60,
        )
        assert r.status_code == 200, r.text
        results: list[dict[str, Any]] = r.json()["results"]
        return results

    def pull_all(self, url: str | None = None, limit: int = 3) -> list[dict[str, Any]]:
        """Every page from cursor 0 (small pages, so cursors are compared many times)."""
        pages, cursor = [], 0
        while True:
            r = requests.get(
                f"{url or self.url}/api/v1/sync/pull",
                params={"cursor": cursor, "limit": limit},
                headers=self.headers,
                timeout=30,
            )
            assert r.status_code == 200, r.text
            page = r.json()
            pages.append(page)
            cursor = page["cursor"]
            if not page["has_more"]:
                return pages


def populate(url: str, seed: Any) -> tuple[Device, Device, list[str]]:
    """Households, members, visits, a merge and an open conflict, through the live server."""
    seed.grid("g1")
    seed.user("wang", grids=["g1"])
    a, b = Device(url, "wang", seed.password), Device(url, "wang", seed.password)
    hids = [str(uuid.uuid4()) for _ in range(3)]
    created = a.push(
        *[
            ("household", h, household("g1", household_no=f"00{n}"), None)
            for n, h in enumerate(hids)
        ],
        ("member", str(uuid.uuid4()), member(hids[0]), None),
        ("visit", str(uuid.uuid4()), visit(hids[0]), None),
    )
    assert {r["status"] for r in created} == {"applied"}
    base = created[0]["version"]
    assert a.push(("household", hids[0], {"phone": "13911111111"}, base))[0]["status"] == "applied"
    assert b.push(("household", hids[0], {"address": "新地址 8 号"}, base))[0]["status"] == "merged"
    clash = b.push(("household", hids[0], {"phone": "13922222222"}, base))[0]
    assert clash["status"] == "conflict" and clash["conflicts"]
    return a, b, hids


def table_rows(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of the models, in primary-key order."""
    engine = create_engine(normalize_database_url(url))
    try:
        with engine.connect() as conn:
            return {
                t.name: [
                    tuple(row) for row in conn.execute(select(t).order_by(*t.primary_key.columns))
                ]
                for t in Base.metadata.sorted_tables
            }
    finally:
        engine.dispose()


def test_backup_while_pushing_restores_a_consistent_snapshot(
    seed, live_server, db_url, fresh_url, tmp_path
):
    populate(live_server, seed)
    pusher = Device(live_server, "wang", seed.password)
    stop = threading.Event()
    pushed_at: list[float] = []
    failures: list[str] = []

    def keep_pushing() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            try:
                [r] = pusher.push(
                    (
                        "household",
                        str(uuid.uuid4()),
                        household("g1", household_no=f"9{n:03d}"),
                        None,
                    )
                )
                assert r["status"] == "applied", r
                pushed_at.append(time.monotonic())
            except Exception as exc:  # reported below; the thread must not die silently
                failures.append(repr(exc))
                return

    thread = threading.Thread(target=keep_pushing)
    thread.start()
    try:
        while len(pushed_at) < 3 and thread.is_alive():
            time.sleep(0.05)
        started = time.monotonic()
        out = cli(db_url, "backup", "--output", str(tmp_path / "live.backup"))
        finished = time.monotonic()
        while sum(t > finished for t in pushed_at) < 2 and thread.is_alive():
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(timeout=60)
    assert not failures, failures
    assert out.returncode == 0, out.stderr
    assert any(started <= t <= finished for t in pushed_at), "no push landed during the backup"
    assert any(t > finished for t in pushed_at), "the server stopped accepting pushes"

    restored = cli(fresh_url, "restore", "--input", str(tmp_path / "live.backup"))
    assert restored.returncode == 0, restored.stderr
    source, copy = table_rows(db_url), table_rows(fresh_url)
    [counter] = copy["sync_counter"]
    head = counter[1]
    # A snapshot: the history is exactly the source's history up to the copied counter...
    assert copy["record_versions"] == [r for r in source["record_versions"] if r[2] <= head]
    assert len(copy["record_versions"]) < len(source["record_versions"])  # pushes went on after
    # ...every record is at or below it with the data of its last version up to there...
    history = {(r[0], r[1], r[2]): r[3] for r in copy["record_versions"]}
    for entity, rid, *_rest in copy["records"]:
        versions = [v for (e, i, v) in history if (e, i) == (entity, rid)]
        rec = next(r for r in copy["records"] if (r[0], r[1]) == (entity, rid))
        assert rec[4] <= head and rec[6] == history[(entity, rid, max(versions))]
    # ...the exactly-once log agrees with each client's progress...
    logged = {(r[0], r[1]) for r in copy["mutation_log"]}
    for client in copy["clients"]:
        ids = sorted(mid for cid, mid in logged if cid == client[0])
        assert ids == list(range(1, client[3] + 1))
    assert set(logged) <= {(r[0], r[1]) for r in source["mutation_log"]}
    # ...and conflicts (all made before the pushes started) and users are all there.
    assert copy["conflicts"] == source["conflicts"] and len(copy["conflicts"]) == 1
    assert copy["users"] == source["users"] and copy["api_tokens"] == source["api_tokens"]


def test_restored_server_has_every_row_and_serves_the_same_pulls(
    seed, live_server, db_url, fresh_url, tmp_path
):
    a, _b, hids = populate(live_server, seed)
    out = cli(db_url, "backup", "--output", str(tmp_path / "quiet.backup"))
    assert out.returncode == 0, out.stderr
    assert '"revision"' in out.stdout
    assert (tmp_path / "quiet.backup").stat().st_mode & 0o777 == 0o600  # holds ID numbers
    restored = cli(fresh_url, "restore", "--input", str(tmp_path / "quiet.backup"))
    assert restored.returncode == 0, restored.stderr
    source, copy = table_rows(db_url), table_rows(fresh_url)
    assert copy == source
    assert len(copy["records"]) == 5 and len(copy["conflicts"]) == 1
    server = LiveServer(fresh_url)
    try:
        original = a.pull_all()
        again = a.pull_all(server.url)  # the same token works: tokens are restored (hashed)
        assert again == original
        assert [p["cursor"] for p in again] == [p["cursor"] for p in original]
        assert any(c["open_conflicts"] for p in again for c in p["changes"])
        # the restored server keeps numbering after the restored counter
        hid = str(uuid.uuid4())
        r = requests.post(
            f"{server.url}/api/v1/sync/push",
            json={
                "client_id": a.client_id,
                "schema_version": 1,
                "mutations": [
                    {
                        "mutation_id": a.next_id,  # a replay: answered from the restored log
                        "entity": "household",
                        "id": hids[0],
                        "op": "upsert",
                        "base_version": copy["records"][0][4],
                        "data": {"phone": "13911111111"},
                        "hlc": None,
                    },
                    {
                        "mutation_id": a.next_id + 1,
                        "entity": "household",
                        "id": hid,
                        "op": "upsert",
                        "base_version": None,
                        "data": household("g1", household_no="777"),
                    },
                ],
            },
            headers=a.headers,
            timeout=30,
        )
        assert r.status_code == 200, r.text
        replay, fresh = r.json()["results"]
        assert replay == next(
            row[10]
            for row in source["mutation_log"]
            if (row[0], row[1]) == (a.client_id, a.next_id)
        )
        assert fresh["status"] == "applied" and fresh["version"] == original[-1]["cursor"] + 1
    finally:
        server.stop()


def test_refusals_change_nothing(seed, live_server, db_url, fresh_url, backend, tmp_path):
    populate(live_server, seed)
    good = tmp_path / "good.backup"
    assert cli(db_url, "backup", "--output", str(good)).returncode == 0
    before = good.read_bytes()
    again = cli(db_url, "backup", "--output", str(good))
    assert again.returncode == 1 and "already exists" in again.stderr
    assert good.read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if ".partial" in p.name]

    # a damaged (truncated) backup, and one of the other backend, are refused
    damaged = tmp_path / "damaged.backup"
    damaged.write_bytes(before[: len(before) // 2])
    other = tmp_path / "other.backup"
    other.write_bytes(b"PGDMP" + b"\0" * 100 if backend == "sqlite" else b"SQLite format 3\0" * 8)
    source = table_rows(db_url)
    for bad in (damaged, other, tmp_path / "missing.backup"):
        out = cli(db_url if backend == "postgresql" else fresh_url, "restore", "--input", str(bad))
        assert out.returncode == 1 and out.stderr.strip().startswith('{"error"'), out.stderr
    assert table_rows(db_url) == source
    if backend == "sqlite":
        assert not Path(fresh_url.removeprefix("sqlite:///")).exists()
        # an existing, non-empty database is never overwritten
        target = db_url.removeprefix("sqlite:///")
        size = Path(target).stat().st_size
        out = cli(db_url, "restore", "--input", str(good))
        assert out.returncode == 1 and "not empty" in out.stderr
        assert Path(target).stat().st_size == size and table_rows(db_url) == source
        # a SQLite file that is not a Tianye database
        plain = tmp_path / "plain.sqlite3"
        import sqlite3

        with sqlite3.connect(plain) as conn:
            conn.execute("CREATE TABLE t (x)")
        out = cli(fresh_url, "restore", "--input", str(plain))
        assert out.returncode == 1 and "not a Tianye database" in out.stderr
    else:
        # PostgreSQL: a restore replaces the configured database as one transaction
        good_copy = tmp_path / "copy.backup"
        shutil.copyfile(good, good_copy)
        assert cli(fresh_url, "restore", "--input", str(good_copy)).returncode == 0
        assert table_rows(fresh_url) == source


def test_restoring_an_older_backup_can_advance_versions_past_phone_cursors(
    seed, live_server, db_url, fresh_url, tmp_path
):
    a, b, hids = populate(live_server, seed)
    assert cli(db_url, "backup", "--output", str(tmp_path / "old.backup")).returncode == 0
    # the server runs on and phone A pulls past the backup; then the server is lost
    more = [
        ("household", str(uuid.uuid4()), household("g1", household_no=f"5{n:02d}"), None)
        for n in range(5)
    ]
    assert {r["status"] for r in a.push(*more)} == {"applied"}
    cursor = a.pull_all(limit=1000)[-1]["cursor"]
    bad = cli(
        fresh_url, "restore", "--input", str(tmp_path / "old.backup"), "--advance-versions", "-1"
    )
    assert bad.returncode == 1 and "negative" in bad.stderr
    out = cli(
        fresh_url, "restore", "--input", str(tmp_path / "old.backup"), "--advance-versions", "1000"
    )
    assert out.returncode == 0, out.stderr
    copy = table_rows(fresh_url)
    top = max(r[4] for r in copy["records"])
    assert top < cursor and copy["sync_counter"][0][1] == table_rows_counter_at(copy) + 1000
    server = LiveServer(fresh_url)
    try:
        b.url = server.url
        base = next(r[4] for r in copy["records"] if r[1] == hids[1])
        [result] = b.push(("household", hids[1], {"notes": "恢复后的修改"}, base))
        assert result["status"] == "applied" and result["version"] > cursor
        r = requests.get(
            f"{server.url}/api/v1/sync/pull",
            params={"cursor": cursor},
            headers=a.headers,
            timeout=30,
        )
        assert r.status_code == 200, r.text
        assert [c["id"] for c in r.json()["changes"]] == [hids[1]]
        assert r.json()["changes"][0]["data"]["notes"] == "恢复后的修改"
    finally:
        server.stop()


def table_rows_counter_at(rows: dict[str, list[tuple[Any, ...]]]) -> int:
    """The highest version a snapshot used (records, history and removals)."""
    versions = [r[4] for r in rows["records"]] + [r[2] for r in rows["record_versions"]]
    versions += [r[0] for r in rows["removals"]]
    return max(versions)
