"""Grids, users and assignments (admin API, console and CLI share these); the one writer of
`users` and `grids`.

Every action takes an `actor` (the admin's username, `cli:<os user>` from the command line)
and writes its audit entry (`sync_server.services.audit`) in the same transaction.

Editing a user is load → pure decide (`plan_user_update`) → apply. Deactivating a user,
changing their password or their role revokes every API token and console session they hold
(`identity.revoke_user_credentials`, same transaction: their next request is a 401 on every
server process). An admin cannot deactivate themselves or change their own role (no one
locks the county out by a slip). A user who stops being a worker releases their grids (a
supervisor or admin holds none); users are never deleted (history names them).

Reassigning a grid re-stamps every record of the grid with fresh versions (no history entry:
the data did not change) so the new worker pulls them, and writes one removal per record for
the previous worker, each with its own version (docs/protocol-notes.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sync_server.errors import ServiceError
from sync_server.extensions import Database
from sync_server.models import ApiToken, Client, ConsoleSession, Grid, Record, Setting, User
from sync_server.services import audit
from sync_server.services.identity import (
    grid_dict,
    hash_password,
    revoke_user_credentials,
    user_dict,
    verify_password,
)
from sync_server.services.principal import ADMIN, SUPERVISOR, WORKER
from sync_server.services.versions import add_removals, lock_versions, next_versions


def create_grid(
    db: Database,
    *,
    grid_id: str,
    name: str,
    village: str,
    township: str,
    now: datetime,
    actor: str | None = None,
) -> dict[str, str]:
    """A new grid (409 if the id exists)."""
    with db.write() as s:
        if s.get(Grid, grid_id) is not None:
            raise ServiceError(409, "grid_exists", {"id": ["exists"]})
        grid = Grid(id=grid_id, name=name, village=village, township=township, created_at=now)
        s.add(grid)
        s.flush()
        audit.record(
            s,
            actor=actor,
            action="grid.create",
            target=f"grid:{grid_id}",
            details={"after": grid_dict(grid)},
            now=now,
        )
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
    actor: str | None = None,
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
        out = user_dict(user) | {"township": township, "grids": grids, "active": True}
        audit.record(
            s,
            actor=actor,
            action="user.create",
            target=f"user:{username}",
            details={"after": {k: v for k, v in out.items() if k != "id"}},
            now=now,
        )
        return out


def list_users(db: Database) -> list[dict[str, Any]]:
    """All users with their township and grids."""
    with db.read() as s:
        users = list(s.scalars(select(User).order_by(User.username)))
        grids: dict[str, list[str]] = {}
        for grid in s.scalars(select(Grid).where(Grid.worker_id.is_not(None)).order_by(Grid.id)):
            grids.setdefault(grid.worker_id or "", []).append(grid.id)
        return [_user_out(u, grids.get(u.id, [])) for u in users]


def _user_out(user: User, grids: list[str]) -> dict[str, Any]:
    """The admin API's form of a user."""
    return user_dict(user) | {"township": user.township, "grids": grids, "active": user.active}


def assign_grid(
    db: Database, *, grid_id: str, username: str, now: datetime, actor: str | None = None
) -> dict[str, Any]:
    """Move `grid_id` to the worker `username`."""
    with db.write() as s:
        user = s.scalar(select(User).where(User.username == username))
        if user is None:
            raise ServiceError(404, "unknown_user")
        if user.role != WORKER:
            raise ServiceError(422, "not_a_worker", {"username": ["not a worker"]})
        grid = s.get(Grid, grid_id)
        previous = s.get(User, grid.worker_id) if grid is not None and grid.worker_id else None
        moved = _assign(s, grid_id, user, now)
        audit.record(
            s,
            actor=actor,
            action="grid.assign",
            target=f"grid:{grid_id}",
            details={
                "before": {"worker": previous.username if previous else None},
                "after": {"worker": username},
                "records": moved,
            },
            now=now,
        )
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


# --- editing a user: load -> pure decide -> apply ------------------------------------------

USER_FIELDS = ("active", "password", "role", "display_name", "grids", "township")


@dataclass(frozen=True)
class UserState:
    """What an admin can change about a user (the password only as a new value)."""

    username: str
    role: str
    display_name: str
    township: str | None
    active: bool
    grids: tuple[str, ...]

    def public(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "display_name": self.display_name,
            "township": self.township,
            "active": self.active,
            "grids": list(self.grids),
        }


@dataclass(frozen=True)
class UserPlan:
    """The decided edit: the new state, whether a password is set, what to revoke and log."""

    after: UserState
    password: str | None
    revoke: bool
    action: str
    details: dict[str, Any]

    @property
    def changed(self) -> bool:
        return bool(self.details["after"]) or self.password is not None


def plan_user_update(
    current: UserState, changes: Mapping[str, Any], *, actor: str | None, known_grids: set[str]
) -> UserPlan:
    """Decide an edit (pure): raises `ServiceError(422)` with field errors when refused."""
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(changes) - set(USER_FIELDS))
    for key in unknown:
        errors[key] = ["Unknown field."]
    if not changes:
        errors["_schema"] = ["Nothing to change."]
    role = changes.get("role", current.role)
    if role not in (WORKER, SUPERVISOR, ADMIN):
        errors["role"] = ["Must be one of: worker, supervisor, admin."]
    township = changes.get("township", current.township)
    if role == SUPERVISOR and not township:
        errors["township"] = ["A supervisor needs a township."]
    grids = tuple(changes["grids"]) if "grids" in changes else current.grids
    if role != WORKER:
        if "grids" in changes and grids:
            errors["grids"] = ["Only workers have grids."]
        grids = ()  # a supervisor or admin holds no grids: a former worker releases theirs
    if len(set(grids)) != len(grids):
        errors["grids"] = ["A grid is listed twice."]
    missing = [g for g in grids if g not in known_grids and g not in current.grids]
    if missing:
        errors["grids"] = [f"Unknown grid: {', '.join(missing)}"]
    active = bool(changes.get("active", current.active))
    if actor is not None and actor == current.username:
        if not active:
            errors["active"] = ["You cannot deactivate yourself."]
        if role != current.role:
            errors["role"] = ["You cannot change your own role."]
    if errors:
        raise ServiceError(422, "validation", errors)
    after = replace(
        current,
        role=role,
        display_name=changes.get("display_name", current.display_name),
        township=township,
        active=active,
        grids=grids,
    )
    password = changes.get("password")
    details = audit.diff(current.public(), after.public())
    if password is not None:
        details["before"]["password"] = details["after"]["password"] = "changed"
    if current.active and not active:
        action = "user.deactivate"
    elif active and not current.active:
        action = "user.activate"
    elif password is not None and list(details["after"]) == ["password"]:
        action = "user.password"
    else:
        action = "user.update"
    revoke = (current.active and not active) or password is not None or role != current.role
    return UserPlan(after, password, revoke, action, details)


def _load_user(session: Session, username: str, *, lock: bool = False) -> User:
    query = select(User).where(User.username == username)
    if lock:
        query = query.with_for_update()
    user = session.scalar(query)
    if user is None:
        raise ServiceError(404, "unknown_user")
    return user


def _state_of(session: Session, user: User) -> UserState:
    grids = tuple(
        session.scalars(select(Grid.id).where(Grid.worker_id == user.id).order_by(Grid.id))
    )
    return UserState(user.username, user.role, user.display_name, user.township, user.active, grids)


def update_user(
    db: Database,
    username: str,
    changes: Mapping[str, Any],
    *,
    now: datetime,
    actor: str | None = None,
) -> dict[str, Any]:
    """Apply an admin's edit of `username` (404 unknown, 422 refused; see the module doc)."""
    password = changes.get("password")
    password_hash = hash_password(password) if password is not None else None  # outside the lock
    with db.write() as s:
        user = _load_user(s, username, lock=True)
        current = _state_of(s, user)
        known = set(s.scalars(select(Grid.id).where(Grid.id.in_(list(changes.get("grids") or [])))))
        plan = plan_user_update(current, changes, actor=actor, known_grids=known)
        if not plan.changed:
            return _user_out(user, list(current.grids))
        after = plan.after
        user.role = after.role
        user.display_name = after.display_name
        user.township = after.township
        user.active = after.active
        if password_hash is not None:
            user.password_hash = password_hash
        for grid_id in sorted(set(current.grids) - set(after.grids)):
            _release(s, grid_id, user, now)
        for grid_id in after.grids:
            if grid_id not in current.grids:
                _assign(s, grid_id, user, now)
        if plan.revoke:
            revoke_user_credentials(s, user.id, now)
        audit.record(
            s,
            actor=actor,
            action=plan.action,
            target=f"user:{username}",
            details=plan.details,
            now=now,
        )
        s.flush()
        return _user_out(user, list(after.grids))


def change_own_password(
    db: Database,
    user_id: str,
    old_password: str,
    new_password: str,
    *,
    keep_token_id: int | None,
    now: datetime,
) -> None:
    """A user sets their own password: the old one must match; every other token and every
    console session of theirs is revoked (the calling token, `keep_token_id`, stays)."""
    if old_password == new_password:
        raise ServiceError(
            422, "validation", {"new_password": ["The new password must differ from the old."]}
        )
    with db.read() as s:
        user = s.get(User, user_id)
        if user is None or not verify_password(user.password_hash, old_password):
            raise ServiceError(422, "wrong_password", {"old_password": ["Wrong password."]})
    password_hash = hash_password(new_password)
    with db.write() as s:
        user = s.get(User, user_id, with_for_update=True)
        assert user is not None
        user.password_hash = password_hash
        revoke_user_credentials(s, user.id, now, keep_token_id=keep_token_id)
        audit.record(
            s,
            actor=user.username,
            action="user.password",
            target=f"user:{user.username}",
            details={"before": {"password": "changed"}, "after": {"password": "changed"}},
            now=now,
        )


def user_overview(db: Database) -> list[dict[str, Any]]:
    """Every user for the console's users page: scope, state, last sign-in and devices."""
    with db.read() as s:
        users = list(s.scalars(select(User).order_by(User.username)))
        grids: dict[str, list[str]] = {}
        for grid in s.scalars(select(Grid).where(Grid.worker_id.is_not(None)).order_by(Grid.id)):
            grids.setdefault(grid.worker_id or "", []).append(grid.id)
        token_at: dict[str, datetime] = {
            user_id: at
            for user_id, at in s.execute(
                select(ApiToken.user_id, func.max(ApiToken.created_at)).group_by(ApiToken.user_id)
            )
        }
        console_at: dict[str, datetime] = {
            user_id: at
            for user_id, at in s.execute(
                select(ConsoleSession.user_id, func.max(ConsoleSession.created_at)).group_by(
                    ConsoleSession.user_id
                )
            )
        }
        devices: dict[str, list[Client]] = {}
        for client in s.scalars(select(Client).order_by(Client.last_seen.desc())):
            devices.setdefault(client.user_id, []).append(client)
        rows = []
        for u in users:
            seen = [t for t in (token_at.get(u.id), console_at.get(u.id)) if t is not None]
            rows.append(
                _user_out(u, grids.get(u.id, []))
                | {
                    "last_sign_in": max(seen) if seen else None,
                    "devices": [
                        {
                            "client_id": c.client_id,
                            "device_name": c.device_name,
                            "last_seen": c.last_seen,
                        }
                        for c in devices.get(u.id, [])
                    ],
                }
            )
        return rows


def _release(session: Session, grid_id: str, user: User, now: datetime) -> None:
    """Unassign `grid_id` from `user` (their next pull removes its records)."""
    grid = session.get(Grid, grid_id, with_for_update=True)
    if grid is None or grid.worker_id != user.id:
        return
    grid.worker_id = None
    lock_versions(session)
    records = list(
        session.scalars(select(Record).where(Record.grid_id == grid_id).order_by(Record.version))
    )
    add_removals(session, [user.id], records, now)


RULES_KEY = "rules_config"
# public holidays and make-up working days (see sync_server.console.cases.calendar)
WORK_CALENDAR_KEY = "work_calendar"


def get_setting(db: Database, key: str) -> Any:
    """A stored setting (None when unset)."""
    with db.read() as s:
        row = s.get(Setting, key)
        return None if row is None else row.value


def put_setting(
    db: Database, key: str, value: Any, now: datetime, *, actor: str | None = None
) -> None:
    """Store a setting (audited as `config.update` with the top-level keys that changed)."""
    with db.write() as s:
        row = s.get(Setting, key)
        before = None if row is None else row.value
        if row is None:
            s.add(Setting(key=key, value=value, updated_at=now))
        else:
            row.value = value
            row.updated_at = now
        if isinstance(before, Mapping) and isinstance(value, Mapping):
            details = audit.diff(dict(before), dict(value))
        else:
            details = {"before": before, "after": value}
        audit.record(
            s,
            actor=actor,
            action="config.update",
            target=f"setting:{key}",
            details=details,
            now=now,
        )


def rules_config(db: Database) -> dict[str, Any]:
    """The rules config in force: the admin's stored one, else the national default."""
    from shared_schema.config import config_for, config_to_dict
    from shared_schema.config_data import CURRENT_YEAR

    stored = get_setting(db, RULES_KEY)
    return stored if stored else config_to_dict(config_for(None, CURRENT_YEAR))


def set_rules_config(
    db: Database, value: Any, now: datetime, *, actor: str | None = None
) -> dict[str, Any]:
    """Validate and store the rules config (422 with per-key errors when invalid)."""
    from shared_schema.config import ConfigError, config_from_dict, config_to_dict

    try:
        config = config_from_dict(value)
    except ConfigError as exc:
        raise ServiceError(422, "validation", exc.errors) from None
    plain = config_to_dict(config)
    put_setting(db, RULES_KEY, plain, now, actor=actor)
    return plain
