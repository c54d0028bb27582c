"""Finds a CJK font on the device and makes it Kivy's default font, so Chinese never shows tofu.

Kivy ships Roboto, which has no Han glyphs. On Android the system fonts include Noto Sans CJK;
on Debian `fonts-noto-cjk` or `fonts-wqy-*` provide one. The first existing candidate wins;
with none, a warning is logged and Roboto stays (Latin text still renders).
SDL2_ttf opens face 0 of a `.ttc` collection; for NotoSansCJK that face covers all CJK
ideographs used in Simplified Chinese.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from pathlib import Path

log = logging.getLogger(__name__)

CJK_FONT_CANDIDATES: tuple[str, ...] = (
    # Android system fonts
    "/system/fonts/NotoSansCJK-Regular.ttc",
    "/system/fonts/NotoSansSC-Regular.otf",
    "/system/fonts/DroidSansFallback.ttf",
    "/system/fonts/DroidSansFallbackFull.ttf",
    # Debian / Ubuntu
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    # macOS / Windows, for developers
    "/System/Library/Fonts/PingFang.ttc",
    "C:/Windows/Fonts/msyh.ttc",
)

FONT_ENV = "TIANYE_FONT"


def find_cjk_font(candidates: Iterable[str] | None = None) -> str | None:
    """The first readable CJK font file among `candidates` (the env var TIANYE_FONT first)."""
    ordered: list[str] = []
    if os.environ.get(FONT_ENV):
        ordered.append(os.environ[FONT_ENV])
    ordered += list(CJK_FONT_CANDIDATES if candidates is None else candidates)
    for path in ordered:
        p = Path(path)
        if p.is_file() and os.access(p, os.R_OK):
            return str(p)
    return None


def register_cjk_font(candidates: Iterable[str] | None = None) -> str | None:
    """Register the CJK font as Kivy's DEFAULT_FONT; return its path, or None (Roboto kept)."""
    path = find_cjk_font(candidates)
    if path is None:
        log.warning("no CJK font found; Chinese text will not render (install fonts-noto-cjk)")
        return None
    from kivy.core.text import DEFAULT_FONT, LabelBase

    bold = _bold_variant(path)
    LabelBase.register(DEFAULT_FONT, fn_regular=path, fn_bold=bold or path)
    log.info("CJK font registered: %s", path)
    return path


def _bold_variant(path: str) -> str | None:
    """The matching bold file when one sits next to the regular one (Noto's naming)."""
    if "Regular" not in path:
        return None
    bold = path.replace("Regular", "Bold")
    return bold if Path(bold).is_file() else None
