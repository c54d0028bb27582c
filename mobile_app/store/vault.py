"""The locked store: nothing opens the database until a PIN or password unwraps its key.

`StoreVault` owns the store file, its key file (`keyfile.py`) and, while unlocked, the open
`Store` and its key. The sign-in screen reads only the key file's profile (who signed in here,
whether a PIN is set); unlocking unwraps the key and opens the SQLCipher file; locking or
signing out closes it and drops the key.

A store left by the previous app version is plain SQLite with no key file ("legacy"): its PIN
is checked against the old scrypt hash inside it (or the server checks the password), then a
new key is made, saved wrapped, and the file is encrypted in place (`cipher.encrypt_plaintext`).

Offline unlocking allows `MAX_UNLOCK_ATTEMPTS` wrong secrets in a row (the PIN, or the
password where no PIN is set); then it refuses (`UnlockLockedOut`) until an online sign-in
with the password. The count lives in the key file, so a restart keeps it, and it is raised
*before* the secret is tried (killing the app during the derivation does not win a free try);
a right secret or an online sign-in sets it back to 0. This stops someone guessing in the
app; it does not stop an attacker who copies the files (docs/security.md).

Without SQLCipher the vault refuses to open anything (`CipherUnavailable`), unless
TIANYE_ALLOW_PLAINTEXT_STORE=1 is set (developers only): then keys and PINs work the same but
the file stays plain, and a warning is logged at every open.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import uuid
from pathlib import Path
from typing import Any

from mobile_app.store import Store, cipher
from mobile_app.store.cipher import CipherUnavailable
from mobile_app.store.keyfile import KeyFile, WrongSecret, new_dek
from mobile_app.store.settings import MIN_PIN_LENGTH

DB_NAME = "tianye.sqlite3"
ALLOW_PLAINTEXT_ENV = "TIANYE_ALLOW_PLAINTEXT_STORE"
MAX_PIN_LENGTH = 8
MAX_UNLOCK_ATTEMPTS = 5  # wrong offline PINs (or passwords) in a row before online is required
log = logging.getLogger("tianye.store")

__all__ = [
    "CipherUnavailable",
    "OtherUserData",
    "StoreVault",
    "UnlockLockedOut",
    "WrongSecret",
    "WrongUnlockSecret",
]


class WrongUnlockSecret(WrongSecret):
    """A wrong offline PIN or password; `remaining` tries before offline unlocking stops."""

    def __init__(self, kind: str, remaining: int) -> None:
        super().__init__(kind)
        self.kind = kind
        self.remaining = remaining


class UnlockLockedOut(PermissionError):
    """Too many wrong offline secrets in a row: only an online sign-in opens the store."""


class OtherUserData(PermissionError):
    """Another worker's data is on the phone and may hold unsynced work (pending None: unknown)."""

    def __init__(self, user: str, pending: int | None) -> None:
        super().__init__(f"the data of {user} is on this phone ({pending} unsynced)")
        self.user = user
        self.pending = pending


def check_pin_format(pin: str) -> None:
    """A PIN is 4-8 digits (ValueError otherwise)."""
    if not (isinstance(pin, str) and pin.isdigit() and MIN_PIN_LENGTH <= len(pin) <= 8):
        raise ValueError(f"PIN must be {MIN_PIN_LENGTH}-{MAX_PIN_LENGTH} digits")


class StoreVault:
    """The phone's store behind its key file; `store` is None while locked."""

    def __init__(
        self,
        data_dir: str | Path,
        *,
        db_name: str = DB_NAME,
        allow_plaintext: bool | None = None,
    ) -> None:
        self.path = Path(data_dir) / db_name
        self.keys = KeyFile(self.path.with_name(db_name + ".keys.json"))
        # username -> client id of every worker who signed in here; outlives `wipe`, because
        # the server binds a client id to its first user (another user's is a 409)
        self.client_ids_path = self.path.with_name(db_name + ".clients.json")
        self.encrypting = cipher.available()
        if allow_plaintext is None:
            allow_plaintext = os.environ.get(ALLOW_PLAINTEXT_ENV) == "1"
        self.allow_plaintext = allow_plaintext
        self.store: Store | None = None
        self._dek: bytearray | None = None
        self._fresh_client_id: str | None = None
        # change_pin (a worker thread) and lock (the UI thread, e.g. auto-lock) never overlap:
        # a lock in the middle of a re-wrap would leave the key half used
        self._guard = threading.RLock()

    # -- state -------------------------------------------------------------------------------
    @property
    def usable(self) -> bool:
        """False when SQLCipher is missing and plaintext was not explicitly allowed."""
        return self.encrypting or self.allow_plaintext

    def check_usable(self) -> None:
        if not self.usable:
            raise CipherUnavailable(
                "SQLCipher is not available on this device; refusing to keep personal data"
                f" unencrypted (developers: set {ALLOW_PLAINTEXT_ENV}=1)"
            )

    def is_legacy(self) -> bool:
        """A plaintext store of the previous version, not yet given a key."""
        return not self.keys.exists() and cipher.is_plaintext(self.path)

    def profile(self) -> dict[str, Any]:
        """What the sign-in screen may know while locked (no secrets, no records).

        Keys: username, display_name, server_url, client_id, signed_in, has_pin, pending,
        legacy. Empty values on a fresh install.
        """
        if self.keys.exists():
            data = self.keys.load()
            profile = dict(data.get("profile") or {})
            profile["has_pin"] = "pin" in (data.get("wrapped") or {})
            profile["legacy"] = False
            failed = data.get("failed_unlocks", 0)
            failed = failed if isinstance(failed, int) and failed > 0 else 0
            profile["failed_unlocks"] = failed
            profile["unlock_tries_left"] = max(0, MAX_UNLOCK_ATTEMPTS - failed)
            return profile
        if cipher.is_plaintext(self.path):
            return self._legacy_profile()
        return {}

    def _legacy_profile(self) -> dict[str, Any]:
        try:
            conn = sqlite3.connect(self.path)
            try:
                session = dict(conn.execute("SELECT key, value FROM session").fetchall())
                row = conn.execute("SELECT value FROM meta WHERE key='client_id'").fetchone()
            finally:
                conn.close()
        except sqlite3.Error:
            return {"legacy": True, "has_pin": False}
        import json

        def value(key: str) -> Any:
            return json.loads(session[key]) if key in session else None

        user = value("user") or {}
        return {
            "username": user.get("username"),
            "display_name": user.get("display_name"),
            "server_url": value("server_url"),
            "client_id": row[0] if row else None,
            "signed_in": bool(user and value("token")),
            "has_pin": value("pin") is not None,
            "pending": None,
            "legacy": True,
        }

    # -- unlocking ---------------------------------------------------------------------------
    def unlock_tries_left(self) -> int:
        """Offline unlock attempts left before an online sign-in is required."""
        return max(0, MAX_UNLOCK_ATTEMPTS - self.keys.failed_unlocks())

    def unlock_with_pin(self, pin: str) -> Store:
        """Open with the device PIN: `WrongUnlockSecret` (with the tries left) when it is wrong,
        `UnlockLockedOut` after too many; the database is never touched by a wrong PIN."""
        return self._unlock("pin", pin)

    def unlock_with_password(self, password: str) -> Store:
        """Open offline with the account password's wrapped copy (no PIN set); counted like
        a PIN."""
        return self._unlock("password", password)

    def _unlock(self, kind: str, secret: str) -> Store:
        self.check_usable()
        if self.keys.exists():
            with self._guard:
                failed = self.keys.failed_unlocks()
                if failed >= MAX_UNLOCK_ATTEMPTS:
                    raise UnlockLockedOut(kind)
                # counted before the derivation: a kill during it cannot make a try free
                self.keys.set_failed_unlocks(failed + 1)
            try:
                dek = self.keys.unwrap(kind, secret)
            except WrongSecret:
                raise WrongUnlockSecret(kind, MAX_UNLOCK_ATTEMPTS - failed - 1) from None
            self.keys.set_failed_unlocks(0)
        elif self.is_legacy():
            if kind != "pin":
                raise WrongSecret(kind)
            with Store(self.path) as plain:
                if not plain.session.check_pin(secret):
                    raise WrongSecret(kind)
                client_id = plain.session.client_id()
            dek = new_dek()
            self.keys.create(
                dek, {"pin": secret}, self._profile_to_keep() | {"client_id": client_id}
            )
        else:
            raise WrongSecret(kind)
        return self._open(dek)

    def _profile_to_keep(self) -> dict[str, Any]:
        profile = self.profile()
        return {
            k: profile.get(k) for k in ("username", "display_name", "server_url", "client_id")
        } | {
            "signed_in": bool(profile.get("signed_in")),
        }

    def client_id_for(self, username: str) -> str:
        """The client id to sign `username` in with (before calling the server).

        The phone's own worker keeps this install's id. Another worker gets the id they had
        on this phone before, else a fresh one (the server binds a client id to one user; their
        store starts empty, and a reused id's mutation numbering is realigned by the push's
        gap answer); that is refused with `OtherUserData` while the present worker may have
        unsynced work.
        """
        profile = self.profile()
        owner = profile.get("username")
        if owner and owner != username:
            self._check_replaceable(profile)
            known = self._known_client_ids().get(username)
            if known:
                return known
            self._fresh_client_id = self._fresh_client_id or str(uuid.uuid4())
            return self._fresh_client_id
        if profile.get("client_id"):
            return str(profile["client_id"])
        if self.is_legacy():  # an old store that never made one: make it there, keep it
            with Store(self.path) as plain:
                return plain.session.client_id()
        self._fresh_client_id = self._fresh_client_id or str(uuid.uuid4())
        return self._fresh_client_id

    def _known_client_ids(self) -> dict[str, str]:
        import json

        try:
            data = json.loads(self.client_ids_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict):
            return {}
        return {str(k): str(v) for k, v in data.items() if isinstance(v, str)}

    def _remember_client_id(self, username: str, client_id: str) -> None:
        import json

        known = self._known_client_ids()
        if known.get(username) == client_id:
            return
        known[username] = client_id
        tmp = self.client_ids_path.with_name(self.client_ids_path.name + ".tmp")
        tmp.write_text(json.dumps(known, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, self.client_ids_path)

    def _check_replaceable(self, profile: dict[str, Any]) -> None:
        owner = str(profile.get("username"))
        if self.is_legacy():
            with Store(self.path) as plain:
                pending = plain.unsynced_count()
            if pending:
                raise OtherUserData(owner, int(pending))
            return
        if profile.get("signed_in") or profile.get("pending") is None:
            raise OtherUserData(owner, profile.get("pending"))
        if profile.get("pending"):
            raise OtherUserData(owner, int(profile["pending"]))

    def open_after_login(
        self, *, username: str, password: str, pin: str, user: dict[str, Any], server_url: str
    ) -> Store:
        """Open the store after the server accepted `password` (in the sign-in's worker thread).

        A fresh phone (or another worker's phone whose data is all synced) gets a new key and
        an empty store; the phone's own worker unwraps with the password, or with the PIN when
        the password changed on the server since. The typed PIN becomes the device PIN.
        """
        self.check_usable()
        if pin:
            check_pin_format(pin)
        profile = self.profile()
        owner = profile.get("username")
        client_id = self.client_id_for(username)
        if owner and owner != username:
            self.wipe()
            profile = {}
        if self.keys.exists():
            try:
                dek = self.keys.unwrap("password", password)
            except WrongSecret:
                if not pin:
                    raise
                dek = self.keys.unwrap("pin", pin)  # WrongSecret("pin"): neither fits
                self.keys.rewrap(dek, "password", password)
            if pin:
                self.keys.rewrap(dek, "pin", pin)
        else:
            dek = new_dek()
            self.keys.create(dek, {"password": password, "pin": pin}, {"client_id": client_id})
        self.keys.update_profile(
            username=username,
            display_name=user.get("display_name"),
            server_url=server_url,
            client_id=client_id,
            signed_in=True,
            pending=None,
        )
        self.keys.set_failed_unlocks(0)  # the server took the password: offline tries again
        self._fresh_client_id = None
        store = self._open(dek, client_id=client_id)
        self._remember_client_id(username, store.session.client_id())
        return store

    def _open(self, dek: bytes, *, client_id: str | None = None) -> Store:
        self.lock()
        if self.encrypting:
            if cipher.is_plaintext(self.path):
                counts = cipher.encrypt_plaintext(self.path, dek)
                log.info("store encrypted in place (%s rows)", sum(counts.values()))
            key: bytes | None = dek
        else:
            log.warning("SQLCipher missing: the store is NOT encrypted (%s=1)", ALLOW_PLAINTEXT_ENV)
            key = None
        self.store = store = Store(self.path, key=key)
        self._dek = bytearray(dek)
        in_force = store.session.adopt_client_id(client_id) if client_id else None
        if in_force is None:
            in_force = store.session.client_id()
        if self.keys.profile().get("client_id") != in_force:
            self.keys.update_profile(client_id=in_force)
        return store

    # -- while unlocked ----------------------------------------------------------------------
    def change_pin(self, old_pin: str, new_pin: str) -> None:
        """Re-wrap the key under a new PIN (the database is not re-encrypted)."""
        check_pin_format(new_pin)
        with self._guard:  # a lock (auto-lock) waits until the re-wrap is written
            if self._dek is None:
                raise RuntimeError("the store is locked")
            dek = bytes(self._dek)
            if self.keys.has("pin"):
                self.keys.unwrap("pin", old_pin)  # WrongSecret: the current PIN is required
            self.keys.rewrap(dek, "pin", new_pin)

    def update_profile(self, **values: Any) -> None:
        """Change what the sign-in screen shows (e.g. a new server address)."""
        if self.keys.exists():
            self.keys.update_profile(**values)

    def lock(self, *, signed_out: bool = False) -> None:
        """Close the store and drop the key; `signed_out` also records the unsynced count.

        Python cannot promise the key leaves memory: the bytearray is zeroed, but copies made
        by `bytes()`, the driver and SQLCipher's own buffers live until freed.
        """
        with self._guard:
            self._lock(signed_out=signed_out)

    def _lock(self, *, signed_out: bool) -> None:
        if self.store is not None:
            if signed_out:
                pending = self.store.unsynced_count()
                self.update_profile(signed_in=False, pending=int(pending))
            self.store.close()
            self.store = None
        if self._dek is not None:
            for i in range(len(self._dek)):
                self._dek[i] = 0
            self._dek = None

    def wipe(self) -> None:
        """Delete the store and its key file (only once nothing unsynced is on them)."""
        self.lock()
        cipher.remove_files(self.path, *cipher.side_files(self.path))
        self.keys.delete()
