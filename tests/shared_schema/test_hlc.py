"""Hybrid logical clock: text form, ordering, monotonic under skewed and backward clocks."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared_schema.sync import Hlc, receive, tick
from shared_schema.sync.hlc import MAX_COUNTER, MAX_WALL_MS

NODE = "0190f5c2-7b1e-7c3a-9d2e-1a2b3c4d5e6f"
nodes = st.from_regex(r"[A-Za-z0-9_.:-]{1,45}", fullmatch=True)
walls = st.integers(0, MAX_WALL_MS)
counters = st.integers(0, MAX_COUNTER)
hlcs = st.builds(Hlc, walls, counters, nodes)
# Device clocks: anywhere, jumping back and forth by days (and out of range, clamped).
nows = st.integers(-(10**6), MAX_WALL_MS + 10**6)


def test_text_form() -> None:
    h = Hlc(1732540000123, 7, NODE)
    assert str(h) == f"1732540000123-0007-{NODE}"
    assert Hlc.parse(str(h)) == h
    assert len(str(Hlc(1, 0, "n" * 45))) == 64


@pytest.mark.parametrize(
    "text",
    [
        "",
        "abc",
        "173254000012-0007-n",
        "1732540000123-007-n",
        "1732540000123-0007-",
        "1732540000123-0007-a b",
        "-1732540000123-0007-n",
        "1732540000123_0007_n",
        "1732540000123-0007-" + "n" * 46,
    ],
)
def test_parse_rejects_malformed(text: str) -> None:
    with pytest.raises(ValueError):
        Hlc.parse(text)


@pytest.mark.parametrize(
    ("wall", "counter", "node", "error"),
    [
        (-1, 0, "n", ValueError),
        (MAX_WALL_MS + 1, 0, "n", ValueError),
        (0, -1, "n", ValueError),
        (0, MAX_COUNTER + 1, "n", ValueError),
        (0, 0, "", ValueError),
        (0, 0, "a/b", ValueError),
        (1.5, 0, "n", TypeError),
        (True, 0, "n", TypeError),
    ],
)
def test_constructor_validates(
    wall: object, counter: object, node: str, error: type[Exception]
) -> None:
    with pytest.raises(error):
        Hlc(wall, counter, node)  # type: ignore[arg-type]


def test_tick_table() -> None:
    first = tick(None, 1000, NODE)
    assert first == Hlc(1000, 0, NODE)
    assert tick(first, 1000, NODE) == Hlc(1000, 1, NODE)
    assert tick(first, 999, NODE) == Hlc(1000, 1, NODE)  # clock went backwards
    assert tick(first, 5000, NODE) == Hlc(5000, 0, NODE)
    assert tick(Hlc(1000, MAX_COUNTER, NODE), 1000, NODE) == Hlc(1001, 0, NODE)  # carry
    assert tick(None, -5, NODE) == Hlc(0, 0, NODE)  # broken clock clamped
    with pytest.raises(TypeError):
        tick(None, 1.5, NODE)  # type: ignore[arg-type]


def test_receive_table() -> None:
    mine = Hlc(1000, 3, "a")
    assert receive(mine, Hlc(2000, 5, "b"), 1500) == Hlc(2000, 6, "a")  # remote ahead
    assert receive(mine, Hlc(500, 9, "b"), 1200) == Hlc(1200, 0, "a")  # wall clock ahead
    assert receive(mine, Hlc(500, 9, "b"), 900) == Hlc(1000, 4, "a")  # own reading ahead
    assert receive(mine, Hlc(1000, 8, "b"), 900) == Hlc(1000, 9, "a")  # same wall
    assert receive(None, Hlc(1000, 8, "b"), 900, node="c") == Hlc(1000, 9, "c")
    with pytest.raises(ValueError):
        receive(None, Hlc(1000, 8, "b"), 900)


@given(st.lists(nows, min_size=1, max_size=60), nodes)
@settings(deadline=None)
def test_tick_is_strictly_monotonic_under_any_clock(now_seq: list[int], node: str) -> None:
    prev: Hlc | None = None
    for now in now_seq:
        nxt = tick(prev, now, node)
        if prev is not None:
            assert nxt > prev
            assert str(nxt) > str(prev)
        assert nxt.wall_ms >= min(max(now, 0), MAX_WALL_MS)
        prev = nxt


@given(st.lists(st.tuples(st.booleans(), nows, hlcs), min_size=1, max_size=40), nodes)
@settings(deadline=None)
def test_mixed_tick_and_receive_monotonic_and_after_remote(
    steps: list[tuple[bool, int, Hlc]], node: str
) -> None:
    prev: Hlc | None = None
    for is_receive, now, remote in steps:
        if remote.wall_ms >= MAX_WALL_MS:
            continue  # nothing can follow the last representable instant
        nxt = receive(prev, remote, now, node=node) if is_receive else tick(prev, now, node)
        if prev is not None:
            assert nxt > prev
        if is_receive:
            assert (nxt.wall_ms, nxt.counter) > (remote.wall_ms, remote.counter)
        # Never runs ahead of the newest clock it has seen (+1 ms only on a counter carry).
        seen = [min(max(now, 0), MAX_WALL_MS)] + ([prev.wall_ms] if prev else [])
        seen += [remote.wall_ms] if is_receive else []
        assert nxt.wall_ms <= max(seen) + 1
        prev = nxt


@given(hlcs, hlcs)
@settings(deadline=None)
def test_string_order_equals_tuple_order(a: Hlc, b: Hlc) -> None:
    assert (str(a) < str(b)) == ((a.wall_ms, a.counter, a.node) < (b.wall_ms, b.counter, b.node))
    assert (str(a) == str(b)) == (a == b)
    assert (a < b) == (str(a) < str(b))
    assert Hlc.parse(str(a)) == a
