"""Issue 14's phone side, the rest, by touch under Xvfb against the real server (gunicorn;
SQLite and PostgreSQL): the "photos on Wi-Fi only" setting; another phone's photo fetched on
demand (thumbnail first) and shown full screen with a close button; a refused camera (a fake
`android.permissions`) noted next to the field; on a metered network
(TIANYE_NETWORK_METERED=1) a new photo waits for Wi-Fi and the sync screen and home say so.
Screenshots: test-artifacts/ui/evidence_rest_*.png (look at them)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from mobile_app.evidence.photo import prepare_photo
from mobile_app.store import Store
from mobile_app.sync import SyncClient, SyncRunner
from mobile_app.sync.files import evidence_for
from tests.mobile_app.test_store_fixtures import visit
from tests.ui.kivy.conftest import ARTIFACTS
from tests.ui.kivy.seed import hid
from tests.ui.kivy.test_evidence_e2e import camera_photo

pytestmark = pytest.mark.ui


def other_phone_visit(tmp_path: Path, url: str, username: str, password: str) -> str:
    """Another phone of the worker saves a visit with a house photo and syncs it (the photo
    goes up over tus); the sha256 of the photo."""
    with Store(tmp_path / "other.sqlite3") as store:
        client = SyncClient()
        answer = client.login(url, username, password, store.session.client_id(), "另一部手机")
        store.session.save_login(
            server_url=url, user=answer["user"], token=answer["token"], grids=answer["grids"]
        )
        runner = SyncRunner(store, client, sleep=lambda _s: None)
        runner.run()  # the households first
        image = prepare_photo(camera_photo(tmp_path / "other" / "house.jpg").read_bytes())
        visit_id = "0190a5c4-0000-4000-8000-00000000e001"
        item = evidence_for(store.db).add(
            image, kind="house_photo", visit_id=visit_id, now="2026-02-20T09:00:00+08:00"
        )
        data = visit(hid(1), attachments=[item.file.attachment()])
        node = store.session.client_id()
        store.records.save("visit", visit_id, data, now=datetime.now(UTC), hlc_node=node)
        result = runner.run()
        assert result.files is not None and result.files.uploaded == 1, result.files
        client.session.close()
        return image.sha256


@pytest.mark.parametrize(
    "db_url", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_wifi_only_full_photo_and_files_left_by_touch(
    run_scenario: Any, tmp_path: Path, live_server: str, seed: Any, db_url: str
) -> None:
    from tests.ui.kivy.backend import GRID, WORKER, push_grid

    seed.grid(GRID, township="t1")
    seed.user(WORKER, grids=[GRID], display_name="王网格")
    seed.user("li", role="supervisor", township="t1")
    seed.user("admin", role="admin")
    admin = seed.login(live_server, "admin")
    push_grid(live_server, admin.token, admin.client_id, 3)
    supervisor = seed.login(live_server, "li")
    sha = other_phone_visit(tmp_path, live_server, WORKER, seed.password)
    photo = camera_photo(tmp_path / "photos" / "new.jpg")
    run_scenario(
        "evidence_rest",
        tmp_path / "phone",
        backend="live",
        extra_env={
            "TIANYE_UI_SERVER_URL": live_server,
            "TIANYE_UI_WORKER_PASSWORD": seed.password,
            "TIANYE_UI_SUPERVISOR_TOKEN": supervisor.token,
            "TIANYE_UI_PHOTO": str(photo),
            "TIANYE_UI_OTHER_SHA": sha,
            "TIANYE_FAKE_LOCATION": "26.566,107.981,12",
            "TIANYE_NETWORK_METERED": "1",
        },
    )
    for name in (
        "settings_zh", "settings_en", "remote_thumb_zh", "full_photo_zh", "full_photo_en",
        "camera_refused_zh", "sync_wifi_zh", "sync_wifi_en", "home_wifi_zh", "home_wifi_en",
    ):  # fmt: skip
        assert (ARTIFACTS / f"evidence_rest_{name}.png").exists(), name
