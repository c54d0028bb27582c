"""Evidence in the console (Flask client, SQLite and PostgreSQL): thumbnails and signature on
the visit page, scoped file reads, paradata flags, the review queue's evidence column, the
visits export's evidence columns, and the streamed zip of a grid's photos for a month."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared_schema.schemas.examples import example_visit
from tests.sync_server.attachment_cases import attachment, jpeg, png, sha, upload
from tests.sync_server.test_console_web import sign_in
from tests.ui.console.world import World, build_world, new_id


@pytest.fixture
def world(seed: Any, client: Any) -> World:
    return build_world(seed, client, datetime.now(UTC).date())


@pytest.fixture
def evidence(client: Any, world: World) -> dict[str, Any]:
    """Household H2 gets two earlier visits at its usual place and a new visit 1.1 km away,
    with a house photo and a signature uploaded and a water photo still on the phone."""
    day = world.today - timedelta(days=3)
    house, sign, water = jpeg(800, 600, seed=21), png(), jpeg(seed=22)
    for data, mime in ((house, "image/jpeg"), (sign, "image/png")):
        assert upload(client, world.wang.session.headers, data, mime).status_code == 204
    files = [
        attachment(house) | {"taken_at": f"{day}T09:10:00+08:00"},
        attachment(sign, "signature", "image/png"),
        attachment(water, "water_photo")
        | {"taken_at": f"{day - timedelta(days=2)}T09:00:00+08:00"},
    ]
    earlier = [
        (
            "visit",
            new_id(),
            example_visit(
                household_id=world.h2,
                visit_date=str(day - timedelta(days=40 * i)),
                started_at=None,
                ended_at=None,
                gps={"lat": 26.5, "lon": 107.9, "accuracy_m": 8},
                attachments=None,
                review_status="submitted",
            ),
            None,
        )
        for i in (1, 2)
    ]
    vid = new_id()
    visit = example_visit(
        household_id=world.h2,
        visit_date=str(day),
        started_at=f"{day}T09:00:00+08:00",
        ended_at=f"{day}T09:03:00+08:00",
        gps={"lat": 26.51, "lon": 107.9, "accuracy_m": 12},
        attachments=files,
        signed_by="李大山",
    )
    world.wang.push(*earlier, ("visit", vid, visit, None))
    return {"visit": vid, "house": house, "sign": sign, "water": water, "month": str(day)[:7]}


def test_visit_page_shows_thumbnails_signature_gps_and_paradata(
    client: Any, world: World, evidence: dict[str, Any]
) -> None:
    sign_in(client, "sup")
    html = client.get(f"/console/visits/{evidence['visit']}?lang=en").text
    house, sign = sha(evidence["house"]), sha(evidence["sign"])
    assert f"/console/attachments/{house}?variant=thumb" in html
    assert f'href="/console/attachments/{house}"' in html
    assert f"/console/attachments/{sign}" in html
    assert "1 of 3 files still on the phone" in html
    assert "Not uploaded yet (still on the phone)" in html
    assert "26.51000, 107.90000" in html and "accuracy ±12 m" in html
    assert "The visit took only 3 min" in html
    assert "The GPS fix is 1112 m from the household&#39;s usual place" in html
    assert "outside the visit" in html  # the water photo is two days older
    zh = client.get(f"/console/visits/{evidence['visit']}?lang=zh").text
    assert "3 个文件中 1 个仍在手机上" in zh and "农户签名" in zh
    # the visit's start is shown on the deployment's clock (UTC+8), not as a raw ISO string
    day = world.today - timedelta(days=3)
    assert f"{day.year}年{day.month}月{day.day}日 09:00" in zh
    assert f"{day.isoformat()}T09:00:00" not in zh


def test_files_are_scoped_in_the_console(
    client: Any, world: World, evidence: dict[str, Any]
) -> None:
    house = sha(evidence["house"])
    sign_in(client, "sup")
    thumb = client.get(f"/console/attachments/{house}?variant=thumb")
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"
    full = client.get(f"/console/attachments/{house}")
    assert full.status_code == 200 and full.data == evidence["house"]
    assert client.get(f"/console/attachments/{sha(evidence['water'])}").status_code == 404
    client.get("/console/logout")
    other = client.application.test_client()
    sign_in(other, "sup2")  # another township
    refused = other.get(f"/console/attachments/{house}?variant=thumb")
    assert refused.status_code == 404 and refused.mimetype == "text/html"
    assert refused.data != thumb.data


def test_queue_column_and_visits_export(
    client: Any, world: World, evidence: dict[str, Any]
) -> None:
    sign_in(client, "sup")
    queue = client.get("/console/queue?lang=en").text
    assert "1 of 3 files still on the phone" in queue
    assert "Evidence" in queue
    export = client.get("/console/exports/visits.csv?lang=en&grid=g1")
    rows = list(csv.reader(io.StringIO(export.data.decode("utf-8-sig"))))
    header = rows[0]
    for column in ("Files", "Files still on the phone", "Evidence complete", "File SHA-256s"):
        assert column in header
    assert not any(h.startswith("File hash") for h in header)
    by_id = {r[0]: dict(zip(header, r, strict=True)) for r in rows[1:]}
    row = by_id[evidence["visit"]]
    assert (row["Files"], row["Files still on the phone"], row["Evidence complete"]) == (
        "3",
        "1",
        "No",
    )
    assert sha(evidence["water"]) in row["File SHA-256s"].split()


def test_photos_zip_of_a_grid_for_a_month(
    client: Any, world: World, evidence: dict[str, Any]
) -> None:
    sign_in(client, "sup")
    response = client.get(f"/console/exports/photos.zip?grid=g1&month={evidence['month']}")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert response.is_streamed
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        assert archive.testzip() is None
        contents = {name: archive.read(name) for name in archive.namelist()}
    assert sorted(contents.values()) == sorted([evidence["house"], evidence["sign"]])
    assert all(evidence["visit"][:8] in name for name in contents)
    empty = client.get("/console/exports/photos.zip?grid=g1&month=1999-01")
    with zipfile.ZipFile(io.BytesIO(empty.data)) as archive:
        assert archive.namelist() == []
    assert client.get("/console/exports/photos.zip?grid=g9&month=2024-01").status_code == 403
    assert client.get("/console/exports/photos.zip?grid=g1&month=2024-1").status_code == 400
