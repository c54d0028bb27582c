"""Household screen: summary, current risk flags, members (edit, move out), visits, new visit.

The member and visit lists are short (a household has a handful), so they are plain rows
rebuilt when the view-model's lists change.
"""

from __future__ import annotations

from typing import Any

from kivy.app import App
from kivy.metrics import dp
from kivy.uix.boxlayout import BoxLayout

from mobile_app.screens.base import BaseScreen, load_screen_kv
from mobile_app.widgets.common import COLORS, TButton, TLabel

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
            row = BoxLayout(size_hint_y=None, height=dp(64), spacing=dp(6))
            text = BoxLayout(orientation="vertical")
            text.add_widget(TLabel(text=m["title"], bold=True, height=dp(28)))
            text.add_widget(
                TLabel(text=m["status"], font_size="14sp", color=COLORS["muted"], height=dp(24))
            )
            row.add_widget(text)
            edit = TButton(text=app.tr("common.edit"), size_hint_x=None, width=dp(72))
            edit.bind(on_release=lambda _b, mid=m["member_id"]: app.edit_member(mid))
            row.add_widget(edit)
            if m["present"] and not m["is_head"]:
                out = TButton(text=app.tr("household.move_out"), size_hint_x=None, width=dp(72))
                out.bind(on_release=lambda _b, mid=m["member_id"]: self.vm.move_out(mid))
                row.add_widget(out)
            box.add_widget(row)

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
