"""A stock tus client (`tuspy`) uploads to the real server (gunicorn, SQLite and PostgreSQL):
PROTOCOL.md promises that any tus 1.0.0 client works. Then the file is read back, a second
upload of the same bytes sends nothing (dedupe), and the CLI keeps backups of the files."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import requests
from tusclient import client as tus

from tests.conftest import ROOT
from tests.sync_server.attachment_cases import jpeg, sha


def test_tuspy_uploads_in_chunks_and_dedupes(
    seed: Any, live_server_factory: Any, tmp_path: Path, db_url: str
) -> None:
    files = tmp_path / "files"
    server = live_server_factory(env={"ATTACHMENTS_DIR": str(files)})
    seed.grid("g1")
    seed.user("wang", grids=["g1"])
    wang = seed.login(server.url, "wang")
    data = jpeg(1200, 900, seed=5)
    endpoint = f"{server.url}/api/v1/attachments"
    my_client = tus.TusClient(endpoint, headers=wang.headers)
    uploader = my_client.uploader(
        file_stream=io.BytesIO(data),
        chunk_size=16 * 1024,
        metadata={"sha256": sha(data), "mime": "image/jpeg"},
    )
    uploader.upload()
    assert uploader.url == f"{endpoint}/{sha(data)}"
    assert uploader.offset == len(data)
    got = requests.get(uploader.url, headers=wang.headers, timeout=30)
    assert got.status_code == 200 and got.content == data
    assert got.headers["Tus-Resumable"] == "1.0.0"

    again = my_client.uploader(
        file_stream=io.BytesIO(data),
        chunk_size=16 * 1024,
        metadata={"sha256": sha(data), "mime": "image/jpeg"},
    )
    again.upload()  # tuspy ignores the creation's Upload-Offset; its first PATCH learns it
    assert again.offset == len(data)

    backup_dir = tmp_path / "backup"
    env = os.environ | {"DATABASE_URL": db_url, "ATTACHMENTS_DIR": str(files)}
    out = subprocess.run(
        [sys.executable, "-m", "sync_server", "backup-files", "--output", str(backup_dir)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert json.loads(out.stdout)["copied"] == 2  # the file and its thumbnail
    assert (backup_dir / "files" / sha(data)[:2] / sha(data)).read_bytes() == data
    restored = tmp_path / "restored"
    out = subprocess.run(
        [sys.executable, "-m", "sync_server", "restore-files", "--input", str(backup_dir)],
        cwd=ROOT,
        env=env | {"ATTACHMENTS_DIR": str(restored)},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert json.loads(out.stdout)["copied"] == 2
    assert (restored / "files" / sha(data)[:2] / sha(data)).read_bytes() == data
    out = subprocess.run(
        [sys.executable, "-m", "sync_server", "expire-uploads"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert json.loads(out.stdout)["expired_uploads"] == 0
