"""Build every graded assignment with otter-grader: ``make homework``.

For each master notebook ``homework/<name>/<name>.ipynb`` this runs
``otter assign`` and writes otter's standard layout under ``homework/dist/<name>/``:

- ``student/<name>.ipynb``: the release (no solutions, public tests only);
- ``autograder/``: the solution notebook, ``autograder.zip`` (upload it to
  Gradescope, or pass it to ``otter run``) and the tests, hidden ones included.

``otter assign`` also runs every test against the solutions and fails if one
does not pass. The master is staged in a temporary directory with a copy of
``kaiming_lab`` (packed into the autograder zip, so a grading machine needs no
clone) and a ``requirements.txt`` pinned from ``constraints.txt`` (what the
Gradescope image installs). Nothing reaches the network.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HOMEWORK = Path(__file__).resolve().parent
ROOT = HOMEWORK.parent
DIST = HOMEWORK / "dist"
#: what the grading kernel imports (kaiming_lab's runtime dependencies without the widgets)
GRADING_PACKAGES = ("numpy", "scipy", "matplotlib", "scikit-learn", "threadpoolctl")


def assignments() -> list[str]:
    """Names of the assignments: folders holding a master notebook of the same name."""
    return sorted(p.parent.name for p in HOMEWORK.glob("*/*.ipynb") if p.stem == p.parent.name)


def requirements() -> str:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins[name.lower()] = version
    return "".join(f"{name}=={pins[name]}\n" for name in GRADING_PACKAGES)


def build(name: str, dist: Path = DIST, *, run_tests: bool = True) -> Path:
    """Run ``otter assign`` on assignment ``name``; returns ``dist/<name>``.

    ``run_tests=False`` skips otter's own run of the tests on the solution
    (the test suite grades the solution with ``otter run`` instead).
    """
    if name not in assignments():
        raise ValueError(f"name={name!r} is not an assignment; expected one of {assignments()}")
    target = dist / name
    with tempfile.TemporaryDirectory(prefix=f"{name}-") as tmp:
        stage = Path(tmp)
        shutil.copy2(HOMEWORK / name / f"{name}.ipynb", stage)
        shutil.copytree(
            ROOT / "kaiming_lab",
            stage / "kaiming_lab",
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
        )
        (stage / "requirements.txt").write_text(requirements())
        out = stage / "dist"
        otter = Path(sys.executable).parent / "otter"
        subprocess.run(
            [
                str(otter),
                "assign",
                "--no-pdfs",
                *([] if run_tests else ["--no-run-tests"]),
                f"{name}.ipynb",
                str(out),
            ],
            cwd=stage,
            check=True,
        )
        # the student release needs no copy of the package: students have it installed
        shutil.rmtree(out / "student" / "kaiming_lab", ignore_errors=True)
        if target.exists():
            shutil.rmtree(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(out, target)
    return target


def main() -> int:
    parser = argparse.ArgumentParser(description="otter assign for every assignment")
    parser.add_argument("names", nargs="*", help="assignments to build (default: all)")
    args = parser.parse_args()
    for name in args.names or assignments():
        print(f"built {build(name).relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
