"""The real Kivy app under Xvfb, driven by touches: every screen in zh and en, and a worker's
day against a server over HTTP. Screenshots land in test-artifacts/ui/ (look at them)."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from mobile_app.store import Store, cipher
from mobile_app.store.vault import StoreVault
from tests.ui.kivy.conftest import ARTIFACTS
from tests.ui.kivy.seed import NOW, hid, pulled_page, seed_pulled_grid, server_household

pytestmark = pytest.mark.ui

SCREENS = ("signin", "grid", "household", "sync", "returned", "settings")
UNREADABLE_VISIT = "0190b000-0000-7000-8000-00000000bad1"


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG header."""
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", head[16:24])


def seeded_phone(data_dir: Path, households: int = 30) -> None:
    """A phone that synced before: households, a returned visit, a session with a PIN.

    Written as the previous app version did (plain SQLite, no key file): the app encrypts it
    at the first PIN unlock, which the scenarios then go through."""
    with Store(data_dir / "tianye.sqlite3") as store:
        seed_pulled_grid(store, households)
        pulled_page(
            store, server_household(1, 1000, review="returned", comment="请核实务工收入"), 1002
        )
        # a visit an older server accepted with a date the phone cannot compute on (issue 15):
        # parked on the pull and listed on the Returned screen
        unreadable = server_household(3, 1100)[-1] | {"id": UNREADABLE_VISIT, "version": 1103}
        unreadable["data"] = unreadable["data"] | {"visit_date": "9999-12-31"}
        pulled_page(store, [unreadable], 1103)
        store.session.save_login(
            server_url="http://127.0.0.1:9",
            user={"id": "u1", "username": "wang", "role": "worker", "display_name": "王网格"},
            token="t",
            grids=["g-001"],
        )
        store.session.set_pin("2468")
        edited = store.households.get(hid(2)).data | {"phone": "13912345678"}
        store.records.save("household", hid(2), edited, now=NOW, hlc_node="phone")


def test_every_screen_in_chinese_and_english(run_scenario, tmp_path):
    seeded_phone(tmp_path)
    run_scenario("tour", tmp_path)
    assert not cipher.is_plaintext(tmp_path / "tianye.sqlite3")  # encrypted at the first unlock
    for lang in ("zh", "en"):
        for screen in SCREENS:
            shot = ARTIFACTS / f"{screen}_{lang}.png"
            assert shot.exists(), shot
            assert png_size(shot) == (720, 1440)
        visit_shots = sorted(ARTIFACTS.glob(f"visit_*_{lang}.png"))
        member_shots = sorted(ARTIFACTS.glob(f"member_*_{lang}.png"))
        assert len(visit_shots) >= 8 and len(member_shots) >= 4


def test_two_thousand_households_scroll_through_a_recycled_list(run_scenario, tmp_path):
    seeded_phone(tmp_path, households=2000)
    run_scenario("big_grid", tmp_path)
    assert (ARTIFACTS / "grid_2000_end_zh.png").exists()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_worker_signs_in_adds_member_saves_visit_syncs_and_sees_return(
    run_scenario, tmp_path, lang
):
    """Against the in-memory protocol server on loopback HTTP (fast, no database)."""
    (tmp_path / "prefs.json").write_text(f'{{"language": "{lang}"}}', encoding="utf-8")
    run_scenario("worker", tmp_path, backend="fake")
    check_worker_outcome(tmp_path, lang)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_worker_day_against_the_real_server(run_scenario, tmp_path, live_server, seed):
    """The same day against the real Flask server (gunicorn subprocess, SQLite)."""
    from tests.ui.kivy.backend import GRID, WORKER, push_grid

    seed.grid(GRID, township="t1")
    seed.user(WORKER, grids=[GRID], display_name="王网格")
    seed.user("li", role="supervisor", township="t1", display_name="李审核")
    seed.user("admin", role="admin")
    admin = seed.login(live_server, "admin")
    push_grid(live_server, admin.token, admin.client_id, 30)
    supervisor = seed.login(live_server, "li")
    phone = tmp_path / "phone"
    run_scenario(
        "worker",
        phone,
        backend="live",
        extra_env={
            "TIANYE_UI_SERVER_URL": live_server,
            "TIANYE_UI_WORKER_PASSWORD": seed.password,
            "TIANYE_UI_SUPERVISOR_TOKEN": supervisor.token,
        },
    )
    check_worker_outcome(phone)


def check_worker_outcome(data_dir: Path, lang: str = "zh") -> None:
    for name in (
        f"worker_member_invalid_id_{lang}",
        f"worker_member_valid_id_{lang}",
        f"worker_visit_saved_{lang}",
        f"worker_sync_done_{lang}",
        f"worker_returned_{lang}",
        f"worker_returned_visit_{lang}",
    ):
        assert (ARTIFACTS / f"{name}.png").exists(), name
    vault = StoreVault(data_dir)
    assert not cipher.is_plaintext(vault.path)  # the app created it encrypted
    store = vault.unlock_with_pin("2468")
    try:
        assert store.outbox.count() == 0
        notices = [n for n in store.conflicts.list() if n.kind == "returned"]
        assert notices and notices[0].detail["comment"] == "务工收入与上次差别较大，请核实"
    finally:
        vault.lock()
