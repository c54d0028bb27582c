"""A small township for console tests, built the way real data arrives: grids and users through
the admin services, records pushed by a worker's phone through `/api/v1/sync/push`.

Works with a Flask test client or a live server's base URL (then over `requests`).
Township `t1` has grids g1 (worker wang) and g2 (worker li) and supervisor `sup`; township `t2`
has grid g9 and supervisor `sup2`; `boss` is an admin. Household H1 (g1) has a submitted visit
with a low income (INCOME_LOW flag); household H2 (g1) has a clean submitted visit; household
H9 is in g9, outside `sup`'s township.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from shared_schema.idnumber import make_id_number
from shared_schema.schemas.examples import example_household, example_member, example_visit

REGION = "522601"


def new_id() -> str:
    return str(uuid.uuid4())


def api(http: Any, method: str, path: str, headers: dict[str, str], body: Any = None) -> Any:
    """Call the API through a Flask client or a base URL; returns (status, json)."""
    if isinstance(http, str):
        import requests

        response = requests.request(method, http + path, json=body, headers=headers, timeout=30)
        return response.status_code, (response.json() if response.content else None)
    response = http.open(path, method=method, json=body, headers=headers)
    return response.status_code, response.get_json(silent=True)


@dataclass
class Phone:
    """A signed-in phone: pushes mutations with increasing ids, pulls with its cursor."""

    http: Any
    session: Any
    cursor: int = 0
    versions: dict[str, int] = field(default_factory=dict)

    def push(self, *mutations: tuple[str, str, dict[str, Any] | None, int | None]) -> list[Any]:
        body = {
            "client_id": self.session.client_id,
            "schema_version": 1,
            "mutations": [
                {
                    "mutation_id": self.session.next_id(),
                    "entity": entity,
                    "id": rid,
                    "op": "upsert",
                    "base_version": base,
                    "data": data,
                    "hlc": f"{1_700_000_000_000 + i:013d}-0000-test",
                }
                for i, (entity, rid, data, base) in enumerate(mutations)
            ],
        }
        status, payload = api(self.http, "POST", "/api/v1/sync/push", self.session.headers, body)
        assert status == 200, payload
        for m, result in zip(body["mutations"], payload["results"], strict=True):
            assert result["status"] != "rejected", result
            self.versions[m["id"]] = result["version"]
        return list(payload["results"])

    def pull(self) -> dict[str, dict[str, Any]]:
        """Every change since the last pull, by record id."""
        changes: dict[str, dict[str, Any]] = {}
        while True:
            status, page = api(
                self.http,
                "GET",
                f"/api/v1/sync/pull?cursor={self.cursor}&limit=500",
                self.session.headers,
            )
            assert status == 200, page
            for change in page["changes"]:
                changes[change["id"]] = change
            self.cursor = page["cursor"]
            if not page["has_more"]:
                return changes


@dataclass
class World:
    today: date
    h1: str
    h2: str
    h9: str
    v1: str
    v2: str
    members: dict[str, list[str]]
    wang: Phone
    zhao: Phone


def _members(household_id: str, seq: int) -> list[tuple[str, dict[str, Any]]]:
    head = example_member(
        household_id=household_id,
        id_number=make_id_number(REGION, date(1975, 3, 9), seq, "male"),
        birth_date="1975-03-09",
        name="李大山" if seq < 20 else "赵长河",
    )
    spouse = example_member(
        household_id=household_id,
        name="陈秀英",
        relation="spouse",
        sex="female",
        birth_date="1978-08-01",
        id_number=make_id_number(REGION, date(1978, 8, 1), seq + 1, "female"),
        labor_ability="ordinary",
        work_place=None,
        work_months=None,
        phone=None,
    )
    return [(new_id(), head), (new_id(), spouse)]


def build_world(seed: Any, http: Any, today: date) -> World:
    """Grids, users and three households with members and submitted visits (see module doc)."""
    seed.grid("g1", township="t1", village="石门村", name="石门村一组")
    seed.grid("g2", township="t1", village="杨柳村", name="杨柳村二组")
    seed.grid("g9", township="t2", village="龙潭村", name="龙潭村一组")
    seed.user("wang", grids=["g1"], display_name="王小明")
    seed.user("li", grids=["g2"], display_name="李春花")
    seed.user("zhao", grids=["g9"], display_name="赵大勇")
    seed.user("sup", role="supervisor", township="t1", display_name="张督导")
    seed.user("sup2", role="supervisor", township="t2", display_name="刘督导")
    seed.user("boss", role="admin", display_name="县管理员")
    wang = Phone(http, seed.login(http, "wang"))
    zhao = Phone(http, seed.login(http, "zhao"))
    h1, h2, h9, v1, v2, v9 = (new_id() for _ in range(6))
    day = (today - timedelta(days=10)).isoformat()
    members: dict[str, list[str]] = {}
    muts: list[tuple[str, str, dict[str, Any] | None, int | None]] = []
    for hid, grid, no, seq in ((h1, "g1", "5226010010001", 11), (h2, "g1", "5226010010002", 13)):
        head_name = "李大山"
        muts.append(
            (
                "household",
                hid,
                example_household(grid_id=grid, household_no=no, head_name=head_name),
                None,
            )
        )
        pairs = _members(hid, seq)
        members[hid] = [mid for mid, _ in pairs]
        muts += [("member", mid, data, None) for mid, data in pairs]
    low = {
        "wage": 3000,
        "operating": 0,
        "property": 0,
        "transfer": 0,
        "costs": 0,
        "insurance_payout": None,
        "medical_out_of_pocket": 0,
    }
    muts.append(
        (
            "visit",
            v1,
            example_visit(
                household_id=h1,
                visit_date=day,
                started_at=None,
                ended_at=None,
                income=low,
                assistance=[],
            ),
            None,
        )
    )
    muts.append(
        (
            "visit",
            v2,
            example_visit(household_id=h2, visit_date=day, started_at=None, ended_at=None),
            None,
        )
    )
    wang.push(*muts)
    pairs = _members(h9, 31)
    members[h9] = [mid for mid, _ in pairs]
    zhao.push(
        (
            "household",
            h9,
            example_household(grid_id="g9", household_no="5226010090001", head_name="赵长河"),
            None,
        ),
        *[("member", mid, data, None) for mid, data in pairs],
        (
            "visit",
            v9,
            example_visit(household_id=h9, visit_date=day, started_at=None, ended_at=None),
            None,
        ),
    )
    return World(today, h1, h2, h9, v1, v2, members, wang, zhao)


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1)
