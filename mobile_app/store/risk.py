"""Risk flags and visit scheduling for the household list, from the shared rules and config.

The list shows how many flags the household's latest visit raises (`shared_schema.rules.
evaluate`, with its members and the visit before it). Flags of severity "low" are
data-quality questions for the collector, not risks of the household, so they are not
counted. The rules config is the cached server config ("rules" section), else the shared
defaults; it is parsed once per distinct cached text.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from mobile_app.store import jsonio
from mobile_app.store.database import Connection
from shared_schema.config import RulesConfig, config_for, config_from_dict
from shared_schema.config_data import CURRENT_YEAR
from shared_schema.rules import evaluate

COUNTED_SEVERITIES = ("high", "medium")

_cache: dict[str | None, RulesConfig] = {}


def rules_config(conn: Connection) -> RulesConfig:
    """The cached server rules config, or the shared defaults."""
    row = conn.execute("SELECT value FROM config WHERE key='rules'").fetchone()
    text = row[0] if row else None
    if text not in _cache:
        cfg = None
        if text:
            try:
                cfg = config_from_dict(jsonio.loads(text))
            except (ValueError, TypeError, KeyError):
                cfg = None  # a config this app version cannot read: keep working on defaults
        _cache.clear()
        _cache[text] = cfg or config_for(None, CURRENT_YEAR)
    return _cache[text]


def next_visit_due(conn: Connection, last_visit: str, monitor_category: Any) -> str | None:
    """ISO date the next visit is due after one on `last_visit` (None if the date is bad).

    A stored date the rules cannot compute with (year 9999 overflows the date arithmetic,
    issue 15) must not stop a page from being applied or the list from loading."""
    try:
        return rules_config(conn).next_visit_due(last_visit, monitor_category).isoformat()
    except (ValueError, TypeError, KeyError, ArithmeticError):
        return None


def count_flags(
    conn: Connection, household_id: str, household: dict[str, Any], visit: dict[str, Any]
) -> int:
    """How many high/medium flags the household's latest visit raises."""
    members = [
        jsonio.loads(r[0])
        for r in conn.execute(
            "SELECT data FROM records WHERE entity='member' AND household_id=? AND deleted=0",
            (household_id,),
        )
    ]
    previous = conn.execute(
        "SELECT data FROM records WHERE entity='visit' AND household_id=? AND deleted=0"
        " AND visit_date < ? ORDER BY visit_date DESC LIMIT 1",
        (household_id, visit.get("visit_date") or date.max.isoformat()),
    ).fetchone()
    try:
        flags = evaluate(
            household,
            members,
            visit,
            previous_visit=jsonio.loads(previous[0]) if previous else None,
            config=rules_config(conn),
        )
    except (ValueError, TypeError, KeyError, ArithmeticError):
        # Rules expect valid records; a record pulled from a newer server version may not
        # parse here. The list must still load, so such a household counts no flags.
        return 0
    return sum(1 for f in flags if f.severity in COUNTED_SEVERITIES)
