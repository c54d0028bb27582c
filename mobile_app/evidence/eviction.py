"""Which files may leave the phone when storage runs low (pure).

The phone keeps at most `limit` bytes of full files (default 500 MB, setting
`evidence_storage_mb`). Before a new file is stored, `plan_space` frees room by evicting files
the server already holds, least recently used first, keeping their thumbnails. A file not yet
on the server is never evicted, even when that leaves the phone over its limit: then (and
whenever use passes `WARN_FRACTION` of the limit) the worker is warned to sync.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from mobile_app.store.files import StoredFile

DEFAULT_LIMIT_BYTES = 500 * 1024 * 1024
WARN_FRACTION = 0.9


@dataclass(frozen=True)
class SpacePlan:
    evict: tuple[str, ...]
    used_after: int
    limit: int
    warn: bool
    over_limit: bool  # even after evicting all it may, unsent files exceed the limit


def used_bytes(files: Iterable[StoredFile]) -> int:
    return sum(f.size for f in files if f.local == "full")


def plan_space(files: Iterable[StoredFile], *, incoming: int = 0, limit: int) -> SpacePlan:
    """Evictions that make room for `incoming` more bytes under `limit`, and the warning."""
    files = list(files)
    used = used_bytes(files)
    need = used + incoming - limit
    evict: list[str] = []
    if need > 0:
        candidates = sorted(
            (f for f in files if f.local == "full" and f.remote == "uploaded"),
            key=lambda f: (f.last_used_at, f.created_at, f.sha256),
        )
        for f in candidates:
            if need <= 0:
                break
            evict.append(f.sha256)
            need -= f.size
            used -= f.size
    total = used + incoming
    return SpacePlan(
        evict=tuple(evict),
        used_after=used,
        limit=limit,
        warn=total > limit * WARN_FRACTION,
        over_limit=total > limit,
    )


def space_text(plan: SpacePlan, lang: str = "zh") -> str | None:
    """The warning the worker sees, or None while there is room."""
    if not plan.warn:
        return None
    mb_used, mb_limit = plan.used_after // (1024 * 1024), plan.limit // (1024 * 1024)
    if lang == "en":
        return f"Photo storage is almost full ({mb_used} of {mb_limit} MB): sync soon."
    return f"照片存储空间即将用完（已用 {mb_used} / {mb_limit} MB），请尽快同步。"
