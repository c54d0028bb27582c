"""A question with a few answers in a popup (unsaved changes: save / discard / keep editing).

The popup only reports the answer's key; what an answer does is the caller's (the view-model
decides), so the dialog holds no rules.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from kivy.metrics import dp
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.popup import Popup

from mobile_app.widgets.common import COLORS, DangerButton, PrimaryButton, TButton, TLabel


class ChoiceDialog(Popup):
    """`answers` are (key, label, style) with style `primary`, `danger` or `plain`; the
    chosen key goes to `on_choice` after the popup closed. Dismissing it answers `stay`."""

    def __init__(
        self,
        title: str,
        text: str,
        answers: Sequence[tuple[str, str, str]],
        on_choice: Callable[[str], None],
        **kw: Any,
    ) -> None:
        self.on_choice = on_choice
        self.answered = False
        body = BoxLayout(orientation="vertical", spacing=dp(10), padding=dp(8), size_hint_y=None)
        body.bind(minimum_height=body.setter("height"))
        body.add_widget(TLabel(text=text, font_size="16sp"))
        self.buttons: dict[str, TButton] = {}
        for key, label, style in answers:
            cls = {"primary": PrimaryButton, "danger": DangerButton}.get(style, TButton)
            button = cls(text=label, size_hint_y=None, height=dp(52))
            button.bind(on_release=lambda _b, k=key: self.choose(k))
            self.buttons[key] = button
            body.add_widget(button)
        super().__init__(
            title=title,
            content=body,
            size_hint=(0.9, None),
            height=dp(120 + 64 * len(answers)),  # until the text is laid out (below)
            background="",
            background_color=COLORS["card"],
            overlay_color=(0, 0, 0, 0.5),
            title_color=COLORS["text"],
            title_size="17sp",
            separator_color=COLORS["primary"],
            auto_dismiss=True,
            **kw,
        )
        self.bind(on_dismiss=lambda *_: None if self.answered else self.choose("stay"))
        # as tall as the question and the answers (a long question wraps at a large font
        # scale; a fixed height let the text run under the title's line)
        body.bind(height=self._fit)

    def _fit(self, _body: Any, height: float) -> None:
        title = self._title_height()
        self.height = height + title + dp(40)  # the popup's padding and separator

    def _title_height(self) -> float:
        from kivy.core.text import Label as CoreLabel

        core = CoreLabel(text=self.title, font_size=self.title_size, font_name=self.title_font)
        core.refresh()
        return float(core.content_height) + dp(16)

    def choose(self, key: str) -> None:
        """Close and report `key` (once)."""
        if self.answered:
            return
        self.answered = True
        self.dismiss()
        self.on_choice(key)
