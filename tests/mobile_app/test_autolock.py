"""Auto-lock: idle and pause limits on an injected clock, the setting, and a lock that never
closes the store under a running sync or loses text still being typed."""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="tianye-kivy-home-"))

import threading

import pytest

from mobile_app.store import Store
from mobile_app.sync.runner import SyncCancelled
from mobile_app.viewmodels import SettingsViewModel, SyncViewModel, VisitFormViewModel
from mobile_app.viewmodels.autolock import (
    AUTO_LOCK_CHOICES,
    DEFAULT_AUTO_LOCK_MINUTES,
    AutoLock,
)
from mobile_app.viewmodels.settings import Preferences
from tests.ui.kivy.seed import NOW, hid, seed_household

SYNC = {"now": lambda: NOW, "spawn": lambda fn: fn(), "post": lambda fn: fn()}
MIN = 60.0


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t

    def advance(self, minutes: float) -> None:
        self.t += minutes * MIN


@pytest.fixture
def clock():
    return FakeClock()


def locker(clock, **kw):
    closed: list[float] = []
    lock = AutoLock(close=lambda: closed.append(clock()), clock=clock, **kw)
    lock.start()
    return lock, closed


# -- idle and pause -------------------------------------------------------------------------
def test_locks_after_the_minutes_without_a_touch(clock):
    lock, closed = locker(clock)
    assert lock.minutes == DEFAULT_AUTO_LOCK_MINUTES == 10
    clock.advance(9.9)
    assert lock.check() is False and closed == []
    lock.touch()  # a touch starts the count again
    clock.advance(9.9)
    assert lock.check() is False and closed == []
    clock.advance(0.2)
    assert lock.check() is True and len(closed) == 1
    assert not lock.active
    clock.advance(30)
    assert lock.check() is False and len(closed) == 1  # closed once; nothing open to lock


def test_a_shorter_setting_locks_sooner(clock):
    lock, closed = locker(clock, minutes=5)
    clock.advance(5)
    assert lock.check() and closed
    assert AutoLock(close=lambda: None, minutes=7, clock=clock).minutes == 10  # not a choice


def test_pause_longer_than_the_limit_locks_on_resume(clock):
    lock, closed = locker(clock)
    clock.advance(1)
    lock.pause()
    clock.advance(3)
    assert lock.resume() is False and closed == []  # a short pause: still open
    lock.touch()
    lock.pause()
    clock.advance(10)
    assert lock.resume() is True and len(closed) == 1


def test_a_locked_app_does_not_lock_again(clock):
    lock = AutoLock(close=lambda: pytest.fail("nothing is open"), clock=clock)
    clock.advance(60)
    lock.pause()
    clock.advance(60)
    assert lock.resume() is False and lock.check() is False and lock.lock() is True


# -- the setting ----------------------------------------------------------------------------
def test_settings_offers_the_choices_and_remembers_one(tmp_path):
    prefs = Preferences(tmp_path / "prefs.json")
    assert prefs.auto_lock_minutes() == DEFAULT_AUTO_LOCK_MINUTES
    with Store(tmp_path / "phone.sqlite3") as store:
        vm = SettingsViewModel(store, prefs, **SYNC)
        assert vm.auto_lock_minutes == 10 and AUTO_LOCK_CHOICES == (5, 10, 30)
        vm.set_auto_lock(30)
        assert vm.auto_lock_minutes == 30
        with pytest.raises(ValueError):
            vm.set_auto_lock(0)  # "never" is not offered
        assert vm.auto_lock_minutes == 30
    assert Preferences(tmp_path / "prefs.json").auto_lock_minutes() == 30
    prefs.set("auto_lock_minutes", "forever")
    assert prefs.auto_lock_minutes() == DEFAULT_AUTO_LOCK_MINUTES


# -- safe locking ---------------------------------------------------------------------------
class BlockingRunner:
    """Stands for a SyncRunner in the middle of a run: it writes, waits, and stops on cancel."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.release = threading.Event()
        self.started = threading.Event()
        self.cancelled = False
        self.finished = False

    def cancel(self) -> None:
        self.cancelled = True
        self.release.set()

    def run(self) -> None:
        self.started.set()
        self.release.wait(30)
        self.store.sync_state.record_error("cancelled")  # the store is still open here
        self.finished = True
        if self.cancelled:
            raise SyncCancelled("cancelled")


def test_a_running_sync_is_cancelled_and_the_store_closes_after_it(tmp_path, clock):
    store = Store(tmp_path / "phone.sqlite3")
    store.session.save_login(server_url="http://s", user={"username": "w"}, token="t", grids=[])
    runners: list[BlockingRunner] = []

    def factory(_on_progress):
        runners.append(BlockingRunner(store))
        return runners[0]

    threads: list[threading.Thread] = []

    def spawn(fn):
        threads.append(threading.Thread(target=fn))
        threads[-1].start()

    sync = SyncViewModel(store, factory, now=lambda: NOW, spawn=spawn, post=lambda fn: fn())
    closed: list[bool] = []

    def close() -> None:
        closed.append(runners[0].finished)
        store.close()

    lock = AutoLock(
        close=close,
        sync_running=lambda: bool(sync.running),
        cancel_sync=lambda: runners[0].cancel(),
        clock=clock,
    )
    sync.bind(finished_runs=lambda *_: lock.sync_finished())
    lock.start()
    assert sync.start()
    assert runners[0].started.wait(10)
    clock.advance(10)
    assert lock.check() is True  # the time is up ...
    assert lock.locking and closed == [] and runners[0].cancelled  # ... but the sync runs
    threads[0].join(10)
    assert closed == [True]  # closed once, after the run had finished with the store
    assert not lock.active and not lock.locking


def test_text_still_being_typed_is_in_the_draft_after_the_lock(tmp_path, clock):
    path = tmp_path / "phone.sqlite3"
    store = Store(path)
    seed_household(store, 1)
    visit = VisitFormViewModel(store, **SYNC)
    visit.open_new(hid(1))
    visit_id = visit.record_id
    typed = {"notes": "门前的路被冲坏了"}  # in the text field, not yet committed

    def flush() -> None:  # what the app does: the field loses focus and commits
        for path_, text in typed.items():
            visit.set_value(path_, text)
        typed.clear()

    lock = AutoLock(close=store.close, flush=flush, clock=clock)
    lock.start()
    clock.advance(10)
    assert lock.check()
    with Store(path) as reopened:
        draft = reopened.visits.get_draft(visit_id)
        assert draft is not None and draft.data["notes"] == "门前的路被冲坏了"


def test_lock_waits_for_a_pin_change_in_progress(tmp_path, monkeypatch):
    """The vault never drops the key in the middle of a re-wrap (change PIN runs in a thread)."""
    from mobile_app.store import cipher
    from mobile_app.store.keyfile import SCRYPT_PARAMS, KeyFile
    from mobile_app.store.vault import StoreVault

    monkeypatch.setitem(SCRYPT_PARAMS, "n", 2**12)
    if not cipher.available():
        monkeypatch.setenv("TIANYE_ALLOW_PLAINTEXT_STORE", "1")
    vault = StoreVault(tmp_path)
    vault.open_after_login(
        username="w", password="pw-123456", pin="2468", user={}, server_url="http://s"
    )
    inside, go_on = threading.Event(), threading.Event()
    rewrap = KeyFile.rewrap

    def slow_rewrap(self, dek, kind, secret):
        inside.set()
        go_on.wait(10)
        rewrap(self, dek, kind, secret)

    monkeypatch.setattr(KeyFile, "rewrap", slow_rewrap)
    changer = threading.Thread(target=vault.change_pin, args=("2468", "1357"))
    changer.start()
    assert inside.wait(10)
    locker_thread = threading.Thread(target=vault.lock)
    locker_thread.start()
    locker_thread.join(0.3)
    assert locker_thread.is_alive() and vault.store is not None  # waits for the re-wrap
    go_on.set()
    changer.join(10)
    locker_thread.join(10)
    assert vault.store is None
    vault.unlock_with_pin("1357")  # the new PIN wraps the real key, not a zeroed one
    vault.lock()
