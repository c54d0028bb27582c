"""What the worker must act on, and what is waiting to go up: counts for home and sync screens.

`load_status` reads the store once (load); `newly`, `attention_lines` and `files_lines` are
pure (decide); the screens only show the strings. A sync that brought a returned visit or a
new conflict is not "done" for the worker: `sync_outcome` says what needs them instead. Files
that stay on the phone (photos waiting for Wi-Fi, a missing file, a file the server refused)
are said on home and on the sync screen, never left behind a silent "done".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from mobile_app.sync.files import PendingSummary, pending_summary, wifi_only_setting
from shared_schema.timefmt import DEFAULT_TIME_ZONE, format_datetime, parse_zone

Translate = Callable[..., str]
SEPARATOR = {"zh": "；", "en": "; "}  # between the kinds of things that need the worker
NAME_SEPARATOR = {"zh": "、", "en": ", "}  # between named households
NAMED = 3  # up to this many returned visits, the home screen names their households


@dataclass(frozen=True)
class Attention:
    """Counts of things that need the worker."""

    returned: int = 0  # households whose latest visit a supervisor returned
    conflicts: int = 0  # unseen conflict notices
    rejected: int = 0  # edits the server refused
    parked: int = 0  # edits/records held on the phone (out of scope, unreadable)
    # "<household no.> <head>" of the returned visits' households (at most NAMED + 1 read)
    returned_names: tuple[str, ...] = field(default=(), compare=False)

    @property
    def total(self) -> int:
        return self.returned + self.conflicts + self.rejected + self.parked


@dataclass(frozen=True)
class HomeStatus:
    last_sync_at: str | None  # UTC ISO stamp
    waiting: int  # outbox entries waiting to go up
    drafts: int  # unfinished forms (stay on the phone until saved)
    attention: Attention
    files: PendingSummary = field(default_factory=PendingSummary)  # not on the server yet
    held_for_wifi: bool = False  # the last sync held photos back ("photos on Wi-Fi only")


def load_attention(store: Any, today: date) -> Attention:
    unseen = store.conflicts.unseen_by_kind()
    # households on the register only: one that moved away or merged is off the worker's
    # list, so home must not send them looking for it (its returned visit is the
    # supervisor's to close)
    returned = ["returned", "active"]
    named = store.households.list("", returned, sort="household_no", limit=NAMED + 1)
    return Attention(
        # a returned visit stays to act on until it is fixed (its notice may have been seen)
        returned=store.households.count("", returned, today=today),
        returned_names=tuple(f"{h.household_no or ''} {h.head_name or ''}".strip() for h in named),
        # conflict-like notices only: the returned visit's own notice is counted above
        conflicts=sum(n for kind, n in unseen.items() if kind not in ("returned",)),
        rejected=len(store.rejected.list()),
        parked=len(store.parked.list()),
    )


def load_files(store: Any) -> tuple[PendingSummary, bool]:
    """The pending files, and whether photos wait for Wi-Fi (held back by the last sync and
    the setting still on)."""
    held = store.sync_state.files_held_for_wifi() > 0
    return pending_summary(store.db), held and wifi_only_setting(store.session.photos_wifi_only())


def load_status(store: Any, today: date) -> HomeStatus:
    state = store.sync_state.get()
    files, held = load_files(store)
    return HomeStatus(
        last_sync_at=state.last_sync_at,
        waiting=store.outbox.count(),
        drafts=max(0, store.unsynced_count() - store.outbox.count()),
        attention=load_attention(store, today),
        files=files,
        held_for_wifi=held,
    )


def kb(n: int) -> int:
    return (max(0, n) + 1023) // 1024


def files_lines(
    files: PendingSummary, held_for_wifi: bool, tr: Translate, *, sizes: bool = True
) -> list[str]:
    """What of the evidence files is still on the phone, and why (empty: nothing)."""
    lines = []
    photos = files.photos if held_for_wifi else 0
    if photos:
        key = "files.wifi" if sizes else "files.wifi_short"
        lines.append(tr(key, n=photos, kb=kb(files.photo_bytes)))
    rest = files.waiting - photos
    if rest:
        rest_bytes = files.waiting_bytes - (files.photo_bytes if photos else 0)
        key = "files.left" if sizes else "files.left_short"
        lines.append(tr(key, n=rest, kb=kb(rest_bytes)))
    if files.missing:
        lines.append(tr("files.missing", n=files.missing))
    if files.refused:
        lines.append(tr("files.refused", n=files.refused))
    return lines


def newly(before: Attention, after: Attention) -> Attention:
    """What a sync added (never negative)."""
    return Attention(
        returned=max(0, after.returned - before.returned),
        conflicts=max(0, after.conflicts - before.conflicts),
        rejected=max(0, after.rejected - before.rejected),
        parked=max(0, after.parked - before.parked),
    )


def attention_lines(att: Attention, tr: Translate, lang: str = "zh") -> list[str]:
    """One translated line per kind of thing that needs the worker (empty: nothing); a few
    returned visits are named by their household, so the worker knows where to go."""
    counts = (
        ("attention.returned", att.returned),
        ("attention.conflicts", att.conflicts),
        ("attention.rejected", att.rejected),
        ("attention.parked", att.parked),
    )
    lines = [tr(key, n=n) for key, n in counts if n]
    names = att.returned_names
    if att.returned and names and len(names) == att.returned <= NAMED:
        lines[0] = tr(
            "attention.returned_named",
            n=att.returned,
            names=NAME_SEPARATOR.get(lang, ", ").join(names),
        )
    return lines


def human_time(stamp: str | None, lang: str, zone: str = DEFAULT_TIME_ZONE) -> str | None:
    """A stored UTC ISO stamp in the deployment's zone, human format (None stays None)."""
    if not stamp:
        return None
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        return format_datetime(moment, parse_zone(zone), lang)
    except ValueError:
        return stamp


def home_lines(
    status: HomeStatus,
    tr: Translate,
    lang: str,
    zone: str = DEFAULT_TIME_ZONE,
    *,
    online: bool | None = None,
) -> list[str]:
    """The home screen's status block: offline (when the server cannot be reached), last
    sync, waiting to go up, what needs the worker."""
    when = human_time(status.last_sync_at, lang, zone) or tr("common.never")
    lines = [tr("home.offline")] if online is False else []
    lines += [tr("sync.last", time=when), tr("home.waiting", n=status.waiting)]
    if status.drafts:
        lines.append(tr("home.drafts", n=status.drafts))
    lines += files_lines(status.files, status.held_for_wifi, tr, sizes=False)
    needs = attention_lines(status.attention, tr, lang)
    what = SEPARATOR.get(lang, "; ").join(needs)
    lines.append(tr("home.needs", what=what) if needs else tr("home.all_clear"))
    return lines


def sync_outcome(before: Attention, after: Attention, tr: Translate, lang: str) -> tuple[str, bool]:
    """The sync screen's final line and whether it needs the worker (not "done" then)."""
    new = newly(before, after)
    lines = attention_lines(new, tr, lang)
    if lines:
        return tr("sync.needs_you", what=SEPARATOR.get(lang, "; ").join(lines)), True
    return tr("sync.done"), False
