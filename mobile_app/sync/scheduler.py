"""When sync runs by itself: a pure scheduler over plain data (no clock, no threads, no Kivy).

Workers forget to press sync, so the app syncs on its own (issue 16):
- on start, on return to the foreground and when the network comes back: at once;
- while the app is open: every `period` seconds after a success;
- after a failure: exponential backoff with jitter (`base` · 2^(failures-1), capped at `cap`,
  times a factor in [1 - jitter, 1]), so a township's phones coming back on the same mast do
  not all knock at the same second;
- never two syncs at once and never while the store is locked: a trigger that arrives then is
  remembered (`wanted`) and served as soon as the sync finished or the store is open again;
- while the network is known to be down nothing is attempted (the reachability probe or the
  Android connectivity callback says when it is back).

`decide(state, event, ...)` returns the next state and whether to start a sync now. The
jitter comes from a seed (this install's client id) and the failure count, so a test — or a
support call — can say exactly when the next attempt is due.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from typing import Literal

Event = Literal[
    "start",  # the store was opened (app start, unlock)
    "resume",  # the app came back to the foreground
    "network_up",  # connectivity callback or reachability probe: the server answers
    "network_down",  # the server does not answer / no network
    "tick",  # the periodic timer
    "sync_ok",  # a sync finished without error
    "sync_failed",  # a sync failed, but the server answered (5xx, 429, refused, ...)
    "sync_offline",  # a sync failed because the server could not be reached
]

IMMEDIATE: frozenset[str] = frozenset({"start", "resume", "network_up"})


@dataclass(frozen=True)
class Policy:
    """Timings in seconds."""

    period: float = 15 * 60  # between two syncs while everything works
    base: float = 30.0  # the first retry after a failure
    cap: float = 30 * 60  # the longest wait after failures
    jitter: float = 0.5  # a wait is cut by up to this fraction
    probe_every: float = 60.0  # how often reachability is checked on a desktop


@dataclass(frozen=True)
class ScheduleState:
    """What the scheduler remembers between events."""

    failures: int = 0  # consecutive failed syncs
    next_at: float | None = None  # when the next periodic attempt is due (None: not planned)
    online: bool | None = None  # None: not known yet
    wanted: bool = False  # a trigger arrived while a sync could not start


@dataclass(frozen=True)
class Decision:
    state: ScheduleState
    start: bool  # start a sync now
    reason: str  # why (or why not), for the log and the tests


def jitter_factor(seed: str, failures: int, spread: float) -> float:
    """A factor in [1 - spread, 1], fixed by (seed, failures): the same phone waits the same."""
    draw = random.Random(f"{seed}:{failures}").random()  # not for security
    return 1.0 - spread * draw


def backoff(failures: int, seed: str, policy: Policy = Policy()) -> float:
    """The wait after the `failures`-th consecutive failure (1-based), in seconds."""
    if failures <= 0:
        return policy.period
    ceiling = min(policy.cap, policy.base * 2.0 ** min(failures - 1, 30))
    return ceiling * jitter_factor(seed, failures, policy.jitter)


def next_attempt(failures: int, now: float, seed: str, policy: Policy = Policy()) -> float:
    """When to try next: `period` after a success, backoff after `failures` failures."""
    return now + backoff(failures, seed, policy)


def decide(
    state: ScheduleState,
    event: Event,
    now: float,
    *,
    running: bool,
    locked: bool,
    seed: str,
    policy: Policy = Policy(),
) -> Decision:
    """The next state and whether a sync starts now. Pure: same input, same answer."""
    if event == "sync_ok":
        state = replace(state, failures=0, online=True, next_at=now + policy.period)
    elif event in ("sync_failed", "sync_offline"):
        failures = state.failures + 1
        state = replace(
            state,
            failures=failures,
            next_at=next_attempt(failures, now, seed, policy),
            # Unreachable: wait for the network to come back (then sync at once).
            online=event != "sync_offline",
        )
    elif event == "network_down":
        state = replace(state, online=False)
    elif event == "network_up":
        # News only after the network was known to be down (a first probe during the start
        # sync is not a reason for a second sync).
        came_back = state.online is False
        state = replace(state, online=True)
        if came_back:
            state = replace(state, wanted=True)
    elif event in IMMEDIATE:
        state = replace(state, wanted=True)

    if state.online is False:
        return Decision(state, False, "offline")
    due = state.wanted or (state.next_at is not None and now >= state.next_at)
    if event in ("sync_failed", "sync_offline") and not state.wanted:
        return Decision(state, False, "backing off")
    if not due:
        return Decision(state, False, "not due")
    if running:
        return Decision(replace(state, wanted=True), False, "a sync is running")
    if locked:
        return Decision(replace(state, wanted=True), False, "store locked")
    # A start clears the wish; the run's own outcome plans the next attempt.
    return Decision(replace(state, wanted=False, next_at=None), True, f"{event}")
