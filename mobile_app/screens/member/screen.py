"""Member form screen: the shared member form; the ID number fills birth date and sex.

Back with unsaved edits asks first (save / discard / keep editing), so a tap never throws
away what the worker typed.
"""

from __future__ import annotations

from typing import Any

from kivy.app import App

from mobile_app.screens.base import load_screen_kv
from mobile_app.screens.form_screen import FormScreen
from mobile_app.widgets.choice import ChoiceDialog

load_screen_kv(__file__, "member")


class MemberScreen(FormScreen):
    """Layout in member.kv."""

    dialog: ChoiceDialog | None = None

    def may_leave(self) -> bool:
        """Called by the app's Back: True to go, False while the worker is asked."""
        for field in self.renderer.widgets.values():  # text still being typed is committed
            text_input: Any = getattr(field, "input", None)
            if getattr(text_input, "focus", False):
                text_input.focus = False
        if not self.vm.has_unsaved_changes():
            return True
        tr = self.vm.tr
        self.dialog = ChoiceDialog(
            tr("member.unsaved_title"),
            tr("member.unsaved_text"),
            [
                ("save", tr("member.unsaved_save"), "primary"),
                ("discard", tr("member.unsaved_discard"), "danger"),
                ("stay", tr("member.unsaved_stay"), "plain"),
            ],
            self._answered,
        )
        self.dialog.open()
        return False

    def _answered(self, choice: str) -> None:
        self.dialog = None
        if self.vm.leave(choice):
            App.get_running_app().back()
