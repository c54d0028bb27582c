"""SyncRunner against the in-memory FakeServer: push/pull flows, merges, conflicts, recovery."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from mobile_app.store import Store
from mobile_app.sync import (
    AuthExpired,
    Offline,
    Progress,
    ServerBusy,
    SyncRunner,
)
from tests.mobile_app.test_store_fixtures import (
    NODE,
    NOW,
    household,
    member,
    new_id,
    open_store,
    visit,
)
from tests.mobile_app.test_sync_fakeserver import FakeClient, FakeServer


class Phone:
    """One device: a store on a real file, a fake client, a runner with a fake sleep."""

    def __init__(self, tmp_path, server: FakeServer, user: str, name: str, **runner_kw):
        self.store: Store = open_store(tmp_path / f"{name}.sqlite3")
        self.client = FakeClient(server, user)
        self.sleeps: list[float] = []
        self.progress: list[Progress] = []
        self.runner = SyncRunner(
            self.store,
            self.client,
            now=lambda: NOW,
            on_progress=self.progress.append,
            sleep=self.sleeps.append,
            random=lambda: 0.5,
            **runner_kw,
        )
        self.node = self.store.session.client_id()

    def save(self, entity, rid, data):
        return self.store.records.save(entity, rid, data, now=NOW, hlc_node=NODE)

    def sync(self):
        return self.runner.run()


@pytest.fixture
def server():
    s = FakeServer()
    s.add_user("wang", ["g-001"])
    s.add_user("li", ["g-001"])
    s.add_user("zhao", ["g-002"])
    return s


@pytest.fixture
def phones(tmp_path, server):
    made = []

    def make(user="wang", name=None, **kw):
        phone = Phone(tmp_path, server, user, name or f"p{len(made)}", **kw)
        made.append(phone)
        return phone

    yield make
    for p in made:
        p.store.close()


def test_offline_work_syncs_and_reaches_a_second_device(server, phones):
    a, b = phones(), phones("li")
    hid, mid, vid = new_id(), new_id(), new_id()
    a.save("household", hid, household())
    a.save("member", mid, member(hid))
    a.save("visit", vid, visit(hid))
    result = a.sync()
    assert result.statuses == {"applied": 3}
    assert a.store.outbox.count() == 0
    assert not a.store.households.get(hid).unsynced
    assert server.get("visit", vid).data["review_status"] == "submitted"
    b.sync()
    assert b.store.households.get(hid).data == server.get("household", hid).data
    assert [m.id for m in b.store.members.for_household(hid)] == [mid]
    assert b.store.visits.get(vid).version == server.get("visit", vid).version
    assert server.reports and server.reports[-1]["pending"] == 0
    assert server.reports[0]["hlc"].endswith(NODE)  # a's report (b has never saved)
    assert server.reports[-1]["hlc"] is None
    assert [p.phase for p in a.progress][-1] == "done"


def test_edits_of_different_fields_on_two_devices_merge(server, phones):
    a, b = phones(), phones("li")
    hid = new_id()
    a.save("household", hid, household())
    a.sync()
    b.sync()
    a.save("household", hid, household(phone="13911111111"))
    b.save("household", hid, household(address="新地址 8 号"))
    a.sync()
    result = b.sync()
    assert result.statuses == {"merged": 1}
    a.sync()
    expected = household(phone="13911111111", address="新地址 8 号")
    assert server.get("household", hid).data == expected
    assert a.store.households.get(hid).data == expected
    assert b.store.households.get(hid).data == expected
    assert not a.store.households.get(hid).dirty and not b.store.households.get(hid).dirty


def test_same_field_on_two_devices_is_a_conflict_the_worker_sees(server, phones):
    a, b = phones(), phones("li")
    hid = new_id()
    a.save("household", hid, household())
    a.sync()
    b.sync()
    a.save("household", hid, household(phone="13911111111"))
    b.save("household", hid, household(phone="13922222222"))
    a.sync()
    result = b.sync()
    assert result.statuses == {"conflict": 1}
    [conflict] = server.conflicts
    assert conflict["client_value"] == "13922222222"
    hh = b.store.households.get(hid)
    assert hh.data["phone"] == "13911111111"  # the server's provisional value
    assert hh.open_conflicts == ["phone"] and hh.has_conflict
    [notice] = b.store.conflicts.list(household_id=hid)
    assert notice.kind == "conflict" and notice.field == "phone"
    assert notice.detail["client_value"] == "13922222222"
    assert notice.detail["server_value"] == "13911111111"
    a.sync()
    assert a.store.conflicts.list(household_id=hid)[0].field == "phone"  # a sees it too
    assert b.store.households.list(filters=["conflict"])[0].id == hid
    # the supervisor picks b's value: it reaches both phones and the conflict closes
    server.resolve(conflict["id"], "13922222222")
    a.sync()
    b.sync()
    for phone in (a, b):
        hh = phone.store.households.get(hid)
        assert hh.data["phone"] == "13922222222"
        assert not hh.has_conflict
    assert b.store.conflicts.list(household_id=hid) == []


def test_pull_never_overwrites_a_pending_edit(server, phones):
    a = phones()
    hid = new_id()
    a.save("household", hid, household())
    a.sync()
    server.edit("household", hid, {"phone": "13933333333", "notes": "console"})
    a.save("household", hid, household(notes="phone edit"))
    a.runner.pull()  # pull only: the pending edit must survive
    hh = a.store.households.get(hid)
    assert hh.data["notes"] == "phone edit"
    assert hh.data["phone"] == "13933333333"
    [entry] = a.store.outbox.pending()
    assert entry.data == {"notes": "phone edit"}
    assert entry.base_version == server.get("household", hid).version
    a.sync()
    assert server.get("household", hid).data["notes"] == "phone edit"
    assert not server.conflicts  # rebased onto the pulled version: no self-conflict


def test_supervisor_return_reaches_the_phone_and_resubmission_clears_it(server, phones):
    a = phones()
    hid, vid = new_id(), new_id()
    a.save("household", hid, household())
    a.save("visit", vid, visit(hid))
    a.sync()
    server.review(vid, "return", "收入数据请核实")
    a.sync()
    [notice] = a.store.conflicts.list()
    assert notice.kind == "returned" and notice.detail["comment"] == "收入数据请核实"
    assert a.store.households.list(filters=["returned"])[0].id == hid
    assert a.store.conflicts.unseen_count() == 1
    a.store.conflicts.mark_seen(notice.key)
    assert a.store.conflicts.unseen_count() == 0
    fixed = visit(hid, income={**visit(hid)["income"], "wage": 9000})
    a.save("visit", vid, fixed | {"review_comment": "worker tried to edit this"})
    [entry] = a.store.outbox.pending()
    assert entry.data == {"review_status": "submitted", "income": {"wage": 9000}}
    assert a.store.visits.get(vid).data["review_comment"] == "收入数据请核实"
    a.sync()
    assert server.get("visit", vid).data["review_status"] == "submitted"
    assert a.store.conflicts.list() == []


def test_rejected_mutation_is_kept_and_does_not_block_others(server, phones):
    server.validator = lambda e, d: (
        {"phone": ["号码无效"]} if d.get("phone") == "13000000000" else {}
    )
    a = phones()
    bad, good = new_id(), new_id()
    a.save("household", bad, household(phone="13000000000", household_no="0002"))
    a.save("household", good, household())
    result = a.sync()
    assert result.statuses == {"rejected": 1, "applied": 1}
    [rej] = a.store.rejected.list()
    assert rej.record_id == bad and rej.errors == {"phone": ["号码无效"]}
    assert server.get("household", good) is not None
    assert a.store.households.get(bad).unsynced  # the worker's typing is still there
    # fixing and saving sends it again as a new mutation
    a.save("household", bad, household(phone="13800000009", household_no="0002"))
    a.store.rejected.dismiss(rej.mutation_id)
    a.sync()
    assert server.get("household", bad).data["phone"] == "13800000009"
    assert not a.store.households.get(bad).unsynced


def test_out_of_scope_edits_are_parked_and_the_rest_renumbered(server, phones, tmp_path):
    a = phones()
    inside, outside = new_id(), new_id()
    a.save("household", outside, household(grid_id="g-002"))
    a.save("household", inside, household())
    result = a.sync()
    assert result.parked == 1 and result.statuses == {"applied": 1}
    assert server.clients[a.node]["last"] == 1  # the parked id was reused by the next one
    [parked] = a.store.parked.list()
    assert parked.record_id == outside and "g-002" in parked.reason
    assert a.store.records.get("household", outside) is None
    out = tmp_path / "parked.json"
    assert a.store.parked.export(out) == 1
    assert "g-002" in out.read_text(encoding="utf-8")


def test_gap_409_resends_from_the_servers_last_id(server, phones):
    a = phones()
    hid = new_id()
    a.save("household", hid, household())
    # a store whose counter ran ahead of the server (e.g. restored from a backup)
    with a.store.db.transaction() as conn:
        conn.execute("INSERT OR REPLACE INTO sync_state VALUES ('next_mutation_id', '7')")
    a.sync()
    assert server.get("household", hid) is not None
    assert server.clients[a.node]["last"] == 1
    assert a.store.sync_state.get().last_mutation_id == 1


def test_lost_push_response_is_resent_with_the_same_ids_and_applied_once(server, phones):
    a = phones()
    ids = [new_id() for _ in range(3)]
    for n, hid in enumerate(ids):
        a.save("household", hid, household(household_no=f"{n:04d}"))
    a.client.faults.append(("push", "after", Offline("connection reset")))
    a.sync()
    pushes = [payload for method, payload in a.client.calls if method == "push"]
    assert len(pushes) == 2
    assert [m["mutation_id"] for m in pushes[0]] == [m["mutation_id"] for m in pushes[1]]
    assert pushes[0] == pushes[1]
    assert server.applied_mutations == [(a.node, 1), (a.node, 2), (a.node, 3)]
    assert a.sleeps == [0.5]  # one retry: full jitter of base_delay 1 s with random()=0.5


def test_edit_while_a_push_is_in_flight_is_rebased_after_the_ack(server, phones):
    a = phones()
    hid = new_id()
    a.save("household", hid, household())
    a.sync()

    def edit_during_push():
        a.save("household", hid, household(phone="13955555555", notes="第二次"))

    a.save("household", hid, household(notes="第一次"))
    original_push = a.client.push

    def push_and_edit(client_id, mutations):
        answer = original_push(client_id, mutations)
        if len(server.applied_mutations) == 2:
            edit_during_push()
        return answer

    a.client.push = push_and_edit
    a.sync()
    assert server.get("household", hid).data["notes"] == "第二次"
    assert server.get("household", hid).data["phone"] == "13955555555"
    assert not server.conflicts
    assert a.store.outbox.count() == 0


def test_batches_respect_the_mutation_limit(server, phones):
    a = phones(max_mutations=2)
    for n in range(5):
        a.save("household", new_id(), household(household_no=f"{n:04d}"))
    a.sync()
    sizes = [len(p) for m, p in a.client.calls if m == "push"]
    assert sizes == [2, 2, 1]
    assert server.clients[a.node]["last"] == 5


def test_batches_respect_the_byte_limit(server, phones):
    a = phones(max_push_bytes=1500)
    for n in range(4):
        a.save("household", new_id(), household(household_no=f"{n:04d}", notes="备注" * 100))
    a.sync()
    sizes = [len(p) for m, p in a.client.calls if m == "push"]
    assert len(sizes) > 1 and sum(sizes) == 4


def test_pull_pages_and_removed_records_leave_the_phone(server, phones):
    a = phones(pull_limit=3)
    w = phones("li", name="writer")
    ids = [new_id() for _ in range(7)]
    for n, hid in enumerate(ids):
        w.save("household", hid, household(household_no=f"{n:04d}"))
    w.sync()
    a.sync()
    pulls = [c for c in a.client.calls if c[0] == "pull"]
    assert len(pulls) == 3
    assert a.store.households.count() == 7
    # the grid moves to zhao: wang's phone drops the records; its pending edit is parked
    a.save("household", ids[0], household(household_no="0000", notes="未同步的修改"))
    server.reassign("g-001", "wang", "zhao")
    a.runner.pull()
    assert a.store.households.count() == 0
    [parked] = a.store.parked.list()
    assert parked.data == {"notes": "未同步的修改"}
    assert a.store.outbox.count() == 0


def test_tombstones_delete_locally(server, phones):
    a, b = phones(), phones("li")
    hid, mid = new_id(), new_id()
    a.save("household", hid, household())
    a.save("member", mid, member(hid))
    a.sync()
    b.sync()
    b.store.records.delete("member", mid, now=NOW, hlc_node=NODE)
    b.sync()
    assert server.get("member", mid).deleted
    a.sync()
    assert a.store.members.for_household(hid) == []
    assert b.store.records.get("member", mid) is None  # acknowledged delete: row purged


def test_backoff_grows_exponentially_with_jitter_and_gives_up(server, phones):
    a = phones(max_attempts=4, base_delay=2.0, max_delay=5.0)
    a.runner.random = lambda: 1.0
    a.save("household", new_id(), household())
    a.client.faults += [("config", "before", Offline("no route"))] * 4
    with pytest.raises(Offline):
        a.sync()
    assert a.sleeps == [2.0, 4.0, 5.0]  # capped at max_delay
    assert a.store.sync_state.get().last_error == "no route"
    assert a.store.outbox.count() == 1
    # the next attempt succeeds and clears the error
    a.sync()
    assert a.store.sync_state.get().last_error is None
    assert a.store.outbox.count() == 0


def test_retry_after_is_honoured_and_auth_errors_are_not_retried(server, phones):
    a = phones()
    a.runner.random = lambda: 0.0
    a.client.faults.append(("config", "before", ServerBusy(429, "slow down", retry_after=3.0)))
    a.sync()
    assert a.sleeps == [3.0]
    a.client.faults.append(("config", "before", AuthExpired("revoked")))
    with pytest.raises(AuthExpired):
        a.sync()
    assert a.sleeps == [3.0]


def test_background_run_reports_progress_from_its_own_thread(server, phones):
    threads = set()
    a = phones()
    a.runner.on_progress = lambda p: threads.add(threading.current_thread().name)
    for n in range(3):
        a.save("household", new_id(), household(household_no=f"{n:04d}"))
    handle = a.runner.start_background()
    assert handle.join(timeout=30)
    assert handle.error is None and handle.result.statuses == {"applied": 3}
    assert threads == {"tianye-sync"}


def test_cancel_stops_between_steps(server, phones):
    a = phones()
    a.save("household", new_id(), household())
    a.runner.on_progress = lambda p: a.runner.cancel() if p.phase == "push" else None
    from mobile_app.sync import SyncCancelled

    with pytest.raises(SyncCancelled):
        a.sync()
    assert a.store.outbox.count() == 1


def test_next_visit_due_uses_the_monitor_category(server, phones):
    a = phones()
    hid = new_id()
    a.save("household", hid, household(monitor_category="marginal"))
    a.save("visit", new_id(), visit(hid, visit_date="2026-02-01"))
    assert a.store.households.get(hid).next_visit_due == "2026-03-03"
    today = (NOW + timedelta(days=3)).date()  # due 03-03, now 03-04
    assert a.store.households.list(filters=["overdue"], today=today)[0].id == hid
    assert a.store.households.list(filters=["overdue"], today=NOW.date()) == []
    assert a.store.households.list(filters=["due"], today=NOW.date())[0].id == hid


def test_413_halves_the_batch_and_keeps_ids_consecutive(server, phones):
    from mobile_app.sync import TooLarge

    a = phones()
    for n in range(5):
        a.save("household", new_id(), household(household_no=f"{n:04d}"))
    original = a.client.push

    def picky_push(client_id, mutations):
        if len(mutations) > 2:
            a.client.calls.append(("push-413", len(mutations)))
            raise TooLarge(413, "too large")
        return original(client_id, mutations)

    a.client.push = picky_push
    a.sync()
    assert server.clients[a.node]["last"] == 5
    assert server.applied_mutations == [(a.node, n) for n in range(1, 6)]
    assert a.store.outbox.count() == 0


def test_delete_against_a_concurrent_edit_comes_back_as_a_conflict(server, phones):
    a, b = phones(), phones("li")
    hid, mid = new_id(), new_id()
    a.save("household", hid, household())
    a.save("member", mid, member(hid))
    a.sync()
    b.sync()
    b.save("member", mid, member(hid, phone="13712345678"))
    b.sync()
    a.store.records.delete("member", mid, now=NOW, hlc_node=NODE)
    result = a.sync()
    assert result.statuses == {"conflict": 1}
    assert not server.get("member", mid).deleted
    kept = a.store.members.get(mid)
    assert kept is not None and kept.data["phone"] == "13712345678"
    assert any(n.kind == "conflict" for n in a.store.conflicts.list())


def test_discarding_a_rejected_edit_restores_the_server_values(server, phones):
    a = phones()
    hid = new_id()
    a.save("household", hid, household())
    a.sync()
    server.validator = lambda e, d: {"notes": ["不可接受"]} if d.get("notes") == "坏" else {}
    a.save("household", hid, household(notes="坏", phone="13811112222"))
    assert a.sync().statuses == {"rejected": 1}
    [rej] = a.store.rejected.list()
    assert a.store.households.get(hid).unsynced
    a.store.rejected.discard(rej.mutation_id, now=NOW)
    hh = a.store.households.get(hid)
    assert hh.data == household() and not hh.unsynced and not hh.dirty
    assert a.store.rejected.list() == [] and a.store.outbox.count() == 0
    # a rejected create is removed locally when discarded
    bad = new_id()
    a.save("household", bad, household(notes="坏", household_no="0002"))
    a.sync()
    [rej] = a.store.rejected.list()
    a.store.rejected.discard(rej.mutation_id, now=NOW)
    assert a.store.records.get("household", bad) is None
    with pytest.raises(LookupError):
        a.store.rejected.discard(999, now=NOW)


def test_a_pull_that_never_advances_stops_with_an_error(server, phones):
    from mobile_app.sync import SyncError

    a = phones()
    a.client.pull = lambda cursor, limit=500: {
        "changes": [],
        "cursor": cursor,
        "has_more": True,
        "last_mutation_id": 0,
    }
    with pytest.raises(SyncError, match="no progress"):
        a.runner.pull()


def test_deleting_a_record_whose_create_is_in_flight_and_rejected_leaves_nothing(server, phones):
    server.validator = lambda e, d: {"notes": ["不可接受"]} if d.get("notes") == "坏" else {}
    a = phones()
    hid = new_id()
    a.save("household", hid, household(notes="坏"))
    original = a.client.push

    def push_then_delete(client_id, mutations):
        answer = original(client_id, mutations)
        if a.store.records.get("household", hid) is not None:
            a.store.records.delete("household", hid, now=NOW, hlc_node=NODE)
        return answer

    a.client.push = push_then_delete
    assert a.sync().statuses == {"rejected": 1}
    assert a.store.db.query_one("SELECT count(*) FROM records")[0] == 0
    assert a.store.outbox.count() == 0
    assert a.store.rejected.list() == []  # nothing left for the worker to fix
