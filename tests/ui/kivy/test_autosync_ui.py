"""Sync runs itself (issue 16): the real Kivy app under Xvfb against the real server
(gunicorn subprocess, SQLite); the worker never taps "sync". Screenshots in
test-artifacts/ui/autosync_*.png (looked at)."""

from __future__ import annotations

import pytest

from shared_schema.schemas.examples import example_visit
from tests.ui.kivy.conftest import ARTIFACTS
from tests.ui.kivy.seed import hid, vid

pytestmark = pytest.mark.ui


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_app_syncs_by_itself_and_names_a_returned_visit(
    run_scenario, tmp_path, live_server, seed
):
    from mobile_app.sync.client import SyncClient
    from tests.ui.kivy.backend import GRID, WORKER, push_grid

    seed.grid(GRID, township="t1")
    seed.user(WORKER, grids=[GRID], display_name="王网格")
    seed.user("li", role="supervisor", township="t1", display_name="李审核")
    seed.user("admin", role="admin")
    admin = seed.login(live_server, "admin")
    push_grid(live_server, admin.token, admin.client_id, 30)
    visit = example_visit(household_id=hid(1), visit_date="2024-05-20")
    answer = SyncClient(live_server, admin.token).push(
        admin.client_id,
        [
            {"mutation_id": 61, "entity": "visit", "id": vid(1), "op": "upsert",
             "base_version": None, "data": visit, "hlc": "1700000100000-0000-seed"}
        ],
    )  # fmt: skip
    assert answer["results"][0]["status"] in ("applied", "merged"), answer
    supervisor = seed.login(live_server, "li")
    phone = tmp_path / "phone"
    run_scenario(
        "autosync",
        phone,
        backend="live",
        extra_env={
            "TIANYE_UI_SERVER_URL": live_server,
            "TIANYE_UI_WORKER_PASSWORD": seed.password,
            "TIANYE_UI_SUPERVISOR_TOKEN": supervisor.token,
            "TIANYE_UI_AUTOSYNC_FAST": "1",
        },
    )
    for name in (
        "autosync_home_synced_zh",
        "autosync_home_returned_zh",
        "autosync_sync_needs_you_zh",
    ):
        assert (ARTIFACTS / f"{name}.png").exists(), name
