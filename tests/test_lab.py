"""`make lab`: the Jupyter token never reaches the command line; the URL printed opens the lab."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from listening.lab import lab_launch


def test_token_is_in_a_private_file_not_in_argv_or_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    monkeypatch.setenv("JUPYTER_TOKEN", "inherited-token")
    launch = lab_launch(root="notebooks", port=8899)
    try:
        token = launch.token_file.read_text()
        assert re.fullmatch(r"[0-9a-f]{48}", token)
        assert not any(token in arg for arg in launch.argv)
        assert not any(token in value for value in launch.env.values())
        assert "JUPYTER_TOKEN" not in launch.env  # an inherited token would win over the file
        assert launch.env["JUPYTER_TOKEN_FILE"] == str(launch.token_file)
        assert stat.S_IMODE(launch.token_file.stat().st_mode) == 0o600
        assert stat.S_IMODE(launch.token_file.parent.stat().st_mode) == 0o700
        assert launch.token_file.parent.parent == tmp_path
        assert launch.url == f"http://127.0.0.1:8899/lab?token={token}"
        assert "--ServerApp.ip=127.0.0.1" in launch.argv
        assert "--ServerApp.port_retries=0" in launch.argv  # the printed port is the real one
    finally:
        launch.remove()
    assert not launch.token_file.parent.exists()
    assert lab_launch(port=1, token="a").token_file.read_text() == "a"


def test_each_launch_gets_a_new_token():
    one, two = lab_launch(port=1), lab_launch(port=1)
    try:
        assert one.token_file.read_text() != two.token_file.read_text()
    finally:
        one.remove(), two.remove()


def _processes_cmdlines() -> list[str]:
    lines = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                lines.append((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode())
            except OSError:
                continue
    return lines


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc to see what ps shows")
def test_make_lab_prints_a_url_that_opens_and_ps_shows_no_token(tmp_path):
    jupyter = Path(sys.executable).with_name("jupyter")
    if not jupyter.exists():
        pytest.skip("jupyter is not installed beside this Python")
    env = dict(os.environ, XDG_RUNTIME_DIR=str(tmp_path), JUPYTER_RUNTIME_DIR=str(tmp_path / "rt"))
    proc = subprocess.Popen([sys.executable, "-m", "listening.lab", "--root", str(tmp_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        url = ""
        while not url:
            line = proc.stdout.readline()
            assert line, "listening.lab printed no URL"
            url = next(iter(re.findall(r"http://127\.0\.0\.1:\d+/lab\?token=\w+", line)), "")
        token = url.rsplit("=", 1)[1]
        base = url.split("/lab?")[0]
        for _ in range(120):  # the server needs a few seconds to start
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2) as r:
                    assert r.status == 200
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.5)
        else:
            pytest.fail("JupyterLab did not answer on the printed URL")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{base}/api/status", timeout=5)
        assert refused.value.code == 403
        assert not [c for c in _processes_cmdlines() if token in c]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert not list(tmp_path.glob("listening-lab-*"))  # the token file is removed
    time.sleep(1)
    assert not [c for c in _processes_cmdlines() if "jupyter" in c and str(tmp_path) in c]
