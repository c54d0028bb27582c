"""Builds the widgets of a form view-model's current section and keeps them in step with it.

Every field gets its widget once; switching sections or relevance only re-arranges them, so
typed text and focus survive. The view-model stays the single source of values and errors.
"""

from __future__ import annotations

from typing import Any

from kivy.metrics import dp
from kivy.uix.boxlayout import BoxLayout

from mobile_app.forms.fields import FieldBox, field_widget
from shared_schema.forms import FormDef


class FormRenderer(BoxLayout):
    """The fields of the current section, in definition order, hidden when not relevant."""

    def __init__(self, vm: Any = None, **kw: Any) -> None:
        super().__init__(orientation="vertical", size_hint_y=None, spacing=dp(14), **kw)
        self.bind(minimum_height=self.setter("height"))
        self.vm: Any = None
        self.widgets: dict[str, FieldBox] = {}
        self._form: FormDef | None = None
        self.extra: list[Any] = []  # widgets a screen appends after the fields of a section
        if vm is not None:
            self.attach(vm)

    def attach(self, vm: Any) -> None:
        """Follow a view-model (its form, values, computed values, errors, relevance, section
        and language)."""
        self.vm = vm
        vm.bind(
            form=lambda *_: self.rebuild(),
            values=lambda *_: self.show_values(),
            computed=lambda *_: self.show_values(),
            errors=lambda *_: self.show_errors(),
            relevant=lambda *_: self.arrange(),
            section_index=lambda *_: self.arrange(),
            lang=lambda *_: self.relabel(),
        )
        self.rebuild()

    def rebuild(self) -> None:
        """Create one widget per field of the form."""
        self.widgets = {}
        self._form = self.vm.form
        for f in self._form.fields():
            self.widgets[f.path] = field_widget(f, self.vm.lang, self._changed, today=self.vm.today)
        self.show_values()
        self.show_errors()
        self.arrange()

    def _changed(self, path: str, raw: Any) -> None:
        self.vm.set_value(path, raw)

    def relabel(self) -> None:
        for w in self.widgets.values():
            w.relabel(self.vm.lang)
        self.show_values()

    def show_values(self) -> None:
        for path, w in self.widgets.items():
            w.show(self.vm.display(path))

    def show_errors(self) -> None:
        errors = self.vm.errors
        for path, w in self.widgets.items():
            w.error = errors.get(path, "")

    def current_paths(self) -> list[str]:
        """Paths shown now: the current section's relevant fields."""
        sections = self._form.sections if self._form is not None else ()
        if not sections:
            return []
        section = sections[int(self.vm.section_index)]
        shown = set(self.vm.relevant)
        return [f.path for f in section.fields if f.path in shown]

    def arrange(self) -> None:
        self.clear_widgets()
        for path in self.current_paths():
            self.add_widget(self.widgets[path])
        for w in self.extra:
            if w.parent is not None:
                w.parent.remove_widget(w)
            self.add_widget(w)
