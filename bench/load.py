"""Concurrent devices syncing against `python -m sync_server serve --workers N` (issue 7).

`python -m bench load [--backend sqlite|postgres|both] [--devices 200] [--steps 10,25,50,100,200]
[--workers 2,4] [--duration 30] [--think 0 | 1-5] [--realistic 1-5] [--households 30] [--quick]`

Setup (not timed): a fresh database (a SQLite file in a temp folder, or a PostgreSQL database
created on `--postgres-admin-url` and dropped at the end), one worker, one grid and one install
per device; each device signs in, pushes its grid's households (1 household + 4 members + the
latest visit each, realistic values from `bench.sync_quick.workload`) and pulls them.

Each step runs that many devices at once, one thread each, for `--duration` seconds: a session
pushes 1–5 mutations (edit a household's phone or notes on the version the device holds, add a
visit, add a member; gzip bodies) and pulls to the head; then the device waits `--think`
seconds (`--realistic`: one more step, all devices, with that think time). Every non-2xx
answer, timeout (the phone's: 5 s to connect, 60 s to read), connection error and push result
other than `applied` is an error; a failed push stays in the outbox and is sent again.
Per step: sessions/s, mutations/s, latency p50/p95/p99/max of pushes, pulls and whole
sessions, and the CPU of this process (the load generator), of the server's processes, of the
bench database's PostgreSQL backends and of the rest of the machine, from /proc.

At the end every device pushes what its outbox still holds, and the database is compared with
what the devices were acknowledged: one mutation-log row per mutation id, one history version
per mutation with the version the device was told, and the record counts (exactly once).
The knee of a series is the step after which throughput stops rising by 10 % while p95 grows.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import math
import os
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from bench.sync_quick import ROOT, serve, workload
from mobile_app.sync.client import CONNECT_TIMEOUT, READ_TIMEOUT
from sync_server.slow_clients import THREADS as SERVE_THREADS

PASSWORD = "load-pass-1"
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
# The phone's own timeouts (connect, read): a request slower than that fails on a phone too.
TIMEOUT = (CONNECT_TIMEOUT, READ_TIMEOUT)
KNEE_GAIN = 1.10  # throughput must rise by 10 % for a step to count as still rising
API = "/api/v1"


# --- devices -------------------------------------------------------------------------------


@dataclass
class Device:
    """One simulated phone: its install, token, outbox and what it knows of its grid."""

    index: int
    username: str
    grid_id: str
    households: list[dict[str, Any]]  # the group (household, members, visit) it creates
    rng: random.Random
    base: str = ""  # the server's URL
    client_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    http: requests.Session = field(default_factory=requests.Session)
    headers: dict[str, str] = field(default_factory=dict)
    mutation_id: int = 0
    cursor: int = 0
    versions: dict[str, int] = field(default_factory=dict)  # household id -> version held
    outbox: list[dict[str, Any]] = field(default_factory=list)
    acked: dict[int, int | None] = field(default_factory=dict)  # mutation id -> version
    created: Counter[str] = field(default_factory=Counter)  # records created, by entity

    def mutation(self, entity: str, rid: str, data: dict[str, Any], base: int | None) -> None:
        """Queue one upsert in the outbox (ids strictly increasing, as the phone numbers them)."""
        self.mutation_id += 1
        self.outbox.append(
            {
                "mutation_id": self.mutation_id,
                "entity": entity,
                "id": rid,
                "op": "upsert",
                "base_version": base,
                "data": data,
                "hlc": None,
            }
        )
        if base is None:
            self.created[entity] += 1


class Problem(Exception):
    """A request that failed: the error's label (`push 500`, `pull timeout`, …)."""


@dataclass
class Stats:
    """What one step measured (latencies in seconds)."""

    latency: dict[str, list[float]] = field(
        default_factory=lambda: {"push": [], "pull": [], "session": []}
    )
    errors: Counter[str] = field(default_factory=Counter)
    mutations: int = 0
    error_samples: list[str] = field(default_factory=list)

    def error(self, label: str, detail: str) -> None:
        self.errors[label] += 1
        if len(self.error_samples) < 5:
            self.error_samples.append(f"{label}: {detail[:300]}")


def _call(dev: Device, method: str, path: str, body: Any = None, stats: Stats | None = None) -> Any:
    """One request the way the phone makes it (gzip both ways); times it into `stats`."""
    kind = path.rsplit("/", 1)[-1].split("?")[0]
    headers = {"Accept-Encoding": "gzip", **dev.headers}
    data = None
    if body is not None:
        data = gzip.compress(json.dumps(body, ensure_ascii=False).encode(), 6)
        headers |= {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    started = time.perf_counter()
    try:
        resp = dev.http.request(
            method, dev.base + path, data=data, headers=headers, timeout=TIMEOUT
        )
    except requests.Timeout as exc:
        raise Problem(f"{kind} timeout", str(exc)) from exc
    except requests.RequestException as exc:
        raise Problem(f"{kind} connection error", repr(exc)) from exc
    if stats is not None and kind in stats.latency:
        stats.latency[kind].append(time.perf_counter() - started)
    if not 200 <= resp.status_code < 300:
        raise Problem(f"{kind} {resp.status_code}", resp.text)
    return resp.json()


def _sign_in(dev: Device) -> None:
    body = {
        "username": dev.username,
        "password": PASSWORD,
        "client_id": dev.client_id,
        "device_name": f"load {dev.index}",
    }
    token = _call(dev, "POST", f"{API}/auth/token", body)["token"]
    dev.headers = {"Authorization": f"Bearer {token}"}


def _push(dev: Device, stats: Stats | None) -> None:
    """Push the outbox (one request: at most a few hundred mutations here)."""
    if not dev.outbox:
        return
    body = {"client_id": dev.client_id, "schema_version": 1, "mutations": dev.outbox}
    answer = _call(dev, "POST", f"{API}/sync/push", body, stats)
    sent = {m["mutation_id"]: m for m in dev.outbox}
    for result in answer["results"]:
        mid = result["mutation_id"]
        if result["status"] != "applied":
            # Each device is the only writer of its grid: anything else is a finding.
            raise Problem(f"push {result['status']}", json.dumps(result, ensure_ascii=False))
        dev.acked[mid] = result.get("version")
        m = sent.pop(mid, None)
        if m is not None and m["entity"] == "household":
            dev.versions[m["id"]] = result["version"]
    dev.outbox = [m for m in dev.outbox if m["mutation_id"] in sent]
    if dev.outbox:
        raise Problem("push unanswered", f"{len(dev.outbox)} mutations without a result")
    if stats is not None:
        stats.mutations += len(answer["results"])


def _pull(dev: Device, stats: Stats | None) -> int:
    """Pull to the head; the number of changes received."""
    received = 0
    while True:
        page = _call(dev, "GET", f"{API}/sync/pull?cursor={dev.cursor}&limit=1000", None, stats)
        for change in page["changes"]:
            if change["entity"] == "household" and not change.get("removed"):
                dev.versions[change["id"]] = change["version"]
        received += len(page["changes"])
        dev.cursor = page["cursor"]
        if not page["has_more"]:
            return received


def _new_id() -> str:
    return str(uuid.uuid4())


def _phone(rng: random.Random) -> str:
    return "1" + rng.choice("3578") + "".join(str(rng.randint(0, 9)) for _ in range(9))


def _queue_batch(dev: Device, members: list[dict[str, Any]]) -> None:
    """1–5 mutations: edits of distinct households on the version held, new visits, members."""
    rng = dev.rng
    edited: set[str] = set()
    for _ in range(rng.randint(1, 5)):
        group = rng.choice(dev.households)
        hid = group[0]["id"]
        kind = rng.choices(("edit", "visit", "member"), weights=(5, 3, 2))[0]
        if kind == "edit" and hid not in edited:
            edited.add(hid)
            if rng.random() < 0.5:
                change = {"phone": _phone(rng)}
            else:
                change = {"notes": f"入户核实 {dev.mutation_id + 1}"}
            dev.mutation("household", hid, change, dev.versions[hid])
        elif kind == "member":
            member = dict(rng.choice(members)) | {"household_id": hid}
            dev.mutation("member", _new_id(), member, None)
        else:
            visit = dict(group[-1]["data"]) | {"household_id": hid}
            dev.mutation("visit", _new_id(), visit, None)


def _session(dev: Device, members: list[dict[str, Any]], stats: Stats) -> None:
    """One sync session: queue new work (unless a failed push still waits), push, pull."""
    if not dev.outbox:
        _queue_batch(dev, members)
    started = time.perf_counter()
    try:
        _push(dev, stats)
        _pull(dev, stats)
    except Problem as exc:
        stats.error(*exc.args)
        return
    stats.latency["session"].append(time.perf_counter() - started)


# --- CPU accounting from /proc -----------------------------------------------------------------

TICK = os.sysconf("SC_CLK_TCK")


def _proc_stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds incl. reaped children) of `pid`, or None if it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()
    ppid = int(fields[1])
    utime, stime, cutime, cstime = (int(x) for x in fields[11:15])
    return ppid, (utime + stime + cutime + cstime) / TICK


def _processes() -> dict[int, tuple[int, float]]:
    """Every process: pid -> (parent pid, CPU seconds)."""
    found: dict[int, tuple[int, float]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _proc_stat(int(entry))
            if stat is not None:
                found[int(entry)] = stat
    return found


def _tree(procs: dict[int, tuple[int, float]], root: int) -> dict[int, float]:
    """CPU seconds of `root` and its descendants (gunicorn master and workers), per pid."""
    out: dict[int, float] = {}
    todo = [root]
    while todo:
        pid = todo.pop()
        if pid in procs:
            out[pid] = procs[pid][1]
        todo += [p for p, (pp, _) in procs.items() if pp == pid]
    return out


def _named(procs: dict[int, tuple[int, float]], name: str) -> dict[int, float]:
    """CPU seconds per pid of the processes whose command line holds `name` (PostgreSQL titles
    its backends `postgres: <user> <database> …`)."""
    out: dict[int, float] = {}
    for pid, (_, cpu) in procs.items():
        try:
            if name.encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
                out[pid] = cpu
        except OSError:
            continue
    return out


def _machine_busy() -> float:
    """Busy CPU seconds of the whole machine since boot (all cores)."""
    values = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values[:8]) - idle) / TICK


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _grown(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU used in between by the processes alive at the end (a backend that exited is lost)."""
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


Marks = tuple[float, float, float, dict[int, float], dict[int, float]]


@dataclass
class CpuMeter:
    """CPU used between `start()` and `stop()`: this process (the load generator), the server
    tree, the PostgreSQL backends of the bench database (`db_name`), and the whole machine."""

    server_pid: int
    db_name: str | None = None
    marks: Marks | None = None

    def _now(self) -> Marks:
        procs = _processes()
        db = _named(procs, self.db_name) if self.db_name else {}
        server = _tree(procs, self.server_pid)
        return (time.perf_counter(), _own_cpu(), _machine_busy(), server, db)

    def start(self) -> None:
        self.marks = self._now()

    def stop(self, sessions: int) -> dict[str, float]:
        """Shares of the machine's capacity (cores × wall time), and server and database CPU
        per session: the cost of a session whatever else the machine was doing."""
        end, start = self._now(), self.marks
        assert start is not None, "start() first"
        wall, own, busy = (b - a for a, b in zip(start[:3], end[:3], strict=True))
        server, db = _grown(start[3], end[3]), _grown(start[4], end[4])
        capacity = wall * (os.cpu_count() or 1)

        def pct(seconds: float) -> float:
            return round(100 * max(seconds, 0.0) / capacity, 1)

        return {
            "cores": os.cpu_count() or 1,
            "bench_pct": pct(own),
            "server_pct": pct(server),
            "db_pct": pct(db),
            "rest_pct": pct(busy - own - server - db),
            "idle_pct": pct(capacity - busy),
            "server_ms_per_session": round(1000 * server / sessions, 1) if sessions else 0.0,
            "db_ms_per_session": round(1000 * db / sessions, 1) if sessions else 0.0,
        }


# --- the server, the database ------------------------------------------------------------------


@contextmanager
def _postgres(admin_url: str) -> Iterator[str]:
    """A fresh database `tianye_bench_load_<hex>` next to `admin_url`, dropped at the end."""
    import psycopg

    name = f"tianye_bench_load_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{admin_url.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _prepare(
    url: str, devices: int, households: int, seed: int
) -> tuple[list[Device], list[dict[str, Any]]]:
    """Migrate, create each device's grid and worker; its households and spare members."""
    from sync_server.extensions import Database
    from sync_server.migrations import upgrade
    from sync_server.services.admin import create_grid, create_user

    groups = workload(devices * households + 40)
    spare = groups[devices * households :]
    members = [m["data"] for g in spare for m in g[1:-1] if m["data"]["relation"] != "head"]
    db = Database(url)
    try:
        assert db.engine is not None
        upgrade(db.engine)
        now = datetime.now(UTC)
        out: list[Device] = []
        for i in range(devices):
            grid_id, username = f"LOAD-{i + 1:03d}", f"load{i + 1:03d}"
            create_grid(
                db,
                grid_id=grid_id,
                name=f"负载网格{i + 1}",
                village="基准村",
                township="基准镇",
                now=now,
            )
            create_user(
                db,
                username=username,
                password=PASSWORD,
                role="worker",
                display_name=f"负载{i + 1}",
                grids=[grid_id],
                now=now,
            )
            own = [_in_grid(g, grid_id) for g in groups[i * households : (i + 1) * households]]
            out.append(Device(i, username, grid_id, own, random.Random(seed * 100_003 + i)))
    finally:
        db.dispose()
    return out, members


def _in_grid(group: list[dict[str, Any]], grid_id: str) -> list[dict[str, Any]]:
    """A workload group (household, members, visit) with its household in `grid_id`."""
    head = group[0] | {"data": group[0]["data"] | {"grid_id": grid_id}}
    return [head, *group[1:]]


def _first_sync(dev: Device) -> None:
    """Sign in, push the grid's households, pull them (setup: not timed)."""
    _sign_in(dev)
    for group in dev.households:
        for m in group:
            dev.mutation(m["entity"], m["id"], m["data"], None)
    _push(dev, None)
    _pull(dev, None)


def _verify(url: str, devices: list[Device]) -> dict[str, Any]:
    """Compare the database with what the devices were acknowledged (exactly once)."""
    from sqlalchemy import create_engine, text

    from sync_server.config import normalize_database_url

    engine = create_engine(normalize_database_url(url))
    problems: list[str] = []
    try:
        with engine.connect() as conn:
            logged: dict[str, tuple[int, int]] = {
                r[0]: (r[1], r[2])
                for r in conn.execute(
                    text(
                        "SELECT client_id, COUNT(*), MAX(mutation_id) FROM mutation_log"
                        " GROUP BY client_id"
                    )
                )
            }
            versions: dict[tuple[str, int], list[int]] = {}
            for cid, mid, version in conn.execute(
                text(
                    "SELECT client_id, mutation_id, version FROM record_versions"
                    " WHERE client_id IS NOT NULL"
                )
            ):
                versions.setdefault((cid, mid), []).append(version)
            counts = dict(
                conn.execute(text("SELECT entity, COUNT(*) FROM records GROUP BY entity")).all()
            )
    finally:
        engine.dispose()
    acked = sum(len(d.acked) for d in devices)
    for dev in devices:
        want = (dev.mutation_id, dev.mutation_id)
        if dev.outbox or len(dev.acked) != dev.mutation_id:
            problems.append(f"{dev.username}: {len(dev.outbox)} mutations never acknowledged")
        if logged.get(dev.client_id, (0, 0)) != want:
            problems.append(f"{dev.username}: log holds {logged.get(dev.client_id)}, want {want}")
        for mid, version in dev.acked.items():
            held = versions.get((dev.client_id, mid), [])
            if held != [version]:
                problems.append(f"{dev.username} #{mid}: versions {held}, acknowledged {version}")
    duplicates = sum(1 for v in versions.values() if len(v) > 1)
    expected = Counter[str]()
    for dev in devices:
        expected.update(dev.created)
    if dict(expected) != {k: counts.get(k, 0) for k in expected}:
        problems.append(f"records {counts}, devices created {dict(expected)}")
    return {
        "mutations_acknowledged": acked,
        "mutation_log_rows": sum(n for n, _ in logged.values()),
        "history_versions": sum(len(v) for v in versions.values()),
        "duplicates": duplicates,
        "records": counts,
        "problems": problems[:20],
        "ok": not problems,
    }


# --- steps -----------------------------------------------------------------------------------


def _percentiles(values: list[float]) -> dict[str, float | int]:
    if not values:
        return {"n": 0}
    ordered = sorted(values)

    def rank(p: float) -> float:
        return round(1000 * ordered[max(math.ceil(p / 100 * len(ordered)) - 1, 0)], 1)

    return {
        "n": len(ordered),
        "p50_ms": rank(50),
        "p95_ms": rank(95),
        "p99_ms": rank(99),
        "max_ms": round(1000 * ordered[-1], 1),
    }


def _think(rng: random.Random, think: tuple[float, float]) -> float:
    return rng.uniform(*think) if think[1] > 0 else 0.0


def run_step(
    devices: list[Device],
    members: list[dict[str, Any]],
    *,
    duration: float,
    think: tuple[float, float],
    meter: CpuMeter,
) -> dict[str, Any]:
    """All `devices` at once for `duration` seconds; their figures."""
    stats = Stats()
    deadline = time.perf_counter() + duration
    reconnect = think[0] >= 1.0  # a phone that waits seconds between syncs opens a new connection

    def loop(dev: Device) -> None:
        time.sleep(_think(dev.rng, (0.0, think[1])))  # spread the first sessions
        while time.perf_counter() < deadline:
            _session(dev, members, stats)
            if reconnect:
                dev.http.close()
            pause = min(_think(dev.rng, think), max(deadline - time.perf_counter(), 0.0))
            time.sleep(pause)

    threads = [threading.Thread(target=loop, args=(d,), daemon=True) for d in devices]
    meter.start()
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - started
    sessions = len(stats.latency["session"])
    cpu = meter.stop(sessions)
    return {
        "devices": len(devices),
        "think_s": list(think),
        "seconds": round(seconds, 2),
        "sessions": sessions,
        "sessions_per_s": round(sessions / seconds, 1),
        "mutations": stats.mutations,
        "mutations_per_s": round(stats.mutations / seconds, 1),
        "push": _percentiles(stats.latency["push"]),
        "pull": _percentiles(stats.latency["pull"]),
        "session": _percentiles(stats.latency["session"]),
        "errors": sum(stats.errors.values()),
        "error_kinds": dict(stats.errors),
        "error_samples": stats.error_samples,
        "cpu": cpu,
    }


def knee(steps: list[dict[str, Any]]) -> dict[str, Any]:
    """The last step before throughput stops rising by `KNEE_GAIN` while p95 keeps growing."""
    for here, after in itertools.pairwise(steps):
        flat = after["sessions_per_s"] < KNEE_GAIN * here["sessions_per_s"]
        slower = after["session"].get("p95_ms", 0) > here["session"].get("p95_ms", 0)
        if flat and slower:
            return {
                "devices": here["devices"],
                "sessions_per_s": here["sessions_per_s"],
                "session_p95_ms": here["session"].get("p95_ms"),
            }
    return {"devices": None, "note": f"throughput still rising at {steps[-1]['devices']}"}


def _series(
    devices: list[Device],
    members: list[dict[str, Any]],
    proc: subprocess.Popen[bytes],
    *,
    steps: list[int],
    duration: float,
    think: tuple[float, float],
    realistic: tuple[float, float] | None,
    db_name: str | None,
    progress: Callable[[str], None],
) -> dict[str, Any]:
    """A warm-up (each worker builds its schemas on first use), each step in turn, then all
    devices with the `realistic` think time."""
    meter = CpuMeter(proc.pid, db_name)
    warm = devices[: min(len(devices), 20)]
    warmup = run_step(warm, members, duration=min(duration, 3.0), think=(0.0, 0.0), meter=meter)
    results = []
    plan = [(n, think) for n in steps] + ([(len(devices), realistic)] if realistic else [])
    for n, pause in plan:
        step = run_step(devices[:n], members, duration=duration, think=pause, meter=meter)
        cpu = step["cpu"]
        progress(
            f"  {n} devices, think {pause}: {step['sessions_per_s']} sessions/s, session p95"
            f" {step['session'].get('p95_ms')} ms, errors {step['errors']},"
            f" cpu % bench/server/db/rest {cpu['bench_pct']}/{cpu['server_pct']}/{cpu['db_pct']}"
            f"/{cpu['rest_pct']}, server {cpu['server_ms_per_session']} ms/session"
        )
        results.append(step)
    series = results[: len(steps)]
    out = {"warmup_errors": warmup["error_kinds"], "steps": series, "knee": knee(series)}
    if realistic:
        out["realistic"] = results[-1]
    return out


def run_backend(
    url: str,
    *,
    devices: int,
    households: int,
    steps: list[int],
    workers: list[int],
    duration: float,
    think: tuple[float, float],
    realistic: tuple[float, float] | None = None,
    seed: int = 1,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """Setup on `url`, the steps for each `--workers` value, the final exactly-once check."""
    os.environ.setdefault("TIANYE_FAST_PASSWORD_HASH", "1")
    started = time.perf_counter()
    devs, members = _prepare(url, devices, households, seed)
    result: dict[str, Any] = {"devices": devices, "households_per_device": households}
    with tempfile.TemporaryDirectory(prefix="tianye-load-") as tmp:
        env = os.environ | {
            "DATABASE_URL": url,
            "LOG_LEVEL": "WARNING",
            "TIANYE_FAST_PASSWORD_HASH": "1",
            "PYTHONPATH": str(ROOT),
        }
        log = Path(tmp) / "server.log"
        try:
            for i, n in enumerate(workers):
                with serve(env, log, workers=n) as (base, proc):
                    for dev in devs:
                        dev.base = base
                    if i == 0:
                        with ThreadPoolExecutor(8) as pool:
                            list(pool.map(_first_sync, devs))
                        result["setup_seconds"] = round(time.perf_counter() - started, 1)
                        progress(f" setup done in {result['setup_seconds']} s")
                    progress(f" serve --workers {n}")
                    series = _series(
                        devs,
                        members,
                        proc,
                        steps=steps,
                        duration=duration,
                        think=think,
                        realistic=realistic,
                        db_name=None if url.startswith("sqlite") else url.rsplit("/", 1)[1],
                        progress=progress,
                    )
                    result[f"workers_{n}"] = series
                    if i == len(workers) - 1:
                        drain = Stats()
                        for dev in devs:  # a push that failed is still in the outbox
                            for _ in range(3):
                                try:
                                    _push(dev, drain)
                                    break
                                except Problem as exc:
                                    drain.error(*exc.args)
                        result["drain_errors"] = dict(drain.errors)
        finally:
            for dev in devs:
                dev.http.close()
            text = log.read_text(errors="replace") if log.exists() else ""
            result["server_log_tail"] = text[-3000:] if "Traceback" in text else ""
    result["exactly_once"] = _verify(url, devs)
    return result


def _parse_think(value: str) -> tuple[float, float]:
    low, _, high = value.partition("-")
    return float(low), float(high or low)


def run(
    *,
    backends: list[str],
    devices: int,
    households: int,
    steps: list[int],
    workers: list[int],
    duration: float,
    think: tuple[float, float],
    realistic: tuple[float, float] | None = None,
    postgres_admin_url: str = PG_ADMIN_URL,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """Every backend in turn; the machine and settings with the figures."""
    steps = [n for n in steps if n <= devices] or [devices]
    result: dict[str, Any] = {
        "machine": {
            "cores": os.cpu_count(),
            "python": sys.version.split()[0],
            "note": "the load generator shares these cores with the server (see cpu)",
        },
        "settings": {
            "devices": devices,
            "steps": steps,
            "workers": workers,
            "threads_per_worker": SERVE_THREADS,
            "duration_s": duration,
            "think_s": list(think),
            "realistic_think_s": list(realistic) if realistic else None,
        },
    }
    for backend in backends:
        progress(f"{backend}:")
        kw = {
            "devices": devices,
            "households": households,
            "steps": steps,
            "workers": workers,
            "duration": duration,
            "think": think,
            "realistic": realistic,
            "progress": progress,
        }
        if backend == "sqlite":
            with tempfile.TemporaryDirectory(prefix="tianye-load-db-") as tmp:
                result[backend] = run_backend(f"sqlite:///{tmp}/load.sqlite3", **kw)
        else:
            with _postgres(postgres_admin_url) as url:
                result[backend] = run_backend(url, **kw)
    return result


def _think_label(step: dict[str, Any]) -> str:
    low, high = step.get("think_s", [0, 0])
    if not high:
        return ""
    return f" (think {low:g}–{high:g} s)" if high != low else f" (think {low:g} s)"


def table(result: dict[str, Any]) -> str:
    """The figures as Markdown tables, one per backend."""
    lines: list[str] = []
    for backend in ("sqlite", "postgres"):
        if backend not in result:
            continue
        data = result[backend]
        lines += [
            f"\n{backend} — exactly once: {'ok' if data['exactly_once']['ok'] else 'FAILED'}"
            f" ({data['exactly_once']['mutations_acknowledged']} mutations)",
            "",
            "| workers | devices | sessions/s | mutations/s | push p50/p95/p99/max ms"
            " | pull p50/p95/p99/max ms | session p50/p95/p99 ms | errors"
            " | CPU % bench/server/db/rest/idle | server (+db) CPU ms/session |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for key in sorted(k for k in data if k.startswith("workers_")):
            rows = data[key]["steps"] + (
                [data[key]["realistic"]] if "realistic" in data[key] else []
            )
            for s in rows:
                push, pull, ses, cpu = s["push"], s["pull"], s["session"], s["cpu"]

                def q(d: dict[str, Any], keys: tuple[str, ...]) -> str:
                    return "/".join(str(round(d.get(k, 0))) for k in keys)

                every = ("p50_ms", "p95_ms", "p99_ms", "max_ms")
                lines.append(
                    f"| {key.split('_')[1]} | {s['devices']}{_think_label(s)}"
                    f" | {s['sessions_per_s']} | {s['mutations_per_s']}"
                    f" | {q(push, every)} | {q(pull, every)}"
                    f" | {q(ses, every[:3])} | {s['errors']}"
                    f" | {cpu['bench_pct']}/{cpu['server_pct']}/{cpu['db_pct']}/{cpu['rest_pct']}"
                    f"/{cpu['idle_pct']} | {cpu['server_ms_per_session']}"
                    f" (+{cpu['db_ms_per_session']}) |"
                )
            k = data[key]["knee"]
            lines.append(
                f"\nknee, {key.replace('_', ' ')}: "
                + (
                    f"{k['devices']} devices ({k['sessions_per_s']} sessions/s)"
                    if k["devices"]
                    else k["note"]
                )
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench load", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--devices", type=int, default=200)
    parser.add_argument("--steps", default="10,25,50,100,200", help="devices per step")
    parser.add_argument("--workers", default="2,4", help="serve --workers values")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds per step")
    parser.add_argument("--think", default="0", help="seconds between sessions: 0, 2 or 1-5")
    parser.add_argument(
        "--realistic", help="after the steps: all devices with this think time, e.g. 1-5"
    )
    parser.add_argument("--households", type=int, default=30, help="per device's grid")
    parser.add_argument("--postgres-admin-url", default=PG_ADMIN_URL)
    parser.add_argument("--json", help="also write the result to this file")
    parser.add_argument(
        "--quick", action="store_true", help="20 devices, 10 s, SQLite, --workers 2"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.backend, args.devices, args.steps, args.workers = "sqlite", 20, "5,20", "2"
        args.duration, args.households = 10.0, 10
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    result = run(
        backends=backends,
        devices=args.devices,
        households=args.households,
        steps=[int(x) for x in args.steps.split(",")],
        workers=[int(x) for x in args.workers.split(",")],
        duration=args.duration,
        think=_parse_think(args.think),
        realistic=_parse_think(args.realistic) if args.realistic else None,
        postgres_admin_url=args.postgres_admin_url,
        progress=lambda line: print(line, file=sys.stderr, flush=True),
    )
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2, ensure_ascii=False))
    print(json.dumps(result, indent=2, ensure_ascii=False))
    print(table(result))
    return 0 if all(clean(result[b]) for b in backends) else 1


def clean(backend: dict[str, Any]) -> bool:
    """No error in any step, warm-up or drain, and the exactly-once check passed."""
    series = [v for k, v in backend.items() if k.startswith("workers_")]
    steps = [s for v in series for s in v["steps"] + ([v["realistic"]] if "realistic" in v else [])]
    errors = sum(s["errors"] for s in steps) + sum(backend["drain_errors"].values())
    errors += sum(sum(v["warmup_errors"].values()) for v in series)
    return errors == 0 and backend["exactly_once"]["ok"]


if __name__ == "__main__":
    sys.exit(main())
