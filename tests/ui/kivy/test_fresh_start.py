"""A worker's very first start on an account that has never run a desktop program: no
`~/.config`, no `~/.kivy`, no TIANYE_DATA_DIR. The real app must reach the sign-in screen
(Kivy's `user_data_dir` creates only its last directory, so `~/.config` must be made first)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.ui.kivy.conftest import ARTIFACTS, ROOT
from tests.ui.kivy.test_app_ui import png_size

pytestmark = pytest.mark.ui

UNSET = ("TIANYE_DATA_DIR", "XDG_CONFIG_HOME", "KIVY_HOME", "TIANYE_SERVER_URL")


def test_first_start_without_dot_config_reaches_sign_in(x_display, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in UNSET}
    env.update(
        HOME=str(home),
        DISPLAY=x_display,
        KIVY_NO_ARGS="1",
        KIVY_CLIPBOARD="dummy",
        KIVY_LOG_MODE="PYTHON",
        TIANYE_UI_HANG_AFTER="160",
    )
    shot = ARTIFACTS / "fresh_start_signin.png"
    shot.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "tests.ui.kivy.driver", "fresh_start", "-", str(ARTIFACTS)]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    output = proc.stdout + proc.stderr
    tail = "\n".join(line for line in output.splitlines() if "DEBUG" not in line)[-4000:]
    assert proc.returncode == 0, f"the app did not reach sign-in (exit {proc.returncode}):\n{tail}"
    data_root = home / ".config" / "tianye"
    assert f"DATA_ROOT {data_root}" in output
    assert data_root.is_dir()
    assert png_size(shot) == (720, 1440)
