"""Sync that runs itself: the scheduler's decisions applied to the app (no Kivy objects).

`AutoSync` holds the scheduler state and feeds it events; everything it touches is injected:
`start_sync()` (the sync view-model's start, which runs the sync off the UI thread and refuses
while one runs), `is_running()`, `is_locked()`, a reachability check (`Connectivity`), and
`run_probe(check, done)`, which runs the blocking check off the UI thread and calls `done(ok)`
back on it. The app calls `tick()` from a Kivy clock and `notify("start"|"resume")`,
`sync_finished(error)` from its callbacks; tests call the same methods with a fake clock.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace

from mobile_app.sync.client import Offline
from mobile_app.sync.connectivity import Connectivity
from mobile_app.sync.scheduler import Decision, Event, Policy, ScheduleState, decide

log = logging.getLogger(__name__)

ProbeRunner = Callable[[Callable[[], bool], Callable[[bool], None]], None]


def run_inline(check: Callable[[], bool], done: Callable[[bool], None]) -> None:
    """Run the check on the calling thread (tests)."""
    done(check())


class AutoSync:
    """Starts syncs when the scheduler says so; remembers what it decided last."""

    def __init__(
        self,
        *,
        seed: str,
        start_sync: Callable[[], bool],
        is_running: Callable[[], bool],
        is_locked: Callable[[], bool],
        connectivity: Connectivity,
        run_probe: ProbeRunner = run_inline,
        clock: Callable[[], float] = time.monotonic,
        policy: Policy | None = None,
        on_online: Callable[[bool | None], None] | None = None,
    ) -> None:
        self.seed = seed
        self.on_online = on_online  # called when reachability changes (True, False; None unknown)
        self.start_sync = start_sync
        self.is_running = is_running
        self.is_locked = is_locked
        self.connectivity = connectivity
        self.run_probe = run_probe
        self.clock = clock
        self.policy = policy or Policy()
        self.state = ScheduleState()
        self.last: Decision | None = None
        self.started = 0  # syncs this object started
        self._probe_at: float | None = None
        self._probing = False
        self.enabled = True

    def notify(self, event: Event) -> bool:
        """Feed one event; True when a sync was started because of it."""
        decision = decide(
            self.state,
            event,
            self.clock(),
            running=self.is_running(),
            locked=self.is_locked(),
            seed=self.seed,
            policy=self.policy,
        )
        was = self.state.online
        self.state = decision.state
        self.last = decision
        if self.on_online is not None and self.state.online != was:
            self.on_online(self.state.online)
        if not decision.start or not self.enabled:
            if decision.start:  # disabled: keep the wish for later
                self.state = replace(self.state, wanted=True)
            return False
        if self.start_sync():
            self.started += 1
            log.info("auto-sync started (%s)", decision.reason)
            return True
        # Could not start (not signed in, a sync began meanwhile): back off like a failure.
        self.notify("sync_failed")
        return False

    def tick(self) -> None:
        """The periodic timer: check reachability when due, then see whether a sync is due."""
        now = self.clock()
        if not self._probing and (self._probe_at is None or now >= self._probe_at):
            self._probing = True
            self._probe_at = now + self.policy.probe_every
            self.run_probe(self._check, self._probed)
        self.notify("tick")

    def _check(self) -> bool:
        try:
            return bool(self.connectivity.check())
        except Exception:  # a failing check means "not reachable", never a crash
            log.exception("reachability check failed")
            return False

    def _probed(self, reachable: bool) -> None:
        self._probing = False
        self.notify("network_up" if reachable else "network_down")

    def sync_finished(self, error: BaseException | None) -> None:
        """A sync ended (started by us or by a tap): plan the next one."""
        if error is None:
            self.notify("sync_ok")
        elif isinstance(error, Offline):
            # The server cannot be reached: wait for the probe to see it again, then sync.
            self.notify("sync_offline")
        else:
            self.notify("sync_failed")
