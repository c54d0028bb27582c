"""The phone's evidence files reach the real server (gunicorn; SQLite and PostgreSQL) over its
own tus client: a connection cut in the middle of a piece resumes from the server's offset; an
app restart resumes with HEAD from the offset the store kept; a file the server holds costs one
request and no bytes; a missing or refused file never stops the others."""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import requests
from PIL import Image, ImageFilter

from mobile_app.evidence.photo import prepare_photo
from mobile_app.evidence.signature import render_signature
from mobile_app.evidence.vault import EvidenceFiles
from mobile_app.store import Store
from mobile_app.store import files as files_table
from mobile_app.sync.client import Offline
from mobile_app.sync.files import upload_pending
from mobile_app.sync.tus import TusClient
from tests.contract.proxy import Cut, CuttingProxy

NOW = "2026-05-20T09:31:00+08:00"
PATCH = b"PATCH /api/v1/attachments"


def photo(seed: int, side: int = 1400) -> bytes:
    size = (side, side * 3 // 4)
    image = Image.merge(
        "RGB",
        [
            Image.effect_noise(size, 30 + seed).filter(ImageFilter.GaussianBlur(2)),
            Image.linear_gradient("L").resize(size),
            Image.effect_noise(size, 20),
        ],
    )
    out = io.BytesIO()
    image.save(out, "JPEG", quality=92)
    return out.getvalue()


def phone(tmp_path: Path, name: str) -> EvidenceFiles:
    store = Store(tmp_path / f"{name}.db")
    return EvidenceFiles(store.db, tmp_path / f"{name}.files")


def signed_in(seed: Any, url: str) -> str:
    seed.grid("g1")
    seed.user("wang", grids=["g1"])
    return seed.login(url, "wang").token


def test_files_resume_after_cuts_and_a_restart_then_dedupe(
    seed: Any, live_server_factory: Any, tmp_path: Path
) -> None:
    server = live_server_factory()
    token = signed_in(seed, server.url)
    evidence = phone(tmp_path, "phone")
    images = [prepare_photo(photo(i)) for i in range(2)]
    strokes = [[(10 + i * 4, 40 + (i % 9) * 5) for i in range(80)]]
    images.append(render_signature(strokes, (400, 160)))
    # the signature is taken a minute later: files go oldest first (then by hash), and the
    # photos' noise makes their hashes random, so with one time for all the small signature
    # could go first, finish in one piece, and leave nothing under way when the run stops
    taken = (NOW, NOW, "2026-05-20T09:32:00+08:00")
    kinds = ("house_photo", "water_photo", "signature")
    for image, kind, at in zip(images, kinds, taken, strict=True):
        evidence.add(image, kind=kind, visit_id="v1", now=at)
    total = sum(i.size for i in images)
    assert all(i.size > 40_000 for i in images[:2]) and images[2].size < 10_000

    # 1. an app restart: the first run stops after the first confirmed piece of file 1
    host = urlparse(server.url)
    first = TusClient(server.url, token, chunk_bytes=16 * 1024)
    pieces = []

    def stop_after_a_piece() -> bool:  # the first report is before any byte is sent
        return any(p.bytes_left < p.bytes_total for p in pieces)

    result = upload_pending(
        evidence,
        first,
        now=lambda: NOW,
        on_progress=pieces.append,
        should_stop=stop_after_a_piece,
    )
    assert result.uploaded == 0 and result.skipped == "offline"
    started = [f for f in files_table.all_files(evidence.db) if f.upload_offset > 0]
    assert len(started) == 1  # one of the two photos was under way
    kept = started[0]
    assert 0 < kept.upload_offset < kept.size and kept.remote == "pending"

    # 2. the restarted app, through a proxy that cuts two PATCHes in the middle of their body
    with CuttingProxy(host.hostname or "127.0.0.1", host.port or 80) as proxy:
        proxy.cuts = [Cut("up", 9_000, PATCH), Cut("up", 30_000, PATCH)]
        again = TusClient(proxy.url, token, chunk_bytes=64 * 1024)
        progress: list[Any] = []
        # the runner's backoff (sleep) gives the server a moment to store a cut piece before
        # HEAD asks for the offset; without it a HEAD can race the server and a piece is resent
        result = upload_pending(
            evidence, again, now=lambda: NOW, on_progress=progress.append, sleep=time.sleep
        )
        assert proxy.cuts_done == 2
    assert (result.uploaded, result.missing, result.refused) == (3, [], [])
    assert result.files_left == 0 and result.bytes_left == 0
    assert progress[-1].files_left == 0 and progress[-1].fraction == 1.0
    assert max(p.bytes_left for p in progress) <= total
    # never the whole file again: what the server had kept was not re-sent
    assert first.bytes_sent + again.bytes_sent <= total + 2 * 64 * 1024
    for image in images:
        got = requests.get(
            f"{server.url}/api/v1/attachments/{image.sha256}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert got.status_code == 200 and got.content == image.data
        row = files_table.get_file(evidence.db, image.sha256)
        assert row is not None and row.remote == "uploaded" and row.upload_offset == row.size

    # 3. another phone with the same photo: one POST, no file bytes
    other = phone(tmp_path, "other")
    other.add(images[0], kind="house_photo", visit_id="v2", now=NOW)
    tus = TusClient(server.url, token)
    result = upload_pending(other, tus, now=lambda: NOW)
    assert (result.uploaded, result.deduplicated, tus.bytes_sent) == (1, 1, 0)


def test_a_missing_or_refused_file_never_stops_the_others(
    seed: Any, live_server_factory: Any, tmp_path: Path
) -> None:
    server = live_server_factory()
    token = signed_in(seed, server.url)
    evidence = phone(tmp_path, "phone")
    good, gone, liar = (prepare_photo(photo(i, side=600)) for i in (3, 4, 5))
    evidence.add(gone, kind="house_photo", visit_id="v1", now="2026-05-20T09:00:00")
    # a JPEG stored as if it were a PNG: the server checks the bytes against the declared type
    from dataclasses import replace

    evidence.add(replace(liar, mime="image/png"), kind="signature", visit_id="v1", now=NOW)
    evidence.add(good, kind="water_photo", visit_id="v1", now="2026-05-20T10:00:00")
    evidence.vault.drop_full(gone.sha256)
    result = upload_pending(evidence, TusClient(server.url, token), now=lambda: NOW)
    assert result.uploaded == 1
    assert result.missing == [gone.sha256] and result.refused == [liar.sha256]
    refused = files_table.get_file(evidence.db, liar.sha256)
    assert refused is not None and refused.upload_error and refused.remote == "pending"
    assert files_table.get_file(evidence.db, gone.sha256).local == "missing"
    assert files_table.get_file(evidence.db, good.sha256).remote == "uploaded"


def test_offline_server_leaves_everything_pending(tmp_path: Path) -> None:
    evidence = phone(tmp_path, "phone")
    evidence.add(prepare_photo(photo(7, side=400)), kind="house_photo", visit_id="v", now=NOW)
    tus = TusClient("http://127.0.0.1:9", "tok", timeout=(0.5, 0.5))
    result = upload_pending(evidence, tus, now=lambda: NOW)
    assert result.skipped == "offline" and result.files_left == 1
    try:
        tus.create("a" * 64, "image/jpeg", 10)
    except Offline:
        pass
    else:  # pragma: no cover
        raise AssertionError("expected Offline")
