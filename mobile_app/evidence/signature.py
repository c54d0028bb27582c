"""The household's signature: strokes drawn with a finger, rendered as a small PNG.

The Kivy pad (`mobile_app.widgets.evidence.SignaturePad`) only collects strokes (lists of
points in its own coordinates, y up as Kivy has it); this module renders them with Pillow, so
what is stored does not depend on the screen and is tested without a window. A signature of
fewer than `MIN_POINTS` points is treated as empty (a tap is not a signature).
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from PIL import Image, ImageDraw

from mobile_app.evidence.photo import PreparedImage, sha256_hex

Stroke = Sequence[tuple[float, float]]
OUT_WIDTH = 600
OUT_HEIGHT = 240
LINE_WIDTH = 4
MIN_POINTS = 8


class EmptySignature(ValueError):
    """Nothing (or almost nothing) was drawn."""


def point_count(strokes: Sequence[Stroke]) -> int:
    return sum(len(s) for s in strokes)


def render_signature(
    strokes: Sequence[Stroke], pad_size: tuple[float, float], *, width: int = OUT_WIDTH
) -> PreparedImage:
    """A black-on-white 1-bit PNG of the strokes, scaled from the pad to `width` px wide."""
    if point_count(strokes) < MIN_POINTS:
        raise EmptySignature("draw the signature first")
    pad_w, pad_h = pad_size
    if pad_w <= 0 or pad_h <= 0:
        raise ValueError("the pad has no size")
    height = max(1, round(width * pad_h / pad_w)) if pad_w else OUT_HEIGHT
    scale = width / pad_w
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    for stroke in strokes:
        points = [(x * scale, (pad_h - y) * scale) for x, y in stroke]  # Kivy's y points up
        if len(points) == 1:
            x, y = points[0]
            r = LINE_WIDTH / 2
            draw.ellipse((x - r, y - r, x + r, y + r), fill=0)
        else:
            draw.line(points, fill=0, width=LINE_WIDTH, joint="curve")
    out = io.BytesIO()
    image.convert("1", dither=Image.Dither.NONE).save(out, "PNG", optimize=True)
    data = out.getvalue()
    return PreparedImage(
        data=data, mime="image/png", width=width, height=height, sha256=sha256_hex(data)
    )
