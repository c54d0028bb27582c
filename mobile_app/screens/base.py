"""Screen base: holds its view-model and loads its own .kv file once."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder
from kivy.properties import ObjectProperty
from kivy.uix.screenmanager import Screen


def load_screen_kv(module_file: str, name: str) -> None:
    """Load `<name>.kv` next to a screen module (once)."""
    path = str(Path(module_file).with_name(f"{name}.kv"))
    if path not in Builder.files:
        Builder.load_file(path)


class BaseScreen(Screen):
    """A screen bound to one view-model (`vm`)."""

    vm = ObjectProperty(None, rebind=True)
