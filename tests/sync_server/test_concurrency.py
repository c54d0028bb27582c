"""Many phones at once against `serve --workers 4` on PostgreSQL: 12 pushers with overlapping
edits (and duplicate deliveries) while 4 pullers page through changes (and a smaller crowd
against `--workers 2` on SQLite, whose single writer must give the same guarantees).

Asserts exactly-once (per client, every id once, replays identical), no skipped change (a
puller gets every committed version, or a newer one from a pull that started before it), and
no lost value (every pushed value is in the final state, in history, or in a conflict row).
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from typing import Any

import pytest
import requests
from sqlalchemy import func, select

from sync_server.models import ConflictRow, MutationLog, Record, RecordVersion
from tests.sync_server.helpers import household

pytestmark = [pytest.mark.slow]

HOUSEHOLDS, ROUNDS, BATCH = 40, 8, 3
SHAPES = {"postgres": (12, 4, 4), "sqlite": (6, 2, 2)}  # pushers, pullers, server workers


def sign_in(url: str) -> tuple[requests.Session, str]:
    http = requests.Session()
    client_id = str(uuid.uuid4())
    r = http.post(
        f"{url}/api/v1/auth/token",
        json={
            "username": "wang",
            "password": "pass-word-1",
            "client_id": client_id,
            "device_name": "p",
        },
        timeout=30,
    )
    assert r.status_code == 200, r.text
    http.headers["Authorization"] = f"Bearer {r.json()['token']}"
    return http, client_id


def test_pushers_and_pullers_in_parallel(seed, live_server_factory, database, backend):
    """PostgreSQL: 12 pushers, 4 pullers, 4 workers; SQLite (one writer): a smaller crowd."""
    PUSHERS, PULLERS, workers = SHAPES["postgres" if backend == "postgresql" else "sqlite"]
    seed.grid("g1")
    seed.user("wang", grids=["g1"])
    url = live_server_factory(workers=workers).url
    ids = [str(uuid.uuid4()) for _ in range(HOUSEHOLDS)]
    creator, creator_id = sign_in(url)
    creates = [
        {
            "mutation_id": n + 1,
            "entity": "household",
            "id": hid,
            "op": "upsert",
            "base_version": None,
            "data": household("g1", household_no=f"{n:04d}"),
        }
        for n, hid in enumerate(ids)
    ]
    r = creator.post(
        f"{url}/api/v1/sync/push",
        json={"client_id": creator_id, "schema_version": 1, "mutations": creates},
        timeout=60,
    )
    assert r.status_code == 200 and all(x["status"] == "applied" for x in r.json()["results"])
    written: list[tuple[str, int]] = [
        (hid, x["version"]) for hid, x in zip(ids, r.json()["results"], strict=True)
    ]
    pushed_values: list[str] = []
    errors: list[str] = []
    lock = threading.Lock()
    done = threading.Event()

    # Sign in before the crowd starts: sixteen simultaneous sign-ins of one user from one
    # address are what the sign-in throttle exists to slow down (test_login_throttle.py);
    # this test is about pushes and pulls.
    pusher_sessions = [sign_in(url) for _ in range(PUSHERS)]
    puller_sessions = [sign_in(url)[0] for _ in range(PULLERS)]

    def pusher(n: int) -> None:
        rng = random.Random(n)
        http, client_id = pusher_sessions[n]
        known = {hid: v for hid, v in written[:HOUSEHOLDS]}
        mid = 0
        try:
            for rnd in range(ROUNDS):
                batch = []
                for k in range(BATCH):
                    mid += 1
                    hid = rng.choice(ids)
                    value = f"c{n}-r{rnd}-k{k}"
                    field = rng.choice(["notes", "address"])
                    batch.append(
                        {
                            "mutation_id": mid,
                            "entity": "household",
                            "id": hid,
                            "op": "upsert",
                            "base_version": known[hid],
                            "data": {field: value},
                            "hlc": None,
                        }
                    )
                    with lock:
                        pushed_values.append(value)
                body = {"client_id": client_id, "schema_version": 1, "mutations": batch}
                first = http.post(f"{url}/api/v1/sync/push", json=body, timeout=60)
                assert first.status_code == 200, first.text
                if rng.random() < 0.3:  # a duplicate delivery (the phone lost the response)
                    again = http.post(f"{url}/api/v1/sync/push", json=body, timeout=60)
                    assert again.json() == first.json()
                for m, res in zip(batch, first.json()["results"], strict=True):
                    assert res["status"] in ("applied", "merged", "conflict"), res
                    with lock:
                        written.append((m["id"], res["version"]))
                    known[m["id"]] = res["version"]
                if rng.random() < 0.5:  # sometimes catch up, as a phone would
                    page = http.get(
                        f"{url}/api/v1/sync/pull?cursor=0&limit=1000", timeout=60
                    ).json()
                    for c in page["changes"]:
                        known[c["id"]] = c["version"]
            me = http.get(f"{url}/api/v1/me", timeout=30).json()
            assert me["last_mutation_id"] == ROUNDS * BATCH
        except AssertionError as exc:  # collected: a thread's assert must fail the test
            errors.append(f"pusher {n}: {exc}")

    observations: list[list[tuple[int, str, int]]] = [[] for _ in range(PULLERS)]

    def puller(n: int) -> None:
        http = puller_sessions[n]
        cursor = 0
        try:
            while True:
                finishing = done.is_set()
                page = http.get(
                    f"{url}/api/v1/sync/pull?cursor={cursor}&limit=7", timeout=60
                ).json()
                for c in page["changes"]:
                    observations[n].append((cursor, c["id"], c["version"]))
                assert page["cursor"] >= cursor
                cursor = page["cursor"]
                if finishing and not page["has_more"]:
                    return
                if not page["has_more"]:
                    time.sleep(0.01)
        except AssertionError as exc:
            errors.append(f"puller {n}: {exc}")

    started = time.monotonic()
    pullers = [threading.Thread(target=puller, args=(n,)) for n in range(PULLERS)]
    pushers = [threading.Thread(target=pusher, args=(n,)) for n in range(PUSHERS)]
    for t in pullers + pushers:
        t.start()
    for t in pushers:
        t.join(timeout=120)
    done.set()
    for t in pullers:
        t.join(timeout=120)
    assert not errors, errors
    assert time.monotonic() - started < 90

    # no skipped change: each puller's stream is in strictly increasing version order, and
    # every record reaches each puller at its final version (a version committed behind a
    # puller's cursor would be missing here: it is never delivered afterwards)
    final: dict[str, int] = {}
    for hid, version in written:
        final[hid] = max(final.get(hid, 0), version)
    for n, seen in enumerate(observations):
        versions = [v for _, _, v in seen]
        assert versions == sorted(set(versions)), f"puller {n} out of order"
        last_seen = {rid: v for _, rid, v in seen}
        assert last_seen == final, f"puller {n} missed a final version"

    # exactly once and no lost value, read straight from the database
    with database.read() as session:
        dupes = session.execute(
            select(RecordVersion.client_id, RecordVersion.mutation_id)
            .where(RecordVersion.mutation_id.is_not(None))
            .group_by(RecordVersion.client_id, RecordVersion.mutation_id)
            .having(func.count() > 1)
        ).all()
        assert dupes == []
        current = {rid: v for rid, v in session.execute(select(Record.id, Record.version))}
        assert current == final
        logged = session.scalar(select(func.count()).select_from(MutationLog))
        assert logged == HOUSEHOLDS + PUSHERS * ROUNDS * BATCH
        texts: set[str] = set()
        for data in session.scalars(select(RecordVersion.data)):
            texts.update(str(v) for v in data.values())
        for value in session.scalars(select(ConflictRow.client_value)):
            texts.add(str(value))
    lost = [v for v in pushed_values if v not in texts]
    assert lost == []


def test_simultaneous_duplicate_deliveries_apply_once(seed, live_server_factory, database):
    """The same batch sent twice at the same moment (a retry racing the original): the client
    row lock serializes them, so both answers are the same and history holds one version."""
    seed.grid("g1")
    seed.user("wang", grids=["g1"])
    url = live_server_factory(workers=2).url
    http, client_id = sign_in(url)
    token = http.headers["Authorization"]
    for rnd in range(5):
        batch = [
            {
                "mutation_id": rnd * 4 + k + 1,
                "entity": "household",
                "id": str(uuid.uuid4()),
                "op": "upsert",
                "base_version": None,
                "data": household("g1", household_no=f"{rnd}{k:03d}"),
            }
            for k in range(4)
        ]
        body = {"client_id": client_id, "schema_version": 1, "mutations": batch}
        answers: list[Any] = [None, None]
        barrier = threading.Barrier(2)

        def send(slot: int, body: dict = body, answers: list = answers, barrier=barrier) -> None:
            barrier.wait()
            answers[slot] = requests.post(
                f"{url}/api/v1/sync/push", json=body, headers={"Authorization": token}, timeout=60
            ).json()

        threads = [threading.Thread(target=send, args=(n,)) for n in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert answers[0] == answers[1]
        assert [r["status"] for r in answers[0]["results"]] == ["applied"] * 4
    with database.read() as session:
        assert session.scalar(select(func.count()).select_from(RecordVersion)) == 20
        assert session.scalar(select(func.count()).select_from(MutationLog)) == 20
