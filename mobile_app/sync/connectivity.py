"""Is the server reachable? One interface, a desktop and an Android answer.

`check()` blocks (it may do network I/O) and is called off the UI thread by the auto-sync
wiring; it answers True (the server can be reached), False (it cannot). The scheduler
(`mobile_app.sync.scheduler`) turns a change of that answer into a sync.

- `HealthProbe`: `GET /healthz` on the session's server (desktop, and Android's second step).
- `AndroidNetwork`: the system's ConnectivityManager through pyjnius (no I/O, instant); when it
  reports no network the health probe is skipped. Android-only: pyjnius is imported lazily,
  so a desktop never needs it.

Is the network metered ("photos on Wi-Fi only")? `metered_for(platform)` gives the runner a
check: on Android `ConnectivityManager.isActiveNetworkMetered()` (what Android itself decides
from the active network's `NET_CAPABILITY_NOT_METERED`: mobile data and a hotspot the user
marked metered are metered, ordinary Wi-Fi is not; no network at all counts as metered); a
failure of the Java call counts as metered too, the safe side for "Wi-Fi only". A desktop has
no notion of a metered network: never metered. `TIANYE_NETWORK_METERED=1` / `=0` overrides
both (tests, the demo, and ops checking a phone's behaviour on mobile data).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from mobile_app.sync.client import SyncClient

METERED_ENV = "TIANYE_NETWORK_METERED"
TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off")


def env_flag(env: Mapping[str, str], name: str) -> bool | None:
    """A yes/no environment override: True, False, or None when unset (or not a yes/no)."""
    word = env.get(name, "").strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None


def connectivity_manager() -> Any:
    """Android's ConnectivityManager through the app's activity (pyjnius; Android only)."""
    from jnius import autoclass

    activity = autoclass("org.kivy.android.PythonActivity").mActivity
    context = autoclass("android.content.Context")
    return activity.getSystemService(context.CONNECTIVITY_SERVICE)


class Connectivity(Protocol):
    def check(self) -> bool: ...


class HealthProbe:
    """Reachability by `GET /healthz` on the current session's server."""

    def __init__(self, client_factory: Callable[[], SyncClient]) -> None:
        self.client_factory = client_factory

    def check(self) -> bool:
        try:
            client = self.client_factory()
        except Exception:  # no session / no URL: not reachable
            return False
        return client.health()


class AndroidNetwork:
    """Android's active network (ConnectivityManager), then the server's health."""

    def __init__(self, server: Connectivity, *, manager: Any = None) -> None:
        self.server = server
        self._manager = manager

    def _connectivity_manager(self) -> Any:
        if self._manager is None:  # pragma: no cover - Android only
            self._manager = connectivity_manager()
        return self._manager

    def has_network(self) -> bool:
        try:
            info = self._connectivity_manager().getActiveNetworkInfo()
        except Exception:  # the bridge failed: let the health probe decide
            return True
        return bool(info is not None and info.isConnected())

    def check(self) -> bool:
        return self.has_network() and self.server.check()


def for_platform(platform: str, server: Connectivity) -> Connectivity:
    """The reachability check for `kivy.utils.platform`."""
    if platform == "android":
        return AndroidNetwork(server)
    return server


class AndroidMetered:
    """Whether Android's active network is metered; any failure answers True (metered).

    pyjnius attaches the calling thread to the Java VM itself (the runner calls this from its
    thread) and, on Android, detaches each Python thread when it ends — by wrapping
    `threading.Thread.run` when `jnius` is first imported, which only covers threads started
    after that. So pyjnius is imported here, on the UI thread that makes the runner, before
    any sync thread starts."""

    def __init__(self, manager: Any = None) -> None:
        self._manager = manager
        if manager is None:
            with contextlib.suppress(ImportError):
                import jnius  # noqa: F401 - for its thread hook (above)

    def __call__(self) -> bool:
        try:
            if self._manager is None:
                self._manager = connectivity_manager()
            return bool(self._manager.isActiveNetworkMetered())
        except Exception:  # no bridge, no service, a Java exception: hold the photos back
            return True


def never_metered() -> bool:
    return False


def metered_for(platform: str, env: Mapping[str, str] = os.environ) -> Callable[[], bool]:
    """The runner's "is this network metered?" check for `kivy.utils.platform`."""
    forced = env_flag(env, METERED_ENV)
    if forced is not None:
        return lambda: forced
    if platform == "android":
        return AndroidMetered()
    return never_metered
