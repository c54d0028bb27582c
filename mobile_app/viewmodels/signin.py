"""Sign-in: online the first time (server URL, username, password), offline afterwards.

The screen works from the store's key file only (`StoreVault.profile`: who signed in here,
whether a PIN is set); the encrypted store opens when a secret unwraps its key. Offline entry
needs the session of a previous online login on this phone (kept until the worker signs out)
and the device PIN, or the password when no PIN was set. A successful online login opens (or
creates) the store with the password and makes the typed PIN the device PIN. Signing out
forgets the token, so the next entry is online again. Unwrapping runs scrypt (~0.3 s, more on
a phone), so both entries work off the UI thread.

Offline entry allows `MAX_UNLOCK_ATTEMPTS` wrong PINs (or passwords) in a row; the tries left
show under the PIN field (`pin_note`), and after the last one only the online sign-in opens
the store (and resets the count). The count is kept by the vault in the key file.
"""

from __future__ import annotations

import platform
from collections.abc import Callable
from typing import Any

from kivy.properties import BooleanProperty, NumericProperty, StringProperty

from mobile_app.store.vault import (
    MAX_UNLOCK_ATTEMPTS,
    CipherUnavailable,
    OtherUserData,
    StoreVault,
    UnlockLockedOut,
    WrongSecret,
    WrongUnlockSecret,
)
from mobile_app.viewmodels.base import ViewModel

LoginFn = Callable[[str, str, str, str, str], dict[str, Any]]
PIN_LENGTHS = range(4, 9)


def error_key(exc: BaseException) -> str:
    """The i18n key of a plain-words message for a login failure."""
    from mobile_app.sync.client import AuthExpired, Offline, ServerRejected

    if isinstance(exc, CipherUnavailable):
        return "signin.err_no_cipher"
    if isinstance(exc, WrongSecret):  # the server took the password, the local copy did not
        return "signin.err_store_password"
    if isinstance(exc, AuthExpired):
        return "signin.err_credentials"
    if isinstance(exc, Offline):
        return "signin.err_network"
    if isinstance(exc, ServerRejected) and exc.status in (400, 401, 403, 422):
        return "signin.err_credentials"
    return "signin.err_server"


class SignInViewModel(ViewModel):
    """State of the sign-in screen; `signed_in` turns True when the store is open."""

    server_url = StringProperty("")
    username = StringProperty("")
    password = StringProperty("")
    pin = StringProperty("")
    error = StringProperty("")
    busy = BooleanProperty(False)
    signed_in = BooleanProperty(False)
    can_open_offline = BooleanProperty(False)
    known_user = StringProperty("")
    needs_pin = BooleanProperty(False)
    online_login = BooleanProperty(False)  # the last sign-in reached the server
    blocked = BooleanProperty(False)  # no SQLCipher on this device: nothing may open
    unlock_tries_left = NumericProperty(MAX_UNLOCK_ATTEMPTS)  # offline tries before online
    locked_out = BooleanProperty(False)  # too many wrong offline tries: online sign-in only
    pin_note = StringProperty("")  # under the PIN field: tries left, or the lock-out

    def __init__(self, vault: StoreVault, login: LoginFn, *, default_url: str = "", **kw: Any):
        super().__init__(**kw)
        self.vault = vault
        self.login = login
        self.default_url = default_url
        self.bind(
            lang=self._show_tries, unlock_tries_left=self._show_tries, locked_out=self._show_tries
        )
        self.reload()

    def _show_tries(self, *_: Any) -> None:
        if self.locked_out:
            self.pin_note = self.tr("signin.locked_out", n=MAX_UNLOCK_ATTEMPTS)
        elif self.can_open_offline and self.unlock_tries_left < MAX_UNLOCK_ATTEMPTS:
            self.pin_note = self.tr("signin.tries_left", n=int(self.unlock_tries_left))
        else:
            self.pin_note = ""

    def _set_tries(self, left: int) -> None:
        self.unlock_tries_left = max(0, left)
        self.locked_out = self.can_open_offline and self.unlock_tries_left == 0
        self._show_tries()

    def reload(self) -> None:
        """Read the key file's profile again (after a sign-out or a lock)."""
        profile = self.vault.profile()
        self.server_url = profile.get("server_url") or self.default_url
        self.username = profile.get("username") or ""
        self.known_user = profile.get("display_name") or self.username
        self.needs_pin = bool(profile.get("has_pin"))
        # an old unencrypted store without a PIN has no secret to check offline: online once
        self.can_open_offline = bool(profile.get("signed_in")) and (
            self.needs_pin or not profile.get("legacy")
        )
        self.blocked = not self.vault.usable
        self.signed_in = False
        self._set_tries(int(profile.get("unlock_tries_left", MAX_UNLOCK_ATTEMPTS)))

    def _fail(self, key: str, **fmt: Any) -> None:
        self.error = self.tr(key, **fmt)

    def _fail_other_user(self, exc: OtherUserData) -> None:
        if exc.pending:
            self._fail("signin.err_other_user", user=exc.user, n=exc.pending)
        else:
            self._fail("signin.err_other_user_unknown", user=exc.user)

    def sign_in(self) -> bool:
        """Check the inputs and start the online login; False (with `error`) when refused."""
        self.error = ""
        if self.blocked:
            self._fail("signin.err_no_cipher")
            return False
        url = self.server_url.strip()
        for value, label in (
            (url, "signin.server_url"),
            (self.username.strip(), "signin.username"),
            (self.password, "signin.password"),
        ):
            if not value:
                self._fail("signin.err_required", field=self.tr(label))
                return False
        if not url.startswith(("http://", "https://")):
            self._fail("signin.err_url")
            return False
        if self.pin and not (self.pin.isdigit() and len(self.pin) in PIN_LENGTHS):
            self._fail("signin.err_pin_format")
            return False
        username, password, pin = self.username.strip(), self.password, self.pin
        try:
            client_id = self.vault.client_id_for(username)
        except OtherUserData as exc:  # refused before anything is sent
            self._fail_other_user(exc)
            return False
        self.busy = True
        device = f"{platform.node() or 'phone'}"

        def work() -> dict[str, Any]:
            answer = self.login(url, username, password, client_id, device)
            store = self.vault.open_after_login(
                username=username,
                password=password,
                pin=pin,
                user=answer["user"],
                server_url=url,
            )
            store.session.save_login(
                server_url=url,
                user=answer["user"],
                token=answer["token"],
                grids=answer.get("grids") or [],
                device_name=device,
            )
            return answer

        def done(answer: dict[str, Any]) -> None:
            self.busy = False
            self.password = ""
            self.pin = ""
            self.known_user = answer["user"].get("display_name") or username
            self.needs_pin = self.vault.keys.has("pin")
            self.can_open_offline = True
            self._set_tries(MAX_UNLOCK_ATTEMPTS)  # the password reset the offline count
            self.online_login = True
            self.signed_in = True

        def failed(exc: BaseException) -> None:
            self.busy = False
            self.vault.lock()
            if isinstance(exc, OtherUserData):
                self._fail_other_user(exc)
            else:
                self._fail(error_key(exc))

        self.run_background(work, done, failed)
        return True

    def open_offline(self) -> bool:
        """Unlock with the device PIN (or the password when no PIN is set); False with `error`
        when refused at once, True when the unlock started (`signed_in` or `error` follows)."""
        self.error = ""
        if self.blocked:
            self._fail("signin.err_no_cipher")
            return False
        if not self.can_open_offline:
            self._fail("signin.first_time")
            return False
        if self.locked_out:
            self._fail("signin.err_locked_out")
            return False
        if self.needs_pin:
            kind, secret, wrong = "pin", self.pin, "signin.err_pin_wrong"
        elif self.password:
            kind, secret, wrong = "password", self.password, "signin.err_password_wrong"
        else:
            self._fail("signin.err_offline_secret")
            return False
        if not secret:
            self._fail(wrong)
            return False
        self.busy = True

        def work() -> bool:
            if kind == "pin":
                self.vault.unlock_with_pin(secret)
            else:
                self.vault.unlock_with_password(secret)
            return True

        def done(_ok: bool) -> None:
            self.busy = False
            self.pin = ""
            self.password = ""
            self.online_login = False
            self._set_tries(MAX_UNLOCK_ATTEMPTS)
            self.signed_in = True

        def failed(exc: BaseException) -> None:
            self.busy = False
            if isinstance(exc, UnlockLockedOut):
                self._set_tries(0)
                self._fail("signin.err_locked_out")
            elif isinstance(exc, WrongUnlockSecret):
                self._set_tries(exc.remaining)
                self._fail("signin.err_locked_out" if self.locked_out else wrong)
            elif isinstance(exc, WrongSecret):
                self._fail(wrong)
            elif isinstance(exc, CipherUnavailable):
                self._fail("signin.err_no_cipher")
            else:
                self._fail("signin.err_store_open", reason=str(exc))

        self.run_background(work, done, failed)
        return True
