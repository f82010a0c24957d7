"""The graded homework: otter-grader builds it, grades it offline, and hides what it should.

``otter assign`` builds each assignment into a temporary ``dist`` (as
``make homework`` does); ``otter run`` (no Docker) grades the solution, which
must score every autograded point, and prepared wrong submissions, each of
which must lose exactly the points of the questions it gets wrong and keep
the others. A submission is the student release with the solution's answers
filled in, then the slip below written over one or two of them.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "homework"))
import build  # noqa: E402  (homework/build.py, what `make homework` runs)

pytestmark = pytest.mark.slow
ASSIGNMENTS = build.assignments()
OTTER = Path(sys.executable).parent / "otter"
if shutil.which(str(OTTER)) is None:  # pragma: no cover - the homework extra is missing
    pytest.skip(
        "the homework needs otter-grader: pip install -e '.[homework]'", allow_module_level=True
    )

#: assignment -> {submission: ([(solution text, slip), ...], questions it gets wrong)}
WRONG = {
    "hw1_kaiming_forward": {
        "std_used_as_variance": (
            [
                (
                    "standard_normal(shape) * np.sqrt(2.0 / fan_in)",
                    "standard_normal(shape) * (2.0 / fan_in)",
                )
            ],
            {"q1"},
        ),
        "var_for_second_moment_and_no_factor_2": (
            [
                ("d * var_w * float(np.mean(x**2))", "d * var_w * float(np.var(x))"),
                ("return 2.0 / x.size * float(x @ x)", "return 1.0 / x.size * float(x @ x)"),
            ],
            {"q2", "q4"},
        ),
        "slope_not_squared": (
            [
                (
                    "return float(np.mean(phi**2))",
                    "return float(np.mean(np.where(z > 0, z**2, a * z**2)))",
                )
            ],
            {"q3"},
        ),
        # passes the public test (whose inputs have d = 24), fails the hidden ones
        "width_hard_coded": (
            [("d * var_w * float(np.mean(x**2))", "24 * var_w * float(np.mean(x**2))")],
            {"q2"},
        ),
    },
    "hw2_backward_and_gains": {
        "weight_transposed": (
            [("return (dx * (z > 0)) @ W", "return (dx * (z > 0)) @ W.T")],
            {"q1"},
        ),
        "fan_in_rule": (
            [
                (
                    "fan_out = shape[0] * int(np.prod(shape[2:]))",
                    "fan_out = shape[1] * int(np.prod(shape[2:]))",
                )
            ],
            {"q2"},
        ),
        "gain_squared": (
            [
                ("return float(np.sqrt(2.0 / (1.0 + a * a)))", "return 2.0 / (1.0 + a * a)"),
                ("return float(np.sqrt(q / second_moment))", "return q / second_moment"),
            ],
            {"q3", "q4"},
        ),
        # right for dense layers and 1-D/2-D kernels (the public shapes), wrong for 3-D kernels
        "kernel_of_at_most_two_dims": (
            [("shape[0] * int(np.prod(shape[2:]))", "shape[0] * int(np.prod(shape[2:4]))")],
            {"q2"},
        ),
    },
}


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    for name in ASSIGNMENTS:
        build.build(name, dist=out, run_tests=False)  # the solution is graded below
    return out


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text())["cells"]


def _source(cell: dict) -> str:
    return "".join(cell["source"])


def submission(dist: Path, name: str, slips=(), directory: Path | None = None) -> Path:
    """The student release of ``name`` answered with the solutions, then ``slips`` applied."""
    solved = {
        _source(c).split("\n")[0]: _source(c)
        for c in _cells(dist / name / "autograder" / f"{name}.ipynb")
        if c["cell_type"] == "code" and _source(c).startswith("def ")
    }
    nb = json.loads((dist / name / "student" / f"{name}.ipynb").read_text())
    for cell in nb["cells"]:
        first = _source(cell).split("\n")[0]
        if cell["cell_type"] == "code" and first in solved:
            cell["source"] = solved[first]
    text = json.dumps(nb)
    for right, wrong in slips:
        encoded = json.dumps(right)[1:-1]
        assert text.count(encoded) == 1, f"the slip's target {right!r} is not in the solution once"
        text = text.replace(encoded, json.dumps(wrong)[1:-1])
    path = (directory or dist) / f"{name}.ipynb"
    path.write_text(text)
    return path


def grade(dist: Path, name: str, notebook: Path) -> dict[str, tuple[float, float]]:
    """``otter run`` with the assignment's autograder zip: ``{question: (score, max_score)}``."""
    (zip_path,) = (dist / name / "autograder").glob("*-autograder_*.zip")
    out = notebook.parent / "results"
    out.mkdir()
    subprocess.run(
        [str(OTTER), "run", "-a", str(zip_path), "-o", str(out), str(notebook)],
        check=True,
        capture_output=True,
    )
    results = json.loads((out / "results.json").read_text())
    return {t["name"]: (t["score"], t["max_score"]) for t in results["tests"] if "score" in t}


def _autograded_points(name: str) -> dict[str, float]:
    """``{question: points}`` of the autograded questions, from the master notebook."""
    found = {}
    for cell in _cells(ROOT / "homework" / name / f"{name}.ipynb"):
        text = _source(cell)
        if cell["cell_type"] == "raw" and text.startswith("# BEGIN QUESTION"):
            config = dict(re.findall(r"^(\w+): (.+)$", text, re.MULTILINE))
            if config.get("manual") != "true":
                found[config["name"]] = float(config["points"])
    return found


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_the_solution_scores_full_marks(dist, name, tmp_path):
    scores = grade(dist, name, submission(dist, name, directory=tmp_path))
    points = _autograded_points(name)
    assert scores == {q: (p, p) for q, p in points.items()}


@pytest.mark.parametrize(
    ("name", "wrong"), [(n, w) for n, subs in WRONG.items() for w in subs], ids=lambda x: x
)
def test_a_wrong_submission_loses_exactly_its_questions(dist, name, wrong, tmp_path):
    slips, wrong_questions = WRONG[name][wrong]
    scores = grade(dist, name, submission(dist, name, slips, directory=tmp_path))
    points = _autograded_points(name)
    expected = {q: (0.0 if q in wrong_questions else p, p) for q, p in points.items()}
    assert scores == expected


def test_every_assignment_has_three_wrong_submissions_and_two_written_questions():
    assert set(WRONG) == set(ASSIGNMENTS)
    for name in ASSIGNMENTS:
        assert len(WRONG[name]) >= 3
        masters = [_source(c) for c in _cells(ROOT / "homework" / name / f"{name}.ipynb")]
        assert sum("manual: true" in s and s.startswith("# BEGIN QUESTION") for s in masters) >= 2


def _solution_lines(name: str) -> list[str]:
    """Every substantial line inside the master's solution blocks (code and written answers)."""
    lines, inside = [], False
    for cell in _cells(ROOT / "homework" / name / f"{name}.ipynb"):
        text = _source(cell)
        if cell["cell_type"] == "raw":
            inside = {"# BEGIN SOLUTION": True, "# END SOLUTION": False}.get(text.strip(), inside)
            continue
        if inside:
            body = re.sub(r"(?s)^.*?# BEGIN SOLUTION\n(.*?)\n\s*# END SOLUTION.*$", r"\1", text)
            lines += [line.strip() for line in body.splitlines() if len(line.strip()) > 12]
    return lines


def _hidden_test_names(name: str) -> list[str]:
    found = []
    for cell in _cells(ROOT / "homework" / name / f"{name}.ipynb"):
        text = _source(cell)
        if cell["cell_type"] == "code" and text.startswith("# HIDDEN"):
            found += re.findall(r"^def (\w+)", text, re.MULTILINE)
    return found


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_the_student_release_holds_no_solution_and_no_hidden_test(dist, name):
    student = dist / name / "student"
    text = "\n".join(p.read_text() for p in student.rglob("*") if p.is_file())
    solution, hidden = _solution_lines(name), _hidden_test_names(name)
    assert len(solution) >= 8 and len(hidden) >= 4, "the master's solutions and hidden tests"
    assert [line for line in solution if json.dumps(line)[1:-1] in text] == []
    assert [test for test in hidden if test in text] == []
    assert "Rubric" not in text
    # the autograder does hold them (so the two checks above look at the right strings)
    autograder = (dist / name / "autograder" / f"{name}.ipynb").read_text()
    assert all(json.dumps(line)[1:-1] in autograder for line in solution[:3])
