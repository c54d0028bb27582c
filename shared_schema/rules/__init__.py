"""Risk-rule engine: pure functions over plain records."""
