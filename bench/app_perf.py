"""The phone app's figures (`python -m bench app`): list, filter, visit save, cold start, RSS.

`--store plain|encrypted|both` (default both): the same figures on a plain SQLite store and on
the encrypted one the app really uses (`StoreVault`: SQLCipher, the key unwrapped from the key
file), side by side; the encrypted store adds the PIN unlock (scrypt + open) it costs.

- A real `mobile_app.store.Store` (SQLite file, the app's own settings) gets N households
  (default 2,000; each with 4 members and its latest visit, realistic Chinese values from
  `sync_quick.workload`) the way a phone gets them: pulled pages of 1,000 changes applied with
  `apply_pull_page` (the sync runner's path), versions numbered as a server would.
- The household list is timed through the screen's own view-model (`GridViewModel.refresh`:
  first page + counts + row formatting) and the store query alone; filters and a search through
  `toggle_filter` / `set_search`. Each figure is the first call and the median / worst of 20.
- A visit save is `store.records.save("visit", ...)` (validation, outbox, household refresh,
  synchronous=FULL commit), 30 new visits on different households.
- Cold start: `python -m mobile_app` on a copy of that store, under its own `Xvfb :N`, timed
  from process start to Kivy's "Start application main loop" log line (the first frame is drawn
  in the loop's first iteration); 3 starts; its RSS (VmRSS) read 2 s after that line. The app
  opens on the sign-in screen (it always does; the list is one tap away).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from bench import sync_quick

ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2026, 11, 25)
TARGETS_MS = {"list_open": 300, "filter": 300, "visit_save": 50, "cold_start": 3000}
STORES = ("plain", "encrypted")
BENCH_PIN, BENCH_PASSWORD = "246810", "bench-pass-1"


def _rss_kib(pid: int | str = "self") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _timed(fn: Any, repeats: int = 20) -> dict[str, float]:
    """First call, then median and worst of `repeats` more, in milliseconds."""
    times = []
    for _ in range(repeats + 1):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    rest = times[1:]
    return {
        "first_ms": round(times[0], 1),
        "median_ms": round(statistics.median(rest), 1),
        "max_ms": round(max(rest), 1),
    }


def seed(store: Any, households: int) -> dict[str, Any]:
    """Apply the workload as pulled pages of 1,000 changes; return counts and seconds."""
    from mobile_app.store.reconcile.pull import apply_pull_page

    changes = []
    for group in sync_quick.workload(households):
        for rec in group:
            changes.append(
                {
                    "entity": rec["entity"],
                    "id": rec["id"],
                    "version": len(changes) + 1,
                    "deleted": False,
                    "data": rec["data"],
                }
            )
    started = time.perf_counter()
    now = datetime(2026, 11, 25, 8, 0, tzinfo=UTC).isoformat()
    for i in range(0, len(changes), 1000):
        page = changes[i : i + 1000]
        cursor = page[-1]["version"]
        apply_pull_page(
            store.db,
            {"changes": page, "cursor": cursor, "has_more": i + 1000 < len(changes)},
            now=now,
        )
    return {"records": len(changes), "seconds": round(time.perf_counter() - started, 2)}


def _quiet_kivy() -> None:
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")


def measure_store(path: Path, households: int) -> dict[str, Any]:
    """A plain store at `path`: seed it, time it, close it."""
    _quiet_kivy()
    from mobile_app.store import Store

    store = Store(path)
    try:
        return measure_open_store(store, households)
    finally:
        store.close()


def measure_encrypted_store(data_dir: Path, households: int) -> dict[str, Any]:
    """The app's encrypted store in `data_dir` (created as at a first sign-in, the real scrypt
    parameters): the same figures, plus the PIN unlock (scrypt + open + key check)."""
    _quiet_kivy()
    from mobile_app.store import cipher
    from mobile_app.store.vault import StoreVault

    if not cipher.available():
        raise RuntimeError("sqlcipher3 is not installed: no encrypted store to measure")
    vault = StoreVault(data_dir, allow_plaintext=False)
    user = {"id": "u1", "username": "bench", "role": "worker", "display_name": "bench"}
    store = vault.open_after_login(
        username="bench", password=BENCH_PASSWORD, pin=BENCH_PIN, user=user, server_url=""
    )
    try:
        result = measure_open_store(store, households)
    finally:
        vault.lock()

    def unlock() -> None:
        vault.unlock_with_pin(BENCH_PIN)
        vault.lock()

    result["pin_unlock"] = _timed(unlock, repeats=4)
    return result


def measure_open_store(store: Any, households: int) -> dict[str, Any]:
    """Seed an open store, then time the list, filters, search and visit saves."""
    from mobile_app.viewmodels.grid import GridViewModel

    result: dict[str, Any] = {"seed_via_pull_pages": seed(store, households)}
    total = store.households.count()
    assert total == households, (total, households)

    vm = GridViewModel(store)
    vm.today = lambda: TODAY  # the workload's dates are relative to 2026-11-25
    lists: dict[str, Any] = {"households": total}
    lists["open_first_page_viewmodel"] = _timed(vm.refresh)
    lists["first_page_rows"] = len(vm.rows)
    lists["open_first_page_store_query"] = _timed(lambda: store.households.list(today=TODAY))

    def toggle(name: str) -> Any:
        def run() -> None:
            vm.toggle_filter(name)  # on
            vm.toggle_filter(name)  # and off again: two refreshes

        return run

    for name in ("overdue", "risk", "due"):
        timing = _timed(toggle(name))
        lists[f"filter_{name}"] = {k: round(v / 2, 1) for k, v in timing.items()}
        vm.toggle_filter(name)
        lists[f"filter_{name}"]["matches"] = vm.total
        vm.toggle_filter(name)
    for text in ("张", "0001"):
        lists[f"search_{text}"] = _timed(lambda text=text: vm.set_search(text))
        lists[f"search_{text}"]["matches"] = vm.total
    vm.set_search("")
    result["household_list"] = lists

    node = store.session.client_id()
    saves = []
    households_ids = [h.id for h in store.households.list(limit=30, today=TODAY)]
    for n, hid in enumerate(households_ids):
        latest = store.visits.for_household(hid)[-1]
        data = {k: v for k, v in latest.data.items() if k != "review_comment"}
        data["visit_date"] = TODAY.isoformat()
        now = datetime(2026, 11, 25, 9, n, tzinfo=UTC)
        started = time.perf_counter()
        store.records.save("visit", str(uuid.uuid4()), data, now=now, hlc_node=node)
        saves.append((time.perf_counter() - started) * 1000)
    result["visit_save"] = {
        "saves": len(saves),
        "first_ms": round(saves[0], 1),
        "median_ms": round(statistics.median(saves[1:]), 1),
        "max_ms": round(max(saves[1:]), 1),
        "outbox_after": store.outbox.count(),
    }
    result["bench_process_rss_mib"] = round(_rss_kib() / 1024, 1)
    return result


def _free_display() -> int:
    for n in range(90, 200):
        if not Path(f"/tmp/.X{n}-lock").exists() and not Path(f"/tmp/.X11-unix/X{n}").exists():
            return n
    raise RuntimeError("no free X display number")


def cold_start(data_dir: Path, runs: int = 3) -> dict[str, Any]:
    """Start the real app under a private Xvfb `runs` times; seconds to the main loop, RSS."""
    if not shutil.which("Xvfb"):
        raise RuntimeError("Xvfb is needed for the cold-start figure")
    display = _free_display()
    xvfb = subprocess.Popen(
        ["Xvfb", f":{display}", "-screen", "0", "1280x1024x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while not Path(f"/tmp/.X11-unix/X{display}").exists():
            if xvfb.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("Xvfb did not start")
            time.sleep(0.05)
        starts = [_one_start(data_dir, display) for _ in range(runs)]
    finally:
        xvfb.terminate()
        xvfb.wait(timeout=10)
    seconds = [s["seconds_to_main_loop"] for s in starts]
    return {
        "display": f":{display}",
        "runs": starts,
        "median_seconds": round(statistics.median(seconds), 2),
        "max_seconds": round(max(seconds), 2),
    }


def _one_start(data_dir: Path, display: int) -> dict[str, Any]:
    env = os.environ | {
        "DISPLAY": f":{display}",
        "TIANYE_DATA_DIR": str(data_dir),
        "KIVY_NO_ARGS": "1",
        "KIVY_HOME": str(data_dir / "kivy-home"),
        "PYTHONPATH": str(ROOT),
    }
    env.pop("KIVY_NO_CONSOLELOG", None)
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "mobile_app"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: list[str] = []
    seen = threading.Event()
    at: list[float] = []

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if "Start application main loop" in line and not seen.is_set():
                at.append(time.perf_counter() - started)
                seen.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        if not seen.wait(60):
            raise RuntimeError("the app did not reach its main loop:\n" + "".join(lines[-40:]))
        time.sleep(2)
        if proc.poll() is not None:
            raise RuntimeError("the app exited:\n" + "".join(lines[-40:]))
        rss = _rss_kib(proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return {"seconds_to_main_loop": round(at[0], 2), "rss_mib_after_2s": round(rss / 1024, 1)}


def targets_met(result: dict[str, Any]) -> dict[str, bool]:
    """Each target against one store's figures."""
    lists = result["household_list"]
    met = {
        "list_open": lists["open_first_page_viewmodel"]["max_ms"] < TARGETS_MS["list_open"],
        "filter": all(
            lists[k]["max_ms"] < TARGETS_MS["filter"] for k in lists if k.startswith("filter_")
        ),
        "visit_save": result["visit_save"]["max_ms"] < TARGETS_MS["visit_save"],
    }
    if "cold_start" in result:
        met["cold_start"] = result["cold_start"]["max_seconds"] * 1000 < TARGETS_MS["cold_start"]
    return met


# (label, path into one store's result) of the side-by-side table
SIDE_BY_SIDE = (
    ("list opens, view-model (median ms)", ("household_list", "open_first_page_viewmodel")),
    ("store query alone (median ms)", ("household_list", "open_first_page_store_query")),
    ("filter overdue (median ms)", ("household_list", "filter_overdue")),
    ("filter risk (median ms)", ("household_list", "filter_risk")),
    ("filter due (median ms)", ("household_list", "filter_due")),
    ("search 张 (median ms)", ("household_list", "search_张")),
    ("search 0001 (median ms)", ("household_list", "search_0001")),
    ("visit save (median ms)", ("visit_save",)),
)


def side_by_side(results: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per figure: the median and worst of each store, and encrypted/plain."""
    rows = []
    for label, path in SIDE_BY_SIDE:
        row: dict[str, Any] = {"figure": label}
        for kind, result in results.items():
            value: Any = result
            for key in path:
                value = value[key]
            row[kind] = {"median_ms": value["median_ms"], "max_ms": value["max_ms"]}
        if "plain" in row and "encrypted" in row and row["plain"]["median_ms"]:
            row["encrypted_over_plain"] = round(
                row["encrypted"]["median_ms"] / row["plain"]["median_ms"], 2
            )
        rows.append(row)
    cold = {k: r["cold_start"]["median_seconds"] for k, r in results.items() if "cold_start" in r}
    if cold:
        rows.append({"figure": "cold start to the main loop (median s)", **cold})
    return rows


def run(
    *, households: int = 2000, cold_starts: int = 3, stores: tuple[str, ...] = STORES
) -> dict[str, Any]:
    """Every figure for each store kind, the targets, and the side-by-side table."""
    results: dict[str, dict[str, Any]] = {}
    for kind in stores:
        with tempfile.TemporaryDirectory() as tmp:
            data_dir = Path(tmp) / "phone"
            data_dir.mkdir()
            if kind == "encrypted":
                result = measure_encrypted_store(data_dir, households)
            else:
                result = measure_store(data_dir / "tianye.sqlite3", households)
            if cold_starts:
                result["cold_start"] = cold_start(data_dir, cold_starts)
            result["targets_met"] = targets_met(result)
            results[kind] = result
    out: dict[str, Any] = {"households": households, "targets_ms": TARGETS_MS, **results}
    out["side_by_side"] = side_by_side(results)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench app", description=__doc__.split("\n")[0])
    parser.add_argument("--households", type=int, default=2000)
    parser.add_argument("--store", choices=(*STORES, "both"), default="both")
    parser.add_argument("--cold-starts", type=int, default=3, help="0 to skip (no Xvfb needed)")
    args = parser.parse_args(argv)
    stores = STORES if args.store == "both" else (args.store,)
    result = run(households=args.households, cold_starts=args.cold_starts, stores=stores)
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0
