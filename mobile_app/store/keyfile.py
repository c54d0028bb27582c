"""The store's key file: the database key (DEK), only ever wrapped, plus who signed in here.

The DEK is 32 random bytes that open the SQLCipher file. It is kept on disk only wrapped with
AES-GCM (`cryptography`) under key-encryption keys derived with scrypt: one from the device PIN,
one from the account password (first sign-in, forgotten PIN). A wrong secret fails the GCM tag
(`WrongSecret`); changing the PIN re-wraps the DEK and never re-encrypts the database.

The file also holds what the sign-in screen needs before anything is unlocked (username,
display name, server address, client id, signed in or not) and the count of wrong offline
unlock attempts in a row (`failed_unlocks`, the PIN attempt limit in `vault.py`): none of it
is secret, and the database itself stays closed until a secret unwraps the DEK. It is written
atomically (temp file, fsync, rename, fsync of the directory) so a crash leaves the old or the
new file.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

FORMAT = "tianye-keys"
VERSION = 1
DEK_BYTES = 32
# One derivation takes ~0.35 s on the reference machine (2 cores, x86-64) and uses 64 MiB;
# a cheap phone needs 1-2 s. Docs/security.md turns this into an offline brute-force cost.
SCRYPT_PARAMS: dict[str, int] = {"n": 2**16, "r": 8, "p": 1}
KINDS = ("pin", "password")


class WrongSecret(Exception):
    """The PIN or password does not unwrap the key (or no key is wrapped under that kind)."""


class KeyFileError(Exception):
    """The key file is missing, unreadable or not ours."""


def new_dek() -> bytes:
    """A fresh random database key."""
    return os.urandom(DEK_BYTES)


def derive_kek(secret: str, salt: bytes, params: dict[str, int]) -> bytes:
    """The key-encryption key for `secret` (scrypt, 32 bytes)."""
    n, r, p = int(params["n"]), int(params["r"]), int(params["p"])
    return hashlib.scrypt(
        secret.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=32, maxmem=256 * r * n + 2**20
    )


def _aad(kind: str) -> bytes:
    # Binds a wrapped copy to its kind: a PIN entry cannot be swapped into the password slot.
    return f"{FORMAT}:{VERSION}:dek:{kind}".encode()


def wrap_dek(dek: bytes, secret: str, kind: str, params: dict[str, int] | None = None) -> dict:
    """The DEK encrypted under a KEK derived from `secret`, with its salt and parameters."""
    params = dict(params or SCRYPT_PARAMS)
    salt, nonce = os.urandom(16), os.urandom(12)
    kek = derive_kek(secret, salt, params)
    wrapped = AESGCM(kek).encrypt(nonce, bytes(dek), _aad(kind))
    return {
        "kdf": "scrypt",
        **params,
        "salt": salt.hex(),
        "nonce": nonce.hex(),
        "dek": wrapped.hex(),
    }


def unwrap_dek(entry: dict, secret: str, kind: str) -> bytes:
    """The DEK from a wrapped entry; `WrongSecret` when the GCM tag does not verify."""
    if not isinstance(secret, str) or not secret:
        raise WrongSecret(kind)
    try:
        kek = derive_kek(secret, bytes.fromhex(entry["salt"]), entry)
        return AESGCM(kek).decrypt(
            bytes.fromhex(entry["nonce"]), bytes.fromhex(entry["dek"]), _aad(kind)
        )
    except InvalidTag:
        raise WrongSecret(kind) from None
    except (KeyError, TypeError, ValueError) as exc:
        raise KeyFileError(f"damaged {kind} entry: {exc}") from exc


class KeyFile:
    """`<store>.keys.json`: the wrapped DEK copies and the sign-in profile."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def exists(self) -> bool:
        return self.path.exists()

    def load(self) -> dict[str, Any]:
        """The whole document; `KeyFileError` when missing or not ours."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise KeyFileError(f"cannot read {self.path.name}: {exc}") from exc
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise KeyFileError(f"{self.path.name} is not a Tianye key file")
        return data

    def save(self, data: dict[str, Any]) -> None:
        """Write atomically and durably (owner-only permissions)."""
        data = {"format": FORMAT, "version": VERSION, **data}
        tmp = self.path.with_name(self.path.name + ".tmp")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, ensure_ascii=False, indent=1)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)
        fsync_dir(self.path.parent)

    def delete(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    # -- profile (not secret) ----------------------------------------------------------------
    def profile(self) -> dict[str, Any]:
        """Who signed in on this phone ({} when no key file)."""
        if not self.exists():
            return {}
        profile = self.load().get("profile")
        return profile if isinstance(profile, dict) else {}

    def update_profile(self, **values: Any) -> None:
        data = self.load()
        data["profile"] = {**(data.get("profile") or {}), **values}
        self.save(data)

    # -- wrong offline attempts (not secret) --------------------------------------------------
    def failed_unlocks(self) -> int:
        """Wrong offline unlock attempts in a row (0 without a key file)."""
        if not self.exists():
            return 0
        value = self.load().get("failed_unlocks", 0)
        return value if isinstance(value, int) and value >= 0 else 0

    def set_failed_unlocks(self, count: int) -> None:
        """Record the count (atomically, like every write of this file)."""
        data = self.load()
        if data.get("failed_unlocks", 0) != count:
            data["failed_unlocks"] = count
            self.save(data)

    # -- wrapped keys ------------------------------------------------------------------------
    def has(self, kind: str) -> bool:
        return self.exists() and kind in (self.load().get("wrapped") or {})

    def unwrap(self, kind: str, secret: str) -> bytes:
        """The DEK unwrapped with the PIN or password; `WrongSecret` when it does not fit."""
        entry = (self.load().get("wrapped") or {}).get(kind)
        if entry is None:
            raise WrongSecret(kind)
        return unwrap_dek(entry, secret, kind)

    def create(self, dek: bytes, secrets: dict[str, str], profile: dict[str, Any]) -> None:
        """A new key file for `dek`, wrapped under each given secret ({"pin": …, …})."""
        wrapped = {kind: wrap_dek(dek, s, kind) for kind, s in secrets.items() if s}
        if not wrapped:
            raise ValueError("the key must be wrapped under a PIN or a password")
        self.save({"wrapped": wrapped, "profile": profile})

    def rewrap(self, dek: bytes, kind: str, secret: str) -> None:
        """Wrap `dek` under a new secret of `kind` (the old copy of that kind stops working)."""
        if kind not in KINDS:
            raise ValueError(f"unknown key kind {kind!r}")
        data = self.load()
        data["wrapped"] = {**(data.get("wrapped") or {}), kind: wrap_dek(dek, secret, kind)}
        self.save(data)


def fsync_dir(path: Path) -> None:
    """Make a rename in `path` durable (no-op where directories cannot be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
