"""The sync run: push until the outbox is empty, pull to the head, report. No UI objects.

Each server answer is folded into the store in one transaction (mobile_app.store.reconcile),
so the run can stop at any byte — dropped connection, killed app — and the next run finishes
the job: a retried push resends the same mutation ids and the server answers from its log.
Network failures are retried with exponential backoff and full jitter; `sleep` and `random`
are injectable so tests run instantly.
"""

from __future__ import annotations

import importlib.metadata
import random as _random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar

from mobile_app.store import Store
from mobile_app.store.clock import iso
from mobile_app.store.crashpoints import reach
from mobile_app.store.database import Database
from mobile_app.store.meta import read_meta
from mobile_app.store.outbox import unnumber_after
from mobile_app.store.reconcile import (
    apply_open_conflicts,
    apply_pull_page,
    park_and_renumber,
    prepare_batch,
    record_push_results,
    renumber_from,
)
from mobile_app.store.sync_state import set_value
from mobile_app.sync.client import (
    AuthExpired,
    MutationGap,
    OutOfScope,
    SyncClient,
    SyncError,
    TooLarge,
)
from mobile_app.sync.files import (
    FilesProgress,
    FilesResult,
    evidence_for,
    upload_pending,
    wifi_only_setting,
)
from mobile_app.sync.tus import TusClient
from shared_schema.schemas.protocol import MAX_MUTATIONS, MAX_PUSH_BYTES

T = TypeVar("T")


def _app_version() -> str | None:
    try:
        return importlib.metadata.version("tianye")[:32]
    except importlib.metadata.PackageNotFoundError:
        return None


APP_VERSION = _app_version()

PULL_LIMIT = 500


@dataclass(frozen=True)
class Progress:
    """What the runner is doing, for a progress bar (delivered through `on_progress`)."""

    phase: str  # "push" | "pull" | "config" | "report" | "retry" | "done" | "failed"
    done: int = 0
    total: int | None = None
    bytes_sent: int = 0
    bytes_received: int = 0
    message: str = ""
    files_left: int = 0  # phase "files": evidence files not on the server yet
    file_bytes_left: int = 0
    file_bytes_total: int = 0


@dataclass
class SyncResult:
    """Totals of one run."""

    pushed: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    parked: int = 0
    pulled: int = 0
    removed: int = 0
    unreadable: int = 0  # pulled versions this phone could not store, parked (issue 15)
    cursor: int = 0
    pending: int = 0
    bytes_sent: int = 0
    bytes_received: int = 0
    files: FilesResult | None = None


class SyncCancelled(SyncError):
    """The run was cancelled between two steps (nothing half-applied)."""


class SyncHandle:
    """A background run: `join()`, then `result` or `error`; `cancel()` stops between steps."""

    def __init__(self, runner: SyncRunner) -> None:
        self.runner = runner
        self.result: SyncResult | None = None
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="tianye-sync", daemon=True)

    def _run(self) -> None:
        try:
            self.result = self.runner.run()
        except BaseException as exc:  # reported to the caller through .error
            self.error = exc
        finally:
            self.runner.store.db.close_thread_connection()

    def start(self) -> SyncHandle:
        self._thread.start()
        return self

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the run; True when it has finished."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def done(self) -> bool:
        return not self._thread.is_alive()

    def cancel(self) -> None:
        """Ask the run to stop at the next safe point."""
        self.runner.cancel()


class SyncRunner:
    """One device's sync loop over a Store and a SyncClient."""

    def __init__(
        self,
        store: Store | Database,
        client: SyncClient,
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        on_progress: Callable[[Progress], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        random: Callable[[], float] = _random.random,
        max_attempts: int = 6,
        base_delay: float = 1.0,
        max_delay: float = 60.0,
        max_mutations: int = MAX_MUTATIONS,
        max_push_bytes: int = MAX_PUSH_BYTES,
        pull_limit: int = PULL_LIMIT,
        fetch_config: bool = True,
        metered: Callable[[], bool] = lambda: False,
    ) -> None:
        self.store = store if isinstance(store, Store) else Store(store)
        self.client = client
        self.now = now
        self.on_progress = on_progress
        self.sleep = sleep
        self.random = random
        self.max_attempts = max_attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.max_mutations = max_mutations
        self.max_push_bytes = max_push_bytes
        self.pull_limit = pull_limit
        self.fetch_config = fetch_config
        self.metered = metered  # True on a metered network ("photos on Wi-Fi only")
        self._cancel = threading.Event()
        self._lock = threading.Lock()
        self._served_config: int | None = None  # the newest config_version a pull named
        self._config_fetched = False

    # -- plumbing ------------------------------------------------------------------------
    def cancel(self) -> None:
        """Stop at the next safe point (between two transactions)."""
        self._cancel.set()

    def _check_cancel(self) -> None:
        if self._cancel.is_set():
            raise SyncCancelled("cancelled")

    def _report(
        self, phase: str, done: int = 0, total: int | None = None, message: str = ""
    ) -> None:
        if self.on_progress is not None:
            self.on_progress(
                Progress(
                    phase=phase,
                    done=done,
                    total=total,
                    bytes_sent=self.client.bytes_sent,
                    bytes_received=self.client.bytes_received,
                    message=message,
                )
            )

    def backoff_delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Full-jitter exponential backoff for the attempt-th retry (1-based)."""
        ceiling = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        delay = ceiling * self.random()
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.max_delay))
        return delay

    def with_retry(self, call: Callable[[], T]) -> T:
        """Run `call`, retrying retryable failures (no network, 5xx, 429) with backoff."""
        attempt = 0
        while True:
            self._check_cancel()
            try:
                return call()
            except SyncError as exc:
                attempt += 1
                if not exc.retryable or attempt >= self.max_attempts:
                    raise
                delay = self.backoff_delay(attempt, getattr(exc, "retry_after", None))
                self._report("retry", attempt, self.max_attempts, str(exc))
                self.sleep(delay)

    def start_background(self) -> SyncHandle:
        """Run in a plain daemon thread; progress still arrives through `on_progress`."""
        self._cancel.clear()
        return SyncHandle(self).start()

    # -- the run ----------------------------------------------------------------------------
    def run(self) -> SyncResult:
        """Push until empty, pull to head, report. Raises SyncError subclasses on failure
        (after recording the error); the store is consistent whatever happens."""
        if not self._lock.acquire(blocking=False):
            raise SyncError("a sync is already running")
        try:
            result = SyncResult()
            sent0, recv0 = self.client.bytes_sent, self.client.bytes_received
            self._served_config = None
            self._config_fetched = False
            try:
                if self.fetch_config and not self.store.config.get("rules"):
                    self.update_config()  # a first sync: forms and rules before anything else
                self.push(result)
                self.pull(result)
                if (
                    self.fetch_config
                    and not self._config_fetched
                    and self.store.config.needs_fetch(self._served_config)
                ):
                    self.update_config()
                self.upload_files(result)  # after the records: the files (never fails a run)
                self.refresh_conflicts()
                self.report_status(result)
            except SyncError as exc:
                self.store.sync_state.record_error(str(exc))
                self._report("failed", message=str(exc))
                raise
            self.store.sync_state.record_success(self.now())
            state = self.store.sync_state.get()
            result.pending = state.pending_count
            result.cursor = state.cursor
            result.bytes_sent = self.client.bytes_sent - sent0
            result.bytes_received = self.client.bytes_received - recv0
            self._report("done", result.pushed, result.pushed, "")
            return result
        finally:
            self._lock.release()

    def update_config(self) -> bool:
        """Fetch the configuration with If-None-Match; True when a new one was stored (the
        households' risk flags and due dates follow its rules in the same transaction)."""
        self._report("config")
        config, etag = self.with_retry(
            partial(self.client.config_if_changed, self.store.config.etag())
        )
        self._config_fetched = True
        if config is None:
            return False
        self.store.config.save(config, now=self.now(), etag=etag)
        return True

    def upload_files(self, result: SyncResult) -> FilesResult | None:
        """Evidence files over tus after the records (mobile_app/sync/files.py); a file that is
        missing, refused or cut off never fails the run: it is counted and waits."""
        base_url = getattr(self.client, "base_url", None)  # a test double may have none
        if not base_url:
            return None
        evidence = evidence_for(self.store.db)
        tus = TusClient(base_url, self.client.token, session=self.client.session)

        def progress(p: FilesProgress) -> None:
            if self.on_progress is not None:
                self.on_progress(
                    Progress(
                        phase="files",
                        done=p.files_total - p.files_left,
                        total=p.files_total,
                        bytes_sent=self.client.bytes_sent + tus.bytes_sent,
                        bytes_received=self.client.bytes_received,
                        files_left=p.files_left,
                        file_bytes_left=p.bytes_left,
                        file_bytes_total=p.bytes_total,
                    )
                )

        result.files = upload_pending(
            evidence,
            tus,
            now=lambda: self.now().isoformat(),
            on_progress=progress,
            should_stop=self._cancel.is_set,
            wifi_only=wifi_only_setting(self.store.session.photos_wifi_only()),
            metered=self.metered,
            sleep=self.sleep,
        )
        self.store.sync_state.record_files(held_for_wifi=result.files.held_for_wifi)
        self.client.bytes_sent += tus.bytes_sent
        self._check_cancel()
        return result.files

    def push(self, result: SyncResult | None = None) -> SyncResult:
        """Push the outbox until it is empty (batches within the protocol limits)."""
        result = result or SyncResult()
        client_id = self.store.session.client_id()
        total = self.store.outbox.count()
        max_mutations = self.max_mutations
        gap_retries = 0
        while True:
            self._check_cancel()
            batch = prepare_batch(
                self.store.db, max_mutations=max_mutations, max_bytes=self.max_push_bytes
            )
            if not batch:
                return result
            reach("push.numbered")
            self._report("push", result.pushed, max(total, result.pushed + len(batch)))
            mutations = [e.to_wire() for e in batch]
            try:
                answer = self.with_retry(partial(self.client.push, client_id, mutations))
                reach("push.sent")
            except MutationGap as exc:
                body = exc.body or {}
                last = body.get("last_mutation_id")
                if last is None or gap_retries >= 3:
                    raise
                gap_retries += 1
                counts = record_push_results(
                    self.store.db, body.get("results") or [], last, now=iso(self.now())
                )
                self._count(result, counts)
                renumber_from(self.store.db, int(last) + 1)
                continue
            except OutOfScope as exc:
                parked = park_and_renumber(
                    self.store.db, batch, exc.errors or {}, now=iso(self.now())
                )
                if not parked:
                    raise
                result.parked += parked
                continue
            except TooLarge:
                if max_mutations <= 1:
                    raise
                # Resend the numbered entries in smaller batches (same ids, same order).
                max_mutations = max(1, len(batch) // 2)
                renumber_from(self.store.db, batch[0].mutation_id or 1)
                self._shrink_numbered(max_mutations)
                continue
            counts = record_push_results(
                self.store.db,
                answer.get("results") or [],
                answer.get("last_mutation_id"),
                now=iso(self.now()),
            )
            self._count(result, counts)
            gap_retries = 0

    def _shrink_numbered(self, keep: int) -> None:
        """Un-number all but the first `keep` numbered entries (the server recorded none)."""
        with self.store.db.transaction() as conn:
            first_freed = unnumber_after(conn, keep)
            if first_freed is not None:
                set_value(conn, "next_mutation_id", first_freed)

    @staticmethod
    def _count(result: SyncResult, counts: dict[str, int]) -> None:
        for status, n in counts.items():
            result.statuses[status] = result.statuses.get(status, 0) + n
            result.pushed += n

    def pull(self, result: SyncResult | None = None) -> SyncResult:
        """Pull pages until `has_more` is false; each page applied with its cursor."""
        result = result or SyncResult()
        while True:
            self._check_cancel()
            cursor = self.store.sync_state.get().cursor
            self._report("pull", result.pulled)
            page = self.with_retry(partial(self.client.pull, cursor, self.pull_limit))
            served = page.get("config_version")
            if isinstance(served, int) and not isinstance(served, bool):
                self._served_config = max(served, self._served_config or 0)
            counts = apply_pull_page(self.store.db, page, now=iso(self.now()))
            result.pulled += counts["changed"] + counts["deleted"]
            result.removed += counts["removed"]
            result.unreadable += counts["parked"]
            result.cursor = int(page["cursor"])
            reach("pull.page_done")
            if not page.get("has_more"):
                return result
            if int(page["cursor"]) <= cursor and not page.get("changes"):
                # A server that says "more" without moving on would loop forever.
                raise SyncError(f"pull made no progress at cursor {cursor}")

    def refresh_conflicts(self) -> None:
        """Fetch the open conflicts in scope so the worker sees what happened to each field.

        Best effort: pull already marked the conflicting fields; a failure here (other than
        401) leaves those coarser notices in place.
        """
        self._report("conflicts")
        try:
            conflicts = self.with_retry(lambda: self.client.conflicts("open"))
        except AuthExpired:
            raise
        except SyncError as exc:
            self._report("conflicts", message=str(exc))
            return
        apply_open_conflicts(
            self.store.db,
            conflicts,
            now=iso(self.now()),
            client_id=self.store.session.client_id(),
        )

    def report_status(self, result: SyncResult | None = None) -> None:
        """Tell the server our pending count and clock (best effort: failure is not fatal)."""
        state = self.store.sync_state.get()
        self._report("report")
        payload: dict[str, Any] = {
            "client_id": self.store.session.client_id(),
            "pending": state.pending_count,
            "hlc": read_meta(self.store.db, "hlc"),
            "device_time": iso(self.now()),
            "app_version": APP_VERSION,
        }
        try:
            self.client.report(payload)
        except AuthExpired:
            raise
        except SyncError as exc:
            # Diagnostics only: a failed report must not fail an otherwise complete sync.
            self._report("report", message=str(exc))
