"""The auto-sync scheduler (pure, plain data) and the AutoSync wiring with a fake clock."""

from __future__ import annotations

from dataclasses import replace

import pytest

from mobile_app.sync.autosync import AutoSync
from mobile_app.sync.client import Offline, ServerBusy
from mobile_app.sync.scheduler import (
    Policy,
    ScheduleState,
    backoff,
    decide,
    jitter_factor,
    next_attempt,
)

P = Policy(period=900, base=30, cap=1800, jitter=0.5, probe_every=60)
SEED = "3f1c9a52-client"


def run(state, event, now=0.0, *, running=False, locked=False, seed=SEED):
    return decide(state, event, now, running=running, locked=locked, seed=seed, policy=P)


# -- backoff -----------------------------------------------------------------------------
def test_backoff_grows_exponentially_within_the_jitter_band_and_stops_at_the_cap():
    for failures in range(1, 12):
        ceiling = min(1800, 30 * 2 ** (failures - 1))
        wait = backoff(failures, SEED, P)
        assert ceiling * 0.5 <= wait <= ceiling, (failures, wait)
    assert backoff(40, SEED, P) <= 1800
    assert backoff(10_000, SEED, P) <= 1800  # no overflow on a phone offline for months


def test_backoff_is_fixed_by_seed_and_failures_but_differs_between_phones():
    assert backoff(3, SEED, P) == backoff(3, SEED, P)
    waits = {round(backoff(3, f"phone-{i}", P), 6) for i in range(50)}
    assert len(waits) > 40  # phones on one mast do not all come back in the same second
    assert all(0.5 <= jitter_factor(f"phone-{i}", 2, 0.5) <= 1.0 for i in range(200))


def test_next_attempt_is_now_plus_period_after_success_and_backoff_after_failures():
    assert next_attempt(0, 1000.0, SEED, P) == 1900.0
    assert next_attempt(2, 1000.0, SEED, P) == 1000.0 + backoff(2, SEED, P)


# -- triggers ----------------------------------------------------------------------------
@pytest.mark.parametrize("event", ["start", "resume", "network_up"])
def test_start_resume_and_network_back_sync_at_once(event):
    d = run(ScheduleState(online=False if event == "network_up" else None), event)
    assert d.start is True
    assert d.state.wanted is False


def test_network_up_while_already_online_or_not_yet_known_does_not_sync_again():
    state = ScheduleState(online=True, next_at=900)
    d = run(state, "network_up", now=10)
    assert d.start is False
    first_probe = run(ScheduleState(), "network_up", now=10)  # during the start sync
    assert first_probe.start is False and first_probe.state.online is True


def test_network_back_after_being_down_syncs():
    down = run(ScheduleState(online=True, next_at=900), "network_down", now=10).state
    assert run(down, "tick", now=2000).start is False  # offline: nothing attempted, even if due
    back = run(down, "network_up", now=2001)
    assert back.start is True and back.reason == "network_up"


def test_periodic_sync_after_the_period_and_not_before():
    ok = run(ScheduleState(online=True), "sync_ok", now=100).state
    assert ok.next_at == 1000
    assert run(ok, "tick", now=999).start is False
    assert run(ok, "tick", now=1000).start is True


def test_failures_back_off_and_a_success_resets_them():
    state = ScheduleState(online=True)
    now = 0.0
    waits = []
    for _ in range(4):
        d = run(state, "sync_failed", now=now)
        assert d.start is False
        state = d.state
        waits.append(state.next_at - now)
        assert run(state, "tick", now=state.next_at - 0.001).start is False
        d = run(state, "tick", now=state.next_at)
        assert d.start is True
        now, state = state.next_at, d.state
    assert state.failures == 4
    assert waits == pytest.approx([backoff(i, SEED, P) for i in range(1, 5)])
    ok = run(state, "sync_ok", now=now).state
    assert ok.failures == 0 and ok.next_at == now + 900


# -- never two at once, never while locked -----------------------------------------------
def test_no_sync_while_one_runs_the_trigger_is_kept_for_after():
    d = run(ScheduleState(online=True), "resume", running=True)
    assert d.start is False and d.reason == "a sync is running" and d.state.wanted is True
    # The running sync ends: the remembered trigger starts the next one at once.
    after = run(d.state, "sync_ok", now=5)
    assert after.start is True


def test_no_sync_while_the_store_is_locked_the_trigger_waits_for_unlock():
    d = run(ScheduleState(online=True), "network_up", locked=True)
    d = run(replace(d.state, online=False), "network_up", locked=True)
    assert d.start is False and d.reason == "store locked" and d.state.wanted is True
    assert run(d.state, "tick", now=1, locked=True).start is False
    assert run(d.state, "tick", now=2, locked=False).start is True


def test_a_failed_run_does_not_restart_itself_at_once():
    d = run(ScheduleState(online=True), "sync_failed", now=0)
    assert d.start is False and d.reason == "backing off"


# -- AutoSync with a fake clock ----------------------------------------------------------
class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


class Net:
    def __init__(self, up: bool) -> None:
        self.up = up
        self.checks = 0

    def check(self) -> bool:
        self.checks += 1
        return self.up


def make(net, clock, *, locked=lambda: False):
    running = {"now": False, "starts": 0}

    def start():
        if running["now"]:
            return False
        running["now"] = True
        running["starts"] += 1
        return True

    auto = AutoSync(
        seed=SEED,
        start_sync=start,
        is_running=lambda: running["now"],
        is_locked=locked,
        connectivity=net,
        clock=clock,
        policy=P,
    )
    return auto, running


def test_autosync_network_back_starts_a_sync_without_a_tap():
    clock, net = Clock(), Net(up=False)
    auto, running = make(net, clock)
    auto.tick()  # first probe: offline
    assert running["starts"] == 0 and auto.state.online is False
    clock.t = 30
    auto.tick()  # probe not due yet (every 60 s)
    assert net.checks == 1
    net.up = True
    clock.t = 61
    auto.tick()
    assert running["starts"] == 1 and net.checks == 2


def test_autosync_offline_failure_waits_for_the_network_then_syncs():
    clock, net = Clock(), Net(up=True)
    auto, running = make(net, clock)
    auto.notify("start")
    assert running["starts"] == 1
    running["now"] = False
    auto.sync_finished(Offline("no route"))
    assert auto.state.online is False and auto.state.failures == 1
    clock.t = 60
    auto.tick()  # the probe sees the server again: sync at once, not after the backoff
    assert running["starts"] == 2


def test_autosync_server_error_backs_off_then_retries():
    clock, net = Clock(), Net(up=True)
    auto, running = make(net, clock)
    auto.notify("start")
    running["now"] = False
    auto.sync_finished(ServerBusy(503, "busy"))
    due = auto.state.next_at
    assert due is not None and 15 <= due <= 30
    clock.t = due - 1
    auto.tick()
    assert running["starts"] == 1
    clock.t = due
    auto.tick()
    assert running["starts"] == 2


def test_autosync_never_starts_while_locked_or_disabled():
    clock, net = Clock(), Net(up=True)
    locked = {"v": True}
    auto, running = make(net, clock, locked=lambda: locked["v"])
    auto.notify("resume")
    auto.tick()
    assert running["starts"] == 0
    locked["v"] = False
    auto.enabled = False
    auto.tick()
    assert running["starts"] == 0
    auto.enabled = True
    auto.tick()
    assert running["starts"] == 1


def test_autosync_a_failing_check_is_offline_not_a_crash():
    class Broken:
        def check(self) -> bool:
            raise RuntimeError("bridge died")

    clock = Clock()
    auto, running = make(Broken(), clock)
    auto.tick()
    assert auto.state.online is False and running["starts"] == 0


def test_an_unreachable_server_waits_for_the_network_a_refusing_one_backs_off():
    offline = run(ScheduleState(online=True), "sync_offline", now=0)
    assert offline.start is False and offline.state.online is False
    assert run(offline.state, "tick", now=10_000).start is False  # not even when due
    assert run(offline.state, "network_up", now=5).start is True  # back: at once
    refused = run(ScheduleState(), "sync_failed", now=0)
    assert refused.state.online is True  # it answered: a probe's "up" is not news
    assert run(refused.state, "network_up", now=5).start is False
