"""Kivy UI test fixtures: an X display (Xvfb started on a free display number when DISPLAY is
unset) and a runner for driver scenarios in a child process (a Kivy window lives once per
process). Without Xvfb the tests skip with the reason; with `CI` set they fail instead."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
ARTIFACTS = ROOT / "test-artifacts" / "ui"


def _free_display() -> int:
    for n in range(90, 200):
        if not Path(f"/tmp/.X{n}-lock").exists() and not Path(f"/tmp/.X11-unix/X{n}").exists():
            return n
    raise RuntimeError("no free X display number between :90 and :199")


@pytest.fixture(scope="session")
def x_display():
    """A DISPLAY for Kivy windows: the current one, or a private Xvfb for the session."""
    if os.environ.get("DISPLAY"):
        yield os.environ["DISPLAY"]
        return
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        reason = "Xvfb is not installed (apt-get install xvfb) and DISPLAY is unset"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    number = _free_display()
    proc = subprocess.Popen(
        [xvfb, f":{number}", "-screen", "0", "720x1440x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while not Path(f"/tmp/.X11-unix/X{number}").exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"Xvfb :{number} did not start")
        time.sleep(0.1)
    yield f":{number}"
    proc.terminate()
    proc.wait(10)


@pytest.fixture
def run_scenario(x_display, tmp_path):
    """Run `tests.ui.kivy.driver <scenario>` with the app's data in tmp_path."""

    def run(
        name: str,
        data_dir: Path,
        backend: str = "",
        timeout: float = 420,
        extra_env: dict[str, str] | None = None,
    ) -> str:
        env = {
            **(extra_env or {}),
            **os.environ,
            "DISPLAY": x_display,
            "KIVY_HOME": str(tmp_path / "kivy-home"),
            "KIVY_NO_ARGS": "1",
            "KIVY_CLIPBOARD": "dummy",
            "KIVY_LOG_MODE": "PYTHON",
            "TIANYE_UI_HANG_AFTER": str(timeout - 20),
        }
        cmd = [sys.executable, "-m", "tests.ui.kivy.driver", name, str(data_dir), str(ARTIFACTS)]
        if backend:
            cmd.append(backend)
        proc = subprocess.run(
            cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
        )
        output = proc.stdout + proc.stderr
        if proc.returncode != 0:
            tail = "\n".join(line for line in output.splitlines() if "DEBUG" not in line)[-6000:]
            pytest.fail(f"scenario {name} failed (exit {proc.returncode}):\n{tail}")
        return output

    return run
