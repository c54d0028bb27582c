"""The register actions of one household (issue 16): split members off into a new household,
move a member to another household of the grid, change the head, mark the household moved
away or merged.

One panel at a time (tabs). What the worker ticks and chooses is the view-model's
(`HouseholdRegisterViewModel`); this screen builds the rows that depend on the data (members,
households found by the search) and keeps them in step. Marking moved away or merged asks
first; Back with choices not yet confirmed asks before dropping them.

Widgets a script can reach (besides the .kv ids): `member_boxes[member_id]` (the split's tick
boxes), `head_chips[member_id]` (the split's new-head choice), `move_choices[member_id]` (the
member to move), `head_choices[member_id]` (the new head), `target_buttons[household_id]`
(households listed under the open panel's search box), `dialog` (the open question, with
`dialog.buttons[key]`).
"""

from __future__ import annotations

from typing import Any

from kivy.app import App
from kivy.metrics import dp
from kivy.uix.boxlayout import BoxLayout

from mobile_app.screens.base import BaseScreen, load_screen_kv
from mobile_app.widgets.choice import ChoiceDialog
from mobile_app.widgets.common import COLORS, Chip, OptionButton, TCheckBox, TLabel

load_screen_kv(__file__, "register")


class RegisterScreen(BaseScreen):
    """Layout in register.kv; rows filled from HouseholdRegisterViewModel."""

    dialog: ChoiceDialog | None = None

    def __init__(self, **kw: Any) -> None:
        self.member_boxes: dict[str, TCheckBox] = {}
        self.head_chips: dict[str, Chip] = {}
        self.move_choices: dict[str, OptionButton] = {}
        self.head_choices: dict[str, OptionButton] = {}
        self.target_buttons: dict[str, OptionButton] = {}
        self.panels: dict[str, Any] = {}
        super().__init__(**kw)

    def on_vm(self, _screen: Any, vm: Any) -> None:
        vm.bind(
            mode=self._show_panel,
            members=self._member_rows,
            moving=self._split_state,
            new_head=self._split_state,
            move_member_id=self._move_state,
            head_candidates=self._head_rows,
            head_choice=self._head_state,
            target_rows=self._target_rows,
            move_target=self._target_state,
            merge_target=self._target_state,
            mark_status=self._merge_box,
            target_search=self._search_text,
        )

    def on_kv_post(self, _base: Any) -> None:
        ids = self.ids
        # strong references (`__self__`: ids are weak proxies), so a panel out of the tree stays
        self.panels = {
            "split": ids.split_panel.__self__,
            "move": ids.move_panel.__self__,
            "head": ids.head_panel.__self__,
            "mark": ids.mark_panel.__self__,
        }
        self.merge_box = ids.merge_box.__self__
        self._show_panel()
        self._member_rows()
        self._head_rows()
        self._merge_box()

    # -- keeping the widgets in step with the view-model ------------------------------------
    def _show_panel(self, *_: Any) -> None:
        host = self.ids.panel_host
        host.clear_widgets()
        host.add_widget(self.panels[self.vm.mode])
        self._target_rows()
        self.ids.scroll.scroll_y = 1

    def _member_rows(self, *_: Any) -> None:
        app = App.get_running_app()
        split, move = self.ids.split_members, self.ids.move_members
        split.clear_widgets()
        move.clear_widgets()
        self.member_boxes, self.head_chips, self.move_choices = {}, {}, {}
        for m in self.vm.members:
            split.add_widget(self._split_row(app, m))
            choice = OptionButton(text=f"{m['name']} · {m['relation_text']}")
            choice.bind(on_release=lambda _b, mid=m["id"]: self.vm.choose_move_member(mid))
            self.move_choices[m["id"]] = choice
            move.add_widget(choice)
        self._split_state()
        self._move_state()

    def _head_rows(self, *_: Any) -> None:
        """The members who may become the head (living in the household, not the head)."""
        host = self.ids.head_members
        host.clear_widgets()
        self.head_choices = {}
        for m in self.vm.head_candidates:
            choice = OptionButton(text=f"{m['name']} · {m['relation_text']}")
            choice.bind(on_release=lambda _b, mid=m["id"]: self.vm.choose_new_head(mid))
            self.head_choices[m["id"]] = choice
            host.add_widget(choice)
        self._head_state()

    def _head_state(self, *_: Any) -> None:
        for mid, choice in self.head_choices.items():
            choice.chosen = mid == self.vm.head_choice

    def _split_row(self, app: Any, m: dict[str, Any]) -> BoxLayout:
        """A tick box (this member leaves), the name and relation, "new head"."""
        box = TCheckBox(pos_hint={"center_y": 0.5})
        box.bind(on_release=lambda _b, mid=m["id"]: self._tick(mid))
        text = BoxLayout(orientation="vertical", size_hint_y=None, pos_hint={"center_y": 0.5})
        text.bind(minimum_height=text.setter("height"))
        text.add_widget(TLabel(text=m["name"], bold=True))
        text.add_widget(TLabel(text=m["relation_text"], font_size="14sp", color=COLORS["muted"]))
        head = Chip(text=app.tr("register.new_head"), pos_hint={"center_y": 0.5})
        head.bind(on_release=lambda _c, mid=m["id"]: self._head(mid))
        row = BoxLayout(size_hint_y=None, spacing=dp(8))
        for widget in (box, text, head):
            row.add_widget(widget)
        text.bind(height=lambda *_: setattr(row, "height", max(dp(56), text.height)))
        row.height = max(dp(56), text.height)
        self.member_boxes[m["id"]] = box
        self.head_chips[m["id"]] = head
        return row

    def _tick(self, member_id: str) -> None:
        self.vm.toggle_moving(member_id)
        self._split_state()  # the widget toggled itself: the view-model's state wins

    def _head(self, member_id: str) -> None:
        self.vm.choose_head(member_id)
        self._split_state()  # a second tap on the chosen head keeps it chosen

    def _split_state(self, *_: Any) -> None:
        for mid, box in self.member_boxes.items():
            box.active = mid in self.vm.moving
        for mid, chip in self.head_chips.items():
            chip.state = "down" if mid == self.vm.new_head else "normal"

    def _move_state(self, *_: Any) -> None:
        for mid, choice in self.move_choices.items():
            choice.chosen = mid == self.vm.move_member_id

    def _target_rows(self, *_: Any) -> None:
        """The households found by the search, in the open panel (move or merge)."""
        for host in (self.ids.move_targets, self.ids.merge_targets):
            host.clear_widgets()
        self.target_buttons = {}
        host = {"move": self.ids.move_targets, "mark": self.ids.merge_targets}.get(self.vm.mode)
        if host is None:
            return
        for row in self.vm.target_rows:
            button = OptionButton(text=row["text"])
            button.bind(on_release=lambda _b, hid=row["id"]: self.vm.choose_target(hid))
            self.target_buttons[row["id"]] = button
            host.add_widget(button)
        self._target_state()

    def _target_state(self, *_: Any) -> None:
        chosen = self.vm.merge_target if self.vm.mode == "mark" else self.vm.move_target
        for hid, button in self.target_buttons.items():
            button.chosen = hid == chosen

    def _merge_box(self, *_: Any) -> None:
        """The "merged into which household" picker shows only for `merged`."""
        panel = self.ids.mark_panel
        wanted = self.vm.mark_status == "merged"
        if wanted and self.merge_box.parent is None:
            panel.add_widget(self.merge_box, index=2)  # above the error and the confirm button
        elif not wanted and self.merge_box.parent is not None:
            panel.remove_widget(self.merge_box)

    def _search_text(self, *_: Any) -> None:
        """A search cleared by the view-model (a new panel, a done action) clears the box."""
        for field in (self.ids.move_search, self.ids.merge_search):
            if field.text != self.vm.target_search:
                field.text = self.vm.target_search

    # -- actions ------------------------------------------------------------------------------
    def confirm_split(self) -> None:
        if self.vm.confirm_split():
            self._done()

    def confirm_move(self) -> None:
        if self.vm.confirm_move():
            self._done()

    def confirm_head(self) -> None:
        if self.vm.confirm_head():
            self._done()

    def _done(self) -> None:
        """An action went through: back to the top, where the household and the rows are."""
        self.ids.scroll.scroll_y = 1

    def confirm_mark(self) -> None:
        """Moved away or merged takes the household off the active list: ask first."""
        vm = self.vm
        if not vm.mark_needs_confirm():
            if vm.confirm_mark():
                self._done()
            return
        if vm.mark_status == "merged" and not vm.merge_target:
            vm.confirm_mark()  # says which household is missing, next to the button
            return
        text = (
            vm.tr("register.ask_merged", household=vm.target_text(vm.merge_target))
            if vm.mark_status == "merged"
            else vm.tr("register.ask_moved_away")
        )
        self.dialog = ChoiceDialog(
            vm.tr("register.ask_title"),
            text,
            [
                ("mark", vm.tr("register.ask_yes"), "danger"),
                ("stay", vm.tr("common.cancel"), "plain"),
            ],
            self._mark_answered,
        )
        self.dialog.open()

    def _mark_answered(self, choice: str) -> None:
        self.dialog = None
        if choice == "mark" and self.vm.confirm_mark():
            self._done()

    def may_leave(self) -> bool:
        """Called by the app's Back: True to go, False while the worker is asked."""
        if not self.vm.has_unsaved_choices():
            return True
        tr = self.vm.tr
        self.dialog = ChoiceDialog(
            tr("register.unsaved_title"),
            tr("register.unsaved_text"),
            [
                ("discard", tr("register.unsaved_discard"), "danger"),
                ("stay", tr("register.unsaved_stay"), "plain"),
            ],
            self._leave_answered,
        )
        self.dialog.open()
        return False

    def _leave_answered(self, choice: str) -> None:
        self.dialog = None
        if choice == "discard":
            self.vm.clear_choices()
            App.get_running_app().back()
