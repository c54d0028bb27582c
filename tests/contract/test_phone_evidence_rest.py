"""The phone's evidence against the real server (SQLite and PostgreSQL), through the
view-models the screens show: "photos on Wi-Fi only" holds the photos back on a metered
network (the signature still goes) and the sync screen and home say "2 photos wait for
Wi-Fi", not "done"; after the run the sync screen says what is left (missing, refused) or
"all files sent"; another phone fetches the full photo on demand (thumbnail first), keeps it
in its bounded vault as evictable, shows it, and says so when a fetch fails."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from PIL import Image, ImageFilter

from mobile_app.evidence.eviction import plan_space
from mobile_app.evidence.photo import prepare_photo
from mobile_app.store import files as files_table
from mobile_app.sync import SyncRunner
from mobile_app.sync.files import evidence_for
from mobile_app.viewmodels import GridViewModel, SyncViewModel, VisitFormViewModel
from tests.contract import test_sync_contract
from tests.contract.test_sync_contract import Phone
from tests.mobile_app.test_viewmodels import SYNC, fill_valid_visit
from tests.ui.kivy.seed import NOW, hid, seed_household

world = test_sync_contract.world  # the fixture: a live server, seeded users, phones
HOUSE, WATER, SIGN = "attachments.house_photo", "attachments.water_photo", "attachments.signature"
STROKES = [[(10 + i * 5, 40 + (i % 6) * 6) for i in range(50)]]


def photo(tmp_path: Any, name: str, seed: int) -> str:
    size = (1400, 1050)
    image = Image.merge(
        "RGB",
        [
            Image.effect_noise(size, 30 + seed).filter(ImageFilter.GaussianBlur(2)),
            Image.linear_gradient("L").resize(size),
            Image.effect_noise(size, 20),
        ],
    )
    path = tmp_path / name
    image.save(path, "JPEG", quality=90)
    return str(path)


def sync_vm(p: Phone, metered: Callable[[], bool]) -> SyncViewModel:
    """The sync screen's view-model over a real runner (its thread made synchronous)."""

    def runner(on_progress: Callable[[Any], None]) -> SyncRunner:
        return SyncRunner(
            p.store, p.client, now=lambda: NOW, on_progress=on_progress, sleep=lambda _s: None,
            random=lambda: 0.0, metered=metered,
        )  # fmt: skip

    return SyncViewModel(p.store, runner, **SYNC)


def visit_with_evidence(p: Phone, tmp_path: Any) -> VisitFormViewModel:
    seed_household(p.store, 1)
    vm = VisitFormViewModel(p.store, **SYNC)
    vm.open_new(hid(1))
    fill_valid_visit(vm)
    vm.set_value(HOUSE, {"file": photo(tmp_path, "house.jpg", 1)})
    vm.set_value(WATER, {"file": photo(tmp_path, "water.jpg", 2)})
    vm.set_value(SIGN, {"strokes": STROKES, "size": (400, 160)})
    assert vm.save() is True, (vm.errors, vm.form_errors)
    return vm


def home(p: Phone, lang: str = "zh") -> str:
    grid = GridViewModel(p.store, **SYNC)
    grid.lang = lang
    return grid.status_text


def test_photos_wait_for_wifi_then_go_and_every_screen_says_so(world, tmp_path):
    _url, phone, _console, _admin = world
    a = phone("wang")
    vm = visit_with_evidence(a, tmp_path)
    rows = files_table.files_of_visit(a.store.db, vm.record_id)
    photos = [r for r in rows if r.kind != "signature"]
    assert len(rows) == 3 and len(photos) == 2

    # default off: a metered network changes nothing
    assert a.store.session.photos_wifi_only() is False
    # on, on mobile data: the records and the signature go, the photos wait
    a.store.session.set_photos_wifi_only(True)
    metered = {"now": True}
    screen = sync_vm(a, lambda: metered["now"])
    progress: list[Any] = []
    screen.bind(phase_text=lambda _vm, text: progress.append(text))
    assert screen.start() is True
    assert screen.error == "" and screen.pending_count == 0
    assert screen.phase_text == "同步完成"  # the records are done ...
    kb = (sum(r.size for r in photos) + 1023) // 1024
    assert screen.files_text == f"2张照片等待Wi-Fi（{kb}KB）"  # ... but not the photos
    assert screen.files_left is True
    states = {r.kind: r.remote for r in files_table.files_of_visit(a.store.db, vm.record_id)}
    assert states == {"house_photo": "pending", "water_photo": "pending", "signature": "uploaded"}
    assert "2张照片等待Wi-Fi" in home(a).splitlines()
    assert "Photos waiting for Wi-Fi: 2" in home(a, "en").splitlines()
    screen.lang = "en"
    screen.refresh()
    assert screen.files_text == f"Photos waiting for Wi-Fi: 2 ({kb} KB)"
    screen.lang = "zh"

    # the worker turns the setting off: the photos are no longer "waiting for Wi-Fi"
    a.store.session.set_photos_wifi_only(False)
    assert "照片和签名待上传2个" in home(a).splitlines()
    a.store.session.set_photos_wifi_only(True)

    # on Wi-Fi: they go, with the bar following their bytes, and the screens say so
    metered["now"] = False
    assert screen.start() is True
    assert any(t.startswith("正在上传照片：剩余 2 个文件") for t in progress), progress
    assert screen.files_text == "所有照片和签名已上传" and screen.files_left is False
    assert all(r.remote == "uploaded" for r in files_table.files_of_visit(a.store.db, vm.record_id))
    assert not any("Wi-Fi" in line or "上传" in line for line in home(a).splitlines()[2:])


def test_after_the_run_the_sync_screen_says_what_is_left(world, tmp_path):
    _url, phone, _console, _admin = world
    a = phone("wang")
    vm = visit_with_evidence(a, tmp_path)
    evidence = evidence_for(a.store.db)
    rows = {r.kind: r for r in files_table.files_of_visit(a.store.db, vm.record_id)}
    evidence.vault.drop_full(rows["house_photo"].sha256)  # gone from the phone
    # a JPEG declared as a PNG: the server checks the bytes against the declared type
    liar = prepare_photo(_jpeg(4))
    evidence.add(replace(liar, mime="image/png"), kind="document", visit_id=None, now="2024")
    screen = sync_vm(a, lambda: False)
    assert screen.start() is True and screen.error == ""
    assert screen.files_text.splitlines() == [
        "1个文件丢失，请在走访中重拍",
        "1个文件被服务器拒收，请在走访中查看",
    ]
    assert screen.files_left is True and screen.phase_text == "同步完成"
    screen.lang = "en"
    screen.refresh()
    assert screen.files_text.splitlines() == [
        "Files missing: 1 (retake them in the visit)",
        "Files refused by the server: 1 (see the visit)",
    ]
    assert "1个文件丢失，请在走访中重拍" in home(a).splitlines()


def _jpeg(seed: int) -> bytes:
    out = io.BytesIO()
    Image.effect_noise((500, 400), 20 + seed).convert("RGB").save(out, "JPEG", quality=85)
    return out.getvalue()


def test_another_phone_fetches_the_full_photo_on_demand(world, tmp_path):
    _url, phone, _console, _admin = world
    a, b = phone("wang"), phone("wang")
    vm = visit_with_evidence(a, tmp_path)
    assert sync_vm(a, lambda: False).start() is True
    house = next(
        r for r in files_table.files_of_visit(a.store.db, vm.record_id) if r.kind == "house_photo"
    )
    original = evidence_for(a.store.db).read(house.sha256)
    assert sync_vm(b, lambda: False).start() is True

    other = VisitFormViewModel(b.store, **SYNC)
    other.open_existing(vm.record_id)
    [item] = other.evidence_items(HOUSE)
    assert item["state"] == "remote" and item["thumb"] is None  # nothing fetched by itself
    assert files_table.get_file(b.store.db, house.sha256) is None
    shown: list[int] = []
    other.bind(values=lambda *_: shown.append(1))  # what makes the widgets show it again
    other.set_value(HOUSE, {"fetch": house.sha256})  # thumbnail first
    assert shown
    [item] = other.evidence_items(HOUSE)
    assert item["thumb"] and item["text"] == "在服务器上（点按缩略图看原图）"
    assert files_table.get_file(b.store.db, house.sha256) is None  # still no full file

    other.set_value(HOUSE, {"view": house.sha256})  # a tap on the thumbnail
    assert other.viewing is not None and other.viewing["data"] == original
    assert other.fetching == "" and HOUSE not in other.errors
    kept = files_table.get_file(b.store.db, house.sha256)
    assert kept is not None and (kept.local, kept.remote) == ("full", "uploaded")
    assert evidence_for(b.store.db).vault.read(house.sha256) == original  # sealed in the vault
    # counted in the storage bound, and evictable (the server holds it)
    plan = plan_space(files_table.all_files(b.store.db), incoming=1, limit=kept.size)
    assert plan.evict == (house.sha256,)
    other.close_full()
    assert other.viewing is None
    [item] = other.evidence_items(HOUSE)
    assert item["state"] == "uploaded"

    # a second view reads the vault (no network needed)
    other.store.session.save_login(
        server_url="http://127.0.0.1:9", user=b.store.session.get().user, token="t", grids=[]
    )
    other.set_value(HOUSE, {"view": house.sha256})
    assert other.viewing["data"] == original
    other.close_full()

    # a fetch that fails says so next to the field and keeps the thumbnail
    water = next(
        r for r in files_table.files_of_visit(a.store.db, vm.record_id) if r.kind == "water_photo"
    )
    other.set_value(WATER, {"view": water.sha256})
    assert other.viewing is None
    assert other.errors[WATER] == "无法获取原图（没有网络），仍显示缩略图"
    other.lang = "en"
    assert other.errors[WATER] == (
        "Could not fetch the full photo (no network); the thumbnail stays"
    )
    assert files_table.get_file(b.store.db, water.sha256) is None
    # the thumbnail cannot come either: said too, the visit still saves
    other.set_value(WATER, {"fetch": water.sha256})
    assert other.errors[WATER] == "Could not fetch the thumbnail: try again with a network"


def test_a_thumbnail_tap_returns_at_once_and_the_thumbnail_comes_later(world, tmp_path):
    """Before: the tap fetched the thumbnail on the UI thread (seconds of a frozen screen on
    2G). Now the tap only starts the fetch; the screen says so and shows it when it comes."""
    _url, phone, _console, _admin = world
    a, b = phone("wang"), phone("wang")
    vm = visit_with_evidence(a, tmp_path)
    assert sync_vm(a, lambda: False).start() is True
    assert sync_vm(b, lambda: False).start() is True
    house = next(
        r for r in files_table.files_of_visit(a.store.db, vm.record_id) if r.kind == "house_photo"
    )
    jobs: list[Callable[[], None]] = []
    other = VisitFormViewModel(b.store, spawn=jobs.append, post=lambda fn: fn())
    other.open_existing(vm.record_id)
    other.set_value(HOUSE, {"fetch": house.sha256})
    assert len(jobs) == 1  # started, not done: the tap has returned
    assert other.fetching == house.sha256 and other.message == "正在获取缩略图…"
    [item] = other.evidence_items(HOUSE)
    assert item["thumb"] is None
    other.set_value(HOUSE, {"fetch": house.sha256})  # a second tap while it runs: no second fetch
    assert len(jobs) == 1
    jobs.pop()()  # the background thread's work, then its answer on the UI thread
    assert other.fetching == "" and other.message == ""
    [item] = other.evidence_items(HOUSE)
    assert item["thumb"] and HOUSE not in other.errors
