"""Issue 14 "Done when", end to end: the real Kivy app under Xvfb (a fake GPS fix) attaches a
photo from a file through its chooser, draws a signature with touches, saves an elimination
check and syncs it to the real server (gunicorn; SQLite and PostgreSQL): the record first,
then the files over tus. The supervisor's console in Chromium then shows the thumbnail, the
signature, the GPS fix and the paradata flags. Screenshots: test-artifacts/ui/evidence_*.png
and test-artifacts/console/phone-evidence-*.png (look at them)."""

from __future__ import annotations

import io
import os
import threading
from pathlib import Path
from typing import Any

import pytest
import requests
from PIL import Image, ImageFilter

from tests.ui.console.conftest import ARGS, shoot, sign_in
from tests.ui.kivy.conftest import ARTIFACTS

pytestmark = pytest.mark.ui
CHROMIUM = "/usr/bin/chromium"


def camera_photo(path: Path) -> Path:
    """A 4000×3000 camera JPEG turned on its side (EXIF orientation 6) with GPS and a maker."""
    size = (4000, 3000)
    image = Image.merge(
        "RGB",
        [
            Image.effect_noise(size, 40).filter(ImageFilter.GaussianBlur(3)),
            Image.linear_gradient("L").resize(size),
            Image.effect_noise(size, 25),
        ],
    )
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (26.0, 33.0, 57.6), 3: "E", 4: (107.0, 58.0, 51.6)}
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, "JPEG", quality=92, exif=exif)
    return path


@pytest.mark.parametrize(
    "db_url", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_phone_evidence_reaches_the_console(
    run_scenario: Any, tmp_path: Path, live_server: str, seed: Any, db_url: str
) -> None:
    from tests.ui.kivy.backend import GRID, WORKER, push_grid

    seed.grid(GRID, township="t1")
    seed.user(WORKER, grids=[GRID], display_name="王网格")
    seed.user("li", role="supervisor", township="t1", display_name="李审核")
    seed.user("admin", role="admin")
    admin = seed.login(live_server, "admin")
    push_grid(live_server, admin.token, admin.client_id, 3)
    supervisor = seed.login(live_server, "li")
    photo = camera_photo(tmp_path / "photos" / "house.jpg")
    result = tmp_path / "visit_id.txt"
    run_scenario(
        "evidence",
        tmp_path / "phone",
        backend="live",
        extra_env={
            "TIANYE_UI_SERVER_URL": live_server,
            "TIANYE_UI_WORKER_PASSWORD": seed.password,
            "TIANYE_UI_SUPERVISOR_TOKEN": supervisor.token,
            "TIANYE_UI_PHOTO": str(photo),
            "TIANYE_UI_RESULT": str(result),
            "TIANYE_FAKE_LOCATION": "26.566,107.981,12",
        },
    )
    for name in ("visit_gps", "required", "chooser", "signature_drawn", "visit_saved"):
        assert (ARTIFACTS / f"evidence_{name}_zh.png").exists(), name
    visit_id = result.read_text(encoding="utf-8")
    headers = {"Authorization": f"Bearer {supervisor.token}"}
    history = requests.get(
        f"{live_server}/api/v1/records/visit/{visit_id}/history", headers=headers, timeout=30
    )
    assert history.status_code == 200, history.text
    visit = history.json()["versions"][-1]["data"]
    assert visit["gps"]["accuracy_m"] == 12.0 and visit["signed_by"] == "王建国"
    kinds = {a["kind"]: a for a in visit["attachments"]}
    assert set(kinds) == {"house_photo", "signature"}
    house = kinds["house_photo"]
    assert (house["width"], house["height"]) == (1200, 1600)  # upright, longest side 1600
    got = requests.get(
        f"{live_server}/api/v1/attachments/{house['sha256']}", headers=headers, timeout=30
    )
    assert got.status_code == 200 and len(got.content) == house["size"] <= 300 * 1024
    assert b"PhoneMaker" not in got.content and not Image.open(io.BytesIO(got.content)).getexif()

    if not os.path.exists(CHROMIUM):
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API refuses a thread with a running asyncio loop (an earlier test of the
    # suite may leave one set): the browser part runs in a thread of its own.
    def console() -> None:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            try:
                for lang in ("en", "zh"):
                    context = browser.new_context(
                        viewport={"width": 1366, "height": 1000}, base_url=live_server
                    )
                    context.set_default_timeout(30_000)
                    page = context.new_page()
                    sign_in(page, "li", password=seed.password, lang=lang)
                    page.goto(f"/console/visits/{visit_id}?lang={lang}")
                    page.wait_for_selector("#evidence img")
                    page.wait_for_function(
                        "() => [...document.querySelectorAll('#evidence img')]"
                        ".every(i => i.complete && i.naturalWidth > 0)"
                    )
                    text = page.inner_text("#evidence")
                    assert "26.56600, 107.98100" in text, text
                    if lang == "en":
                        assert "王建国" in text
                        widths = page.eval_on_selector_all(
                            "#evidence img", "els => els.map(e => e.naturalWidth)"
                        )
                        assert widths and max(widths) <= 600, widths
                    shoot(page, f"phone-evidence-{lang}")
                    context.close()
            finally:
                browser.close()

    failures: list[BaseException] = []

    def run() -> None:
        try:
            console()
        except BaseException as exc:  # re-raised in the test's thread below
            failures.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    if failures:
        raise failures[0]
