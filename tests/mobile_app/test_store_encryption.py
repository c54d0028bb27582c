"""The phone's store at rest: real SQLCipher files, a real key file, no mocks.

What is checked: nothing sensitive is readable in the database or its WAL; a wrong PIN opens
nothing and changes nothing; the password copy opens it; a PIN change re-wraps the key only;
a store of the previous version is encrypted in place without losing a row (outbox included),
and a kill at any step of that leaves a store that opens with everything in it.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mobile_app.store import Store, cipher
from mobile_app.store.keyfile import SCRYPT_PARAMS, WrongSecret
from mobile_app.store.vault import CipherUnavailable, OtherUserData, StoreVault
from tests.ui.kivy.seed import head_name, hid, id_number, seed_household

pytestmark = pytest.mark.skipif(not cipher.available(), reason="sqlcipher3 is not installed")

ROOT = Path(__file__).resolve().parents[2]
PIN, PASSWORD = "246810", "tianye2026"
USER = {"id": "u1", "username": "wang", "role": "worker", "display_name": "王网格"}
CRASH_EXIT = 77


@pytest.fixture(autouse=True)
def cheaper_kdf(request, monkeypatch):
    """scrypt n=2^12 for the behaviour tests (the parameters travel with each wrapped copy);
    the real n=2^16 in the parameters test and in the crash children (own processes)."""
    if request.node.name != "test_scrypt_parameters_are_the_documented_ones":
        monkeypatch.setitem(SCRYPT_PARAMS, "n", 2**12)


def signed_in(data_dir: Path, *, pin: str = PIN, password: str = PASSWORD) -> StoreVault:
    """A phone right after its first online sign-in (the server said yes)."""
    vault = StoreVault(data_dir)
    store = vault.open_after_login(
        username="wang", password=password, pin=pin, user=USER, server_url="http://srv"
    )
    store.session.save_login(server_url="http://srv", user=USER, token="tok", grids=["g-001"])
    return vault


def secrets_of(n: int) -> list[bytes]:
    """The byte strings that must never be readable on disk: an ID number and a name."""
    from datetime import date

    birth = date(1970 + n % 20, 1 + n % 12, 1 + n % 27)
    return [id_number(n, 1, birth, "male").encode(), head_name(n).encode("utf-8")]


def disk_bytes(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in [path, *cipher.side_files(path)] if p.exists())


def file_digests(*paths: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for path in paths
        for p in [path, *cipher.side_files(path)]
        if p.exists()
    }


def table_counts(store: Store) -> dict[str, int]:
    names = [
        r[0]
        for r in store.db.query(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    return {n: store.db.query_one(f'SELECT count(*) FROM "{n}"')[0] for n in names}


def legacy_phone(data_dir: Path, households: int = 5) -> dict:
    """A store of the previous app version: plain SQLite, a PIN hash, unsynced work in WAL."""
    data_dir.mkdir(parents=True, exist_ok=True)
    store = Store(data_dir / "tianye.sqlite3")
    for n in range(1, households + 1):
        seed_household(store, n, visited="2024-05-20")
    store.session.save_login(server_url="http://srv", user=USER, token="tok", grids=["g-001"])
    store.session.set_pin(PIN)
    expected = {
        "counts": table_counts(store),
        "outbox": [(e.seq, e.record_id, e.data) for e in store.outbox.pending()],
        "client_id": store.session.client_id(),
    }
    store.close()
    return expected


# -- at rest --------------------------------------------------------------------------------
def test_no_id_number_or_name_in_the_database_or_its_wal(tmp_path):
    vault = signed_in(tmp_path)
    store = vault.store
    for n in range(1, 21):
        seed_household(store, n)
    path = vault.path
    assert path.with_name(path.name + "-wal").stat().st_size > 0  # still open: WAL holds pages
    on_disk = disk_bytes(path) + vault.keys.path.read_bytes()
    for n in range(1, 21):
        for secret in secrets_of(n):
            assert secret not in on_disk
    assert b"SQLite format 3" not in on_disk[:16]
    # the same work in a plain store is readable: the check above can fail
    with Store(tmp_path / "plain.sqlite3") as plain:
        seed_household(plain, 1)
        assert secrets_of(1)[0] in disk_bytes(tmp_path / "plain.sqlite3")
    vault.lock()


def test_the_sign_in_profile_needs_no_key_and_holds_no_record(tmp_path):
    vault = signed_in(tmp_path)
    seed_household(vault.store, 1)
    vault.lock()
    profile = StoreVault(tmp_path).profile()
    assert profile["username"] == "wang" and profile["display_name"] == "王网格"
    assert profile["signed_in"] and profile["has_pin"] and not profile["legacy"]
    text = vault.keys.path.read_text(encoding="utf-8")
    assert PIN not in text and PASSWORD not in text and secrets_of(1)[0].decode() not in text
    assert oct(vault.keys.path.stat().st_mode & 0o777) == "0o600"


def test_raw_key_without_the_vault_opens_nothing(tmp_path):
    vault = signed_in(tmp_path)
    vault.lock()
    with pytest.raises(cipher.WrongKey):
        cipher.connect(vault.path, os.urandom(32))


# -- PIN and password -----------------------------------------------------------------------
def test_wrong_pin_fails_and_changes_nothing(tmp_path):
    vault = signed_in(tmp_path)
    seed_household(vault.store, 1)
    vault.lock()
    before = file_digests(vault.path)
    keys_before = vault.keys.load()
    again = StoreVault(tmp_path)
    for wrong in ("000000", "24681", "", PASSWORD):
        with pytest.raises(WrongSecret):
            again.unlock_with_pin(wrong)
        assert again.store is None
    assert file_digests(vault.path) == before
    # the key file only counts the tries (the PIN attempt limit); its keys and profile stay
    assert vault.keys.load() == keys_before | {"failed_unlocks": 4}
    store = again.unlock_with_pin(PIN)
    assert store.households.get(hid(1)) is not None
    again.lock()


def test_password_copy_opens_offline_and_after_a_forgotten_pin(tmp_path):
    vault = signed_in(tmp_path)
    seed_household(vault.store, 2)
    vault.lock()
    again = StoreVault(tmp_path)
    with pytest.raises(WrongSecret):
        again.unlock_with_password("not-it")
    store = again.unlock_with_password(PASSWORD)
    assert store.households.get(hid(2)).data["head_name"] == head_name(2)
    again.lock()
    # forgotten PIN: the online sign-in opens with the password and sets a new PIN
    store = again.open_after_login(
        username="wang", password=PASSWORD, pin="1357", user=USER, server_url="http://srv"
    )
    assert store.households.get(hid(2)) is not None
    again.lock()
    assert again.unlock_with_pin("1357") is not None
    again.lock()
    with pytest.raises(WrongSecret):
        again.unlock_with_pin(PIN)


def test_pin_change_rewraps_the_same_key_and_the_old_pin_stops_working(tmp_path):
    vault = signed_in(tmp_path)
    seed_household(vault.store, 3)
    dek = vault.keys.unwrap("pin", PIN)
    with pytest.raises(WrongSecret):
        vault.change_pin("999999", "1122")  # the current PIN is required
    with pytest.raises(ValueError):
        vault.change_pin(PIN, "12a4")
    vault.change_pin(PIN, "1122")
    vault.lock()
    again = StoreVault(tmp_path)
    with pytest.raises(WrongSecret):
        again.unlock_with_pin(PIN)
    assert again.keys.unwrap("pin", "1122") == dek  # same key: the database was not re-encrypted
    assert again.unlock_with_pin("1122").households.get(hid(3)) is not None
    again.lock()


def test_password_changed_on_the_server_opens_with_the_pin_and_rewraps(tmp_path):
    signed_in(tmp_path).lock()
    vault = StoreVault(tmp_path)
    with pytest.raises(WrongSecret):  # new password, no PIN typed: cannot open
        vault.open_after_login(
            username="wang", password="new-pass", pin="", user=USER, server_url="http://srv"
        )
    store = vault.open_after_login(
        username="wang", password="new-pass", pin=PIN, user=USER, server_url="http://srv"
    )
    assert store.session.get().token == "tok"
    vault.lock()
    assert vault.unlock_with_password("new-pass") is not None
    vault.lock()


def test_scrypt_parameters_are_the_documented_ones(tmp_path):
    vault = signed_in(tmp_path)
    vault.lock()
    for kind in ("pin", "password"):
        entry = vault.keys.load()["wrapped"][kind]
        assert (
            {k: entry[k] for k in ("n", "r", "p")} == SCRYPT_PARAMS == {"n": 65536, "r": 8, "p": 1}
        )
        assert len(bytes.fromhex(entry["salt"])) == 16
    a, b = vault.keys.load()["wrapped"].values()
    assert a["salt"] != b["salt"] and a["dek"] != b["dek"]


# -- another worker -------------------------------------------------------------------------
def test_another_worker_is_refused_while_the_first_may_have_unsynced_work(tmp_path):
    vault = signed_in(tmp_path)
    seed_household(vault.store, 4)
    vault.lock()  # locked, still signed in: unknown unsynced work
    with pytest.raises(OtherUserData) as refused:
        StoreVault(tmp_path).client_id_for("zhao")
    assert refused.value.user == "wang"
    vault.unlock_with_pin(PIN)
    vault.lock(signed_out=True)  # signed out with a household not synced
    with pytest.raises(OtherUserData) as refused:
        StoreVault(tmp_path).client_id_for("zhao")
    assert refused.value.pending and refused.value.pending > 0
    assert StoreVault(tmp_path).unlock_with_pin(PIN).households.get(hid(4)) is not None


def test_another_worker_gets_a_fresh_store_once_everything_is_synced(tmp_path):
    vault = signed_in(tmp_path)
    old_client = vault.store.session.client_id()
    vault.lock(signed_out=True)  # nothing unsynced
    other = StoreVault(tmp_path)
    client_id = other.client_id_for("zhao")
    assert client_id != old_client
    store = other.open_after_login(
        username="zhao", password="zhao-pw", pin="", user={"username": "zhao"}, server_url="x"
    )
    assert store.session.client_id() == client_id and store.session.get().token is None
    other.lock()
    with pytest.raises(WrongSecret):
        other.unlock_with_password(PASSWORD)


# -- no SQLCipher ---------------------------------------------------------------------------
def test_without_sqlcipher_the_vault_refuses_unless_plaintext_is_allowed(tmp_path):
    vault = StoreVault(tmp_path / "a", allow_plaintext=False)
    vault.encrypting = False  # as on a device where sqlcipher3 cannot be imported
    assert not vault.usable
    with pytest.raises(CipherUnavailable, match="TIANYE_ALLOW_PLAINTEXT_STORE"):
        vault.open_after_login(
            username="wang", password=PASSWORD, pin=PIN, user=USER, server_url="http://srv"
        )
    assert not vault.path.exists() and not vault.keys.exists()
    dev = StoreVault(tmp_path / "b", allow_plaintext=True)
    dev.encrypting = False
    store = dev.open_after_login(
        username="wang", password=PASSWORD, pin=PIN, user=USER, server_url="http://srv"
    )
    seed_household(store, 1)
    dev.lock()
    assert cipher.is_plaintext(dev.path) and dev.keys.has("pin")
    # once SQLCipher is there, the next unlock encrypts the file with the key already made
    later = StoreVault(tmp_path / "b")
    assert later.unlock_with_pin(PIN).households.get(hid(1)) is not None
    later.lock()
    assert not cipher.is_plaintext(later.path)


# -- the previous version's plaintext store -------------------------------------------------
def assert_migrated(data_dir: Path, expected: dict) -> None:
    vault = StoreVault(data_dir)
    store = vault.unlock_with_pin(PIN)
    assert table_counts(store) == expected["counts"]
    pending = [(e.seq, e.record_id, e.data) for e in store.outbox.pending()]
    assert pending == expected["outbox"] and len(pending) >= 15
    assert store.session.client_id() == expected["client_id"]
    assert store.session.get().token == "tok"
    vault.lock()
    path = vault.path
    assert not cipher.is_plaintext(path)
    # (the clients file maps usernames to client ids: no record data, written once signed in)
    leftovers = sorted(p.name for p in data_dir.iterdir() if not p.name.endswith(".clients.json"))
    assert leftovers == ["tianye.sqlite3", "tianye.sqlite3.keys.json"], leftovers
    for n in (1, 2, 3):
        for secret in secrets_of(n):
            assert secret not in disk_bytes(path)


def test_previous_version_store_is_encrypted_on_first_pin_unlock_keeping_every_row(tmp_path):
    expected = legacy_phone(tmp_path)
    assert secrets_of(1)[0] in disk_bytes(tmp_path / "tianye.sqlite3")
    vault = StoreVault(tmp_path)
    profile = vault.profile()
    assert profile["legacy"] and profile["has_pin"] and profile["username"] == "wang"
    assert vault.client_id_for("wang") == expected["client_id"]
    before = file_digests(vault.path)
    with pytest.raises(WrongSecret):
        vault.unlock_with_pin("000000")
    assert file_digests(vault.path) == before and not vault.keys.exists()
    vault.unlock_with_pin(PIN)
    vault.lock()
    assert_migrated(tmp_path, expected)


def test_previous_version_store_is_encrypted_on_online_sign_in(tmp_path):
    expected = legacy_phone(tmp_path)
    vault = StoreVault(tmp_path)
    store = vault.open_after_login(
        username="wang", password=PASSWORD, pin=PIN, user=USER, server_url="http://srv"
    )
    assert store.outbox.count() > 0
    vault.lock()
    assert_migrated(tmp_path, expected)


CHILD = (
    textwrap.dedent(
        """
    import os, sys
    from mobile_app.store import crashpoints
    from mobile_app.store.vault import StoreVault

    data_dir, point = sys.argv[1:3]

    def hook(name):
        if name == point:
            os._exit(CRASH_EXIT)

    crashpoints.hook = hook
    StoreVault(data_dir).unlock_with_pin(PIN)
    os._exit(0)
    """
    )
    .replace("CRASH_EXIT", str(CRASH_EXIT))
    .replace("PIN", repr(PIN))
)


@pytest.mark.parametrize(
    "point", ["encrypt.checkpointed", "encrypt.exported", "encrypt.verified", "encrypt.swapped"]
)
def test_killed_during_the_encryption_the_store_still_opens_with_everything(tmp_path, point):
    expected = legacy_phone(tmp_path)
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path), point],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == CRASH_EXIT, proc.stderr
    plaintext_left = cipher.is_plaintext(tmp_path / "tianye.sqlite3")
    assert plaintext_left == (point != "encrypt.swapped")
    if plaintext_left:  # the old store is intact and still the app's (a plain Store opens it)
        with Store(tmp_path / "tianye.sqlite3") as old:
            assert table_counts(old) == expected["counts"]
    assert_migrated(tmp_path, expected)


def test_a_shared_phone_keeps_one_client_id_per_worker(tmp_path):
    """The server binds a client id to its first user (another user's sign-in with it is a
    409), so a worker who comes back to a shared phone signs in with their own id again."""
    vault = signed_in(tmp_path)
    wang_client = vault.store.session.client_id()
    vault.lock(signed_out=True)
    other = StoreVault(tmp_path)
    zhao_client = other.client_id_for("zhao")
    other.open_after_login(
        username="zhao", password="zhao-pw", pin="", user={"username": "zhao"}, server_url="x"
    )
    other.lock(signed_out=True)
    back = StoreVault(tmp_path)
    assert back.client_id_for("wang") == wang_client
    store = back.open_after_login(
        username="wang", password=PASSWORD, pin="", user={"username": "wang"}, server_url="x"
    )
    assert store.session.client_id() == wang_client
    back.lock(signed_out=True)
    assert StoreVault(tmp_path).client_id_for("zhao") == zhao_client != wang_client
