"""SQL statements per mutation and server cost per change of 500-mutation pushes (issue 13).

In-process (Flask test client, the real request path minus the socket) on a fresh SQLite file
or an empty PostgreSQL database: a worker's device pushes 500 new households, then 500
single-field edits made on each record's current version, then 500 edits made on an older
version (each a three-way merge against a history entry). For each push: the SQL statements
the server sent (an executemany counts once; its rows are reported beside it) and the wall
time. Then, on SQLite, the physical floor of `bench scale` (`measure_floor`): the same rows
written by bare `sqlite3`, all in one transaction; the server's cost per change of the
current-base edit push divided by it is the issue's "≤ 6× a bare insert" figure.

    .venv/bin/python -m bench.push_edits [--runs 3] [--database-url URL]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import event

from bench.profile_push import _prepare
from bench.scale import measure_floor
from bench.sync_quick import PASSWORD, workload

BATCH = 500


class _Counter:
    """Statements and rows sent through the engine while `on`."""

    def __init__(self, engine: Any) -> None:
        self.on = False
        self.statements = 0
        self.rows = 0
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, conn: Any, cursor: Any, sql: str, params: Any, ctx: Any, many: bool) -> None:
        if self.on:
            self.statements += 1
            self.rows += len(params) if many else 1

    def reset(self) -> None:
        self.statements = self.rows = 0


def _floor_user(app: Any) -> None:
    """`measure_floor` writes its mutation-log rows for a user named `worker0001`."""
    from datetime import UTC, datetime

    from sync_server.services.admin import create_user

    create_user(
        app.extensions["tianye_db"],
        username="worker0001",
        password=PASSWORD,
        role="worker",
        display_name="floor",
        grids=[],
        township=None,
        now=datetime.now(UTC),
    )


def run(*, database_url: str | None = None, runs: int = 3) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        url = database_url or f"sqlite:///{tmp}/edits.sqlite3"
        client = _prepare(url)
        app = client.application
        _floor_user(app)
        counter = _Counter(app.extensions["tianye_db"].engine)
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
        auth = {"Authorization": f"Bearer {login.get_json()['token']}"}
        mid = 0

        def push(mutations: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], float]:
            body = {"client_id": client_id, "schema_version": 1, "mutations": mutations}
            counter.on = True
            started = time.perf_counter()
            resp = client.post("/api/v1/sync/push", json=body, headers=auth)
            seconds = time.perf_counter() - started
            counter.on = False
            assert resp.status_code == 200, resp.get_data()[:300]
            results: list[dict[str, Any]] = resp.get_json()["results"]
            bad = [r for r in results if r["status"] not in ("applied", "merged")]
            assert not bad, bad[:3]
            return results, seconds

        households = [group[0] for group in workload(BATCH)][:BATCH]
        creates = []
        for h in households:
            mid += 1
            creates.append({"mutation_id": mid, "op": "upsert", "base_version": None} | h)
        counter.reset()
        results, seconds = push(creates)
        figures: dict[str, Any] = {
            "create": {
                "statements": counter.statements,
                "rows": counter.rows,
                "statements_per_mutation": round(counter.statements / BATCH, 3),
                "seconds": round(seconds, 3),
            }
        }
        versions = {m["id"]: r["version"] for m, r in zip(creates, results, strict=True)}
        previous = dict(versions)
        for kind in ("current_base", "older_base"):
            samples, statements, rows = [], [], []
            for attempt in range(runs):
                edits = []
                for i, h in enumerate(households):
                    mid += 1
                    base = versions[h["id"]] if kind == "current_base" else previous[h["id"]]
                    # an older base: the field changed since then is never the one edited
                    older = "notes" if attempt % 2 == 0 else "phone"
                    field = "phone" if kind == "current_base" else older
                    prefix = "139" if kind == "current_base" else "137"
                    value = (
                        f"{prefix}{attempt}{i:07d}" if field == "phone" else f"核实 {attempt} {i}"
                    )
                    edits.append(
                        {
                            "mutation_id": mid,
                            "entity": "household",
                            "id": h["id"],
                            "op": "upsert",
                            "base_version": base,
                            "data": {field: value},
                            "hlc": None,
                        }
                    )
                counter.reset()
                results, seconds = push(edits)
                samples.append(seconds)
                statements.append(counter.statements)
                rows.append(counter.rows)
                for m, r in zip(edits, results, strict=True):
                    previous[m["id"]] = versions[m["id"]]
                    versions[m["id"]] = r["version"]
            figures[kind] = {
                "statements": statements,
                "rows": rows,
                "statements_per_mutation": round(statistics.median(statements) / BATCH, 3),
                "seconds": [round(s, 3) for s in samples],
                "ms_per_change": round(statistics.median(samples) / BATCH * 1000, 3),
            }
        app.extensions["tianye_db"].dispose()  # closes the WAL into the file measured next
        if url.startswith("sqlite"):
            floor = measure_floor(Path(url.removeprefix("sqlite:///")))
            figures["floor"] = floor
            figures["server_over_floor_all_in_one_transaction"] = round(
                figures["current_base"]["ms_per_change"] / floor["one_transaction_for_all_ms"], 2
            )
        return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.push_edits")
    parser.add_argument("--database-url")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(json.dumps(run(database_url=args.database_url, runs=args.runs), indent=2))
