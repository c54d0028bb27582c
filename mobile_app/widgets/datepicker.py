"""A month calendar in a popup for picking a date with the thumb instead of typing it.

The picker only proposes text (`YYYY-MM-DD`); the form's view-model still parses and validates
it like a typed value, so the rules (no future visit date, plausible birth dates) stay in one
place. Weeks start on Monday, as Chinese calendars print them.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import date
from typing import Any

from kivy.metrics import dp
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.popup import Popup

from mobile_app.i18n import translate
from mobile_app.widgets.common import COLORS, PrimaryButton, TButton, TLabel, TSpinner

_CAL = calendar.Calendar(firstweekday=0)


def parse_iso(text: str) -> date | None:
    """The date in `text` if it is a complete `YYYY-MM-DD`, else None."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def shift_month(year: int, month: int, delta: int) -> tuple[int, int]:
    """(year, month) moved by `delta` months."""
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def month_title(year: int, month: int, lang: str) -> str:
    """The heading of a month page: 2024年5月 / May 2024 (months abbreviated in English)."""
    if lang == "zh":
        return f"{year}年{month}月"
    return f"{calendar.month_abbr[month]} {year}"


def year_label(year: int, lang: str) -> str:
    """A year in the year list: 2024年 / 2024."""
    return f"{year}年" if lang == "zh" else str(year)


class DatePicker(Popup):
    """Pick a day of a month; `on_pick(iso_text)` is called with the chosen date."""

    def __init__(
        self, initial: date, today: date, lang: str, on_pick: Callable[[str], None], **kw: Any
    ) -> None:
        self.lang = lang
        self.today = today
        self.on_pick = on_pick
        self.year, self.month = initial.year, initial.month
        self.selected = initial
        body = BoxLayout(orientation="vertical", spacing=dp(6), padding=dp(6))
        nav = BoxLayout(size_hint_y=None, height=dp(48), spacing=dp(6))
        self.prev_month = TButton(text="‹", size_hint_x=None, width=dp(56))
        # the heading opens a list of years: a birth date decades back is two taps away
        self.year_labels = {
            year_label(y, lang): y for y in range(today.year + 1, today.year - 111, -1)
        }
        self.heading = TSpinner(values=list(self.year_labels), bold=True, font_size="16sp")
        self.heading.bind(text=self._year_chosen)
        self.next_month = TButton(text="›", size_hint_x=None, width=dp(56))
        for button, delta in (
            (self.prev_month, -1),
            (self.next_month, 1),
        ):
            button.bind(on_release=lambda _b, d=delta: self.turn(d))
        for w in (self.prev_month, self.heading, self.next_month):
            nav.add_widget(w)
        body.add_widget(nav)
        self.days = GridLayout(cols=7, spacing=dp(2), size_hint_y=None)
        self.days.bind(minimum_height=self.days.setter("height"))
        body.add_widget(self.days)
        actions = BoxLayout(size_hint_y=None, height=dp(48), spacing=dp(6))
        self.today_button = TButton(text=translate("date.today", lang))
        self.today_button.bind(on_release=lambda *_: self.pick(self.today))
        self.cancel_button = TButton(text=translate("common.cancel", lang))
        self.cancel_button.bind(on_release=lambda *_: self.dismiss())
        actions.add_widget(self.today_button)
        actions.add_widget(self.cancel_button)
        body.add_widget(BoxLayout())  # takes the slack under the month
        body.add_widget(actions)
        super().__init__(
            title=translate("date.pick", lang),
            content=body,
            size_hint=(0.94, None),
            height=dp(560),
            background="",
            background_color=COLORS["card"],
            overlay_color=(0, 0, 0, 0.5),
            title_color=COLORS["text"],
            title_size="17sp",
            separator_color=COLORS["primary"],
            **kw,
        )
        self.day_buttons: dict[int, TButton] = {}
        self.render()

    def _year_chosen(self, _spinner: Any, text: str) -> None:
        year = self.year_labels.get(text)
        if year is not None:
            self.year = year
            self.render()

    def turn(self, months: int) -> None:
        """Show another month."""
        self.year, self.month = shift_month(self.year, self.month, months)
        self.render()

    def render(self) -> None:
        """Fill the grid with weekday names and this month's days."""
        self.heading.text = month_title(self.year, self.month, self.lang)
        self.days.clear_widgets()
        self.day_buttons = {}
        names = translate("date.weekdays", self.lang).split(",")
        for name in names:
            self.days.add_widget(
                TLabel(text=name, halign="center", color=COLORS["muted"], font_size="14sp")
            )
        for week in _CAL.monthdayscalendar(self.year, self.month):
            for day in week:
                if day == 0:
                    self.days.add_widget(TLabel(text=" "))
                    continue
                this = date(self.year, self.month, day)
                if this == self.selected:
                    button: TButton = PrimaryButton(text=str(day))
                else:
                    button = TButton(text=str(day))
                    if this == self.today:
                        button.bold = True
                        button.color = COLORS["warn"]
                button.bind(on_release=lambda _b, d=this: self.pick(d))
                self.day_buttons[day] = button
                self.days.add_widget(button)

    def pick(self, day: date) -> None:
        """Hand the day to the field and close."""
        self.selected = day
        self.dismiss()
        self.on_pick(day.isoformat())
