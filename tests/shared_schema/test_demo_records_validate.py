"""The demo county the seeder loads is valid data: every generated record passes
`validate_record` (visits judged on their visit date, the rest on the seeding day), and every
household's members form a valid household."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date
from typing import Any

import pytest

from shared_schema.schemas.records import ENTITIES, validate_household_members, validate_record
from sync_server.seed.generator import DemoCounty, generate_county

TODAY = date(2026, 11, 25)


@pytest.fixture(scope="module")
def county() -> DemoCounty:
    return generate_county(today=TODAY)


def as_of(entity: str, data: dict[str, Any]) -> date:
    return date.fromisoformat(data["visit_date"]) if entity == "visit" else TODAY


def test_the_county_has_every_kind_of_record(county: DemoCounty) -> None:
    counts = Counter(r.entity for r in county.records)
    assert set(counts) == set(ENTITIES)
    assert counts["household"] >= 100 and counts["member"] > counts["household"]
    assert counts["visit"] > counts["household"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_generated_record_is_valid(county: DemoCounty, lang: str) -> None:
    invalid = {}
    for r in county.records:
        found = validate_record(r.entity, r.data, lang=lang, as_of=as_of(r.entity, r.data))
        if found:
            invalid[(r.entity, r.id)] = found
    assert invalid == {}, f"{len(invalid)} invalid records, e.g. {next(iter(invalid.items()))}"


def test_no_visit_lies_after_the_seeding_day(county: DemoCounty) -> None:
    visit_days = [as_of("visit", r.data) for r in county.records if r.entity == "visit"]
    assert max(visit_days) <= TODAY


def test_every_household_has_one_head_and_at_most_one_spouse(county: DemoCounty) -> None:
    households = {r.id for r in county.records if r.entity == "household"}
    members: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in county.records:
        if r.entity == "member":
            members[r.data["household_id"]].append({"id": r.id, **r.data})
    assert set(members) <= households  # no member of an unknown household
    broken = {h: validate_household_members(members[h]) for h in households}
    assert {h: e for h, e in broken.items() if e} == {}


def test_visits_belong_to_generated_households(county: DemoCounty) -> None:
    households = {r.id for r in county.records if r.entity == "household"}
    assert {r.data["household_id"] for r in county.records if r.entity == "visit"} <= households


def test_members_are_born_before_their_record_is_written(county: DemoCounty) -> None:
    unborn = [
        r.id
        for r in county.records
        if r.entity == "member" and validate_record("member", r.data, as_of=r.at.date())
    ]
    assert unborn == []
