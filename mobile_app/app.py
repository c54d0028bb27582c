"""The Kivy application: wires the store, the sync runner, the screens and the language.

Nothing here decides anything: view-models hold the state and rules, screens the layout.
Sync runs in a background thread; its progress comes back with `Clock.schedule_once`.

The store is encrypted and locked at start (`StoreVault`): only the sign-in screen exists
until a PIN or password opens the store; then the other view-models and screens are made over
it. Locking or signing out removes them again, closes the store and drops its key.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.core.window import Window
from kivy.logger import Logger
from kivy.properties import StringProperty
from kivy.uix.screenmanager import NoTransition, ScreenManager

from mobile_app.fonts import register_cjk_font
from mobile_app.i18n import DEFAULT_LANGUAGE, translate
from mobile_app.store import Store
from mobile_app.store.vault import DB_NAME, StoreVault
from mobile_app.sync.client import SyncClient
from mobile_app.sync.runner import SyncRunner
from mobile_app.viewmodels import (
    GridViewModel,
    HouseholdViewModel,
    MemberFormViewModel,
    ReturnedViewModel,
    SettingsViewModel,
    SignInViewModel,
    SyncViewModel,
    VisitFormViewModel,
)
from mobile_app.viewmodels.settings import Preferences
from mobile_app.widgets.common import COLORS, load_kv

__all__ = ["DB_NAME", "TianyeApp", "default_data_dir"]


def default_data_dir(app: App | None = None) -> Path:
    """TIANYE_DATA_DIR, else the platform's per-user app directory."""
    if os.environ.get("TIANYE_DATA_DIR"):
        return Path(os.environ["TIANYE_DATA_DIR"])
    if app is not None:
        return Path(app.user_data_dir)
    return Path.home() / ".tianye"


class TianyeApp(App):
    """The phone app. `lang` drives every translated label (kv: `app.tr(key, app.lang)`)."""

    lang = StringProperty(DEFAULT_LANGUAGE)
    title = "Tianye"

    def __init__(
        self,
        *,
        data_dir: str | Path | None = None,
        server_url: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.data_dir = Path(data_dir) if data_dir else None
        self.server_url = (
            server_url if server_url is not None else os.environ.get("TIANYE_SERVER_URL", "")
        )
        self.history: list[str] = []
        self.vault: StoreVault | None = None
        self._lang_bindings: list[tuple[Any, int]] = []
        self._sign_out_after_sync = False

    @property
    def store(self) -> Store | None:
        """The open store (None while locked)."""
        return self.vault.store if self.vault is not None else None

    # -- wiring ----------------------------------------------------------------------------
    def tr(self, key: str, lang: str | None = None, **fmt: Any) -> str:
        """An app string; kv passes `app.lang` so labels re-evaluate on a language switch."""
        return translate(key, lang or self.lang, **fmt)

    def make_client(self) -> SyncClient:
        """A client for the current session (server URL and token)."""
        assert self.store is not None
        session = self.store.session.get()
        return SyncClient(session.server_url, session.token, language=self.lang)

    def login(self, url: str, username: str, password: str, client_id: str, device: str) -> dict:
        """Online login (runs in a background thread)."""
        return SyncClient(language=self.lang).login(url, username, password, client_id, device)

    def make_runner(self, on_progress: Callable[[Any], None]) -> SyncRunner:
        """A sync runner over the store with progress delivered to the sync view-model."""
        assert self.store is not None
        return SyncRunner(self.store, self.make_client(), on_progress=on_progress)

    def revoke_token(self) -> None:
        self.make_client().logout()

    def build(self) -> ScreenManager:
        register_cjk_font()
        load_kv()
        from mobile_app import screens

        Window.clearcolor = COLORS["bg"]
        Window.softinput_mode = "below_target"
        data_dir = self.data_dir or default_data_dir(self)
        data_dir.mkdir(parents=True, exist_ok=True)
        self.data_root = data_dir
        self.vault = StoreVault(data_dir)
        if not self.vault.usable:
            Logger.error("Tianye: SQLCipher is missing; the store stays closed (docs/security.md)")
        self.prefs = Preferences(data_dir / "prefs.json")
        self.lang = self.prefs.language()
        signin = SignInViewModel(self.vault, self.login, default_url=self.server_url)
        self.vms: dict[str, Any] = {"signin": signin}
        signin.lang = self.lang
        self.bind(lang=signin.setter("lang"))
        signin.bind(signed_in=self._on_signed_in)
        sm = ScreenManager(transition=NoTransition())
        sm.add_widget(screens.SCREENS["signin"](name="signin", vm=signin))
        self.sm = sm
        Window.bind(on_keyboard=self._on_key)
        return sm

    def _open_screens(self) -> None:
        """The view-models and screens over the store just unlocked."""
        from mobile_app import screens

        store = self.store
        assert store is not None and self.vault is not None
        vms: dict[str, Any] = {
            "grid": GridViewModel(store),
            "household": HouseholdViewModel(store),
            "visit": VisitFormViewModel(store),
            "member": MemberFormViewModel(store),
            "sync": SyncViewModel(store, self.make_runner),
            "returned": ReturnedViewModel(store),
            "settings": SettingsViewModel(
                store,
                self.prefs,
                revoke=self.revoke_token,
                export_dir=self.data_root / "exports",
                vault=self.vault,
            ),
        }
        for vm in vms.values():
            vm.lang = self.lang
            self._lang_bindings.append((vm, self.fbind("lang", vm.setter("lang"))))
        vms["settings"].bind(lang=self.setter("lang"))
        vms["settings"].bind(signed_out=self._on_signed_out, locked=self._on_locked)
        vms["sync"].bind(finished_runs=self._on_sync_finished)
        self.vms.update(vms)
        for name, vm in vms.items():
            self.sm.add_widget(screens.SCREENS[name](name=name, vm=vm))

    def _close_screens(self, *, signed_out: bool = False) -> None:
        """Back to the sign-in screen; every screen over the store goes, then the store."""
        self.show("signin", reset=True)
        for name in [n for n in self.vms if n != "signin"]:
            self.sm.remove_widget(self.sm.get_screen(name))
            del self.vms[name]
        for _vm, uid in self._lang_bindings:
            self.unbind_uid("lang", uid)
        self._lang_bindings = []
        if self.vault is not None:
            self.vault.lock(signed_out=signed_out)
        self.vms["signin"].reload()

    def on_stop(self) -> None:
        if self.vault is not None:
            self.vault.lock()

    # -- navigation ------------------------------------------------------------------------
    def show(self, name: str, *, reset: bool = False) -> None:
        """Go to a screen (remembering where we came from for Back)."""
        if reset:
            self.history = []
        elif self.sm.current != name:
            self.history.append(self.sm.current)
        if name == "grid":
            self.vms["grid"].refresh()
        elif name == "sync":
            self.vms["sync"].refresh()
        elif name == "returned":
            self.vms["returned"].refresh()
        elif name == "settings":
            self.vms["settings"].refresh()
        self.sm.current = name

    def back(self) -> bool:
        """Back to the previous screen; False at the root."""
        if not self.history:
            return False
        name = self.history.pop()
        if name == "household" and self.vms["household"].household_id:
            self.vms["household"].load(self.vms["household"].household_id)
        elif name == "grid":
            self.vms["grid"].refresh()
        elif name == "visit":
            self.vms["visit"].reload_members()  # a member may have been added or edited
        self.sm.current = name
        return True

    def refresh_lists(self) -> None:
        """After a sync: lists and the open household show what was pulled."""
        self.vms["grid"].refresh()
        self.vms["returned"].refresh()
        if self.vms["household"].household_id:
            self.vms["household"].load(self.vms["household"].household_id)

    def open_household(self, household_id: str) -> None:
        self.vms["household"].load(household_id)
        self.show("household")

    def new_visit(self, household_id: str) -> None:
        self.vms["visit"].open_new(household_id)
        self.show("visit")

    def open_visit(self, visit_id: str) -> None:
        self.vms["visit"].open_existing(visit_id)
        self.show("visit")

    def new_member(self, household_id: str) -> None:
        self.vms["member"].open_new(household_id)
        self.show("member")

    def edit_member(self, member_id: str) -> None:
        self.vms["member"].open_existing(member_id)
        self.show("member")

    def _on_signed_in(self, vm: Any, signed_in: bool) -> None:
        if not signed_in or "grid" in self.vms:
            return
        self._open_screens()
        self.show("grid", reset=True)
        if vm.online_login:  # fresh from the server: fetch the grid's households right away
            self.vms["sync"].start()

    def _on_sync_finished(self, *_args: Any) -> None:
        if self._sign_out_after_sync:
            self._sign_out_after_sync = False
            self._close_screens(signed_out=True)
            return
        self.refresh_lists()

    def _on_signed_out(self, _vm: Any, signed_out: bool) -> None:
        if not signed_out:
            return
        if self.vms["sync"].running:  # the sync thread still uses the store: close after it
            self._sign_out_after_sync = True
            self.show("signin", reset=True)
            return
        self._close_screens(signed_out=True)

    def _on_locked(self, vm: Any, locked: bool) -> None:
        if not locked:
            return
        if self.vms["sync"].running:  # a sync thread is using the store: lock when it ends
            vm.locked = False
            vm.error = self.tr("settings.lock_after_sync")
            return
        self._close_screens()

    def _on_key(self, _window: Any, key: int, *_args: Any) -> bool:
        if key == 27:  # Android back / Escape
            return self.back()
        return False
