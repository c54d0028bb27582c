"""Drives the real Tianye Kivy app in this process, the way a grid worker would.

Run as `python -m tests.ui.kivy.driver <scenario> <data_dir> <artifacts_dir> [server_url]`
under an X display (`<data_dir>` `-`: the app's own default directory, as a real start).
A scenario is a generator: it taps and types through real touches on the window, yields
to let frames pass, and asserts what the screen shows. Screenshots go to
`<artifacts_dir>/<name>.png`. Exit status 0 means every step passed; a failure prints the
traceback and exits 1, so the pytest side sees the reason.
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
os.environ.setdefault("KIVY_METRICS_DENSITY", "2")

from kivy.config import Config

Config.set("graphics", "width", "720")
Config.set("graphics", "height", os.environ.get("TIANYE_UI_HEIGHT", "1440"))
Config.set("graphics", "resizable", "0")
Config.set("input", "mouse", "mouse,disable_multitouch")
Config.set("kivy", "exit_on_escape", "0")

Step = Generator[float, None, None]


class Driver:
    """Finds widgets, taps them with real touches, types text, waits, takes screenshots."""

    def __init__(self, app: Any, artifacts: Path, backend: Any = None) -> None:
        self.app = app
        self.artifacts = artifacts
        self.backend = backend
        artifacts.mkdir(parents=True, exist_ok=True)

    def screen(self, name: str | None = None) -> Any:
        return self.app.sm.get_screen(name or self.app.sm.current)

    def ids(self, name: str | None = None) -> Any:
        return self.screen(name).ids

    def tap(self, widget: Any) -> Step:
        """A touch down, a frame, a touch up at the widget's centre, through the window (real
        hit testing: a covered or off-screen widget does not get it)."""
        from kivy.tests.common import UnitTestTouch

        yield from self.settle()
        yield from self.steady(widget)
        assert widget.get_root_window() is not None, f"{widget} is not on screen"
        assert not widget.disabled, f"{widget} is disabled"
        x, y = widget.to_window(*widget.center)
        win = self.app.root_window
        assert 0 <= x <= win.width and 0 <= y <= win.height, f"{widget} off screen at {x},{y}"
        touch = UnitTestTouch(x, y)
        touch.touch_down()
        yield 0.05
        touch.touch_up()
        yield 0.1

    def settle(self) -> Step:
        """Wait for the current screen's layout (a screen is sized when first shown)."""
        win = self.app.root_window
        yield from self.wait(lambda: list(self.screen().size) == list(win.size))
        yield 0.2

    def steady(self, widget: Any, timeout: float = 10.0) -> Step:
        """Wait until a widget stops moving (nested layouts settle over several frames)."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            now = (tuple(widget.to_window(*widget.pos)), tuple(widget.size))
            if now == last:
                return
            last = now
            yield 0.15

    def press(self, widget: Any) -> Step:
        """Scroll a widget into view, then tap it."""
        yield from self.settle()
        self.scroll_to(widget)
        yield 0.2
        yield from self.tap(widget)

    def type(self, text_input: Any, text: str) -> None:
        """Focus a text input, replace its text, and leave it (committing the value)."""
        text_input.focus = True
        text_input.text = text
        text_input.focus = False

    def scroll_to(self, widget: Any) -> None:
        """Scroll the enclosing ScrollView so the widget is visible."""
        from kivy.uix.scrollview import ScrollView

        parent = widget.parent
        while parent is not None and not isinstance(parent, ScrollView):
            if parent.parent is parent:  # the Window is its own parent
                return
            parent = parent.parent
        if parent is not None:
            parent.scroll_to(widget, padding=40, animate=False)

    def wait(self, condition: Callable[[], bool], timeout: float = 30.0) -> Step:
        """Yield frames until `condition()` holds (AssertionError after `timeout` seconds)."""
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {condition.__doc__ or condition}")
            yield 0.1

    def shot(self, name: str) -> Path:
        """Save the window as `<artifacts>/<name>.png`."""
        from kivy.core.window import Window

        produced = Path(Window.screenshot(name=str(self.artifacts / f"{name}.png")))
        target = self.artifacts / f"{name}.png"
        produced.replace(target)
        return target

    def field(self, path: str, screen: str | None = None) -> Any:
        """The FieldBox of a form field on a form screen."""
        return self.screen(screen).renderer.widgets[path]


def run(scenario: Callable[[Driver], Step], app: Any, artifacts: Path, backend: Any = None) -> int:
    """Run the app and the scenario's steps from the Kivy clock; return the exit status."""
    from kivy.clock import Clock

    status = {"code": 1}
    driver = Driver(app, artifacts, backend)
    steps: Step | None = None

    def ready() -> Step:
        """The first layout is done (a slow software renderer may need a few seconds)."""
        yield from driver.settle()
        yield from scenario(driver)

    def advance(_dt: float) -> None:
        nonlocal steps
        try:
            if steps is None:
                steps = ready()
            delay = next(steps)
        except StopIteration:
            status["code"] = 0
            app.stop()
            return
        except BaseException:
            traceback.print_exc()
            driver.shot("failure")
            app.stop()
            return
        Clock.schedule_once(advance, delay)

    Clock.schedule_once(advance, 1.0)
    app.run()
    return status["code"]


def main(argv: list[str]) -> int:
    import faulthandler

    faulthandler.dump_traceback_later(
        float(os.environ.get("TIANYE_UI_HANG_AFTER", "240")), exit=True
    )
    from tests.ui.kivy import scenarios

    name, data_dir, artifacts = argv[0], Path(argv[1]), Path(argv[2])
    backend_name = argv[3] if len(argv) > 3 else ""
    backend = None
    if backend_name == "fake":
        from tests.ui.kivy.backend import FakeBackend

        backend = FakeBackend()
    elif backend_name == "live":
        from tests.ui.kivy.backend import LiveBackend

        backend = LiveBackend()
    from mobile_app.app import TianyeApp

    # "-": no data directory given, as `python -m mobile_app` starts (the platform's default)
    policy = None
    if os.environ.get("TIANYE_UI_AUTOSYNC_FAST"):  # seconds, not minutes: a test can wait
        from mobile_app.sync.scheduler import Policy

        policy = Policy(period=3, base=1, cap=4, probe_every=1)
    app = TianyeApp(
        data_dir=None if str(data_dir) == "-" else data_dir, server_url="", autosync_policy=policy
    )
    try:
        return run(getattr(scenarios, name), app, artifacts, backend)
    finally:
        if backend is not None:
            backend.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
