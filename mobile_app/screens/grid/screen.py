"""Household list: search, filter chips, a RecycleView of households, "register a household"
and the bottom bar."""

from typing import Any

from kivy.app import App
from kivy.metrics import dp

from mobile_app.screens.base import BaseScreen, load_screen_kv
from mobile_app.store import FILTERS
from mobile_app.widgets.choice import ChoiceDialog

load_screen_kv(__file__, "grid")

ROW_DP = 76  # ListRow height in common.kv and the RecycleBoxLayout's default_size


class GridScreen(BaseScreen):
    """Layout in grid.kv; rows come from GridViewModel.rows."""

    filter_names = FILTERS
    dialog: ChoiceDialog | None = None

    def register_household(self) -> None:
        """Open the household form in the worker's grid; with several grids, ask which."""
        app = App.get_running_app()
        grids = self.vm.register_grids()
        if not grids:  # no grid known yet (never synced): say what to do
            self.dialog = ChoiceDialog(
                self.vm.tr("grid.register"),
                self.vm.tr("grid.no_grid"),
                [("stay", self.vm.tr("common.ok"), "primary")],
                self._grid_chosen,
            )
            self.dialog.open()
        elif len(grids) == 1:
            app.new_household(grids[0]["id"])
        else:
            answers = [(g["id"], g["text"], "plain") for g in grids]
            self.dialog = ChoiceDialog(
                self.vm.tr("grid.register"),
                self.vm.tr("grid.choose_grid"),
                [*answers, ("stay", self.vm.tr("common.cancel"), "plain")],
                self._grid_chosen,
            )
            self.dialog.open()

    def _grid_chosen(self, choice: str) -> None:
        self.dialog = None
        if choice != "stay":
            App.get_running_app().new_household(choice)

    def near_end(self, rv: Any) -> None:
        """At the end of the list, load the next page and keep the rows in view where they
        were (ScrollView keeps `scroll_y`, which would jump to the new end)."""
        if rv.scroll_y > 0.02 or self.vm is None:
            return
        before = len(self.vm.rows)
        row, viewport = dp(ROW_DP), rv.height
        pad = rv.children[0].padding[3] if rv.children else 0  # room under the last row
        offset = (1 - rv.scroll_y) * max(before * row + pad - viewport, 0)  # px from the top
        if not self.vm.load_more():
            return
        scrollable = len(self.vm.rows) * row + pad - viewport
        rv.scroll_y = 1 - offset / scrollable if scrollable > 0 else 1
