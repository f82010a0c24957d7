"""Build the static copy of the lecture deck: one reveal.js HTML file with everything beside it.

    python slides/build_html.py [--output-dir build/slides]      (or: make slides-html)

It reads the committed, executed ``notebooks/lecture_50_minutes.ipynb`` (the
backup of the live deck: every output is there), replaces the explorer's live
widget with a picture of it and a line saying how to run it live, and converts
it with nbconvert's reveal.js exporter through ``slides/reveal_offline`` (a
template that loads nothing from a CDN). reveal.js (with its speaker-notes
plugin and its theme's fonts) and MathJax 3 (with its fonts) are copied from
the npm packages in ``slides/node_modules`` (``npm ci`` in ``slides/``, which
``make slides-html`` runs once). The speaker notes are reveal's: press ``S``.

Nothing in the result refers to another machine: the build fails if an
``src`` or ``href`` in the HTML is not a relative path.
"""

from __future__ import annotations

import argparse
import base64
import copy
import re
import shutil
import sys
from pathlib import Path

import nbformat
from nbconvert import SlidesExporter
from nbconvert.preprocessors import TagRemovePreprocessor

SLIDES = Path(__file__).resolve().parent
ROOT = SLIDES.parent
DECK = ROOT / "notebooks" / "lecture_50_minutes.ipynb"
EXPLORER_PICTURE = ROOT / "docs" / "explorer.png"
NODE_MODULES = SLIDES / "node_modules"
OUTPUT_DIR = ROOT / "build" / "slides"
HTML_NAME = "lecture_50_minutes.html"
#: Slide size in CSS pixels (4:3, a projector's shape); reveal.js scales it to the window.
SLIDE_WIDTH, SLIDE_HEIGHT = 960, 720

#: What is copied beside the HTML: (source under node_modules, target under the output dir).
ASSETS = [
    ("reveal.js/dist/reveal.css", "reveal.js/dist/reveal.css"),
    ("reveal.js/dist/reveal.js", "reveal.js/dist/reveal.js"),
    ("reveal.js/dist/theme/white.css", "reveal.js/dist/theme/white.css"),
    ("reveal.js/dist/theme/fonts/source-sans-pro", "reveal.js/dist/theme/fonts/source-sans-pro"),
    ("reveal.js/plugin/notes/notes.js", "reveal.js/plugin/notes/notes.js"),
    ("reveal.js/LICENSE", "reveal.js/LICENSE"),
    ("mathjax/es5/tex-chtml-full.js", "mathjax/tex-chtml-full.js"),
    ("mathjax/es5/output/chtml/fonts/woff-v2", "mathjax/fonts/woff-v2"),
    ("mathjax/LICENSE", "mathjax/LICENSE"),
]

#: Large type for a projector: the slide is 960x720 CSS pixels, scaled to the window. At
#: 1024x768 with 150 % zoom reveal scales it by about 0.7, so 24 px text and code show
#: at 16.7 CSS px (25 device px); the deck's code lines (under 50 characters) still fit.
DECK_CSS = """
:root {
  --jp-content-font-size1: 24px;
  --jp-code-font-size: 24px;
  --jp-cell-prompt-width: 0px;
}
.reveal .slides section { text-align: left; }
.reveal .slides section :is(h1, h2, h3) { text-transform: none; }
.reveal .slides section h1 { font-size: 48px; }
.reveal .slides section :is(h2, h3) { font-size: 34px; }
.reveal .jp-InputPrompt, .reveal .jp-OutputPrompt { display: none; }
.reveal .jp-RenderedImage img { max-height: 280px; width: auto; }
.reveal .jp-RenderedHTMLCommon code { font-size: 1em; }
.reveal img.explorer-picture { max-height: 440px; width: auto; max-width: 100%; }
"""

EXPLORER_ALT = (
    "The explorer: sliders for the weight variance, depth, width and activation; its "
    "verdict; this network's rms(z) per layer and its gradients against the theory line"
)

LIVE_NOTE = (
    "*A picture of the explorer: it is live only with a kernel. Run it with "
    "`make slides` (this slide, live) or `make explorer` (the explorer alone).*"
)


def _is_explorer(cell: dict) -> bool:
    return cell["cell_type"] == "code" and "explorer(" in "".join(cell["source"])


#: Cells with this tag show their output without their code (a saved picture).
HIDE_INPUT = "static-hide-input"


def static_notebook(nb: nbformat.NotebookNode, picture: Path = EXPLORER_PICTURE):
    """The deck for a page without a kernel: the explorer's widget becomes a picture.

    Saved widget state is dropped (nothing would draw it without a network), the
    explorer cell's output is the picture, and a cell after it says how to run it
    live. A cell that only shows a saved figure shows the figure without its code.
    """
    nb = copy.deepcopy(nb)
    nb.metadata.pop("widgets", None)
    cells = []
    png = base64.b64encode(picture.read_bytes()).decode("ascii")
    for cell in nb.cells:
        cells.append(cell)
        if cell["cell_type"] == "code" and "Image(filename=" in "".join(cell["source"]):
            cell.metadata.setdefault("tags", []).append(HIDE_INPUT)
        if not _is_explorer(cell):
            continue
        picture_html = (
            f'<img class="explorer-picture" alt="{EXPLORER_ALT}" src="data:image/png;base64,{png}">'
        )
        cell.outputs = [
            nbformat.v4.new_output(
                "display_data",
                data={"text/html": picture_html, "text/plain": "the explorer (a picture)"},
            )
        ]
        note = nbformat.v4.new_markdown_cell(LIVE_NOTE)
        note.metadata["slideshow"] = {"slide_type": "-"}
        cells.append(note)
    nb.cells = cells
    return nb


def copy_assets(output_dir: Path, node_modules: Path = NODE_MODULES) -> None:
    """reveal.js and MathJax from the npm packages, beside the HTML."""
    missing = [src for src, _ in ASSETS if not (node_modules / src).exists()]
    if missing:
        raise FileNotFoundError(
            f"reveal.js / MathJax not installed under {node_modules} (missing {missing[0]}): "
            "run `npm ci` in slides/ (make slides-html does)"
        )
    for src, target in ASSETS:
        source, dest = node_modules / src, output_dir / target
        dest.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, dest, dirs_exist_ok=True)
        else:
            shutil.copy2(source, dest)


_LINK = re.compile(r"""\b(?:src|href)\s*=\s*["']([^"']*)["']""")


def remote_references(html: str) -> list[str]:
    """Every ``src``/``href`` that is not a relative path or an in-page anchor."""
    return [
        url
        for url in _LINK.findall(html)
        if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:|^//", url) and not url.startswith("data:")
    ]


def build(output_dir: Path = OUTPUT_DIR, deck: Path = DECK) -> Path:
    """Write ``output_dir/lecture_50_minutes.html`` and its assets; returns the HTML's path."""
    nb = static_notebook(nbformat.read(deck, as_version=4))
    exporter = SlidesExporter(
        template_name="reveal_offline",
        extra_template_basedirs=[str(SLIDES)],
        reveal_url_prefix="reveal.js",
        reveal_theme="white",
        reveal_transition="none",
        reveal_width=str(SLIDE_WIDTH),
        reveal_height=str(SLIDE_HEIGHT),
    )
    exporter.register_preprocessor(
        TagRemovePreprocessor(remove_input_tags={HIDE_INPUT}), enabled=True
    )
    resources = {
        "deck_css": DECK_CSS,
        "metadata": {"name": "Kaiming initialisation: the 50-minute lecture"},
    }
    html, _ = exporter.from_notebook_node(nb, resources=resources)
    remote = remote_references(html)
    if remote:
        raise RuntimeError(f"the deck would load from another machine: {remote[:5]}")
    output_dir.mkdir(parents=True, exist_ok=True)
    copy_assets(output_dir)
    path = output_dir / HTML_NAME
    path.write_text(html, encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output-dir", type=Path, default=OUTPUT_DIR)
    args = parser.parse_args(argv)
    path = build(args.output_dir)
    print(f"wrote {path} (open it in a browser; S opens the speaker view)")
    return path


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
