"""The household register's pure rules: provisional numbers and what a split does (who
moves, and how each is related to the new head).

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


# How a member who moves is related to the new head, by how each was related to the old head
# (the usual reading of a household register; the worker corrects an unusual family on the
# member form). new head's old relation -> {member's old relation -> relation to the new head}.
RELATION_TO_NEW_HEAD: dict[str, dict[str, str]] = {
    "child": {  # a son or daughter sets up a household of their own
        "head": "parent",
        "spouse": "parent",
        "child": "sibling",
        "child_in_law": "spouse",
        "grandchild": "child",
        "parent": "grandparent",
        "parent_in_law": "grandparent",
    },
    "spouse": {  # the old head's spouse leaves with their children
        "head": "spouse",
        "child": "child",
        "child_in_law": "child_in_law",
        "grandchild": "grandchild",
        "parent": "parent_in_law",
        "parent_in_law": "parent",
    },
    "child_in_law": {  # a son- or daughter-in-law heads the new household
        "head": "parent_in_law",
        "spouse": "parent_in_law",
        "child": "spouse",
        "grandchild": "child",
    },
    "parent": {
        "head": "child",
        "spouse": "child_in_law",
        "parent": "spouse",
        "child": "grandchild",
        "sibling": "child",
    },
    "parent_in_law": {
        "head": "child_in_law",
        "spouse": "child",
        "parent_in_law": "spouse",
        "child": "grandchild",
    },
    "sibling": {"head": "sibling", "sibling": "sibling", "parent": "parent"},
    "grandchild": {"head": "grandparent", "spouse": "grandparent", "grandchild": "sibling"},
    "grandparent": {"head": "grandchild", "grandparent": "spouse"},
}
UNKNOWN_RELATION = "other"


def split_members(
    members: Sequence[Mapping[str, Any]], moving: Iterable[str], new_head: str
) -> dict[str, dict[str, Any]]:
    """The member records a split writes: each moving member's data (keyed by id) with its
    `relation` to the new head (`head` for the new head; `RELATION_TO_NEW_HEAD`, else
    `other`; two members who would both be the new head's spouse are both `other`). Raises
    ValueError when nothing moves, the new head is not among the moving members, or an id is
    not a member of the household."""
    by_id = {str(m["id"]): m for m in members}
    moving = list(dict.fromkeys(moving))
    if not moving:
        raise ValueError("choose at least one member to move")
    unknown = [mid for mid in moving if mid not in by_id]
    if unknown:
        raise ValueError(f"not members of this household: {unknown}")
    if new_head not in moving:
        raise ValueError("the new head must be one of the members who move")
    table = RELATION_TO_NEW_HEAD.get(str(by_id[new_head].get("relation")), {})
    out: dict[str, dict[str, Any]] = {}
    for mid in moving:
        data = {k: v for k, v in by_id[mid].items() if k != "id"}
        if mid == new_head:
            data["relation"] = "head"
        else:
            data["relation"] = table.get(str(data.get("relation")), UNKNOWN_RELATION)
        out[mid] = data
    spouses = [mid for mid, data in out.items() if data["relation"] == "spouse"]
    if len(spouses) > 1:  # at most one spouse: no guess between them
        for mid in spouses:
            out[mid]["relation"] = UNKNOWN_RELATION
    return out


def rehead_members(
    members: Sequence[Mapping[str, Any]], new_head: str
) -> dict[str, dict[str, Any]]:
    """The member records a change of head writes (the head died, moved out, or the family
    chose another): every member of the household re-related to `new_head` by the same table
    as a split (`RELATION_TO_NEW_HEAD`; the old head becomes e.g. `spouse` or `parent`), the
    new head `head`. Raises ValueError when `new_head` is not a member or already the head."""
    by_id = {str(m["id"]): m for m in members}
    if new_head not in by_id:
        raise ValueError(f"not a member of this household: {new_head}")
    if by_id[new_head].get("relation") == "head":
        raise ValueError("already the head")
    return split_members(members, list(by_id), new_head)
