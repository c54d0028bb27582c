"""The push path's speed-ups keep its guarantees: cached schemas answer exactly like fresh ones
and in the right language, and a batch's block of versions leaves no gap in the counter."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from shared_schema.schemas import records as shared
from sync_server.models import Record, SyncCounter
from sync_server.services import record_checks
from tests.sync_server.helpers import household, member, mutation, new_id, push


@pytest.fixture
def wang(seed, client):
    seed.grid("g1", township="t1")
    seed.grid("g2", township="t1")
    seed.user("wang", grids=["g1", "g2"])
    return seed.login(client, "wang")


def _counter_and_versions(app: Any) -> tuple[int, list[int]]:
    db = app.extensions["tianye_db"]
    with db.read() as s:
        counter = s.scalar(select(SyncCounter.value).where(SyncCounter.id == 1))
        versions = sorted(s.scalars(select(Record.version)))
    return int(counter), versions


def test_cached_schema_keeps_its_language_after_other_languages_are_built():
    bad = {"phone": "12345"}
    day = date(2026, 11, 25)
    en = record_checks.validate_changes("household", bad, lang="en", as_of=day)
    # Build (and use) Chinese schemas of the same class in between: they rewrite the
    # validators they share with every other instance of the class.
    zh = record_checks.validate_changes("household", bad, lang="zh", as_of=day)
    shared.validate_changes("household", bad, lang="zh", as_of=day)
    again = record_checks.validate_changes("household", bad, lang="en", as_of=day)
    assert again == en and en["phone"][0].isascii()
    assert any("\u4e00" <= ch <= "\u9fff" for ch in zh["phone"][0])


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_cached_validation_equals_shared_schema(lang):
    day = date(2026, 11, 25)
    hid = new_id()
    cases: list[tuple[str, dict[str, Any]]] = [
        ("household", household("g1")),
        ("household", household("g1", phone="12345", colour="red")),
        ("member", member(hid)),
        ("member", member(hid, id_number="123")),
        ("household", {"grid_id": 5}),
    ]
    for entity, data in cases:
        for _ in range(2):  # the second call uses the cached schema
            assert record_checks.validate_changes(
                entity, data, lang=lang, as_of=day
            ) == shared.validate_changes(entity, data, lang=lang, as_of=day)
            assert record_checks.validate_record(
                entity, data, lang=lang, as_of=day
            ) == shared.validate_record(entity, data, lang=lang, as_of=day)


def test_batch_versions_are_consecutive_and_unused_ones_are_given_back(app, client, wang):
    start, _ = _counter_and_versions(app)
    hid = new_id()
    batch = [
        mutation(wang, "household", hid, household("g1")),
        mutation(wang, "household", new_id(), household("g1", phone="12345")),  # rejected
        mutation(wang, "member", new_id(), member(hid)),
        mutation(wang, "member", new_id(), member(new_id())),  # unknown household: rejected
        mutation(wang, "member", new_id(), member(hid)),
    ]
    results = push(client, wang, *batch).get_json()["results"]
    assert [r["status"] for r in results] == [
        "applied",
        "rejected",
        "applied",
        "rejected",
        "applied",
    ]
    assert [r["version"] for r in results if r["status"] == "applied"] == [
        start + 1,
        start + 2,
        start + 3,
    ]
    counter, versions = _counter_and_versions(app)
    assert counter == start + 3 and versions == [start + 1, start + 2, start + 3]
    # A household moving grid re-stamps its members: more versions than mutations, drawn
    # contiguously after the reserved block.
    move = mutation(wang, "household", hid, {"grid_id": "g2"}, base_version=start + 1)
    [result] = push(client, wang, move).get_json()["results"]
    assert (result["status"], result["version"]) == ("applied", start + 4)
    counter, versions = _counter_and_versions(app)
    assert (counter, versions) == (start + 6, [start + 4, start + 5, start + 6])
    # A batch of rejections only leaves the counter where it was.
    push(client, wang, mutation(wang, "household", new_id(), household("g1", phone="1")))
    assert _counter_and_versions(app)[0] == start + 6
