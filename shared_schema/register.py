"""The household register's pure rules: provisional numbers and what a split does.

A household registered on a phone gets a provisional number `<grid>-P<nnn>` (docs/data-model.md
"The household register"): the next sequence number the phone has not seen in that grid. Two
offline phones may still pick the same one; the server keeps both and raises a `household_no`
conflict (shared_schema.sync.decide), and a supervisor gives the official number on confirming.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

MAX_NUMBER = 32  # HouseholdSchema.household_no's max_length
PROVISIONAL = "-P"


def provisional_number(grid_id: str, taken: Iterable[str]) -> str:
    """The first `<grid>-P<nnn>` (three digits or more) not in `taken`; the grid prefix is
    shortened so the number fits the field's 32 characters."""
    used = set(taken)
    seq = 1
    pattern = re.compile(re.escape(grid_id) + re.escape(PROVISIONAL) + r"(\d+)")
    for number in used:
        match = pattern.fullmatch(number)
        if match:
            seq = max(seq, int(match.group(1)) + 1)
    while True:
        suffix = f"{PROVISIONAL}{seq:03d}"
        candidate = grid_id[: MAX_NUMBER - len(suffix)] + suffix
        if candidate not in used:
            return candidate
        seq += 1


def split_members(
    members: Sequence[Mapping[str, Any]], moving: Iterable[str], new_head: str
) -> dict[str, dict[str, Any]]:
    """The member records a split writes: each moving member's data (keyed by id) with the new
    head's `relation` set to `head`. Raises ValueError when nothing moves, the new head is not
    among the moving members, or an id is not a member of the household."""
    by_id = {str(m["id"]): m for m in members}
    moving = list(dict.fromkeys(moving))
    if not moving:
        raise ValueError("choose at least one member to move")
    unknown = [mid for mid in moving if mid not in by_id]
    if unknown:
        raise ValueError(f"not members of this household: {unknown}")
    if new_head not in moving:
        raise ValueError("the new head must be one of the members who move")
    out: dict[str, dict[str, Any]] = {}
    for mid in moving:
        data = {k: v for k, v in by_id[mid].items() if k != "id"}
        if mid == new_head:
            data["relation"] = "head"
        elif data.get("relation") == "head":
            data["relation"] = "other"  # the old head moving as a member of the new household
        out[mid] = data
    return out
