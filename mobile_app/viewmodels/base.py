"""What every view-model shares: the language, the clock, and running work off the UI thread.

Work that may block (HTTP, a sync) runs in a daemon thread; its result comes back to the UI
thread through `post`, by default `Clock.schedule_once`, because Kivy properties must only be
changed on the UI thread. Tests inject synchronous `spawn`/`post` to stay deterministic.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from kivy.event import EventDispatcher
from kivy.properties import StringProperty

from mobile_app.i18n import DEFAULT_LANGUAGE, translate
from mobile_app.store.clock import local_day

Poster = Callable[[Callable[[], None]], None]
Spawner = Callable[[Callable[[], None]], None]


def post_to_ui(fn: Callable[[], None]) -> None:
    """Run `fn` on the Kivy UI thread at the next frame."""
    from kivy.clock import Clock

    Clock.schedule_once(lambda _dt: fn(), 0)


def spawn_thread(fn: Callable[[], None]) -> None:
    """Run `fn` in a daemon thread (the app may quit while a sync waits on the network)."""
    threading.Thread(target=fn, daemon=True, name="tianye-worker").start()


def utc_now() -> datetime:
    """The current time, timezone-aware (the edge where the clock is read)."""
    return datetime.now(UTC)


class ViewModel(EventDispatcher):
    """Base: a `lang` property, an injectable clock and background runner."""

    lang = StringProperty(DEFAULT_LANGUAGE)

    def __init__(
        self,
        *,
        now: Callable[[], datetime] | None = None,
        spawn: Spawner | None = None,
        post: Poster | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.now = now or utc_now
        self._spawn = spawn or spawn_thread
        self._post = post or post_to_ui

    def today(self) -> date:
        """Today's date where the work is done: `now`'s day on the deployment's clock."""
        return local_day(self.now())

    def tr(self, key: str, **fmt: Any) -> str:
        """An app string in the current language."""
        return translate(key, self.lang, **fmt)

    def run_background(
        self,
        work: Callable[[], Any],
        on_done: Callable[[Any], None],
        on_error: Callable[[BaseException], None],
    ) -> None:
        """Run `work` off the UI thread; deliver its result or exception back on the UI thread."""

        def job() -> None:
            try:
                result = work()
            except Exception as exc:  # delivered to the screen, never swallowed
                error: BaseException = exc  # `exc` is unbound after the except block
                self._post(lambda: on_error(error))
                return
            self._post(lambda: on_done(result))

        self._spawn(job)
