"""End to end in a real browser: JupyterLab + Chromium, the explorer notebook.

Starts JupyterLab on 127.0.0.1 (a free port, a random token) over a temporary folder
holding a copy of ``notebooks/01_explore_trends.ipynb`` and a demo store, drives
Debian's Chromium with Playwright: run all cells, wait for the explorer's charts,
pick a platform, check that the status, the platform chart and the table change,
then drag a brush on the volume chart and check that the selection reaches Python.
A screenshot is saved to ``tests/artifacts/`` (gitignored).

Skipped, with the reason, only when ``/usr/bin/chromium`` is missing and ``CI`` is
not set; in CI a missing browser is a failure.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
NOTEBOOK = "01_explore_trends.ipynb"
# Generous waits (ms) on selectors, for a loaded 2-core machine; no sleeps.
WAIT = 90_000
SERVER_START_S = 60
# A smaller demo store than the notebooks' default keeps the run well under 2 minutes.
DEMO_MENTIONS = 6_000

pytestmark = pytest.mark.browser


def _need_chromium() -> None:
    if CHROMIUM.exists():
        return
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing in CI: install it (apt-get install -y chromium)")
    pytest.skip(f"{CHROMIUM} not found (install with `apt-get install -y chromium`); "
                "this test runs whenever CI is set")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def lab(tmp_path):
    """A JupyterLab server over a temporary folder; yields (url, token, folder)."""
    _need_chromium()
    pytest.importorskip("playwright.sync_api")
    folder = tmp_path / "lab"
    (folder / "data").mkdir(parents=True)
    shutil.copy(ROOT / "notebooks" / NOTEBOOK, folder / NOTEBOOK)
    store = folder / "data" / "listening.duckdb"
    from listening.widgets import demo_frame

    demo_frame(n_mentions=DEMO_MENTIONS, store_path=store, enrich=True)  # prebuilt for speed
    log_path = tmp_path / "jupyterlab.log"
    with open(log_path, "wb") as log:
        yield from _serve(folder, store, tmp_path, log, log_path)


def _serve(folder: Path, store: Path, tmp_path: Path, log, log_path: Path):
    """Run JupyterLab (127.0.0.1, a token) until the generator is closed."""
    port, token = _free_port(), secrets.token_hex(24)
    env = {**os.environ, "LISTENING_STORE": str(store),
           "JUPYTER_CONFIG_DIR": str(tmp_path / "jupyter_config"),
           "JUPYTER_RUNTIME_DIR": str(tmp_path / "jupyter_runtime"),
           "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces"),
           "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
         f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={folder}",
         "--ServerApp.terminals_enabled=False", "--LabApp.news_url=",
         "--LabApp.expose_app_in_browser=True",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
         *(["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else [])],
        cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail("JupyterLab did not start:\n"
                            + log_path.read_text(errors="replace")[-3000:])
            time.sleep(0.25)  # polling the server's status endpoint, not waiting on the UI
        # without a token the server refuses (never an open server)
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(f"{url}/api/contents", timeout=5)
        yield url, token, folder
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


def test_explorer_notebook_in_chromium(lab):
    from playwright.sync_api import expect, sync_playwright

    url, token, _ = lab
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    expect.set_options(timeout=WAIT)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 2200})
            page.set_default_timeout(WAIT)
            page.goto(f"{url}/lab/tree/{NOTEBOOK}?token={token}")
            page.wait_for_selector(".jp-NotebookPanel .jp-Cell")
            # JupyterLab's own command, once the notebook's kernel is idle
            page.wait_for_function(
                "() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
                " const k = w && w.sessionContext && w.sessionContext.session"
                " && w.sessionContext.session.kernel; return !!k && k.status === 'idle'; }")
            page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")

            explorer = page.locator(".listening-explorer")
            explorer.wait_for()
            charts = explorer.locator(".vega-embed")
            expect(charts).to_have_count(4)
            for i in range(4):
                charts.nth(i).locator("canvas, svg").first.wait_for()
            status = explorer.locator(".widget-html-content").filter(has_text="mentions match")
            expect(status).to_contain_text("mentions match")
            before_status = status.inner_text()
            table = explorer.locator("table").first
            table.wait_for()
            platforms_chart = charts.nth(3)
            before_chart = platforms_chart.screenshot()
            assert platforms_chart.locator(".mark-rect path").count() > 1
            page.screenshot(path=str(ARTIFACTS / "explorer_before.png"), full_page=True)

            # pick one platform in the platform filter
            explorer.locator(".widget-select-multiple select").first.select_option("x")
            expect(status).not_to_have_text(before_status)
            cells = table.locator("td.col-platform")
            expect(cells.first).to_have_text("x")
            assert set(cells.all_inner_texts()) == {"x"}
            # the platform chart is redrawn with a single bar
            expect(platforms_chart.locator(".mark-rect path")).to_have_count(1)
            assert platforms_chart.screenshot() != before_chart
            # drag a brush over the middle of the volume chart: the rest follows
            before_status = status.inner_text()
            box = charts.nth(0).locator("svg").first.bounding_box()  # the plot fills its middle
            y = box["y"] + box["height"] / 2
            page.mouse.move(box["x"] + box["width"] * 0.35, y)
            page.mouse.down()
            page.mouse.move(box["x"] + box["width"] * 0.5, y, steps=8)
            page.mouse.move(box["x"] + box["width"] * 0.6, y, steps=8)
            page.mouse.up()
            expect(status).to_contain_text("in the selected period")
            assert status.inner_text() != before_status
            page.screenshot(path=str(ARTIFACTS / "explorer_after.png"), full_page=True)
            errors = page.locator(".jp-OutputArea-output[data-mime-type*='error']")
            assert errors.count() == 0
        except Exception:
            page.screenshot(path=str(ARTIFACTS / "explorer_failure.png"), full_page=True)
            raise
        finally:
            browser.close()
