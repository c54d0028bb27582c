""" "Photos on Wi-Fi only" as a setting (stored with the session, default off, overridden by
TIANYE_PHOTOS_WIFI_ONLY), and the pure lines that say what of the files is left. The runs
against the real server are in tests/contract/test_phone_evidence_rest.py."""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="tianye-kivy-home-"))

import pytest

from mobile_app.i18n import translate
from mobile_app.store import Store
from mobile_app.store.files import StoredFile
from mobile_app.sync.files import WIFI_ONLY_ENV, PendingSummary, summarize, wifi_only_setting
from mobile_app.viewmodels import SettingsViewModel
from mobile_app.viewmodels.attention import files_lines
from mobile_app.viewmodels.settings import Preferences
from tests.mobile_app.test_viewmodels import SYNC


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "phone.sqlite3") as s:
        yield s


def settings(store: Store, tmp_path) -> SettingsViewModel:
    return SettingsViewModel(store, Preferences(tmp_path / "prefs.json"), **SYNC)


def test_the_setting_is_off_by_default_kept_in_the_store_and_survives_a_user_switch(
    store, tmp_path, monkeypatch
):
    monkeypatch.delenv(WIFI_ONLY_ENV, raising=False)
    vm = settings(store, tmp_path)
    assert vm.photos_wifi_only is False and vm.wifi_only_note == ""
    vm.set_photos_wifi_only(True)
    assert store.session.photos_wifi_only() is True
    store.session.save_login(server_url="http://a", user={"username": "wang"}, token="t", grids=[])
    store.session.clear_token()  # signing out keeps it
    store.session.save_login(server_url="http://a", user={"username": "li"}, token="t", grids=[])
    assert settings(store, tmp_path).photos_wifi_only is True
    vm.set_photos_wifi_only(False)
    assert settings(store, tmp_path).photos_wifi_only is False


@pytest.mark.parametrize(
    ("env", "stored", "in_force"),
    [("", True, True), ("", False, False), ("1", False, True), ("0", True, False),
     ("yes", False, True), ("later", True, True)],
)  # fmt: skip
def test_the_environment_overrides_the_stored_setting(env, stored, in_force):
    assert wifi_only_setting(stored, {WIFI_ONLY_ENV: env}) is in_force


def test_the_settings_screen_says_when_the_environment_decides(store, tmp_path, monkeypatch):
    monkeypatch.setenv(WIFI_ONLY_ENV, "1")
    vm = settings(store, tmp_path)
    assert vm.wifi_only_note == "当前由环境变量 TIANYE_PHOTOS_WIFI_ONLY 决定（开启）"
    vm.set_language("en")
    assert vm.wifi_only_note == "Set by TIANYE_PHOTOS_WIFI_ONLY for now (On)"


def row(sha: str, kind: str = "house_photo", **over) -> StoredFile:
    base = {
        "sha256": sha * 64, "visit_id": "v", "kind": kind, "mime": "image/jpeg", "size": 2048,
        "width": 1, "height": 1, "taken_at": None, "local": "full", "remote": "pending",
        "upload_offset": 0, "upload_error": None, "created_at": "t", "last_used_at": "t",
        "uploaded_at": None,
    }  # fmt: skip
    return StoredFile(**{**base, **over})


def test_pending_files_are_summed_by_what_keeps_them_here():
    summary = summarize(
        [
            row("a"),
            row("b", upload_offset=1024),  # half sent: only what is left counts
            row("c", kind="signature", size=1000),
            row("d", local="missing"),
            row("e", upload_error="422: not an image"),
        ]
    )
    assert summary == PendingSummary(
        waiting=3, waiting_bytes=2048 + 1024 + 1000, photos=2, photo_bytes=3072,
        missing=1, refused=1,
    )  # fmt: skip


def tr_zh(key: str, **fmt: object) -> str:
    return translate(key, "zh", **fmt)


def tr_en(key: str, **fmt: object) -> str:
    return translate(key, "en", **fmt)


@pytest.mark.parametrize(
    ("summary", "held", "zh", "en"),
    [
        (PendingSummary(), False, [], []),
        (
            PendingSummary(waiting=3, waiting_bytes=3 * 1024, photos=3, photo_bytes=3 * 1024),
            True,
            ["3张照片等待Wi-Fi（3KB）"],
            ["Photos waiting for Wi-Fi: 3 (3 KB)"],
        ),
        (
            PendingSummary(waiting=3, waiting_bytes=4000, photos=2, photo_bytes=3000),
            True,
            ["2张照片等待Wi-Fi（3KB）", "还有1个文件（1KB）未上传，下次同步继续"],
            ["Photos waiting for Wi-Fi: 2 (3 KB)",
             "Files not uploaded yet: 1 (1 KB), they go with the next sync"],
        ),
        (
            PendingSummary(waiting=2, waiting_bytes=2048, photos=2, photo_bytes=2048),
            False,  # not held back (setting off, or cut off): they simply wait
            ["还有2个文件（2KB）未上传，下次同步继续"],
            ["Files not uploaded yet: 2 (2 KB), they go with the next sync"],
        ),
        (
            PendingSummary(missing=1, refused=2),
            True,
            ["1个文件丢失，请在走访中重拍", "2个文件被服务器拒收，请在走访中查看"],
            ["Files missing: 1 (retake them in the visit)",
             "Files refused by the server: 2 (see the visit)"],
        ),
    ],
)  # fmt: skip
def test_what_is_left_in_both_languages(summary, held, zh, en):
    assert files_lines(summary, held, tr_zh) == zh
    assert files_lines(summary, held, tr_en) == en


def test_home_says_it_short():
    summary = PendingSummary(waiting=3, waiting_bytes=9000, photos=3, photo_bytes=9000)
    assert files_lines(summary, True, tr_zh, sizes=False) == ["3张照片等待Wi-Fi"]
    assert files_lines(summary, False, tr_en, sizes=False) == ["Photos and signatures to upload: 3"]
