"""Issue 16 "Done when": a scripted field month (tests/ui/kivy/month.py) — the real Kivy app
under Xvfb against the real server (gunicorn; SQLite and PostgreSQL) through a loopback proxy
standing for the phone's network, the console in headless Chromium. A worker registers a
household and splits another offline, fills visits, comes back online and the app syncs by
itself; the supervisor confirms the household and returns a visit, the admin raises the
threshold; the phone shows the return and the new risk flag with no tap on "sync"; the fix goes
up by itself and is approved. Screenshots: test-artifacts/ui/month_*.png and
test-artifacts/console/month-*.png (looked at)."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from typing import Any

import pytest
import requests

from shared_schema.schemas.examples import example_member
from tests.ui.kivy.conftest import ARTIFACTS
from tests.ui.kivy.seed import hid, id_number, mid

pytestmark = pytest.mark.ui
CHROMIUM = "/usr/bin/chromium"

# household 7 before the month: the head, his wife, their married son and the son's wife
FAMILY = (
    (2, "杨秀英", "spouse", "female", date(1968, 4, 2)),
    (3, "吴新民", "child", "male", date(1994, 9, 21)),
    (4, "罗晓燕", "child_in_law", "female", date(1996, 1, 8)),
)


def seed_server(live_server: str, seed: Any) -> Any:
    """The grid's 30 households (confirmed: registered before the month), household 7's
    family, the worker, a supervisor and an admin; returns the supervisor's session."""
    from mobile_app.sync.client import SyncClient
    from sync_server.services.households import confirm_household
    from sync_server.services.principal import Principal
    from tests.ui.kivy.backend import GRID, WORKER, push_grid

    seed.grid(GRID, township="t1")
    seed.user(WORKER, grids=[GRID], display_name="王网格")
    li = seed.user("li", role="supervisor", township="t1", display_name="李审核")
    seed.user("admin", role="admin")
    admin = seed.login(live_server, "admin")
    push_grid(live_server, admin.token, admin.client_id, 30)
    family = [
        {"mutation_id": 59 + k, "entity": "member", "id": mid(7, k), "op": "upsert",
         "base_version": None, "hlc": f"{1700000200000 + k:013d}-0000-seed",
         "data": example_member(
             household_id=hid(7), name=name, relation=relation, sex=sex,
             birth_date=birth.isoformat(), id_number=id_number(7, k, birth, sex),
             phone=None, work_place=None, work_months=None, labor_ability="ordinary"),
         }
        for k, name, relation, sex, birth in FAMILY
    ]  # fmt: skip
    answer = SyncClient(live_server, admin.token).push(admin.client_id, family)
    assert all(r["status"] in ("applied", "merged") for r in answer["results"]), answer
    supervisor = Principal(
        user_id=li["id"], username="li", role="supervisor", display_name="李审核", township="t1"
    )
    for n in range(1, 31):
        confirm_household(seed.db, supervisor, hid(n), lang="zh", now=datetime.now(UTC))
    return seed.login(live_server, "li")


@pytest.mark.parametrize(
    "db_url", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_a_field_month(run_scenario: Any, tmp_path: Any, live_server: str, seed: Any) -> None:
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    supervisor = seed_server(live_server, seed)
    run_scenario(
        "month",
        tmp_path / "phone",
        backend="live",
        timeout=400,
        extra_env={
            "TIANYE_UI_SERVER_URL": live_server,
            "TIANYE_UI_WORKER_PASSWORD": seed.password,
            "TIANYE_UI_CONSOLE_PASSWORD": seed.password,
            "TIANYE_UI_SUPERVISOR_TOKEN": supervisor.token,
            "TIANYE_UI_AUTOSYNC_FAST": "1",
        },
    )
    for name in (
        "01_day0_synced_zh",
        "08_home_offline_waiting_zh",
        "10_home_returned_zh",
        "11_household_new_threshold_zh",
        "13_returned_visit_zh",
        "17_visit_approved_zh",
        "19_home_en",
    ):
        assert (ARTIFACTS / f"month_{name}.png").exists(), name
    # the server after the month: version 2 of the configuration holds the raised threshold
    config = requests.get(
        f"{live_server}/api/v1/config", headers=supervisor.headers, timeout=30
    ).json()
    assert config["version"] == 2
    assert config["rules"]["monitoring_threshold"] > 8000
