"""Console sign-in: cookie sessions, CSRF tokens, expiry, and the console's role rule.

Decisions:
- Flask's signed-cookie session holds the user id, a session secret, the sign-in and last-seen
  times and the CSRF token. The secret names a row of `console_sessions` (its sha256), looked
  up with the user on every request: sign-out revokes the row, so a copied cookie stops
  working, and deactivating a user or changing their password or role revokes all their rows
  (`identity.revoke_user_credentials`) — at once, on every server process. The cookie is
  HttpOnly, SameSite=Lax, and Secure
  as the environment's `CONSOLE_SECURE_COOKIES` says (`auto`, the default: over HTTPS; `1`:
  always, set it when the server is behind HTTPS; `0`: never).
- Expiry: idle after `CONSOLE_IDLE_MINUTES` (default 60) without a request, and absolutely
  `CONSOLE_SESSION_HOURS` (default 12) after sign-in.
- CSRF: one random token per session (rotated at sign-in), sent back in the hidden form field
  `csrf_token` or the `X-CSRF-Token` header and compared in constant time on every POST; a
  missing or wrong token is a 400 and changes nothing.
- Workers are refused (they use the phone app); the password check is the API's
  (`sync_server.services.identity`), and so is the sign-in rate limit
  (`sync_server.services.login_throttle`: one budget per username + address for both doors).
"""

from __future__ import annotations

import hmac
import secrets
from datetime import UTC, datetime, timedelta

from flask import current_app, session
from sqlalchemy import select

from sync_server.extensions import Database, current_db
from sync_server.models import User
from sync_server.services.identity import (
    close_console_session,
    console_session_user,
    hash_password,
    open_console_session,
    verify_password,
)
from sync_server.services.principal import ADMIN, SUPERVISOR, Principal

CONSOLE_ROLES = (SUPERVISOR, ADMIN)
_DUMMY_HASH = hash_password("tianye-console-no-such-user")


class LoginRefused(Exception):
    """Sign-in refused; `key` is the catalogue key of the message to show."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def check_credentials(db: Database, username: str, password: str) -> Principal:
    """The principal for a good username/password of a supervisor or admin, else LoginRefused."""
    with db.read() as s:
        user = s.scalar(select(User).where(User.username == username.strip()))
        ok = verify_password(user.password_hash if user else _DUMMY_HASH, password)
        if user is None or not ok or not user.active:
            raise LoginRefused("login.failed")
        if user.role not in CONSOLE_ROLES:
            raise LoginRefused("login.worker_refused")
        return principal_of(user)


def principal_of(user: User) -> Principal:
    return Principal(user.id, user.username, user.role, user.display_name, user.township)


def csrf_token() -> str:
    """This session's CSRF token (made on first use)."""
    token = session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return str(token)


def csrf_ok(sent: str | None) -> bool:
    """True when `sent` is this session's CSRF token."""
    expected = session.get("csrf")
    return bool(expected and sent and hmac.compare_digest(str(expected), str(sent)))


def start_session(principal: Principal, now: datetime) -> None:
    """Sign in: a fresh session (new CSRF token) bound to the user."""
    lang = session.get("lang")
    session.clear()
    session.permanent = True
    session["uid"] = principal.user_id
    session["login_at"] = now.timestamp()
    session["seen_at"] = now.timestamp()
    session["csrf"] = secrets.token_urlsafe(32)
    session["sid"] = open_console_session(current_db(), principal.user_id, now)
    if lang:
        session["lang"] = lang


def end_session(now: datetime | None = None) -> None:
    """Sign out: revoke the server-side session (copies of the cookie die too), clear the cookie."""
    sid = session.get("sid")
    if sid:
        close_console_session(current_db(), str(sid), now or datetime.now(UTC))
    session.clear()


def session_user(db: Database, now: datetime) -> tuple[Principal | None, bool]:
    """The signed-in principal (or None) and whether a session just expired."""
    uid = session.get("uid")
    if not uid:
        return None, False
    idle = timedelta(minutes=current_app.config.get("CONSOLE_IDLE_MINUTES", 60))
    absolute = timedelta(hours=current_app.config.get("CONSOLE_SESSION_HOURS", 12))
    login_at = datetime.fromtimestamp(float(session.get("login_at", 0)), UTC)
    seen_at = datetime.fromtimestamp(float(session.get("seen_at", 0)), UTC)
    if now - seen_at > idle or now - login_at > absolute:
        end_session(now)
        return None, True
    sid = session.get("sid")
    user = console_session_user(db, str(sid)) if sid else None
    if user is None or user.id != uid or not user.active or user.role not in CONSOLE_ROLES:
        end_session(now)
        return None, True
    principal = principal_of(user)
    session["seen_at"] = now.timestamp()
    return principal, False


def actor_level(principal: Principal) -> str:
    """Case-lifecycle level: admins act at county level, township supervisors at township level."""
    return "county" if principal.role == ADMIN else "township"
