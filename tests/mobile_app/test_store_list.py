"""The household list with 2,000 households: search, filters and priority order (and speed).

Households arrive the way they do in the field, through pulled pages. The time bound is a
generous sanity check only; the real target is a benchmark.
"""

from __future__ import annotations

import random
import time
from datetime import date, timedelta

import pytest

from mobile_app.store.reconcile import apply_pull_page
from tests.mobile_app.test_store_fixtures import household, member, new_id, open_store, visit

N = 2000
TODAY = date(2026, 3, 1)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    rng = random.Random(7)
    store = open_store(tmp_path_factory.mktemp("list") / "big.sqlite3")
    changes, truth = [], {}
    version = 0
    for n in range(N):
        hid = new_id()
        category = rng.choice([None, None, "marginal", "unstable_lifted"])
        hh = household(
            household_no=f"{n:04d}",
            head_name=rng.choice(SURNAMES) + rng.choice("一二三四五六七八九十") + "华",
            grid_id=f"g-{n % 10:03d}",
            monitor_category=category,
            house_grade=rng.choice("aabbbc"),
        )
        version += 1
        changes.append(
            {
                "entity": "household",
                "id": hid,
                "version": version,
                "deleted": False,
                "data": hh,
                "open_conflicts": [],
            }
        )
        version += 1
        changes.append(
            {
                "entity": "member",
                "id": new_id(),
                "version": version,
                "deleted": False,
                "data": member(hid),
                "open_conflicts": [],
            }
        )
        last = None
        if n % 7:  # one in seven was never visited
            last = TODAY - timedelta(days=rng.randint(1, 200))
            status = "returned" if n % 50 == 0 else "approved"
            comment = "请补充" if status == "returned" else None
            version += 1
            changes.append(
                {
                    "entity": "visit",
                    "id": new_id(),
                    "version": version,
                    "deleted": False,
                    "data": visit(
                        hid,
                        visit_date=last.isoformat(),
                        review_status=status,
                        review_comment=comment,
                    ),
                    "open_conflicts": [],
                }
            )
        truth[hid] = (hh, category, last)
    for start in range(0, len(changes), 500):
        page = changes[start : start + 500]
        apply_pull_page(
            store.db,
            {"changes": page, "cursor": page[-1]["version"], "has_more": True},
            now="2026-03-01T00:00:00Z",
        )
    yield store, truth
    store.close()


def _timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def test_priority_order_puts_never_visited_then_most_overdue_first(big):
    store, _ = big
    page, elapsed = _timed(lambda: store.households.list(limit=50, today=TODAY))
    assert elapsed < 0.5
    never = [h for h in page if h.last_visit_date is None]
    assert never == page[: len(never)] and len(never) == 50  # 286 never visited
    rest = store.households.list(limit=N, today=TODAY)
    dues = [h.next_visit_due for h in rest if h.next_visit_due is not None]
    assert dues == sorted(dues)
    assert len(rest) == N


def test_filters_and_search_match_a_direct_computation(big):
    store, truth = big
    overdue, elapsed = _timed(
        lambda: store.households.list(filters=["overdue"], limit=N, today=TODAY)
    )
    assert elapsed < 0.5
    expected = set()
    for hid, (_hh, category, last) in truth.items():
        interval = 30 if category else 90
        if last is None or last + timedelta(days=interval) < TODAY:
            expected.add(hid)
    assert {h.id for h in overdue} == expected
    assert store.households.count(filters=["overdue"], today=TODAY) == len(expected)
    returned = store.households.list(filters=["returned"], limit=N)
    assert len(returned) == len([n for n in range(N) if n % 50 == 0 and n % 7])
    name = next(iter(truth.values()))[0]["head_name"]
    hits, elapsed = _timed(lambda: store.households.list(search=name, limit=N))
    assert elapsed < 0.5
    assert {h.id for h in hits} == {k for k, v in truth.items() if name in v[0]["head_name"]}
    by_no = store.households.list(search="1234")
    assert [h.household_no for h in by_no] == ["1234"]
    by_id_number, elapsed = _timed(lambda: store.households.list(search="11010519491231002X"))
    assert elapsed < 0.5 and len(by_id_number) == 50  # default page of everyone's head
    combined = store.households.list(search=name, filters=["overdue", "risk"], today=TODAY)
    assert all(h.risk_count > 0 and name in h.head_name for h in combined)


def test_paging_is_stable(big):
    store, _ = big
    seen = []
    for offset in range(0, N, 300):
        seen += [h.id for h in store.households.list(limit=300, offset=offset, today=TODAY)]
    assert len(seen) == len(set(seen)) == N


def test_unknown_filter_or_sort_is_a_clear_error(big):
    store, _ = big
    with pytest.raises(ValueError, match="unknown filter"):
        store.households.list(filters=["bogus"])
    with pytest.raises(ValueError, match="unknown sort"):
        store.households.list(sort="bogus")
    with pytest.raises(ValueError, match="needs today"):
        store.households.list(filters=["overdue"])
