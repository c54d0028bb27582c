"""A small server-side SVG chart: monthly visits as bars and risk flags as a line.

Pure (no Flask): takes the series and returns SVG text with every label escaped, so the
dashboard needs no JavaScript and no chart library. The SVG scales with its container
(`viewBox`, width 100%) and carries a `<title>` and `<desc>` for screen readers.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

WIDTH, HEIGHT = 720, 260
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 44, 16, 34, 36
BAR_COLOR, LINE_COLOR, GRID_COLOR, TEXT_COLOR = "#3b7dd8", "#d9534f", "#e3e8ef", "#5b6573"


def nice_ceiling(value: int) -> int:
    """The smallest 1/2/5 × 10ⁿ at or above `value` (at least 1), for the axis top."""
    if value <= 1:
        return 1
    magnitude = 1
    while magnitude * 10 < value:
        magnitude *= 10
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude  # pragma: no cover - the loop always returns


def render_chart(
    months: Sequence[str],
    visits: Sequence[int],
    flags: Sequence[int],
    *,
    title: str,
    visits_label: str,
    flags_label: str,
) -> str:
    """SVG text of a bar (visits) + line (flags) chart over `months` (labels like 2026-03)."""
    if not (len(months) == len(visits) == len(flags)):
        raise ValueError("months, visits and flags must have the same length")
    n = max(len(months), 1)
    # Four gridlines at whole, round steps (1, 2, 5, 10, ...): the axis top is 4 steps.
    top = 4 * nice_ceiling(-(-max([*visits, *flags, 0]) // 4))
    plot_w = WIDTH - PAD_LEFT - PAD_RIGHT
    plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    slot = plot_w / n

    def y(v: float) -> float:
        return PAD_TOP + plot_h - (v / top) * plot_h

    desc = "; ".join(
        f"{m}: {visits_label} {v}, {flags_label} {f}"
        for m, v, f in zip(months, visits, flags, strict=True)
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'class="chart" role="img" aria-labelledby="chart-title chart-desc" '
        f'preserveAspectRatio="xMidYMid meet">',
        f'<title id="chart-title">{escape(title)}</title>',
        f'<desc id="chart-desc">{escape(desc)}</desc>',
    ]
    for i in range(5):
        value = top * i / 4
        gy = y(value)
        parts.append(
            f'<line x1="{PAD_LEFT}" y1="{gy:.1f}" x2="{WIDTH - PAD_RIGHT}" y2="{gy:.1f}" '
            f'stroke="{GRID_COLOR}" stroke-width="1"/>'
        )
        label = f"{value:.0f}"
        parts.append(
            f'<text x="{PAD_LEFT - 6}" y="{gy + 4:.1f}" text-anchor="end" font-size="11" '
            f'fill="{TEXT_COLOR}">{escape(label)}</text>'
        )
    bar_w = slot * 0.56
    points = []
    for i, (month, v, f) in enumerate(zip(months, visits, flags, strict=True)):
        cx = PAD_LEFT + slot * (i + 0.5)
        by = y(v)
        parts.append(
            f'<rect class="bar" x="{cx - bar_w / 2:.1f}" y="{by:.1f}" width="{bar_w:.1f}" '
            f'height="{PAD_TOP + plot_h - by:.1f}" rx="2" fill="{BAR_COLOR}">'
            f"<title>{escape(month)} {escape(visits_label)}: {v}</title></rect>"
        )
        parts.append(
            f'<text x="{cx:.1f}" y="{HEIGHT - PAD_BOTTOM + 16}" text-anchor="middle" '
            f'font-size="11" fill="{TEXT_COLOR}">{escape(month[-5:])}</text>'
        )
        points.append((cx, y(f), f, month))
    if points:
        path = " ".join(f"{x:.1f},{py:.1f}" for x, py, _, _ in points)
        parts.append(
            f'<polyline class="line" points="{path}" fill="none" stroke="{LINE_COLOR}" '
            f'stroke-width="2.5" stroke-linejoin="round"/>'
        )
        for x, py, f, month in points:
            parts.append(
                f'<circle cx="{x:.1f}" cy="{py:.1f}" r="3.5" fill="#fff" stroke="{LINE_COLOR}" '
                f'stroke-width="2"><title>{escape(month)} {escape(flags_label)}: {f}</title>'
                f"</circle>"
            )
    # legend
    lx = PAD_LEFT
    parts.append(f'<rect x="{lx}" y="8" width="12" height="12" rx="2" fill="{BAR_COLOR}"/>')
    parts.append(
        f'<text x="{lx + 18}" y="18" font-size="12" fill="{TEXT_COLOR}">'
        f"{escape(visits_label)}</text>"
    )
    lx2 = lx + 30 + 13 * max(len(visits_label), 4)
    parts.append(
        f'<line x1="{lx2}" y1="14" x2="{lx2 + 16}" y2="14" stroke="{LINE_COLOR}" '
        f'stroke-width="2.5"/>'
    )
    parts.append(
        f'<text x="{lx2 + 22}" y="18" font-size="12" fill="{TEXT_COLOR}">'
        f"{escape(flags_label)}</text>"
    )
    parts.append("</svg>")
    return "".join(parts)


def last_months(year: int, month: int, count: int = 12) -> list[str]:
    """`count` month keys (`YYYY-MM`) ending with the given month, oldest first."""
    keys = []
    for back in range(count - 1, -1, -1):
        index = year * 12 + (month - 1) - back
        keys.append(f"{index // 12:04d}-{index % 12 + 1:02d}")
    return keys
