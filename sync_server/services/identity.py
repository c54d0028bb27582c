"""Users, passwords (argon2), bearer tokens bound to a user and a client, console sessions,
login rate limit. The one writer of `api_tokens`, `clients` and `console_sessions`.

A `client_id` belongs to the user who first signed in with it: another user's sign-in with
it is a 409 (`client_taken`) and changes nothing, so a device's exactly-once log is never
shared. Console sessions live in the database (`console_sessions`, the sha256 of the cookie's
secret), so sign-out and `revoke_user_credentials` end them on every server process.

Tokens are 32 random bytes (urlsafe text); only their sha256 is stored, so a database leak
gives no usable token. Sign-in attempts are rate limited per username + address and per
address (`sync_server.services.login_throttle`, shared with the console); at a limit the
answer is 429 before the password is even checked.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sync_server.errors import ServiceError
from sync_server.extensions import Database
from sync_server.models import ApiToken, Client, ConsoleSession, Grid, User
from sync_server.services import audit
from sync_server.services.login_throttle import LoginPolicy, LoginThrottle
from sync_server.services.principal import ADMIN, SUPERVISOR, WORKER, Principal

# `TIANYE_FAST_PASSWORD_HASH=1` (set by the test suite only) uses cheap argon2 parameters so
# hundreds of test users do not cost minutes; hashes carry their parameters, so both verify.
_hasher = (
    PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    if os.environ.get("TIANYE_FAST_PASSWORD_HASH") == "1"
    else PasswordHasher()
)
# Verified against when the user does not exist, so timing does not reveal usernames.
_DUMMY_HASH = _hasher.hash("tianye-no-such-user")


def hash_password(password: str) -> str:
    """An argon2id hash of `password`."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when `password` matches."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def hash_token(token: str) -> str:
    """What the database stores for a token."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class TokenGrant:
    """What a successful sign-in returns."""

    token: str
    user: dict[str, str]
    grids: list[dict[str, str]]


def user_dict(user: User) -> dict[str, str]:
    """The wire form of a user."""
    return {
        "id": user.id,
        "username": user.username,
        "role": user.role,
        "display_name": user.display_name,
    }


def grid_dict(grid: Grid) -> dict[str, str]:
    """The wire form of a grid."""
    return {"id": grid.id, "name": grid.name, "village": grid.village, "township": grid.township}


def grids_of(session: Session, user: User) -> list[Grid]:
    """The grids in a user's scope, by id."""
    query = select(Grid).order_by(Grid.id)
    if user.role == WORKER:
        query = query.where(Grid.worker_id == user.id)
    elif user.role == SUPERVISOR:
        query = query.where(Grid.township == (user.township or ""))
    return list(session.scalars(query))


def issue_token(
    db: Database,
    throttle: LoginThrottle,
    *,
    username: str,
    password: str,
    client_id: str,
    device_name: str,
    ip: str,
    now: datetime,
    policy: LoginPolicy,
) -> TokenGrant:
    """Check the password (rate limited) and return a fresh token bound to `client_id`.

    The attempt is counted before the password is checked (`login_throttle`): at a limit the
    answer is 429 even for the right password.
    """
    throttle.attempt(username, ip, policy)
    with db.read() as s:
        user = s.scalar(select(User).where(User.username == username))
        ok = verify_password(user.password_hash if user else _DUMMY_HASH, password)
    if user is None or not ok or not user.active:
        throttle.failed(username, ip, policy)
        raise ServiceError(401, "bad_credentials")
    throttle.succeeded(username, ip, policy)
    token = secrets.token_urlsafe(32)
    with db.write() as s:
        client = s.get(Client, client_id, with_for_update=True)
        if client is None:
            s.add(
                Client(
                    client_id=client_id,
                    user_id=user.id,
                    device_name=device_name,
                    last_mutation_id=0,
                    last_seen=now,
                    created_at=now,
                )
            )
        else:
            if client.user_id != user.id:
                # Another user's install: taking it over would hand them its tokens and its
                # exactly-once log. A phone shared by two people keeps one client id per user.
                raise ServiceError(409, "client_taken", {"client_id": ["Belongs to another user."]})
            client.device_name = device_name
            client.last_seen = now
        s.add(
            ApiToken(
                token_hash=hash_token(token), user_id=user.id, client_id=client_id, created_at=now
            )
        )
        grids = [grid_dict(g) for g in grids_of(s, user)]
    return TokenGrant(token, user_dict(user), grids)


# A token's `last_used_at` is written at most once per this interval, so that authenticating
# a request stays a read (one UPDATE per token and interval, not per request).
TOKEN_TOUCH_INTERVAL = timedelta(minutes=10)


def authenticate(db: Database, token: str, now: datetime | None = None) -> Principal | None:
    """The principal of a live token, or None; notes when the token was last used."""
    with db.read() as s:
        row = s.execute(
            select(ApiToken, User)
            .join(User, User.id == ApiToken.user_id)
            .where(ApiToken.token_hash == hash_token(token), ApiToken.revoked_at.is_(None))
        ).first()
        if row is None:
            return None
        tok, user = row
        if not user.active:
            return None
        last_used = tok.last_used_at
        principal = Principal(
            user.id,
            user.username,
            user.role,
            user.display_name,
            user.township,
            tok.client_id,
            tok.id,
        )
    now = now or datetime.now(UTC)
    if last_used is None or now - last_used >= TOKEN_TOUCH_INTERVAL:
        stale = now - TOKEN_TOUCH_INTERVAL
        with db.write() as s:
            s.execute(
                update(ApiToken)
                .where(
                    ApiToken.id == principal.token_id,
                    (ApiToken.last_used_at.is_(None)) | (ApiToken.last_used_at <= stale),
                )
                .values(last_used_at=now)
            )
    return principal


def revoke_user_credentials(
    session: Session, user_id: str, now: datetime, *, keep_token_id: int | None = None
) -> None:
    """Revoke every live API token (but `keep_token_id`) and console session of a user, in the
    caller's transaction (deactivation, a password or role change)."""
    tokens = update(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
    if keep_token_id is not None:
        tokens = tokens.where(ApiToken.id != keep_token_id)
    session.execute(tokens.values(revoked_at=now))
    session.execute(
        update(ConsoleSession)
        .where(ConsoleSession.user_id == user_id, ConsoleSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def open_console_session(db: Database, user_id: str, now: datetime) -> str:
    """A new console session of `user_id`: returns the secret the cookie carries."""
    secret = secrets.token_urlsafe(32)
    with db.write() as s:
        s.add(ConsoleSession(id=hash_token(secret), user_id=user_id, created_at=now))
    return secret


def console_session_user(db: Database, secret: str) -> User | None:
    """The user of a live console session (active or not: the caller checks), else None."""
    with db.read() as s:
        row = s.execute(
            select(User)
            .join(ConsoleSession, ConsoleSession.user_id == User.id)
            .where(ConsoleSession.id == hash_token(secret), ConsoleSession.revoked_at.is_(None))
        ).first()
        return None if row is None else row[0]


def close_console_session(db: Database, secret: str, now: datetime) -> None:
    """Sign-out: the session (and any copy of its cookie) stops working everywhere."""
    with db.write() as s:
        s.execute(
            update(ConsoleSession)
            .where(ConsoleSession.id == hash_token(secret), ConsoleSession.revoked_at.is_(None))
            .values(revoked_at=now)
        )


def revoke_token(db: Database, principal: Principal, now: datetime) -> None:
    """Revoke the caller's own token."""
    with db.write() as s:
        s.execute(update(ApiToken).where(ApiToken.id == principal.token_id).values(revoked_at=now))


def revoke_client(db: Database, principal: Principal, client_id: str, now: datetime) -> int:
    """Revoke every token of `client_id` (its owner, or an admin); returns how many."""
    with db.write() as s:
        client = s.get(Client, client_id)
        if client is None:
            raise ServiceError(404, "not_found")
        if principal.role != ADMIN and client.user_id != principal.user_id:
            raise ServiceError(403, "forbidden")
        result = s.execute(
            update(ApiToken)
            .where(ApiToken.client_id == client_id, ApiToken.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        count = int(getattr(result, "rowcount", 0) or 0)
        owner = s.get(User, client.user_id)
        audit.record(
            s,
            actor=principal.username,
            action="device.revoke",
            target=f"client:{client_id}",
            details={
                "user": owner.username if owner else None,
                "device_name": client.device_name,
                "tokens": count,
            },
            now=now,
        )
        return count


def me(db: Database, principal: Principal) -> dict[str, Any]:
    """The caller, their grids and their client's last mutation id."""
    with db.read() as s:
        user = s.get(User, principal.user_id)
        assert user is not None
        client = s.get(Client, principal.client_id) if principal.client_id else None
        return {
            "user": user_dict(user),
            "grids": [grid_dict(g) for g in grids_of(s, user)],
            "last_mutation_id": client.last_mutation_id if client else 0,
        }


def report(db: Database, principal: Principal, payload: dict[str, Any], now: datetime) -> None:
    """Store what the phone reports (pending count, clock) for the console's device page."""
    with db.write() as s:
        client = s.get(Client, payload["client_id"])
        if client is None or client.client_id != principal.client_id:
            raise ServiceError(403, "client_mismatch")
        client.pending_count = payload["pending"]
        client.last_hlc = payload.get("hlc")
        client.app_version = payload.get("app_version")
        device_time = payload.get("device_time")
        if device_time is not None:
            if device_time.tzinfo is None:
                device_time = device_time.replace(tzinfo=now.tzinfo)
            client.clock_skew_ms = int((device_time - now).total_seconds() * 1000)
        client.last_seen = now


ROLES = (WORKER, SUPERVISOR, ADMIN)
