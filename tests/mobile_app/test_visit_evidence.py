"""The visit form's evidence at view-model level (no window): a photo from a file, a drawn
signature, the fake GPS fix; the elimination check refuses to save without its house photo,
signature and signer, a routine visit does not; GPS never blocks saving; a bad file is a
message under its field and changes nothing."""

from __future__ import annotations

import io
import os
import tempfile

os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="tianye-kivy-home-"))

import pytest
from PIL import Image

from mobile_app.evidence.location import FAKE_ENV, FakeLocationSource
from mobile_app.store import Store
from mobile_app.store import files as files_table
from mobile_app.viewmodels import VisitFormViewModel
from tests.mobile_app.test_viewmodels import SYNC, fill_valid_visit
from tests.ui.kivy.seed import hid, seed_household

STROKES = [[(10 + i * 5, 40 + (i % 6) * 6) for i in range(50)]]


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv(FAKE_ENV, "26.566,107.981,12")
    with Store(tmp_path / "phone.sqlite3") as s:
        yield s


def photo_file(tmp_path) -> str:
    path = tmp_path / "house.jpg"
    Image.new("RGB", (2400, 1800), (90, 140, 60)).save(path, "JPEG", quality=90)
    return str(path)


def test_elimination_check_needs_photo_and_signature_then_saves_with_them(store, tmp_path):
    seed_household(store, 3)
    vm = VisitFormViewModel(store, **SYNC)
    vm.open_new(hid(3))
    assert vm.value("gps")["accuracy_m"] == 12.0 and vm.display("gps").endswith("±12 米")
    fill_valid_visit(vm)
    vm.set_value("visit_type", "elimination_check")
    assert vm.save() is False
    for path in ("attachments.house_photo", "attachments.signature", "signed_by"):
        assert vm.errors[path] == "此项走访须提供"
    assert "attachments.water_photo" not in vm.errors
    vm.set_value("attachments.house_photo", {"file": photo_file(tmp_path)})
    vm.set_value("attachments.signature", {"strokes": STROKES, "size": (400, 160)})
    vm.set_value("signed_by", "王建国")
    vm.set_value("signer_relation", "head")
    assert vm.save() is True, (vm.errors, vm.form_errors)
    saved = store.visits.get(vm.record_id).data
    kinds = sorted(a["kind"] for a in saved["attachments"])
    assert kinds == ["house_photo", "signature"]
    house = next(a for a in saved["attachments"] if a["kind"] == "house_photo")
    assert (house["width"], house["height"], house["mime"]) == (1600, 1200, "image/jpeg")
    assert saved["gps"]["lat"] == 26.566 and saved["gps"]["fixed_at"]
    assert saved["signer_relation"] == "head"
    rows = files_table.files_of_visit(store.db, vm.record_id)
    assert {r.sha256 for r in rows} == {a["sha256"] for a in saved["attachments"]}
    assert all(r.remote == "pending" and r.local == "full" for r in rows)
    items = vm.evidence_items("attachments.house_photo")
    assert items[0]["state"] == "pending" and items[0]["text"] == "待上传"
    assert Image.open(io.BytesIO(items[0]["thumb"])).width == 320


def test_a_routine_visit_saves_without_evidence_or_a_fix(store, monkeypatch):
    monkeypatch.setenv(FAKE_ENV, "none:permission_denied")
    seed_household(store, 4)
    vm = VisitFormViewModel(store, **SYNC)
    vm.open_new(hid(4))
    assert vm.display("gps") == "无法定位：未允许使用定位"
    vm.lang = "en"
    fill_valid_visit(vm)
    assert vm.save() is True, vm.errors
    assert store.visits.get(vm.record_id).data.get("gps") is None


def test_a_bad_file_is_a_message_and_a_redo_replaces_the_signature(store, tmp_path):
    seed_household(store, 5)
    vm = VisitFormViewModel(store, **SYNC)
    vm.open_new(hid(5))
    bad = tmp_path / "notes.jpg"
    bad.write_text("not a picture")
    vm.set_value("attachments.house_photo", {"file": str(bad)})
    assert vm.errors["attachments.house_photo"].startswith("无法读取此文件")
    assert not vm.value("attachments")
    vm.set_value("attachments.signature", {"strokes": [[(1, 1)]], "size": (400, 160)})
    assert vm.errors["attachments.signature"] == "请先签名"
    vm.set_value("attachments.signature", {"strokes": STROKES, "size": (400, 160)})
    first = vm.value("attachments")[0]["sha256"]
    redo = [*STROKES, [(5, 5), (300, 100)]]
    vm.set_value("attachments.signature", {"strokes": redo, "size": (400, 160)})
    sigs = [a for a in vm.value("attachments") if a["kind"] == "signature"]
    assert len(sigs) == 1 and sigs[0]["sha256"] != first
    vm.set_value("attachments.signature", {"remove": sigs[0]["sha256"]})
    assert vm.value("attachments") == []
    # the draft keeps the files across a restart of the form
    vm.set_value("attachments.house_photo", {"file": photo_file(tmp_path)})
    again = VisitFormViewModel(store, **SYNC)
    again.open_new(hid(5))
    assert [a["kind"] for a in again.value("attachments")] == ["house_photo"]


def test_locate_again_uses_the_new_source(store):
    seed_household(store, 6)
    vm = VisitFormViewModel(store, **SYNC)
    vm.open_new(hid(6))
    vm.start_location(FakeLocationSource("27.0,108.0,5"))
    assert vm.value("gps")["lat"] == 27.0 and vm.display("gps").endswith("±5 米")


def test_storage_running_low_warns_the_worker(store, tmp_path, monkeypatch):
    monkeypatch.setenv("TIANYE_EVIDENCE_STORAGE_MB", "10")
    seed_household(store, 7)
    vm = VisitFormViewModel(store, **SYNC)
    vm.open_new(hid(7))
    vm.evidence().limit_bytes = 4 * 1024  # a nearly full phone (the photo is bigger)
    vm.set_value("attachments.house_photo", {"file": photo_file(tmp_path)})
    assert vm.space_warning.startswith("照片存储空间即将用完")
    assert vm.message == vm.space_warning
    assert vm.evidence_items("attachments.house_photo")[0]["state"] == "pending"  # kept
