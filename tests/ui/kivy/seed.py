"""Seeds a real phone store with households, members and visits (shared example records).

Used by the view-model tests and the Kivy UI tests. Ids are deterministic so tests can refer
to them; records are saved through the store's validated write path, like the app does.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from mobile_app.store import Store
from shared_schema.idnumber import make_id_number
from shared_schema.schemas.examples import example_household, example_member, example_visit

NOW = datetime(2024, 6, 1, 2, 0, tzinfo=UTC)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ("建国", "秀英", "国强", "桂兰", "志明", "春花", "德华", "玉梅", "学军", "海燕")


def hid(n: int) -> str:
    """The id of the n-th seeded household."""
    return str(uuid.UUID(int=(0x0190A5C2 << 96) + n))


def mid(n: int, k: int) -> str:
    """The id of member k of household n."""
    return str(uuid.UUID(int=(0x0190A5C3 << 96) + n * 100 + k))


def vid(n: int, k: int = 0) -> str:
    """The id of visit k of household n."""
    return str(uuid.UUID(int=(0x0190A5C4 << 96) + n * 100 + k))


def head_name(n: int) -> str:
    return SURNAMES[n % len(SURNAMES)] + GIVEN[n % len(GIVEN)]


def id_number(n: int, k: int, birth: date, sex: str) -> str:
    return make_id_number("522601", birth, (n * 7 + k) % 998 + 1, sex)


def seed_household(
    store: Store, n: int, *, visited: str | None = None, now: datetime = NOW, **overrides: Any
) -> str:
    """Household n with a head and a spouse (and a visit on `visited`, if given)."""
    node = store.session.client_id()
    h = hid(n)
    data = example_household(
        household_no=f"5226010010{n:03d}", head_name=head_name(n), grid_id="g-001", **overrides
    )
    store.records.save("household", h, data, now=now, hlc_node=node)
    head_birth = date(1970 + n % 20, 1 + n % 12, 1 + n % 27)
    store.records.save(
        "member",
        mid(n, 1),
        example_member(
            household_id=h,
            name=head_name(n),
            birth_date=head_birth.isoformat(),
            id_number=id_number(n, 1, head_birth, "male"),
        ),
        now=now,
        hlc_node=node,
    )
    spouse_birth = date(1972 + n % 20, 1 + n % 12, 2 + n % 26)
    store.records.save(
        "member",
        mid(n, 2),
        example_member(
            household_id=h,
            name=SURNAMES[(n + 3) % len(SURNAMES)] + "秀英",
            relation="spouse",
            sex="female",
            birth_date=spouse_birth.isoformat(),
            id_number=id_number(n, 2, spouse_birth, "female"),
            phone=None,
            work_place=None,
            work_months=None,
            labor_ability="ordinary",
        ),
        now=now,
        hlc_node=node,
    )
    if visited:
        store.records.save(
            "visit",
            vid(n),
            example_visit(household_id=h, visit_date=visited),
            now=now,
            hlc_node=node,
        )
    return h


def seed_grid(store: Store, count: int, *, now: datetime = NOW) -> list[str]:
    """`count` households; every third visited recently, every fifth never visited."""
    ids = []
    with store.db.transaction():  # one commit: seeding 2,000 households stays quick
        for n in range(1, count + 1):
            visited = None if n % 5 == 0 else ("2024-05-20" if n % 3 == 0 else "2024-01-10")
            ids.append(seed_household(store, n, visited=visited, now=now))
    return ids


def pulled_page(store: Store, changes: list[dict[str, Any]], cursor: int) -> None:
    """Apply a pull page as the sync runner would (records the server holds)."""
    from mobile_app.store.reconcile import apply_pull_page

    apply_pull_page(
        store.db,
        {"changes": changes, "cursor": cursor, "has_more": False, "last_mutation_id": 0},
        now="2024-06-01T02:00:00.000Z",
    )


def server_household(
    n: int, version: int, *, review: str | None = None, comment: str | None = None
) -> list[dict[str, Any]]:
    """Pull changes for household n as the server sends them (household, head, a visit)."""
    h = hid(n)
    visit = example_visit(household_id=h, visit_date="2024-05-20")
    if review:
        visit.update(review_status=review, review_comment=comment)
    head_birth = date(1980, 6, 15)
    return [
        {
            "entity": "household",
            "id": h,
            "version": version,
            "deleted": False,
            "data": example_household(household_no=f"5226010010{n:03d}", head_name=head_name(n)),
            "open_conflicts": [],
        },
        {
            "entity": "member",
            "id": mid(n, 1),
            "version": version + 1,
            "deleted": False,
            "data": example_member(
                household_id=h,
                name=head_name(n),
                birth_date=head_birth.isoformat(),
                id_number=id_number(n, 1, head_birth, "male"),
            ),
            "open_conflicts": [],
        },
        {
            "entity": "visit",
            "id": vid(n),
            "version": version + 2,
            "deleted": False,
            "data": visit,
            "open_conflicts": [],
        },
    ]


def seed_pulled_grid(store: Store, count: int) -> list[str]:
    """`count` households as a first pull brings them (every fifth never visited)."""
    changes: list[dict[str, Any]] = []
    version = 0
    for n in range(1, count + 1):
        version += 1
        changes.append(
            {
                "entity": "household",
                "id": hid(n),
                "version": version,
                "deleted": False,
                "data": example_household(household_no=f"5226010{n:06d}", head_name=head_name(n)),
                "open_conflicts": [],
            }
        )
        if n % 5:
            version += 1
            day = "2024-05-20" if n % 3 == 0 else "2024-01-10"
            changes.append(
                {
                    "entity": "visit",
                    "id": vid(n),
                    "version": version,
                    "deleted": False,
                    "data": example_visit(household_id=hid(n), visit_date=day),
                    "open_conflicts": [],
                }
            )
    pulled_page(store, changes, version)
    return [hid(n) for n in range(1, count + 1)]
