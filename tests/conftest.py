"""Shared fixtures: a migrated database (SQLite file or PostgreSQL), the Flask app and test
client, a real `python -m sync_server serve` subprocess, and helpers to seed users and grids.

Database fixtures are parametrized over `sqlite` (a temp file) and `postgres` (one database
`tianye_test_<random>` on 127.0.0.1:5432 for the whole session, emptied between tests and
dropped at the end). If PostgreSQL is unreachable the postgres cases are skipped with the
reason — unless the `CI` environment variable is set, where they fail instead.

Use (any test package may):
- `db_url` — a migrated, empty database URL (sqlite and postgres cases).
- `sqlite_url` / `pg_url` — the same, one backend only.
- `app`, `client` — `create_app` on `db_url` and its Flask test client.
- `seed` — a `Seed` (below): `seed.grid("g1", township="t1")`, `seed.user("wang",
  role="worker", grids=["g1"])`, `seed.login(client, "wang")` → `Session(token, client_id,
  headers)`; every user's password is `seed.password` unless given.
- `live_server` — base URL of a real server subprocess on `db_url` (2 gunicorn workers);
  `live_server_factory(workers=4)` starts one with other settings (stopped at teardown).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("TIANYE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
DEFAULT_PASSWORD = "pass-word-1"
os.environ.setdefault("TIANYE_FAST_PASSWORD_HASH", "1")  # cheap argon2 for test users


# --- databases -------------------------------------------------------------------------


def _migrate(url: str) -> None:
    from sync_server.extensions import Database
    from sync_server.migrations import upgrade

    db = Database(url)
    assert db.engine is not None
    upgrade(db.engine)
    db.dispose()


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file, copied for every test (migrating each time is slow)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.sqlite3"
    _migrate(f"sqlite:///{path}")
    return path


@pytest.fixture
def sqlite_url(_sqlite_template: Path, tmp_path: Path) -> str:
    """A fresh, migrated SQLite database file."""
    path = tmp_path / "tianye.sqlite3"
    shutil.copyfile(_sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def _pg_database() -> Iterator[str]:
    """A migrated PostgreSQL database for the session (created here, dropped at the end)."""
    import psycopg

    name = f"tianye_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL unreachable in CI at {PG_ADMIN_URL}: {exc}")
        pytest.skip(f"PostgreSQL unreachable at {PG_ADMIN_URL}: {exc}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        base = PG_ADMIN_URL.rsplit("/", 1)[0]
        url = f"{base}/{name}"
        try:
            _migrate(url)
            yield url
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _empty_pg(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename NOT IN ('alembic_version', 'sync_counter')"
            )
        ]
        if tables:
            conn.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
        conn.execute("UPDATE sync_counter SET value = 0")


@pytest.fixture
def pg_url(_pg_database: str) -> str:
    """The session's PostgreSQL database, emptied for this test."""
    _empty_pg(_pg_database)
    return _pg_database


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    """A migrated, empty database: each test using it runs on SQLite and on PostgreSQL."""
    name = "sqlite_url" if request.param == "sqlite" else "pg_url"
    url: str = request.getfixturevalue(name)
    return url


@pytest.fixture
def backend(db_url: str) -> str:
    """`sqlite` or `postgresql` for the current `db_url`."""
    return "sqlite" if db_url.startswith("sqlite") else "postgresql"


# --- the app ---------------------------------------------------------------------------


@pytest.fixture
def attachment_settings(tmp_path: Path) -> dict[str, str]:
    """Where the app keeps attachments: a temp directory (tests/sync_server/test_attachments.py
    overrides this to run the same tests on S3 storage)."""
    return {"ATTACHMENTS_DIR": str(tmp_path / "attachments")}


@pytest.fixture
def app(db_url: str, attachment_settings: dict[str, str]) -> Iterator[Any]:
    """The Flask app on `db_url` (rate limit 10 failures / 15 min, logs at WARNING)."""
    from sync_server import create_app
    from sync_server.extensions import current_db

    flask_app = create_app(
        {"DATABASE_URL": db_url, "TESTING": True, "LOG_LEVEL": "WARNING"} | attachment_settings
    )
    yield flask_app
    with flask_app.app_context():
        current_db().dispose()


@pytest.fixture
def client(app: Any) -> Any:
    """The Flask test client of `app`."""
    return app.test_client()


@pytest.fixture
def database(app: Any) -> Any:
    """The `sync_server.extensions.Database` of `app` (for calling services directly)."""
    from sync_server.extensions import EXTENSION_KEY

    return app.extensions[EXTENSION_KEY]


@dataclass
class Session:
    """A signed-in device: its token, client id, and ready-made request headers."""

    token: str
    client_id: str
    username: str
    headers: dict[str, str] = field(default_factory=dict)
    mutation_id: int = 0

    def next_id(self) -> int:
        """The next mutation id of this device."""
        self.mutation_id += 1
        return self.mutation_id


class Seed:
    """Creates grids and users through the services, and signs users in over HTTP."""

    password = DEFAULT_PASSWORD

    def __init__(self, database: Any) -> None:
        self.db = database

    @staticmethod
    def now() -> datetime:
        return datetime.now(UTC)

    def grid(
        self, grid_id: str, *, township: str = "t1", village: str = "v1", name: str | None = None
    ) -> dict[str, str]:
        from sync_server.services.admin import create_grid

        return create_grid(
            self.db,
            grid_id=grid_id,
            name=name or f"网格 {grid_id}",
            village=village,
            township=township,
            now=self.now(),
        )

    def user(
        self,
        username: str,
        *,
        role: str = "worker",
        grids: list[str] | tuple[str, ...] = (),
        township: str | None = None,
        password: str | None = None,
        display_name: str | None = None,
    ) -> dict[str, Any]:
        from sync_server.services.admin import create_user

        if role == "supervisor" and township is None:
            township = "t1"
        return create_user(
            self.db,
            username=username,
            password=password or self.password,
            role=role,
            display_name=display_name or username,
            grids=list(grids),
            township=township,
            now=self.now(),
        )

    def login(
        self,
        http: Any,
        username: str,
        password: str | None = None,
        *,
        client_id: str | None = None,
    ) -> Session:
        """Sign in with a Flask test client or a base URL (then via `requests`)."""
        body = {
            "username": username,
            "password": password or self.password,
            "client_id": client_id or str(uuid.uuid4()),
            "device_name": f"{username}'s phone",
        }
        if isinstance(http, str):
            import requests

            response = requests.post(f"{http}/api/v1/auth/token", json=body, timeout=30)
            status, payload = response.status_code, response.json()
        else:
            response = http.post("/api/v1/auth/token", json=body)
            status, payload = response.status_code, response.get_json()
        assert status == 200, payload
        token = payload["token"]
        return Session(token, body["client_id"], username, {"Authorization": f"Bearer {token}"})


@pytest.fixture
def seed(database: Any) -> Seed:
    """A `Seed` on the test's database."""
    return Seed(database)


# --- a real server process ---------------------------------------------------------------


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class LiveServer:
    """`python -m sync_server serve` as a subprocess; `url` once /healthz answers."""

    def __init__(self, db_url: str, *, workers: int = 2, env: dict[str, str] | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"tianye-live-{self.port}.log"
        full_env = (
            os.environ
            | {
                "DATABASE_URL": db_url,
                "LOG_LEVEL": "WARNING",
                "PYTHONPATH": str(ROOT),
                "ATTACHMENTS_DIR": tempfile.mkdtemp(prefix=f"tianye-files-{self.port}-"),
            }
            | (env or {})
        )
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "sync_server",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                str(workers),
            ],
            cwd=ROOT,
            env=full_env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._wait_ready()

    def _wait_ready(self, timeout: float = 30.0) -> None:
        import requests

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_path.read_text(errors='replace')}")
            try:
                if requests.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server not ready in {timeout}s: {self.log_path.read_text()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # gunicorn: quick shutdown
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        # The server runs in its own session: take down whatever is left of its process group
        # (a worker that outlived its master would hold the database and the port).
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self._log.close()


@pytest.fixture
def live_server_factory(db_url: str) -> Iterator[Callable[..., LiveServer]]:
    """Start real servers on `db_url`: `live_server_factory(workers=4, env={...})`."""
    started: list[LiveServer] = []

    def start(*, workers: int = 2, env: dict[str, str] | None = None) -> LiveServer:
        server = LiveServer(db_url, workers=workers, env=env)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def live_server(live_server_factory: Callable[..., LiveServer]) -> str:
    """Base URL (`http://127.0.0.1:<port>`) of a real server on `db_url`."""
    return live_server_factory().url
