"""Resumable photo uploads over a weak, flaky link (issue 14), against a real server process.

`python -m bench attach [--photos N] [--kbit 50] [--drop-every 20] [--concurrent 100]`:
1. N photos of ~250 KB go through a loopback throttling proxy (one shared link of `--kbit`
   kbit/s each way) that drops every open connection every `--drop-every` seconds. The tus
   client resumes from the server's offset (HEAD) after each drop; beside it, on its own
   identical link, a restart-from-zero client (what ODK/CommCare/DHIS2 do: a dropped upload
   starts again) runs for the same time. Reported: files arrived, bytes on the wire (both
   directions, headers included) against file bytes, elapsed against bytes ÷ bandwidth.
2. A re-sent file: requests and body bytes of the second upload (dedupe).
3. `--concurrent` uploads at once, straight to the server: peak resident memory of the
   server's processes (sum of VmRSS over its process group) against the idle figure.
The full issue-14 size is `--photos 300` (≈ 3.4 hours at 50 kbit/s); the quick default is 4.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import io
import json
import os
import random
import socket
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

from bench.sync_quick import PASSWORD, ROOT, cli, serve

TUS = {"Tus-Resumable": "1.0.0"}


# --- photos ----------------------------------------------------------------------------------


def photo(seed: int, target: int = 250_000) -> bytes:
    """A JPEG of about `target` bytes (noise over a gradient: it does not compress away)."""
    from PIL import Image

    rng = random.Random(seed)
    side = 520
    while True:
        noise = Image.frombytes("RGB", (side, side * 3 // 4), rng.randbytes(side * side * 9 // 4))
        out = io.BytesIO()
        noise.save(out, "JPEG", quality=70)
        if out.tell() >= target * 0.95 or side > 2000:
            return out.getvalue()
        side = int(side * (target / out.tell()) ** 0.5) + 8


# --- the link --------------------------------------------------------------------------------


class Link:
    """One direction of a slow link: a token bucket of `rate` bytes/s shared by connections."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.lock = threading.Lock()
        self.next_free = time.monotonic()

    def take(self, n: int) -> None:
        with self.lock:
            now = time.monotonic()
            start = max(now, self.next_free)
            self.next_free = start + n / self.rate
            wait = self.next_free - now
        if wait > 0:
            time.sleep(wait)


class ThrottlingProxy:
    """Loopback TCP proxy: `rate` bytes/s each way, every connection cut every `drop_every` s.
    Counts the bytes it carried (what a metered phone plan would bill)."""

    PIECE = 512

    def __init__(self, upstream: tuple[str, int], rate: float, drop_every: float) -> None:
        self.upstream, self.drop_every = upstream, drop_every
        self.up, self.down = Link(rate), Link(rate)
        self.bytes_up = self.bytes_down = self.drops = 0
        self.count_lock = threading.Lock()
        self.open: set[socket.socket] = set()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.stopped = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()
        threading.Thread(target=self._dropper, daemon=True).start()

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.upstream)
            with self.count_lock:
                self.open |= {client, server}
            for src, dst, link, up in ((client, server, self.up, True),
                                       (server, client, self.down, False)):  # fmt: skip
                threading.Thread(target=self._pump, args=(src, dst, link, up), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, link: Link, up: bool) -> None:
        try:
            while True:
                data = src.recv(self.PIECE)
                if not data:
                    break
                link.take(len(data))
                dst.sendall(data)
                with self.count_lock:
                    if up:
                        self.bytes_up += len(data)
                    else:
                        self.bytes_down += len(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                self._close(sock)

    def _close(self, sock: socket.socket) -> None:
        with self.count_lock:
            self.open.discard(sock)
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()

    def _dropper(self) -> None:
        while not self.stopped.wait(self.drop_every):
            with self.count_lock:
                victims = list(self.open)
            if victims:
                self.drops += 1
            for sock in victims:
                self._close(sock)

    def stop(self) -> None:
        self.stopped.set()
        self.listener.close()
        for sock in list(self.open):
            self._close(sock)


# --- clients ---------------------------------------------------------------------------------


def _meta(data: bytes) -> dict[str, str]:
    digest = hashlib.sha256(data).hexdigest()
    enc = {k: base64.b64encode(v.encode()).decode() for k, v in
           (("sha256", digest), ("mime", "image/jpeg"))}  # fmt: skip
    return TUS | {
        "Upload-Length": str(len(data)),
        "Upload-Metadata": ",".join(f"{k} {v}" for k, v in enc.items()),
    }


class Counter:
    def __init__(self) -> None:
        self.requests = 0
        self.failures = 0


def resumable_upload(base: str, auth: dict[str, str], data: bytes, count: Counter) -> None:
    """tus: create once, then PATCH the rest from the server's offset after every drop."""
    location: str | None = None
    offset: int | None = None
    while True:
        try:
            with requests.Session() as http:
                if location is None:
                    count.requests += 1
                    created = http.post(f"{base}/api/v1/attachments",
                                        headers=auth | _meta(data), timeout=120)  # fmt: skip
                    created.raise_for_status()
                    location = base + created.headers["Location"]
                    offset = int(created.headers["Upload-Offset"])
                if offset is None:
                    count.requests += 1
                    head = http.head(location, headers=auth | TUS, timeout=120)
                    head.raise_for_status()
                    offset = int(head.headers["Upload-Offset"])
                if offset >= len(data):
                    return
                count.requests += 1
                sent = http.patch(
                    location,
                    headers=auth | TUS | {"Upload-Offset": str(offset),
                                          "Content-Type": "application/offset+octet-stream"},
                    data=data[offset:],
                    timeout=120,
                )  # fmt: skip
                if sent.status_code == 409:
                    offset = int(sent.headers["Upload-Offset"])
                    continue
                sent.raise_for_status()
                offset = int(sent.headers["Upload-Offset"])
        except requests.HTTPError as exc:
            raise RuntimeError(f"upload refused: {exc.response.text[:300]}") from exc
        except requests.RequestException:
            count.failures += 1
            offset = None  # ask the server
            time.sleep(0.2)


def restart_upload(
    base: str, auth: dict[str, str], data: bytes, count: Counter, deadline: float
) -> bool:
    """What the peers do: a dropped upload starts again from byte 0 (until `deadline`)."""
    digest = hashlib.sha256(data).hexdigest()
    while time.monotonic() < deadline:
        try:
            with requests.Session() as http:
                count.requests += 2
                http.delete(f"{base}/api/v1/attachments/{digest}", headers=auth | TUS, timeout=120)
                created = http.post(f"{base}/api/v1/attachments", headers=auth | _meta(data),
                                    timeout=120)  # fmt: skip
                created.raise_for_status()
                if int(created.headers["Upload-Offset"]) == len(data):
                    return True
                count.requests += 1
                sent = http.patch(
                    base + created.headers["Location"],
                    headers=auth | TUS | {"Upload-Offset": "0",
                                          "Content-Type": "application/offset+octet-stream"},
                    data=data,
                    timeout=max(1.0, deadline - time.monotonic()),
                )  # fmt: skip
                sent.raise_for_status()
                return True
        except requests.HTTPError as exc:
            raise RuntimeError(f"upload refused: {exc.response.text[:300]}") from exc
        except requests.RequestException:
            count.failures += 1
            time.sleep(0.2)
    return False


# --- measurements ----------------------------------------------------------------------------


def group_rss_kib(pgid: int) -> int:
    """Sum of VmRSS (KiB) of the processes in a process group."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if os.getpgid(int(entry)) != pgid:
                continue
            for line in Path(f"/proc/{entry}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except (OSError, ProcessLookupError, ValueError):
            continue
    return total


def login(base: str, user: str) -> dict[str, str]:
    body = {"username": user, "password": PASSWORD, "client_id": str(__import__("uuid").uuid4()),
            "device_name": "bench"}  # fmt: skip
    token = requests.post(f"{base}/api/v1/auth/token", json=body, timeout=30).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def weak_network(base: str, photos: list[bytes], rate: float, drop_every: float) -> dict:
    host, port = base.removeprefix("http://").split(":")
    upstream = (host, int(port))
    file_bytes = sum(len(p) for p in photos)
    results: dict[str, Any] = {"photos": len(photos), "file_bytes": file_bytes,
                               "ideal_s": round(file_bytes / rate, 1)}  # fmt: skip
    auth_a, auth_b = login(base, "bench"), login(base, "bench2")
    resumable_proxy = ThrottlingProxy(upstream, rate, drop_every)
    restart_proxy = ThrottlingProxy(upstream, rate, drop_every)
    count_a, count_b = Counter(), Counter()
    restart_done: list[bool] = []
    # the restart-from-zero client sends other photos of the same sizes, on its own link
    others = [photo(2000 + i, len(p)) for i, p in enumerate(photos)]
    started = time.monotonic()
    budget = results["ideal_s"] * 1.6 + 60

    def restarting() -> None:
        deadline = started + budget
        for data in others:
            if time.monotonic() >= deadline:
                break
            restart_done.append(restart_upload(restart_proxy.url, auth_b, data, count_b, deadline))

    other = threading.Thread(target=restarting, daemon=True)
    other.start()
    for data in photos:
        resumable_upload(resumable_proxy.url, auth_a, data, count_a)
    elapsed = time.monotonic() - started
    other.join(timeout=max(0.0, started + budget - time.monotonic()) + 30)
    restart_elapsed = time.monotonic() - started
    wire_a = resumable_proxy.bytes_up + resumable_proxy.bytes_down
    wire_b = restart_proxy.bytes_up + restart_proxy.bytes_down
    arrived = sum(
        requests.head(f"{base}/api/v1/attachments/{hashlib.sha256(p).hexdigest()}",
                      headers=auth_a | TUS, timeout=30).headers.get("Upload-Offset") == str(len(p))
        for p in photos
    )  # fmt: skip
    results["resumable"] = {
        "arrived": arrived,
        "elapsed_s": round(elapsed, 1),
        "elapsed_vs_ideal": round(elapsed / results["ideal_s"], 3),
        "wire_bytes": wire_a,
        "wire_vs_file_bytes": round(wire_a / file_bytes, 4),
        "requests": count_a.requests,
        "dropped_requests": count_a.failures,
        "drops": resumable_proxy.drops,
    }
    results["restart_from_zero"] = {
        "arrived": sum(restart_done),
        "elapsed_s": round(restart_elapsed, 1),
        "wire_bytes": wire_b,
        "wire_vs_file_bytes_of_arrived": _ratio(wire_b, _arrived_bytes(others, restart_done)),
        "requests": count_b.requests,
        "dropped_requests": count_b.failures,
        "drops": restart_proxy.drops,
    }  # fmt: skip
    resumable_proxy.stop()
    restart_proxy.stop()
    return results


def _ratio(wire: int, arrived: int) -> float | None:
    return round(wire / arrived, 2) if arrived else None


def _arrived_bytes(files: list[bytes], done: list[bool]) -> int:
    return sum(len(f) for f, ok in zip(files, done, strict=False) if ok)


def dedupe(base: str, data: bytes) -> dict[str, Any]:
    """Upload once, then send the same file again through a counting (unthrottled) proxy."""
    auth = login(base, "bench")
    resumable_upload(base, auth, data, Counter())
    host, port = base.removeprefix("http://").split(":")
    proxy = ThrottlingProxy((host, int(port)), rate=1e9, drop_every=3600)
    count = Counter()
    resumable_upload(proxy.url, auth, data, count)
    time.sleep(0.2)
    result = {"requests": count.requests, "wire_bytes_up": proxy.bytes_up,
              "wire_bytes_down": proxy.bytes_down, "file_bytes": len(data)}  # fmt: skip
    proxy.stop()
    return result


def concurrent(base: str, pgid: int, n: int) -> dict[str, Any]:
    auth = login(base, "bench")
    idle = group_rss_kib(pgid)
    peak = [idle]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.05):
            peak.append(group_rss_kib(pgid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    files = [photo(5000 + i) for i in range(n)]
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=n) as pool:
        list(pool.map(lambda d: resumable_upload(base, auth, d, Counter()), files))
    elapsed = time.monotonic() - started
    stop.set()
    sampler.join()
    return {
        "uploads": n,
        "bytes": sum(len(f) for f in files),
        "elapsed_s": round(elapsed, 1),
        "idle_rss_mib": round(idle / 1024, 1),
        "peak_rss_mib": round(max(peak) / 1024, 1),
    }


def run(photos: int, kbit: float, drop_every: float, concurrency: int) -> dict[str, Any]:
    pictures = [photo(1000 + i) for i in range(photos)]
    with tempfile.TemporaryDirectory() as tmp:
        env = os.environ | {
            "DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3",
            "ATTACHMENTS_DIR": f"{tmp}/files",
            "LOG_LEVEL": "WARNING",
            "TIANYE_FAST_PASSWORD_HASH": "1",
            "PYTHONPATH": str(ROOT),
        }
        cli(env, "init-db")
        cli(env, "create-grid", "--id", "B1", "--name", "基准网格", "--village", "基准村",
            "--township", "基准镇")  # fmt: skip
        for user in ("bench", "bench2"):
            cli(env, "create-user", "--username", user, "--password-stdin",
                "--role", "worker", "--grid", "B1", stdin=PASSWORD + "\n")  # fmt: skip
        with serve(env, Path(tmp) / "server.log") as (base, proc):
            out: dict[str, Any] = {
                "photo_bytes_mean": sum(len(p) for p in pictures) // photos,
                "kbit_per_s": kbit,
                "drop_every_s": drop_every,
            }
            out["concurrent"] = concurrent(base, os.getpgid(proc.pid), concurrency)
            out["dedupe"] = dedupe(base, photo(9999))
            out["weak_network"] = weak_network(
                base,
                pictures[100:100] or [photo(1000 + i) for i in range(photos)],
                kbit * 1000 / 8,
                drop_every,
            )
            return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench attach", description=__doc__)
    parser.add_argument("--photos", type=int, default=4, help="weak-network photos (300: full)")
    parser.add_argument("--kbit", type=float, default=50.0)
    parser.add_argument("--drop-every", type=float, default=20.0)
    parser.add_argument("--concurrent", type=int, default=100)
    parser.add_argument("--quick", action="store_true", help="the defaults (4 photos)")
    args = parser.parse_args(argv)
    result = run(args.photos, args.kbit, args.drop_every, args.concurrent)
    print(json.dumps(result, indent=2))
    return 0
