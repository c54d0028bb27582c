"""Push, no-op sync and initial pull of one grid against a real server process, over loopback.

What it measures (the same quantities issue 7 compares with PouchDB):
- households per second pushed (each household = 1 household + 4 members + its latest visit,
  6 mutations), in batches of 500 mutations, gzip request bodies;
- bytes on the wire per household (compressed request + response bodies);
- the cost of a sync with nothing to do (requests, bytes, milliseconds);
- the initial pull of the grid by a fresh device (pages, bytes, seconds).
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import date
from pathlib import Path
from typing import Any

import requests

from sync_server.seed.generator import generate_county

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-pass-1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cli(env: dict[str, str], *args: str, stdin: str | None = None) -> None:
    """`python -m sync_server ...`; `stdin` feeds e.g. `--password-stdin` (never argv)."""
    subprocess.run(
        [sys.executable, "-m", "sync_server", *args],
        env=env,
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
        input=(stdin or "").encode(),
    )


def workload(households: int) -> list[list[dict[str, Any]]]:
    """Realistic households (Chinese names and addresses) with 4 members and their latest visit."""
    per_grid = max(households, 1)
    county = generate_county(
        today=date(2026, 11, 25), households_per_grid=per_grid, villages=1, grids_per_village=1
    )
    by_household: dict[str, dict[str, Any]] = {}
    for rec in county.records:
        key = rec.id if rec.entity == "household" else rec.data["household_id"]
        entry = by_household.setdefault(key, {"household": None, "members": [], "visit": None})
        if rec.entity == "household":
            entry["household"] = rec
        elif rec.entity == "member":
            entry["members"].append(rec)
        else:
            entry["visit"] = rec  # records are in time order: the last one is the latest
    groups: list[list[dict[str, Any]]] = []
    for entry in list(by_household.values())[:households]:
        members = entry["members"][:4]
        group = [
            {
                "entity": "household",
                "id": entry["household"].id,
                "data": entry["household"].data | {"grid_id": "BENCH-01"},
            }
        ]
        group += [{"entity": "member", "id": m.id, "data": m.data} for m in members]
        visit = dict(entry["visit"].data)
        visit.pop("review_comment", None)
        visit["review_status"] = "submitted"
        group.append({"entity": "visit", "id": entry["visit"].id, "data": visit})
        groups.append(group)
    return groups


class Wire:
    """A requests session that counts requests and bytes on the wire (bodies, compressed)."""

    def __init__(self, base: str) -> None:
        self.base, self.http = base, requests.Session()
        self.requests = self.sent = self.received = 0

    def call(self, method: str, path: str, body: Any = None, **kw: Any) -> Any:
        headers = {"Accept-Encoding": "gzip", **kw.pop("headers", {})}
        data = None
        if body is not None:
            data = gzip.compress(json.dumps(body, ensure_ascii=False).encode(), 6)
            headers |= {"Content-Type": "application/json", "Content-Encoding": "gzip"}
        resp = self.http.request(
            method, self.base + path, data=data, headers=headers, stream=True, timeout=120, **kw
        )
        raw = resp.raw.read(decode_content=False)
        self.requests += 1
        self.sent += len(data or b"")
        self.received += len(raw)
        text = gzip.decompress(raw) if resp.headers.get("Content-Encoding") == "gzip" else raw
        assert resp.status_code == 200, (resp.status_code, text[:500])
        return json.loads(text)


@contextmanager
def serve(
    env: dict[str, str], log: Path, *, workers: int = 2, ready_timeout: float = 60.0
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`python -m sync_server serve --workers N` (its own process group) until the block ends:
    its base URL and process. Stopped with SIGINT (gunicorn's quick shutdown), then whatever
    is left of its process group is killed."""
    port = free_port()
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "sync_server", "serve", "--port", str(port),
             "--workers", str(workers)],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + ready_timeout
        while True:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("server did not start:\n" + log.read_text(errors="replace"))
            try:
                if requests.get(base + "/healthz", timeout=1).ok:
                    break
            except requests.RequestException:
                time.sleep(0.1)
        yield base, proc
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)


def run(*, households: int = 1000, database_url: str | None = None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        url = database_url or f"sqlite:///{tmp}/bench.sqlite3"
        env = os.environ | {
            "DATABASE_URL": url,
            "LOG_LEVEL": "WARNING",
            "TIANYE_FAST_PASSWORD_HASH": "1",
            "PYTHONPATH": str(ROOT),
        }
        cli(env, "init-db")
        cli(
            env,
            "create-grid",
            "--id",
            "BENCH-01",
            "--name",
            "基准网格",
            "--village",
            "基准村",
            "--township",
            "基准镇",
        )
        cli(
            env,
            "create-user",
            "--username",
            "bench",
            "--password-stdin",
            "--role",
            "worker",
            "--grid",
            "BENCH-01",
            stdin=PASSWORD + "\n",
        )
        with serve(env, Path(tmp) / "server.log") as (base, _proc):
            return _measure(base, households)


def pull_to_head(wire: Wire, auth: dict[str, str], limit: int = 1000) -> tuple[int, int]:
    """Pull from cursor 0 in pages of `limit` until `has_more` is false: (cursor, changes)."""
    cursor, pulled = 0, 0
    while True:
        page = wire.call("GET", f"/api/v1/sync/pull?cursor={cursor}&limit={limit}", headers=auth)
        cursor, pulled = page["cursor"], pulled + len(page["changes"])
        if not page["has_more"]:
            return cursor, pulled


def login(wire: Wire) -> tuple[str, dict[str, str]]:
    client_id = str(uuid.uuid4())
    body = {
        "username": "bench",
        "password": PASSWORD,
        "client_id": client_id,
        "device_name": "bench",
    }
    token = wire.call("POST", "/api/v1/auth/token", body)["token"]
    return client_id, {"Authorization": f"Bearer {token}"}


def _measure(base: str, households: int) -> dict[str, Any]:
    groups = workload(households)
    wire = Wire(base)
    client_id, auth = login(wire)
    mutations = []
    for group in groups:
        for m in group:
            mutations.append(
                {
                    "mutation_id": len(mutations) + 1,
                    "op": "upsert",
                    "base_version": None,
                    "hlc": None,
                    **m,
                }
            )
    wire.requests = wire.sent = wire.received = 0
    started = time.perf_counter()
    for i in range(0, len(mutations), 500):
        answer = wire.call(
            "POST",
            "/api/v1/sync/push",
            {"client_id": client_id, "schema_version": 1, "mutations": mutations[i : i + 500]},
            headers=auth,
        )
        bad = [r for r in answer["results"] if r["status"] != "applied"]
        assert not bad, bad[:3]
    push_seconds = time.perf_counter() - started
    push = {
        "households": len(groups),
        "mutations": len(mutations),
        "seconds": round(push_seconds, 3),
        "households_per_second": round(len(groups) / push_seconds, 1),
        "requests": wire.requests,
        "bytes_per_household": round((wire.sent + wire.received) / len(groups), 1),
    }

    # Initial pull of the grid on a fresh device.
    fresh = Wire(base)
    _, auth2 = login(fresh)
    fresh.requests = fresh.sent = fresh.received = 0
    started = time.perf_counter()
    cursor, pulled = pull_to_head(fresh, auth2)
    assert pulled == len(mutations), (pulled, len(mutations))
    pull = {
        "records": pulled,
        "seconds": round(time.perf_counter() - started, 3),
        "requests": fresh.requests,
        "bytes": fresh.sent + fresh.received,
        "minutes_at_50_kbit": round((fresh.sent + fresh.received) * 8 / 50_000 / 60, 2),
    }

    # A sync with nothing to do: the outbox is empty, so it is one pull at the head.
    fresh.requests = fresh.sent = fresh.received = 0
    started = time.perf_counter()
    page = fresh.call("GET", f"/api/v1/sync/pull?cursor={cursor}&limit=1000", headers=auth2)
    assert page["changes"] == []
    noop = {
        "requests": fresh.requests,
        "bytes": fresh.sent + fresh.received,
        "ms": round((time.perf_counter() - started) * 1000, 1),
    }
    return {"push": push, "initial_pull": pull, "noop_sync": noop}
