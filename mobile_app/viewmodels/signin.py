"""Sign-in: online the first time (server URL, username, password), offline afterwards.

Offline entry needs the saved session of a previous online login on this phone (its token is
kept until the worker signs out) and, when a device PIN was set, that PIN. A successful online
login stores the session and the optional PIN, so the worker can open the app days later with
no signal. Signing out forgets the token, so the next entry is online again.
"""

from __future__ import annotations

import platform
from collections.abc import Callable
from typing import Any

from kivy.properties import BooleanProperty, StringProperty

from mobile_app.store import Store
from mobile_app.viewmodels.base import ViewModel

LoginFn = Callable[[str, str, str, str, str], dict[str, Any]]
PIN_LENGTHS = range(4, 9)


def error_key(exc: BaseException) -> str:
    """The i18n key of a plain-words message for a login failure."""
    from mobile_app.sync.client import AuthExpired, Offline, ServerRejected

    if isinstance(exc, AuthExpired):
        return "signin.err_credentials"
    if isinstance(exc, Offline):
        return "signin.err_network"
    if isinstance(exc, ServerRejected) and exc.status in (400, 401, 403, 422):
        return "signin.err_credentials"
    return "signin.err_server"


class SignInViewModel(ViewModel):
    """State of the sign-in screen; `signed_in` turns True when the app may open."""

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

    def __init__(self, store: Store, login: LoginFn, *, default_url: str = "", **kw: Any):
        super().__init__(**kw)
        self.store = store
        self.login = login
        session = store.session.get()
        self.server_url = session.server_url or default_url
        user = session.user or {}
        self.username = user.get("username") or ""
        self.known_user = user.get("display_name") or user.get("username") or ""
        self.can_open_offline = bool(session.user and session.token)
        self.needs_pin = store.session.has_pin()

    def _fail(self, key: str, **fmt: Any) -> None:
        self.error = self.tr(key, **fmt)

    def sign_in(self) -> bool:
        """Check the inputs and start the online login; False (with `error`) when refused."""
        self.error = ""
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
        self.busy = True
        client_id = self.store.session.client_id()
        username, password, pin = self.username.strip(), self.password, self.pin
        device = f"{platform.node() or 'phone'}"

        def work() -> dict[str, Any]:
            return self.login(url, username, password, client_id, device)

        def done(answer: dict[str, Any]) -> None:
            self.busy = False
            try:
                self.store.session.save_login(
                    server_url=url,
                    user=answer["user"],
                    token=answer["token"],
                    grids=answer.get("grids") or [],
                    device_name=device,
                )
            except PermissionError:
                previous = (self.store.session.get().user or {}).get("username") or "?"
                self._fail("signin.err_other_user", user=previous, n=self.store.outbox.count())
                return
            if pin:
                self.store.session.set_pin(pin)
            self.password = ""
            self.pin = ""
            self.known_user = answer["user"].get("display_name") or username
            self.online_login = True
            self.signed_in = True

        def failed(exc: BaseException) -> None:
            self.busy = False
            self._fail(error_key(exc))

        self.run_background(work, done, failed)
        return True

    def open_offline(self) -> bool:
        """Open with the device PIN (when set) or the saved session; False with `error`."""
        self.error = ""
        session = self.store.session.get()
        if not (session.user and session.token):
            self._fail("signin.first_time")
            return False
        if self.store.session.has_pin() and not self.store.session.check_pin(self.pin):
            self._fail("signin.err_pin_wrong")
            return False
        self.pin = ""
        self.online_login = False
        self.signed_in = True
        return True
