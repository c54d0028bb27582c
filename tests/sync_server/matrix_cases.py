"""Shared pieces of the guard tests: a database snapshot (to prove a refused request wrote
nothing), the JSON error check, and a module-scoped "world" of grids, users and records.

The world is built once per backend and shared by many table cells, so every cell that may
write (a push, a resolve, a review, a revoke) prepares its OWN fresh target records and
sessions first; cells never depend on each other's order. A refusal is then checked against
a snapshot taken right before the request.
"""

from __future__ import annotations

import itertools
import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from tests.conftest import Seed, Session
from tests.sync_server.helpers import household, member, mutation, new_id, push, visit

# Grid -> (township, worker). g2 is in the supervisor's township but not the worker's grid;
# g9 is in another township altogether.
GRIDS = {"g1": ("t1", "wang"), "g2": ("t1", "li"), "g9": ("t9", "zhou")}
CALLERS = {"worker": "wang", "supervisor": "zhao", "admin": "root"}
ROLES = ("anonymous", "worker", "supervisor", "admin")

_COUNTS = (
    "records",
    "record_versions",
    "mutation_log",
    "conflicts",
    "removals",
    "grids",
    "users",
    "settings",
    "monitoring_cases",
    "case_events",
    "case_measures",
    "audit_log",
    "console_sessions",
)
_SCALARS = {
    "open_conflicts": "SELECT count(*) FROM conflicts WHERE status = 'open'",
    "revoked_tokens": "SELECT count(*) FROM api_tokens WHERE revoked_at IS NOT NULL",
    "max_version": "SELECT coalesce(max(version), 0) FROM records",
    "last_mutation_ids": "SELECT coalesce(sum(last_mutation_id), 0) FROM clients",
    "counter": "SELECT coalesce(max(value), 0) FROM sync_counter",
    "pending": "SELECT coalesce(sum(pending_count), 0) FROM clients",
}


def snapshot(database: Any) -> dict[str, Any]:
    """Row counts of every data table plus the values a write would move."""
    with database.engine.connect() as conn:
        shot: dict[str, Any] = {
            name: conn.execute(text(f"SELECT count(*) FROM {name}")).scalar_one()
            for name in _COUNTS
        }
        for name, sql in _SCALARS.items():
            shot[name] = conn.execute(text(sql)).scalar_one()
        shot["assignments"] = sorted(
            tuple(row) for row in conn.execute(text("SELECT id, worker_id FROM grids"))
        )
        shot["user_rows"] = sorted(
            tuple(row)
            for row in conn.execute(
                text(
                    "SELECT username, role, display_name, township, active, password_hash "
                    "FROM users"
                )
            )
        )
        shot["statuses"] = sorted(
            tuple(row) for row in conn.execute(text("SELECT id, status FROM conflicts"))
        )
    return shot


def assert_json_error(response: Any, status: int) -> dict[str, Any]:
    """The protocol's error body: JSON `{code, status, message, errors}` with `status`."""
    text_ = response.get_data(as_text=True)
    assert response.status_code == status, (response.status_code, text_[:500])
    assert response.mimetype == "application/json", text_[:300]
    body: dict[str, Any] = response.get_json()
    assert {"code", "status", "message", "errors"} <= set(body), body
    assert body["code"] == status and isinstance(body["message"], str) and body["message"]
    assert isinstance(body["errors"], dict)
    return body


# --- the world ------------------------------------------------------------------------


_numbers = itertools.count(1)


def unique_no() -> str:
    """A household number no other record of the module uses."""
    return f"52260100{next(_numbers):05d}"


@dataclass
class World:
    """A running app with the GRIDS, their workers, two supervisors and an admin."""

    app: Any
    client: Any
    database: Any
    seed: Seed
    static: dict[str, dict[str, str]] = field(default_factory=dict)
    _devices: dict[str, Session] = field(default_factory=dict)

    def login(self, username: str) -> Session:
        """A fresh device (new client id, mutation ids from 1) of `username`."""
        return self.seed.login(self.client, username)

    def device(self, username: str) -> Session:
        """The long-lived device of `username` used to build fixtures."""
        if username not in self._devices:
            self._devices[username] = self.login(username)
        return self._devices[username]

    def household(self, grid: str, *, head_name: str | None = None) -> tuple[str, int, str]:
        """A new household in `grid` made by its worker: (id, version, head name)."""
        worker = self.device(GRIDS[grid][1])
        hid = new_id()
        name = head_name or f"户主{uuid.uuid4().hex[:6]}"
        data = household(grid, head_name=name, household_no=unique_no())
        r = push(self.client, worker, mutation(worker, "household", hid, data))
        result = r.get_json()["results"][0]
        assert result["status"] == "applied", result
        return hid, result["version"], name

    def visit(self, grid: str) -> tuple[str, str]:
        """A new submitted visit in `grid`: (visit id, household id)."""
        worker = self.device(GRIDS[grid][1])
        hid, _v, _n = self.household(grid)
        vid = new_id()
        r = push(self.client, worker, mutation(worker, "visit", vid, visit(hid)))
        assert r.get_json()["results"][0]["status"] == "applied", r.get_json()
        return vid, hid

    def member(self, grid: str) -> tuple[str, str]:
        """A new member in `grid`: (member id, household id)."""
        worker = self.device(GRIDS[grid][1])
        hid, _v, _n = self.household(grid)
        mid = new_id()
        r = push(self.client, worker, mutation(worker, "member", mid, member(hid)))
        assert r.get_json()["results"][0]["status"] == "applied", r.get_json()
        return mid, hid

    def conflict(self, grid: str) -> tuple[str, str]:
        """An open phone conflict on a new household of `grid`: (conflict id, household id)."""
        hid, v1, _n = self.household(grid)
        first = self.device(GRIDS[grid][1])
        second = self.login(GRIDS[grid][1])
        push(
            self.client,
            first,
            mutation(first, "household", hid, {"phone": "13811112222"}, base_version=v1),
        )
        r = push(
            self.client,
            second,
            mutation(second, "household", hid, {"phone": "13922223333"}, base_version=v1),
        )
        [cid] = r.get_json()["results"][0]["conflicts"]
        return cid, hid


def _build(app: Any) -> World:
    from sync_server.extensions import EXTENSION_KEY

    database = app.extensions[EXTENSION_KEY]
    seed = Seed(database)
    for grid, (township, _worker) in GRIDS.items():
        seed.grid(grid, township=township)
    for grid, (_township, worker) in GRIDS.items():
        seed.user(worker, grids=[grid])
    seed.user("zhao", role="supervisor", township="t1")
    seed.user("qian", role="supervisor", township="t9")
    seed.user("root", role="admin")
    seed.grid("g5", township="t5")
    seed.user("sun", grids=[])
    world = World(app, app.test_client(), database, seed)
    for grid in GRIDS:
        hid, _v, name = world.household(grid)
        cid, _h = world.conflict(grid)
        mid, _h = world.member(grid)
        vid, _h = world.visit(grid)
        world.static[grid] = {
            "household": hid,
            "head_name": name,
            "conflict": cid,
            "member": mid,
            "visit": vid,
        }
    return world


BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def open_world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """The body of a module-scoped `world` fixture parametrized over BACKENDS: one world per
    backend for the whole module, on its own SQLite file or PostgreSQL database."""
    from sync_server import create_app

    if request.param == "sqlite":
        template: Path = request.getfixturevalue("_sqlite_template")
        path = tmp_path_factory.mktemp("guard") / "guard.sqlite3"
        shutil.copyfile(template, path)
        url = f"sqlite:///{path}"
        yield from _with_app(create_app, url)
        return
    import psycopg

    from tests.conftest import PG_ADMIN_URL, _migrate

    name = f"tianye_guard_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL unreachable in CI at {PG_ADMIN_URL}: {exc}")
        pytest.skip(f"PostgreSQL unreachable at {PG_ADMIN_URL}: {exc}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            url = f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
            _migrate(url)
            yield from _with_app(create_app, url)
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _with_app(create_app: Any, url: str) -> Iterator[World]:
    app = create_app(
        {"DATABASE_URL": url, "TESTING": True, "LOG_LEVEL": "CRITICAL", "LOGIN_MAX_FAILURES": 10**6}
    )
    try:
        yield _build(app)
    finally:
        from sync_server.extensions import EXTENSION_KEY

        app.extensions[EXTENSION_KEY].dispose()
