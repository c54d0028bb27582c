"""The Android-only parts of the evidence issue, with fake `jnius` and `android.permissions`
modules put in `sys.modules` (Android cannot run here; this is the one place a fake is right):
the metered-network check, runtime permissions asked at the moment of use, the GPS source
that asks for the location first, and the visit form's camera and gallery after their
permission. What the fakes stand for is python-for-android's and pyjnius' documented API; a
phone checks the rest (docs/android.md)."""

from __future__ import annotations

import configparser
import io
import os
import sys
import tempfile
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="tianye-kivy-home-"))

import pytest
from PIL import Image

from mobile_app.evidence import capture, permissions
from mobile_app.evidence.location import FAKE_ENV, PlyerLocationSource, source_for, status_text
from mobile_app.store import Store
from mobile_app.sync.connectivity import (
    METERED_ENV,
    AndroidMetered,
    AndroidNetwork,
    metered_for,
    never_metered,
)
from mobile_app.viewmodels import VisitFormViewModel
from tests.mobile_app.test_viewmodels import SYNC
from tests.ui.kivy.seed import hid, seed_household

ROOT = Path(__file__).resolve().parents[2]


# -- a fake pyjnius ------------------------------------------------------------------------
class FakeManager:
    """android.net.ConnectivityManager as pyjnius shows it."""

    def __init__(self, metered: bool | Exception) -> None:
        self.metered = metered
        self.calls = 0

    def isActiveNetworkMetered(self) -> bool:  # the Java method's name
        self.calls += 1
        if isinstance(self.metered, Exception):
            raise self.metered
        return self.metered


def fake_jnius(manager: FakeManager, asked: list[str]) -> types.ModuleType:
    """`jnius.autoclass` giving PythonActivity.mActivity and Context, as on a phone."""

    class Activity:
        def getSystemService(self, name: str) -> FakeManager:
            asked.append(name)
            return manager

    classes = {
        "org.kivy.android.PythonActivity": types.SimpleNamespace(mActivity=Activity()),
        "android.content.Context": types.SimpleNamespace(CONNECTIVITY_SERVICE="connectivity"),
    }
    module = types.ModuleType("jnius")
    module.autoclass = classes.__getitem__  # type: ignore[attr-defined]
    return module


class JavaException(Exception):
    """What pyjnius raises for a Java exception (jnius.JavaException)."""


def test_the_check_imports_pyjnius_on_the_thread_that_makes_it(monkeypatch):
    """pyjnius detaches only threads started after its import: the UI thread imports it."""
    monkeypatch.delitem(sys.modules, "jnius", raising=False)
    imported: list[str] = []
    real_import = __import__

    def spy(name: str, *args: Any, **kw: Any) -> Any:
        if name == "jnius":
            imported.append(name)
            return fake_jnius(FakeManager(False), [])
        return real_import(name, *args, **kw)

    monkeypatch.setattr("builtins.__import__", spy)
    metered_for("android", env={})
    assert imported == ["jnius"]


@pytest.mark.parametrize("answer", [True, False])
def test_android_metered_asks_the_connectivity_manager(monkeypatch, answer):
    manager, asked = FakeManager(answer), []
    monkeypatch.setitem(sys.modules, "jnius", fake_jnius(manager, asked))
    check = metered_for("android", env={})
    assert isinstance(check, AndroidMetered)
    assert check() is answer
    assert check() is answer  # the manager is looked up once, asked every time
    assert asked == ["connectivity"] and manager.calls == 2


@pytest.mark.parametrize(
    "failure",
    [JavaException("SecurityException: ACCESS_NETWORK_STATE"), RuntimeError("bridge down")],
)
def test_a_failing_java_call_counts_as_metered(monkeypatch, failure):
    """The safe side for "photos on Wi-Fi only": photos wait rather than use mobile data."""
    monkeypatch.setitem(sys.modules, "jnius", fake_jnius(FakeManager(failure), []))
    assert AndroidMetered()() is True


def test_no_jnius_at_all_counts_as_metered(monkeypatch):
    monkeypatch.setitem(sys.modules, "jnius", None)  # import jnius → ImportError
    assert AndroidMetered()() is True


def test_desktop_is_never_metered_and_the_environment_overrides_both(monkeypatch):
    monkeypatch.setitem(sys.modules, "jnius", None)
    assert metered_for("linux", env={}) is never_metered and never_metered() is False
    assert metered_for("linux", env={METERED_ENV: "1"})() is True
    assert metered_for("android", env={METERED_ENV: "0"})() is False
    assert metered_for("linux", env={METERED_ENV: "maybe"})() is False  # not a yes/no: ignored


def test_the_reachability_check_shares_the_manager_lookup(monkeypatch):
    class Info:
        def isConnected(self) -> bool:
            return True

    manager = FakeManager(False)
    manager.getActiveNetworkInfo = lambda: Info()  # type: ignore[attr-defined]
    asked: list[str] = []
    monkeypatch.setitem(sys.modules, "jnius", fake_jnius(manager, asked))
    network = AndroidNetwork(types.SimpleNamespace(check=lambda: True))
    network._manager = None
    assert network.has_network() is True and asked == ["connectivity"]


# -- a fake android.permissions ------------------------------------------------------------
class FakePermissions:
    """python-for-android's `android.permissions`: check_permission and the callback-based
    request_permissions (the answer is given later, as Android's dialog would)."""

    def __init__(self, held: set[str] | None = None) -> None:
        self.held = set(held or ())
        self.requests: list[tuple[list[str], Callable[..., None]]] = []

    def check_permission(self, permission: str) -> bool:
        return permission in self.held

    def request_permissions(self, perms: list[str], callback: Callable[..., None]) -> None:
        self.requests.append((list(perms), callback))

    def answer(self, grants: list[bool]) -> None:
        """The worker answers the dialog of the last request."""
        perms, callback = self.requests[-1]
        callback(perms if grants else [], grants)


@pytest.fixture
def android(monkeypatch) -> Iterator[FakePermissions]:
    fake = FakePermissions()
    package = types.ModuleType("android")
    package.__path__ = []  # type: ignore[attr-defined]
    module = types.ModuleType("android.permissions")
    module.check_permission = fake.check_permission  # type: ignore[attr-defined]
    module.request_permissions = fake.request_permissions  # type: ignore[attr-defined]
    package.permissions = module  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "android", package)
    monkeypatch.setitem(sys.modules, "android.permissions", module)
    yield fake


def test_nothing_is_asked_off_android(android):
    got: list[bool] = []
    permissions.ask("camera", got.append, platform="linux")
    assert got == [True] and android.requests == []


@pytest.mark.parametrize(
    ("need", "grants", "granted"),
    [
        ("camera", [True], True),
        ("camera", [False], False),
        ("camera", [], False),  # the dialog was interrupted: Android answers with nothing
        ("location", [True, False], True),  # fine refused, coarse (approximate) allowed
        ("location", [False, True], True),
        ("location", [False, False], False),
        ("photos", [False, True], True),  # the other of the two does not exist on this phone
    ],
)
def test_the_dialogs_answer_is_delivered_through_post(android, need, grants, granted):
    got: list[bool] = []
    posted: list[Callable[[], None]] = []
    permissions.ask(need, got.append, platform="android", post=posted.append)
    asked, _ = android.requests[0]
    assert asked == list(permissions.NEEDS[need][0])
    assert got == []  # nothing before the worker answers
    android.answer(grants)
    assert got == [] and len(posted) == 1  # the answer comes on Android's thread: posted
    posted[0]()
    assert got == [granted]


def test_a_held_permission_is_not_asked_again(android):
    android.held = {permissions.COARSE_LOCATION}
    got: list[bool] = []
    permissions.ask("location", got.append, platform="android")
    assert got == [True] and android.requests == []


def test_without_python_for_androids_module_nothing_is_granted(monkeypatch):
    monkeypatch.setitem(sys.modules, "android.permissions", None)
    got: list[bool] = []
    permissions.ask("camera", got.append, platform="android")
    assert got == [False]


def test_every_permission_asked_is_in_the_manifest():
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(ROOT / "buildozer.spec", encoding="utf-8")
    declared = {p.strip() for p in parser["app"]["android.permissions"].split(",")}
    for need, (names, _) in permissions.NEEDS.items():
        for name in names:
            assert name.removeprefix("android.permission.") in declared, (need, name)


# -- GPS: the location permission first ------------------------------------------------------
class FakeGps:
    def __init__(self) -> None:
        self.started = 0
        self.stopped = 0
        self.callbacks: dict[str, Any] = {}

    def configure(self, **callbacks: Any) -> None:
        self.callbacks = callbacks

    def start(self, **_kw: Any) -> None:
        self.started += 1

    def stop(self) -> None:
        self.stopped += 1


def test_refused_location_is_no_fix_with_the_reason_and_no_gps(android):
    gps, states = FakeGps(), []
    source = PlyerLocationSource(gps)
    source.start(states.append)
    assert [s.status for s in states] == ["waiting"]
    android.answer([False, False])
    assert states[-1].status == "no_fix" and states[-1].reason == "permission_denied"
    assert status_text(states[-1], "zh") == "无法定位：未允许使用定位"
    assert status_text(states[-1], "en") == "No fix: location permission refused"
    assert gps.started == 0


def test_allowed_location_starts_the_gps_and_posts_its_fix(android):
    gps, states, posted = FakeGps(), [], []
    source = PlyerLocationSource(gps, post=posted.append)
    source.start(states.append)
    android.answer([True, True])
    posted.pop()()  # the permission's answer, on Kivy's thread
    assert gps.started == 1 and [s.status for s in states] == ["waiting"]
    gps.callbacks["on_location"](lat=26.566, lon=107.981, accuracy=9.0)
    assert len(states) == 1  # the fix arrives on Android's thread: posted, not reported there
    posted.pop()()
    assert states[-1].status == "fixed" and states[-1].fix.accuracy_m == 9.0
    source.stop()
    assert gps.stopped == 1


def test_an_answer_after_the_visit_closed_starts_nothing(android):
    gps, states = FakeGps(), []
    source = PlyerLocationSource(gps)
    source.start(states.append)
    source.stop()
    android.answer([True, True])
    assert gps.started == 0 and [s.status for s in states] == ["waiting"]


def test_android_without_a_fake_location_gets_the_plyer_source():
    assert isinstance(source_for({}, "android"), PlyerLocationSource)
    assert not isinstance(source_for({FAKE_ENV: "1,2,3"}, "android"), PlyerLocationSource)


# -- the visit form's camera and gallery ---------------------------------------------------
@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv(FAKE_ENV, "26.566,107.981,12")
    with Store(tmp_path / "phone.sqlite3") as s:
        yield s


def jpeg(path: Path) -> str:
    Image.new("RGB", (1600, 1200), (120, 90, 60)).save(path, "JPEG", quality=85)
    return str(path)


def android_visit(store: Store) -> VisitFormViewModel:
    seed_household(store, 1)
    vm = VisitFormViewModel(store, **SYNC)
    vm.platform = "android"
    vm.open_new(hid(1))
    return vm


def test_a_refused_camera_says_so_next_to_the_field_and_never_blocks_saving(android, store):
    from tests.mobile_app.test_viewmodels import fill_valid_visit

    vm = android_visit(store)
    opened: list[Any] = []
    vm.camera = opened.append
    path = "attachments.house_photo"
    vm.set_value(path, {"camera": True})
    assert android.requests[-1][0] == [permissions.CAMERA] and opened == []
    android.answer([False])
    assert vm.errors[path] == "未允许使用相机，可从相册选择" and opened == []
    vm.lang = "en"
    assert vm.errors[path] == "Camera not allowed: choose from the gallery instead"
    fill_valid_visit(vm)  # a routine visit: no photo needed, and the note blocks nothing
    assert vm.save() is True, (vm.errors, vm.form_errors)


def test_an_allowed_camera_opens_and_its_photo_is_attached(android, store, tmp_path):
    vm = android_visit(store)
    opened: list[Callable[[str], None]] = []
    vm.camera = opened.append
    path = "attachments.house_photo"
    vm.set_value(path, {"camera": True})
    android.answer([True])
    assert len(opened) == 1
    opened[0](jpeg(tmp_path / "taken.jpg"))  # the camera app answers with the file
    [item] = vm.evidence_items(path)
    assert item["state"] == "pending" and item["thumb"]
    assert path not in vm.errors


def test_the_gallery_asks_for_the_photos_then_attaches_the_chosen_one(android, store, tmp_path):
    vm = android_visit(store)
    chosen: list[Callable[[str], None]] = []
    vm.gallery = chosen.append
    path = "attachments.water_photo"
    vm.set_value(path, {"gallery": True})
    asked = android.requests[-1][0]
    assert asked == [permissions.READ_MEDIA_IMAGES, permissions.READ_EXTERNAL_STORAGE]
    android.answer([False, False])
    assert vm.errors[path] == "未允许读取相册，无法从相册选择" and chosen == []
    vm.set_value(path, {"gallery": True})
    android.answer([True, False])
    chosen[0](jpeg(tmp_path / "old.jpg"))
    assert len(vm.evidence_items(path)) == 1 and path not in vm.errors


def test_a_camera_that_fails_is_a_note_not_a_crash(android, store):
    vm = android_visit(store)

    def broken(_on_file: Any) -> None:
        raise RuntimeError("no camera app")

    vm.camera = broken
    android.held = {permissions.CAMERA}
    vm.set_value("attachments.house_photo", {"camera": True})
    assert vm.errors["attachments.house_photo"] == "无法取得照片：no camera app"


def test_plyer_camera_and_chooser_hand_back_a_path(tmp_path):
    class Camera:
        def take_picture(self, filename: str, on_complete: Callable[[str], bool]) -> None:
            Path(filename).write_bytes(b"jpeg")
            assert on_complete(filename) is False  # plyer keeps the file

    class Chooser:
        def open_file(self, filters: list[str], on_selection: Callable[..., None]) -> None:
            assert filters == ["image"]
            on_selection([None, str(tmp_path / "a.jpg")])
            on_selection([])  # cancelled: nothing

    got: list[str] = []
    capture.take_picture(got.append, camera=Camera())
    capture.choose_picture(got.append, chooser=Chooser())
    assert got[0].endswith(".jpg") and "tianye-camera-" in got[0]
    assert got[1] == str(tmp_path / "a.jpg") and len(got) == 2
    assert io.BytesIO(Path(got[0]).read_bytes()).read() == b"jpeg"
    Path(got[0]).unlink()
