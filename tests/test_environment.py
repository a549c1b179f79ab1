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
    specs = project["dependencies"] + project["optional-dependencies"]["dev"]
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
