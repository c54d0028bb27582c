"""Attachments over the API (PROTOCOL.md "Attachments", docs/attachments.md): tus creation,
offsets, the checks at the last byte, dedupe, termination, scoped reads and expiry — each on
SQLite and PostgreSQL, and on both storages: a directory and S3 (a real SeaweedFS)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from sync_server.extensions import STORAGE_KEY
from sync_server.models import Attachment
from sync_server.services.attachments import expire_uploads, file_key, staging_prefix, thumb_key
from tests.seaweedfs import SeaweedFS
from tests.sync_server.attachment_cases import (
    TUS,
    attachment,
    create_headers,
    jpeg,
    patch_headers,
    png,
    sha,
    upload,
)
from tests.sync_server.helpers import create_household, mutation, new_id, push, visit

# --- storages ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def seaweedfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedFS]:
    """One SeaweedFS for the session; skipped (failed in CI) when it cannot start."""
    try:
        server = SeaweedFS.start(tmp_path_factory.mktemp("seaweedfs"))
    except RuntimeError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"SeaweedFS could not start in CI: {exc}")
        pytest.skip(f"SeaweedFS could not start: {exc}")
    yield server
    server.stop()


@pytest.fixture(params=["directory", "s3"])
def attachment_settings(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    if request.param == "directory":
        return {"ATTACHMENTS_DIR": str(tmp_path / "attachments")}
    weed: SeaweedFS = request.getfixturevalue("seaweedfs")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "tianye")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "tianye-secret")
    return {
        "ATTACHMENTS_S3_BUCKET": f"t-{uuid.uuid4().hex[:12]}",
        "ATTACHMENTS_S3_ENDPOINT": weed.endpoint,
    }


@pytest.fixture
def storage(app: Any) -> Any:
    return app.extensions[STORAGE_KEY]


@pytest.fixture
def world(seed: Any, client: Any) -> dict[str, Any]:
    """Grids g1, g2 (township t1) and g9 (t2); workers wang (g1), li (g2), xu (g9); supervisor
    zhao (t1), admin root."""
    seed.grid("g1", township="t1")
    seed.grid("g2", township="t1")
    seed.grid("g9", township="t2")
    seed.user("wang", grids=["g1"])
    seed.user("li", grids=["g2"])
    seed.user("xu", grids=["g9"])
    seed.user("zhao", role="supervisor", township="t1")
    seed.user("root", role="admin")
    return {name: seed.login(client, name) for name in ("wang", "li", "xu", "zhao", "root")}


def rows(database: Any) -> list[Attachment]:
    with database.read() as s:
        return list(s.query(Attachment).order_by(Attachment.sha256))


def visit_with(client: Any, who: Any, files: list[dict[str, Any]], grid: str = "g1") -> str:
    hid, _ = create_household(client, who, grid)
    vid = new_id()
    response = push(client, who, mutation(who, "visit", vid, visit(hid, attachments=files)))
    assert response.get_json()["results"][0]["status"] == "applied", response.get_json()
    return vid


# --- the happy path ------------------------------------------------------------------------


def test_options_advertises_tus(client: Any) -> None:
    response = client.options("/api/v1/attachments")
    assert response.status_code == 204
    assert response.headers["Tus-Resumable"] == "1.0.0"
    assert response.headers["Tus-Version"] == "1.0.0"
    assert set(response.headers["Tus-Extension"].split(",")) == {"creation", "termination"}
    assert response.headers["Tus-Max-Size"] == str(10 * 1024 * 1024)


def test_resumable_upload_in_pieces_then_read(
    client: Any, world: dict[str, Any], database: Any, storage: Any
) -> None:
    wang = world["wang"]
    data = jpeg(900, 600)
    created = client.post("/api/v1/attachments", headers=wang.headers | create_headers(data))
    assert created.status_code == 201
    location = created.headers["Location"]
    assert location == f"/api/v1/attachments/{sha(data)}"
    assert created.headers["Tus-Resumable"] == "1.0.0"
    offset = 0
    for size in (1000, 7000, len(data)):
        piece = data[offset : offset + size]
        response = client.patch(location, headers=wang.headers | patch_headers(offset), data=piece)
        assert response.status_code == 204, response.get_json()
        offset += len(piece)
        assert response.headers["Upload-Offset"] == str(offset)
        head = client.head(location, headers=wang.headers | TUS)
        assert head.headers["Upload-Offset"] == str(offset)
        assert head.headers["Upload-Length"] == str(len(data))
        assert head.headers["Cache-Control"] == "no-store"
    (row,) = rows(database)
    assert (row.state, row.width, row.height, row.uploader_id is not None) == (
        "complete",
        900,
        600,
        True,
    )
    assert storage.keys(staging_prefix(sha(data))) == []
    assert storage.size(file_key(sha(data))) == len(data)
    got = client.get(location, headers=wang.headers)
    assert got.status_code == 200 and got.data == data
    assert got.mimetype == "image/jpeg"
    assert got.headers["ETag"] == f'"{sha(data)}"'
    assert "immutable" in got.headers["Cache-Control"]
    thumb = client.get(location + "?variant=thumb", headers=wang.headers)
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"
    from io import BytesIO

    from PIL import Image

    with Image.open(BytesIO(thumb.data)) as img:
        assert max(img.size) == 320 and img.format == "JPEG"
    assert (
        client.get(location, headers=wang.headers | {"If-None-Match": f'"{sha(data)}"'}).status_code
        == 304
    )


def test_signature_png_gets_a_white_thumbnail(client: Any, world: dict[str, Any]) -> None:
    data = png()
    assert upload(client, world["wang"].headers, data, "image/png").status_code == 204
    thumb = client.get(
        f"/api/v1/attachments/{sha(data)}?variant=thumb", headers=world["wang"].headers
    )
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"


def test_dedupe_costs_one_request_and_no_bytes(
    client: Any, world: dict[str, Any], database: Any
) -> None:
    data = jpeg(seed=3)
    assert upload(client, world["wang"].headers, data).status_code == 204
    again = client.post("/api/v1/attachments", headers=world["li"].headers | create_headers(data))
    assert again.status_code == 201
    assert again.headers["Upload-Offset"] == again.headers["Upload-Length"] == str(len(data))
    assert again.headers["Location"] == f"/api/v1/attachments/{sha(data)}"
    assert len(rows(database)) == 1
    # li knows the hash but no visit of li's refers to it, and li sent no bytes: no read
    assert client.get(again.headers["Location"], headers=world["li"].headers).status_code == 404


# --- bad uploads: the protocol's errors, nothing stored ------------------------------------


def assert_nothing_stored(database: Any, storage: Any) -> None:
    assert all(r.state == "uploading" and r.upload_offset == 0 for r in rows(database))
    assert storage.keys("files/") == [] and storage.keys("thumbs/") == []
    assert storage.keys("staging/") == []


@pytest.mark.parametrize(
    ("body", "mime", "problem"),
    [
        (b"\xff\xd8 not really a jpeg" * 50, "image/jpeg", "not a readable image"),
        (png(), "image/jpeg", "not of the declared mime"),
        (b"%PDF-1.4 " * 100, "image/png", "not a readable image"),
    ],
)
def test_not_the_declared_image_is_422_and_back_to_zero(
    client: Any,
    world: dict[str, Any],
    database: Any,
    storage: Any,
    body: bytes,
    mime: str,
    problem: str,
) -> None:
    headers = world["wang"].headers | {"Accept-Language": "en"}
    response = upload(client, headers, body, mime)
    assert response.status_code == 422
    payload = response.get_json()
    assert payload["code"] == 422 and problem in payload["errors"]["file"][0]
    assert response.headers["Tus-Resumable"] == "1.0.0"
    assert_nothing_stored(database, storage)
    head = client.head(f"/api/v1/attachments/{sha(body)}", headers=headers | TUS)
    assert head.headers["Upload-Offset"] == "0"


def test_wrong_hash_is_422_then_the_right_bytes_still_go_in(
    client: Any, world: dict[str, Any], database: Any, storage: Any
) -> None:
    real, other = jpeg(seed=1), jpeg(seed=2)
    h = world["wang"].headers | {"Accept-Language": "en"}
    created = client.post("/api/v1/attachments", headers=h | create_headers(real))
    wrong = other[: len(real)].ljust(len(real), b"\0")
    response = client.patch(created.headers["Location"], headers=h | patch_headers(0), data=wrong)
    assert response.status_code == 422
    assert "do not match the sha256" in response.get_json()["errors"]["file"][0]
    assert_nothing_stored(database, storage)
    again = client.patch(created.headers["Location"], headers=h | patch_headers(0), data=real)
    assert again.status_code == 204
    assert rows(database)[0].state == "complete"


def test_wrong_offset_is_409_and_changes_nothing(
    client: Any, world: dict[str, Any], database: Any, storage: Any
) -> None:
    data = jpeg()
    h = world["wang"].headers
    location = client.post("/api/v1/attachments", headers=h | create_headers(data)).headers[
        "Location"
    ]
    assert client.patch(location, headers=h | patch_headers(0), data=data[:500]).status_code == 204
    for offset in (0, 499, 501, 10**9):
        response = client.patch(
            location, headers=h | patch_headers(offset), data=data[offset:][:10]
        )
        assert response.status_code == 409
        assert response.get_json()["code"] == 409
        assert response.headers["Upload-Offset"] == "500"
    assert rows(database)[0].upload_offset == 500
    assert len(storage.keys(staging_prefix(sha(data)))) == 1


def test_too_big_is_413(client: Any, world: dict[str, Any], database: Any, storage: Any) -> None:
    h = world["wang"].headers
    huge = TUS | {
        "Upload-Length": str(10 * 1024 * 1024 + 1),
        "Upload-Metadata": create_headers(b"x")["Upload-Metadata"],
    }
    assert client.post("/api/v1/attachments", headers=h | huge).status_code == 413
    assert rows(database) == []
    data = jpeg()
    location = client.post("/api/v1/attachments", headers=h | create_headers(data)).headers[
        "Location"
    ]
    beyond = client.patch(location, headers=h | patch_headers(0), data=data + b"extra")
    assert beyond.status_code == 413 and beyond.get_json()["code"] == 413
    assert rows(database)[0].upload_offset == 0
    assert storage.keys("staging/") == []


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Upload-Length": "10"}, 400),  # no metadata
        ({"Upload-Length": "10", "Upload-Metadata": "sha256 !!!,mime aW1hZ2UvanBlZw=="}, 400),
        ({"Upload-Length": "-1"}, 400),
        ({"Upload-Length": "abc"}, 400),
    ],
)
def test_bad_creation_is_a_json_error(
    client: Any, world: dict[str, Any], database: Any, headers: dict[str, str], status: int
) -> None:
    response = client.post("/api/v1/attachments", headers=world["wang"].headers | TUS | headers)
    assert response.status_code == status and response.get_json()["code"] == status
    assert rows(database) == []


def test_bad_metadata_values(client: Any, world: dict[str, Any], database: Any) -> None:
    data = jpeg()
    for digest, mime in (("AB" * 32, "image/jpeg"), (sha(data), "image/gif"), ("x", "image/png")):
        response = client.post(
            "/api/v1/attachments",
            headers=world["wang"].headers
            | create_headers(data, mime, digest)
            | {"Accept-Language": "en"},
        )
        assert response.status_code == 400, (digest, mime)
        assert response.get_json()["errors"]
    assert rows(database) == []


def test_tus_version_and_content_type_are_checked(client: Any, world: dict[str, Any]) -> None:
    data = jpeg()
    h = world["wang"].headers
    bad = create_headers(data) | {"Tus-Resumable": "0.2.2"}
    response = client.post("/api/v1/attachments", headers=h | bad)
    assert response.status_code == 412 and response.headers["Tus-Version"] == "1.0.0"
    location = client.post("/api/v1/attachments", headers=h | create_headers(data)).headers[
        "Location"
    ]
    wrong_type = patch_headers(0) | {"Content-Type": "application/json"}
    assert client.patch(location, headers=h | wrong_type, data=b"{}").status_code == 415


def test_no_token_is_401_with_tus_header(client: Any) -> None:
    response = client.post("/api/v1/attachments", headers=create_headers(jpeg()))
    assert response.status_code == 401 and response.headers["Tus-Resumable"] == "1.0.0"


# --- scope ---------------------------------------------------------------------------------


def test_another_users_upload_and_another_grids_file_are_404(
    client: Any, world: dict[str, Any], database: Any, storage: Any
) -> None:
    wang, li, xu = (world[n] for n in ("wang", "li", "xu"))
    partial = jpeg(seed=7)
    location = client.post(
        "/api/v1/attachments", headers=wang.headers | create_headers(partial)
    ).headers["Location"]
    client.patch(location, headers=wang.headers | patch_headers(0), data=partial[:100])
    for who in (li, xu):  # an unfinished upload of wang's: no HEAD, PATCH or DELETE
        assert client.head(location, headers=who.headers | TUS).status_code == 404
        assert (
            client.patch(
                location, headers=who.headers | patch_headers(100), data=partial[100:]
            ).status_code
            == 404
        )
        assert client.delete(location, headers=who.headers | TUS).status_code == 404
        assert client.get(location, headers=who.headers).status_code == 404
    assert rows(database)[0].upload_offset == 100

    photo = jpeg(seed=8)
    assert upload(client, wang.headers, photo).status_code == 204
    vid = visit_with(client, wang, [attachment(photo)], grid="g1")
    url = f"/api/v1/attachments/{sha(photo)}"
    expected = {"wang": 200, "zhao": 200, "root": 200, "li": 404, "xu": 404}
    for name, status in expected.items():
        response = client.get(url, headers=world[name].headers | {"Accept-Language": "en"})
        assert response.status_code == status, name
        if status == 404:
            assert response.get_json()["message"] == "Not found."
            assert response.data != photo
    unknown = client.get(
        "/api/v1/attachments/" + "0" * 64, headers=li.headers | {"Accept-Language": "en"}
    )
    assert (
        unknown.get_json()
        == client.get(url, headers=li.headers | {"Accept-Language": "en"}).get_json()
    )
    assert vid


def test_termination_drops_only_an_unfinished_upload(
    client: Any, world: dict[str, Any], database: Any, storage: Any
) -> None:
    wang = world["wang"]
    data = jpeg(seed=4)
    location = client.post(
        "/api/v1/attachments", headers=wang.headers | create_headers(data)
    ).headers["Location"]
    client.patch(location, headers=wang.headers | patch_headers(0), data=data[:300])
    assert client.delete(location, headers=wang.headers | TUS).status_code == 204
    assert rows(database) == [] and storage.keys("staging/") == []
    assert upload(client, wang.headers, data).status_code == 204
    assert client.delete(location, headers=wang.headers | TUS).status_code == 403
    assert rows(database)[0].state == "complete"


def test_expiry_drops_week_old_unfinished_uploads(
    client: Any, world: dict[str, Any], database: Any, storage: Any, seed: Any
) -> None:
    wang = world["wang"]
    old, fresh, done = jpeg(seed=11), jpeg(seed=12), jpeg(seed=13)
    for data in (old, fresh):
        location = client.post(
            "/api/v1/attachments", headers=wang.headers | create_headers(data)
        ).headers["Location"]
        client.patch(location, headers=wang.headers | patch_headers(0), data=data[:50])
    upload(client, wang.headers, done)
    with database.write() as s:
        s.get(Attachment, sha(old)).updated_at = seed.now() - timedelta(days=7, minutes=1)
    assert expire_uploads(database, storage, now=seed.now()) == [sha(old)]
    assert {r.sha256 for r in rows(database)} == {sha(fresh), sha(done)}
    assert storage.keys(staging_prefix(sha(old))) == []
    assert len(storage.keys(staging_prefix(sha(fresh)))) == 1
    assert storage.size(thumb_key(sha(done))) is not None


def test_one_patch_may_carry_more_than_the_json_body_limit(
    client: Any, world: dict[str, Any], database: Any
) -> None:
    """A stock client sends the whole file in one PATCH: up to Tus-Max-Size, not 2 MiB."""
    import io

    from PIL import Image

    noise = Image.frombytes("RGB", (1400, 1000), os.urandom(1400 * 1000 * 3))
    out = io.BytesIO()
    noise.save(out, "PNG")
    data = out.getvalue()
    assert 3 * 1024 * 1024 < len(data) < 10 * 1024 * 1024
    assert upload(client, world["wang"].headers, data, "image/png").status_code == 204
    assert rows(database)[0].state == "complete"
