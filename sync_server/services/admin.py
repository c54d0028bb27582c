"""Grids, users and assignments (admin API and CLI share these).

Reassigning a grid re-stamps every record of the grid with fresh versions (no history entry:
the data did not change) so the new worker pulls them, and writes one removal per record for
the previous worker, each with its own version (docs/protocol-notes.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync_server.errors import ServiceError
from sync_server.extensions import Database
from sync_server.models import Grid, Record, Setting, User
from sync_server.services.identity import grid_dict, hash_password, user_dict
from sync_server.services.principal import ADMIN, SUPERVISOR, WORKER
from sync_server.services.versions import add_removals, lock_versions, next_versions


def create_grid(
    db: Database, *, grid_id: str, name: str, village: str, township: str, now: datetime
) -> dict[str, str]:
    """A new grid (409 if the id exists)."""
    with db.write() as s:
        if s.get(Grid, grid_id) is not None:
            raise ServiceError(409, "grid_exists", {"id": ["exists"]})
        grid = Grid(id=grid_id, name=name, village=village, township=township, created_at=now)
        s.add(grid)
        s.flush()
        return grid_dict(grid)


def list_grids(db: Database) -> list[dict[str, Any]]:
    """All grids with their worker's username."""
    with db.read() as s:
        rows = s.execute(
            select(Grid, User.username).outerjoin(User, User.id == Grid.worker_id).order_by(Grid.id)
        )
        return [grid_dict(g) | {"worker": username} for g, username in rows]


def create_user(
    db: Database,
    *,
    username: str,
    password: str,
    role: str,
    display_name: str,
    grids: Iterable[str] = (),
    township: str | None = None,
    now: datetime,
) -> dict[str, Any]:
    """A new user; a worker's `grids` are assigned to them (as by `assign_grid`)."""
    if role not in (WORKER, SUPERVISOR, ADMIN):
        raise ServiceError(422, "validation", {"role": ["worker, supervisor or admin"]})
    if role == SUPERVISOR and not township:
        raise ServiceError(422, "validation", {"township": ["required for a supervisor"]})
    grids = list(grids)
    if grids and role != WORKER:
        raise ServiceError(422, "not_a_worker", {"grids": ["only workers have grids"]})
    password_hash = hash_password(password)
    with db.write() as s:
        if s.scalar(select(User).where(User.username == username)) is not None:
            raise ServiceError(409, "user_exists", {"username": ["exists"]})
        missing = [g for g in grids if s.get(Grid, g) is None]
        if missing:
            raise ServiceError(422, "unknown_grid", {"grids": [", ".join(missing)]})
        user = User(
            username=username,
            password_hash=password_hash,
            role=role,
            display_name=display_name,
            township=township,
            created_at=now,
        )
        s.add(user)
        s.flush()
        for grid_id in grids:
            _assign(s, grid_id, user, now)
        return user_dict(user) | {"township": township, "grids": grids}


def list_users(db: Database) -> list[dict[str, Any]]:
    """All users with their township and grids."""
    with db.read() as s:
        users = list(s.scalars(select(User).order_by(User.username)))
        grids: dict[str, list[str]] = {}
        for grid in s.scalars(select(Grid).where(Grid.worker_id.is_not(None)).order_by(Grid.id)):
            grids.setdefault(grid.worker_id or "", []).append(grid.id)
        return [
            user_dict(u) | {"township": u.township, "grids": grids.get(u.id, [])} for u in users
        ]


def assign_grid(db: Database, *, grid_id: str, username: str, now: datetime) -> dict[str, Any]:
    """Move `grid_id` to the worker `username`."""
    with db.write() as s:
        user = s.scalar(select(User).where(User.username == username))
        if user is None:
            raise ServiceError(404, "unknown_user")
        if user.role != WORKER:
            raise ServiceError(422, "not_a_worker", {"username": ["not a worker"]})
        moved = _assign(s, grid_id, user, now)
        return {"grid_id": grid_id, "username": username, "records": moved}


def _assign(session: Session, grid_id: str, user: User, now: datetime) -> int:
    grid = session.get(Grid, grid_id, with_for_update=True)
    if grid is None:
        raise ServiceError(404, "unknown_grid")
    previous = grid.worker_id
    if previous == user.id:
        return 0
    grid.worker_id = user.id
    # Before reading the grid's records: a push that checked its scope against the previous
    # worker holds this lock until it commits, so its new records are read (and removed from
    # the previous worker's phones) here too. Found by the concurrent field simulation.
    lock_versions(session)
    records = list(
        session.scalars(select(Record).where(Record.grid_id == grid_id).order_by(Record.version))
    )
    if not records:
        return 0
    version = next_versions(session, len(records))
    for rec in records:
        rec.version = version
        rec.updated_at = now
        version += 1
    if previous:
        add_removals(session, [previous], records, now)
    session.flush()
    return len(records)


RULES_KEY = "rules_config"
# public holidays and make-up working days (see sync_server.console.cases.calendar)
WORK_CALENDAR_KEY = "work_calendar"


def get_setting(db: Database, key: str) -> Any:
    """A stored setting (None when unset)."""
    with db.read() as s:
        row = s.get(Setting, key)
        return None if row is None else row.value


def put_setting(db: Database, key: str, value: Any, now: datetime) -> None:
    """Store a setting."""
    with db.write() as s:
        row = s.get(Setting, key)
        if row is None:
            s.add(Setting(key=key, value=value, updated_at=now))
        else:
            row.value = value
            row.updated_at = now


def rules_config(db: Database) -> dict[str, Any]:
    """The rules config in force: the admin's stored one, else the national default."""
    from shared_schema.config import config_for, config_to_dict
    from shared_schema.config_data import CURRENT_YEAR

    stored = get_setting(db, RULES_KEY)
    return stored if stored else config_to_dict(config_for(None, CURRENT_YEAR))


def set_rules_config(db: Database, value: Any, now: datetime) -> dict[str, Any]:
    """Validate and store the rules config (422 with per-key errors when invalid)."""
    from shared_schema.config import ConfigError, config_from_dict, config_to_dict

    try:
        config = config_from_dict(value)
    except ConfigError as exc:
        raise ServiceError(422, "validation", exc.errors) from None
    plain = config_to_dict(config)
    put_setting(db, RULES_KEY, plain, now)
    return plain
