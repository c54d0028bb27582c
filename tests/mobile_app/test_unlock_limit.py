"""The offline PIN attempt limit: real key files (cheap scrypt), the vault, the sign-in screen.

After `MAX_UNLOCK_ATTEMPTS` wrong PINs in a row offline entry is refused until an online
sign-in with the password; the count is in the key file (it survives a restart), is raised
before the derivation, is reset by a right PIN, and a wrong PIN never touches the database.
"""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="tianye-kivy-home-"))

import hashlib
from pathlib import Path

import pytest

from mobile_app.store import cipher, keyfile
from mobile_app.store.keyfile import SCRYPT_PARAMS, WrongSecret
from mobile_app.store.vault import (
    MAX_UNLOCK_ATTEMPTS,
    StoreVault,
    UnlockLockedOut,
    WrongUnlockSecret,
)
from mobile_app.viewmodels import SignInViewModel
from tests.ui.kivy.seed import hid, seed_household

PIN, PASSWORD = "246810", "tianye2026"
USER = {"id": "u1", "username": "wang", "role": "worker", "display_name": "王网格"}
SYNC = {"spawn": lambda fn: fn(), "post": lambda fn: fn()}


@pytest.fixture(autouse=True)
def cheaper_kdf(monkeypatch):
    monkeypatch.setitem(SCRYPT_PARAMS, "n", 2**12)


@pytest.fixture(autouse=True)
def plaintext_without_sqlcipher(monkeypatch):
    """The limit lives in the key file, not in SQLCipher: run where the driver is missing."""
    if not cipher.available():
        monkeypatch.setenv("TIANYE_ALLOW_PLAINTEXT_STORE", "1")


def signed_in(data_dir: Path) -> StoreVault:
    vault = StoreVault(data_dir)
    store = vault.open_after_login(
        username="wang", password=PASSWORD, pin=PIN, user=USER, server_url="http://srv"
    )
    store.session.save_login(server_url="http://srv", user=USER, token="tok", grids=["g-001"])
    seed_household(store, 1)
    vault.lock()
    return vault


def db_digest(vault: StoreVault) -> str:
    files = [vault.path, *cipher.side_files(vault.path)]
    return hashlib.sha256(b"".join(p.read_bytes() for p in files if p.exists())).hexdigest()


def login(vault: StoreVault, pin: str = "") -> None:
    vault.open_after_login(
        username="wang", password=PASSWORD, pin=pin, user=USER, server_url="http://srv"
    )


# -- the vault ------------------------------------------------------------------------------
def test_five_wrong_pins_lock_offline_entry_and_never_touch_the_data(tmp_path, monkeypatch):
    vault = signed_in(tmp_path)
    before = db_digest(vault)
    left = []
    for n in range(MAX_UNLOCK_ATTEMPTS):
        with pytest.raises(WrongUnlockSecret) as err:
            vault.unlock_with_pin(f"00000{n}")
        left.append(err.value.remaining)
        assert vault.store is None
    assert left == [4, 3, 2, 1, 0]
    assert vault.profile()["unlock_tries_left"] == 0
    # locked out: even the right PIN (and the offline password) is refused, without a derivation
    derivations = []
    monkeypatch.setattr(keyfile, "derive_kek", lambda *a: derivations.append(a) or b"")
    for attempt in (
        lambda: vault.unlock_with_pin(PIN),
        lambda: vault.unlock_with_password(PASSWORD),
    ):
        with pytest.raises(UnlockLockedOut):
            attempt()
    assert derivations == [] and vault.store is None
    assert db_digest(vault) == before


def test_the_count_survives_a_restart_and_a_right_pin_resets_it(tmp_path):
    vault = signed_in(tmp_path)
    for wrong in ("1111", "2222", "3333"):
        with pytest.raises(WrongSecret):
            vault.unlock_with_pin(wrong)
    restarted = StoreVault(tmp_path)  # a new process reads the key file again
    assert restarted.unlock_tries_left() == 2
    assert restarted.profile()["failed_unlocks"] == 3
    with pytest.raises(WrongUnlockSecret) as err:
        restarted.unlock_with_pin("4444")
    assert err.value.remaining == 1
    store = restarted.unlock_with_pin(PIN)
    assert store.households.get(hid(1)) is not None
    restarted.lock()
    assert StoreVault(tmp_path).unlock_tries_left() == MAX_UNLOCK_ATTEMPTS


def test_online_sign_in_with_the_password_resets_the_count(tmp_path):
    vault = signed_in(tmp_path)
    for n in range(MAX_UNLOCK_ATTEMPTS):
        with pytest.raises(WrongSecret):
            vault.unlock_with_pin(f"99999{n}")
    with pytest.raises(UnlockLockedOut):
        vault.unlock_with_pin(PIN)
    login(vault)  # the server accepted the password
    assert vault.store is not None and vault.store.households.get(hid(1)) is not None
    vault.lock()
    assert vault.unlock_tries_left() == MAX_UNLOCK_ATTEMPTS
    vault.unlock_with_pin(PIN).close()
    vault.lock()


def test_a_try_is_counted_before_the_derivation(tmp_path, monkeypatch):
    """Killing the app while scrypt runs must not give the guesser a free try."""
    vault = signed_in(tmp_path)

    def killed(*_a):
        raise KeyboardInterrupt  # stands for the process dying mid-derivation

    monkeypatch.setattr(keyfile, "derive_kek", killed)
    with pytest.raises(KeyboardInterrupt):
        vault.unlock_with_pin("123456")
    assert StoreVault(tmp_path).keys.failed_unlocks() == 1


def test_a_wrong_offline_password_counts_too(tmp_path):
    vault = StoreVault(tmp_path)
    vault.open_after_login(
        username="wang", password=PASSWORD, pin="", user=USER, server_url="http://srv"
    )
    vault.lock()
    with pytest.raises(WrongUnlockSecret) as err:
        vault.unlock_with_password("guess")
    assert err.value.remaining == MAX_UNLOCK_ATTEMPTS - 1
    vault.unlock_with_password(PASSWORD)
    vault.lock()
    assert vault.unlock_tries_left() == MAX_UNLOCK_ATTEMPTS


# -- the sign-in view-model -----------------------------------------------------------------
def answer():
    return {"token": "tok-2", "user": USER, "grids": ["g-001"]}


def test_sign_in_screen_shows_tries_left_then_the_lock_out(tmp_path):
    vault = signed_in(tmp_path)
    before = db_digest(vault)
    vm = SignInViewModel(vault, lambda *a: answer(), **SYNC)
    assert vm.can_open_offline and not vm.locked_out and vm.pin_note == ""
    vm.pin = "1111"
    vm.open_offline()
    assert (
        vm.error == "PIN 码不正确" and vm.pin_note == "PIN 码还可尝试 4 次\n用完后须联网用密码登录"
    )
    vm.lang = "en"
    assert vm.pin_note.startswith("4 PIN tries left")
    for wrong in ("2222", "3333", "4444"):
        vm.pin = wrong
        vm.open_offline()
    assert vm.unlock_tries_left == 1 and vm.pin_note.startswith("1 PIN tries left")
    vm.pin = "5555"
    vm.open_offline()
    assert vm.locked_out and not vm.signed_in
    assert vm.error == "Too many wrong PINs; sign in online with your password"
    assert vm.pin_note.startswith("Wrong PIN 5 times in a row")
    vm.lang = "zh"
    assert vm.pin_note.startswith("PIN 码已连续输错 5 次")
    # the right PIN is refused at once now (no derivation, no thread)
    vm.pin = PIN
    assert vm.open_offline() is False and not vm.signed_in
    assert db_digest(vault) == before

    # a restart shows the same state, from the key file
    again = SignInViewModel(StoreVault(tmp_path), lambda *a: answer(), **SYNC)
    assert again.locked_out and again.pin_note.startswith("PIN 码已连续输错")

    # the online sign-in with the password lifts it
    again.server_url, again.username, again.password = "http://srv", "wang", PASSWORD
    assert again.sign_in()
    assert again.signed_in and not again.locked_out and again.pin_note == ""
    again.vault.lock()
    after = SignInViewModel(again.vault, lambda *a: answer(), **SYNC)
    assert after.unlock_tries_left == MAX_UNLOCK_ATTEMPTS
    after.pin = PIN
    after.open_offline()
    assert after.signed_in
    after.vault.lock()
