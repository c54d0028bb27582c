"""What a screenshot of the phone must not show, checked on the live widget tree (issue 16's
720-px layout defect): a previous screen or a stale popup drawn under or over the current one,
a screen without an opaque background, a widget spilling out of its layout (a member row over
its section title), text cut by its box, a button label broken inside a word ("Calenda r").
"""

from __future__ import annotations

from typing import Any

TOLERANCE = 1.5  # px: layouts round positions


def assert_screen_sound(d: Any) -> None:
    """Every check on the current screen; an AssertionError lists what is wrong."""
    problems = screen_problems(d.app)
    assert not problems, "layout problems:\n" + "\n".join(problems[:20])


def screen_problems(app: Any) -> list[str]:
    sm = app.sm
    screen = sm.current_screen
    problems = [f"another screen in the manager: {w.name}" for w in sm.children if w is not screen]
    problems += [
        f"on the window besides the screens: {type(w).__name__}"
        for w in app.root_window.children
        if w is not sm
    ]
    if not opaque_background(screen):
        problems.append(f"screen {screen.name} has no opaque background")
    for widget in visible(screen):
        problems += spills(widget) + cut_text(widget) + broken_words(widget)
    return problems


def opaque_background(screen: Any) -> bool:
    """canvas.before paints an opaque colour over the whole screen first."""
    from kivy.graphics import Color, Rectangle

    alpha = 0.0
    for instruction in screen.canvas.before.children:
        if isinstance(instruction, Color):
            alpha = instruction.rgba[3]
        elif (
            isinstance(instruction, Rectangle)
            and alpha >= 1
            and list(instruction.pos) == list(screen.pos)
            and list(instruction.size) == list(screen.size)
        ):
            return True
    return False


def visible(root: Any) -> list[Any]:
    """Widgets drawn with some size (none under a transparent or empty ancestor)."""
    out = []

    def walk(widget: Any) -> None:
        if widget.opacity == 0 or widget.width <= 0 or widget.height <= 0:
            return
        out.append(widget)
        for child in widget.children:
            walk(child)

    walk(root)
    return out[1:]


def name(widget: Any) -> str:
    text = getattr(widget, "text", "")
    return f"{type(widget).__name__}({text[:30]!r})" if text else type(widget).__name__


def spills(widget: Any) -> list[str]:
    """Outside its layout's box (a ScrollView's content scrolls, so it may be larger)."""
    from kivy.uix.layout import Layout
    from kivy.uix.scrollview import ScrollView

    parent = widget.parent
    if not isinstance(parent, Layout) or isinstance(parent, ScrollView):
        return []
    if type(parent).__name__ == "RecycleBoxLayout":  # rows out of view are recycled, not drawn
        return []
    inside = (
        widget.x >= parent.x - TOLERANCE
        and widget.y >= parent.y - TOLERANCE
        and widget.right <= parent.right + TOLERANCE
        and widget.top <= parent.top + TOLERANCE
    )
    if inside:
        return []
    return [f"{name(widget)} at {widget.pos} {widget.size} spills out of {name(parent)} "
            f"at {parent.pos} {parent.size}"]  # fmt: skip


def cut_text(widget: Any) -> list[str]:
    """A wrapped label whose text is taller or wider than its box (shortened ones end in …)."""
    from kivy.uix.label import Label

    if not isinstance(widget, Label) or not widget.text or widget.shorten:
        return []
    if widget.text_size[0] is None:
        return []
    widget.texture_update()
    tw, th = widget.texture_size
    if th > widget.height + TOLERANCE or tw > widget.width + TOLERANCE:
        return [f"{name(widget)} text {tw}x{th} cut by its box {widget.size}"]
    return []


def broken_words(widget: Any) -> list[str]:
    """A button label may wrap between words, never inside one (nor inside a CJK phrase,
    which has no spaces: it fits on one line)."""
    from kivy.core.text import Label as CoreLabel
    from kivy.uix.button import Button

    if not isinstance(widget, Button) or not widget.text or widget.text_size[0] is None:
        return []
    room = widget.text_size[0]
    for word in widget.text.split():
        core = CoreLabel(
            text=word, font_size=widget.font_size, font_name=widget.font_name, bold=widget.bold
        )
        core.refresh()
        if core.content_width > room + TOLERANCE:
            return [f"{name(widget)}: {word!r} ({core.content_width}px) breaks in a {room}px box"]
    return []
