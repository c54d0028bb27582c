"""The visit's `attachments` block (PROTOCOL.md "Attachments"): shape, bounds and messages."""

from __future__ import annotations

from typing import Any

import pytest

from shared_schema.enums import ENUMS
from shared_schema.schemas.visit import ATTACHMENT_MIMES, MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS

from .schema_cases import errors, record

SHA = "ab" * 32


def item(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "sha256": SHA,
        "kind": "house_photo",
        "mime": "image/jpeg",
        "size": 245_000,
        "width": 1600,
        "height": 1200,
        "taken_at": "2024-05-20T09:31:00+08:00",
    }
    return {k: v for k, v in (base | changes).items() if v is not ...}


def test_protocol_kinds_and_mimes_have_both_labels() -> None:
    assert ENUMS["attachment_kind"].codes == (
        "house_photo",
        "water_photo",
        "member_photo",
        "signature",
        "document",
    )
    assert ATTACHMENT_MIMES == ("image/jpeg", "image/png", "image/webp")
    assert ENUMS["attachment_kind"].label("signature", "zh") == "农户签名"


@pytest.mark.parametrize(
    "attachments",
    [
        None,
        [],
        [item()],
        [item(width=None, height=None, taken_at=None)],
        [item(width=..., height=..., taken_at=...)],
        [item(), item(sha256="0" * 64, kind="signature", mime="image/png")],
        [item(size=MAX_ATTACHMENT_BYTES, kind="document", mime="image/webp")],
    ],
)
def test_valid_attachments(attachments: Any) -> None:
    assert errors("visit", record("visit", attachments=attachments)) == {}


@pytest.mark.parametrize(
    ("attachments", "path"),
    [
        ("x", "attachments"),
        ([1], "attachments"),  # "must be an object", named by the list
        ([item(sha256="AB" * 32)], "attachments.sha256"),  # uppercase: not the name
        ([item(sha256="ab" * 31)], "attachments.sha256"),
        ([item(sha256="ab" * 32 + "\n")], "attachments.sha256"),
        ([item(sha256=...)], "attachments.sha256"),
        ([item(kind="selfie")], "attachments.kind"),
        ([item(mime="image/gif")], "attachments.mime"),
        ([item(size=0)], "attachments.size"),
        ([item(size=MAX_ATTACHMENT_BYTES + 1)], "attachments.size"),
        ([item(size=1.5)], "attachments.size"),
        ([item(width=0)], "attachments.width"),
        ([item(height=20_001)], "attachments.height"),
        ([item(taken_at="yesterday")], "attachments.taken_at"),
        ([item(exif={"gps": 1})], "attachments.exif"),
        ([item(), item(kind="water_photo")], "attachments"),  # one hash twice
        ([item(sha256=f"{i:064x}") for i in range(MAX_ATTACHMENTS + 1)], "attachments"),
    ],
)
def test_invalid_attachments_name_the_field(attachments: Any, path: str) -> None:
    assert set(errors("visit", record("visit", attachments=attachments))) == {path}


def test_attachment_messages_are_localized() -> None:
    bad = record("visit", attachments=[item(sha256="xyz")])
    assert errors("visit", bad) == {
        "attachments.sha256": ["文件指纹应为 64 位小写十六进制 SHA-256"]
    }
    assert errors("visit", bad, lang="en") == {
        "attachments.sha256": ["File hash (SHA-256) must be a SHA-256 in 64 lowercase hex digits"]
    }
    dup = record("visit", attachments=[item(), item()])
    assert errors("visit", dup, lang="en") == {
        "attachments": ["Attachments (photos, signature) may not contain duplicates"]
    }
