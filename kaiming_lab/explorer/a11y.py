"""What the explorer tells a screen reader and a keyboard user, beyond what ipywidgets does.

ipywidgets 8 gives a slider no accessible name, and an HTML output is not a live
region. :class:`AccessibilityPatch`, an invisible widget in the app, runs a few
lines in the browser that name every control (``aria-label`` from
:data:`CONTROL_NAMES`), read the variance slider as a multiplier
(``aria-valuetext`` ``"×1.05 of 2/fan_in"``), make the app a named landmark and
the verdict a polite live region. :data:`FOCUS_CSS` shows focus.
"""

from __future__ import annotations

import anywidget
import traitlets

#: Accessible name of each control; each starts with the words its visible label shows.
CONTROL_NAMES: dict[str, str] = {
    "multiplier": "Var(W) in units of 2/width: weight variance, multiple of 2/fan_in",
    "preset": "preset: initialiser whose variance the slider takes",
    "depth": "depth: number of layers shown",
    "width": "width: units in every layer",
    "seed": "seed of the random network",
    "activation": "activation function",
    "slope": "leaky slope a of the leaky ReLU",
    "bias_variance": "Var(b): variance of the biases",
    "show_histograms": "histograms of the activations at the first, middle and last layer",
    "show_backward": "backward: show the gradients' panel in place of the forward one",
}

#: A focus ring of 3 px, #1A1A1A (17:1 on white), on every control of the app.
FOCUS_CSS = """
.kaiming-explorer .noUi-handle:focus-visible, .kaiming-explorer select:focus-visible,
.kaiming-explorer input:focus-visible, .kaiming-explorer button:focus-visible {
  outline: 3px solid #1a1a1a; outline-offset: 2px; }
"""

_ESM = r"""
function label(root, names) {
  if (root.getAttribute("role") !== "region") {
    root.setAttribute("role", "region");  // a landmark a screen reader can jump to
    root.setAttribute("aria-label", "Kaiming initialisation explorer");
  }
  for (const [name, text] of Object.entries(names)) {
    const cls = "kaiming-" + name.replace(/_/g, "-");
    const nodes = root.querySelectorAll(
      `.${cls} .noUi-handle, .${cls} select, .${cls} input, button.${cls}`);
    for (const node of nodes) {
      if (node.getAttribute("aria-label") !== text) node.setAttribute("aria-label", text);
    }
  }
  const verdict = root.querySelector(".kaiming-verdict .widget-html-content");
  if (verdict && verdict.getAttribute("aria-live") !== "polite") {
    verdict.setAttribute("role", "status");
    verdict.setAttribute("aria-live", "polite");
    verdict.setAttribute("aria-label", "verdict");
  }
  const handle = root.querySelector(".kaiming-multiplier .noUi-handle");
  const readout = root.querySelector(".kaiming-readout");
  if (handle && readout) {
    const text = readout.textContent.replace(/\s+/g, "") + " of 2/fan_in";
    if (handle.getAttribute("aria-valuetext") !== text) handle.setAttribute("aria-valuetext", text);
  }
}

function render({ model, el }) {
  const names = model.get("names");
  let root = null;
  let observer = null;
  const attach = () => {
    root = el.closest(".kaiming-explorer");
    if (!root) return false;
    label(root, names);
    // the other widgets render, and the verdict, readout and handle change, after this one:
    // label them again whenever the app's DOM changes (idempotent, so it settles at once)
    observer = new MutationObserver(() => label(root, names));
    observer.observe(root, {subtree: true, childList: true, characterData: true,
                            attributes: true, attributeFilter: ["aria-valuenow"]});
    return true;
  };
  if (!attach()) {
    const timer = setInterval(() => { if (attach()) clearInterval(timer); }, 100);
    return () => { clearInterval(timer); if (observer) observer.disconnect(); };
  }
  return () => observer.disconnect();
}
export default { render };
"""


class AccessibilityPatch(anywidget.AnyWidget):
    """Invisible widget that names the explorer's controls and makes its verdict a live region.

    Put it anywhere inside the element with the CSS class ``kaiming-explorer``;
    ``names`` maps control names (``multiplier``, ``depth``, ...) to their
    accessible names (default :data:`CONTROL_NAMES`).
    """

    _esm = _ESM
    names = traitlets.Dict(CONTROL_NAMES).tag(sync=True)
