"""Hybrid logical clock: a timestamp that never goes backwards, even when the phone's clock does.

Devices stamp each mutation with `tick`; the server keeps the stamp for audit and display
ordering and never uses it to pick a winner (PROTOCOL.md). Time is always passed in.

Text form `"<wall_ms:013d>-<counter:04d>-<node>"`: fixed-width numbers, so string order is clock
order. Bounds that keep it so: `0 <= wall_ms < 10**13`, `0 <= counter <= 9999` (a counter that
would overflow carries into `wall_ms`), `node` 1–45 characters of `[A-Za-z0-9_.:-]` (a UUID
fits; the whole string stays within the protocol's 64 characters).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

MAX_WALL_MS: Final = 10**13 - 1
MAX_COUNTER: Final = 9999
MAX_NODE_LEN: Final = 45
_NODE_RE: Final = re.compile(rf"[A-Za-z0-9_.:-]{{1,{MAX_NODE_LEN}}}")
_TEXT_RE: Final = re.compile(r"(\d{13})-(\d{4})-(.+)")


@dataclass(frozen=True, order=True)
class Hlc:
    """One clock reading; ordered by `(wall_ms, counter, node)`."""

    wall_ms: int
    counter: int
    node: str

    def __post_init__(self) -> None:
        if isinstance(self.wall_ms, bool) or not isinstance(self.wall_ms, int):
            raise TypeError("wall_ms must be an int")
        if isinstance(self.counter, bool) or not isinstance(self.counter, int):
            raise TypeError("counter must be an int")
        if not 0 <= self.wall_ms <= MAX_WALL_MS:
            raise ValueError(f"wall_ms out of range 0..{MAX_WALL_MS}: {self.wall_ms}")
        if not 0 <= self.counter <= MAX_COUNTER:
            raise ValueError(f"counter out of range 0..{MAX_COUNTER}: {self.counter}")
        if not isinstance(self.node, str) or not _NODE_RE.fullmatch(self.node):
            raise ValueError(f"invalid node id {self.node!r}")

    def __str__(self) -> str:
        return f"{self.wall_ms:013d}-{self.counter:04d}-{self.node}"

    @classmethod
    def parse(cls, text: str) -> Hlc:
        """Read the text form; `ValueError` on anything else."""
        match = _TEXT_RE.fullmatch(text) if isinstance(text, str) else None
        if match is None:
            raise ValueError(f"not a hybrid logical clock value: {text!r}")
        return cls(int(match.group(1)), int(match.group(2)), match.group(3))


def _check_now(now_ms: int) -> int:
    if isinstance(now_ms, bool) or not isinstance(now_ms, int):
        raise TypeError("now_ms must be an int (milliseconds since the epoch)")
    # A clock before 1970 or beyond year 2286 is broken; clamp rather than refuse to stamp.
    return min(max(now_ms, 0), MAX_WALL_MS)


def _make(wall_ms: int, counter: int, node: str) -> Hlc:
    """Build a reading, carrying a counter overflow into the wall time."""
    if counter > MAX_COUNTER:
        if wall_ms >= MAX_WALL_MS:
            raise OverflowError("hybrid logical clock exhausted")
        return Hlc(wall_ms + 1, 0, node)
    return Hlc(wall_ms, counter, node)


def tick(prev: Hlc | None, now_ms: int, node: str) -> Hlc:
    """The next local reading: later than `prev`, close to `now_ms`."""
    now = _check_now(now_ms)
    if prev is None or now > prev.wall_ms:
        return Hlc(now, 0, node)
    return _make(prev.wall_ms, prev.counter + 1, node)


def receive(prev: Hlc | None, remote: Hlc, now_ms: int, node: str | None = None) -> Hlc:
    """The local reading after seeing `remote`: later than both `prev` and `remote`.

    `node` defaults to `prev.node`; it is required when there is no `prev`.
    """
    now = _check_now(now_ms)
    own = node if node is not None else (prev.node if prev is not None else None)
    if own is None:
        raise ValueError("receive needs a node id when there is no previous reading")
    prev_wall = prev.wall_ms if prev is not None else -1
    prev_counter = prev.counter if prev is not None else -1
    wall = max(prev_wall, remote.wall_ms, now)
    if wall == prev_wall and wall == remote.wall_ms:
        counter = max(prev_counter, remote.counter) + 1
    elif wall == prev_wall:
        counter = prev_counter + 1
    elif wall == remote.wall_ms:
        counter = remote.counter + 1
    else:
        counter = 0
    return _make(wall, counter, own)
