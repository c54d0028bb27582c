"""The push path's speed-ups keep its guarantees: cached schemas answer exactly like fresh ones
and in the right language, and a batch's block of versions leaves no gap in the counter."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from shared_schema.schemas import records as shared
from sync_server.models import MutationLog, Record, RecordVersion, SyncCounter
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


def test_mutation_repeated_in_its_own_batch_replays_the_result_of_this_batch(app, client, wang):
    hid = new_id()
    first = mutation(wang, "household", hid, household("g1"))
    second = mutation(wang, "member", new_id(), member(hid))
    results = push(client, wang, first, second, first).get_json()["results"]
    assert [r["status"] for r in results] == ["applied", "applied", "applied"]
    assert results[2] == results[0]
    db = app.extensions["tianye_db"]
    with db.read() as s:
        history = list(s.scalars(select(RecordVersion.record_id).order_by(RecordVersion.version)))
        logged = list(s.scalars(select(MutationLog.mutation_id).order_by(MutationLog.mutation_id)))
    assert history == [hid, second["id"]] and logged == [1, 2]


def test_base_version_reads_history_written_earlier_in_the_batch(client, wang):
    hid = new_id()
    [created] = push(client, wang, mutation(wang, "household", hid, household("g1"))).get_json()[
        "results"
    ]
    v1 = created["version"]
    # The second edit names the version the first one gets in this very batch (a test can
    # predict it): its base must be that pending history row, so nothing changed since its
    # base and it applies; read against v1 instead it would come back "merged".
    edit_a = mutation(wang, "household", hid, {"phone": "13811112222"}, base_version=v1)
    edit_b = mutation(wang, "household", hid, {"head_name": "王小明"}, base_version=v1 + 1)
    results = push(client, wang, edit_a, edit_b).get_json()["results"]
    assert [(r["status"], r["version"]) for r in results] == [
        ("applied", v1 + 1),
        ("applied", v1 + 2),
    ], results
