"""The analyst notebooks: outputs stripped in git, and each runs top to bottom headless.

Every notebook runs in a fresh kernel of this interpreter (the project's .venv, since
the suite runs from it) against a demo store in a temporary folder
(``LISTENING_STORE``), with that folder as working directory so nothing is written
into the repository. The first notebook to run builds the demo store and the
enrichment cache; the others reuse them.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
EXPECTED = ["00_quickstart", "01_explore_trends", "02_emerging_threats", "03_rule_workbench",
            "04_forecast_note", "05_response_queue", "06_sentiment_model"]
# Per cell; generous for a loaded 2-core machine (the first enrichment takes ~15 s).
CELL_TIMEOUT = 300


def test_all_notebooks_are_there():
    assert [p.stem for p in NOTEBOOKS] == EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_outputs_are_stripped(path):
    book = nbformat.read(path, as_version=4)
    nbformat.validate(book)
    for i, cell in enumerate(book.cells):
        if cell.cell_type != "code":
            continue
        assert cell.outputs == [], f"{path.name} cell {i} has outputs: clear them before commit"
        assert cell.execution_count is None, f"{path.name} cell {i} has an execution count"
    assert "widgets" not in book.metadata, f"{path.name} holds saved widget state"
    code = [c for c in book.cells if c.cell_type == "code"]
    assert 1 <= len(code) <= 6, f"{path.name}: notebooks stay a handful of short cells"


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("notebooks")
    (folder / "data").mkdir()
    return folder


def _run(book, workdir: Path, monkeypatch):
    from nbclient import NotebookClient

    monkeypatch.setenv("LISTENING_STORE", str(workdir / "data" / "listening.duckdb"))
    monkeypatch.setenv("PYTHONPATH", str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    # "python3" is ipykernel's own spec, whose "python" jupyter_client replaces with
    # sys.executable: the kernel runs on this interpreter (.venv/bin/python).
    client = NotebookClient(book, kernel_name="python3", timeout=CELL_TIMEOUT,
                            resources={"metadata": {"path": str(workdir)}})
    return client.execute()


def test_kernel_is_this_interpreter(workdir, monkeypatch):
    book = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import sys, listening; print(sys.executable); print(listening.__file__)")])
    out = _run(book, workdir, monkeypatch).cells[0].outputs[0]["text"].split("\n")
    assert Path(out[0]).resolve() == Path(sys.executable).resolve()
    assert Path(out[1]).resolve().is_relative_to(ROOT)


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(path, workdir, monkeypatch):
    book = nbformat.read(path, as_version=4)
    done = _run(book, workdir, monkeypatch)  # raises CellExecutionError on any error
    errors = [o for c in done.cells if c.cell_type == "code" for o in c.outputs
              if o.get("output_type") == "error"]
    assert not errors
    last = [c for c in done.cells if c.cell_type == "code"][-1]
    assert last.outputs, f"{path.name}: the last cell shows nothing"
    # the repository is untouched: the store and outputs live in the temporary folder
    assert (workdir / "data" / "listening.duckdb").exists()
