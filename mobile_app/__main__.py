"""`python -m mobile_app` starts the phone app (TIANYE_SERVER_URL, TIANYE_DATA_DIR honoured)."""

from __future__ import annotations

import os


def main() -> None:
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    from mobile_app.app import TianyeApp

    TianyeApp().run()


if __name__ == "__main__":
    main()
