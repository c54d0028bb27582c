"""Migrations match the models (SQLite and PostgreSQL), the committed OpenAPI document is
current, and the CLI creates what the API then serves (a real server subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

import requests
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from sync_server.cli import openapi_text
from sync_server.config import normalize_database_url
from sync_server.models import Base

ROOT = Path(__file__).resolve().parents[2]


def test_migrations_match_the_models(db_url):
    engine = create_engine(normalize_database_url(db_url))
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, Base.metadata)
        assert diff == []
        tables = set(inspect(engine).get_table_names())
        assert set(Base.metadata.tables) <= tables
    finally:
        engine.dispose()


def test_migrations_downgrade_and_upgrade(tmp_path):
    from sync_server.extensions import Database
    from sync_server.migrations import downgrade, upgrade

    db = Database(f"sqlite:///{tmp_path / 'm.sqlite3'}")
    assert db.engine is not None
    upgrade(db.engine)
    downgrade(db.engine, "base")
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    upgrade(db.engine)
    assert "records" in inspect(db.engine).get_table_names()
    db.dispose()


def test_committed_openapi_is_current():
    committed = (ROOT / "openapi.json").read_text(encoding="utf-8")
    assert committed == openapi_text(), "run: python -m sync_server openapi"
    spec = json.loads(committed)
    for path in (
        "/api/v1/auth/token",
        "/api/v1/sync/push",
        "/api/v1/sync/pull",
        "/api/v1/conflicts",
        "/api/v1/conflicts/{conflict_id}/resolve",
        "/api/v1/visits/{visit_id}/review",
        "/api/v1/records/{entity}/{record_id}/history",
        "/api/v1/admin/grids",
        "/api/v1/admin/users",
        "/api/v1/admin/assignments",
        "/api/v1/config",
        "/api/v1/me",
        "/api/v1/sync/report",
        "/healthz",
    ):
        assert path in spec["paths"], path
    assert "409" in spec["paths"]["/api/v1/sync/push"]["post"]["responses"]


def test_openapi_is_served(client):
    r = client.get("/api/openapi.json")
    assert r.status_code == 200 and r.get_json()["info"]["title"] == "Tianye sync API"


def run_cli(db_url, *args, stdin=""):
    return subprocess.run(
        [sys.executable, "-m", "sync_server", "--database-url", db_url, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        input=stdin,
    )


def test_cli_commands_then_live_server(db_url, live_server_factory):
    assert run_cli(db_url, "init-db").returncode == 0  # idempotent on a migrated database
    r = run_cli(
        db_url,
        "create-grid",
        "--id",
        "g7",
        "--name",
        "七组",
        "--village",
        "南花村",
        "--township",
        "t1",
    )
    assert r.returncode == 0, r.stderr
    r = run_cli(
        db_url,
        "create-user",
        "--username",
        "zhou",
        "--password-stdin",
        "--role",
        "worker",
        "--grid",
        "g7",
        "--display-name",
        "周",
        stdin="pw-long-1\n",
    )
    assert r.returncode == 0, r.stderr
    dup = run_cli(
        db_url, "create-grid", "--id", "g7", "--name", "x", "--village", "y", "--township", "z"
    )
    assert dup.returncode == 1 and "grid_exists" in dup.stderr
    server = live_server_factory(workers=2)
    body = {
        "username": "zhou",
        "password": "pw-long-1",
        "client_id": str(uuid.uuid4()),
        "device_name": "phone",
    }
    token = requests.post(f"{server.url}/api/v1/auth/token", json=body, timeout=30)
    assert token.status_code == 200 and [g["id"] for g in token.json()["grids"]] == ["g7"]
    html = requests.get(f"{server.url}/api/v1/nope", timeout=30)
    assert html.status_code == 404 and html.headers["Content-Type"] == "application/json"
    docs = requests.get(f"{server.url}/api/docs", timeout=30)
    assert docs.status_code == 200 and "swagger" in docs.text.lower()


def test_cli_loads_plugin_commands():
    from sync_server.cli import COMMANDS, parser

    parser()
    assert {"init-db", "create-user", "create-grid", "assign-grid", "serve", "openapi"} <= set(
        COMMANDS
    )


def test_rate_limit_without_redis_never_lets_more_through(seed, live_server_factory):
    """In memory each of the two gunicorn workers allows its share (5 of 10): spread over both,
    no more than ten attempts get a password check; then 429 with `Retry-After`."""
    seed.grid("g1")
    seed.user("wang", grids=["g1"])
    url = live_server_factory(workers=2).url
    body = {"username": "wang", "client_id": str(uuid.uuid4()), "device_name": "p"}
    statuses = []
    for _ in range(20):  # a new connection each time: the workers take turns
        r = requests.post(
            f"{url}/api/v1/auth/token", json=body | {"password": "wrong-1"}, timeout=30
        )
        statuses.append(r.status_code)
    assert set(statuses) == {401, 429} and 5 <= statuses.count(401) <= 10, statuses
    r = requests.post(
        f"{url}/api/v1/auth/token", json=body | {"password": seed.password}, timeout=30
    )
    if r.status_code == 429:  # the other worker may still have its share left
        assert r.headers["Content-Type"] == "application/json"
        assert 0 < int(r.headers["Retry-After"]) <= 900
