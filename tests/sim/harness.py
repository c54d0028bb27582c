"""The seeded field simulation: real phones (Store + SyncRunner) against a real server.

`Simulation(config).run()` builds a fresh database (SQLite file or a new PostgreSQL database),
starts `python -m sync_server serve` (2 workers on SQLite, 4 on PostgreSQL) behind a
`FaultProxy`, and drives N phones and a supervisor for M steps with one `random.Random(seed)`.
Every decision (which device, which operation, ids, values, faults) comes from seeded RNGs
and the run is single-threaded, so a seed replays the same request sequence. After the steps
the faults are switched off, every device drains its outbox and pulls to head, and
`check_invariants()` returns the invariant violations (empty when all hold).

Devices are paired: device i belongs to worker `w{i // 2}`, who owns grid `g-{i // 2}`, so
two phones of the same grid edit the same households (the server has one worker per grid).
Worker w0 also owns `g-x`, reassigned to w1 halfway through (admin API) when there are two
workers. Clock skew is a per-device offset of up to ±3 days applied to the `now` callable;
it must never change the final server state (`state_fingerprint`).
"""

from __future__ import annotations

import itertools
import json
import random
import re
import sys
import threading
import time
import uuid
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
import sqlalchemy as sa

from mobile_app.store import Store, ValidationFailed, crashpoints
from mobile_app.sync import SyncClient, SyncError, SyncRunner
from shared_schema.schemas.records import validate_record
from tests.conftest import PG_ADMIN_URL, LiveServer, Seed, _migrate
from tests.mobile_app.test_store_fixtures import household, member, visit
from tests.sim.faults import FaultProxy

START = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
PHONES = ("13800000001", "13800000002", "13911112222", "13733334444")
NOTES = ("", "门口有狗", "户主外出务工", "需复查", "低保待审")
ADDRESSES = ("一组 1 号", "二组 7 号", "三组 12 号", "四组 3 号")
NAMES = ("李四", "王五", "赵六", "钱七")
# the points a sync passes (the store's save and encryption points are not reached by a sync)
CRASH_POINTS = tuple(p for p in crashpoints.POINTS if p.startswith(("push.", "pull.")))
TRACE_LEN = 40


# one step is one simulated hour; a week offline is this many steps
WEEK_STEPS = 7 * 24


class InFlight:
    """Pushes under way at once, and the most seen (concurrent mode really overlaps them)."""

    def __init__(self) -> None:
        self.now = self.peak = 0
        self._lock = threading.Lock()

    def __enter__(self) -> None:
        with self._lock:
            self.now += 1
            self.peak = max(self.peak, self.now)

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self.now -= 1


class RecordingClient(SyncClient):
    """The app's SyncClient, also noting every mutation it sends (the device's own log)."""

    inflight = InFlight()  # replaced per simulation

    def __init__(self, sent: dict[int, tuple[str, str, str, Any]], *args: Any) -> None:
        super().__init__(*args)
        self.sent = sent

    def push(self, client_id: str, mutations: list[dict[str, Any]]) -> dict[str, Any]:
        for m in mutations:
            self.sent[m["mutation_id"]] = (m["entity"], m["id"], m["op"], m.get("data"))
        with self.inflight:
            return super().push(client_id, mutations)


class SimCrash(Exception):
    """Raised at a crash point: the app dies there (the runner is abandoned mid-run)."""


@dataclass
class SimConfig:
    """One simulation: seed, size, backend and the per-device clock skews (in hours)."""

    seed: int
    devices: int = 4
    steps: int = 40
    backend: str = "sqlite"
    skews: list[float] | None = None  # hours per device; None: seeded within ±72 h
    fault_rate: float = 0.15
    workdir: Path = field(default_factory=lambda: Path("/tmp"))
    # soak sizing: run until the phones saved this many mutations in all (`steps` is ignored)
    saves: int | None = None
    # devices sync in their own threads at the same time (not replayable; see docs/simulation.md)
    concurrent: bool = False


@dataclass
class Device:
    """One phone: a Store on its own file and a runner; faults are applied by the harness."""

    index: int
    username: str
    path: Path
    skew: timedelta
    store: Store | None = None
    runner: SyncRunner | None = None
    client: SyncClient | None = None
    offline_until: int = -1
    cursors: list[int] = field(default_factory=list)
    sent: dict[int, tuple[str, str, str, Any]] = field(default_factory=dict)
    # last value this device saved per (entity, id) and field: must never be lost
    saved: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    saves: int = 0  # mutations saved on this phone (creates, edits, deletes)


class Simulation:
    """Builds the world, runs the steps, drains and checks (see the module docstring)."""

    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self._rng = random.Random(config.seed)
        self._tl = threading.local()  # concurrent mode: each device thread's rng and counts
        self._lock = threading.Lock()
        self.step = 0
        self.trace: deque[str] = deque(maxlen=TRACE_LEN)
        self.history: list[str] = []  # every event, for the trace of implicated records
        self._counts: Counter[str] = Counter()
        self._crashes: Counter[str] = Counter()  # device crashes by crash point
        self.checked: Counter[str] = Counter()  # items each invariant looked at (last check)
        self.violations: Counter[str] = Counter()  # violations per invariant (last check)
        self.progress_every = 0  # print a progress line every N saves (0: never)
        self.pushes = InFlight()  # pushes in flight at once (peak)
        self.findings: Counter[str] = Counter()  # edits left rejected on a phone, by reason
        self.deleted: set[tuple[str, str]] = set()  # records some phone deleted
        self.server: LiveServer | None = None
        self.proxy: FaultProxy | None = None
        self.db_url = ""
        self._pg_name: str | None = None
        self._engine: sa.Engine | None = None
        self.devices: list[Device] = []
        self.workers = max(1, (config.devices + 1) // 2)
        self.grids = {f"w{k}": [f"g-{k}"] for k in range(self.workers)}
        self.grids["w0"].append("g-x")
        self.households: dict[str, str] = {}  # id -> grid

    # In concurrent mode each device thread has its own rng and counters (merged when it
    # ends); otherwise these are the run's single rng and counters.
    @property
    def rng(self) -> random.Random:
        return getattr(self._tl, "rng", self._rng)

    @property
    def counts(self) -> Counter[str]:
        return getattr(self._tl, "counts", self._counts)

    @property
    def crashes(self) -> Counter[str]:
        return getattr(self._tl, "crashes", self._crashes)

    @property
    def saves(self) -> int:
        """Mutations saved on all phones (each phone's count is only written by its thread)."""
        return sum(d.saves for d in self.devices)

    # -- world -------------------------------------------------------------------------------
    def __enter__(self) -> Simulation:
        self._database()
        from sync_server.extensions import Database

        database = Database(self.db_url)
        seed = Seed(database)
        for grids in self.grids.values():
            for grid in grids:
                seed.grid(grid, township="t1")
        for worker, grids in self.grids.items():
            seed.user(worker, grids=grids)
        seed.user("sup", role="supervisor", township="t1")
        seed.user("root", role="admin")
        database.dispose()
        workers = 4 if self.config.backend == "postgres" else 2
        self.server = LiveServer(self.db_url, workers=workers)
        self.proxy = FaultProxy(
            self.server.port, seed=self.config.seed, rate=self.config.fault_rate
        )
        self.sup = self._token("sup")
        self.admin = self._token("root")
        skew_rng = random.Random(self.config.seed ^ 0x5EED)
        for i in range(self.config.devices):
            hours = (
                self.config.skews[i % len(self.config.skews)]
                if self.config.skews is not None
                else skew_rng.uniform(-72, 72)
            )
            dev = Device(
                i, f"w{i // 2}", self.config.workdir / f"dev{i}.sqlite3", timedelta(hours=hours)
            )
            self._open(dev, first=True)
            self.devices.append(dev)
        return self

    def __exit__(self, *exc: object) -> None:
        for dev in self.devices:
            self._close(dev)
        if self._engine is not None:
            self._engine.dispose()
        if self.proxy is not None:
            self.proxy.close()
        if self.server is not None:
            self.server.stop()
        if self._pg_name is not None:
            import psycopg

            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{self._pg_name}" WITH (FORCE)')

    def _database(self) -> None:
        if self.config.backend == "sqlite":
            path = self.config.workdir / "server.sqlite3"
            path.unlink(missing_ok=True)
            self.db_url = f"sqlite:///{path}"
        else:
            import psycopg

            self._pg_name = f"tianye_sim_{uuid.uuid4().hex[:10]}"
            with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3) as admin:
                admin.execute(f'CREATE DATABASE "{self._pg_name}"')
            self.db_url = f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{self._pg_name}"
        _migrate(self.db_url)

    def _token(self, username: str) -> dict[str, str]:
        assert self.server is not None
        r = requests.post(
            f"{self.server.url}/api/v1/auth/token",
            json={
                "username": username,
                "password": Seed.password,
                "client_id": str(uuid.UUID(int=self.rng.getrandbits(128), version=4)),
                "device_name": "console",
            },
            timeout=30,
        )
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['token']}"}

    def now(self, dev: Device) -> datetime:
        """The device's clock: simulated time (one hour a step) plus its skew."""
        return START + timedelta(hours=self.step) + dev.skew

    def _open(self, dev: Device, *, first: bool = False) -> None:
        """Open (or reopen after a crash/restart) the device's Store and build its runner."""
        assert self.proxy is not None
        dev.store = Store(dev.path)
        dev.client = RecordingClient(dev.sent)
        dev.client.inflight = self.pushes
        if first:
            # deterministic client id: the same seed replays the same mutation log
            with dev.store.db.transaction() as conn:
                cid = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
                conn.execute(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES ('client_id', ?)", (cid,)
                )
            answer = dev.client.login(
                self.proxy.url,
                dev.username,
                Seed.password,
                dev.store.session.client_id(),
                f"sim{dev.index}",
            )
            dev.store.session.save_login(
                server_url=self.proxy.url,
                user=answer["user"],
                token=answer["token"],
                grids=answer["grids"],
            )
        else:
            session = dev.store.session.get()
            dev.client = RecordingClient(dev.sent, session.server_url, session.token)
            dev.client.inflight = self.pushes
        runner_rng = random.Random(self.config.seed * 1000 + dev.index)
        dev.runner = SyncRunner(
            dev.store,
            dev.client,
            now=lambda: self.now(dev),
            sleep=lambda _s: None,
            random=runner_rng.random,
            max_attempts=3,
            max_mutations=4,
            pull_limit=7,
        )

    def _close(self, dev: Device) -> None:
        if dev.store is not None:
            dev.store.close()
            dev.store = None
        if dev.client is not None:
            dev.client.session.close()
            dev.client = None

    def log(self, text: str) -> None:
        line = f"[{self.step:03d}] {text}"
        self.trace.append(line)
        self.history.append(line)

    def trace_for(self, problems: list[str]) -> str:
        """The events naming a record (by its 8-character prefix) that a problem names."""
        prefixes = {m[:8] for p in problems for m in re.findall(r"[0-9a-f]{8}-[0-9a-f-]{27}", p)}
        lines = [h for h in self.history if any(x in h for x in prefixes)]
        return "\n  ".join(lines[-TRACE_LEN:])

    # -- the run -----------------------------------------------------------------------------
    def run(self) -> None:
        """All steps with faults on, then the clean drain."""
        assert self.proxy is not None
        self._started, self._next_progress = time.monotonic(), 0
        try:
            self.proxy.enabled = True
            target = self.config.saves
            reassigned = False
            if self.config.concurrent:
                self._run_concurrently()
                self.proxy.enabled = False
                self.drain()
                return
            for step in itertools.count():
                if (step >= self.config.steps) if target is None else (self.saves >= target):
                    break
                self.step = step
                halfway = (
                    step == self.config.steps // 2 if target is None else self.saves >= target // 2
                )
                if halfway and not reassigned and self.workers >= 2:
                    self._reassign()
                    reassigned = True
                self._one_step()
                self._progress()
            self.proxy.enabled = False
            self.step = step
            self.drain()
        except BaseException:
            print(self.report())  # pytest shows it with the failure: seed and last events
            raise

    def _progress(self) -> None:
        if self.progress_every and self.saves >= self._next_progress:
            self._next_progress = self.saves + self.progress_every
            elapsed = time.monotonic() - self._started
            print(
                f"[soak {elapsed:7.0f} s] step {self.step}: {self.saves} saved,"
                f" {sum(len(d.sent) for d in self.devices)} pushed,"
                f" {self.saves / max(elapsed, 1e-9):.1f} saves/s",
                file=sys.stderr,
                flush=True,
            )

    def _done(self) -> bool:
        if self.config.saves is None:
            return self.step >= self.config.steps
        return self.saves >= self.config.saves

    def _run_concurrently(self) -> None:
        """Each device acts in its own thread (its Store is used by that thread only); the
        supervisor and the admin in another. One step of simulated time passes per device
        action. The interleaving depends on the scheduler: a seed does not replay."""
        stop = threading.Event()
        errors: list[BaseException] = []

        def device_loop(dev: Device) -> None:
            self._tl.rng = random.Random(self.config.seed * 7919 + dev.index)
            self._tl.counts, self._tl.crashes = Counter(), Counter()
            try:
                while not stop.is_set() and not self._done():
                    with self._lock:
                        self.step += 1
                    self._device_action(dev)
            except BaseException as exc:
                errors.append(exc)
                stop.set()
            finally:
                with self._lock:
                    self._counts.update(self._tl.counts)
                    self._crashes.update(self._tl.crashes)

        def supervisor_loop() -> None:
            self._tl.rng = random.Random(self.config.seed * 7919 - 1)
            self._tl.counts, self._tl.crashes = Counter(), Counter()
            reassigned, next_at = False, 12
            target = self.config.saves
            try:
                while not stop.is_set() and not self._done():
                    half = (
                        self.step >= self.config.steps // 2
                        if target is None
                        else (self.saves >= target // 2)
                    )
                    if half and not reassigned and self.workers >= 2:
                        self._reassign()
                        reassigned = True
                    if self.step >= next_at:  # about 8% of the actions, as in serial runs
                        next_at = self.step + 12
                        self._supervisor()
                    else:
                        time.sleep(0.01)
                    self._progress()
            except BaseException as exc:
                errors.append(exc)
                stop.set()
            finally:
                with self._lock:
                    self._counts.update(self._tl.counts)

        crashpoints.hook = self._crash_hook
        threads = [
            threading.Thread(target=device_loop, args=(d,), name=f"dev{d.index}")
            for d in self.devices
        ] + [threading.Thread(target=supervisor_loop, name="supervisor")]
        try:
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        except BaseException:  # e.g. Ctrl-C: stop every thread before the stores are closed
            stop.set()
            for t in threads:
                t.join()
            raise
        finally:
            crashpoints.hook = None
        if errors:
            raise errors[0]

    def _crash_hook(self, point: str) -> None:
        """The crash-point hook: raises in the thread whose sync asked for that point."""
        if point == getattr(self._tl, "crash", None):
            raise SimCrash(point)

    def _one_step(self) -> None:
        r = self.rng.random()
        if r < 0.08:
            self._supervisor()
            return
        self._device_action(self.rng.choice(self.devices))

    def _device_action(self, dev: Device) -> None:
        op = self.rng.random()
        if op < 0.24:
            self._sync(dev)
        elif op < 0.28:
            self._sync(dev, crash=self.rng.choice(CRASH_POINTS))
        elif op < 0.30:
            self.counts["restart"] += 1
            self.log(f"d{dev.index} restart")
            self._close(dev)
            self._open(dev)
        elif op < 0.32:
            if self.rng.random() < 0.25:  # a week in a valley without signal
                dev.offline_until = self.step + WEEK_STEPS
                self.counts["offline_week"] += 1
            else:
                dev.offline_until = self.step + self.rng.randint(5, 15)
                self.counts["offline"] += 1
            self.log(f"d{dev.index} offline until {dev.offline_until}")
        else:
            for _ in range(self.rng.randint(1, 3)):  # a worker saves a few forms in a row
                self._edit(dev)

    # -- device operations -------------------------------------------------------------------
    def _local(self, dev: Device, entity: str) -> list[str]:
        assert dev.store is not None
        rows = dev.store.db.query(
            "SELECT id FROM records WHERE entity=? AND deleted=0 ORDER BY id", (entity,)
        )
        return [r["id"] for r in rows]

    def _save(self, dev: Device, entity: str, rid: str, data: dict[str, Any], what: str) -> bool:
        assert dev.store is not None
        try:
            dev.store.records.save(
                entity, rid, data, now=self.now(dev), hlc_node=dev.store.session.client_id()
            )
        except ValidationFailed as exc:
            self.counts["refused_locally"] += 1
            self.log(f"d{dev.index} {what} refused locally: {exc}")
            return False
        values = dev.saved.setdefault((entity, rid), {})
        for key, value in data.items():
            if key != "review_status":
                values[key] = value
        self._count_save(dev)
        self.counts[what] += 1
        self.log(f"d{dev.index} {what} {entity} {rid[:8]}")
        return True

    def _new_id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _edit(self, dev: Device) -> None:
        assert dev.store is not None
        rng = self.rng
        hids = self._local(dev, "household")
        op = rng.random()
        grids = self.grids[dev.username]
        if op < 0.15 or not hids:
            hid = self._new_id()
            grid = rng.choice(grids)
            with self._lock:  # numbers stay distinct when phones save at the same time
                self.households[hid] = grid
                number = len(self.households)
            data = household(grid_id=grid, household_no=f"{number:04d}")
            self._save(dev, "household", hid, data, "create_household")
            return
        # a few hot households: the two phones of a grid often edit the same one
        hid = rng.choice(hids[:3] if rng.random() < 0.6 else hids)
        current = dev.store.records.get("household", hid)
        assert current is not None
        if op < 0.55:
            data = dict(current.data)
            key, value = rng.choice(
                [
                    ("phone", rng.choice(PHONES)),
                    ("notes", rng.choice(NOTES)),
                    ("address", rng.choice(ADDRESSES)),
                    ("head_name", rng.choice(NAMES)),
                ]
            )
            data[key] = value
            if self._save(dev, "household", hid, data, "edit_household"):
                dev.saved[("household", hid)] = {key: value}
        elif op < 0.70:
            members = [m for m in dev.store.members.for_household(hid) if not m.deleted]
            if not members:
                self._save(dev, "member", self._new_id(), member(hid), "add_member")
            elif rng.random() < 0.5:
                self._save(
                    dev,
                    "member",
                    self._new_id(),
                    member(hid, relation="other", name=rng.choice(NAMES)),
                    "add_member",
                )
            else:
                m = rng.choice(members)
                if rng.random() < 0.5:
                    data = dict(m.data) | {"status": "moved_out"}
                    if self._save(dev, "member", m.id, data, "member_moved_out"):
                        dev.saved[("member", m.id)] = {"status": "moved_out"}
                else:
                    dev.store.records.delete(
                        "member", m.id, now=self.now(dev), hlc_node=dev.store.session.client_id()
                    )
                    self.deleted.add(("member", m.id))
                    self._forget(dev, "member", m.id)
                    self._count_save(dev)
                    self.counts["delete_member"] += 1
                    self.log(f"d{dev.index} delete member {m.id[:8]}")
        elif op < 0.92:
            returned = [
                v
                for v in dev.store.visits.for_household(hid)
                if v.data.get("review_status") == "returned"
            ]
            if returned and rng.random() < 0.6:
                # the worker answers the supervisor: fix the visit and resubmit it
                v = rng.choice(returned)
                data = dict(v.data) | {"notes": rng.choice(NOTES) + "（已核实）"}
                data.pop("review_comment", None)
                if self._save(dev, "visit", v.id, data, "resubmit_visit"):
                    dev.saved[("visit", v.id)] = {"notes": data["notes"]}
                return
            day = (START + timedelta(hours=self.step) - timedelta(days=5)).date()
            data = visit(hid, visit_date=day.isoformat(), notes=rng.choice(NOTES))
            self._save(dev, "visit", self._new_id(), data, "create_visit")
        else:
            # the delete cascades to the household's members and visits on the phone
            for row in dev.store.db.query(
                "SELECT entity, id FROM records WHERE household_id=?", (hid,)
            ):
                self._forget(dev, row["entity"], row["id"])
            dev.store.records.delete(
                "household", hid, now=self.now(dev), hlc_node=dev.store.session.client_id()
            )
            self.deleted.add(("household", hid))
            self._forget(dev, "household", hid)
            self._count_save(dev)
            self.counts["delete_household"] += 1
            self.log(f"d{dev.index} delete household {hid[:8]}")

    @staticmethod
    def _count_save(dev: Device) -> None:
        dev.saves += 1

    @staticmethod
    def _forget(dev: Device, entity: str, rid: str) -> None:
        """A device that deletes a record gives up its own unsent values of it."""
        dev.saved.pop((entity, rid), None)

    def _sync(self, dev: Device, crash: str | None = None) -> None:
        assert dev.runner is not None and dev.store is not None
        if self.step < dev.offline_until:
            self.counts["sync_while_offline"] += 1
            return
        self._tl.crash = crash
        if crash is not None and not self.config.concurrent:
            crashpoints.hook = self._crash_hook
        try:
            result = dev.runner.run()
            self.log(f"d{dev.index} sync ok {dict(result.statuses)} cursor={result.cursor}")
            self.counts["sync_ok"] += 1
        except SimCrash as exc:
            self.counts["crash"] += 1
            self.crashes[str(exc)] += 1
            self.log(f"d{dev.index} crash at {exc}")
            self._close(dev)
            self._open(dev)
        except SyncError as exc:
            self.counts["sync_failed"] += 1
            self.log(f"d{dev.index} sync failed {type(exc).__name__}: {str(exc)[:80]}")
        finally:
            self._tl.crash = None
            if not self.config.concurrent:
                crashpoints.hook = None
        assert dev.store is not None
        dev.cursors.append(dev.store.sync_state.get().cursor)

    # -- supervisor and admin (HTTP, no faults) ----------------------------------------------
    def _api(
        self, method: str, path: str, headers: dict[str, str], body: Any = None, **params: Any
    ) -> Any:
        assert self.server is not None
        r = requests.request(
            method, self.server.url + path, headers=headers, json=body, params=params, timeout=30
        )
        return r.status_code, r.json()

    def _supervisor(self) -> None:
        rng = self.rng
        if rng.random() < 0.5:
            _, body = self._api("GET", "/api/v1/conflicts", self.sup, status="open")
            open_ = sorted(
                body["conflicts"],
                key=lambda c: (c["entity"], c["record_id"], c["field"], c["mutation_id"] or 0),
            )
            if open_:
                c = rng.choice(open_)
                value = c["client_value"] if rng.random() < 0.5 else c["server_value"]
                status, _answer = self._api(
                    "POST", f"/api/v1/conflicts/{c['id']}/resolve", self.sup, {"value": value}
                )
                self.counts["resolve"] += 1
                self.log(f"sup resolve {c['entity']} {c['record_id'][:8]}.{c['field']} -> {status}")
                return
        visits = sorted(self._server_records("visit"))
        if visits:
            vid = rng.choice(visits)
            action = rng.choice(["return", "approve"])
            status, _ = self._api(
                "POST",
                f"/api/v1/visits/{vid}/review",
                self.sup,
                {"action": action, "comment": "请核实收入"},
            )
            self.counts[f"review_{action}"] += 1
            self.log(f"sup {action} visit {vid[:8]} -> {status}")

    def _reassign(self) -> None:
        status, body = self._api(
            "POST", "/api/v1/admin/assignments", self.admin, {"grid_id": "g-x", "username": "w1"}
        )
        assert status == 200, body
        self.grids["w0"].remove("g-x")
        self.grids["w1"].append("g-x")
        self.counts["reassign"] += 1
        self.log("admin reassign g-x w0 -> w1")

    # -- drain and checks ----------------------------------------------------------------------
    def drain(self) -> None:
        """Faults off, everyone online a week later (the clocks jump 7 days, so a phone that
        went offline for a week comes back a week on): sync round-robin until a round pushes
        nothing."""
        self.step += WEEK_STEPS
        for dev in self.devices:
            dev.offline_until = -1
        for _round in range(6):
            pushed = 0
            for dev in self.devices:
                assert dev.runner is not None
                result = dev.runner.run()
                pushed += result.pushed
                assert dev.store is not None
                dev.cursors.append(dev.store.sync_state.get().cursor)
            if pushed == 0:
                return
        raise AssertionError("the drain did not settle in 6 rounds")

    def _server_records(self, entity: str) -> list[str]:
        rows = self._rows("SELECT id FROM records WHERE entity=:e AND deleted=false", e=entity)
        return [r[0] for r in rows]

    def _json(self, value: Any) -> Any:
        """A JSON column read by `_rows`: text on SQLite, already decoded on PostgreSQL (where a
        string such as "13800000002" must not be decoded a second time, into a number)."""
        return _load(value) if self.config.backend == "sqlite" else value

    def _rows(self, sql: str, **params: Any) -> list[Any]:
        """Rows of a read-only query on the server's database (the checks read it directly)."""
        if self._engine is None:
            self._engine = sa.create_engine(self.db_url, poolclass=sa.NullPool)
        with self._engine.connect() as conn:
            return list(conn.execute(sa.text(sql), params))

    def state_fingerprint(self) -> list[Any]:
        """The final server state without timestamps or server-made ids (for the skew rerun)."""
        records = [
            (r.entity, r.id, r.version, bool(r.deleted), self._json(r.data))
            for r in self._rows(
                "SELECT entity, id, version, deleted, data FROM records ORDER BY entity, id"
            )
        ]
        conflicts = [
            (
                r.entity,
                r.record_id,
                r.field,
                self._json(r.client_value),
                self._json(r.server_value),
                r.status,
            )
            for r in self._rows(
                "SELECT entity, record_id, field, client_value, server_value, status FROM conflicts"
            )
        ]
        return [records, sorted(conflicts, key=repr)]

    def check_invariants(self) -> list[str]:
        """Every violated invariant, as a sentence (empty: all hold).

        Also fills `checked` (how many items each invariant looked at) and `violations` (how
        many it found), for the soak report. Every check is linear in what it reads.
        """
        problems: list[str] = []
        checked: Counter[str] = Counter()
        violations: Counter[str] = Counter()

        def found(invariant: str, problem: str) -> None:
            problems.append(problem)
            violations[invariant] += 1

        server = {
            (r.entity, r.id): (r.version, bool(r.deleted), self._json(r.data), r.grid_id)
            for r in self._rows("SELECT entity, id, version, deleted, data, grid_id FROM records")
        }
        versions: dict[tuple[str, str], list[tuple[int, bool, dict[str, Any], Any, Any]]] = {}
        written_at: dict[tuple[str, str, int], str] = {}
        for r in self._rows(
            "SELECT entity, record_id, version, deleted, data, client_id, mutation_id, created_at"
            " FROM record_versions ORDER BY version"
        ):
            versions.setdefault((r.entity, r.record_id), []).append(
                (r.version, bool(r.deleted), self._json(r.data), r.client_id, r.mutation_id)
            )
            if r.client_id is None:  # written on the server (console, conflict resolution)
                written_at[(r.entity, r.record_id, r.version)] = str(r.created_at)
        conflicts = self._rows(
            "SELECT entity, record_id, field, client_value, client_data, status, resolved_version,"
            " resolved_at FROM conflicts"
        )
        conflicts_of: dict[tuple[str, str], list[Any]] = {}
        for c in conflicts:
            conflicts_of.setdefault((c.entity, c.record_id), []).append(c)
        log = self._rows(
            "SELECT client_id, mutation_id, status, entity, record_id, op, data FROM mutation_log"
            " ORDER BY client_id, mutation_id"
        )
        log_of: dict[str, list[Any]] = {}
        for r in log:
            log_of.setdefault(r.client_id, []).append(r)
        # 1. every stored server record validates
        for (entity, rid), (_v, deleted, data, _g) in server.items():
            if not deleted:
                checked["valid"] += 1
                if errors := validate_record(entity, data, lang="en"):
                    found("valid", f"server {entity} {rid} does not validate: {errors}")
        # 2. exactly once: no mutation produced two versions; each client's log is 1..last
        seen: Counter[tuple[Any, Any]] = Counter()
        for history in versions.values():
            for _v, _d, _data, cid, mid in history:
                if cid is not None and mid is not None:
                    seen[(cid, mid)] += 1
        checked["exactly_once.versions"] += len(seen)
        for k, n in seen.items():
            if n > 1:
                found("exactly_once", f"mutation {k} applied {n} times")
        for dev in self.devices:
            assert dev.store is not None
            cid = dev.store.session.client_id()
            mine = log_of.get(cid, [])
            ids = [int(r.mutation_id) for r in mine]
            for r in mine:
                checked["exactly_once.log"] += 1
                entity, rid, op, data = dev.sent.get(int(r.mutation_id), (None,) * 4)
                if (entity, rid, op) != (r.entity, r.record_id, r.op) or data != self._json(r.data):
                    found(
                        "exactly_once",
                        f"d{dev.index}: server log #{r.mutation_id} {r.entity} {r.record_id}"
                        f" {r.op} is not what the device sent ({entity} {rid} {op})",
                    )
            if ids != list(range(1, len(ids) + 1)):
                found("exactly_once", f"d{dev.index}: mutation log ids not 1..n: {ids}")
            state = dev.store.sync_state.get()
            if state.last_mutation_id != len(ids):
                found(
                    "exactly_once",
                    f"d{dev.index}: device last_mutation_id {state.last_mutation_id}"
                    f" != server {len(ids)}",
                )
            if dev.store.outbox.count():
                found(
                    "exactly_once", f"d{dev.index}: outbox not drained ({dev.store.outbox.count()})"
                )
            # 3. cursors monotonic
            checked["cursors"] += len(dev.cursors)
            if dev.cursors != sorted(dev.cursors):
                found("cursors", f"d{dev.index}: cursor went back: {dev.cursors}")
        # 4. convergence: each device holds exactly the live server records of its grids
        for dev in self.devices:
            assert dev.store is not None
            grids = set(self.grids[dev.username])
            want = {
                key: (v, data)
                for key, (v, deleted, data, grid) in server.items()
                if not deleted and grid in grids
            }
            have = {}
            for row in dev.store.db.query("SELECT entity, id FROM records WHERE deleted=0"):
                rec = dev.store.records.get(row["entity"], row["id"])
                assert rec is not None
                have[(rec.entity, rec.id)] = (rec.version, rec.data)
            # an edit the server rejected stays on the phone for the worker to fix (by design)
            rejected = dev.store.rejected.list()
            held = {(r.entity, r.record_id) for r in rejected}
            for r in rejected:
                self.findings[f"{r.entity} rejected on {','.join(sorted(r.errors))}"] += 1
            for key in sorted((set(want) | set(have)) - held):
                checked["convergence"] += 1
                if want.get(key) != have.get(key):
                    found(
                        "convergence",
                        f"d{dev.index} diverges on {key}:"
                        f" device {have.get(key)} server {want.get(key)}",
                    )
        # 5. no acknowledged value lost
        for dev in self.devices:
            assert dev.store is not None
            cid = dev.store.session.client_id()
            kept: dict[tuple[str, str], list[dict[str, Any]]] = {}
            for p in dev.store.parked.list():
                kept.setdefault((p.entity, p.record_id), []).append(p.data)
            # a rejected mutation's data is kept in the server's log (protocol-notes.md)
            for r in log_of.get(cid, []):
                if r.status == "rejected":
                    kept.setdefault((r.entity, r.record_id), []).append(self._json(r.data) or {})
            for (entity, rid), values in sorted(dev.saved.items()):
                for key, value in sorted(values.items()):
                    checked["no_value_lost"] += 1
                    if any(
                        d.get(key) == value
                        for _v, _del, d, _c, _m in versions.get((entity, rid), [])
                    ):
                        continue
                    if any(
                        (c.field == key and self._json(c.client_value) == value)
                        or (self._json(c.client_data) or {}).get(key) == value
                        for c in conflicts_of.get((entity, rid), [])
                    ):
                        continue
                    if any(d.get(key) == value for d in kept.get((entity, rid), [])):
                        continue
                    found("no_value_lost", f"d{dev.index} lost {entity} {rid}.{key}={value!r}")
        # 6. no resurrection: a record deleted and alive again only through a resolved conflict
        resolved = {
            (c.entity, c.record_id, c.resolved_version) for c in conflicts if c.status == "resolved"
        }

        def household_of(entity: str, rid: str) -> Any:
            return (
                rid
                if entity == "household"
                else server.get((entity, rid), (0, 0, {}))[2].get("household_id")
            )

        # restoring a household (or a member/visit of a deleted household) brings back, in the
        # same transaction (same timestamp), the household and the children its delete took
        # along (issue 6)
        restored_with = {
            (household_of(c.entity, c.record_id), str(c.resolved_at))
            for c in conflicts
            if c.status == "resolved" and c.field == "_deleted"
        }
        for key, history in versions.items():
            for before, after in itertools.pairwise(history):
                checked["no_resurrection"] += 1
                if (
                    before[1]
                    and not after[1]
                    and (key[0], key[1], after[0]) not in resolved
                    and (household_of(*key), written_at.get((*key, after[0]))) not in restored_with
                ):
                    found(
                        "no_resurrection", f"{key} resurrected at version {after[0]} after a delete"
                    )
        self.checked, self.violations = checked, violations
        return problems

    def report(self) -> str:
        """Seed, counts and the last events (printed on failure)."""
        assert self.proxy is not None
        faults = dict(self.proxy.counts)
        return (
            f"seed={self.config.seed} backend={self.config.backend} "
            f"devices={self.config.devices} steps={self.config.steps}\n"
            f"network faults: {faults} (requests {self.proxy.requests})\n"
            f"left rejected on phones: {dict(self.findings)}\n"
            f"events: {dict(self.counts)}\nlast events:\n  "
            + "\n  ".join(self.trace)
            + "\nlast network faults:\n  "
            + "\n  ".join(self.proxy.events[-10:])
        )


def _load(value: Any) -> Any:
    """JSON columns come back decoded on PostgreSQL and as text on some SQLite paths."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def run_simulation(config: SimConfig) -> tuple[list[str], list[Any], str]:
    """Run one simulation: (violations, final state fingerprint, report)."""
    with Simulation(config) as sim:
        sim.run()
        return sim.check_invariants(), sim.state_fingerprint(), sim.report()
