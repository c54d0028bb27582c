"""Prepare a photo before it is stored: EXIF orientation applied, downscaled to a longest side
(default 1600 px), saved as JPEG at quality ~80 with no metadata at all (no EXIF: no location,
no device, no time; what we keep goes in our own fields), aiming at ≤ 300 KB.

Pure: bytes in, bytes out. A file that is not a readable image raises `NotAnImage` with a
reason; Pillow's decompression-bomb guard stays on (a huge image is refused, not decoded).
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import datetime

from PIL import Image, ImageOps, UnidentifiedImageError

DEFAULT_MAX_SIDE = 1600
DEFAULT_QUALITY = 80
TARGET_BYTES = 300 * 1024
MIN_QUALITY = 55
MAX_INPUT_PIXELS = 50_000_000  # the server's ATTACHMENT_MAX_PIXELS default


class NotAnImage(ValueError):
    """The chosen file is not a picture the phone can read (the reason is in the message)."""


@dataclass(frozen=True)
class PreparedImage:
    """A file ready for the store: its bytes and what a visit's `attachments` item needs."""

    data: bytes
    mime: str
    width: int
    height: int
    sha256: str
    taken_at: str | None = None

    @property
    def size(self) -> int:
        return len(self.data)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _open(data: bytes) -> Image.Image:
    previous = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = MAX_INPUT_PIXELS
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise NotAnImage(f"not a readable image ({exc.__class__.__name__})") from None
    except Image.DecompressionBombError:
        raise NotAnImage(f"too many pixels (more than {MAX_INPUT_PIXELS})") from None
    finally:
        Image.MAX_IMAGE_PIXELS = previous
    return image


def _taken_at(image: Image.Image) -> str | None:
    """The camera's DateTimeOriginal (or DateTime) as ISO text without a zone, if readable."""
    try:
        exif = image.getexif()
        raw = exif.get_ifd(0x8769).get(0x9003) or exif.get(0x0132)
        return datetime.strptime(str(raw), "%Y:%m:%d %H:%M:%S").isoformat() if raw else None
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


def prepare_photo(
    data: bytes,
    *,
    max_side: int = DEFAULT_MAX_SIDE,
    quality: int = DEFAULT_QUALITY,
    target_bytes: int = TARGET_BYTES,
) -> PreparedImage:
    """The photo as a stored JPEG: upright, longest side ≤ `max_side`, no metadata.

    When the result is over `target_bytes` the quality steps down (to `MIN_QUALITY` at most),
    then the side shrinks by a quarter at a time: detail matters less than the photo arriving.
    `taken_at` is read from the camera's EXIF before it is dropped (the visit keeps it).
    """
    if max_side < 64:
        raise ValueError("max_side is at least 64 px")
    image = _open(data)
    taken_at = _taken_at(image)
    image = ImageOps.exif_transpose(image)
    if image.mode not in ("RGB", "L"):
        background = Image.new("RGB", image.size, "white")
        rgba = image.convert("RGBA")
        background.paste(rgba, mask=rgba.getchannel("A"))
        image = background
    side = max_side
    while True:
        scaled = image.copy()
        scaled.thumbnail((side, side), Image.Resampling.LANCZOS)
        q = quality
        while True:
            out = io.BytesIO()
            # no exif=, no icc_profile=, no comment: Pillow writes none of the source's metadata
            scaled.save(out, "JPEG", quality=q, optimize=True, progressive=True)
            encoded = out.getvalue()
            if len(encoded) <= target_bytes or q <= MIN_QUALITY:
                break
            q -= 10
        if len(encoded) <= target_bytes or side <= 480:
            break
        side = side * 3 // 4
    return PreparedImage(
        data=encoded,
        mime="image/jpeg",
        width=scaled.width,
        height=scaled.height,
        sha256=sha256_hex(encoded),
        taken_at=taken_at,
    )


def thumbnail(data: bytes, *, side: int = 320) -> bytes:
    """A small JPEG of a stored image (kept on the phone when the full file is evicted)."""
    image = _open(data)
    if image.mode not in ("RGB", "L"):
        background = Image.new("RGB", image.size, "white")
        rgba = image.convert("RGBA")
        background.paste(rgba, mask=rgba.getchannel("A"))
        image = background
    image.thumbnail((side, side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=70, optimize=True)
    return out.getvalue()
