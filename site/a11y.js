// Names the saved ipywidgets controls the widget manager draws (ipywidgets gives a
// slider's handle no accessible name): each handle, select or text box takes the text of
// its widget's visible label. Runs again as the widget manager adds views.
(function () {
  "use strict";
  const name = () => {
    for (const widget of document.querySelectorAll(".jupyter-widgets.widget-inline-hbox")) {
      const label = widget.querySelector(":scope > .widget-label");
      const text = label && label.textContent.trim();
      if (!text) continue;
      for (const node of widget.querySelectorAll(".noUi-handle, select, input")) {
        if (!node.hasAttribute("aria-label")) node.setAttribute("aria-label", text);
      }
    }
  };
  const start = () => {
    name();
    new MutationObserver(name).observe(document.body, {subtree: true, childList: true});
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
