"""Widgets of the evidence fields: photos (camera on Android, a file chooser elsewhere), the
household's signature drawn on a pad, and the GPS state. Like every field widget they only
report (`on_change(path, action)`, an action dict the visit view-model carries out) and show
what the view-model gives them; they never prepare, store or validate anything themselves.

Actions: `{"file": path}` (a photo chosen in the desktop chooser), `{"camera": True}` and
`{"gallery": True}` (Android: the view-model asks for the permission, then opens them),
`{"remove": sha256}`, `{"fetch": sha256}` (a file another phone took: its thumbnail on
demand), `{"view": sha256}` (a tap on a thumbnail: the full photo, fetched if need be),
`{"strokes": [...], "size": (w, h)}` (a signature), `{"locate": True}` (ask for a fix again).
"""

from __future__ import annotations

import io
import os
from typing import Any

from kivy.core.image import Image as CoreImage
from kivy.graphics import Color, Line, Rectangle
from kivy.metrics import dp
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.filechooser import FileChooserListView
from kivy.uix.image import Image
from kivy.uix.modalview import ModalView
from kivy.uix.popup import Popup
from kivy.uix.stencilview import StencilView
from kivy.uix.widget import Widget
from kivy.utils import platform

from mobile_app.forms.fields import FieldBox
from mobile_app.i18n import translate
from mobile_app.widgets.common import COLORS, FitButton, TButton, TLabel

PHOTO_FILTERS = ["*.jpg", "*.jpeg", "*.JPG", "*.JPEG", "*.png", "*.PNG", "*.webp"]


EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


def texture_of(data: bytes | None, ext: str = "jpg") -> Any:
    if not data:
        return None
    try:
        return CoreImage(io.BytesIO(data), ext=ext).texture
    except Exception:
        return None


class Thumbnail(ButtonBehavior, Image):
    """A file's thumbnail; a tap opens the full photo."""


class EvidenceItem(BoxLayout):
    """One file: its thumbnail on the left (tap: the full photo), and on the right its state
    (pending, uploaded, missing...) over its buttons: "Show" (the thumbnail of a file only on
    the server) and "Remove"."""

    def __init__(self, item: dict[str, Any], lang: str, on_action: Any, **kw: Any) -> None:
        super().__init__(
            orientation="horizontal", size_hint_y=None, height=dp(104), spacing=dp(8), **kw
        )
        self.sha256 = item["sha256"]
        self.state = item["state"]
        self.thumb = Thumbnail(size_hint_x=None, width=dp(128), fit_mode="contain")
        texture = texture_of(item.get("thumb"))
        if texture is not None:
            self.thumb.texture = texture
            self.thumb.bind(on_release=lambda *_: on_action({"view": self.sha256}))
        else:  # a grey box where the thumbnail will be
            self.thumb.color = (0.88, 0.88, 0.86, 1)
        self.add_widget(self.thumb)
        side = BoxLayout(orientation="vertical", spacing=dp(4))
        color = COLORS["danger"] if item["state"] in ("missing", "refused") else COLORS["muted"]
        self.state_label = TLabel(text=item["text"], color=color, font_size="13sp")
        side.add_widget(self.state_label)
        side.add_widget(Widget())
        buttons = BoxLayout(size_hint_y=None, height=dp(48), spacing=dp(8))
        self.fetch_button: TButton | None = None
        if item["state"] == "remote" and texture is None:
            fetch = TButton(text=translate("evidence.show", lang))
            fetch.bind(on_release=lambda *_: on_action({"fetch": self.sha256}))
            buttons.add_widget(fetch)
            self.fetch_button = fetch
        else:
            buttons.add_widget(Widget())
        self.remove_button = TButton(text=translate("evidence.remove", lang))
        self.remove_button.bind(on_release=lambda *_: on_action({"remove": self.sha256}))
        buttons.add_widget(self.remove_button)
        side.add_widget(buttons)
        self.add_widget(side)


class PhotoField(FieldBox):
    """The photos of one kind: thumbnails with their state, "take a photo" (Android camera) or
    "choose a photo" (a file chooser where there is no camera: desktop, Xvfb, the demo)."""

    def make_input(self) -> BoxLayout:
        box = BoxLayout(orientation="vertical", size_hint_y=None, spacing=dp(4))
        box.bind(minimum_height=box.setter("height"))
        self.items = BoxLayout(orientation="vertical", size_hint_y=None, spacing=dp(4), height=0)
        self.items.bind(minimum_height=self.items.setter("height"))
        box.add_widget(self.items)
        buttons = BoxLayout(size_hint_y=None, height=dp(48), spacing=dp(8))
        self.add_button = TButton(text="")
        self.add_button.bind(on_release=lambda *_: self.open_source())
        buttons.add_widget(self.add_button)
        # Android: the gallery next to the camera (also the way on when the camera is refused)
        self.gallery_button: TButton | None = None
        if platform == "android":
            self.gallery_button = TButton(text="")
            self.gallery_button.bind(on_release=lambda *_: self.action({"gallery": True}))
            buttons.add_widget(self.gallery_button)
        box.add_widget(buttons)
        self.popup: Popup | None = None
        self._shown: list[Any] = []
        return box

    def relabel(self, lang: str) -> None:
        super().relabel(lang)
        key = "evidence.camera" if platform == "android" else "evidence.choose"
        self.add_button.text = "+ " + translate(key, lang)
        if self.gallery_button is not None:
            self.gallery_button.text = translate("evidence.gallery", lang)

    def action(self, action: dict[str, Any]) -> None:
        self.on_change(self.path, action)

    def show(self, value: Any) -> None:
        items = value if isinstance(value, list) else []
        key = [(i["sha256"], i["state"], i["text"], bool(i.get("thumb"))) for i in items]
        if key == self._shown:
            return
        self._shown = key
        self.items.clear_widgets()
        for item in items:
            self.items.add_widget(EvidenceItem(item, self.lang, self.action))
        limit = self.field_def.max_items
        full = limit is not None and len(items) >= limit
        self.add_button.disabled = full
        if self.gallery_button is not None:
            self.gallery_button.disabled = full

    # -- sources ---------------------------------------------------------------------------
    def open_source(self) -> None:
        if platform == "android":  # the view-model asks for the camera, then opens it
            self.action({"camera": True})
        else:
            self.open_chooser()

    def open_chooser(self, folder: str | None = None) -> Popup:
        start = folder or os.environ.get("TIANYE_PHOTO_DIR") or os.path.expanduser("~")
        chooser = FileChooserListView(path=start, filters=PHOTO_FILTERS, show_hidden=False)
        body = BoxLayout(orientation="vertical", spacing=dp(6))
        body.add_widget(chooser)
        row = BoxLayout(size_hint_y=None, height=dp(52), spacing=dp(8))
        cancel = TButton(text=translate("evidence.cancel", self.lang))
        ok = TButton(text=translate("evidence.ok", self.lang))
        row.add_widget(cancel)
        row.add_widget(ok)
        body.add_widget(row)
        popup = Popup(title=translate("evidence.choose", self.lang), content=body)
        popup.chooser = chooser
        popup.ok_button = ok

        def choose(*_: Any) -> None:
            if chooser.selection:
                popup.dismiss()
                self.action({"file": chooser.selection[0]})

        ok.bind(on_release=choose)
        chooser.bind(on_submit=lambda *_: choose())
        cancel.bind(on_release=lambda *_: popup.dismiss())
        self.popup = popup
        popup.open()
        return popup


class SignaturePad(Widget):
    """A white box the household signs in with a finger; strokes in the pad's coordinates.

    The form scrolls, and a ScrollView takes a quick finger move for a scroll before any child
    sees it; so the pad listens on the Window itself (bound handlers run before the widget
    tree) and takes the touches that start inside it while it is on screen, uncovered: not
    under a popup, and not in a part scrolled out of view (under the form's Save button)."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(size_hint_y=None, height=dp(180), **kw)
        self.strokes: list[list[tuple[float, float]]] = []
        self._lines: list[Line] = []
        with self.canvas.before:
            Color(1, 1, 1, 1)
            self._bg = Rectangle(pos=self.pos, size=self.size)
            Color(0.6, 0.6, 0.6, 1)
            self._frame = Line(rectangle=(*self.pos, *self.size), width=1)
        self.bind(pos=self._redraw, size=self._redraw)
        from kivy.core.window import Window

        Window.bind(
            on_touch_down=self._window_down,
            on_touch_move=self._window_move,
            on_touch_up=self._window_up,
        )

    def _local(self, touch: Any) -> tuple[float, float]:
        x, y = self.to_widget(touch.x, touch.y)
        x = min(max(x, self.x), self.right)
        y = min(max(y, self.y), self.top)
        return x - self.x, y - self.y

    def _reachable(self, touch: Any) -> bool:
        window = self.get_root_window()
        if window is None or self.disabled:
            return False
        root = self
        while root.parent is not None and root.parent is not window:
            root = root.parent
        if window.children and window.children[0] is not root:  # a popup covers the form
            return False
        if not self.collide_point(*self.to_widget(touch.x, touch.y)):
            return False
        # scrolled out of its ScrollView (e.g. under the form's buttons): not the pad's touch
        node = self.parent
        while node is not None and node is not window:
            if isinstance(node, StencilView):
                outer = node.parent
                at = (touch.x, touch.y) if outer in (None, window) else outer.to_widget(*touch.pos)
                if not node.collide_point(*at):
                    return False
            node = node.parent
        return True

    def _redraw(self, *_: Any) -> None:
        self._bg.pos, self._bg.size = self.pos, self.size
        self._frame.rectangle = (*self.pos, *self.size)
        self.canvas.clear()
        self._lines = []
        with self.canvas:
            Color(0, 0, 0, 1)
            for stroke in self.strokes:
                pts = [c for x, y in stroke for c in (self.x + x, self.y + y)]
                self._lines.append(Line(points=pts, width=dp(1.5)))

    def _window_down(self, _window: Any, touch: Any) -> bool:
        if not self._reachable(touch):
            return False
        touch.ud[f"signature-{id(self)}"] = True
        x, y = self._local(touch)
        self.strokes.append([(x, y)])
        with self.canvas:
            Color(0, 0, 0, 1)
            self._lines.append(Line(points=[self.x + x, self.y + y], width=dp(1.5)))
        return True

    def _window_move(self, _window: Any, touch: Any) -> bool:
        if not touch.ud.get(f"signature-{id(self)}") or not self.strokes:
            return False
        x, y = self._local(touch)
        self.strokes[-1].append((x, y))
        self._lines[-1].points += [self.x + x, self.y + y]
        return True

    def _window_up(self, _window: Any, touch: Any) -> bool:
        return bool(touch.ud.get(f"signature-{id(self)}"))

    def clear(self) -> None:
        self.strokes = []
        self._redraw()


class SignatureField(FieldBox):
    """The signature: the kept one (with its state) or the pad; Clear, Keep and Redo."""

    def make_input(self) -> BoxLayout:
        box = BoxLayout(orientation="vertical", size_hint_y=None, spacing=dp(4))
        box.bind(minimum_height=box.setter("height"))
        self.kept = BoxLayout(orientation="vertical", size_hint_y=None, spacing=dp(4), height=0)
        self.kept.bind(minimum_height=self.kept.setter("height"))
        self.hint = TLabel(font_size="13sp", color=COLORS["muted"])
        self.pad = SignaturePad()
        buttons = BoxLayout(size_hint_y=None, height=dp(48), spacing=dp(8))
        self.clear_button = TButton()
        self.keep_button = TButton()
        self.clear_button.bind(on_release=lambda *_: self.pad.clear())
        self.keep_button.bind(on_release=lambda *_: self.keep())
        buttons.add_widget(self.clear_button)
        buttons.add_widget(self.keep_button)
        self.redo_button = TButton(size_hint_y=None, height=dp(48))
        self.redo_button.bind(on_release=lambda *_: self.redo())
        self.drawing = BoxLayout(orientation="vertical", size_hint_y=None, spacing=dp(4))
        self.drawing.bind(minimum_height=self.drawing.setter("height"))
        for w in (self.hint, self.pad, buttons):
            self.drawing.add_widget(w)
        box.add_widget(self.kept)
        box.add_widget(self.drawing)
        self._redoing = False
        self._shown: list[Any] | None = None
        return box

    def relabel(self, lang: str) -> None:
        super().relabel(lang)
        self.hint.text = translate("evidence.sign_here", lang)
        self.clear_button.text = translate("evidence.clear", lang)
        self.keep_button.text = translate("evidence.keep", lang)
        self.redo_button.text = translate("evidence.redo", lang)

    def keep(self) -> None:
        self.on_change(
            self.path,
            {"strokes": [list(s) for s in self.pad.strokes], "size": tuple(self.pad.size)},
        )

    def redo(self) -> None:
        self._redoing = True
        self.pad.clear()
        self._place(has_signature=True)

    def _place(self, *, has_signature: bool) -> None:
        box = self.input
        box.clear_widgets()
        box.add_widget(self.kept)
        if has_signature and not self._redoing:
            box.add_widget(self.redo_button)
        else:
            box.add_widget(self.drawing)

    def show(self, value: Any) -> None:
        items = value if isinstance(value, list) else []
        key = [(i["sha256"], i["state"], i["text"]) for i in items]
        if key == self._shown:
            return
        if self._shown is not None and key != self._shown:
            self._redoing = False  # a new signature was kept
            self.pad.clear()
        self._shown = key
        self.kept.clear_widgets()
        for item in items:
            self.kept.add_widget(
                EvidenceItem(item, self.lang, lambda action: self.on_change(self.path, action))
            )
        self._place(has_signature=bool(items))


class GeoField(FieldBox):
    """The position of the visit: "waiting for a fix", "26.56600, 107.98100 ±12 m" or
    "no fix: …", with "locate again"; never a reason to refuse saving."""

    def make_input(self) -> BoxLayout:
        box = BoxLayout(size_hint_y=None, height=dp(48), spacing=dp(8))
        self.status = TLabel(color=COLORS["text"], pos_hint={"center_y": 0.5})
        self.again = FitButton(size_hint_x=None, min_width=dp(120), pos_hint={"center_y": 0.5})
        self.again.bind(on_release=lambda *_: self.on_change(self.path, {"locate": True}))
        box.add_widget(self.status)
        box.add_widget(self.again)

        def fit(*_: Any) -> None:  # a "no fix: …" reason wraps: the row grows, never spills
            box.height = max(dp(48), self.status.height, self.again.height)

        self.status.bind(height=fit)
        self.again.bind(height=fit)
        return box

    def relabel(self, lang: str) -> None:
        super().relabel(lang)
        self.again.text = translate("evidence.retry_gps", lang)

    def show(self, value: Any) -> None:
        self.status.text = str(value or translate("common.unknown", self.lang))


class PhotoView(ModalView):
    """A photo full screen on black, with a close button at the top (and Android's back)."""

    def __init__(self, data: bytes, mime: str | None, lang: str, on_close: Any, **kw: Any) -> None:
        super().__init__(
            size_hint=(1, 1),
            auto_dismiss=False,
            background="",
            background_color=(0, 0, 0, 1),
            overlay_color=(0, 0, 0, 1),
            **kw,
        )
        self.on_close = on_close
        body = BoxLayout(orientation="vertical")
        bar = BoxLayout(size_hint_y=None, height=dp(60), padding=dp(6))
        bar.add_widget(Widget())
        self.close_button = TButton(
            text=translate("evidence.close", lang), size_hint_x=None, width=dp(120)
        )
        self.close_button.bind(on_release=lambda *_: self.on_close())
        bar.add_widget(self.close_button)
        body.add_widget(bar)
        self.image = Image(fit_mode="contain")
        texture = texture_of(data, EXTENSIONS.get(mime or "", "jpg"))
        if texture is not None:
            self.image.texture = texture
        body.add_widget(self.image)
        self.add_widget(body)
