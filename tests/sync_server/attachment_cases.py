"""Helpers for the attachment tests: real images made with Pillow, tus requests, a visit
that refers to files."""

from __future__ import annotations

import base64
import hashlib
import io
from typing import Any

from PIL import Image

TUS = {"Tus-Resumable": "1.0.0"}


def jpeg(width: int = 640, height: int = 480, seed: int = 0) -> bytes:
    img = Image.new("RGB", (width, height), (seed * 37 % 256, 120, 200))
    for x in range(0, width, 16):  # some detail, so that sizes differ by seed
        img.putpixel((x, (x * (seed + 3)) % height), (255, 255, 255))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=85)
    return out.getvalue()


def png(width: int = 200, height: int = 80) -> bytes:
    img = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    for x in range(width):
        img.putpixel((x, height // 2), (0, 0, 0, 255))
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def metadata(**values: str) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


def create_headers(data: bytes, mime: str = "image/jpeg", digest: str | None = None) -> dict:
    return TUS | {
        "Upload-Length": str(len(data)),
        "Upload-Metadata": metadata(sha256=digest or sha(data), mime=mime),
    }


def patch_headers(offset: int) -> dict[str, str]:
    return TUS | {
        "Upload-Offset": str(offset),
        "Content-Type": "application/offset+octet-stream",
    }


def attachment(data: bytes, kind: str = "house_photo", mime: str = "image/jpeg") -> dict:
    return {
        "sha256": sha(data),
        "kind": kind,
        "mime": mime,
        "size": len(data),
        "width": None,
        "height": None,
        "taken_at": None,
    }


def upload(client: Any, headers: dict[str, str], data: bytes, mime: str = "image/jpeg") -> Any:
    """POST then one PATCH with the whole file (Flask test client); the PATCH response."""
    created = client.post("/api/v1/attachments", headers=headers | create_headers(data, mime))
    assert created.status_code == 201, created.get_data(as_text=True)
    if created.headers["Upload-Offset"] == str(len(data)):
        return created
    return client.patch(created.headers["Location"], headers=headers | patch_headers(0), data=data)
