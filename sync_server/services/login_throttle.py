"""Sign-in rate limits (Flask-Limiter's storage and strategies), shared by the API and the console.

Decisions (docs/security.md, "Password guessing"):
- **Every attempt for a username + address is counted before the password is checked**, with
  one atomic "hit" per limit (the moving-window strategy: a Lua script in Redis, a lock in
  memory). Counting failures after the fact is check-then-act: concurrent guesses all pass the
  check before any failure is written (13 sign-ins got through a limit of 10 that way). A right
  password clears its username + address count, so a worker's earlier typing slips are
  forgotten.
- **The address limit counts failures only** (a township office signs dozens of workers in
  from one address in a morning): checked before the password, counted after a wrong one. So
  under concurrency it can be passed by the requests in flight at that moment (at most the
  server's threads); the username + address limit, which is what stops guessing one account,
  is exact.
- **Keyed on username + address**, as Auth0's brute-force protection does: guesses from one
  address lock that address out for that user only, so an attacker elsewhere cannot lock a
  worker out. A second limit per address (any username) stops one address from spraying many
  accounts. There is deliberately no per-username limit across addresses: it would give anyone
  a way to lock out a known user.
- **Backoff**: each key has three tiers, N per window, 2N per 8 windows and 3N per 96 windows
  (defaults: 10 per 15 min, 20 per 2 h, 30 per 24 h), so the wait grows from minutes to a day
  for an address that keeps guessing. Refused attempts are not counted: waiting is enough.
- **Storage**: Redis when `REDIS_URL` is set (every process and host shares the counts); else
  the process's memory. In memory, each of the `SERVER_PROCESSES` worker processes allows its
  share (N / processes, rounded up), so a client spreading guesses over the workers never gets
  more than N in all. If Redis fails, the process falls back to memory (logged) rather than
  refusing every sign-in.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter, RateLimiter

from sync_server.errors import ServiceError

log = logging.getLogger("tianye.throttle")

# (attempts multiplier, window multiplier) per tier: the backoff.
TIERS = ((1, 1), (2, 8), (3, 96))


@dataclass(frozen=True)
class LoginPolicy:
    """The configured limits (`LOGIN_MAX_FAILURES`, `LOGIN_WINDOW_SECONDS`, …)."""

    per_user_address: int
    per_address: int
    window_seconds: int
    processes: int = 1  # processes that each keep their own count (in-memory storage)

    @classmethod
    def from_config(cls, config: Any, *, shared_storage: bool) -> LoginPolicy:
        return cls(
            per_user_address=int(config["LOGIN_MAX_FAILURES"]),
            per_address=int(config["LOGIN_MAX_FAILURES_PER_IP"]),
            window_seconds=int(config["LOGIN_WINDOW_SECONDS"]),
            processes=1 if shared_storage else max(1, int(config.get("SERVER_PROCESSES", 1))),
        )


def login_limits(policy: LoginPolicy) -> dict[str, list[RateLimitItem]]:
    """The tiers of each key kind (pure): `pair` (username + address) and `address`."""

    def tiers(attempts: int) -> list[RateLimitItem]:
        share = math.ceil(attempts / policy.processes)
        return [
            RateLimitItemPerSecond(max(1, share * n), policy.window_seconds * w) for n, w in TIERS
        ]

    return {"pair": tiers(policy.per_user_address), "address": tiers(policy.per_address)}


def throttle_keys(username: str, address: str) -> dict[str, str]:
    """The identifier of each key kind for one attempt (pure)."""
    user = username.strip().lower()
    return {"pair": f"user={user}|ip={address}", "address": f"ip={address}"}


class LoginThrottle:
    """Counts sign-in attempts; `attempt` raises the 429, `succeeded` forgets the slips.

    One per app (the strategy holds the storage connection); the policy is passed per call so
    that a configuration change applies at once.
    """

    FALLBACK_SECONDS = 30.0  # how long to count in memory before trying the shared store again

    def __init__(
        self, strategy: RateLimiter, prefix: str, clock: Callable[[], float] = time.time
    ) -> None:
        self.strategy = strategy
        self.prefix = prefix
        self.clock = clock
        self._fallback: RateLimiter | None = None
        self._fallback_until = 0.0

    def attempt(self, username: str, address: str, policy: LoginPolicy) -> None:
        """Before the password check: count the attempt for its username + address (atomic),
        and check the address's failures; raise a 429 (with `Retry-After`) at a limit."""
        keys = throttle_keys(username, address)
        limits = login_limits(policy)
        for item in limits["pair"]:
            if not self._call("hit", item, "pair", keys["pair"]):
                self._refuse(limits["pair"], "pair", keys["pair"], item)
        for item in limits["address"]:
            if not self._call("test", item, "address", keys["address"]):
                self._refuse(limits["address"], "address", keys["address"], item)

    def failed(self, username: str, address: str, policy: LoginPolicy) -> None:
        """A wrong password (or unknown user): count it against the address."""
        key = throttle_keys(username, address)["address"]
        for item in login_limits(policy)["address"]:
            self._call("hit", item, "address", key)

    def succeeded(self, username: str, address: str, policy: LoginPolicy) -> None:
        """A right password: forget this username+address's earlier attempts."""
        key = throttle_keys(username, address)["pair"]
        for item in login_limits(policy)["pair"]:
            self._call("clear", item, "pair", key)

    def _refuse(
        self, tiers: list[RateLimitItem], kind: str, key: str, breached: RateLimitItem
    ) -> NoReturn:
        # The longest of the exhausted tiers is the real wait (the backoff).
        wait = max(
            self._wait(tier, kind, key)
            for tier in tiers
            if tier is breached or not self._call("test", tier, kind, key)
        )
        raise ServiceError(
            429,
            "rate_limited",
            headers={"Retry-After": str(wait)},
            minutes=max(1, math.ceil(wait / 60)),
        )

    def _wait(self, item: RateLimitItem, kind: str, key: str) -> int:
        stats = self._call("get_window_stats", item, kind, key)
        return max(1, math.ceil(stats.reset_time - self.clock()))

    def _call(self, method: str, item: RateLimitItem, kind: str, key: str) -> Any:
        ids = (self.prefix, "login", kind, key)
        if self.clock() >= self._fallback_until:
            try:
                return getattr(self.strategy, method)(item, *ids)
            except Exception:  # the shared store is down: keep limiting, in this process
                log.exception("rate-limit storage failed; counting in this process for a while")
                self._fallback_until = self.clock() + self.FALLBACK_SECONDS
        if self._fallback is None:
            self._fallback = MovingWindowRateLimiter(MemoryStorage())
        return getattr(self._fallback, method)(item, *ids)
