"""Returned and conflicts: the supervisor's returns with comments, conflicts, refused edits."""

from __future__ import annotations

from typing import Any

from kivy.app import App
from kivy.metrics import dp

from mobile_app.screens.base import BaseScreen, load_screen_kv
from mobile_app.widgets.common import COLORS, Card, TButton, TLabel

load_screen_kv(__file__, "returned")


class ReturnedScreen(BaseScreen):
    """Layout in returned.kv; one card per item, filled here."""

    def on_vm(self, _screen: Any, vm: Any) -> None:
        vm.bind(items=self._fill)

    def on_kv_post(self, _base: Any) -> None:
        self._fill()

    def _fill(self, *_: Any) -> None:
        app = App.get_running_app()
        box = self.ids.item_list
        box.clear_widgets()
        for item in self.vm.items:
            card = Card()
            card.add_widget(
                TLabel(text=item["title"], bold=True, color=COLORS["danger"], font_size="17sp")
            )
            if item["household"]:
                card.add_widget(TLabel(text=item["household"], bold=True))
            if item["text"]:
                card.add_widget(TLabel(text=item["text"], font_size="15sp"))
            if item["household_id"]:
                b = TButton(text=app.tr("returned.open"), size_hint_x=None, width=dp(120))
                b.bind(on_release=lambda _b, it=item: self.open(it))
                card.add_widget(b)
            box.add_widget(card)

    def open(self, item: dict) -> None:
        app = App.get_running_app()
        self.vm.open(item["key"])
        if item["entity"] == "visit" and item["kind"] in ("returned", "rejected_review"):
            app.vms["household"].load(item["household_id"])
            app.history.append("returned")
            app.sm.current = "household"
            app.open_visit(item["record_id"])
        else:
            app.open_household(item["household_id"])
