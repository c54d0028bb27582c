"""A family of five in seeded household 1 (head, spouse, son, daughter-in-law, the head's
father), for the register scenarios: the son and his wife split off, the father follows them.
The records are as the server sends them (pull changes) or pushes them (mutations)."""

from __future__ import annotations

from datetime import date
from typing import Any

from shared_schema.schemas.examples import example_member
from tests.ui.kivy.seed import hid, id_number, mid

HOUSEHOLD = 1
SPOUSE, SON, DAUGHTER_IN_LAW, FATHER = (mid(HOUSEHOLD, k) for k in (2, 3, 4, 5))
NAMES = {SPOUSE: "张秀兰", SON: "李小军", DAUGHTER_IN_LAW: "王小燕", FATHER: "李老汉"}


def family_members(n: int = HOUSEHOLD) -> list[tuple[str, dict[str, Any]]]:
    """(member id, data) of the four members beside the head."""
    quiet = {"work_place": None, "work_months": None, "phone": None, "labor_ability": "ordinary"}
    people = [
        (2, "张秀兰", "spouse", "female", date(1978, 3, 4)),
        (3, "李小军", "child", "male", date(2000, 3, 4)),
        (4, "王小燕", "child_in_law", "female", date(2001, 5, 6)),
        (5, "李老汉", "parent", "male", date(1952, 9, 10)),
    ]
    return [
        (
            mid(n, k),
            example_member(
                household_id=hid(n),
                name=name,
                relation=relation,
                sex=sex,
                birth_date=birth.isoformat(),
                id_number=id_number(n, k, birth, sex),
                **quiet,
            ),
        )
        for k, name, relation, sex, birth in people
    ]


def family_changes(version: int, n: int = HOUSEHOLD) -> list[dict[str, Any]]:
    """The members as a pull page brings them, versions from `version` on."""
    return [
        {
            "entity": "member",
            "id": member_id,
            "version": version + i,
            "deleted": False,
            "data": data,
            "open_conflicts": [],
        }
        for i, (member_id, data) in enumerate(family_members(n))
    ]


def family_mutations(first_id: int, n: int = HOUSEHOLD) -> list[dict[str, Any]]:
    """The members as an admin's device pushes them to a server."""
    return [
        {"mutation_id": first_id + i, "entity": "member", "id": member_id, "op": "upsert",
         "base_version": None, "data": data, "hlc": f"{1700000050000 + i:013d}-0000-seed"}
        for i, (member_id, data) in enumerate(family_members(n))
    ]  # fmt: skip
