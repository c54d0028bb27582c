"""Settings: language (zh/en), the server address, signing out, and exporting unsynced work.

The language is a device preference kept in a small JSON file next to the database (it must be
known before the database opens and is not part of any synced record). Signing out forgets the
token (data and PIN stay); it refuses while unsynced changes exist unless the worker confirms,
because a later login as someone else could not upload them.

"Lock" closes the encrypted store and forgets its key until the next PIN entry; "Change PIN"
re-wraps the store's key under the new PIN (`StoreVault.change_pin`; the database is not
re-encrypted). Both need the vault, which the app passes in. "Auto-lock" picks how many
minutes without a touch lock the store (`AUTO_LOCK_CHOICES`, a device preference; the app's
`AutoLock` follows `auto_lock_minutes`).

"Photos on Wi-Fi only" (default off) is kept in the store with the session
(`SessionRepository.set_photos_wifi_only`): the sync runner reads it there and holds photos
back on a metered network; `TIANYE_PHOTOS_WIFI_ONLY=1`/`=0` overrides it (tests, ops), and the
screen then says so.

"Export unsynced work" writes the outbox to a checksummed file (`mobile_app.store.export`) for
a phone that will never get signal again; the office imports it with
`python -m sync_server import-outbox` (docs/operations.md).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kivy.properties import BooleanProperty, NumericProperty, StringProperty

from mobile_app.i18n import DEFAULT_LANGUAGE, LANGUAGES
from mobile_app.store import Store
from mobile_app.store.export import export_outbox
from mobile_app.store.keyfile import WrongSecret
from mobile_app.store.vault import StoreVault
from mobile_app.viewmodels.autolock import AUTO_LOCK_CHOICES, auto_lock_minutes
from mobile_app.viewmodels.base import ViewModel


class Preferences:
    """Device preferences in a JSON file (language, default server URL)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def load(self) -> dict[str, Any]:
        """All preferences ({} when the file is missing or unreadable)."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def get(self, key: str, default: Any = None) -> Any:
        return self.load().get(key, default)

    def set(self, key: str, value: Any) -> None:
        """Write one preference atomically (temp file, then rename)."""
        data = self.load()
        data[key] = value
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        tmp.replace(self.path)

    def language(self) -> str:
        lang = self.get("language", DEFAULT_LANGUAGE)
        return lang if lang in LANGUAGES else DEFAULT_LANGUAGE

    def auto_lock_minutes(self) -> int:
        """Minutes without a touch before the store locks (one of `AUTO_LOCK_CHOICES`)."""
        return auto_lock_minutes(self.get("auto_lock_minutes"))


class SettingsViewModel(ViewModel):
    """State of the settings screen."""

    server_url = StringProperty("")
    user_name = StringProperty("")
    message = StringProperty("")
    error = StringProperty("")
    confirm_needed = BooleanProperty(False)
    pending_count = NumericProperty(0)
    signed_out = BooleanProperty(False)
    locked = BooleanProperty(False)
    pin_busy = BooleanProperty(False)
    auto_lock_minutes = NumericProperty(0)
    photos_wifi_only = BooleanProperty(False)  # the stored setting
    wifi_only_note = StringProperty("")  # when the environment overrides it

    def __init__(
        self,
        store: Store,
        prefs: Preferences,
        *,
        revoke: Callable[[], None] | None = None,
        export_dir: str | Path | None = None,
        vault: StoreVault | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(**kw)
        self.store = store
        self.vault = vault
        self.prefs = prefs
        self.revoke = revoke
        self.export_dir = Path(export_dir) if export_dir else prefs.path.parent / "exports"
        self.lang = prefs.language()
        self.auto_lock_minutes = prefs.auto_lock_minutes()
        self.bind(lang=lambda *_: self._wifi_note())
        self.refresh()

    def refresh(self) -> None:
        """Reload the session and the pending count."""
        session = self.store.session.get()
        self.server_url = session.server_url or self.prefs.get("server_url", "") or ""
        user = session.user or {}
        self.user_name = user.get("display_name") or user.get("username") or ""
        self.pending_count = self.store.outbox.count()
        self.photos_wifi_only = self.store.session.photos_wifi_only()
        self._wifi_note()
        self.message = self.error = ""
        self.confirm_needed = False

    def set_photos_wifi_only(self, on: bool) -> None:
        """Photos wait for a network that is not metered (kept on this phone)."""
        self.store.session.set_photos_wifi_only(on)
        self.photos_wifi_only = bool(on)

    def _wifi_note(self) -> None:
        from mobile_app.sync.connectivity import env_flag
        from mobile_app.sync.files import WIFI_ONLY_ENV

        forced = env_flag(os.environ, WIFI_ONLY_ENV)
        if forced is None:
            self.wifi_only_note = ""
            return
        state = self.tr("settings.on" if forced else "settings.off")
        self.wifi_only_note = self.tr("settings.wifi_only_forced", state=state)

    def set_language(self, lang: str) -> None:
        """Switch the app language and remember it on the device."""
        if lang not in LANGUAGES:
            raise ValueError(f"unknown language {lang!r}; expected one of {LANGUAGES}")
        self.prefs.set("language", lang)
        self.lang = lang

    def set_auto_lock(self, minutes: int) -> None:
        """Lock after this many minutes without a touch (remembered on the device)."""
        if minutes not in AUTO_LOCK_CHOICES:
            raise ValueError(f"auto-lock minutes must be one of {AUTO_LOCK_CHOICES}")
        self.prefs.set("auto_lock_minutes", minutes)
        self.auto_lock_minutes = minutes

    def save_server_url(self, url: str) -> bool:
        """Change the server address (kept with the session when signed in)."""
        url = url.strip().rstrip("/")
        self.message = self.error = ""
        if not url.startswith(("http://", "https://")):
            self.error = self.tr("signin.err_url")
            return False
        session = self.store.session.get()
        if session.user and session.token:
            self.store.session.save_login(
                server_url=url, user=session.user, token=session.token, grids=session.grids
            )
        self.prefs.set("server_url", url)
        if self.vault is not None:  # the sign-in screen shows it while the store is locked
            self.vault.update_profile(server_url=url)
        self.server_url = url
        self.message = self.tr("settings.url_saved")
        return True

    def sign_out(self, confirmed: bool = False) -> bool:
        """Forget the token; with unsynced changes, only after `confirmed`. True when done."""
        self.pending_count = self.store.outbox.count()
        self.error = self.message = ""
        if self.pending_count and not confirmed:
            self.confirm_needed = True
            self.error = self.tr("settings.sign_out_unsynced", n=self.pending_count)
            return False
        if self.revoke is not None:
            # revoking is best effort: signing out offline must still work
            with contextlib.suppress(Exception):
                self.revoke()
        self.store.session.clear_token()
        self.confirm_needed = False
        self.message = self.tr("settings.signed_out")
        self.signed_out = True
        return True

    def lock(self) -> None:
        """Close the store and forget its key; the PIN (or password) opens it again."""
        self.message = self.error = ""
        self.locked = True

    def change_pin(self, current: str, new: str) -> bool:
        """Set a new device PIN (the current one is required when one is set); False with
        `error` when refused at once, True when the re-wrap started."""
        self.message = self.error = ""
        if self.vault is None:
            return False
        if not (new.isdigit() and 4 <= len(new) <= 8):
            self.error = self.tr("signin.err_pin_format")
            return False
        self.pin_busy = True

        def done(_result: Any) -> None:
            self.pin_busy = False
            self.message = self.tr("settings.pin_changed")

        def failed(exc: BaseException) -> None:
            self.pin_busy = False
            key = "settings.pin_wrong_current" if isinstance(exc, WrongSecret) else None
            self.error = self.tr(key) if key else self.tr("settings.pin_failed", reason=str(exc))

        vault = self.vault
        self.run_background(lambda: vault.change_pin(current, new), done, failed)
        return True

    def export_unsynced(self) -> Path | None:
        """Write the unsynced edits to a file in `export_dir`; the path, or None on failure."""
        self.error = self.message = ""
        moment = self.now()
        path = self.export_dir / f"tianye-outbox-{moment.strftime('%Y%m%d-%H%M%S')}.json"
        try:
            self.export_dir.mkdir(parents=True, exist_ok=True)
            done = export_outbox(self.store, path, now=moment)
        except (OSError, ValueError) as exc:
            self.error = self.tr("settings.export_failed", reason=str(exc))
            return None
        self.pending_count = self.store.outbox.count()
        self.message = self.tr("settings.exported", n=done.mutations, path=str(done.path))
        return done.path
