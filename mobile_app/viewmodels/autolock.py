"""Auto-lock: the store locks after N minutes without a touch, and on resume after a pause
that long.

No widgets and no Kivy clock here: the app reports touches, pauses and resumes and calls
`check()` every few seconds; when the time is up it locks the same way the Lock button does
(`lock`: commit typing, wait for a running sync to stop, then close the store).
Time comes from an injectable `clock` in seconds. The default counts the time the phone
sleeps (CLOCK_BOOTTIME where the platform has it) and ignores changes of the wall clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from kivy.event import EventDispatcher
from kivy.properties import BooleanProperty, NumericProperty

AUTO_LOCK_CHOICES = (5, 10, 30)  # minutes offered in Settings
DEFAULT_AUTO_LOCK_MINUTES = 10


def boot_clock() -> float:
    """Seconds since boot, counting suspend (Android/Linux); monotonic elsewhere."""
    boottime = getattr(time, "CLOCK_BOOTTIME", None)
    if boottime is not None:
        try:
            return time.clock_gettime(boottime)
        except OSError:
            pass
    return time.monotonic()


def auto_lock_minutes(value: Any) -> int:
    """A stored preference as one of the choices (the default when missing or odd)."""
    return value if value in AUTO_LOCK_CHOICES else DEFAULT_AUTO_LOCK_MINUTES


class AutoLock(EventDispatcher):
    """Idle and pause tracking while the store is open, and the safe way to lock it.

    `lock()` is the one path for the Lock button and the automatic lock: it first commits
    text still being typed (`flush`: the visit form autosaves its draft), then closes the
    store (`close`) unless a background sync still uses it; that sync is cancelled
    (`cancel_sync`: it stops between two transactions) and `locking` stays True until the app
    reports `sync_finished()`, which closes it. The store is never closed under a running
    thread.
    """

    minutes = NumericProperty(DEFAULT_AUTO_LOCK_MINUTES)
    active = BooleanProperty(False)  # the store is open (nothing to lock otherwise)
    locking = BooleanProperty(False)  # a lock waits for the running sync to stop

    def __init__(
        self,
        *,
        close: Callable[[], None],
        flush: Callable[[], None] | None = None,
        sync_running: Callable[[], bool] | None = None,
        cancel_sync: Callable[[], None] | None = None,
        minutes: int = DEFAULT_AUTO_LOCK_MINUTES,
        clock: Callable[[], float] | None = None,
    ) -> None:
        super().__init__()
        self._close = close
        self._flush = flush or (lambda: None)
        self._sync_running = sync_running or (lambda: False)
        self._cancel_sync = cancel_sync or (lambda: None)
        self.clock = clock or boot_clock
        self.minutes = auto_lock_minutes(minutes)
        self._last_touch = self.clock()
        self._paused_at: float | None = None

    @property
    def limit_seconds(self) -> float:
        return float(self.minutes) * 60

    # -- the store opens and closes ------------------------------------------------------------
    def start(self) -> None:
        """The store was opened: count from now."""
        self.active = True
        self.locking = False
        self._paused_at = None
        self._last_touch = self.clock()

    def stop(self) -> None:
        """The store was closed (by `lock` or by a sign-out)."""
        self.active = False
        self.locking = False
        self._paused_at = None

    def lock(self) -> bool:
        """Lock now (True), or once the running sync has stopped (False, `locking`)."""
        if not self.active:
            return True
        if self.locking:
            return False
        self._flush()
        if self._sync_running():
            self.locking = True
            self._cancel_sync()
            return False
        self._do_close()
        return True

    def sync_finished(self) -> bool:
        """The background sync ended; True when a waiting lock closed the store now."""
        if not self.locking:
            return False
        self._do_close()
        return True

    def _do_close(self) -> None:
        self.stop()
        self._close()

    # -- time ------------------------------------------------------------------------------
    def touch(self) -> None:
        """Any touch or key press."""
        self._last_touch = self.clock()

    def idle_seconds(self) -> float:
        return self.clock() - self._last_touch

    def check(self) -> bool:
        """Called every few seconds: locks (True) once idle for the limit."""
        if self.active and not self.locking and self.idle_seconds() >= self.limit_seconds:
            self.lock()
            return True
        return False

    def pause(self) -> None:
        """The app went to the background (Android `on_pause`): commit typing, note the time."""
        if self.active:
            self._flush()
        self._paused_at = self.clock()

    def resume(self) -> bool:
        """Back in the foreground: locks (True) when the pause or the idle time reached the
        limit."""
        paused_at, self._paused_at = self._paused_at, None
        paused_long = paused_at is not None and self.clock() - paused_at >= self.limit_seconds
        if self.active and not self.locking and paused_long:
            self.lock()
            return True
        return self.check()
