"""Evidence on the phone, below the UI: photo preparation (orientation, size, no metadata),
the signature PNG, the GPS states and fake source, sealed files under the store's key, the
`files` table, and eviction that never drops a file the server does not hold."""

from __future__ import annotations

import io
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image, ImageFilter

from mobile_app.evidence import location
from mobile_app.evidence.crypto import FileCipher, SealedFileError
from mobile_app.evidence.eviction import plan_space, space_text
from mobile_app.evidence.photo import NotAnImage, prepare_photo, sha256_hex
from mobile_app.evidence.signature import EmptySignature, render_signature
from mobile_app.evidence.vault import EvidenceFiles, MissingFile
from mobile_app.store import Store, cipher
from mobile_app.store import files as files_table

NOW = "2026-05-20T09:31:00+08:00"


def camera_jpeg(width: int = 4000, height: int = 3000, orientation: int = 6) -> bytes:
    """A noisy camera-like JPEG with EXIF orientation, GPS, make/model and a capture time."""
    size = (width, height)
    image = Image.merge(
        "RGB",
        [
            Image.effect_noise(size, 40).filter(ImageFilter.GaussianBlur(3)),
            Image.linear_gradient("L").resize(size),
            Image.effect_noise(size, 25),  # sensor noise: hard to compress
        ],
    )
    image.paste((200, 30, 30), (0, 0, width // 4, height // 4))  # red top-left marker
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "PhoneMaker"
    exif[0x0110] = "Model X"
    exif[0x0132] = "2026:05:20 09:30:00"
    exif[0x8825] = {1: "N", 2: (26.0, 33.0, 57.6), 3: "E", 4: (107.0, 58.0, 51.6)}
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95, exif=exif)
    return out.getvalue()


def test_photo_is_upright_downscaled_small_and_without_metadata():
    raw = camera_jpeg()
    assert b"PhoneMaker" in raw
    prepared = prepare_photo(raw)
    image = Image.open(io.BytesIO(prepared.data))
    # orientation 6 = rotate 90° clockwise to view: 4000x3000 stored becomes portrait
    assert (image.width, image.height) == (prepared.width, prepared.height) == (1200, 1600)
    assert prepared.size <= 300 * 1024
    assert prepared.mime == "image/jpeg" and image.format == "JPEG"
    assert not image.getexif() and "exif" not in image.info
    assert b"PhoneMaker" not in prepared.data and b"Model X" not in prepared.data
    assert prepared.sha256 == sha256_hex(prepared.data)
    assert prepared.taken_at == "2026-05-20T09:30:00"
    # the red marker was at the stored top-left; after a 90° clockwise turn it is top-right
    r, g, _b = image.convert("RGB").getpixel((image.width - 20, 20))
    assert r > 150 and g < 100


def test_a_photo_too_detailed_for_the_target_steps_down_quality_then_size():
    noise = io.BytesIO()
    Image.effect_noise((3000, 2000), 90).convert("RGB").save(noise, "JPEG", quality=95)
    prepared = prepare_photo(noise.getvalue())
    assert prepared.size <= 300 * 1024 and max(prepared.width, prepared.height) < 1600


def test_photo_longest_side_is_configurable_and_small_images_stay_small():
    assert max(prepare_photo(camera_jpeg(), max_side=800).width, 0) == 600
    tiny = prepare_photo(camera_jpeg(300, 200, orientation=1))
    assert (tiny.width, tiny.height) == (300, 200)


@pytest.mark.parametrize("data", [b"", b"not an image at all", camera_jpeg(64, 64)[:200]])
def test_not_an_image_is_refused_with_a_reason(data):
    with pytest.raises(NotAnImage):
        prepare_photo(data)


def test_signature_renders_a_small_png_and_an_empty_pad_is_refused():
    strokes = [[(10 + i * 5, 50 + (i % 7) * 4) for i in range(60)], [(20, 20), (200, 90)]]
    sig = render_signature(strokes, (400, 160))
    image = Image.open(io.BytesIO(sig.data))
    assert image.format == "PNG" and (image.width, image.height) == (600, 240)
    assert sig.size < 20 * 1024
    assert image.convert("L").getextrema() == (0, 255)  # ink on white
    with pytest.raises(EmptySignature):
        render_signature([[(1, 1)]], (400, 160))


def test_fake_location_fix_and_no_fix_texts():
    now = datetime(2026, 5, 20, 1, 30, tzinfo=UTC)
    fixed = location.parse_fake("26.566,107.981,12", now=now)
    assert location.status_text(fixed, "en") == "26.56600, 107.98100 ±12 m"
    assert location.status_text(fixed, "zh").endswith("±12 米")
    value = location.gps_value(fixed)
    assert value is not None and value["accuracy_m"] == 12.0 and value["fixed_at"]
    none = location.parse_fake("none:permission_denied")
    assert location.gps_value(none) is None
    assert location.status_text(none, "en") == "No fix: location permission refused"
    assert location.status_text(location.WAITING, "zh") == "正在定位…"
    seen: list[location.LocationState] = []
    location.source_for({location.FAKE_ENV: "1,2,3"}, "linux").start(seen.append)
    assert [s.status for s in seen] == ["waiting", "fixed"]
    seen.clear()
    location.source_for({}, "linux").start(seen.append)
    assert seen[-1].reason == "unavailable"
    for bad in ("91,0", "a,b", "1", "1,2,-5"):
        with pytest.raises(ValueError):
            location.parse_fake(bad)


def test_sealed_files_need_the_same_key_and_name():
    key = os.urandom(32)
    sealed = FileCipher(key).seal(b"photo bytes", "a" * 64)
    assert b"photo bytes" not in sealed
    assert FileCipher(key).open(sealed, "a" * 64) == b"photo bytes"
    with pytest.raises(SealedFileError):
        FileCipher(os.urandom(32)).open(sealed, "a" * 64)
    with pytest.raises(SealedFileError):
        FileCipher(key).open(sealed, "b" * 64)


def row(sha: str, size: int, remote: str, used: str, local: str = "full"):
    return files_table.StoredFile(
        sha, None, "house_photo", "image/jpeg", size, 1, 1, None, local, remote, 0, None, used,
        used, None,
    )  # fmt: skip


def test_eviction_takes_uploaded_files_oldest_first_and_never_pending_ones():
    files = [
        row("p1", 400, "pending", "2026-01-01"),
        row("u2", 300, "uploaded", "2026-03-01"),
        row("u1", 300, "uploaded", "2026-02-01"),
        row("u0", 100, "uploaded", "2026-01-01", local="thumb"),
    ]
    plan = plan_space(files, incoming=200, limit=1000)
    assert plan.evict == ("u1",) and plan.used_after == 700 and not plan.over_limit
    plan = plan_space(files, incoming=900, limit=1000)
    assert plan.evict == ("u1", "u2") and plan.over_limit and plan.warn
    assert "p1" not in plan.evict
    assert space_text(plan, "en") and space_text(plan_space(files, limit=10**9)) is None


@pytest.fixture(params=["plain", "sqlcipher"])
def evidence(request, tmp_path: Path) -> EvidenceFiles:
    if request.param == "sqlcipher" and not cipher.available():
        pytest.skip("sqlcipher3 is not installed")
    key = os.urandom(32) if request.param == "sqlcipher" else None
    store = Store(tmp_path / "store.db", key=key)
    return EvidenceFiles(store.db, tmp_path / "files", limit_bytes=2 * 1024 * 1024)


def test_files_are_stored_sealed_under_their_hash_and_evicted_only_after_upload(
    evidence: EvidenceFiles, tmp_path: Path
):
    photos = [prepare_photo(camera_jpeg(1800, 1200, orientation=1)) for _ in range(3)]
    first = evidence.add(photos[0], kind="house_photo", visit_id="v1", now=NOW).file
    assert (first.local, first.remote, first.upload_offset) == ("full", "pending", 0)
    assert first.attachment()["sha256"] == photos[0].sha256
    on_disk = (tmp_path / "files" / "files" / first.sha256[:2] / first.sha256).read_bytes()
    assert (on_disk != photos[0].data) == (evidence.db.key is not None)
    assert evidence.read(first.sha256) == photos[0].data
    # the limit is tiny: the next files need room, but the first is not on the server yet
    evidence.limit_bytes = photos[0].size + photos[1].size // 2
    added = evidence.add(photos[1], kind="water_photo", visit_id="v1", now=NOW)
    assert added.plan.evict == () and added.plan.over_limit and added.plan.warn
    with evidence.db.transaction() as conn:
        files_table.mark_uploaded(conn, first.sha256, now=NOW)
    added = evidence.add(photos[2], kind="house_photo", visit_id="v2", now="2026-05-21T10:00")
    assert added.plan.evict == (first.sha256,)
    evicted = files_table.get_file(evidence.db, first.sha256)
    assert evicted is not None and evicted.local == "thumb"
    with pytest.raises(MissingFile):
        evidence.read(first.sha256)
    assert Image.open(io.BytesIO(evidence.vault.read_thumb(first.sha256))).width == 320
    # pending files are all still readable
    assert evidence.read(photos[1].sha256) == photos[1].data


def test_a_file_gone_from_disk_shows_as_missing_and_can_be_retaken(evidence: EvidenceFiles):
    photo = prepare_photo(camera_jpeg(800, 600, orientation=1))
    evidence.add(photo, kind="house_photo", visit_id="v1", now=NOW)
    evidence.vault.drop_full(photo.sha256)
    with pytest.raises(MissingFile):
        evidence.read(photo.sha256)
    assert files_table.get_file(evidence.db, photo.sha256).local == "missing"
    evidence.add(photo, kind="house_photo", visit_id="v1", now=NOW)  # retaken (same bytes)
    assert files_table.get_file(evidence.db, photo.sha256).local == "full"
    assert evidence.read(photo.sha256) == photo.data
