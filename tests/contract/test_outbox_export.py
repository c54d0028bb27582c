"""A phone that never gets signal again: its outbox goes to a file, the server imports it.

Real parts only: the app's `Store` on a SQLite file signed in to a live `serve` process
(SQLite and PostgreSQL), `export_outbox`, and `python -m sync_server import-outbox` as a
subprocess on the server's database. The import goes through the push service, so merges,
conflict rows and the exactly-once log behave as in a real sync.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import func, select

from mobile_app.store import Store
from mobile_app.store.export import canonical_bytes, export_outbox
from mobile_app.sync import SyncClient, SyncRunner
from sync_server.backup.outbox import canonical_bytes as server_canonical_bytes
from sync_server.models import ConflictRow, MutationLog, RecordVersion
from sync_server.services.admin import assign_grid
from tests.conftest import ROOT
from tests.mobile_app.test_store_fixtures import household, member, new_id, visit

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


class Phone:
    """A signed-in phone with its own store file (sync only when the test says so)."""

    def __init__(self, path: Path, url: str, username: str, password: str) -> None:
        self.store = Store(path)
        self.client = SyncClient()
        answer = self.client.login(
            url, username, password, self.store.session.client_id(), f"{username} 的手机"
        )
        self.store.session.save_login(
            server_url=url, user=answer["user"], token=answer["token"], grids=answer["grids"]
        )
        self.runner = SyncRunner(
            self.store, self.client, now=lambda: NOW, sleep=lambda _s: None, random=lambda: 0.0
        )

    def save(self, entity: str, rid: str, data: dict[str, Any]) -> None:
        self.store.records.save(entity, rid, data, now=NOW, hlc_node=self.store.session.client_id())

    def close(self) -> None:
        self.store.close()
        self.client.session.close()


def import_outbox(url: str, path: Path, username: str) -> tuple[int, dict[str, Any], str]:
    """Run the admin command; returns (exit code, JSON report or {}, stderr)."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "sync_server",
            "--database-url",
            url,
            "import-outbox",
            "--file",
            str(path),
            "--as-user",
            username,
            "--lang",
            "en",
        ],
        cwd=ROOT,
        env=os.environ | {"PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    report = json.loads(done.stdout) if done.stdout.strip() else {}
    return done.returncode, report, done.stderr


def server_counts(database: Any) -> tuple[int, int, int]:
    """(mutation log rows, history versions, conflict rows) on the server."""
    with database.read() as s:
        return (
            s.scalar(select(func.count()).select_from(MutationLog)),
            s.scalar(select(func.count()).select_from(RecordVersion)),
            s.scalar(select(func.count()).select_from(ConflictRow)),
        )


@pytest.fixture
def world(live_server, seed, tmp_path):
    seed.grid("g-001", township="t1")
    seed.grid("g-002", township="t1")
    seed.user("wang", grids=["g-001"])
    seed.user("zhao", grids=["g-002"])
    phones: list[Phone] = []

    def phone(username: str) -> Phone:
        p = Phone(
            tmp_path / f"{username}-{len(phones)}.sqlite3", live_server, username, "pass-word-1"
        )
        phones.append(p)
        return p

    yield live_server, phone
    for p in phones:
        p.close()


def test_exported_outbox_is_imported_once_and_reaches_a_second_phone(
    world, db_url, database, tmp_path
):
    _url, phone = world
    a, b = phone("wang"), phone("wang")
    hid, mid = new_id(), new_id()
    a.save("household", hid, household())
    a.save("member", mid, member(hid))
    a.save("household", new_id(), household(grid_id="g-002", household_no="0009"))  # not his
    first = a.runner.run()
    assert first.statuses == {"applied": 2} and first.parked == 1
    b.runner.run()
    # A loses signal for good and keeps working; B edits the same field and syncs.
    a.save("household", hid, household(phone="13911111111", notes="甲离线修改"))
    new_hid, vid = new_id(), new_id()
    a.save("household", new_hid, household(household_no="0002", head_name="李四"))
    a.save("visit", vid, visit(new_hid))
    b.save("household", hid, household(phone="13922222222"))
    b.runner.run()

    out = tmp_path / "usb" / "wang-outbox.json"
    summary = export_outbox(a.store, out, now=NOW)
    assert (summary.mutations, summary.first_mutation_id, summary.last_mutation_id) == (3, 3, 5)
    assert summary.parked == 1 and summary.rejected == 0
    assert out.stat().st_mode & 0o777 == 0o600
    document = json.loads(out.read_text(encoding="utf-8"))
    payload = document["payload"]
    assert document["sha256"] == hashlib.sha256(canonical_bytes(payload)).hexdigest()
    assert canonical_bytes(payload) == server_canonical_bytes(payload)
    assert payload["client_id"] == a.store.session.client_id() and payload["username"] == "wang"
    assert [m["mutation_id"] for m in payload["mutations"]] == [3, 4, 5]
    assert payload["mutations"][0]["base_version"] is not None  # the edit's base travels along
    assert all(m["hlc"] for m in payload["mutations"])
    assert payload["parked"][0]["reason"] and payload["parked"][0]["data"]["grid_id"] == "g-002"
    # the ids are frozen on the phone: what the file holds is what a late sync would send
    assert [e.mutation_id for e in a.store.outbox.pending()] == [3, 4, 5]

    code, report, err = import_outbox(db_url, out, "wang")
    assert code == 0, err
    assert report["applied"] == {"conflict": 1, "applied": 2}
    assert report["replayed"] == 0 and report["last_mutation_id"] == 5
    assert report["parked_in_file"] == 1 and len(report["conflicts"]) == 1
    counts = server_counts(database)

    # the same file again: nothing new
    code, again, err = import_outbox(db_url, out, "wang")
    assert code == 0, err
    assert again["replayed"] == 3 and again["applied"] == {} and again["conflicts"] == []
    assert server_counts(database) == counts

    # B pulls A's edits; the phone number clash is a conflict row, nothing lost
    b.runner.run()
    assert b.store.households.get(new_hid).data["head_name"] == "李四"
    assert b.store.visits.get(vid) is not None
    row = b.store.households.get(hid)
    assert row.data["notes"] == "甲离线修改" and row.data["phone"] == "13922222222"
    with database.read() as s:
        [conflict] = s.scalars(select(ConflictRow)).all()
    assert (conflict.field, conflict.client_value, conflict.server_value) == (
        "phone",
        "13911111111",
        "13922222222",
    )
    assert (conflict.client_id, conflict.mutation_id) == (a.store.session.client_id(), 3)
    assert conflict.status == "open"

    # if A's signal comes back after all, its late sync is answered from the log
    late = a.runner.run()
    assert late.pending == 0
    assert server_counts(database) == counts


def test_overlapping_ids_replay_and_a_stopped_import_resumes(world, db_url, database, tmp_path):
    url, phone = world
    a = phone("wang")
    hids = [new_id() for _ in range(3)]
    for n, hid in enumerate(hids):
        a.save("household", hid, household(household_no=f"000{n}"))
    out = tmp_path / "outbox.json"
    export_outbox(a.store, out, now=NOW)
    mutations = json.loads(out.read_text(encoding="utf-8"))["payload"]["mutations"]
    # the first mutation had reached the server before the phone died
    r = requests.post(
        f"{url}/api/v1/sync/push",
        json={
            "client_id": a.store.session.client_id(),
            "schema_version": 1,
            "mutations": mutations[:1],
        },
        headers={"Authorization": f"Bearer {a.store.session.get().token}"},
        timeout=30,
    )
    assert r.status_code == 200 and r.json()["results"][0]["status"] == "applied"
    # meanwhile the grid moved to another worker: the import stops and writes nothing more
    assign_grid(database, grid_id="g-001", username="zhao", now=NOW)
    before = server_counts(database)
    code, report, _err = import_outbox(db_url, out, "wang")
    assert code == 1 and report["stopped"] == "out_of_scope_batch"
    assert server_counts(database) == before
    # moved back, the same file imports: the overlap replays, the rest applies once
    assign_grid(database, grid_id="g-001", username="wang", now=NOW)
    code, report, err = import_outbox(db_url, out, "wang")
    assert code == 0, err
    assert report["replayed"] == 1 and report["applied"] == {"applied": 2}
    with database.read() as s:
        logged = s.scalars(
            select(MutationLog.mutation_id).where(
                MutationLog.client_id == a.store.session.client_id()
            )
        ).all()
    assert sorted(logged) == [1, 2, 3]


def test_damaged_or_foreign_files_are_refused_and_change_nothing(world, db_url, database, tmp_path):
    _url, phone = world
    a = phone("wang")
    a.save("household", new_id(), household())
    out = tmp_path / "outbox.json"
    export_outbox(a.store, out, now=NOW)
    text = out.read_text(encoding="utf-8")
    before = server_counts(database)

    truncated = tmp_path / "truncated.json"
    truncated.write_bytes(out.read_bytes()[: len(text) // 2])
    altered = tmp_path / "altered.json"
    altered.write_text(text.replace('"0001"', '"0002"'), encoding="utf-8")
    assert altered.read_text(encoding="utf-8") != text
    not_ours = tmp_path / "other.json"
    not_ours.write_text('{"hello": 1}', encoding="utf-8")
    cases = [
        (truncated, "wang", "truncated"),
        (altered, "wang", "checksum mismatch"),
        (not_ours, "wang", "not a Tianye outbox"),
        (out, "zhao", "exported by 'wang'"),
        (tmp_path / "missing.json", "wang", "cannot read"),
    ]
    for path, user, reason in cases:
        code, report, err = import_outbox(db_url, path, user)
        assert code == 1 and report == {} and reason in err, (path, err)
    assert server_counts(database) == before
    code, report, err = import_outbox(db_url, out, "wang")
    assert code == 0 and report["applied"] == {"applied": 1}, err


def test_export_keeps_in_flight_ids_and_lists_rejected_edits(world, db_url, database, tmp_path):
    from mobile_app.store.reconcile.push import prepare_batch

    _url, phone = world
    a = phone("wang")
    a.store.records.validator = lambda *_args, **_kw: {}  # let a bad record reach the server
    bad = new_id()
    a.save("household", bad, household(household_type="not-a-code"))
    assert a.runner.run().statuses == {"rejected": 1}
    assert [r.record_id for r in a.store.rejected.list()] == [bad]
    # a batch numbered for a push whose answer never came, then one more edit
    first, second = new_id(), new_id()
    a.save("household", first, household(household_no="0101"))
    [in_flight] = prepare_batch(a.store.db, max_mutations=10, max_bytes=1 << 20)
    a.save("household", second, household(household_no="0102"))
    out = tmp_path / "outbox.json"
    summary = export_outbox(a.store, out, now=NOW)
    payload = json.loads(out.read_text(encoding="utf-8"))["payload"]
    assert [m["id"] for m in payload["mutations"]] == [first, second]
    assert [m["mutation_id"] for m in payload["mutations"]] == [
        in_flight.mutation_id,
        in_flight.mutation_id + 1,
    ]
    assert (summary.rejected, summary.parked) == (1, 0)
    [rejected] = payload["rejected"]
    assert rejected["id"] == bad and "household_type" in json.dumps(rejected["errors"])
    code, report, err = import_outbox(db_url, out, "wang")
    assert code == 0, err
    assert report["applied"] == {"applied": 2} and report["rejected_in_file"] == 1
    with database.read() as s:
        stored = set(s.scalars(select(RecordVersion.record_id)))
    assert {first, second} <= stored and bad not in stored


def test_an_empty_outbox_exports_and_imports_nothing(world, db_url, database, tmp_path):
    _url, phone = world
    a = phone("wang")
    out = tmp_path / "empty.json"
    summary = export_outbox(a.store, out, now=NOW)
    assert (summary.mutations, summary.first_mutation_id) == (0, None)
    before = server_counts(database)
    code, report, err = import_outbox(db_url, out, "wang")
    assert code == 0, err
    assert report["mutations"] == 0 and report["applied"] == {}
    assert server_counts(database) == before
