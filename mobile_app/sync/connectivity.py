"""Is the server reachable? One interface, a desktop and an Android answer.

`check()` blocks (it may do network I/O) and is called off the UI thread by the auto-sync
wiring; it answers True (the server can be reached), False (it cannot). The scheduler
(`mobile_app.sync.scheduler`) turns a change of that answer into a sync.

- `HealthProbe`: `GET /healthz` on the session's server (desktop, and Android's second step).
- `AndroidNetwork`: the system's ConnectivityManager through pyjnius (no I/O, instant); when it
  reports no network the health probe is skipped. Android-only: pyjnius is imported lazily,
  so a desktop never needs it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from mobile_app.sync.client import SyncClient


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
            from jnius import autoclass

            activity = autoclass("org.kivy.android.PythonActivity").mActivity
            context = autoclass("android.content.Context")
            self._manager = activity.getSystemService(context.CONNECTIVITY_SERVICE)
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
