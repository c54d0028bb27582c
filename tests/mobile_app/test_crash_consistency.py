"""Kill the app (os._exit in a child process) at every named point; reopen; sync; converge.

The child runs the real SyncRunner and SyncClient against a FakeServer served over loopback
HTTP by this process, with `mobile_app.store.crashpoints.hook` set to exit at one point. The
parent then reopens the same SQLite file, runs sync to completion and checks that every edit
made on the phone is on the server exactly once and the phone matches the server.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mobile_app.store import Store
from mobile_app.store.crashpoints import POINTS
from mobile_app.sync import SyncClient, SyncRunner
from tests.mobile_app.test_store_fixtures import (
    NODE,
    NOW,
    household,
    member,
    new_id,
    open_store,
    visit,
)
from tests.mobile_app.test_sync_fakeserver import FakeClient, FakeHttpServer, FakeServer

ROOT = Path(__file__).resolve().parents[2]
CRASH_EXIT = 77

CHILD = textwrap.dedent(
    """
    import os, sys
    from mobile_app.store import crashpoints
    from mobile_app.sync import SyncClient, SyncRunner
    from tests.mobile_app.test_store_fixtures import household, open_store, NOW, NODE

    db_path, url, token, point, action = sys.argv[1:6]

    def hook(name):
        if name == point:
            os._exit(CRASH_EXIT)

    crashpoints.hook = hook
    store = open_store(db_path)
    if action == "save":
        hid = sys.argv[6]
        store.records.save("household", hid, household(notes="crash me"), now=NOW, hlc_node=NODE)
    else:
        runner = SyncRunner(store, SyncClient(url, token), now=lambda: NOW, pull_limit=2,
                            sleep=lambda s: None)
        runner.run()
    os._exit(0)
    """
).replace("CRASH_EXIT", str(CRASH_EXIT))


def run_child(*args: str) -> int:
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if proc.returncode not in (0, CRASH_EXIT):
        raise AssertionError(proc.stderr)
    return proc.returncode


@pytest.fixture
def world(tmp_path):
    """A server with shared history and a phone holding unsynced offline work."""
    server = FakeServer()
    token = server.add_user("wang", ["g-001"])
    server.add_user("li", ["g-001"])
    path = tmp_path / "phone.sqlite3"
    ids = {"h1": new_id(), "h2": new_id(), "m2": new_id(), "v2": new_id(), "h3": new_id()}
    with open_store(path) as phone:
        runner = SyncRunner(phone, FakeClient(server, "wang"), now=lambda: NOW)
        phone.records.save("household", ids["h1"], household(), now=NOW, hlc_node=NODE)
        runner.run()
        # another device works meanwhile (pulled by the phone later, in several pages)
        with open_store(tmp_path / "other.sqlite3") as other:
            other_runner = SyncRunner(other, FakeClient(server, "li"), now=lambda: NOW)
            other_runner.run()
            other.records.save(
                "household", ids["h1"], household(address="对方修改的地址"), now=NOW, hlc_node="o"
            )
            for n in range(3):
                other.records.save(
                    "household",
                    new_id(),
                    household(household_no=f"9{n:03d}"),
                    now=NOW,
                    hlc_node="o",
                )
            other_runner.run()
        # offline work on the phone
        phone.records.save(
            "household", ids["h1"], household(phone="13912345678"), now=NOW, hlc_node=NODE
        )
        phone.records.save(
            "household", ids["h2"], household(household_no="0002"), now=NOW, hlc_node=NODE
        )
        phone.records.save("member", ids["m2"], member(ids["h2"]), now=NOW, hlc_node=NODE)
        phone.records.save("visit", ids["v2"], visit(ids["h2"]), now=NOW, hlc_node=NODE)
    with FakeHttpServer(server) as http:
        yield server, http, token, path, ids


def converge_and_check(server: FakeServer, url: str, token: str, path: Path, ids: dict) -> None:
    with Store(path) as phone:
        SyncRunner(phone, SyncClient(url, token), now=lambda: NOW, pull_limit=2).run()
        assert phone.outbox.count() == 0
        # every offline edit is on the server
        assert server.get("household", ids["h1"]).data["phone"] == "13912345678"
        assert server.get("household", ids["h1"]).data["address"] == "对方修改的地址"
        for key in ("h2", "m2", "v2"):
            assert server.get(*_entity(key), ids[key]) is not None
        # exactly once: each created record has one history entry
        assert len(server.get("household", ids["h2"]).history) == 1
        assert len(server.get("visit", ids["v2"]).history) == 1
        applied = [mid for cid, mid in server.applied_mutations if cid == phone.session.client_id()]
        assert applied == sorted(set(applied))
        # the phone matches the server, record for record
        rows = phone.db.query("SELECT entity, id FROM records WHERE deleted=0")
        local = {(r["entity"], r["id"]): phone.records.get(r["entity"], r["id"]) for r in rows}
        remote = {k: r for k, r in server.records.items() if not r.deleted}
        assert set(local) == set(remote)
        for key, rec in local.items():
            assert rec.data == remote[key].data, key
            assert rec.version == remote[key].version and not rec.dirty
        assert phone.sync_state.get().cursor == server.version
        assert not server.conflicts


def _entity(key: str) -> tuple[str]:
    return ({"h": "household", "m": "member", "v": "visit"}[key[0]],)


SYNC_POINTS = [p for p in POINTS if p.startswith(("push.", "pull."))]


@pytest.mark.parametrize("point", SYNC_POINTS)
def test_killed_during_sync_at_each_point_converges_without_loss(world, point):
    server, http, token, path, ids = world
    assert run_child(str(path), http.url, token, point, "sync") == CRASH_EXIT
    converge_and_check(server, http.url, token, path, ids)


def test_killed_mid_save_keeps_the_old_state_and_no_orphan_mutation(world):
    server, http, token, path, ids = world
    with Store(path) as phone:
        before = phone.outbox.pending()
        old = phone.records.get("household", ids["h1"]).data
    code = run_child(str(path), http.url, token, "save.before_outbox", "save", ids["h1"])
    assert code == CRASH_EXIT
    with Store(path) as phone:
        assert phone.records.get("household", ids["h1"]).data == old
        assert phone.outbox.pending() == before
    converge_and_check(server, http.url, token, path, ids)


def test_killed_twice_in_a_row_still_converges(world):
    server, http, token, path, ids = world
    assert run_child(str(path), http.url, token, "push.sent", "sync") == CRASH_EXIT
    assert run_child(str(path), http.url, token, "pull.before_cursor", "sync") == CRASH_EXIT
    converge_and_check(server, http.url, token, path, ids)
