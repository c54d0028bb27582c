"""JSON encoding for stored columns: compact, UTF-8 kept readable, keys sorted (stable diffs)."""

from __future__ import annotations

import json
from typing import Any


def dumps(value: Any) -> str:
    """Encode a value for a TEXT column."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def loads(text: str | None) -> Any:
    """Decode a TEXT column (None stays None)."""
    return None if text is None else json.loads(text)
