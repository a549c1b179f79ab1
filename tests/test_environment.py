"""environment.yml mirrors pyproject.toml: same packages, same lower bounds."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
# conda-forge names that differ from PyPI's
CONDA_TO_PYPI = {"python-duckdb": "duckdb"}


def _parse(spec: str) -> tuple[str, str]:
    match = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)(\[[^\]]*\])?\s*(>=\s*[\w.]+)?\s*", spec)
    assert match, f"cannot read requirement {spec!r}"
    name = match.group(1).lower().replace("_", "-")
    return CONDA_TO_PYPI.get(name, name), (match.group(3) or "").replace(" ", "")


def _pyproject() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    specs = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        specs += [s for s in extra if not s.startswith("listening[")]  # dev pulls in the others
    return dict(_parse(s) for s in specs)


def _conda() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    out = {}
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            out.update(_parse(s) for s in dep["pip"] if not s.startswith("-e"))
        elif not dep.startswith(("python>", "python=", "pip")) and dep not in ("python", "pip"):
            name, bound = _parse(dep)
            out[name] = bound
    return out


def test_same_packages_in_both():
    pyproject, conda = _pyproject(), _conda()
    assert sorted(set(pyproject) - set(conda)) == [], "in pyproject.toml but not environment.yml"
    assert sorted(set(conda) - set(pyproject)) == [], "in environment.yml but not pyproject.toml"


def test_same_lower_bounds():
    pyproject, conda = _pyproject(), _conda()
    differ = {n: (pyproject[n], conda[n]) for n in pyproject if pyproject[n] != conda.get(n)}
    assert differ == {}


def test_every_dependency_has_a_lower_bound():
    assert [n for n, bound in _pyproject().items() if not bound] == []


def test_extras_by_use():
    """The core install carries no notebook, Dask or test tool; dev brings every extra."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    core = {_parse(s)[0] for s in project["dependencies"]}
    extras = project["optional-dependencies"]
    assert set(extras) >= {"notebook", "dask", "pdf", "dev"}
    for heavy in ("jupyterlab", "ipykernel", "ipywidgets", "anywidget", "dask", "distributed",
                  "nbformat", "nbclient", "psutil", "pytest"):
        assert heavy not in core, heavy
    assert "listening[notebook,dask,pdf]" in extras["dev"]


def test_import_listening_stays_light():
    """``import listening`` loads no heavy library (the CLI's --help must be instant)."""
    import subprocess
    import sys

    code = ("import sys, listening; heavy = [m for m in ('pandas', 'sklearn', 'duckdb', "
            "'altair', 'nltk', 'dask', 'ipywidgets') if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"
