"""Settings screen: language, server address, sign out (with a confirmation when unsynced)."""

from mobile_app.screens.base import BaseScreen, load_screen_kv

load_screen_kv(__file__, "settings")


class SettingsScreen(BaseScreen):
    """Layout in settings.kv."""
