"""The notebooks as students and lecturers meet them: short prose, sharp figures, working links.

- Prose: markdown outside folded ``<details>`` blocks stays within a word
  budget, so the argument is not buried under bookkeeping (tolerance
  reasoning and solutions go into the folds).
- Figures: every committed PNG is at least 1,000 pixels wide (rendered for
  high-density screens and projectors) and at most 2.5 times as wide as tall
  (no strips that shrink to nothing at 1024x768 with 150 % zoom).
- Opening a notebook in JupyterLab must not change it: the kernelspec is the
  one ipykernel installs, so the front end has nothing to rewrite.
- Every "Next" points somewhere with a markdown link to a file that exists.
"""

from __future__ import annotations

import ast
import base64
import json
import re
import struct
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
NUMBERED = [nb for nb in NOTEBOOKS if re.match(r"\d\d_", nb.name)]

#: Words of markdown outside <details> blocks, per numbered notebook (default below).
WORD_BUDGET = {"07_training_deep_nets.ipynb": 1800, "11_kaiming_in_pytorch.ipynb": 1500}
DEFAULT_WORD_BUDGET = 1200
MIN_PNG_WIDTH = 1000
MAX_PNG_ASPECT = 2.5
#: What ``python -m ipykernel install`` registers; JupyterLab rewrites anything else.
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}

_DETAILS = re.compile(r"<details>.*?</details>", re.S)


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _markdown(nb: dict) -> list[str]:
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown"]


def visible_words(path: Path) -> int:
    """Words (whitespace-separated tokens) of markdown cells outside ``<details>`` blocks."""
    return sum(len(_DETAILS.sub("", text).split()) for text in _markdown(_load(path)))


def png_sizes(path: Path) -> list[tuple[int, int]]:
    """(width, height) in pixels of every PNG output of the notebook."""
    sizes = []
    for cell in _load(path)["cells"]:
        for output in cell.get("outputs", []):
            data = output.get("data", {}).get("image/png")
            if data is None:
                continue
            raw = base64.b64decode("".join(data) if isinstance(data, list) else data)
            assert raw[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name}: an image/png output is no PNG"
            sizes.append(struct.unpack(">II", raw[16:24]))
    return sizes


def test_word_counter_ignores_folded_text(tmp_path: Path) -> None:
    cell = {
        "cell_type": "markdown",
        "metadata": {},
        "source": "one two <details>x y z</details> three",
    }
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps({"cells": [cell]}))
    assert visible_words(path) == 3


@pytest.mark.parametrize("path", NUMBERED, ids=lambda p: p.stem)
def test_prose_outside_folds_within_budget(path: Path) -> None:
    budget = WORD_BUDGET.get(path.name, DEFAULT_WORD_BUDGET)
    words = visible_words(path)
    assert words <= budget, f"{path.name}: {words} words outside <details>, budget {budget}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_figures_are_sharp_and_not_strips(path: Path) -> None:
    for width, height in png_sizes(path):
        assert width >= MIN_PNG_WIDTH, f"{path.name}: a PNG is {width} px wide"
        assert width / height <= MAX_PNG_ASPECT, f"{path.name}: a PNG is {width} x {height}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_opening_in_jupyterlab_changes_nothing(path: Path) -> None:
    nb = _load(path)
    assert nb["metadata"].get("kernelspec") == KERNELSPEC
    assert (nb["nbformat"], nb["nbformat_minor"]) >= (4, 5)
    assert all("id" in cell for cell in nb["cells"]), f"{path.name}: a cell has no id"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_next_is_a_working_link(path: Path) -> None:
    nb = _load(path)
    for cell in nb["cells"]:
        text = "".join(cell["source"])
        for line in text.splitlines():
            if not re.search(r"\bNext\b", line):
                continue
            assert cell["cell_type"] == "markdown", f"{path.name}: 'Next' in a code cell"
            targets = re.findall(r"\]\(([^)#]+\.ipynb)", line)
            assert targets, f"{path.name}: 'Next' without a link: {line!r}"
            for target in targets:
                assert (NOTEBOOK_DIR / target).exists(), f"{path.name}: broken link {target}"


#: A visible code cell made only of checks may hold at most this many lines:
#: a claim's guard sits as a one-line assert under the computation it guards,
#: or in tests/, not in a block that reads like a test file.
MAX_BARE_CHECK_LINES = 3


def _is_check(statement: ast.stmt) -> bool:
    """An ``assert``, a call of ``...agrees_with(...)``, or a loop or branch made only of checks."""
    if isinstance(statement, ast.Assert):
        return True
    if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
        func = statement.value.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        return name == "agrees_with"
    if isinstance(statement, (ast.For, ast.If)):
        return all(_is_check(inner) for inner in statement.body + statement.orelse)
    return False


def bare_check_lines(source: str) -> int:
    """The longest run of consecutive top-level check statements in a cell, in source lines.

    Comments and blank lines inside a run count for nothing and do not break it.
    """
    lines = source.splitlines()
    code = "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in lines)
    try:
        body = ast.parse(code).body
    except SyntaxError:
        return 0
    text = code.splitlines()
    longest = run = 0
    for statement in body:
        if not _is_check(statement):
            run = 0
            continue
        span = text[statement.lineno - 1 : statement.end_lineno]
        run += sum(1 for line in span if line.strip() and not line.lstrip().startswith("#"))
        longest = max(longest, run)
    return longest


def test_bare_check_counter() -> None:
    assert bare_check_lines("assert a\nassert b  # why\n\n# note\nassert (\n    c\n)") == 5
    assert bare_check_lines("x = f()\nassert x\nassert y\nassert z\nassert w") == 4
    assert bare_check_lines("assert x\ny = 1\nassert y\nassert z") == 2
    assert bare_check_lines("r.agrees_with(1.0)\nfor v in vs:\n    assert v") == 3
    assert bare_check_lines("for v in vs:\n    w = v\n    assert w") == 0
    assert bare_check_lines("print(1)") == 0


def _hidden(cell: dict) -> bool:
    return bool(cell.get("metadata", {}).get("jupyter", {}).get("source_hidden"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_visible_block_of_bare_checks(path: Path) -> None:
    for index, cell in enumerate(_load(path)["cells"]):
        if cell["cell_type"] != "code" or _hidden(cell):
            continue
        lines = bare_check_lines("".join(cell["source"]))
        assert lines <= MAX_BARE_CHECK_LINES, (
            f"{path.name} cell {index}: a run of {lines} lines of checks; put each assert under "
            f"the computation it guards, or move the guard to tests/"
        )
