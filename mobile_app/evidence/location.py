"""The GPS fix of a visit: taken when the visit starts, shown as "waiting for a fix", "±12 m"
or "no fix" with a reason, and never a reason to refuse saving.

`LocationSource` is the interface: `start(report)` begins and calls `report(LocationState)`
as the state changes; `stop()` ends. `PlyerLocationSource` is the Android one (plyer's gps,
not testable here); `FakeLocationSource` answers a fixed state and is what desktop, Xvfb, the
tests and the demo use. `source_for(env, platform)` picks one: `TIANYE_FAKE_LOCATION` wins
("26.566,107.981,12" = lat,lon,accuracy in metres; "none:<reason>" = no fix), then Android's
plyer; elsewhere "no fix: no location service on this device".
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

FAKE_ENV = "TIANYE_FAKE_LOCATION"
FIX_TIMEOUT_S = 60.0
"""After this long without a fix the visit shows "no fix: timed out" (and saves anyway)."""

REASONS: dict[str, tuple[str, str]] = {
    "permission_denied": ("未授予定位权限", "location permission not granted"),
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


class PlyerLocationSource:  # pragma: no cover - needs an Android phone
    """Android's location through plyer (`ACCESS_FINE_LOCATION` in buildozer.spec)."""

    def __init__(self) -> None:
        from plyer import gps

        self._gps = gps
        self._report: Report | None = None

    def start(self, report: Report) -> None:
        self._report = report
        report(WAITING)
        try:
            self._gps.configure(on_location=self._on_location, on_status=self._on_status)
            self._gps.start(minTime=1000, minDistance=0)
        except NotImplementedError:
            report(no_fix("unavailable"))
        except Exception:
            report(no_fix("error"))

    def _on_location(self, **kw: Any) -> None:
        if self._report is None:
            return
        fix = Fix(
            float(kw["lat"]),
            float(kw["lon"]),
            float(kw["accuracy"]) if kw.get("accuracy") is not None else None,
            datetime.now(UTC).astimezone().isoformat(timespec="seconds"),
        )
        self._report(LocationState("fixed", fix))

    def _on_status(self, stype: str, status: str) -> None:
        if self._report is not None and "disabled" in f"{stype} {status}".lower():
            self._report(no_fix("disabled"))

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self._gps.stop()


def source_for(
    env: Mapping[str, str], platform: str, now: Callable[[], datetime] | None = None
) -> LocationSource:
    """The fake source when `TIANYE_FAKE_LOCATION` is set, plyer on Android, else "none"."""
    spec = env.get(FAKE_ENV)
    if spec:
        return FakeLocationSource(spec, now)
    if platform == "android":  # pragma: no cover
        return PlyerLocationSource()
    return FakeLocationSource("none:unavailable")
