"""A push whose connection drops at any byte (request or response) converges exactly once.

The phone runs the real SyncRunner and SyncClient through `CuttingProxy`; the server here is
the loopback FakeServer (tests/mobile_app/test_sync_fakeserver.py), and the same scenario
runs against the real server in test_sync_contract.py.
"""

from __future__ import annotations

import gzip
import json

import pytest

from mobile_app.store import Store
from mobile_app.sync import SyncClient, SyncRunner
from tests.contract.proxy import Cut, CuttingProxy
from tests.mobile_app.test_store_fixtures import NODE, NOW, household, member, new_id
from tests.mobile_app.test_sync_fakeserver import FakeHttpServer, FakeServer


def push_request_size(mutations: list[dict]) -> int:
    """Rough size of the push request on the wire (headers + gzipped body)."""
    body = json.dumps({"client_id": "x" * 36, "schema_version": 1, "mutations": mutations})
    return 300 + len(gzip.compress(body.encode()))


@pytest.fixture
def rig(tmp_path):
    server = FakeServer()
    token = server.add_user("wang", ["g-001"])
    with FakeHttpServer(server) as http:
        host, port = http.httpd.server_address[:2]
        with CuttingProxy(host, port) as proxy:
            yield server, token, proxy, tmp_path


@pytest.mark.parametrize(
    "cut",
    [
        Cut("up", 0),
        Cut("up", 40),
        Cut("up", 250),
        Cut("up", 600),
        Cut("down", 0),
        Cut("down", 20),
        Cut("down", 200),
        Cut("down", 120),
    ],
    ids=lambda c: f"{c.direction}-{c.after}",
)
def test_cut_push_converges_exactly_once(rig, cut):
    server, token, proxy, tmp_path = rig
    with Store(tmp_path / "phone.sqlite3") as phone:
        ids = [new_id() for _ in range(3)]
        for n, hid in enumerate(ids):
            phone.records.save(
                "household", hid, household(household_no=f"{n:04d}"), now=NOW, hlc_node=NODE
            )
            phone.records.save("member", new_id(), member(hid), now=NOW, hlc_node=NODE)
        sleeps: list[float] = []
        proxy.cuts.append(cut)
        runner = SyncRunner(
            phone,
            SyncClient(proxy.url, token),
            now=lambda: NOW,
            sleep=sleeps.append,
            random=lambda: 0.0,
        )
        result = runner.run()
        assert proxy.cuts_done == 1 and len(sleeps) == 1  # one drop, one retry
        client_id = phone.session.client_id()
        applied = [mid for cid, mid in server.applied_mutations if cid == client_id]
        assert applied == list(range(1, 7))  # each mutation applied exactly once
        assert all(len(server.get("household", hid).history) == 1 for hid in ids)
        assert phone.outbox.count() == 0 and result.pending == 0
        assert {h.id for h in phone.households.list()} == set(ids)
        assert not any(h.unsynced for h in phone.households.list())


@pytest.mark.parametrize("after", [0, 30, 150, 300])
def test_cut_pull_resumes_from_the_saved_cursor(rig, after):
    server, token, proxy, tmp_path = rig
    # the server already holds another phone's work, pulled here in pages of two
    for n in range(6):
        hid = new_id()
        server.push(
            "wang",
            "other-phone",
            [
                {
                    "mutation_id": n + 1,
                    "entity": "household",
                    "id": hid,
                    "op": "upsert",
                    "base_version": None,
                    "data": household(household_no=f"{n:04d}"),
                    "hlc": "x",
                }
            ],
        )
    with Store(tmp_path / "reader.sqlite3") as phone:
        sleeps: list[float] = []
        proxy.cuts.append(Cut("down", after, marker=b"GET /api/v1/sync/pull"))
        runner = SyncRunner(
            phone,
            SyncClient(proxy.url, token),
            now=lambda: NOW,
            sleep=sleeps.append,
            random=lambda: 0.0,
            pull_limit=2,
        )
        runner.run()
        assert proxy.cuts_done == 1 and len(sleeps) == 1
        assert phone.households.count() == 6
        assert phone.sync_state.get().cursor == server.version
