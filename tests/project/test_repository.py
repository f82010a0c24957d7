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
from _scripts import load_script

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
# conda-forge names that differ from the PyPI ones
CONDA_TO_PYPI = {"matplotlib-base": "matplotlib", "pytorch": "torch"}
NOT_ON_PYPI_LIST = {"python", "pip", "configurable-http-proxy"}
# The student environment (environment.yml, Binder, hub images) is the runtime
# dependencies plus these extras; environment-dev.yml holds every other extra.
STUDENT_EXTRAS = ("server",)
DEVELOPMENT_ONLY = {
    "pytest",
    "nbval",
    "hypothesis",
    "ruff",
    "nbclient",
    "nbformat",
    "pyyaml",
    "playwright",
    "torch",
    "otter-grader",
    "jupyterhub",
}


def _split(requirement: str) -> tuple[str, str]:
    spec = requirement.split(";")[0].strip()
    name = re.split(r"[<>=!~ ]", spec, maxsplit=1)[0]
    return name.lower(), spec[len(name) :].replace(" ", "")


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def pyproject_requirements(extras: tuple[str, ...] | None = None, *, runtime: bool = True):
    """``{name: version spec}`` of the runtime list (``runtime``) and ``extras`` (None: all)."""
    project = _pyproject()
    reqs = list(project["dependencies"]) if runtime else []
    for extra, listed in project["optional-dependencies"].items():
        if extras is None or extra in extras:
            reqs += [r for r in listed if "python_version" not in r]
    return dict(_split(r) for r in reqs)


def conda_requirements(text: str) -> dict[str, str]:
    env = yaml.safe_load(text)
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


def differences(conda: dict[str, str], pypi: dict[str, str]) -> list[str]:
    """What differs between a conda list and a pyproject list, one line per package."""
    found = []
    for name in sorted(set(conda) | set(pypi)):
        if name not in pypi:
            found.append(f"{name}: in the conda file, not in pyproject.toml")
        elif name not in conda:
            found.append(f"{name}: in pyproject.toml, not in the conda file")
        elif conda[name] != pypi[name]:
            found.append(f"{name}: {conda[name]!r} in the conda file, {pypi[name]!r} in pyproject")
    return found


def development_packages(conda: dict[str, str]) -> list[str]:
    return sorted(set(conda) & DEVELOPMENT_ONLY)


STUDENT_ENV = (ROOT / "environment.yml").read_text()
DEV_ENV = (ROOT / "environment-dev.yml").read_text()


def _dev_extras() -> tuple[str, ...]:
    return tuple(e for e in _pyproject()["optional-dependencies"] if e not in STUDENT_EXTRAS)


def test_environment_yml_is_the_runtime_list_plus_the_server():
    student = pyproject_requirements(STUDENT_EXTRAS)
    assert differences(conda_requirements(STUDENT_ENV), student) == []


def test_environment_dev_yml_is_every_other_extra():
    dev = pyproject_requirements(_dev_extras(), runtime=False)
    assert differences(conda_requirements(DEV_ENV), dev) == []


def test_student_environment_names_no_test_browser_or_torch_package():
    assert development_packages(conda_requirements(STUDENT_ENV)) == []
    assert development_packages(pyproject_requirements(STUDENT_EXTRAS)) == []


def test_the_step_checks_catch_a_drift():
    """The checks above fail on a drifted file: a line lost, a pin changed, pytest added."""
    student = pyproject_requirements(STUDENT_EXTRAS)
    lost = re.sub(r"^  - numpy.*\n", "", STUDENT_ENV, flags=re.MULTILINE)
    assert differences(conda_requirements(lost), student) == [
        "numpy: in pyproject.toml, not in the conda file"
    ]
    changed = STUDENT_ENV.replace("scipy>=1.10", "scipy>=1.11")
    assert [d.split(":")[0] for d in differences(conda_requirements(changed), student)] == ["scipy"]
    added = STUDENT_ENV.replace("  - pip  ", "  - pytest>=7.4  # tests\n  - pip  ")
    assert development_packages(conda_requirements(added)) == ["pytest"]


def test_every_environment_line_says_what_it_is_for():
    for text in (STUDENT_ENV, DEV_ENV):
        for line in text.splitlines():
            if line.strip().startswith("- "):
                assert "#" in line, f"environment line has no comment: {line!r}"


def _pins() -> dict[str, str]:
    """constraints.txt as `make pins` and `make test-newest` read it (.ci/compare_pins.py)."""
    return load_script(".ci/compare_pins.py").read_pins(ROOT / "constraints.txt")


def test_constraints_pin_every_listed_package_within_its_range():
    from packaging.specifiers import SpecifierSet

    pins = _pins()
    for name, spec in pyproject_requirements().items():
        assert name in pins, f"{name} is not pinned in constraints.txt (make pins)"
        assert pins[name] in SpecifierSet(spec), f"{name}=={pins[name]} is outside {spec}"


def test_the_pinned_versions_are_the_installed_ones():
    """make test runs on the pins: a package installed at another version means a stale .venv."""
    installed, pins = load_script(".ci/compare_pins.py").installed(), _pins()
    for name in ("numpy", "scipy", "matplotlib", "ipywidgets", "bqplot", "nbval"):
        assert installed[name] == pins[name], (
            f"{name} {installed[name]} installed, pinned {pins[name]}"
        )


def test_the_version_is_written_in_one_place():
    from importlib import metadata

    import kaiming_lab

    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in pyproject["project"]
    assert pyproject["project"]["dynamic"] == ["version"]
    attr = pyproject["tool"]["setuptools"]["dynamic"]["version"]["attr"]
    assert attr == "kaiming_lab.__version__"
    assert metadata.version("kaiming-lab") == kaiming_lab.__version__


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


def test_the_guide_pins_its_links_to_this_release():
    """Binder links name the tag v<version>, nbgitpuller links the branch release-<version>."""
    import kaiming_lab

    guide = (ROOT / "LECTURER.md").read_text()
    version = kaiming_lab.__version__
    binder = re.findall(r"https://mybinder\.org/v2/gh/[^\s)`]+", guide)
    puller = re.findall(r"https://\S+/git-pull\?[^\s)`]+", guide)
    assert binder and all(f"/kaiming-lab/v{version}?" in link for link in binder)
    assert puller and all(f"&branch=release-{version}&" in link for link in puller)
    assert f'tag: "v{version}"' in guide, "the hub snippet's image tag"
    assert "OWNER" not in guide and "https://HUB/" not in guide
