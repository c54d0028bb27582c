"""Risk-rule engine: pure functions over plain wire-format records.

`evaluate(household, members, visit, previous_visit=..., config=...)` returns the `Flag`s of a
visit; `RULES` maps each rule code to its function; `flags_summary` counts flags by severity.
"""

from shared_schema.rules.context import RuleContext, make_context
from shared_schema.rules.engine import RULE_CODES, RULES, Rule, evaluate
from shared_schema.rules.flag import SEVERITIES, Flag, flags_summary, suggested_risks

__all__ = [
    "RULES",
    "RULE_CODES",
    "SEVERITIES",
    "Flag",
    "Rule",
    "RuleContext",
    "evaluate",
    "flags_summary",
    "make_context",
    "suggested_risks",
]
