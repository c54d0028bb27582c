"""`python -m mobile_app` starts the phone app (TIANYE_SERVER_URL, TIANYE_DATA_DIR honoured)."""

from __future__ import annotations

import os

# A phone-shaped window on a desktop (ignored on Android, where the app is full screen).
DESKTOP_WINDOW = (420, 860)


def main() -> None:
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    from kivy.config import Config
    from kivy.utils import platform

    if platform not in ("android", "ios"):
        width, height = DESKTOP_WINDOW
        Config.set("graphics", "width", str(width))
        Config.set("graphics", "height", str(height))
        Config.set("graphics", "position", "custom")
        Config.set("graphics", "left", "0")
        Config.set("graphics", "top", "0")
    from mobile_app.app import TianyeApp

    TianyeApp().run()


if __name__ == "__main__":
    main()
