"""Where a photo comes from on Android: the camera, or a picture already in the gallery.

Both go through plyer and answer through a callback with a file path (`on_file`), or with
nothing when the worker cancels; the callbacks arrive on Android's UI thread (the caller
carries them to Kivy's). The visit form asks for the permission first
(`mobile_app.evidence.permissions`) and prepares the photo after (`photo.prepare_photo`).
Elsewhere (desktop, Xvfb, tests, the demo) the form's own file chooser is used instead.
Neither can run without a phone; docs/android.md lists what to check on one.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Callable, Sequence
from typing import Any

OnFile = Callable[[str], None]


def camera_target(folder: str | None = None) -> str:
    """A fresh file name for the camera to write (never an old photo's)."""
    return os.path.join(folder or tempfile.gettempdir(), f"tianye-camera-{uuid.uuid4().hex}.jpg")


def take_picture(on_file: OnFile, camera: Any = None) -> None:
    """Open the camera; `on_file(path)` once a picture was taken (nothing on cancel)."""
    if camera is None:  # pragma: no cover - plyer's camera needs an Android phone
        from plyer import camera as plyer_camera

        camera = plyer_camera
    target = camera_target()

    def done(path: str | None) -> bool:
        if path and os.path.exists(path):
            on_file(path)
        return False  # plyer: do not delete the file, the form reads it

    camera.take_picture(filename=target, on_complete=done)


def choose_picture(on_file: OnFile, chooser: Any = None) -> None:
    """Open the system's picker for images; `on_file(path)` with the chosen one."""
    if chooser is None:  # pragma: no cover - plyer's file chooser needs an Android phone
        from plyer import filechooser

        chooser = filechooser

    def chosen(selection: Sequence[str | None] | None) -> None:
        first = next((p for p in selection or () if p), None)
        if first:
            on_file(first)

    chooser.open_file(filters=["image"], on_selection=chosen)
