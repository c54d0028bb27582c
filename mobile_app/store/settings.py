"""The `config` and `session` tables' one writer: the cached server config (thresholds,
enumerations, form definition), the local session and this phone's sync settings ("photos on
Wi-Fi only": it must be known to the sync runner, which has the store and not the preferences
file, and it survives signing out and another user signing in, like the device PIN).

The PIN never leaves the phone: it unlocks the app offline, so only a salted scrypt hash is
kept (hashlib, n=2**14, r=8, p=1: ~50 ms on a cheap phone, no extra dependency).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import uuid
from datetime import datetime
from typing import Any

from mobile_app.store import jsonio
from mobile_app.store.clock import iso
from mobile_app.store.database import Connection, Database
from mobile_app.store.drafts import count_drafts
from mobile_app.store.meta import get_meta, set_meta_once
from mobile_app.store.models import Session
from mobile_app.store.notices import clear_notices
from mobile_app.store.outbox import count_entries
from mobile_app.store.records import clear_records, refresh_household
from mobile_app.store.rejected import clear_rejected
from mobile_app.store.sync_state import forget_values
from shared_schema.config import RulesConfig, config_for, config_from_dict
from shared_schema.config_data import CURRENT_YEAR

ETAG_KEY = "_etag"  # the config table's row holding the configuration's ETag
FORMS_KEY = "_forms@"  # + version: the forms of each published version held
SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}
PHOTOS_WIFI_ONLY = "photos_wifi_only"  # the session table's row of the setting (default off)
MIN_PIN_LENGTH = 4


class ConfigRepository:
    """The server config as last fetched, and the rules config built from it."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def save(self, config: dict[str, Any], *, now: datetime, etag: str | None = None) -> None:
        """Store a `GET /api/v1/config` answer: each top-level key is cached separately
        (`version`: the published configuration's number; `etag` under ETAG_KEY).

        When the rules section changes, every household's risk count and next-visit date is
        recomputed in the same transaction.
        """
        if not isinstance(config, dict):
            raise ValueError("config must be an object")
        stamp = iso(now)
        with self.db.transaction() as conn:
            old_rules = conn.execute("SELECT value FROM config WHERE key='rules'").fetchone()
            items = list(config.items())
            if etag is not None:
                items.append((ETAG_KEY, etag))
            version = config.get("version")
            if isinstance(version, int) and not isinstance(version, bool) and "forms" in config:
                # Every version's forms are kept: a visit begun on one is finished on it.
                items.append((f"{FORMS_KEY}{version}", config["forms"]))
            for key, value in items:
                conn.execute(
                    "INSERT INTO config (key, value, fetched_at) VALUES (?,?,?)"
                    " ON CONFLICT (key) DO UPDATE SET value=excluded.value,"
                    " fetched_at=excluded.fetched_at",
                    (key, jsonio.dumps(value), stamp),
                )
            if "rules" in config and (
                old_rules is None or old_rules[0] != jsonio.dumps(config["rules"])
            ):
                # New thresholds or visit intervals: every household's flags and due date move.
                for row in conn.execute(
                    "SELECT id FROM records WHERE entity='household' AND deleted=0"
                ).fetchall():
                    refresh_household(conn, row[0])

    def get(self, key: str, default: Any = None) -> Any:
        """One cached section (e.g. "rules", "forms", "enums"), or `default`."""
        row = self.db.query_one("SELECT value FROM config WHERE key=?", (key,))
        return default if row is None else jsonio.loads(row[0])

    def all(self) -> dict[str, Any]:
        """Every cached section."""
        return {r["key"]: jsonio.loads(r["value"]) for r in self.db.query("SELECT * FROM config")}

    def version(self) -> int | None:
        """The held configuration's published version (None: none held, or an old server)."""
        value = self.get("version")
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def forms_for(self, version: int | None) -> dict[str, Any] | None:
        """The forms of a published version held here (None: not held); `version` None: the
        newest forms held."""
        forms = self.get("forms" if version is None else f"{FORMS_KEY}{int(version)}")
        return forms if isinstance(forms, dict) else None

    def etag(self) -> str | None:
        """The ETag of the held configuration, for `If-None-Match`."""
        value = self.get(ETAG_KEY)
        return value if isinstance(value, str) else None

    def needs_fetch(self, served_version: int | None) -> bool:
        """Whether to ask for the configuration: none held, a pull named a newer version, or
        the server names none (an older server: ask with If-None-Match, a 304 is cheap)."""
        held = self.version()
        if not self.get("rules") or served_version is None:
            return True
        return held is None or served_version > held

    def fetched_at(self) -> str | None:
        """When the config was last fetched (None: never)."""
        row = self.db.query_one("SELECT max(fetched_at) FROM config")
        return row[0] if row else None

    def rules_config(self) -> RulesConfig:
        """A `shared_schema.config.RulesConfig` from the cached "rules" section.

        Falls back to the shared defaults for the current year when nothing is cached yet.
        """
        cached = self.get("rules")
        if cached:
            return config_from_dict(cached)
        return config_for(None, CURRENT_YEAR)


def _hash_pin(pin: str, salt: bytes) -> bytes:
    return hashlib.scrypt(pin.encode("utf-8"), salt=salt, **SCRYPT)


class SessionRepository:
    """Server URL, user, token, this install's client id and the offline PIN."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def _get(self, key: str) -> Any:
        row = self.db.query_one("SELECT value FROM session WHERE key=?", (key,))
        return None if row is None else jsonio.loads(row[0])

    def _set(self, conn: Connection, key: str, value: Any) -> None:
        conn.execute(
            "INSERT INTO session (key, value) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value=excluded.value",
            (key, jsonio.dumps(value)),
        )

    def client_id(self) -> str:
        """The UUID made once per install (created on first use, never changed)."""
        current = get_meta(self.db.conn, "client_id")
        if current is not None:
            return current
        with self.db.transaction() as conn:
            return set_meta_once(conn, "client_id", str(uuid.uuid4()))

    def adopt_client_id(self, value: str) -> str:
        """Use `value` as this install's id when none exists yet (the id a login was made with);
        the id in force is returned."""
        with self.db.transaction() as conn:
            return set_meta_once(conn, "client_id", value)

    def get(self) -> Session:
        """The current session (logged out: token None)."""
        return Session(
            server_url=self._get("server_url"),
            client_id=self.client_id(),
            user=self._get("user"),
            token=self._get("token"),
            grids=self._get("grids") or [],
            device_name=self._get("device_name"),
        )

    def save_login(
        self,
        *,
        server_url: str,
        user: dict[str, Any],
        token: str,
        grids: list[Any],
        device_name: str | None = None,
    ) -> Session:
        """Remember a successful login.

        Logging in as a different user than the one whose data is on the phone is refused
        while anything is unsynced or drafted (it would push one worker's edits under
        another's name); otherwise the previous user's records, notices and pull cursor are
        cleared so the new user pulls their own grids. Mutation ids continue: the server
        numbers them per client, not per user. Parked edits stay (exportable).
        """
        previous = self._get("user")
        with self.db.transaction() as conn:
            if previous and previous.get("username") != user.get("username"):
                pending = count_entries(self.db) + count_drafts(self.db)
                if pending:
                    raise PermissionError(
                        f"{pending} unsynced changes belong to {previous.get('username')}"
                    )
                clear_records(conn)
                clear_notices(conn)
                clear_rejected(conn)
                forget_values(conn, ("cursor", "last_error"))
            self._set(conn, "server_url", server_url.rstrip("/"))
            self._set(conn, "user", user)
            self._set(conn, "token", token)
            self._set(conn, "grids", grids)
            if device_name is not None:
                self._set(conn, "device_name", device_name)
        return self.get()

    def clear_token(self) -> None:
        """Forget the token (logout or expired); data and PIN stay."""
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM session WHERE key='token'")

    def set_pin(self, pin: str) -> None:
        """Set the offline unlock PIN (digits, at least 4)."""
        if not isinstance(pin, str) or not pin.isdigit() or len(pin) < MIN_PIN_LENGTH:
            raise ValueError(f"PIN must be at least {MIN_PIN_LENGTH} digits")
        salt = os.urandom(16)
        with self.db.transaction() as conn:
            self._set(conn, "pin", {"salt": salt.hex(), "hash": _hash_pin(pin, salt).hex()})

    def has_pin(self) -> bool:
        """Whether an offline PIN is set."""
        return self._get("pin") is not None

    def photos_wifi_only(self) -> bool:
        """Whether photos wait for a network that is not metered (the settings screen)."""
        return self._get(PHOTOS_WIFI_ONLY) is True

    def set_photos_wifi_only(self, on: bool) -> None:
        with self.db.transaction() as conn:
            self._set(conn, PHOTOS_WIFI_ONLY, bool(on))

    def check_pin(self, pin: str) -> bool:
        """Whether `pin` unlocks the app (constant-time compare)."""
        stored = self._get("pin")
        if not stored or not isinstance(pin, str):
            return False
        digest = _hash_pin(pin, bytes.fromhex(stored["salt"]))
        return hmac.compare_digest(digest, bytes.fromhex(stored["hash"]))
