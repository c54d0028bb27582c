"""Pull and push cost on a 1,000- and a 100,000-household county, the physical floor of a
change, and the initial sync of a 300-household grid to a fresh phone (issue 7).

For each size, `bench.county.build_county` writes the county into a SQLite file cached under
`bench/.cache/` (keyed by size and seed: a rerun reuses it; delete the folder to rebuild), then
`python -m sync_server serve --workers 2` runs on it and, over loopback with the real protocol:

- a device of `worker0001` (one grid, 300 households) pulls its grid to the head, then makes
  no-op pulls (`noop_pull`: one request each, ms median/p95);
- the township supervisor changes one field of a household of that grid (`push_one`: the
  push request) and the device pulls it (`one_change_pull`);
- the device pushes 500 single-field changes in one request (`push_500`, per change);
- a fresh phone (`mobile_app.store.Store` + `SyncRunner`) of `worker0002` syncs its grid from
  nothing (`initial_sync`, 100k county only unless asked): wall time, requests, bytes.

The benchmark writes into the cached county (its pushes are real changes: each run adds about
1,100 versions; the grids keep their records). The physical floor is measured on a scratch
copy of the 1,000-household file (`floor`). PostgreSQL: `--postgres-admin-url` builds both
counties in databases `tianye_bench_scale_<size>` (dropped at the end; not cached) and repeats
the pull and push figures (`--no-sqlite`: only those).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from bench.county import PASSWORD, build_county
from bench.sync_quick import ROOT, Wire
from bench.sync_quick import serve as serve_process

CACHE = ROOT / "bench" / ".cache"
SIZES = (1_000, 100_000)
NOOP_RUNS = 50
ONE_CHANGE_RUNS = 20
BATCH = 500
RTT_2G = 0.6  # seconds per request on a 2G link (assumed)
LINK_BITS = 50_000  # 50 kbit/s


def cached_county(households: int, seed: int) -> tuple[Path, dict[str, Any]]:
    """The county's SQLite file, built once (into a temporary name, renamed when complete)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"county-{households}h-s{seed}.sqlite3"
    info_path = path.with_suffix(".json")
    if path.exists() and info_path.exists():
        return path, json.loads(info_path.read_text()) | {"cached": True}
    building = CACHE / f"building-{path.name}"
    for stale in CACHE.glob(f"{building.name}*"):
        stale.unlink()
    summary = build_county(f"sqlite:///{building}", households, seed=seed)
    conn = sqlite3.connect(building)  # fold the WAL in, so one file is the database
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    for stale in CACHE.glob(f"{building.name}-*"):
        stale.unlink()
    os.replace(building, path)
    info = summary.as_dict() | {
        "database_url": f"sqlite:///{path}",
        "file_bytes": path.stat().st_size,
    }
    info_path.write_text(json.dumps(info, ensure_ascii=False, indent=2))
    return path, info | {"cached": False}


@contextmanager
def serve(database_url: str, log: Path) -> Iterator[str]:
    """`python -m sync_server serve --workers 2` on `database_url`; yields its base URL."""
    env = os.environ | {"DATABASE_URL": database_url, "LOG_LEVEL": "WARNING"}
    env["PYTHONPATH"] = str(ROOT)
    with serve_process(env, log, ready_timeout=120) as (base, _proc):
        yield base


def _login(wire: Wire, username: str) -> tuple[str, dict[str, str]]:
    client_id = str(uuid.uuid4())
    body = {
        "username": username,
        "password": PASSWORD,
        "client_id": client_id,
        "device_name": "bench",
    }
    token = wire.call("POST", "/api/v1/auth/token", body)["token"]
    return client_id, {"Authorization": f"Bearer {token}"}


def _ms(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 2),
        "p95_ms": round(p95 * 1000, 2),
        "runs": len(ordered),
    }


def _counted(wire: Wire, call: Any) -> tuple[Any, float, int, int]:
    """Run `call()`; its answer, seconds, requests and bytes (bodies as sent, gzip)."""
    r0, b0 = wire.requests, wire.sent + wire.received
    started = time.perf_counter()
    answer = call()
    return answer, time.perf_counter() - started, wire.requests - r0, wire.sent + wire.received - b0


def _pull_to_head(wire: Wire, auth: dict[str, str], cursor: int = 0) -> tuple[int, list[Any]]:
    changes: list[Any] = []
    while True:
        page = wire.call("GET", f"/api/v1/sync/pull?cursor={cursor}&limit=1000", headers=auth)
        changes += page["changes"]
        cursor = page["cursor"]
        if not page["has_more"]:
            return cursor, changes


def _push(
    wire: Wire, auth: dict[str, str], client_id: str, mutations: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    answer = wire.call(
        "POST",
        "/api/v1/sync/push",
        {"client_id": client_id, "schema_version": 1, "mutations": mutations},
        headers=auth,
    )
    bad = [r for r in answer["results"] if r["status"] not in ("applied", "merged")]
    assert not bad, bad[:3]
    return list(answer["results"])


def measure_protocol(base: str, info: dict[str, Any], run_tag: str) -> dict[str, Any]:
    """No-op pull, one-change pull, push of one change and of 500, for worker0001's device."""
    supervisor = next(iter(info["supervisors"].values()))
    device, sup = Wire(base), Wire(base)
    client_id, auth = _login(device, "worker0001")
    sup_client, sup_auth = _login(sup, supervisor)
    started = time.perf_counter()
    cursor, grid = _pull_to_head(device, auth)
    first_pull = {
        "records": len(grid),
        "seconds": round(time.perf_counter() - started, 3),
        "requests": device.requests - 1,  # the login was one
    }
    households = [c for c in grid if c["entity"] == "household"]
    versions = {c["id"]: c["version"] for c in households}

    noop, noop_bytes = [], 0
    for _ in range(NOOP_RUNS):
        page, seconds, count, size = _counted(
            device,
            lambda: device.call(
                "GET", f"/api/v1/sync/pull?cursor={cursor}&limit=1000", headers=auth
            ),
        )
        assert page["changes"] == [] and count == 1
        noop.append(seconds)
        noop_bytes = size

    push_one, one_pull, one_bytes = [], [], 0
    for i in range(ONE_CHANGE_RUNS):
        target = households[i % len(households)]["id"]
        mutation = {
            "mutation_id": i + 1,
            "entity": "household",
            "id": target,
            "op": "upsert",
            "base_version": versions[target],
            "data": {"notes": f"镇上核实 {run_tag} 第{i + 1}次"},
            "hlc": None,
        }
        results, seconds, _, _ = _counted(
            sup, lambda m=mutation: _push(sup, sup_auth, sup_client, [m])
        )
        push_one.append(seconds)
        versions[target] = results[0]["version"]
        page, seconds, count, size = _counted(
            device,
            lambda at=cursor: device.call(
                "GET", f"/api/v1/sync/pull?cursor={at}&limit=1000", headers=auth
            ),
        )
        assert [c["id"] for c in page["changes"]] == [target] and count == 1, page
        cursor = page["cursor"]
        one_pull.append(seconds)
        one_bytes = size

    batch_runs, mid = [], 0
    for attempt in range(3):
        mutations = []
        for i in range(BATCH):
            target = households[i % len(households)]["id"]
            field = "phone" if i < len(households) else "house_damaged"
            value: Any = f"139{attempt}{i:07d}" if field == "phone" else bool(attempt % 2)
            mid += 1
            mutations.append(
                {
                    "mutation_id": mid,
                    "entity": "household",
                    "id": target,
                    "op": "upsert",
                    "base_version": versions[target],
                    "data": {field: value},
                    "hlc": None,
                }
            )
        results, seconds, _, size = _counted(
            device, lambda ms=mutations: _push(device, auth, client_id, ms)
        )
        for m, r in zip(mutations, results, strict=True):
            versions[m["id"]] = r["version"]
        batch_runs.append(seconds)
    cursor, _ = _pull_to_head(device, auth, cursor)
    push_500 = {
        "changes": BATCH,
        "seconds_per_request": [round(s, 3) for s in batch_runs],
        "ms_per_change": round(statistics.median(batch_runs) / BATCH * 1000, 3),
        "request_bytes": size,
    }
    return {
        "device_first_pull": first_pull,
        "noop_pull": _ms(noop) | {"requests": 1, "bytes": noop_bytes},
        "one_change_pull": _ms(one_pull) | {"requests": 1, "bytes": one_bytes},
        "push_one_change": _ms(push_one),
        "push_500": push_500,
    }


class _CountingSession(requests.Session):
    """A requests session that counts the phone's requests."""

    requests_made = 0

    def request(self, *args: Any, **kwargs: Any) -> Any:
        self.requests_made += 1
        return super().request(*args, **kwargs)


def initial_sync(base: str, info: dict[str, Any]) -> dict[str, Any]:
    """A fresh phone of worker0002 syncs its grid with the app's own store and runner."""
    from mobile_app.store import Store
    from mobile_app.sync import SyncClient, SyncRunner

    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "phone.sqlite3")
        session = _CountingSession()
        client = SyncClient(session=session)
        answer = client.login(
            base, "worker0002", PASSWORD, store.session.client_id(), "worker0002 的手机"
        )
        store.session.save_login(
            server_url=base, user=answer["user"], token=answer["token"], grids=answer["grids"]
        )
        session.requests_made = 0
        client.bytes_sent = client.bytes_received = 0
        started = time.perf_counter()
        result = SyncRunner(store, client).run()
        seconds = time.perf_counter() - started
        counts = {
            row[0]: row[1]
            for row in store.db.query("SELECT entity, count(*) FROM records GROUP BY entity")
        }
        store.close()
    wire_bytes = client.bytes_sent + client.bytes_received
    requests_made = session.requests_made
    transfer = wire_bytes * 8 / LINK_BITS
    return {
        "grid": answer["grids"],
        "records": result.pulled,
        "by_entity": counts,
        "seconds_loopback": round(seconds, 2),
        "requests": requests_made,
        "bytes": wire_bytes,
        "bytes_sent": client.bytes_sent,
        "bytes_received": client.bytes_received,
        "minutes_at_50_kbit": round(transfer / 60, 2),
        "minutes_at_50_kbit_with_rtt": round((transfer + requests_made * RTT_2G) / 60, 2),
        "assumption": f"bytes*8/{LINK_BITS} s + {RTT_2G} s per request (2G round trip)",
    }


def measure_floor(path: Path, changes: int = BATCH) -> dict[str, Any]:
    """Bare `sqlite3` writes of what one pushed change writes, on a copy of `path`.

    Per change: the counter UPDATE, the record row UPDATE (data, version, updated_at), one
    `record_versions` INSERT and one `mutation_log` INSERT (JSON already encoded: the same
    texts the server stores) and the client row UPDATE; WAL and synchronous=NORMAL like the
    server. Timed as one transaction per change, and as one transaction for all of them.
    """
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp) / "floor.sqlite3"
        shutil.copyfile(path, scratch)
        conn = sqlite3.connect(scratch, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA synchronous=NORMAL")
        rows = conn.execute(
            "SELECT entity, id, grid_id, household_id, data FROM records "
            "WHERE entity='household' ORDER BY version LIMIT ?",
            (changes,),
        ).fetchall()
        user_id = conn.execute("SELECT id FROM users WHERE username='worker0001'").fetchone()[0]
        client_id = str(uuid.uuid4())
        stamp = datetime.now(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
        conn.execute(
            "INSERT INTO clients (client_id, user_id, device_name, last_mutation_id, created_at)"
            " VALUES (?, ?, 'floor', 0, ?)",
            (client_id, user_id, stamp),
        )
        prepared: list[tuple[Any, ...]] = []
        for i, (entity, rid, _grid, _hh, text) in enumerate(rows * (changes // len(rows) + 1)):
            if len(prepared) == changes:
                break
            data = json.loads(text) | {"phone": f"1380000{i:04d}"}
            result = {"mutation_id": i + 1, "status": "applied", "version": 0, "conflicts": []}
            prepared.append(
                (entity, rid, json.dumps(data), json.dumps({"phone": data["phone"]}), result)
            )

        def one(cur: sqlite3.Connection, i: int, item: tuple[Any, ...]) -> None:
            entity, rid, data, change, result = item
            (version,) = cur.execute(
                "UPDATE sync_counter SET value = value + 1 WHERE id = 1 RETURNING value"
            ).fetchone()
            cur.execute(
                "UPDATE records SET version=?, deleted=0, data=?, updated_at=? "
                "WHERE entity=? AND id=?",
                (version, data, stamp, entity, rid),
            )
            cur.execute(
                "INSERT INTO record_versions (entity, record_id, version, data, deleted, "
                "changed_fields, author, client_id, mutation_id, hlc, created_at) "
                "VALUES (?, ?, ?, ?, 0, ?, 'worker0001', ?, ?, NULL, ?)",
                (entity, rid, version, data, '["phone"]', client_id, mid + i, stamp),
            )
            cur.execute(
                "INSERT INTO mutation_log (client_id, mutation_id, user_id, entity, record_id, "
                "op, base_version, data, hlc, status, result, created_at) "
                "VALUES (?, ?, ?, ?, ?, 'upsert', NULL, ?, NULL, 'applied', ?, ?)",
                (client_id, mid + i, user_id, entity, rid, change, json.dumps(result), stamp),
            )
            cur.execute(
                "UPDATE clients SET last_mutation_id=?, last_push_at=?, last_seen=? "
                "WHERE client_id=?",
                (mid + i, stamp, stamp, client_id),
            )

        mid = 1
        started = time.perf_counter()
        for i, item in enumerate(prepared):
            conn.execute("BEGIN IMMEDIATE")
            one(conn, i, item)
            conn.execute("COMMIT")
        per_txn = time.perf_counter() - started
        mid = changes + 1
        started = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        for i, item in enumerate(prepared):
            one(conn, i, item)
        conn.execute("COMMIT")
        batched = time.perf_counter() - started
        conn.close()
    return {
        "changes": changes,
        "one_transaction_per_change_ms": round(per_txn / changes * 1000, 4),
        "one_transaction_for_all_ms": round(batched / changes * 1000, 4),
        "what": "counter UPDATE + records UPDATE + record_versions INSERT + mutation_log "
        "INSERT + clients UPDATE per change, JSON pre-encoded, WAL, synchronous=NORMAL",
    }


def _ratio(big: float, small: float) -> float:
    return round(big / small, 2) if small else float("inf")


def _compare(results: dict[Any, dict[str, Any]], small: int, big: int) -> dict[str, Any]:
    a, b = results[small], results[big]
    return {
        "noop_pull_median": _ratio(b["noop_pull"]["median_ms"], a["noop_pull"]["median_ms"]),
        "noop_pull_bytes": _ratio(b["noop_pull"]["bytes"], a["noop_pull"]["bytes"]),
        "one_change_pull_median": _ratio(
            b["one_change_pull"]["median_ms"], a["one_change_pull"]["median_ms"]
        ),
        "one_change_pull_bytes": _ratio(
            b["one_change_pull"]["bytes"], a["one_change_pull"]["bytes"]
        ),
        "push_one_change_median": _ratio(
            b["push_one_change"]["median_ms"], a["push_one_change"]["median_ms"]
        ),
        "push_500_per_change": _ratio(
            b["push_500"]["ms_per_change"], a["push_500"]["ms_per_change"]
        ),
        "target": "<= 2",
    }


def _postgres_url(admin_url: str, name: str) -> str:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    return f"{admin_url.rsplit('/', 1)[0]}/{name}"


def _drop_postgres(admin_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(
    *,
    seed: int = 2026,
    sizes: tuple[int, ...] = SIZES,
    postgres_admin_url: str | None = None,
    sqlite: bool = True,
    initial_sync_sizes: tuple[int, ...] | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    tag = datetime.now(UTC).strftime("%H%M%S")
    sync_sizes = initial_sync_sizes if initial_sync_sizes is not None else (max(sizes),)
    small, big = min(sizes), max(sizes)
    with tempfile.TemporaryDirectory() as tmp:
        if sqlite:
            out |= {"sqlite": {}, "counties": {}}
            for size in sizes:
                started = time.perf_counter()
                path, info = cached_county(size, seed)
                info["ready_seconds"] = round(time.perf_counter() - started, 1)
                out["counties"][size] = info
                with serve(f"sqlite:///{path}", Path(tmp) / f"server-{size}.log") as base:
                    figures = measure_protocol(base, info, tag)
                    if size in sync_sizes:
                        figures["initial_sync"] = initial_sync(base, info)
                out["sqlite"][size] = figures
            if small != big:
                out["sqlite"]["ratio_big_to_small"] = _compare(out["sqlite"], small, big)
            floor = measure_floor(cached_county(small, seed)[0])
            server = out["sqlite"][small]["push_500"]["ms_per_change"]
            out["floor"] = floor | {
                "server_ms_per_change_small": server,
                "server_ms_per_change_big": out["sqlite"][big]["push_500"]["ms_per_change"],
                "ratio_server_to_floor_per_txn": _ratio(
                    server, floor["one_transaction_per_change_ms"]
                ),
                "ratio_server_to_floor_batched": _ratio(
                    server, floor["one_transaction_for_all_ms"]
                ),
            }
        if postgres_admin_url:
            out["postgresql"] = {}
            for size in sizes:
                name = f"tianye_bench_scale_{size}"
                url = _postgres_url(postgres_admin_url, name)
                try:
                    summary = build_county(url, size, seed=seed)
                    with serve(url, Path(tmp) / f"server-pg-{size}.log") as base:
                        figures = measure_protocol(base, summary.as_dict(), tag)
                    out["postgresql"][size] = figures | {"county": summary.as_dict()}
                finally:
                    _drop_postgres(postgres_admin_url, name)
            if small != big:
                out["postgresql"]["ratio_big_to_small"] = _compare(out["postgresql"], small, big)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench scale",
        description="pull/push cost at 1k and 100k households, the physical floor, initial sync",
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--sizes", default=",".join(map(str, SIZES)), help="households, comma-separated"
    )
    parser.add_argument(
        "--postgres-admin-url",
        default="",
        help="also on PostgreSQL, e.g. postgresql://postgres@127.0.0.1:5432/postgres",
    )
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL figures only")
    args = parser.parse_args(argv)
    sizes = tuple(int(s) for s in args.sizes.split(","))
    result = run(
        seed=args.seed,
        sizes=sizes,
        postgres_admin_url=args.postgres_admin_url or None,
        sqlite=not args.no_sqlite,
    )
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0
