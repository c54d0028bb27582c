"""Visit form screen: section tabs, the fields of one section, live income and flags, save;
a photo tapped in an evidence field opens full screen over it (`vm.viewing`)."""

from __future__ import annotations

from typing import Any

from kivy.app import App
from kivy.metrics import dp
from kivy.uix.boxlayout import BoxLayout

from mobile_app.forms.evidence_fields import PhotoView
from mobile_app.screens.base import load_screen_kv
from mobile_app.screens.form_screen import FormScreen
from mobile_app.widgets.common import COLORS, TButton, TLabel

load_screen_kv(__file__, "visit")


class VisitScreen(FormScreen):
    """Layout in visit.kv; the live summary (members, flags) is filled here."""

    photo_view: PhotoView | None = None

    def on_kv_post(self, base: Any) -> None:
        super().on_kv_post(base)
        self.vm.bind(viewing=self._show_photo)

    def _show_photo(self, *_: Any) -> None:
        viewing = self.vm.viewing
        if self.photo_view is not None:
            self.photo_view.dismiss(animation=False)
            self.photo_view = None
        if viewing:
            self.photo_view = PhotoView(
                viewing["data"], viewing.get("mime"), self.vm.lang, self.vm.close_full
            )
            self.photo_view.open(animation=False)

    def may_leave(self) -> bool:
        """Android's back closes an open photo first."""
        if self.vm.viewing:
            self.vm.close_full()
            return False
        return True

    def on_leave(self, *_: Any) -> None:
        if self.vm.viewing:
            self.vm.close_full()

    def extra_widgets(self) -> list[Any]:
        self.members_box = BoxLayout(orientation="vertical", size_hint_y=None, spacing=dp(4))
        self.members_box.bind(minimum_height=self.members_box.setter("height"))
        self.flags_box = BoxLayout(orientation="vertical", size_hint_y=None, spacing=dp(4))
        self.flags_box.bind(minimum_height=self.flags_box.setter("height"))
        self.vm.bind(
            member_rows=self._fill, flags=self._fill, section_index=self._fill, lang=self._fill
        )
        self._fill()
        return [self.members_box, self.flags_box]

    def _section_key(self) -> str:
        sections = self.vm.form.sections
        return sections[int(self.vm.section_index)].key if sections else ""

    def _fill(self, *_: Any) -> None:
        app = App.get_running_app()
        key = self._section_key()
        self.members_box.clear_widgets()
        if key == "members":
            self.members_box.add_widget(
                TLabel(text=app.tr("visit.members_hint"), color=COLORS["muted"], font_size="14sp")
            )
            for m in self.vm.member_rows:
                row = TButton(text=f"{m['title']}  ·  {m['status']}", halign="left")
                row.bind(on_release=lambda _b, mid=m["member_id"]: app.edit_member(mid))
                self.members_box.add_widget(row)
            add = TButton(text="+ " + app.tr("household.add_member"))
            add.bind(on_release=lambda _b: app.new_member(self.vm.household_id))
            self.members_box.add_widget(add)
        self.flags_box.clear_widgets()
        if key in ("risks", "income", "confirmation"):
            self.flags_box.add_widget(
                TLabel(text=app.tr("visit.flags"), bold=True, color=COLORS["primary"])
            )
            if not self.vm.flags:
                self.flags_box.add_widget(
                    TLabel(text=app.tr("visit.no_flags"), color=COLORS["muted"])
                )
            for f in self.vm.flags:
                color = COLORS["danger"] if f["severity"] == "high" else COLORS["warn"]
                self.flags_box.add_widget(
                    TLabel(text="• " + f["text"], color=color, font_size="15sp")
                )
