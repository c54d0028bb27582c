"""Paradata flags of a visit: facts about how it was collected that a supervisor should look at
(docs/attachments.md). Pure functions over wire records; they never block a worker.

- `duration`: the visit took under 5 minutes or over 4 hours (`started_at` → `ended_at`).
- `far_from_home`: the GPS fix is more than 500 m from the household's usual place, the
  median of the fixes of its earlier visits (at least 2 of them), beyond the fix's accuracy.
- `photo_time`: a photo's `taken_at` is more than 2 hours before the start or after the end of
  the visit (or, without start/end, not on the visit's date in the deployment's time zone).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

MIN_DURATION = timedelta(minutes=5)
MAX_DURATION = timedelta(hours=4)
FAR_METRES = 500.0
MIN_EARLIER_FIXES = 2
PHOTO_SLACK = timedelta(hours=2)
EARTH_RADIUS_M = 6_371_000.0
DEFAULT_ZONE = timezone(timedelta(hours=8))

LABELS: dict[str, tuple[str, str]] = {
    "duration_short": ("走访仅 {minutes} 分钟", "The visit took only {minutes} min"),
    "duration_long": ("走访长达 {minutes} 分钟", "The visit took {minutes} min"),
    "far_from_home": (
        "定位距该户常用位置 {metres} 米",
        "The GPS fix is {metres} m from the household's usual place",
    ),
    "photo_time": (
        "照片拍摄时间 {taken} 不在走访时间内",
        "A photo was taken at {taken}, outside the visit",
    ),
}


@dataclass(frozen=True)
class ParaFlag:
    """One paradata flag: a code and the numbers its reason is written with."""

    code: str
    params: tuple[tuple[str, Any], ...]

    def reason(self, lang: str = "zh") -> str:
        zh, en = LABELS[self.code]
        return (zh if lang == "zh" else en).format(**dict(self.params))


def _moment(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed


def _aware(moment: datetime, zone: timezone) -> datetime:
    return moment if moment.utcoffset() is not None else moment.replace(tzinfo=zone)


def distance_m(a: Mapping[str, Any], b: Mapping[str, Any]) -> float:
    """Great-circle distance in metres between two `{lat, lon}` fixes (haversine)."""
    lat1, lon1, lat2, lon2 = (
        math.radians(float(v)) for v in (a["lat"], a["lon"], b["lat"], b["lon"])
    )
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def finite_number(value: Any) -> float | None:
    """A stored number as a finite float; None for anything else (a legacy 10**400 included:
    `float()` of it overflows, and no flag may break the page that shows the visit)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _fix(gps: Any) -> dict[str, float] | None:
    if not isinstance(gps, Mapping):
        return None
    lat, lon = finite_number(gps.get("lat")), finite_number(gps.get("lon"))
    if lat is None or lon is None:
        return None
    return {"lat": lat, "lon": lon}


def usual_place(earlier_visits: Iterable[Mapping[str, Any]]) -> dict[str, float] | None:
    """The median of the earlier visits' fixes (None with fewer than two)."""
    fixes = [f for f in (_fix(v.get("gps")) for v in earlier_visits) if f is not None]
    if len(fixes) < MIN_EARLIER_FIXES:
        return None
    return {
        "lat": statistics.median(f["lat"] for f in fixes),
        "lon": statistics.median(f["lon"] for f in fixes),
    }


def visit_paradata(
    visit: Mapping[str, Any],
    earlier_visits: Iterable[Mapping[str, Any]] = (),
    *,
    zone: timezone = DEFAULT_ZONE,
) -> list[ParaFlag]:
    """The paradata flags of `visit` (earlier visits of the same household give its usual
    place). Missing or unreadable values raise no flag: absence is not evidence."""
    flags: list[ParaFlag] = []
    started, ended = _moment(visit.get("started_at")), _moment(visit.get("ended_at"))
    if started is not None and ended is not None:
        started, ended = _aware(started, zone), _aware(ended, zone)
        took = ended - started
        minutes = round(took.total_seconds() / 60)
        if timedelta(0) <= took < MIN_DURATION:
            flags.append(ParaFlag("duration_short", (("minutes", minutes),)))
        elif took > MAX_DURATION:
            flags.append(ParaFlag("duration_long", (("minutes", minutes),)))
    fix, home = _fix(visit.get("gps")), usual_place(earlier_visits)
    if fix is not None and home is not None:
        accuracy = (visit.get("gps") or {}).get("accuracy_m")
        slack = max(finite_number(accuracy) or 0.0, 0.0)
        metres = distance_m(fix, home)
        if metres > FAR_METRES + slack:
            flags.append(ParaFlag("far_from_home", (("metres", round(metres)),)))
    items = visit.get("attachments")
    for item in items if isinstance(items, list) else ():
        if not isinstance(item, Mapping) or item.get("kind") == "document":
            continue
        taken = _moment(item.get("taken_at"))
        if taken is None:
            continue
        taken = _aware(taken, zone)
        if started is not None and ended is not None:
            outside = taken < started - PHOTO_SLACK or taken > ended + PHOTO_SLACK
        else:
            outside = taken.astimezone(zone).date().isoformat() != str(visit.get("visit_date"))
        if outside:
            shown = taken.astimezone(zone).strftime("%Y-%m-%d %H:%M")
            flags.append(ParaFlag("photo_time", (("taken", shown),)))
            break  # one flag says it; the console lists the photos with their times
    return flags
