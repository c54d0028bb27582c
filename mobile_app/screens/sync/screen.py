"""Sync screen: progress bar, pending count, last sync time, plain-words errors, retry."""

from mobile_app.screens.base import BaseScreen, load_screen_kv

load_screen_kv(__file__, "sync")


class SyncScreen(BaseScreen):
    """Layout in sync.kv."""
