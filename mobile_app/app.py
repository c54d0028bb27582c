"""The Kivy application: wires the store, the sync runner, the screens and the language.

Nothing here decides anything: view-models hold the state and rules, screens the layout.
Sync runs in a background thread; its progress comes back with `Clock.schedule_once`.

The store is encrypted and locked at start (`StoreVault`): only the sign-in screen exists
until a PIN or password opens the store; then the other view-models and screens are made over
it. Locking or signing out removes them again, closes the store and drops its key.
`AutoLock` locks the same way after the minutes set in Settings without a touch, or on resume
after a pause that long; a running sync is cancelled and waited for first, and text still
being typed is committed (the visit form's draft keeps it).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.logger import Logger
from kivy.properties import StringProperty
from kivy.uix.screenmanager import NoTransition, ScreenManager

from mobile_app.fonts import register_cjk_font
from mobile_app.i18n import DEFAULT_LANGUAGE, translate
from mobile_app.store import Store
from mobile_app.store.vault import DB_NAME, StoreVault
from mobile_app.sync.autosync import AutoSync
from mobile_app.sync.client import SyncClient
from mobile_app.sync.connectivity import HealthProbe, for_platform, metered_for
from mobile_app.sync.runner import SyncRunner
from mobile_app.sync.scheduler import Policy
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
from mobile_app.viewmodels.autolock import AutoLock
from mobile_app.viewmodels.base import utc_now
from mobile_app.viewmodels.household_register import (
    HouseholdFormViewModel,
    HouseholdRegisterViewModel,
)
from mobile_app.viewmodels.settings import Preferences
from mobile_app.widgets.common import COLORS, load_kv

__all__ = ["DB_NAME", "TianyeApp", "default_data_dir"]
AUTO_LOCK_CHECK_SECONDS = 15  # how often the idle time is looked at
AUTO_SYNC_TICK_SECONDS = 5  # how often the auto-sync scheduler is asked (cheap, no I/O)


def default_data_dir(app: App | None = None) -> Path:
    """TIANYE_DATA_DIR, else the platform's per-user app directory."""
    if os.environ.get("TIANYE_DATA_DIR"):
        return Path(os.environ["TIANYE_DATA_DIR"])
    if app is not None:
        make_config_home()
        return Path(app.user_data_dir)
    return Path.home() / ".tianye"


def make_config_home() -> None:
    """Create `$XDG_CONFIG_HOME` (default `~/.config`) on a desktop: Kivy's `user_data_dir`
    makes only its own last directory, so on an account that never ran a desktop program
    the first start would die. Android, iOS, Windows and macOS give an existing parent."""
    from kivy.utils import platform

    if platform in ("android", "ios", "win", "macosx"):
        return
    config_home = Path(os.environ.get("XDG_CONFIG_HOME", "~/.config")).expanduser()
    config_home.mkdir(parents=True, exist_ok=True)


class TianyeApp(App):
    """The phone app. `lang` drives every translated label (kv: `app.tr(key, app.lang)`)."""

    lang = StringProperty(DEFAULT_LANGUAGE)
    title = "Tianye"

    def __init__(
        self,
        *,
        data_dir: str | Path | None = None,
        server_url: str | None = None,
        autosync_policy: Policy | None = None,
        now: Callable[[], datetime] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        # The device's wall clock, read at this one edge: every view-model and sync runner
        # made over an unlocked store gets it (a test may move it across days).
        self.now: Callable[[], datetime] = now or utc_now
        self.data_dir = Path(data_dir) if data_dir else None
        self.server_url = (
            server_url if server_url is not None else os.environ.get("TIANYE_SERVER_URL", "")
        )
        self.history: list[str] = []
        self.vault: StoreVault | None = None
        self._lang_bindings: list[tuple[Any, int]] = []
        self._sign_out_after_sync = False
        self._runner: SyncRunner | None = None
        self.autolock: AutoLock | None = None
        self.autosync: AutoSync | None = None
        self.autosync_policy = autosync_policy
        self._autosync_event: Any = None

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
        from kivy.utils import platform

        assert self.store is not None
        self._runner = SyncRunner(
            self.store,
            self.make_client(),
            now=self.now,
            on_progress=on_progress,
            metered=metered_for(platform),  # "photos on Wi-Fi only" (sync/connectivity.py)
        )
        return self._runner

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
        self.autolock = AutoLock(
            close=self._close_screens,
            flush=self.flush_typing,
            sync_running=lambda: "sync" in self.vms and bool(self.vms["sync"].running),
            cancel_sync=self._cancel_sync,
            minutes=self.prefs.auto_lock_minutes(),
        )
        self.autolock.bind(locking=self._on_locking)
        signin = SignInViewModel(self.vault, self.login, default_url=self.server_url)
        self.vms: dict[str, Any] = {"signin": signin}
        signin.lang = self.lang
        self.bind(lang=signin.setter("lang"))
        signin.bind(signed_in=self._on_signed_in)
        sm = ScreenManager(transition=NoTransition())
        sm.add_widget(screens.SCREENS["signin"](name="signin", vm=signin))
        self.sm = sm
        Window.bind(on_keyboard=self._on_key)
        for event in ("on_touch_down", "on_touch_move", "on_key_down", "on_textinput"):
            Window.bind(**{event: self._touched})
        Clock.schedule_interval(self._check_idle, AUTO_LOCK_CHECK_SECONDS)
        return sm

    # -- locking ---------------------------------------------------------------------------
    def _touched(self, *_args: Any) -> None:
        if self.autolock is not None:
            self.autolock.touch()  # returns None: the touch goes on to the widgets

    def _check_idle(self, _dt: float) -> None:
        if self.autolock is not None:
            self.autolock.check()

    def on_pause(self) -> bool:
        """Android sends the app to the background: typing is committed, the time noted."""
        if self.autolock is not None:
            self.autolock.pause()
        return True

    def on_resume(self) -> None:
        if self.autolock is not None:
            self.autolock.resume()
        if self.autosync is not None:  # back in the foreground: sync (unless it just locked)
            self.autosync.notify("resume")

    # -- sync that runs itself ---------------------------------------------------------------
    def _start_autosync(self) -> None:
        """The scheduler over the store just opened; `start` syncs at once."""
        from kivy.utils import platform

        store = self.store
        assert store is not None
        sync_vm = self.vms["sync"]
        self.autosync = AutoSync(
            seed=store.session.client_id(),
            start_sync=lambda: (
                self.store is not None and self.store.session.get().logged_in and sync_vm.start()
            ),
            is_running=lambda: bool(sync_vm.running),
            is_locked=lambda: (
                self.store is None or (self.autolock is not None and bool(self.autolock.locking))
            ),
            connectivity=for_platform(platform, HealthProbe(self.make_client)),
            run_probe=self._run_probe,
            policy=self.autosync_policy,
            on_online=self._online_changed,
        )
        policy = self.autosync.policy
        every = min(AUTO_SYNC_TICK_SECONDS, policy.probe_every, policy.period)
        self._autosync_event = Clock.schedule_interval(self._autosync_tick, every)
        self.autosync.notify("start")

    def _online_changed(self, online: bool | None) -> None:
        """Home says "offline" while the server cannot be reached (what the worker saves
        stays on the phone and goes up by itself later)."""
        grid = self.vms.get("grid")
        if grid is not None:
            grid.online = online
            grid.refresh_status()

    def _stop_autosync(self) -> None:
        if self._autosync_event is not None:
            self._autosync_event.cancel()
            self._autosync_event = None
        self.autosync = None

    def _autosync_tick(self, _dt: float) -> None:
        if self.autosync is not None:
            self.autosync.tick()

    def _run_probe(self, check: Callable[[], bool], done: Callable[[bool], None]) -> None:
        """The reachability check off the UI thread; its answer back on it."""
        auto = self.autosync

        def work() -> None:
            ok = check()

            def deliver(_dt: float) -> None:
                if self.autosync is auto:  # not a stale answer for a store since locked
                    done(ok)

            Clock.schedule_once(deliver, 0)

        threading.Thread(target=work, name="tianye-probe", daemon=True).start()

    def lock(self) -> bool:
        """Lock now, or once the running sync stopped (False); the Lock button and auto-lock."""
        return self.autolock.lock() if self.autolock is not None else True

    def flush_typing(self) -> None:
        """Commit text still being typed in a form (a text field commits when it loses focus;
        the visit form then autosaves its draft), before the store closes or the app pauses."""
        for name in ("visit", "member", "household_form"):
            if name not in self.vms:
                continue
            renderer = getattr(self.sm.get_screen(name), "renderer", None)
            for field in getattr(renderer, "widgets", {}).values():
                text_input: Any = getattr(field, "input", None)
                if getattr(text_input, "focus", False):
                    text_input.focus = False

    def _cancel_sync(self) -> None:
        if self._runner is not None:
            self._runner.cancel()

    def _on_locking(self, _autolock: Any, locking: bool) -> None:
        """While a lock waits for the sync: the sign-in screen, no unlocking, no data shown."""
        if locking:
            self.show("signin", reset=True)
            self.vms["signin"].busy = True
            self.vms["signin"].error = self.tr("signin.locking")

    def _open_screens(self) -> None:
        """The view-models and screens over the store just unlocked."""
        from mobile_app import screens

        store = self.store
        assert store is not None and self.vault is not None
        now = self.now
        vms: dict[str, Any] = {
            "grid": GridViewModel(store, now=now),
            "household": HouseholdViewModel(store, now=now),
            "visit": VisitFormViewModel(store, now=now),
            "member": MemberFormViewModel(store, now=now),
            "household_form": HouseholdFormViewModel(store, now=now),
            "register": HouseholdRegisterViewModel(store, now=now),
            "sync": SyncViewModel(store, self.make_runner, now=now),
            "returned": ReturnedViewModel(store, now=now),
            "settings": SettingsViewModel(
                store,
                self.prefs,
                revoke=self.revoke_token,
                export_dir=self.data_root / "exports",
                vault=self.vault,
                now=now,
            ),
        }
        for vm in vms.values():
            vm.lang = self.lang
            self._lang_bindings.append((vm, self.fbind("lang", vm.setter("lang"))))
        vms["settings"].bind(lang=self.setter("lang"))
        if self.autolock is not None:
            vms["settings"].bind(auto_lock_minutes=self.autolock.setter("minutes"))
            self.autolock.minutes = vms["settings"].auto_lock_minutes
            self.autolock.start()
        vms["settings"].bind(signed_out=self._on_signed_out, locked=self._on_locked)
        vms["sync"].bind(finished_runs=self._on_sync_finished)
        self.vms.update(vms)
        for name, vm in vms.items():
            self.sm.add_widget(screens.SCREENS[name](name=name, vm=vm))

    def _close_screens(self, *, signed_out: bool = False) -> None:
        """Back to the sign-in screen; every screen over the store goes, then the store."""
        if self.autolock is not None:
            self.autolock.stop()
        self.flush_typing()
        self.show("signin", reset=True)
        for name in [n for n in self.vms if n != "signin"]:
            self.sm.remove_widget(self.sm.get_screen(name))
            del self.vms[name]
        for _vm, uid in self._lang_bindings:
            self.unbind_uid("lang", uid)
        self._lang_bindings = []
        self._runner = None
        self._stop_autosync()
        if self.vault is not None:
            self.vault.lock(signed_out=signed_out)
        signin = self.vms["signin"]
        signin.reload()
        signin.busy = False
        signin.error = ""

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
        """Back to the previous screen; False at the root. A screen with unsaved edits
        (`may_leave`) may ask the worker first; Back then waits for the answer."""
        if not self.history:
            return False
        may_leave = getattr(self.sm.current_screen, "may_leave", None)
        if may_leave is not None and not may_leave():
            return True
        leaving = self.sm.current
        name = self.history.pop()
        if name == "household" and self.vms["household"].household_id:
            # from the register screen, its household (the household screen may have shown
            # the one a split made meanwhile)
            shown = self.vms["household"].household_id
            if leaving == "register" and self.vms["register"].household_id:
                shown = self.vms["register"].household_id
            self.vms["household"].load(shown)
        elif name == "grid":
            self.vms["grid"].refresh()
        elif name == "visit":
            self.vms["visit"].reload_members()  # a member may have been added or edited
        elif name == "register" and not self._reload_register():
            return True  # its household is gone: the list instead
        self.sm.current = name
        return True

    def refresh_lists(self) -> None:
        """After a sync: lists and the open household show what was pulled."""
        self.vms["grid"].refresh()
        self.vms["returned"].refresh()
        if self.vms["household"].household_id:
            self.vms["household"].load(self.vms["household"].household_id)
        if self.sm.current == "register":
            self._reload_register()  # households pulled or gone: the targets follow

    def _reload_register(self) -> bool:
        """Re-read the register screen's household (choices kept); gone: the list, False."""
        vm = self.vms["register"]
        try:
            vm.load(vm.household_id)
        except LookupError:
            self.show("grid", reset=True)
            return False
        return True

    def open_household(self, household_id: str) -> None:
        self.vms["household"].load(household_id)
        self.show("household")

    def new_visit(self, household_id: str) -> None:
        self.vms["visit"].open_new(household_id)
        self.show("visit")

    def open_visit(self, visit_id: str) -> None:
        self.vms["visit"].open_existing(visit_id)
        self.show("visit")

    def new_household(self, grid_id: str) -> None:
        """Register a household in `grid_id` (a provisional number; issue 16)."""
        self.vms["household_form"].open_new(grid_id)
        self.show("household_form")

    def edit_household(self, household_id: str) -> None:
        self.vms["household_form"].open_existing(household_id)
        self.show("household_form")

    def open_register(self, household_id: str) -> None:
        """Split, move a member, mark moved away or merged (issue 16)."""
        self.vms["register"].open(household_id)
        self.show("register")

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
        # Sync at once (fresh from the server: fetch the grid's households), then by itself.
        self._start_autosync()

    def _on_sync_finished(self, *_args: Any) -> None:
        if self._sign_out_after_sync:
            self._sign_out_after_sync = False
            self._close_screens(signed_out=True)
            return
        if self.autolock is not None and self.autolock.sync_finished():
            return  # a lock waited for this sync: the store is closed now
        self.refresh_lists()
        if self.autosync is not None:  # plan the next one (or start a trigger kept meanwhile)
            self.autosync.sync_finished(self.vms["sync"].last_failure)

    def _on_signed_out(self, _vm: Any, signed_out: bool) -> None:
        if not signed_out:
            return
        if self.vms["sync"].running:  # the sync thread still uses the store: close after it
            self._sign_out_after_sync = True
            self.show("signin", reset=True)
            return
        self._close_screens(signed_out=True)

    def _on_locked(self, _vm: Any, locked: bool) -> None:
        if locked:  # a running sync is cancelled and the store closes when it has stopped
            self.lock()

    def _on_key(self, _window: Any, key: int, *_args: Any) -> bool:
        if key == 27:  # Android back / Escape
            return self.back()
        return False
