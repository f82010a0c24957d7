"""Write the live copy of the lecture deck that ``make slides`` presents: predict first.

    python slides/build_live.py [--output-dir build/slides/live]

The committed ``notebooks/lecture_50_minutes.ipynb`` is executed (strict nbval
checks it, and it is the backup: ``make slides-html``). Presented as it is,
every question would stand next to its answer. The live copy is the same deck
with

- no outputs: a cell shows its result only once the lecturer runs it;
- the live-coding cells (``metadata.lecture.live_skeleton``) holding their
  skeleton, one line to type;
- no ``skip`` cells (the hidden checks of the committed deck's numbers);
- no saved widget state, so only the live explorer shows.

It is written to ``<output-dir>/notebooks/``. The pictures the deck shows are
package data (``kaiming_lab.lessons.lecture.saved_figure`` reads them), so
nothing beside it needs copying.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DECK = ROOT / "notebooks" / "lecture_50_minutes.ipynb"
OUTPUT_DIR = ROOT / "build" / "slides" / "live"


def slide_type(cell: dict) -> str | None:
    return cell.get("metadata", {}).get("slideshow", {}).get("slide_type")


def skeleton(cell: dict) -> str | None:
    """The live-coding skeleton of a cell, or None."""
    return cell.get("metadata", {}).get("lecture", {}).get("live_skeleton")


def live_notebook(nb: dict) -> dict:
    """The deck as presented live: no outputs, skeletons in the live-coding cells, no skip cells."""
    nb = copy.deepcopy(nb)
    nb["metadata"].pop("widgets", None)
    cells = []
    for cell in nb["cells"]:
        if slide_type(cell) == "skip":
            continue
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
            cell["metadata"].pop("execution", None)
            if skeleton(cell) is not None:
                cell["source"] = skeleton(cell)
        cells.append(cell)
    nb["cells"] = cells
    return nb


def build(output_dir: Path = OUTPUT_DIR, deck: Path = DECK) -> Path:
    """Write the live copy; returns its path (``<output_dir>/notebooks/<deck name>``)."""
    nb = json.loads(deck.read_text(encoding="utf-8"))
    live = live_notebook(nb)
    notebooks = output_dir / "notebooks"
    notebooks.mkdir(parents=True, exist_ok=True)
    path = notebooks / deck.name
    path.write_text(json.dumps(live, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output-dir", type=Path, default=OUTPUT_DIR)
    args = parser.parse_args(argv)
    path = build(args.output_dir)
    print(f"wrote {path}")
    return path


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
