"""Sync that runs itself, end to end over the in-memory server (no window, no taps):
the network comes back → a sync starts; a returned visit → the sync screen names it, not
"done"; the home status shows what waits and what needs the worker; configuration over the
air (If-None-Match, config_version on pull, risk flags following the pulled thresholds)."""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="tianye-kivy-home-"))

import json
from dataclasses import replace

import pytest

from mobile_app.store import Store
from mobile_app.sync.autosync import AutoSync
from mobile_app.sync.client import Offline
from mobile_app.sync.runner import SyncRunner
from mobile_app.sync.scheduler import Policy
from mobile_app.viewmodels import GridViewModel, SyncViewModel
from mobile_app.viewmodels.visit_form import form_for, visit_form
from shared_schema.config import config_for, config_to_dict
from shared_schema.schemas.examples import example_visit
from tests.mobile_app.test_sync_fakeserver import FakeClient, FakeServer
from tests.ui.kivy.seed import NOW, hid, seed_household, vid


def inline(fn):
    fn()


SYNC = {"now": lambda: NOW, "spawn": inline, "post": inline}
P = Policy(period=900, base=30, cap=1800, jitter=0.5, probe_every=60)


class Clock:
    t = 0.0

    def __call__(self) -> float:
        return self.t


class Net:
    def __init__(self, client: FakeClient, up: bool) -> None:
        self.client, self.up = client, up

    def check(self) -> bool:
        return self.up


@pytest.fixture
def world(tmp_path):
    server = FakeServer()
    server.add_user("wang", ["g-001"])
    with Store(tmp_path / "phone.sqlite3") as store:
        store.session.save_login(
            server_url="http://fake",
            user={"id": "wang", "username": "wang", "role": "worker", "display_name": "王"},
            token="tok-wang",
            grids=["g-001"],
        )
        client = FakeClient(server, "wang")
        net = Net(client, up=False)

        def factory(on_progress):
            if not net.up:  # the phone has no network: every call fails as Offline
                client.faults[:0] = [("config", "before", Offline("no route"))] * 2 + [
                    ("push", "before", Offline("no route"))
                ] * 2
            return SyncRunner(
                store,
                client,
                now=lambda: NOW,
                on_progress=on_progress,
                sleep=lambda s: None,
                max_attempts=1,
            )

        sync_vm = SyncViewModel(store, factory, **SYNC)
        clock = Clock()
        auto = AutoSync(
            seed=store.session.client_id(),
            start_sync=sync_vm.start,
            is_running=lambda: bool(sync_vm.running),
            is_locked=lambda: False,
            connectivity=net,
            clock=clock,
            policy=P,
        )
        sync_vm.bind(finished_runs=lambda *_: auto.sync_finished(sync_vm.last_failure))
        yield server, store, client, net, sync_vm, auto, clock


def test_network_back_syncs_without_a_tap_and_a_returned_visit_is_named_not_done(world):
    server, store, client, net, sync_vm, auto, clock = world
    seed_household(store, 1, visited="2024-05-20")
    waiting = store.outbox.count()
    assert waiting > 0

    auto.notify("start")  # app start while offline: tried, failed, waits for the network
    assert sync_vm.finished_runs == 1 and sync_vm.error.startswith("没有网络")
    assert store.outbox.count() == waiting and auto.state.online is False
    client.faults.clear()

    grid = GridViewModel(store, **SYNC)
    grid.refresh()
    assert f"待上传{waiting}条" in grid.status_text and "从未" in grid.status_text

    clock.t = 60
    auto.tick()  # still no network: nothing starts
    assert sync_vm.finished_runs == 1
    net.up = True
    clock.t = 120
    auto.tick()  # the network is back: a sync runs by itself
    assert sync_vm.finished_runs == 2 and sync_vm.error == ""
    assert store.outbox.count() == 0 and server.get("visit", vid(1)) is not None
    assert sync_vm.phase_text == "同步完成" and not sync_vm.needs_attention

    # A supervisor returns the visit; the next periodic sync brings it and says so.
    server.review(vid(1), "return", "收入填写有误")
    clock.t = 120 + P.period
    auto.tick()
    assert sync_vm.finished_runs == 3
    assert sync_vm.needs_attention is True
    assert sync_vm.phase_text != "同步完成"
    assert "1户走访被退回" in sync_vm.phase_text
    assert "新冲突" not in sync_vm.phase_text  # the returned visit's notice is no conflict
    sync_vm.lang = "en"
    grid.lang = "en"
    grid.refresh()
    assert "Needs you: returned visits: 1" in grid.status_text
    assert "Waiting to upload: 0" in grid.status_text
    assert "Last sync: " in grid.status_text and "Never" not in grid.status_text


def test_a_tap_during_an_automatic_sync_does_not_start_a_second_one(world):
    _server, _store, _client, net, sync_vm, auto, _clock = world
    net.up = True
    sync_vm.running = True  # a sync is in flight (started by a tap)
    assert auto.notify("resume") is False and auto.state.wanted is True
    sync_vm.running = False
    sync_vm.finished_runs += 1  # it ends: the kept trigger starts the next one
    assert auto.started == 1


def rules(threshold: int) -> dict:
    return config_to_dict(replace(config_for(None, 2024), monitoring_threshold=threshold))


def test_configuration_over_the_air_follows_config_version_with_if_none_match(world):
    server, store, _client, net, sync_vm, _auto, _clock = world
    net.up = True
    seed_household(store, 1, visited="2024-05-20")
    server.publish_config(rules=rules(1), forms={"visit": {"rev": 1}})
    sync_vm.start()
    assert store.config.version() == 1 and store.config.etag() == '"cfg-1"'
    flags_low = store.households.count("", ["risk"], today=NOW.date())

    # Nothing new published: the pull says version 1, the phone asks no configuration.
    before = len(server.config_requests)
    sync_vm.start()
    assert len(server.config_requests) == before

    # A province raises its threshold: the next pull names version 2, the phone fetches it
    # with its ETag and the households' risk flags follow.
    server.publish_config(rules=rules(100_000), forms={"visit": {"rev": 2}})
    sync_vm.start()
    assert server.config_requests[-1] == '"cfg-1"'
    assert store.config.version() == 2 and store.config.etag() == '"cfg-2"'
    assert store.config.rules_config().monitoring_threshold == 100_000
    # both versions' forms are kept (a visit begun on version 1 is finished on it)
    assert store.config.forms_for(1) == {"visit": {"rev": 1}}
    assert store.config.forms_for(2) == store.config.forms_for(None) == {"visit": {"rev": 2}}
    assert store.config.forms_for(3) is None
    assert store.households.count("", ["risk"], today=NOW.date()) > flags_low


def test_an_older_server_without_config_version_gets_a_conditional_request(world):
    server, store, _client, net, sync_vm, _auto, _clock = world
    net.up = True
    sync_vm.start()
    sync_vm.start()
    assert store.config.get("rules") == {"visit_interval_days": {"none": 90}}
    assert server.config_requests[0] is None and len(server.config_requests) == 2


def test_the_visit_form_renders_the_newest_pulled_form_and_a_visit_keeps_its_version(world):
    from mobile_app.viewmodels import VisitFormViewModel
    from shared_schema.forms import forms_to_dict

    server, store, _client, net, sync_vm, _auto, _clock = world
    net.up = True
    seed_household(store, 1)
    v1 = forms_to_dict()
    v2 = json.loads(json.dumps(v1))
    v2["visit"]["sections"][0]["title_en"] = "Visit (2025 form)"
    server.publish_config(rules=rules(1), forms=v1)
    server.publish_config(rules=rules(1), forms=v2)
    sync_vm.start()
    assert store.config.version() == 2
    vm = VisitFormViewModel(store, **SYNC)
    vm.open_new(hid(1))
    assert vm.form.sections[0].title("en") == "Visit (2025 form)"  # the newest pulled form
    assert vm.clean_data()["form_version"] == 2  # ... and the visit says which one it was filled on
    # A visit begun on version 1 (the phone holds version 1's forms? only what it pulled):
    store.config.save({"version": 1, "forms": v1}, now=NOW)  # as pulled earlier
    store.config.save({"version": 2, "forms": v2, "rules": rules(1)}, now=NOW)
    visit = {**example_visit(household_id=hid(1), visit_date="2024-05-20"), "form_version": 1}
    assert form_for(store, visit["form_version"]).sections[0].title("en") != "Visit (2025 form)"
    assert form_for(store, 2).sections[0].title("en") == "Visit (2025 form)"
    assert form_for(store, 99).sections[0].title("en") == "Visit (2025 form)"  # not held
    # A pulled definition the phone cannot load never stops the worker: the bundled form.
    store.config.save({"version": 3, "forms": {"visit": {"sections": "broken"}}}, now=NOW)
    assert form_for(store, 3) == form_for(store, None) == visit_form()


def test_home_says_offline_while_the_server_cannot_be_reached(world):
    """Home showed the last sync and what waits, but never that the phone was offline: a
    worker could not tell "not synced yet" from "cannot sync here"."""
    _server, store, client, net, sync_vm, auto, clock = world
    seen: list[bool | None] = []
    grid = GridViewModel(store, **SYNC)

    def online_changed(online: bool | None) -> None:  # what the app does (TianyeApp)
        seen.append(online)
        grid.online = online
        grid.refresh_status()

    auto.on_online = online_changed
    grid.refresh()
    assert "离线" not in grid.status_text  # not known yet: nothing said
    auto.notify("start")  # offline: the sync fails as Offline
    assert seen == [False]
    assert grid.status_text.startswith("离线：填报都存在本机，联网后自动上传")
    grid.lang = "en"
    assert grid.status_text.startswith("Offline: what you save stays on this phone")
    client.faults.clear()
    net.up = True
    clock.t = 120
    auto.tick()  # the probe sees the server: online again, and it says so no more
    assert seen == [False, True] and sync_vm.error == ""
    assert "Offline" not in grid.status_text
