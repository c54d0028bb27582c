"""Profile the push path in-process (cProfile): the `bench quick` workload through the Flask test
client on a fresh SQLite file or an empty PostgreSQL database.

Why in-process: the profile then shows the server's own functions (validation, merge, SQL) and
not the HTTP client or gunicorn. The request path is the real one (gzip body, token check,
request schema, service, response schema); only the socket is missing.

    .venv/bin/python -m bench profile --households 300 [--database-url URL] [--top 25]
    .venv/bin/python -m bench.profile_push --plain --households 300 [--database-url URL]
"""

from __future__ import annotations

import cProfile
import gzip
import io
import json
import os
import pstats
import tempfile
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from bench.sync_quick import PASSWORD, workload


def _prepare(url: str) -> Any:
    """Migrate, create the bench grid and worker, and return a test client."""
    from sync_server import create_app
    from sync_server.extensions import Database
    from sync_server.migrations import upgrade
    from sync_server.services.admin import create_grid, create_user

    os.environ.setdefault("TIANYE_FAST_PASSWORD_HASH", "1")
    db = Database(url)
    assert db.engine is not None
    upgrade(db.engine)
    now = datetime.now(UTC)
    create_grid(
        db, grid_id="BENCH-01", name="基准网格", village="基准村", township="基准镇", now=now
    )
    create_user(
        db,
        username="bench",
        password=PASSWORD,
        role="worker",
        display_name="bench",
        grids=["BENCH-01"],
        township=None,
        now=now,
    )
    db.dispose()
    app = create_app({"DATABASE_URL": url, "LOG_LEVEL": "WARNING"})
    return app.test_client()


def run(
    *,
    households: int = 300,
    database_url: str | None = None,
    top: int = 25,
    profiled: bool = True,
) -> dict[str, Any]:
    """Push `households` households in batches of 500 under cProfile; returns timings + top.

    With `profiled=False` the same push runs without the profiler and reports wall and CPU
    seconds of this process (the server's work, and SQLite's; not PostgreSQL's): on a machine
    shared with other jobs the CPU seconds scatter much less than the wall time.
    """
    with tempfile.TemporaryDirectory() as tmp:
        url = database_url or f"sqlite:///{tmp}/profile.sqlite3"
        client = _prepare(url)
        client_id = str(uuid.uuid4())
        login = client.post(
            "/api/v1/auth/token",
            json={
                "username": "bench",
                "password": PASSWORD,
                "client_id": client_id,
                "device_name": "bench",
            },
        )
        assert login.status_code == 200, login.get_json()
        auth = {"Authorization": f"Bearer {login.get_json()['token']}"}
        mutations: list[dict[str, Any]] = []
        for group in workload(households):
            for m in group:
                mutations.append(
                    {"mutation_id": len(mutations) + 1, "op": "upsert", "base_version": None}
                    | {"hlc": None}
                    | m
                )
        bodies = [
            gzip.compress(
                json.dumps(
                    {
                        "client_id": client_id,
                        "schema_version": 1,
                        "mutations": mutations[i : i + 500],
                    },
                    ensure_ascii=False,
                ).encode(),
                6,
            )
            for i in range(0, len(mutations), 500)
        ]
        headers = auth | {"Content-Type": "application/json", "Content-Encoding": "gzip"}
        profiler = cProfile.Profile()
        started, cpu_started = time.perf_counter(), time.process_time()
        if profiled:
            profiler.enable()
        for body in bodies:
            resp = client.post("/api/v1/sync/push", data=body, headers=headers)
            assert resp.status_code == 200, resp.get_data()[:500]
            bad = [r for r in resp.get_json()["results"] if r["status"] != "applied"]
            assert not bad, bad[:3]
        profiler.disable()
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        if not profiled:
            return {
                "households": households,
                "mutations": len(mutations),
                "seconds": round(seconds, 3),
                "cpu_seconds": round(cpu, 3),
                "households_per_second": round(households / seconds, 1),
                "households_per_cpu_second": round(households / cpu, 1),
            }
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("cumulative").print_stats(top)
        stats.sort_stats("tottime").print_stats(top)
        return {
            "households": households,
            "mutations": len(mutations),
            "seconds_profiled": round(seconds, 3),
            "households_per_second_profiled": round(households / seconds, 1),
            "profile": out.getvalue(),
        }


if __name__ == "__main__":  # `python -m bench.profile_push --plain`: timings without cProfile
    import argparse

    parser = argparse.ArgumentParser(prog="python -m bench.profile_push")
    parser.add_argument("--households", type=int, default=300)
    parser.add_argument("--database-url")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--plain", action="store_true", help="no cProfile: wall and CPU seconds")
    args = parser.parse_args()
    result = run(
        households=args.households,
        database_url=args.database_url,
        top=args.top,
        profiled=not args.plain,
    )
    report = result.pop("profile", "")
    print(json.dumps(result, indent=2, ensure_ascii=False))
    print(report)
