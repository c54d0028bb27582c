"""Household screen: summary (with "new from the field" and moved away / merged), edit the
household, the register actions, current risk flags, members (edit, move out), visits.

The member and visit lists are short (a household has a handful), so they are plain rows
rebuilt when the view-model's lists change.
"""

from __future__ import annotations

from typing import Any

from kivy.app import App
from kivy.metrics import dp
from kivy.uix.boxlayout import BoxLayout

from mobile_app.screens.base import BaseScreen, load_screen_kv
from mobile_app.widgets.common import COLORS, FitButton, TButton, TLabel

load_screen_kv(__file__, "household")


class HouseholdScreen(BaseScreen):
    """Layout in household.kv; lists filled from HouseholdViewModel."""

    def on_vm(self, _screen: Any, vm: Any) -> None:
        vm.bind(members=self._members, visits=self._visits, flags=self._flags)

    def on_kv_post(self, _base: Any) -> None:
        self._members()
        self._visits()
        self._flags()

    def _flags(self, *_: Any) -> None:
        box = self.ids.flags
        box.clear_widgets()
        for f in self.vm.flags:
            color = COLORS["danger"] if f["severity"] == "high" else COLORS["warn"]
            box.add_widget(TLabel(text="• " + f["text"], color=color, font_size="15sp"))

    def _members(self, *_: Any) -> None:
        app = App.get_running_app()
        box = self.ids.members
        box.clear_widgets()
        for m in self.vm.members:
            box.add_widget(self._member_row(app, m))

    def _member_row(self, app: Any, m: dict[str, Any]) -> BoxLayout:
        """Name and status beside Edit (and Move out). The row is as tall as its text: a
        status wrapped at a large font scale must not spill over the section title."""
        text = BoxLayout(orientation="vertical", size_hint_y=None, pos_hint={"center_y": 0.5})
        text.bind(minimum_height=text.setter("height"))
        text.add_widget(TLabel(text=m["title"], bold=True))
        text.add_widget(TLabel(text=m["status"], font_size="14sp", color=COLORS["muted"]))
        row = BoxLayout(size_hint_y=None, spacing=dp(6))
        row.add_widget(text)
        centred = {"size_hint_x": None, "min_width": dp(64), "pos_hint": {"center_y": 0.5}}
        buttons = [FitButton(text=app.tr("common.edit"), **centred)]
        buttons[0].bind(on_release=lambda _b, mid=m["member_id"]: app.edit_member(mid))
        if m["present"] and not m["is_head"]:
            out = FitButton(text=app.tr("household.move_out"), **centred)
            out.bind(on_release=lambda _b, mid=m["member_id"]: self.vm.move_out(mid))
            buttons.append(out)
        for button in buttons:
            row.add_widget(button)

        def fit(*_: Any) -> None:
            row.height = max(dp(64), text.height, *(b.height for b in buttons))

        text.bind(height=fit)
        for button in buttons:
            button.bind(height=fit)
        fit()
        return row

    def _visits(self, *_: Any) -> None:
        app = App.get_running_app()
        box = self.ids.visits
        box.clear_widgets()
        for v in self.vm.visits:
            b = TButton(text=v["title"] + ("\n" + v["status"] if v["status"] else ""))
            b.halign = "left"
            if v["returned"]:
                b.color = COLORS["danger"]
            b.bind(on_release=lambda _b, vid=v["visit_id"]: app.open_visit(vid))
            box.add_widget(b)
