"""The sync screen: progress bar, pending count, last sync time, errors in plain words, retry.

During the run the bar follows the records, then the files' bytes ("N files, X KB left").
After it, `files_text` says what of the evidence files is still on the phone and why (photos
waiting for Wi-Fi, files cut off, missing or refused) or "all files sent": never a silent
"done" over photos that did not go.

The run happens in a background thread (`SyncRunner.run`); its progress callbacks arrive on
that thread and are posted to the UI thread before touching any property.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kivy.properties import BooleanProperty, NumericProperty, StringProperty

from mobile_app.store import Store
from mobile_app.viewmodels.attention import (
    Attention,
    files_lines,
    human_time,
    load_attention,
    load_files,
    sync_outcome,
)
from mobile_app.viewmodels.base import ViewModel

RunnerFactory = Callable[[Callable[[Any], None]], Any]


def sync_error_key(exc: BaseException) -> str:
    """The i18n key of a plain-words message for a failed sync."""
    from mobile_app.sync.client import AuthExpired, Offline, OutOfScope, ServerBusy

    if isinstance(exc, Offline):
        return "sync.err.network"
    if isinstance(exc, AuthExpired):
        return "sync.err.auth"
    if isinstance(exc, OutOfScope):
        return "sync.err.scope"
    if isinstance(exc, ServerBusy):
        return "sync.err.server"
    return "sync.err.other"


class SyncViewModel(ViewModel):
    """State of the sync screen and the "sync now" action."""

    running = BooleanProperty(False)
    progress = NumericProperty(0.0)  # 0..1
    phase_text = StringProperty("")
    pending_count = NumericProperty(0)
    rejected_count = NumericProperty(0)
    last_sync_text = StringProperty("")
    error = StringProperty("")
    can_retry = BooleanProperty(False)
    needs_attention = BooleanProperty(False)  # the last sync brought something to act on
    files_text = StringProperty("")  # what of the evidence files is left after a run
    files_left = BooleanProperty(False)  # something is left (shown as a warning)
    finished_runs = NumericProperty(0)

    def __init__(self, store: Store, runner_factory: RunnerFactory | None, **kw: Any) -> None:
        super().__init__(**kw)
        self.store = store
        self.runner_factory = runner_factory
        self.last_failure: BaseException | None = None
        self._before = Attention()
        self._outcome: tuple[Attention, Attention] | None = None  # the last run's, to relabel
        self._errors: list[tuple[str, dict[str, Any]]] = []  # (key, params), to relabel
        self.bind(lang=lambda *_: self._relabel())
        self.refresh()

    def _relabel(self) -> None:
        """A language switch: the counts and the last run's outcome in the new language."""
        if self._outcome is not None and not self.running:
            self.phase_text, self.needs_attention = sync_outcome(*self._outcome, self.tr, self.lang)
        self._show_errors()
        self.refresh()

    def _say(self, *errors: tuple[str, dict[str, Any]]) -> None:
        """The error lines, kept as keys so a language switch says them again."""
        self._errors = list(errors)
        self._show_errors()

    def _show_errors(self) -> None:
        self.error = "\n".join(self.tr(key, **params) for key, params in self._errors)

    def refresh(self) -> None:
        """Reload counts and the last sync time from the store."""
        state = self.store.sync_state.get()
        self.pending_count = state.pending_count
        self.rejected_count = state.rejected_count
        when = human_time(state.last_sync_at, self.lang) or self.tr("common.never")
        self.last_sync_text = self.tr("sync.last", time=when)
        if not self.running:
            self.refresh_files(after_run=bool(state.last_sync_at))

    def refresh_files(self, *, after_run: bool = True) -> None:
        """What is left of the files (from the store): lines, or "all files sent"."""
        files, held = load_files(self.store)
        lines = files_lines(files, held, self.tr)
        self.files_left = bool(lines)
        self.files_text = "\n".join(lines) or (self.tr("files.all_sent") if after_run else "")

    def start(self) -> bool:
        """Start a sync in the background; False when one runs or the app is not signed in."""
        if self.running:
            return False
        self._say()
        self.can_retry = False
        if self.runner_factory is None or not self.store.session.get().logged_in:
            self._say(("sync.not_signed_in", {}))
            return False
        self._before = load_attention(self.store, self.today())
        self._outcome = None
        self.running = True
        self.needs_attention = False
        self.files_text = ""
        self.files_left = False
        self.progress = 0.0
        self.phase_text = self.tr("sync.running")
        runner = self.runner_factory(lambda p: self._post(lambda: self._on_progress(p)))
        self.run_background(runner.run, self._on_done, self._on_error)
        return True

    retry = start

    def _on_progress(self, p: Any) -> None:
        if p.phase == "push":
            total = p.total or 0
            self.phase_text = self.tr("sync.step.push", done=p.done, total=total)
            self.progress = 0.1 + 0.4 * (p.done / total if total else 1.0)
        elif p.phase == "pull":
            self.phase_text = self.tr("sync.step.pull", done=p.done)
            self.progress = max(self.progress, 0.5) + (0.95 - max(self.progress, 0.5)) * 0.3
        elif p.phase == "config":
            self.phase_text = self.tr("sync.step.config")
            self.progress = max(self.progress, 0.05)
        elif p.phase == "retry":
            self.phase_text = self.tr("sync.err.network")
        elif p.phase == "files":  # after the records: the bar now shows the files' bytes
            kb = (p.file_bytes_left + 1023) // 1024
            self.phase_text = self.tr("sync.step.files", files=p.files_left, kb=kb)
            total = p.file_bytes_total
            self.progress = 1.0 - (p.file_bytes_left / total) if total else 1.0

    def _on_done(self, _result: Any) -> None:
        self.running = False
        self.progress = 1.0
        self.last_failure = None
        # Not "done" when the sync brought a returned visit or a new conflict: say what.
        self._outcome = (self._before, load_attention(self.store, self.today()))
        self.phase_text, self.needs_attention = sync_outcome(*self._outcome, self.tr, self.lang)
        self.refresh()
        errors: list[tuple[str, dict[str, Any]]] = []
        if self.rejected_count:
            errors.append(("sync.rejected", {"n": self.rejected_count}))
        unreadable = len(self.store.parked.unreadable())
        if unreadable:
            errors.append(("sync.unreadable", {"n": unreadable}))
        self._say(*errors)
        self.finished_runs += 1

    def _on_error(self, exc: BaseException) -> None:
        self.last_failure = exc
        self.running = False
        self.progress = 0.0
        self.phase_text = ""
        key = sync_error_key(exc)
        self._say((key, {"detail": str(exc)} if key == "sync.err.other" else {}))
        self.can_retry = True
        self.refresh()
        self.finished_runs += 1
