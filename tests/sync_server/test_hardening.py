"""Issue 15 point 7: cookie settings from the environment, private database files, redirects
that stay on the site, and sign-in with absurd usernames (never a 500, on SQLite and PostgreSQL).
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, Seed
from tests.ui.console.world import build_world, csrf_of


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _sign_in(client: Any, username: str, password: str = "pass-word-1", **extra: str) -> Any:
    page = client.get("/console/login")
    data = {"username": username, "password": password, "csrf_token": csrf_of(page.text)}
    return client.post("/console/login", data=data | extra)


@pytest.fixture
def people(seed: Any) -> Any:
    seed.grid("g1")
    seed.user("wang", grids=["g1"])
    seed.user("sup", role="supervisor", township="t1")
    return seed


# --- CONSOLE_SECURE_COOKIES ---------------------------------------------------------------


@pytest.mark.parametrize(("value", "secure"), [("1", True), ("0", False), ("auto", False)])
def test_console_secure_cookies_is_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, value: str, secure: bool
) -> None:
    from sync_server import create_app
    from sync_server.config import Config

    monkeypatch.setenv("CONSOLE_SECURE_COOKIES", value)
    assert value == Config().CONSOLE_SECURE_COOKIES
    app = create_app({"DATABASE_URL": sqlite_url, "TESTING": True, "LOG_LEVEL": "WARNING"})
    try:
        Seed(app.extensions["tianye_db"]).user("sup", role="supervisor", township="t1")
        response = _sign_in(app.test_client(), "sup")  # plain HTTP
        assert response.status_code == 302
        assert ("Secure" in response.headers["Set-Cookie"]) is secure
    finally:
        app.extensions["tianye_db"].dispose()


def test_an_unknown_secure_cookies_value_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from sync_server.config import Config

    monkeypatch.setenv("CONSOLE_SECURE_COOKIES", "maybe")
    with pytest.raises(ValueError, match="CONSOLE_SECURE_COOKIES"):
        Config()


# --- private database files ---------------------------------------------------------------


def test_a_new_sqlite_database_and_its_folder_are_private(tmp_path: Path) -> None:
    from sqlalchemy import text

    from sync_server.extensions import Database

    folder = tmp_path / "instance" / "nested"
    path = folder / "tianye.sqlite3"
    db = Database(f"sqlite:///{path}")
    with db.write() as s:
        s.execute(text("CREATE TABLE t (x INTEGER)"))
        s.execute(text("INSERT INTO t VALUES (1)"))
    try:
        assert _mode(path) == 0o600
        assert _mode(folder) == 0o700 and _mode(folder.parent) == 0o700
        journals = [Path(f"{path}-wal"), Path(f"{path}-shm")]
        assert all(p.exists() for p in journals)
        assert all(_mode(p) == 0o600 for p in journals), [oct(_mode(p)) for p in journals]
    finally:
        db.dispose()


def test_an_existing_world_readable_database_is_made_private(tmp_path: Path) -> None:
    from sync_server.extensions import Database

    path = tmp_path / "old.sqlite3"
    path.touch(mode=0o644)
    os.chmod(path, 0o644)
    db = Database(f"sqlite:///{path}")
    db.dispose()
    assert _mode(path) == 0o600


def test_init_db_and_restore_create_private_files(tmp_path: Path) -> None:
    """The embedded default (and the demo) go through `init-db`; a restore writes a new file."""
    env = os.environ | {"PYTHONPATH": str(ROOT), "TIANYE_INSTANCE": str(tmp_path / "inst")}
    env.pop("DATABASE_URL", None)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "sync_server", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    done = cli("init-db")
    assert done.returncode == 0, done.stderr
    default = tmp_path / "inst" / "tianye.sqlite3"
    assert _mode(default) == 0o600 and _mode(default.parent) == 0o700
    backup = tmp_path / "b" / "x.backup"
    backup.parent.mkdir()
    assert cli("backup", "--output", str(backup)).returncode == 0
    assert _mode(backup) == 0o600
    restored = tmp_path / "restored" / "r.sqlite3"
    done = cli("--database-url", f"sqlite:///{restored}", "restore", "--input", str(backup))
    assert done.returncode == 0, done.stderr
    assert _mode(restored) == 0o600 and _mode(restored.parent) == 0o700


# --- redirects ----------------------------------------------------------------------------

HOSTILE_TARGETS = [
    "https://evil.example/",
    "//evil.example/console/",
    "/\\evil.example/console/",
    "/console/\r\nSet-Cookie: x=1",
    "/console/\nx",
    "/console/%0d%0aSet-Cookie:x=1\n",
    "javascript:alert(1)",
    "/console\t/",
    "/api/v1/me",
]


@pytest.mark.parametrize("target", HOSTILE_TARGETS)
def test_next_after_sign_in_never_leaves_the_console(client: Any, people: Any, target: str) -> None:
    response = _sign_in(client, "sup", next=target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/console/"
    again = client.get("/console/login", query_string={"next": target})  # already signed in
    assert again.status_code == 302 and again.headers["Location"] == "/console/"


def test_next_keeps_a_same_site_console_path(client: Any, people: Any) -> None:
    response = _sign_in(client, "sup", next="/console/households?q=a&page=2")
    assert response.headers["Location"] == "/console/households?q=a&page=2"


def test_back_after_bulk_approval_is_not_an_open_redirect(client: Any, seed: Any) -> None:
    world = build_world(seed, client, datetime.now(UTC).date())
    _sign_in(client, "sup")
    csrf = csrf_of(client.get("/console/queue").text)
    for target in HOSTILE_TARGETS:
        response = client.post(
            "/console/queue/approve",
            data={"csrf_token": csrf, "visit_ids": [world.v1, world.v2], "back": target},
        )
        assert response.status_code == 302, target
        assert response.headers["Location"] == "/console/queue", target


def test_back_keeps_a_same_site_console_path(client: Any, seed: Any) -> None:
    world = build_world(seed, client, datetime.now(UTC).date())
    _sign_in(client, "sup")
    csrf = csrf_of(client.get("/console/queue").text)
    back = "/console/queue?grid=g1&flag="
    response = client.post(
        "/console/queue/approve",
        data={"csrf_token": csrf, "visit_ids": [world.v2], "back": back},
    )
    assert response.status_code == 302 and response.headers["Location"] == back


# --- absurd usernames ---------------------------------------------------------------------

ABSURD_USERNAMES = ["w" * 100_000, "wa\x00ng", "\x00", "sup\x00", "é" * 70]
ABSURD_IDS = ["long", "nul", "only-nul", "tail", "65"]


@pytest.mark.parametrize("username", ABSURD_USERNAMES, ids=ABSURD_IDS)
def test_api_sign_in_with_an_absurd_username_is_a_clear_4xx(
    client: Any, people: Any, username: str
) -> None:
    body = {
        "username": username,
        "password": "pass-word-1",
        "client_id": str(uuid.uuid4()),
        "device_name": "p",
    }
    response = client.post("/api/v1/auth/token", json=body)
    assert 400 <= response.status_code < 500, response.get_data(as_text=True)[:300]
    assert response.is_json and response.get_json()["message"]
    assert client.post("/api/v1/auth/token", json=body | {"username": "wang"}).status_code == 200


@pytest.mark.parametrize("username", ABSURD_USERNAMES, ids=ABSURD_IDS)
def test_console_sign_in_with_an_absurd_username_is_a_clear_4xx(
    client: Any, people: Any, username: str
) -> None:
    response = _sign_in(client, username)
    assert 400 <= response.status_code < 500
    assert response.mimetype == "text/html" and "<form" in response.text
    assert "\x00" not in response.text
    assert _sign_in(client, "sup").status_code == 302
