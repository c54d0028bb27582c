"""The GPS fix of a visit: taken when the visit starts, shown as "waiting for a fix", "±12 m"
or "no fix" with a reason, and never a reason to refuse saving.

`LocationSource` is the interface: `start(report)` begins and calls `report(LocationState)`
as the state changes; `stop()` ends. `PlyerLocationSource` is the Android one: it asks for the
location permission first (`mobile_app.evidence.permissions`; refused → "no fix: location
permission refused") and then starts plyer's gps, whose callbacks arrive on Android's UI thread
and are carried to Kivy's by `post` (the GPS itself needs a phone; the permission step is
tested with a fake `android.permissions`). `FakeLocationSource` answers a fixed state and is
what desktop, Xvfb, the tests and the demo use. `source_for(env, platform)` picks one:
`TIANYE_FAKE_LOCATION` wins ("26.566,107.981,12" = lat,lon,accuracy in metres;
"none:<reason>" = no fix), then Android's plyer; elsewhere "no fix: no location service on
this device".
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from mobile_app.evidence import permissions

FAKE_ENV = "TIANYE_FAKE_LOCATION"
FIX_TIMEOUT_S = 60.0
"""After this long without a fix the visit shows "no fix: timed out" (and saves anyway)."""

REASONS: dict[str, tuple[str, str]] = {
    "permission_denied": ("未允许使用定位", "location permission refused"),
    "disabled": ("定位服务已关闭", "location service is off"),
    "timeout": ("长时间未获得定位", "no fix in time"),
    "unavailable": ("本设备无定位服务", "no location service on this device"),
    "error": ("定位出错", "the location service failed"),
}


@dataclass(frozen=True)
class Fix:
    lat: float
    lon: float
    accuracy_m: float | None
    fixed_at: str  # ISO 8601 with offset


@dataclass(frozen=True)
class LocationState:
    """`waiting`, `fixed` (with `fix`) or `no_fix` (with a `reason` code of `REASONS`)."""

    status: str
    fix: Fix | None = None
    reason: str | None = None


WAITING = LocationState("waiting")


def no_fix(reason: str) -> LocationState:
    return LocationState("no_fix", reason=reason if reason in REASONS else "error")


def status_text(state: LocationState, lang: str = "zh") -> str:
    """What the visit form shows next to the position."""
    en = lang == "en"
    if state.status == "fixed" and state.fix is not None:
        fix = state.fix
        acc = "" if fix.accuracy_m is None else f" ±{round(fix.accuracy_m)} {'m' if en else '米'}"
        return f"{fix.lat:.5f}, {fix.lon:.5f}{acc}"
    if state.status == "no_fix":
        zh, en_text = REASONS.get(state.reason or "error", REASONS["error"])
        return f"No fix: {en_text}" if en else f"无法定位：{zh}"
    return "Waiting for a fix…" if en else "正在定位…"


def gps_value(state: LocationState) -> dict[str, Any] | None:
    """The visit's `gps` value for a state (None without a fix: saving never waits for one)."""
    if state.status != "fixed" or state.fix is None:
        return None
    fix = state.fix
    value: dict[str, Any] = {"lat": round(fix.lat, 6), "lon": round(fix.lon, 6)}
    value["accuracy_m"] = None if fix.accuracy_m is None else round(fix.accuracy_m, 1)
    value["fixed_at"] = fix.fixed_at
    return value


def parse_fake(spec: str, *, now: datetime | None = None) -> LocationState:
    """`lat,lon[,accuracy]` → a fix now; `none[:reason]` → no fix; anything else → ValueError."""
    text = spec.strip()
    if text.lower().startswith("none"):
        _, _, reason = text.partition(":")
        return no_fix(reason.strip() or "unavailable")
    parts = [p.strip() for p in text.split(",")]
    if len(parts) not in (2, 3):
        raise ValueError(f"{FAKE_ENV}: expected 'lat,lon[,accuracy_m]' or 'none:reason'")
    lat, lon = float(parts[0]), float(parts[1])
    accuracy = float(parts[2]) if len(parts) == 3 else None
    if not (math.isfinite(lat) and -90 <= lat <= 90 and math.isfinite(lon) and -180 <= lon <= 180):
        raise ValueError(f"{FAKE_ENV}: latitude or longitude out of range")
    if accuracy is not None and not (math.isfinite(accuracy) and accuracy >= 0):
        raise ValueError(f"{FAKE_ENV}: accuracy is metres, 0 or more")
    moment = (now or datetime.now(UTC)).astimezone().isoformat(timespec="seconds")
    return LocationState("fixed", Fix(lat, lon, accuracy, moment))


Report = Callable[[LocationState], None]
Post = Callable[[Callable[[], None]], None]


def _now(fn: Callable[[], None]) -> None:
    fn()


class LocationSource(Protocol):
    def start(self, report: Report) -> None: ...

    def stop(self) -> None: ...


class FakeLocationSource:
    """Reports `waiting`, then the configured state (a fix taken "now", or no fix)."""

    def __init__(self, spec: str, now: Callable[[], datetime] | None = None) -> None:
        parse_fake(spec)  # a bad setting fails when it is read, not in the middle of a visit
        self.spec = spec
        self.now = now  # the app's clock (tests pin it); the device's clock otherwise

    def start(self, report: Report) -> None:
        report(WAITING)
        report(parse_fake(self.spec, now=self.now() if self.now is not None else None))

    def stop(self) -> None:
        return None


class PlyerLocationSource:
    """Android's location through plyer, after the location permission (asked now, at the
    start of the visit; `ACCESS_FINE_LOCATION`/`ACCESS_COARSE_LOCATION` in buildozer.spec)."""

    def __init__(self, gps: Any = None, *, platform: str = "android", post: Post = _now) -> None:
        self._gps = gps
        self.platform = platform
        self.post = post
        self._report: Report | None = None
        self._stopped = False

    def start(self, report: Report) -> None:
        self._report = report
        self._stopped = False
        report(WAITING)
        permissions.ask("location", self._allowed, platform=self.platform, post=self.post)

    def _allowed(self, granted: bool) -> None:
        report = self._report
        if report is None or self._stopped:
            return
        if not granted:
            report(no_fix("permission_denied"))
            return
        try:
            if self._gps is None:  # pragma: no cover - plyer's gps needs an Android phone
                from plyer import gps

                self._gps = gps
            self._gps.configure(on_location=self._on_location, on_status=self._on_status)
            self._gps.start(minTime=1000, minDistance=0)
        except NotImplementedError:
            report(no_fix("unavailable"))
        except Exception:
            report(no_fix("error"))

    def _on_location(self, **kw: Any) -> None:
        report = self._report
        if report is None:
            return
        fix = Fix(
            float(kw["lat"]),
            float(kw["lon"]),
            float(kw["accuracy"]) if kw.get("accuracy") is not None else None,
            datetime.now(UTC).astimezone().isoformat(timespec="seconds"),
        )
        self.post(lambda: report(LocationState("fixed", fix)))

    def _on_status(self, stype: str, status: str) -> None:
        report = self._report
        if report is not None and "disabled" in f"{stype} {status}".lower():
            self.post(lambda: report(no_fix("disabled")))

    def stop(self) -> None:
        self._stopped = True
        if self._gps is not None:
            with contextlib.suppress(Exception):
                self._gps.stop()


def source_for(
    env: Mapping[str, str],
    platform: str,
    now: Callable[[], datetime] | None = None,
    post: Post = _now,
) -> LocationSource:
    """The fake source when `TIANYE_FAKE_LOCATION` is set, plyer on Android, else "none"."""
    spec = env.get(FAKE_ENV)
    if spec:
        return FakeLocationSource(spec, now)
    if platform == "android":
        return PlyerLocationSource(platform=platform, post=post)
    return FakeLocationSource("none:unavailable")
