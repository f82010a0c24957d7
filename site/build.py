"""Build the static edition: every executed notebook as an HTML page that works offline.

``make site`` runs this. Each notebook under ``notebooks/`` becomes one page
(nbconvert's HTML exporter, JupyterLab's look) with a page list on the left,
a search box on the front page, math by MathJax and widget outputs in their
saved state. The explorer's outputs are replaced by the kernel-free explorer
(``site/static_explorer.js``), whose variance and depth controls redraw in the
page. Everything a page loads (require.js, the widget manager, MathJax) is
copied from installed packages into ``_static/``: no page asks the network
for anything. Output: ``site/_build/html`` (git-ignored).
"""

from __future__ import annotations

import copy
import dataclasses
import html
import itertools
import json
import math
import re
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import nbformat
import numpy as np
from nbconvert import HTMLExporter
from traitlets.config import Config

from kaiming_lab.explorer.a11y import CONTROL_NAMES
from kaiming_lab.explorer.figure import NETWORK_COLOR, THEORY_TEXT_COLOR
from kaiming_lab.explorer.simulation import ExplorerModel
from kaiming_lab.explorer.state import (
    ACTIVATION_CHOICES,
    RANGES,
    WIDTH_CHOICES,
    ExplorerState,
)

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "site"
NOTEBOOKS = ROOT / "notebooks"
OUT = SITE / "_build" / "html"
NODE = SITE / "node_modules"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
#: Where the README says how to run the notebooks live (linked from every kernel note).
RUN_LIVE = "index.html#run-live"
ACTIVATION_NAMES = {"relu": "ReLU", "leaky_relu": "leaky ReLU", "tanh": "tanh", "linear": "linear"}

#: (source in node_modules, target under _static): the page's scripts, from npm packages.
ASSETS = [
    ("requirejs/require.js", "require.js"),
    ("@jupyter-widgets/html-manager/dist", "html-manager"),
    ("mathjax/es5", "mathjax"),
]


def pages() -> list[Path]:
    """The notebooks in reading order: the numbered ones, then the others by name."""
    notebooks = sorted(NOTEBOOKS.glob("*.ipynb"))
    numbered = [p for p in notebooks if re.match(r"\d\d_", p.name)]
    return numbered + [p for p in notebooks if p not in numbered]


#: Pages whose first heading is not a title (the deck opens on its first slide's question).
TITLES = {"lecture_50_minutes": "Lecture deck: Kaiming initialisation in 50 minutes"}


def title_of(nb, stem: str = "") -> str:
    """The page's title: from ``TITLES``, else the notebook's first level-1 heading."""
    if stem in TITLES:
        return TITLES[stem]
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            match = re.search(r"^#\s+(.+)$", cell.source, re.M)
            if match:
                # the words before any math: a page list shows plain text
                words = match.group(1).split("$")[0]
                return re.sub(r"[*`]", "", words).strip().rstrip(":,;· ").strip()
    return stem.replace("_", " ") or "untitled"


def _children(state: dict, model_id: str) -> set[str]:
    """``model_id`` and every model its state refers to (``IPY_MODEL_<id>``), recursively."""
    seen, todo = set(), [model_id]
    while todo:
        mid = todo.pop()
        if mid in seen or mid not in state:
            continue
        seen.add(mid)
        todo += re.findall(r"IPY_MODEL_([0-9a-f]+)", json.dumps(state[mid]["state"]))
    return seen


def _explorer_state(state: dict, ids: set[str]) -> ExplorerState:
    """The :class:`ExplorerState` the saved controls show."""
    by_class = {}
    for mid in ids:
        for cls in state[mid]["state"].get("_dom_classes", []):
            by_class[cls] = state[mid]["state"]
    default = ExplorerState()

    def get(name: str, key: str = "value"):
        # the compact layout leaves seed, slope and bias off the page, at their defaults
        found = by_class.get(f"kaiming-{name}")
        return getattr(default, name.replace("-", "_")) if found is None else found[key]

    st = ExplorerState(
        depth=get("depth"),
        multiplier=get("multiplier"),
        width=WIDTH_CHOICES[get("width", "index")],
        activation=ACTIVATION_CHOICES[get("activation", "index")],
        slope=get("slope"),
        bias_variance=get("bias-variance"),
        seed=get("seed"),
    )
    return st


# --- the explorer's numbers for the page -------------------------------------------
# For a bias-free ReLU, leaky ReLU or linear network, scaling every weight by sqrt(m)
# scales z^(h) by m^((h+1)/2) and dL/dx^(h) of a depth-layer view by m^((depth-h)/2).
# So static_data stores one run at m = 1 (mean(z^2) up to depth 100, the gradients for
# every depth); static_explorer.js rescales it, runs the variance recursion and words
# the verdict as kaiming_lab.explorer.verdict does (tests/browser/test_site.py compares).
# Any other setting stores its own view; moving it needs a live kernel.


def _floats(values: np.ndarray) -> list[float | None]:
    """JSON-ready floats; ``nan`` and ``inf`` become ``None`` (JSON has neither)."""
    return [float(v) if math.isfinite(v) else None for v in np.asarray(values, dtype=float)]


def static_data(state: ExplorerState, *, model: ExplorerModel | None = None) -> dict:
    """Everything the page needs to show ``state`` and, if it can, to move variance and depth.

    Keys: ``state`` (the fields of ``state``), ``rescalable``; if rescalable,
    ``mean_sq_z`` (``mean(z^(h)^2)`` at ``m = 1``, ``h = 0 .. 99``; ``None``
    after an overflow), ``grad`` (``grad[d - 1]`` is the mean square of
    ``dL/dx^(h)``, ``h = 0 .. d``, of the ``d``-layer view at ``m = 1``),
    ``input_second_moment``, ``ratio`` (``E[phi(z)^2] / q``, which for these
    positively homogeneous activations is also ``E[phi'(z)^2]``: ``(1 + a^2) / 2``),
    ``overflow_layer``, ``underflow_layer``;
    otherwise ``view`` (the numbers and verdict of ``state`` alone).
    """
    model = ExplorerModel() if model is None else model
    out: dict = {"state": dataclasses.asdict(state), "rescalable": state.rescalable}
    if not out["rescalable"]:
        view = model.compute(state)
        out["view"] = {
            "rms_z": _floats(view.rms_z),
            "theory_std": _floats(view.theory_std),
            "mean_sq_grad": _floats(view.mean_sq_grad),
            "grad_theory": _floats(view.grad_theory),
            "status": view.status,
            "headline": view.assessment.headline,
            "detail": view.assessment.detail,
        }
        return out
    depths = range(RANGES["depth"][0], RANGES["depth"][1] + 1)
    views = [model.compute(dataclasses.replace(state, depth=d, multiplier=1.0)) for d in depths]
    deepest = views[-1]
    out.update(
        mean_sq_z=_floats(deepest.rms_z**2),
        grad=[_floats(v.mean_sq_grad) for v in views],
        input_second_moment=deepest.input_second_moment,
        ratio=float(state.get_activation().second_moment_ratio),
        overflow_layer=deepest.overflow_layer,
        underflow_layer=deepest.underflow_layer,
    )
    return out


def explorer_html(st: ExplorerState, index: int) -> str:
    """The kernel-free explorer for ``st``: controls, live verdict, two SVG panels."""
    data = static_data(st)
    payload = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
    note = (
        "Variance and depth move here with no kernel (this network's line is exact, "
        "rescaled from one stored run). "
        if data["rescalable"]
        else "This setting (tanh or a bias) is not a rescaling of one run: it shows its "
        "saved numbers, and moving it needs a live kernel. "
    )
    note += (
        f"Width {st.width}, {ACTIVATION_NAMES[st.activation]}, seed {st.seed}: preset, "
        f"activation, width, seed, slope, bias and the histograms need a live kernel "
        f"(<a href='{RUN_LIVE}'>how to run the explorer live</a>)."
    )
    mid = f"kl-mult-{index}"
    did = f"kl-depth-{index}"
    controls = ""
    if data["rescalable"]:
        controls = (
            f"<div class='kl-controls'><span class='kl-control'>"
            f"<label for='{mid}'>Var(W) in units of 2/width</label>"
            f"<input type='range' id='{mid}' class='kl-multiplier' min='-1' max='1' step='0.02' "
            f"value='{_log10(st.multiplier)}' data-exact='{st.multiplier!r}' "
            f"aria-label='{CONTROL_NAMES['multiplier']}'>"
            f"<output class='kl-readout' for='{mid}'></output></span>"
            f"<span class='kl-control'><label for='{did}'>depth</label>"
            f"<input type='range' id='{did}' class='kl-depth' min='1' max='100' step='1' "
            f"value='{st.depth}' aria-label='{CONTROL_NAMES['depth']}'>"
            f"<output class='kl-depth-readout' for='{did}'></output></span></div>"
        )
    return (
        f"<section class='kl-explorer' aria-label='Kaiming initialisation explorer, "
        f"running in this page'>"
        f"<script type='application/json' class='kl-data'>{payload}</script>"
        f"{controls}"
        f"<div class='kl-verdict' role='status' aria-live='polite' aria-label='verdict'>"
        f"<b class='kl-headline'></b><br><span class='kl-detail'></span></div>"
        f"<p class='kl-key'><b style='color:{NETWORK_COLOR}'>●</b> this network &nbsp; "
        f"<b style='color:{THEORY_TEXT_COLOR}'>‒ ‒</b> theory &nbsp; "
        f"<span class='kl-swatch'></span> networks like it (95 %)</p>"
        f"<div class='kl-panels'>"
        f"<svg class='kl-forward' viewBox='0 0 420 260' role='img' "
        f"aria-label='forward pass: rms(z) per layer, this network as dots, the theory as a "
        f"dashed line, the band where networks like it fall'></svg>"
        f"<svg class='kl-backward' viewBox='0 0 420 260' role='img' "
        f"aria-label='backward pass: mean square of dL/dx per layer, this network as dots, "
        f"the theory as a dashed line, the band where networks like it fall'></svg></div>"
        f"<p class='kl-note'>{note}</p></section>"
    )


def _log10(value: float) -> str:
    return f"{math.log10(value):.6f}"


def _alt_images(state: dict) -> None:
    """Saved figures inside widget outputs keep their text alternative on the page.

    The widget manager draws an ``image/png`` output as an ``<img>`` without
    ``alt``, dropping the ``alt`` that ``kaiming_lab.style.show`` put in the
    output's metadata. So each such figure is saved as HTML too, an ``<img>``
    with that ``alt`` and the display size, which the manager shows instead.
    """
    for model in state.values():
        if model.get("model_name") != "OutputModel":
            continue
        for out in model["state"].get("outputs", []):
            meta = out.get("metadata", {}).get("image/png", {})
            png = out.get("data", {}).get("image/png")
            if png and meta.get("alt"):
                size = "".join(f' {k}="{int(meta[k])}"' for k in ("width", "height") if k in meta)
                out["data"] = {
                    "text/html": f'<img src="data:image/png;base64,{png}" '
                    f'alt="{html.escape(meta["alt"])}"{size}>',
                    "text/plain": out["data"].get("text/plain", meta["alt"]),
                }


def prepare(nb, counter: Iterator[int]) -> None:
    """Swap the explorer's widget outputs for the static explorer; note the other widgets."""
    meta = nb.metadata.get("widgets", {}).get(WIDGET_STATE)
    state = meta["state"] if meta else {}
    _alt_images(state)
    drop: set[str] = set()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        outputs = []
        for out in cell.get("outputs", []):
            view = out.get("data", {}).get(WIDGET_VIEW)
            if view and view["model_id"] in state:
                ids = _children(state, view["model_id"])
                root = state[view["model_id"]]["state"]
                if "kaiming-explorer" in root.get("_dom_classes", []):
                    html_out = explorer_html(_explorer_state(state, ids), next(counter))
                    outputs.append(
                        nbformat.v4.new_output(
                            "display_data", data={"text/html": html_out}, metadata={}
                        )
                    )
                    drop |= ids
                    continue
                note = (
                    "<p class='kl-kernel-note'>These controls show their saved state; moving "
                    f"them needs a live kernel (<a href='{RUN_LIVE}'>how to run this notebook "
                    "live</a>).</p>"
                )
                outputs.append(out)
                outputs.append(
                    nbformat.v4.new_output("display_data", data={"text/html": note}, metadata={})
                )
                continue
            outputs.append(out)
        cell.outputs = outputs
    # the explorer's panels that were off the page (histograms, the compact layout's other
    # panel) and its accessibility helper: front ends the page does not carry, views it drops
    drop |= {
        mid for mid, m in state.items() if not m["model_module"].startswith("@jupyter-widgets/")
    }
    for mid in drop:
        state.pop(mid, None)
    # a box that kept a dropped child (the lessons' slider panels keep theirs, which names
    # their controls in a live kernel; site/a11y.js names them here) no longer lists it
    for model in state.values():
        children = model["state"].get("children")
        if children:
            model["state"]["children"] = [c for c in children if c[len("IPY_MODEL_") :] in state]
    if meta is not None and not state:
        del nb.metadata["widgets"]


def nav_html(entries: list[tuple[str, str]], current: str) -> str:
    current_mark = " aria-current='page'"
    items = "".join(
        f"<li><a href='{href}'{current_mark if href == current else ''}>"
        f"{html.escape(title)}</a></li>"
        for href, title in entries
    )
    return (
        "<nav class='kl-nav' aria-label='Pages of the course'>"
        "<p><a href='index.html'>kaiming-lab: contents and search</a></p>"
        f"<ol>{items}</ol></nav>"
    )


def text_of(nb) -> str:
    return " ".join(c.source for c in nb.cells if c.cell_type == "markdown")


def build(out: Path = OUT) -> list[Path]:
    start = time.monotonic()
    if out.exists():
        shutil.rmtree(out)
    static = out / "_static"
    static.mkdir(parents=True)
    for source, target in ASSETS:
        src = NODE / source
        if not src.exists():
            sys.exit(f"site: {src} is missing; run `make site` (it runs npm ci in site/)")
        if src.is_dir():
            shutil.copytree(src, static / target)
        else:
            shutil.copy(src, static / target)
    for name in ("static_explorer.js", "site.css", "search.js", "a11y.js"):
        shutil.copy(SITE / name, static / name)
    # pictures the notebooks' markdown takes from the package data (the training figure)
    shutil.copytree(ROOT / "kaiming_lab" / "lessons" / "data", static / "lesson-data")

    config = Config()
    config.HTMLExporter.require_js_url = "_static/require.js"
    config.HTMLExporter.widget_renderer_url = "_static/html-manager/embed-amd.js"
    config.HTMLExporter.mathjax_url = "_static/mathjax/tex-svg-full.js"
    config.HTMLExporter.extra_template_basedirs = [str(SITE / "templates")]
    config.HTMLExporter.template_name = "kaiming"
    exporter = HTMLExporter(config=config)

    notebooks = pages()
    loaded = [(p, nbformat.read(p, as_version=4)) for p in notebooks]
    entries = [(p.stem + ".html", title_of(nb, p.stem)) for p, nb in loaded]
    index_entries = []
    counter = itertools.count(1)  # numbers the page's explorers
    written = []
    for (_path, nb), (href, title) in zip(loaded, entries, strict=True):
        nb = copy.deepcopy(nb)
        prepare(nb, counter)
        nb.metadata["title"] = f"{title} · kaiming-lab"
        body, _ = exporter.from_notebook_node(nb, resources={"nav": nav_html(entries, href)})
        # links between notebooks become links between pages
        body = re.sub(r'href="([\w.-]+)\.ipynb(#[^"]*)?"', r'href="\1.html\2"', body)
        body = body.replace('src="../kaiming_lab/lessons/data/', 'src="_static/lesson-data/')
        (out / href).write_text(body, encoding="utf-8")
        written.append(out / href)
        index_entries.append({"href": href, "title": title, "text": text_of(nb)[:20000]})
    index = (SITE / "index.html").read_text(encoding="utf-8")
    index = index.replace("<!--NAV-->", nav_html(entries, "index.html"))
    (out / "index.html").write_text(index, encoding="utf-8")
    written.append(out / "index.html")
    (static / "search-index.js").write_text(
        "window.kaimingSearchIndex = " + json.dumps(index_entries) + ";\n", encoding="utf-8"
    )
    print(f"site: {len(written)} pages in {out} ({time.monotonic() - start:.1f} s)")
    return written


if __name__ == "__main__":
    build()
