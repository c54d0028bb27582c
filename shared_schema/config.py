"""The versioned, immutable rules config: thresholds, code lists and visit frequencies as data.

The phone and the server evaluate the same rules with the same `RulesConfig`; the server stores
and ships configs as JSON (`config_to_dict` / `config_from_dict`) and the phone caches them.
`config_for(province, year)` builds the config of a province and year from the example table in
`config_data.py`: the province's latest threshold of a year at or before the requested one, else
the national one, else (a year before every entry) the earliest national threshold.

Decisions:
- Ranges (`school_age`, `labor_age`) are inclusive; `wage_suspicious` is exclusive at both ends.
- Thresholds are whole yuan (`int`); ratios and water limits are plain numbers, and the rules
  turn them into `Decimal` through `str()` so that 1.2 means exactly 1.2.
- Any constructed config is validated; a bad value raises `ConfigError` naming every bad key.
- `config_from_dict` refuses unknown keys (a typo must not pass silently) and fills keys missing
  from an older stored config with the defaults of `config_data.DEFAULTS`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from types import MappingProxyType
from typing import Any

from shared_schema import config_data
from shared_schema.config_data import CURRENT_YEAR, NATIONAL, RULESET_REVISION

SEVERITY_LEVELS: tuple[str, ...] = ("high", "medium", "low")
MIN_YEAR, MAX_YEAR = 2000, 2100


class ConfigError(ValueError):
    """A config value is invalid; `errors` maps each bad key to its messages."""

    def __init__(self, errors: Mapping[str, list[str]]):
        self.errors = dict(errors)
        detail = "; ".join(f"{k}: {', '.join(v)}" for k, v in sorted(self.errors.items()))
        super().__init__(f"invalid rules config: {detail}")


def _frozen_map(value: Any) -> Any:
    if isinstance(value, Mapping):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    return value


def _freeze(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, Mapping):
        return _frozen_map(value)
    return value


def _d(name: str) -> Any:
    return field(default_factory=lambda: _freeze(config_data.DEFAULTS[name]))


@dataclass(frozen=True)
class RulesConfig:
    """Everything the risk rules and visit scheduling read, for one province and year."""

    version: str
    province: str
    year: int
    monitoring_threshold: int
    threshold_source: str = ""
    near_factor: float = _d("near_factor")
    drop_ratio: float = _d("drop_ratio")
    rigid_medical_ratio: float = _d("rigid_medical_ratio")
    school_age: tuple[int, int] = _d("school_age")
    labor_age: tuple[int, int] = _d("labor_age")
    wage_suspicious: tuple[float, float] = _d("wage_suspicious")
    min_quantity_lpd: float = _d("min_quantity_lpd")
    max_fetch_minutes: int = _d("max_fetch_minutes")
    min_reliability_pct: float = _d("min_reliability_pct")
    max_interruption_days: int = _d("max_interruption_days")
    visit_interval_days: Mapping[str, int] = _d("visit_interval_days")
    ill_health_codes: tuple[str, ...] = _d("ill_health_codes")
    no_labor_codes: tuple[str, ...] = _d("no_labor_codes")
    worker_labor_codes: tuple[str, ...] = _d("worker_labor_codes")
    excused_dropout_reasons: tuple[str, ...] = _d("excused_dropout_reasons")
    unsafe_house_grades: tuple[str, ...] = _d("unsafe_house_grades")
    dibao_member_flags: tuple[str, ...] = _d("dibao_member_flags")
    max_risks: int = _d("max_risks")
    severities: Mapping[str, str] = _d("severities")
    check_risk_codes: Mapping[str, tuple[str, ...]] = _d("check_risk_codes")
    suggested_risks: Mapping[str, str] = _d("suggested_risks")

    def __post_init__(self) -> None:
        for f in fields(self):
            object.__setattr__(self, f.name, _freeze(getattr(self, f.name)))
        errors = _validate(self)
        if errors:
            raise ConfigError(errors)

    def __hash__(self) -> int:
        return hash((self.version, self.province, self.year, self.monitoring_threshold))

    def severity(self, code: str) -> str:
        """Severity of a rule's flag; a rule missing from the table is `medium`."""
        return self.severities.get(code, "medium")

    def visit_interval(self, monitor_category: str | None) -> int:
        """Days between visits for a household of this monitoring category (None: not monitored)."""
        key = monitor_category or "none"
        return self.visit_interval_days.get(key, self.visit_interval_days.get("none", 90))

    def next_visit_due(self, last_visit: date | str, monitor_category: str | None) -> date:
        """The day the next visit is due after one on `last_visit` (an ISO date or a date)."""
        day = last_visit if isinstance(last_visit, date) else date.fromisoformat(last_visit[:10])
        try:
            return day + timedelta(days=self.visit_interval(monitor_category))
        except OverflowError:  # a visit dated at the end of the calendar (before the bounds)
            return date.max


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_codes(value: Any) -> bool:
    return isinstance(value, tuple) and all(isinstance(c, str) and c for c in value)


def _validate(cfg: RulesConfig) -> dict[str, list[str]]:
    """Every problem of a config, keyed by field name (empty when valid)."""
    errors: dict[str, list[str]] = {}

    def bad(key: str, message: str) -> None:
        errors.setdefault(key, []).append(message)

    if not isinstance(cfg.version, str) or not cfg.version:
        bad("version", "must be a non-empty string")
    if not isinstance(cfg.province, str) or not (
        cfg.province.isascii() and cfg.province.isdigit() and len(cfg.province) == 2
    ):
        bad("province", "must be a two-digit province code")
    if not _is_int(cfg.year) or not MIN_YEAR <= cfg.year <= MAX_YEAR:
        bad("year", f"must be an integer year {MIN_YEAR}-{MAX_YEAR}")
    if not _is_int(cfg.monitoring_threshold) or cfg.monitoring_threshold <= 0:
        bad("monitoring_threshold", "must be a positive whole number of yuan")
    if not isinstance(cfg.threshold_source, str):
        bad("threshold_source", "must be a string")
    if not _is_number(cfg.near_factor) or cfg.near_factor < 1:
        bad("near_factor", "must be a number >= 1")
    for key in ("drop_ratio", "rigid_medical_ratio"):
        value = getattr(cfg, key)
        if not _is_number(value) or not 0 < value <= 1:
            bad(key, "must be a number in (0, 1]")
    for key in ("school_age", "labor_age", "wage_suspicious"):
        value = getattr(cfg, key)
        check = _is_int if key != "wage_suspicious" else _is_number
        if not (
            isinstance(value, tuple)
            and len(value) == 2
            and all(check(v) and v >= 0 for v in value)
            and value[0] < value[1]
        ):
            bad(key, "must be a pair [low, high] with 0 <= low < high")
    for key in ("min_quantity_lpd", "min_reliability_pct"):
        value = getattr(cfg, key)
        if not _is_number(value) or value < 0:
            bad(key, "must be a number >= 0")
    if _is_number(cfg.min_reliability_pct) and cfg.min_reliability_pct > 100:
        bad("min_reliability_pct", "must be at most 100")
    for key in ("max_fetch_minutes", "max_interruption_days"):
        if not _is_int(getattr(cfg, key)) or getattr(cfg, key) < 0:
            bad(key, "must be an integer >= 0")
    if not _is_int(cfg.max_risks) or cfg.max_risks < 1:
        bad("max_risks", "must be an integer >= 1")
    intervals = cfg.visit_interval_days
    if not isinstance(intervals, Mapping) or "none" not in intervals:
        bad("visit_interval_days", "must map categories to days and include 'none'")
    elif not all(isinstance(k, str) and _is_int(v) and v > 0 for k, v in intervals.items()):
        bad("visit_interval_days", "every value must be a positive integer of days")
    for key in (
        "ill_health_codes",
        "no_labor_codes",
        "worker_labor_codes",
        "excused_dropout_reasons",
        "unsafe_house_grades",
        "dibao_member_flags",
    ):
        if not _is_codes(getattr(cfg, key)):
            bad(key, "must be a list of non-empty codes")
    severities = cfg.severities
    if not isinstance(severities, Mapping) or not all(
        isinstance(k, str) and v in SEVERITY_LEVELS for k, v in severities.items()
    ):
        bad("severities", f"must map rule codes to one of {', '.join(SEVERITY_LEVELS)}")
    checks = cfg.check_risk_codes
    if not isinstance(checks, Mapping) or not all(
        isinstance(k, str) and _is_codes(v) for k, v in checks.items()
    ):
        bad("check_risk_codes", "must map check codes to lists of risk codes")
    suggested = cfg.suggested_risks
    if not isinstance(suggested, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) and v for k, v in suggested.items()
    ):
        bad("suggested_risks", "must map rule codes to one risk code each")
    return errors


def normalize_province(province: str | None) -> str:
    """Two-digit province code from a province or any longer administrative code; None: national."""
    if province is None or province == "":
        return NATIONAL
    if not isinstance(province, str) or not (
        province.isascii() and province.isdigit() and len(province) in (2, 4, 6, 9, 12)
    ):
        raise ConfigError({"province": [f"not an administrative division code: {province!r}"]})
    return province[:2]


def threshold_for(province: str | None, year: int) -> tuple[int, str]:
    """The monitoring threshold of a province and year, with where it came from ("52/2025")."""
    if not _is_int(year) or not MIN_YEAR <= year <= MAX_YEAR:
        raise ConfigError({"year": [f"must be an integer year {MIN_YEAR}-{MAX_YEAR}"]})
    code = normalize_province(province)
    table = config_data.MONITORING_THRESHOLDS
    for area in dict.fromkeys((code, NATIONAL)):
        years = [y for (p, y) in table if p == area and y <= year]
        if years:
            found = max(years)
            return table[(area, found)], f"{area}/{found}"
    earliest = min(y for (p, y) in table if p == NATIONAL)
    return table[(NATIONAL, earliest)], f"{NATIONAL}/{earliest}"


def config_for(province: str | None, year: int) -> RulesConfig:
    """The default rules config of a province (None: national) for a year (see module doc)."""
    code = normalize_province(province)
    threshold, source = threshold_for(code, year)
    return RulesConfig(
        version=f"r{RULESET_REVISION}-{code}-{year}",
        province=code,
        year=year,
        monitoring_threshold=threshold,
        threshold_source=source,
    )


DEFAULT_CONFIG: RulesConfig = config_for(None, CURRENT_YEAR)
"""The national config of `config_data.CURRENT_YEAR`, for tests and a first start offline."""


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value


def config_to_dict(config: RulesConfig) -> dict[str, Any]:
    """A JSON-ready dict of every config value (tuples become lists)."""
    return {f.name: _plain(getattr(config, f.name)) for f in fields(config)}


CONFIG_KEYS: tuple[str, ...] = tuple(f.name for f in fields(RulesConfig))
_REQUIRED_KEYS: tuple[str, ...] = ("version", "province", "year", "monitoring_threshold")


def config_from_dict(data: Mapping[str, Any]) -> RulesConfig:
    """Rebuild a config from `config_to_dict` output (or stored JSON); raises `ConfigError`."""
    if not isinstance(data, Mapping):
        raise ConfigError({"_schema": ["a config must be a JSON object"]})
    errors: dict[str, list[str]] = {}
    for key in data:
        if key not in CONFIG_KEYS:
            errors.setdefault(str(key), []).append("unknown config key")
    for key in _REQUIRED_KEYS:
        if key not in data:
            errors.setdefault(key, []).append("missing")
    if errors:
        raise ConfigError(errors)
    return RulesConfig(**dict(data))
