"""Issue 16 on the phone by touch under Xvfb: register a household with a provisional number
(`scenarios.household_register`, and from the grid's button in `register_by_touch`), edit a
household, split, move a member, mark merged (`register_by_touch`), and a split synced to the
real server (`register_sync`). Screenshots in test-artifacts/ui/ (looked at)."""

from __future__ import annotations

import json

import pytest

from tests.ui.kivy.conftest import ARTIFACTS
from tests.ui.kivy.family import family_changes, family_mutations
from tests.ui.kivy.seed import hid, mid, pulled_page
from tests.ui.kivy.test_app_ui import png_size, seeded_phone

pytestmark = pytest.mark.ui

SHOTS = ("household_register_form_zh", "household_register_saved_zh")
REGISTER_SHOTS = (
    "register_grid_button_zh",
    "register_grid_new_zh",
    "register_edit_unsaved_zh",
    "register_split_no_head_zh",
    "register_split_chosen_zh",
    "register_split_done_zh",
    "register_new_household_zh",
    "register_move_chosen_zh",
    "register_moved_zh",
    "register_unsaved_zh",
    "register_mark_ask_zh",
    "register_marked_zh",
    "register_household_merged_zh",
    "register_grid_left_zh",
    "register_household_en",
    "register_split_en",
    "register_mark_en",
    "register_mark_ask_en",
)


def family_phone(data_dir) -> None:
    """The seeded phone (30 pulled households) with a family of five in household 1."""
    from mobile_app.store import Store

    seeded_phone(data_dir)
    with Store(data_dir / "tianye.sqlite3") as store:
        pulled_page(store, family_changes(2000), 2003)
        assert len(store.members.for_household(hid(1))) == 5


def test_register_a_household_by_touch(run_scenario, tmp_path):
    for name in SHOTS:
        (ARTIFACTS / f"{name}.png").unlink(missing_ok=True)
    seeded_phone(tmp_path)
    run_scenario("household_register", tmp_path)
    for name in SHOTS:
        assert png_size(ARTIFACTS / f"{name}.png") == (720, 1440), name


def test_the_register_by_touch_offline(run_scenario, tmp_path):
    """Register from the grid, edit, split, move, leave with choices, mark merged, English."""
    for name in REGISTER_SHOTS:
        (ARTIFACTS / f"{name}.png").unlink(missing_ok=True)
    family_phone(tmp_path)
    run_scenario("register_by_touch", tmp_path)
    for name in REGISTER_SHOTS:
        assert png_size(ARTIFACTS / f"{name}.png") == (720, 1440), name


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_split_by_touch_reaches_the_server(run_scenario, tmp_path, live_server, seed):
    import requests

    from mobile_app.sync.client import SyncClient
    from tests.ui.kivy.backend import GRID, WORKER, push_grid

    seed.grid(GRID, township="t1")
    seed.user(WORKER, grids=[GRID], display_name="王网格")
    seed.user("li", role="supervisor", township="t1", display_name="李审核")
    seed.user("admin", role="admin")
    admin = seed.login(live_server, "admin")
    push_grid(live_server, admin.token, admin.client_id, 5)  # mutations 1..10: each with its head
    answer = SyncClient(live_server, admin.token).push(admin.client_id, family_mutations(11))
    assert all(r["status"] in ("applied", "merged") for r in answer["results"]), answer
    supervisor = seed.login(live_server, "li")
    result = tmp_path / "result.json"
    run_scenario(
        "register_sync",
        tmp_path / "phone",
        backend="live",
        extra_env={
            "TIANYE_UI_SERVER_URL": live_server,
            "TIANYE_UI_WORKER_PASSWORD": seed.password,
            "TIANYE_UI_SUPERVISOR_TOKEN": supervisor.token,
            "TIANYE_UI_RESULT": str(result),
        },
    )
    done = json.loads(result.read_text(encoding="utf-8"))
    headers = {"Authorization": f"Bearer {supervisor.token}"}

    def latest(entity: str, record_id: str) -> dict:
        got = requests.get(
            f"{live_server}/api/v1/records/{entity}/{record_id}/history",
            headers=headers,
            timeout=30,
        )
        assert got.status_code == 200, got.text
        return got.json()["versions"][-1]["data"]

    new = latest("household", done["new_household"])
    assert new["grid_id"] == GRID and new["household_no"] == f"{GRID}-P001"
    assert new["registration"] == "field_new"  # until a supervisor confirms it
    for member_id in done["moved"]:
        data = latest("member", member_id)
        assert data["household_id"] == done["new_household"], (member_id, data)
    assert latest("member", done["head"])["relation"] == "head"
    for k in (1, 2, 5):  # the head, the spouse, the father stay
        assert latest("member", mid(1, k))["household_id"] == hid(1)
    for name in ("register_sync_done_zh", "register_synced_household_zh"):
        assert png_size(ARTIFACTS / f"{name}.png") == (720, 1440), name
