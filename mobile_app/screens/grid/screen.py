"""Household list: search, filter chips, a RecycleView of households, and the bottom bar."""

from typing import Any

from kivy.metrics import dp

from mobile_app.screens.base import BaseScreen, load_screen_kv
from mobile_app.store import FILTERS

load_screen_kv(__file__, "grid")

ROW_DP = 76  # ListRow height in common.kv and the RecycleBoxLayout's default_size


class GridScreen(BaseScreen):
    """Layout in grid.kv; rows come from GridViewModel.rows."""

    filter_names = FILTERS

    def near_end(self, rv: Any) -> None:
        """At the end of the list, load the next page and keep the rows in view where they
        were (ScrollView keeps `scroll_y`, which would jump to the new end)."""
        if rv.scroll_y > 0.02 or self.vm is None:
            return
        before = len(self.vm.rows)
        row, viewport = dp(ROW_DP), rv.height
        offset = (1 - rv.scroll_y) * max(before * row - viewport, 0)  # pixels from the top
        if not self.vm.load_more():
            return
        scrollable = len(self.vm.rows) * row - viewport
        rv.scroll_y = 1 - offset / scrollable if scrollable > 0 else 1
