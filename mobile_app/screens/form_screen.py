"""A screen showing one form view-model through the FormRenderer, one section at a time.

A form screen whose view-model has `has_unsaved_changes()` and `leave(choice)` (the member
and household forms) asks on Back before throwing edits away: save / discard / keep editing.
"""

from __future__ import annotations

from typing import Any

from kivy.app import App
from kivy.metrics import dp

from mobile_app.forms.renderer import FormRenderer
from mobile_app.screens.base import BaseScreen
from mobile_app.widgets.choice import ChoiceDialog
from mobile_app.widgets.common import Chip


class FormScreen(BaseScreen):
    """Puts a FormRenderer in `ids.form_host` and section tabs in `ids.tabs`."""

    dialog: ChoiceDialog | None = None
    unsaved_text = "member.unsaved_text"  # what the Back dialog says (an i18n key)

    def may_leave(self) -> bool:
        """Called by the app's Back: True to go, False while the worker is asked."""
        unsaved = getattr(self.vm, "has_unsaved_changes", None)
        if unsaved is None:  # the visit form keeps a draft instead
            return True
        for field in self.renderer.widgets.values():  # text still being typed is committed
            text_input: Any = getattr(field, "input", None)
            if getattr(text_input, "focus", False):
                text_input.focus = False
        if not unsaved():
            return True
        tr = self.vm.tr
        self.dialog = ChoiceDialog(
            tr("member.unsaved_title"),
            tr(self.unsaved_text),
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

    def on_kv_post(self, _base: Any) -> None:
        self.renderer = FormRenderer()
        self.ids.form_host.add_widget(self.renderer)
        self.renderer.extra = self.extra_widgets()
        self.renderer.attach(self.vm)
        self.vm.bind(section_index=self._tabs, lang=self._tabs, form=self._tabs)
        self.vm.bind(section_index=self._scroll_top)
        self._tabs()

    def extra_widgets(self) -> list[Any]:
        """Widgets shown under the fields of every section (none by default)."""
        return []

    def _scroll_top(self, *_: Any) -> None:
        self.ids.scroll.scroll_y = 1

    def _tabs(self, *_: Any) -> None:
        tabs = self.ids.get("tabs")
        if tabs is None:
            return
        tabs.clear_widgets()
        for i, section in enumerate(self.vm.form.sections):
            chip = Chip(
                text=section.title(self.vm.lang),
                state="down" if i == self.vm.section_index else "normal",
                height=dp(48),
            )
            chip.bind(on_release=lambda _c, i=i: self.vm.go_to_section(i))
            tabs.add_widget(chip)
