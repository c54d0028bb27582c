"""The data behind the rules config: monitoring thresholds per province and year, and defaults.

Kept apart from `config.py` so that changing a threshold is a data edit, never a code edit.
Bump `RULESET_REVISION` whenever a default here changes, so cached configs get a new version.
"""

from __future__ import annotations

RULESET_REVISION = 1
"""Revision of the defaults below; part of every config's `version`."""

NATIONAL = "00"
"""Pseudo province code of the national default thresholds."""

# Monitoring thresholds (yuan of net income per resident per year), keyed by
# (province code per GB/T 2260, year). EXAMPLES ONLY: the figures follow the orders of magnitude
# seen in published notices (6,000 in 2021; 7,500-8,800 in 2023-2024) but are not official
# values. Real deployments replace them through the admin console (stored as config JSON).
MONITORING_THRESHOLDS: dict[tuple[str, int], int] = {
    (NATIONAL, 2021): 6000,  # example
    (NATIONAL, 2022): 6300,  # example
    (NATIONAL, 2023): 7500,  # example
    (NATIONAL, 2024): 7800,  # example
    (NATIONAL, 2025): 8000,  # example
    (NATIONAL, 2026): 8200,  # example
    ("52", 2023): 7500,  # Guizhou, example
    ("52", 2024): 7800,  # Guizhou, example
    ("52", 2025): 8100,  # Guizhou, example
    ("52", 2026): 8300,  # Guizhou, example
    ("53", 2024): 8000,  # Yunnan, example
    ("45", 2024): 8100,  # Guangxi, example
    ("32", 2024): 8800,  # Jiangsu, example
    ("32", 2025): 9000,  # Jiangsu, example
}

CURRENT_YEAR = 2026
"""The year `DEFAULT_CONFIG` is built for; shared code never reads the clock."""

# Severity of each rule's flag. "high": the household may need inclusion or urgent help;
# "medium": needs a look on the next visit; "low": a data-quality question for the collector.
SEVERITIES: dict[str, str] = {
    "INCOME_LOW": "high",
    "INCOME_NEAR": "medium",
    "INCOME_DROP": "high",
    "RIGID_MEDICAL": "high",
    "EDU_DROPOUT": "high",
    "MED_UNINSURED": "high",
    "MED_DOUBLE": "medium",
    "HOUSING_UNSAFE": "high",
    "WATER_UNSAFE": "high",
    "NO_LABOR_HOUSEHOLD": "medium",
    "CHK_ILLNESS_NO_ILL_MEMBER": "low",
    "CHK_WORK_NO_WORKER": "low",
    "CHK_DIBAO_NO_TRANSFER": "medium",
    "CHK_DISASTER_NO_SUBTYPE": "low",
    "CHK_WAGE_SUSPICIOUS": "low",
    "CHK_HEALTHY_ADULT_NO_LABOR": "low",
    "MEMBERS_HEAD": "medium",
}

# Days between visits per monitoring category (`household.monitor_category`); `none` is the
# key for households that are not monitored (category null).
VISIT_INTERVAL_DAYS: dict[str, int] = {
    "unstable_lifted": 30,
    "marginal": 30,
    "sudden_hardship": 30,
    "none": 90,
}

# Risk codes each consistency check reads from `visit.risks`.
CHECK_RISK_CODES: dict[str, tuple[str, ...]] = {
    "CHK_ILLNESS_NO_ILL_MEMBER": ("illness",),
    "CHK_WORK_NO_WORKER": ("unstable_work",),
    "CHK_DISASTER_NO_SUBTYPE": ("disaster",),
}

# Risk code a flag suggests ticking in `visit.risks` (the worker decides; nothing is ticked
# automatically).
SUGGESTED_RISKS: dict[str, str] = {
    "HOUSING_UNSAFE": "housing",
    "WATER_UNSAFE": "water",
    "EDU_DROPOUT": "dropout",
    "NO_LABOR_HOUSEHOLD": "lack_of_labor",
    "RIGID_MEDICAL": "illness",
}

DEFAULTS: dict[str, object] = {
    "near_factor": 1.2,
    "drop_ratio": 0.30,
    "rigid_medical_ratio": 0.50,
    "school_age": (6, 16),
    "labor_age": (16, 59),
    "wage_suspicious": (0, 100),
    "min_quantity_lpd": 20,
    "max_fetch_minutes": 20,
    "min_reliability_pct": 90,
    "max_interruption_days": 30,
    "visit_interval_days": VISIT_INTERVAL_DAYS,
    "ill_health_codes": ("chronic", "serious_illness"),
    "no_labor_codes": ("lost", "none"),
    "worker_labor_codes": ("ordinary", "skilled", "weak"),
    "excused_dropout_reasons": ("illness", "disability"),
    "unsafe_house_grades": ("c", "d"),
    "dibao_member_flags": ("dibao",),
    "max_risks": 5,
    "severities": SEVERITIES,
    "check_risk_codes": CHECK_RISK_CODES,
    "suggested_risks": SUGGESTED_RISKS,
}
"""Every config value except the identity (version, province, year) and the threshold."""
