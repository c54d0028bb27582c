"""Attachment storage behind one interface: a directory (embedded default) or S3-compatible
object storage (several hosts). Keys are `/`-separated ASCII paths chosen by the service.

`storage_from_config(config)` picks the backend: `ATTACHMENTS_S3_BUCKET` set → `S3Storage`
(endpoint `ATTACHMENTS_S3_ENDPOINT`, credentials from the usual `AWS_*` variables), else
`DirectoryStorage(ATTACHMENTS_DIR)`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol

CHUNK = 64 * 1024
"""Bytes read or written at once: nothing is ever held whole in memory."""


class Storage(Protocol):
    """Where attachment bytes live (staging pieces, files, thumbnails)."""

    name: str

    def put_file(self, key: str, path: Path) -> None:
        """Store the file at `path` under `key` (replacing any object of that key)."""

    def iter_bytes(self, key: str) -> Iterator[bytes]:
        """The object's bytes in pieces of at most `CHUNK`; KeyError if there is none."""

    def size(self, key: str) -> int | None:
        """The object's length, None when there is none."""

    def delete(self, key: str) -> None:
        """Drop the object (no error when it does not exist)."""

    def keys(self, prefix: str) -> list[str]:
        """Every key starting with `prefix`, sorted."""


def storage_from_config(config: Mapping[str, Any]) -> Storage:
    """The storage the settings describe."""
    bucket = config.get("ATTACHMENTS_S3_BUCKET")
    if bucket:
        from sync_server.storage.s3 import S3Storage

        return S3Storage(
            bucket,
            endpoint_url=config.get("ATTACHMENTS_S3_ENDPOINT") or None,
            region=config.get("ATTACHMENTS_S3_REGION") or "us-east-1",
        )
    from sync_server.storage.directory import DirectoryStorage

    return DirectoryStorage(Path(config["ATTACHMENTS_DIR"]))
