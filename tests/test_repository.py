"""The repository itself: dependency lists in step, lint clean, notebooks committed executed."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
# conda-forge names that differ from the PyPI ones
CONDA_TO_PYPI = {"matplotlib-base": "matplotlib", "pytorch": "torch"}
NOT_ON_PYPI_LIST = {"python", "pip"}


def _split(requirement: str) -> tuple[str, str]:
    spec = requirement.split(";")[0].strip()
    name = re.split(r"[<>=!~ ]", spec, maxsplit=1)[0]
    return name.lower(), spec[len(name) :].replace(" ", "")


def pyproject_requirements() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        reqs += [r for r in extra if "python_version" not in r]
    return dict(_split(r) for r in reqs)


def conda_requirements() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert env["channels"] == ["conda-forge"], "only conda-forge, no defaults"
    found = {}
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            assert dep == {"pip": ["-e ."]}, "the pip section installs only the package itself"
            continue
        name, version = _split(dep)
        if name not in NOT_ON_PYPI_LIST:
            found[CONDA_TO_PYPI.get(name, name)] = version
    return found


def test_environment_yml_lists_what_pyproject_lists():
    assert conda_requirements() == pyproject_requirements()


def test_every_environment_line_says_what_it_is_for():
    for line in (ROOT / "environment.yml").read_text().splitlines():
        if line.strip().startswith("- "):
            assert "#" in line, f"environment.yml line has no comment: {line!r}"


def test_readme_opens_with_the_two_commands():
    lines = (ROOT / "README.md").read_text().splitlines()
    commands = [
        line.split("#")[0].strip() for line in lines[:30] if line.strip().startswith("make ")
    ]
    assert commands[:2] == ["make lab", "make test"]
    assert "make test" in (ROOT / ".ci" / "run").read_text()


@pytest.mark.parametrize("args", [["check", "."], ["format", "--check", "."]])
def test_ruff(args):
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    assert ruff, "ruff comes with the test extra: pip install -e '.[test]'"
    result = subprocess.run([ruff, *args], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_is_committed_executed_and_clean(path):
    nb = json.loads(path.read_text())
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    counts = [c["execution_count"] for c in code if "".join(c["source"]).strip()]
    assert all(isinstance(n, int) for n in counts), "every code cell has been run"
    assert counts == sorted(counts), "cells were run top to bottom"
    for cell in code:
        for out in cell["outputs"]:
            if out["output_type"] == "error":
                assert "raises-exception" in cell["metadata"].get("tags", []), "".join(
                    cell["source"]
                )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_has_the_house_skeleton(path):
    nb = json.loads(path.read_text())
    text = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    assert text.lstrip().startswith("# "), "opens with a title"
    for heading in ("learn", "need", "summary"):
        assert re.search(rf"^(#+ |\*\*).*{heading}", text, re.IGNORECASE | re.MULTILINE), heading
    if path.name != "00_start_here.ipynb":
        assert re.search(r"^(#+ |\*\*).*exercise", text, re.IGNORECASE | re.MULTILINE)


def test_start_here_links_every_notebook():
    start = ROOT / "notebooks" / "00_start_here.ipynb"
    text = start.read_text()
    for path in NOTEBOOKS:
        if path != start:
            assert path.name in text, f"00_start_here does not mention {path.name}"
