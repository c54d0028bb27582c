"""Household list: search, filter chips, a RecycleView of households, and the bottom bar."""

from mobile_app.screens.base import BaseScreen, load_screen_kv
from mobile_app.store import FILTERS

load_screen_kv(__file__, "grid")


class GridScreen(BaseScreen):
    """Layout in grid.kv; rows come from GridViewModel.rows."""

    filter_names = FILTERS
