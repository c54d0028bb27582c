"""Files at rest, sealed like the database: AES-256-GCM under a key derived (HKDF-SHA256)
from the store's unlocked SQLCipher key, so the same PIN/password opens both and locking the
store drops both keys.

A sealed file is `b"TYF1" + 12-byte random nonce + ciphertext-with-tag`; the file's name (its
SHA-256, plus the variant) is the associated data, so a sealed file renamed to another hash
does not open. A plaintext store (developers only, TIANYE_ALLOW_PLAINTEXT_STORE=1) keeps
files plain too (`FileCipher(None)`).
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MAGIC = b"TYF1"
NONCE_BYTES = 12
INFO = b"tianye phone files v1"


class SealedFileError(ValueError):
    """A sealed file did not open: wrong key, wrong name or damaged bytes."""


def derive_file_key(store_key: bytes) -> bytes:
    """The files' AES key from the store's key (never the same bytes as the database key)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=INFO).derive(store_key)


class FileCipher:
    def __init__(self, store_key: bytes | None) -> None:
        self._aead = AESGCM(derive_file_key(store_key)) if store_key is not None else None

    @property
    def encrypted(self) -> bool:
        return self._aead is not None

    def seal(self, data: bytes, name: str) -> bytes:
        if self._aead is None:
            return data
        nonce = os.urandom(NONCE_BYTES)
        return MAGIC + nonce + self._aead.encrypt(nonce, data, name.encode())

    def open(self, blob: bytes, name: str) -> bytes:
        if self._aead is None:
            return blob
        if not blob.startswith(MAGIC) or len(blob) < len(MAGIC) + NONCE_BYTES + 16:
            raise SealedFileError(f"{name}: not a sealed file")
        nonce = blob[len(MAGIC) : len(MAGIC) + NONCE_BYTES]
        try:
            return self._aead.decrypt(nonce, blob[len(MAGIC) + NONCE_BYTES :], name.encode())
        except InvalidTag:
            raise SealedFileError(f"{name}: damaged, or sealed under another key") from None
