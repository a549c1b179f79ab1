"""End to end in a real browser: JupyterLab + Chromium, the analyst notebooks.

Starts JupyterLab on 127.0.0.1 (a free port, a random token) over a temporary folder
holding a copy of the notebooks and a demo store, drives Debian's Chromium with
Playwright:

* explorer (``01``): run all cells, wait for the charts, pick a platform, check that
  the status, the platform chart and the table change, drag a brush on the volume
  chart and check that the selection reaches Python;
* threat board (``02``): triage the first alert (status, owner, note), reload the
  page and run again: the board reads the decision back from the store;
* response queue (``05``): mark the top post handled, reload and run again: the post
  left the queue, and "show handled" says who handled it and with what note.

Screenshots are saved to ``tests/artifacts/`` (gitignored).

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
THREATS = "02_emerging_threats.ipynb"
QUEUE = "05_response_queue.ipynb"
RULES = "03_rule_workbench.ipynb"
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
    for name in (NOTEBOOK, THREATS, QUEUE, RULES):
        shutil.copy(ROOT / "notebooks" / name, folder / name)
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


def _run_notebook(page, url: str, token: str, notebook: str) -> None:
    """Open ``notebook`` in JupyterLab and run all its cells once its kernel is idle."""
    page.goto(f"{url}/lab/tree/{notebook}?token={token}")
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell")
    # JupyterLab's own command, once the notebook's kernel is idle
    page.wait_for_function(
        "() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
        " const k = w && w.sessionContext && w.sessionContext.session"
        " && w.sessionContext.session.kernel; return !!k && k.status === 'idle'; }")
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")


def _widget(page, url: str, token: str, notebook: str, css: str, *, reload: bool = False):
    """Run ``notebook`` (after reloading the page, if asked) and wait for its widget."""
    if reload:
        page.reload()
    _run_notebook(page, url, token, notebook)
    widget = page.locator(css)
    widget.wait_for()
    return widget


def _fill(widget, control: str, label: str, value: str) -> None:
    """Type ``value`` in the ``.widget-text`` / ``.widget-textarea`` control labelled ``label``."""
    tag = "textarea" if control == "textarea" else "input"
    widget.locator(f".widget-{control}").filter(has_text=label).locator(tag).fill(value)


def _no_errors(page) -> None:
    errors = page.locator(".jp-OutputArea-output[data-mime-type*='error']")
    assert errors.count() == 0


def _browse(lab, name: str, body) -> None:
    """Run ``body(page, url, token)`` in Chromium; a failure leaves a screenshot."""
    from playwright.sync_api import expect, sync_playwright

    url, token, _ = lab
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    expect.set_options(timeout=WAIT)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 2200})
        page.set_default_timeout(WAIT)
        try:
            body(page, url, token)
        except Exception:
            page.screenshot(path=str(ARTIFACTS / f"{name}_failure.png"), full_page=True)
            raise
        finally:
            browser.close()


def test_explorer_notebook_in_chromium(lab):
    from playwright.sync_api import expect

    def body(page, url, token):
        explorer = _widget(page, url, token, NOTEBOOK, ".listening-explorer")
        charts = explorer.locator(".vega-embed")
        expect(charts).to_have_count(5)   # volume, sentiment, topics, share of voice, platforms
        for i in range(5):
            charts.nth(i).locator("canvas, svg").first.wait_for()
        status = explorer.locator(".widget-html-content").filter(has_text="mentions match")
        expect(status).to_contain_text("mentions match")
        before_status = status.inner_text()
        table = explorer.locator("table.posts").first
        table.wait_for()
        expect(table.locator("th").filter(has_text="Copies")).to_have_count(1)
        expect(explorer.locator("table.listening-authors")).to_have_count(2)
        platforms_chart = charts.nth(4)
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
        # the last 7 days compared with the 7 before: the status says the change
        explorer.locator(".widget-dropdown").filter(has_text="period").locator("select") \
            .select_option(label="last 7 days")
        explorer.locator(".widget-checkbox").filter(
            has_text="compare with previous period").locator("input").check()
        expect(status).to_contain_text("vs the previous period")
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
        _no_errors(page)

    _browse(lab, "explorer", body)


def test_threat_board_triage_survives_a_reload(lab):
    from playwright.sync_api import expect

    def body(page, url, token):
        board = _widget(page, url, token, THREATS, ".listening-threat-board")
        board.locator(".vega-embed svg").first.wait_for()   # the sparkline
        first = board.locator(".widget-select select").first
        expect(first.locator("option").first).to_contain_text("[severity")
        title = first.locator("option").first.inner_text()
        assert "all · threat_vocabulary" not in title
        page.screenshot(path=str(ARTIFACTS / "threat_board_before.png"), full_page=True)
        board.locator(".widget-dropdown").filter(has_text="status").locator("select") \
            .select_option(label="escalated")
        _fill(board, "text", "owner", "Dana")
        _fill(board, "textarea", "note", "called the detachment")
        board.get_by_role("button", name="save triage").click()
        expect(board).to_contain_text("Saved: escalated")
        # a reload and a new run: the board reads the decision back from the store
        board = _widget(page, url, token, THREATS, ".listening-threat-board", reload=True)
        expect(board.locator(".widget-html-content").filter(has_text="Triage log")) \
            .to_contain_text("escalated by Dana — called the detachment")
        expect(board.locator(".widget-select select option").first).to_contain_text("escalated")
        # the shared EN/FR switch relabels the board
        board.locator(".listening-language button").filter(has_text="FR").click()
        expect(board.locator(".widget-select select option").first).to_contain_text("gravité")
        expect(board.locator("h5").filter(has_text="Journal de suivi")).to_have_count(1)
        expect(board.locator("h4").first).to_contain_text("gravité")
        page.screenshot(path=str(ARTIFACTS / "threat_board_after.png"), full_page=True)
        _no_errors(page)

    _browse(lab, "threat_board", body)


def test_response_queue_marks_survive_a_reload(lab):
    from playwright.sync_api import expect

    def body(page, url, token):
        queue = _widget(page, url, token, QUEUE, ".listening-response-queue")
        status = queue.locator(".widget-html-content").filter(has_text="posts to answer")
        expect(status).to_contain_text("posts to answer")
        before = int(status.locator("b").first.inner_text().replace(",", ""))
        page.screenshot(path=str(ARTIFACTS / "response_queue_before.png"), full_page=True)
        pick = queue.locator(".widget-select-multiple select")
        top = pick.locator("option").first.inner_text()
        pick.select_option(index=0)
        _fill(queue, "text", "by", "Sam")
        _fill(queue, "text", "note", "replied with the hours")
        queue.get_by_role("button", name="mark handled").click()
        expect(status).to_contain_text("Marked 1 handled")
        # a reload and a new run: the mark is read back from the store
        queue = _widget(page, url, token, QUEUE, ".listening-response-queue", reload=True)
        status = queue.locator(".widget-html-content").filter(has_text="posts to answer")
        expect(status).to_contain_text(f"{before - 1:,}")
        assert queue.locator(".widget-select-multiple select option").first.inner_text() != top
        queue.locator(".widget-checkbox").filter(has_text="show handled").locator("input").check()
        expect(queue.locator("table")).to_contain_text("handled by Sam")
        expect(queue.locator("table")).to_contain_text("replied with the hours")
        page.screenshot(path=str(ARTIFACTS / "response_queue_after.png"), full_page=True)
        _no_errors(page)

    _browse(lab, "response_queue", body)


def test_rule_workbench_notebook_in_chromium_in_french(lab):
    from playwright.sync_api import expect

    def body(page, url, token):
        bench = _widget(page, url, token, RULES, ".listening-rule-workbench")
        expect(bench.locator(".vega-embed canvas, .vega-embed svg").first).to_be_visible()
        expect(bench).to_contain_text("hits in")
        bench.locator(".listening-language button").filter(has_text="FR").click()
        expect(bench).to_contain_text("résultats sur")
        expect(bench.locator("button").filter(has_text="enregistrer")).to_have_count(1)
        _no_errors(page)
        page.screenshot(path=str(ARTIFACTS / "rule_workbench_fr.png"), full_page=True)

    _browse(lab, "rule_workbench", body)
