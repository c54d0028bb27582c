"""Randomised multi-device runs: whatever the interleaving and dropped connections, after a
final round of syncs every phone equals the server and no saved value is lost: the last
value each device saved in each field is in the record's history or held by a conflict."""

from __future__ import annotations

import random

import pytest

from mobile_app.sync import Offline, SyncError, SyncRunner
from tests.mobile_app.test_store_fixtures import NOW, household, member, new_id, open_store
from tests.mobile_app.test_sync_fakeserver import FakeClient, FakeServer

PHONES = ("13800000001", "13800000002", "13911112222", "13733334444")
NOTES = ("", "门口有狗", "户主外出务工", "需复查")
ADDRESSES = ("一组 1 号", "二组 7 号", "三组 12 号")


@pytest.mark.parametrize("seed", range(24))
def test_random_interleavings_converge_without_loss(tmp_path, seed):
    rng = random.Random(seed)
    server = FakeServer()
    server.add_user("wang", ["g-001"])
    server.add_user("li", ["g-001"])
    devices = []
    for n, user in enumerate(("wang", "li", "wang")):
        store = open_store(tmp_path / f"d{n}.sqlite3")
        client = FakeClient(server, user)
        runner = SyncRunner(
            store,
            client,
            now=lambda: NOW,
            sleep=lambda s: None,
            random=rng.random,
            max_attempts=2,
            max_mutations=3,
            pull_limit=4,
        )
        devices.append((store, client, runner))
    # the last value each device saved in each field (earlier ones it overwrote itself)
    saved: dict[tuple[int, str, str, str], object] = {}
    households: list[str] = []
    trace: list[str] = []
    members: dict[str, str] = {}
    try:
        for _step in range(40):
            index = rng.randrange(len(devices))
            store, client, runner = devices[index]
            op = rng.random()
            local_hh = [h.id for h in store.households.list(limit=100)]
            if op < 0.15 or not local_hh:
                hid = new_id()
                data = household(household_no=f"{len(households):04d}")
                store.records.save("household", hid, data, now=NOW, hlc_node="n")
                households.append(hid)
                trace.append(f"d{index} create {hid[:4]}")
                saved.update({(index, "household", hid, f): v for f, v in data.items()})
            elif op < 0.55:
                hid = rng.choice(local_hh)
                current = dict(store.households.get(hid).data)
                field, value = rng.choice(
                    [
                        ("phone", rng.choice(PHONES)),
                        ("notes", rng.choice(NOTES)),
                        ("address", rng.choice(ADDRESSES)),
                    ]
                )
                current[field] = value
                store.records.save("household", hid, current, now=NOW, hlc_node="n")
                saved[(index, "household", hid, field)] = value
                trace.append(f"d{index} edit {hid[:4]} {field}={value}")
            elif op < 0.65:
                hid = rng.choice(local_hh)
                if not store.members.for_household(hid):
                    mid = new_id()
                    store.records.save("member", mid, member(hid), now=NOW, hlc_node="n")
                    members[mid] = hid
            elif op < 0.70:
                hid = rng.choice(local_hh)
                mine = store.members.for_household(hid)
                if mine:
                    store.records.delete("member", mine[0].id, now=NOW, hlc_node="n")
                    trace.append(f"d{index} delete member of {hid[:4]}")
            elif op < 0.73:
                hid = rng.choice(local_hh)
                store.records.delete("household", hid, now=NOW, hlc_node="n")
                trace.append(f"d{index} delete {hid[:4]}")
                # the worker's own delete supersedes their unsent edits of it
                for key in [k for k in saved if k[0] == index and k[2] == hid]:
                    del saved[key]
            elif op < 0.78:
                rec = server.get("household", rng.choice(households)) if households else None
                if rec is not None and not rec.deleted:
                    server.edit("household", rec.id, {"notes": "镇里更正"})
                    trace.append(f"console edit {rec.id[:4]}")
            else:
                if rng.random() < 0.3:
                    client.faults.append(
                        (
                            rng.choice(["push", "pull"]),
                            rng.choice(["before", "after"]),
                            Offline("dropped"),
                        )
                    )
                try:
                    result = runner.run()
                    trace.append(f"d{index} sync {result.statuses} faults={client.faults}")
                except SyncError as exc:
                    trace.append(f"d{index} sync failed {exc}")  # the next run finishes it
        for _round in range(3):
            for _store, client, runner in devices:
                client.faults.clear()
                runner.run()
        for store, _client, _runner in devices:
            assert store.outbox.count() == 0
            rows = store.db.query("SELECT entity, id FROM records")
            local = {(r["entity"], r["id"]) for r in rows}
            remote = {k for k, r in server.records.items() if not r.deleted}
            assert local == remote
            for key in remote:
                rec = store.records.get(*key)
                assert rec.data == server.records[key].data and not rec.dirty
        for (_device, entity, rid, field), value in saved.items():
            rec = server.get(entity, rid)
            if rec is None:
                # created and deleted on the same phone before any sync: nothing to keep
                continue
            in_history = any(data.get(field) == value for _v, _d, data in rec.history)
            in_conflict = any(
                c["record_id"] == rid
                and (
                    (c["field"] == field and c["client_value"] == value)
                    # an edit of a record deleted meanwhile is held whole in the conflict
                    or (c["field"] == "_deleted" and (c["client_data"] or {}).get(field) == value)
                )
                for c in server.conflicts
            )
            assert in_history or in_conflict, f"{(entity, rid[:4], field, value)}\n" + "\n".join(
                trace
            )
    finally:
        for store, _c, _r in devices:
            store.close()
