"""Accessible names for ipywidgets controls, set in the browser by one invisible anywidget.

ipywidgets 8 ties a dropdown's visible description to its ``<select>`` but
gives a slider's handle (``role="slider"``) and its editable readout no
accessible name, a row of toggle buttons no group name, and an HTML output no
live region. :class:`ControlNames` is an invisible widget whose few lines of
browser code, once it is on the page inside the element ``root`` selects, set:

* ``aria-label`` on the handle, select, text box or button of each control
  (``names`` maps a control's CSS class to its name), ``"<name>, value"`` on a
  slider's readout, and ``role="group"`` with the name on a row of buttons;
* optionally: ``root`` as a named landmark (``region``), one element as a
  polite live region read out when it changes (``live``), and a slider's
  spoken value taken from a readout (``valuetext``: handle selector, readout
  selector, text after the value).

It labels again whenever the DOM under ``root`` changes (the other widgets
render after it, and a slider redraws its handle); setting only what differs
makes that settle at once. The explorer and the slider panels of notebooks 08
and 10 use it; each name starts with its control's visible label, so what a
speech user reads is what they say.
"""

from __future__ import annotations

import anywidget
import traitlets

__all__ = ["ControlNames"]

_ESM = r"""
function set(node, name, value) {
  if (node.getAttribute(name) !== value) node.setAttribute(name, value);
}

function label(root, cfg) {
  if (cfg.region) { set(root, "role", "region"); set(root, "aria-label", cfg.region); }
  for (const [cls, text] of Object.entries(cfg.names)) {
    const control = root.querySelector(`.${cls}`);
    if (!control) continue;
    const nodes = control.matches("button") ? [control]
      : Array.from(control.querySelectorAll(".noUi-handle, select, input"));
    for (const node of nodes) set(node, "aria-label", text);
    const readout = control.querySelector(".widget-readout");
    if (readout) set(readout, "aria-label", text + ", value");
    if (!nodes.length && control.querySelector("button")) {  // toggle buttons: name the group
      set(control, "role", "group");
      set(control, "aria-label", text);
    }
  }
  const live = cfg.live.length === 2 && root.querySelector(cfg.live[0]);
  if (live) {
    set(live, "role", "status");
    set(live, "aria-live", "polite");
    set(live, "aria-label", cfg.live[1]);
  }
  if (cfg.valuetext.length === 3) {
    const [handleSel, readoutSel, after] = cfg.valuetext;
    const handle = root.querySelector(handleSel), readout = root.querySelector(readoutSel);
    if (handle && readout) {
      set(handle, "aria-valuetext", readout.textContent.replace(/\s+/g, "") + after);
    }
  }
}

function render({ model, el }) {
  const cfg = {names: model.get("names"), region: model.get("region"), live: model.get("live"),
               valuetext: model.get("valuetext")};
  let observer = null;
  const attach = () => {
    const root = el.closest(model.get("root"));
    if (!root) return false;
    label(root, cfg);
    observer = new MutationObserver(() => label(root, cfg));
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


class ControlNames(anywidget.AnyWidget):
    """Invisible widget naming the controls inside the element ``root`` selects.

    ``names`` maps a control's CSS class to its accessible name; ``region``
    (optional) names ``root`` as a landmark; ``live`` (optional) is
    ``[selector, name]`` of the element to read out when it changes; ``valuetext`` (optional) is
    ``[handle selector, readout selector, text after the value]``. Hide it with
    ``layout=ipywidgets.Layout(display="none")``.
    """

    _esm = _ESM
    names = traitlets.Dict().tag(sync=True)
    root = traitlets.Unicode().tag(sync=True)
    region = traitlets.Unicode("").tag(sync=True)
    live = traitlets.List(traitlets.Unicode()).tag(sync=True)
    valuetext = traitlets.List(traitlets.Unicode()).tag(sync=True)
