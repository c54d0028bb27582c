"""Base widgets with the app's look: a light theme, wrapped text, 48 dp minimum touch targets.

Layout and colours live in common.kv; this module declares the classes and their properties.
"""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder
from kivy.metrics import dp
from kivy.properties import BooleanProperty, ListProperty, NumericProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior, ToggleButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.label import Label
from kivy.uix.recycleview.views import RecycleDataViewBehavior
from kivy.uix.spinner import Spinner, SpinnerOption
from kivy.uix.textinput import TextInput
from kivy.uix.togglebutton import ToggleButton
from kivy.uix.widget import Widget

TOUCH_DP = 48  # Android's minimum touch target

COLORS = {
    "bg": (0.96, 0.96, 0.95, 1),
    "card": (1, 1, 1, 1),
    "text": (0.13, 0.13, 0.13, 1),
    "muted": (0.40, 0.40, 0.40, 1),
    "primary": (0.10, 0.45, 0.30, 1),  # field green
    "primary_text": (1, 1, 1, 1),
    "danger": (0.75, 0.15, 0.12, 1),
    "warn": (0.85, 0.45, 0.05, 1),
    "line": (0.85, 0.85, 0.85, 1),
}


class TLabel(Label):
    """Dark text on the light background, wrapping to its width, height following the text
    (zero when empty, so messages take no room until there is something to say)."""

    min_height = NumericProperty(dp(24))


class TButton(Button):
    """A flat button at least 48 dp high."""

    bg = ListProperty(COLORS["card"])


class FitButton(TButton):
    """A button as wide as its label on one line (at least `min_width`): a short label next
    to an input never breaks inside a word ("Calenda r"), whatever the font scale."""

    min_width = NumericProperty(dp(84))

    def __init__(self, **kw: object) -> None:
        super().__init__(**kw)
        self.fbind("text", self._fit)
        self.fbind("font_size", self._fit)
        self.fbind("font_name", self._fit)
        self.fbind("min_width", self._fit)
        self._fit()

    def _fit(self, *_args: object) -> None:
        from kivy.core.text import Label as CoreLabel

        core = CoreLabel(
            text=self.text, font_size=self.font_size, font_name=self.font_name, bold=self.bold
        )
        core.refresh()
        self.width = max(self.min_width, core.content_width + dp(24))


class PrimaryButton(TButton):
    """The screen's main action."""


class DangerButton(TButton):
    """A destructive action (sign out anyway)."""


class Chip(ToggleButton):
    """A toggle chip for filters and multi-select answers."""


class OptionButton(TButton):
    """One answer of a list (a tab, a household to move to): green when `chosen`; what is
    chosen is the view-model's, the button only shows it."""

    chosen = BooleanProperty(False)


class TCheckBox(ToggleButtonBehavior, Widget):
    """A 48 dp tick box drawn in the app's colours (Kivy's CheckBox images suit a dark theme).
    `active` follows the toggle state both ways."""

    active = BooleanProperty(False)

    def on_state(self, _widget: object, state: str) -> None:
        self.active = state == "down"

    def on_active(self, _widget: object, active: bool) -> None:
        self.state = "down" if active else "normal"


class TSpinner(Spinner):
    """A picker 48 dp high with a border and a ▼ mark, options 48 dp high."""


class TSpinnerOption(SpinnerOption):
    """One option of a TSpinner's list."""


class TInput(TextInput):
    """A single-line input 48 dp high."""


class Header(BoxLayout):
    """The top bar: back button (optional) and title."""

    title = StringProperty("")
    show_back = BooleanProperty(True)
    back_text = StringProperty("")

    def __init__(self, **kwargs):
        self.register_event_type("on_back")
        super().__init__(**kwargs)

    def on_back(self) -> None:
        """Fired when the back button is pressed."""


class Card(BoxLayout):
    """A white block holding a group of widgets, height following its content."""


class Badge(Label):
    """A small coloured tag (unsynced, conflict, returned)."""

    bg = ListProperty(COLORS["warn"])


class ListRow(RecycleDataViewBehavior, ButtonBehavior, BoxLayout):
    """A tappable two-line list row for RecycleViews (title, status, badges)."""

    title = StringProperty("")
    status = StringProperty("")
    badges = StringProperty("")
    urgent = BooleanProperty(False)
    key = StringProperty("")


def load_kv() -> None:
    """Load common.kv once (the app calls it before any screen's rules)."""
    path = str(Path(__file__).with_name("common.kv"))
    if path not in Builder.files:
        Builder.load_file(path)
