"""End-to-end: a phone (HTTP) uploads a photo and a signature with tus and pushes the visit;
the supervisor's console in Chromium shows the thumbnail, the signature, the GPS fix and the
paradata flags, and opens the photo at full size (screenshots in test-artifacts/console/)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import requests

from shared_schema.schemas.examples import example_visit
from tests.sync_server.attachment_cases import attachment, create_headers, jpeg, patch_headers, png
from tests.ui.console.conftest import shoot, sign_in
from tests.ui.console.world import new_id

pytestmark = pytest.mark.ui


def tus_upload(base: str, headers: dict[str, str], data: bytes, mime: str) -> None:
    created = requests.post(
        f"{base}/api/v1/attachments", headers=headers | create_headers(data, mime), timeout=30
    )
    assert created.status_code == 201, created.text
    location = base + created.headers["Location"]
    for offset in range(0, len(data), 8192):  # small pieces, as over a weak network
        done = requests.patch(
            location,
            headers=headers | patch_headers(offset),
            data=data[offset : offset + 8192],
            timeout=30,
        )
        assert done.status_code == 204, done.text


def test_visit_page_shows_evidence_in_chromium(new_page: Any, world: Any, live_server: str) -> None:
    day = world.today - timedelta(days=2)
    photo, water, sign = jpeg(1600, 1200, seed=31), jpeg(1200, 900, seed=32), png(360, 140)
    headers = world.wang.session.headers
    for data, mime in ((photo, "image/jpeg"), (water, "image/jpeg"), (sign, "image/png")):
        tus_upload(live_server, headers, data, mime)
    earlier = [
        (
            "visit",
            new_id(),
            example_visit(
                household_id=world.h2,
                visit_date=str(day - timedelta(days=30 * i)),
                started_at=None,
                ended_at=None,
                gps={"lat": 26.5, "lon": 107.9, "accuracy_m": 8},
                attachments=None,
            ),
            None,
        )
        for i in (1, 2)
    ]
    vid = new_id()
    missing = jpeg(seed=33)  # taken, still on the phone
    visit = example_visit(
        household_id=world.h2,
        visit_date=str(day),
        started_at=f"{day}T09:00:00+08:00",
        ended_at=f"{day}T09:35:00+08:00",
        gps={"lat": 26.507, "lon": 107.9, "accuracy_m": 15},
        signed_by="李大山",
        attachments=[
            attachment(photo) | {"taken_at": f"{day}T09:05:00+08:00"},
            attachment(water, "water_photo") | {"taken_at": f"{day}T09:20:00+08:00"},
            attachment(missing, "member_photo") | {"taken_at": f"{day}T09:25:00+08:00"},
            attachment(sign, "signature", "image/png"),
        ],
    )
    world.wang.push(*earlier, ("visit", vid, visit, None))

    page = new_page(1366, 1000)
    sign_in(page, "sup", lang="en")
    page.goto(f"/console/visits/{vid}")
    page.wait_for_selector("#evidence img")
    page.wait_for_function(
        "() => [...document.querySelectorAll('#evidence img')]"
        ".every(i => i.complete && i.naturalWidth > 0)"
    )
    widths = page.eval_on_selector_all(".thumb img", "els => els.map(e => e.naturalWidth)")
    assert widths == [320, 320]  # thumbnails, not the 1600 px originals
    text = page.inner_text("#evidence")
    assert "1 of 4 files still on the phone" in text
    assert "The GPS fix is 778 m from the household's usual place" in text
    assert "26.50700, 107.90000" in text
    shoot(page, "visit-evidence-en")
    with page.context.expect_page() as opened:
        page.click(".thumb a >> nth=0")
    full = opened.value
    full.wait_for_load_state()
    assert full.evaluate("() => document.images[0].naturalWidth") == 1600
    page.goto(f"/console/visits/{vid}?lang=zh")
    page.wait_for_function(
        "() => [...document.querySelectorAll('#evidence img')]"
        ".every(i => i.complete && i.naturalWidth > 0)"
    )
    assert "4 个文件中 1 个仍在手机上" in page.inner_text("#evidence")
    shoot(page, "visit-evidence-zh")
    page.goto("/console/queue?lang=en")
    assert "1 of 4 files still on the phone" in page.inner_text(f"tr[data-visit='{vid}']")
    shoot(page, "queue-evidence-en")
