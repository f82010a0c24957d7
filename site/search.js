// Search over the pages' text (the index is a script, so it works from file:// too).
(function () {
  "use strict";
  const input = document.getElementById("kl-search-input");
  const list = document.getElementById("kl-search-results");
  const status = document.getElementById("kl-search-status");
  if (!input) return;
  const pages = window.kaimingSearchIndex || [];
  input.addEventListener("input", () => {
    const words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    list.innerHTML = "";
    if (!words.length) { status.textContent = ""; return; }
    const hits = pages.filter((p) => words.every((w) => (p.title + " " + p.text).toLowerCase().includes(w)));
    for (const p of hits) {
      const li = document.createElement("li");
      const a = document.createElement("a");
      a.href = p.href;
      a.textContent = p.title;
      li.appendChild(a);
      list.appendChild(li);
    }
    status.textContent = `${hits.length} page${hits.length === 1 ? "" : "s"} found`;
  });
})();
