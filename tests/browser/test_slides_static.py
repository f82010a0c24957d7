"""The static copy of the lecture deck: ``make slides-html`` and ``make slides-pdf``.

The deck is built from the committed, executed notebook by ``slides/build_html.py``
(reveal.js and MathJax copied from the npm packages in ``slides/node_modules``)
and printed by ``slides/build_pdf.py`` with Debian's Chromium. The build runs
with every outgoing connection of this process refused; Chromium opens the
result with every request recorded. The tests check that nothing leaves the
machine, that every slide of the notebook is there with its title and its
speaker notes, that reveal's speaker view (S) opens with them, that every slide's content
fits its 960x720 page, that its text (code and output included) is 16 CSS px or more
at 1024x768 with 150 % zoom, that the math is typeset, that the PDF has one page
per slide, and that the lecturer's notes PDF has each slide's notes after it.

Needs ``npm ci`` in ``slides/`` (``make slides-html`` runs it) and, for the
browser and PDF checks, Chromium at /usr/bin/chromium with the ``playwright``
package; without them the tests skip and say what to install.
"""

from __future__ import annotations

import json
import re
import socket
import time
from pathlib import Path

import pytest
from _scripts import load_script

ROOT = Path(__file__).resolve().parents[2]
DECK = ROOT / "notebooks" / "lecture_50_minutes.ipynb"


build_html = load_script("slides/build_html.py")
build_pdf = load_script("slides/build_pdf.py")


def _slides() -> list[tuple[str, str]]:
    """(title, first line of the notes) of every slide of the notebook, in order."""
    slides = []
    for cell in json.loads(DECK.read_text(encoding="utf-8"))["cells"]:
        kind = cell["metadata"].get("slideshow", {}).get("slide_type")
        source = "".join(cell["source"])
        if kind == "slide":
            title = next(line for line in source.splitlines() if line.startswith(("## ", "### ")))
            slides.append([title.lstrip("# "), None])
        elif kind == "notes" and slides[-1][1] is None:
            slides[-1][1] = source.splitlines()[0]
    return [tuple(s) for s in slides]


@pytest.fixture(scope="module")
def offline(tmp_path_factory):
    """Refuses every connection this process opens except to 127.0.0.1; yields the attempts."""
    attempts: list[object] = []
    original = socket.socket.connect

    def connect(sock, address):
        host = address[0] if isinstance(address, tuple) else address
        if host not in ("127.0.0.1", "::1", "localhost"):
            attempts.append(address)
            raise OSError(f"test: no network ({address!r})")
        return original(sock, address)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket.socket, "connect", connect)
        yield attempts


@pytest.fixture(scope="module")
def html(offline, tmp_path_factory) -> Path:
    if not (build_html.NODE_MODULES / "reveal.js").is_dir():
        pytest.skip("reveal.js and MathJax are not installed: run `npm ci` in slides/")
    start = time.perf_counter()
    path = build_html.build(tmp_path_factory.mktemp("static"))
    print(f"static deck built in {time.perf_counter() - start:.1f} s")
    assert not offline, offline
    return path


def test_remote_references_are_found():
    """The build's own guard: a CDN link is caught, files beside the page and data URLs are not."""
    page = (
        '<script src="https://unpkg.com/reveal.js/dist/reveal.js"></script>'
        '<link href="//cdn.example/x.css"><img src="data:image/png;base64,AA">'
        '<script src="mathjax/tex-chtml-full.js"></script><a href="#/3">'
    )
    assert build_html.remote_references(page) == [
        "https://unpkg.com/reveal.js/dist/reveal.js",
        "//cdn.example/x.css",
    ]


def test_static_html_has_every_slide_and_its_notes(html):
    text = html.read_text(encoding="utf-8")
    assert build_html.remote_references(text) == []
    sections = re.findall(r"<section\b.*?</section>", text, re.S)
    slides = _slides()
    assert len(sections) == len(slides)
    for section, (title, clock) in zip(sections, slides, strict=True):
        assert 'class="notes"' in section, title
        assert clock.split("**")[1] in section, (title, clock)  # "Slide n by minute m"
    explorer = next(s for s in sections if "The explorer" in s)
    assert "<img" in explorer and "make explorer" in explorer
    for asset in ("reveal.js/dist/reveal.js", "reveal.js/plugin/notes/notes.js"):
        assert (html.parent / asset).is_file(), asset


# The presented deck, slide by slide: title, notes, and how far its content reaches
# below the slide's top (in the slide's own pixels, whatever reveal's scale).
_PRESENTED = """async () => {
  await MathJax.startup.promise;
  const out = [];
  const total = Reveal.getTotalSlides();
  for (let i = 0; i < total; i++) {
    Reveal.slide(i, 0, 99);
    const s = Reveal.getCurrentSlide();
    const top = s.getBoundingClientRect().top, scale = Reveal.getScale();
    let bottom = 0;
    for (const e of s.querySelectorAll('*')) {
      if (e.closest('aside.notes')) continue;
      const r = e.getBoundingClientRect();
      if (r.height > 0) bottom = Math.max(bottom, (r.bottom - top) / scale);
    }
    const notes = s.querySelector('aside.notes');
    out.push({
      title: (s.querySelector('h1, h2, h3') || {}).textContent || '',
      notes: notes ? notes.textContent.trim().length : 0,
      bottom: Math.round(bottom),
      math: s.querySelectorAll('mjx-container').length,
      errors: s.querySelectorAll('mjx-merror').length,
    });
  }
  return {slides: out, height: Reveal.getConfig().height,
          speakerView: !!Reveal.getPlugin('notes')};
}"""


@pytest.mark.browser
def test_static_html_presents_offline_in_chromium(browser, html):
    """No request leaves the machine, none fails, every slide fits and has notes."""
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    requests, failed = [], []
    context.on("request", lambda r: requests.append(r.url))
    context.on("requestfailed", lambda r: failed.append(r.url))
    try:
        page = context.new_page()
        page.goto(html.as_uri())
        page.wait_for_function("() => window.Reveal && Reveal.isReady() && window.MathJax")
        deck = page.evaluate(_PRESENTED)
    finally:
        context.close()
    assert [u for u in requests if not u.startswith("file:")] == []
    assert failed == []
    assert deck["speakerView"]
    shown = [s["title"].replace("¶", "").strip() for s in deck["slides"]]
    assert len(shown) == len(_slides())
    for title, (expected, _) in zip(shown, _slides(), strict=True):
        assert title.startswith(expected.split("$")[0].strip()), (title, expected)
    for slide in deck["slides"]:
        assert slide["notes"] > 0, slide
        assert slide["errors"] == 0, slide
        assert slide["bottom"] <= deck["height"], f"{slide['title']} runs off its page"
    assert sum(s["math"] for s in deck["slides"]) > 50


#: The projector of the live deck's test at 150 % zoom: 683x512 CSS pixels of 1.5 device
#: pixels each. Reveal shrinks the 960x720 slide to fit it (scale about 0.7).
ZOOMED_VIEWPORT = {"width": 683, "height": 512}
#: Smallest text on a slide in CSS pixels, as for the live deck: 24 device pixels at 150 %.
MIN_FONT_PX = 16

# Every slide's smallest text as the window shows it (font size times reveal's scale;
# MathJax aside, as in the live deck's test) and its code or output that runs off its right edge.
_SMALLEST_TEXT = """async () => {
  await MathJax.startup.promise;
  const out = [];
  for (let i = 0; i < Reveal.getTotalSlides(); i++) {
    Reveal.slide(i, 0, 99);
    const s = Reveal.getCurrentSlide(), scale = Reveal.getScale();
    let size = Infinity, text = '';
    const walker = document.createTreeWalker(s, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const e = node.parentElement;
      if (!node.textContent.trim() || !e || e.closest('mjx-container, aside.notes')) continue;
      if (e.getClientRects().length === 0) continue;
      const px = parseFloat(getComputedStyle(e).fontSize) * scale;
      if (px < size) [size, text] = [px, node.textContent.trim().slice(0, 40)];
    }
    // code and printed output whose text runs past the slide's right edge
    const right = s.getBoundingClientRect().right;
    const wide = [...s.querySelectorAll('pre')].filter((e) => {
      const range = document.createRange();
      range.selectNodeContents(e);
      return range.getBoundingClientRect().right > right + 1;
    }).length;
    out.push({title: (s.querySelector('h1, h2, h3') || {}).textContent || '', size, text, wide});
  }
  return out;
}"""


@pytest.mark.browser
def test_static_text_is_16_css_px_at_150_percent_zoom(browser, html):
    """Code, outputs and prose of every slide at 16 CSS px or more on the zoomed projector."""
    context = browser.new_context(viewport=ZOOMED_VIEWPORT, device_scale_factor=1.5)
    try:
        page = context.new_page()
        page.goto(html.as_uri())
        page.wait_for_function("() => window.Reveal && Reveal.isReady() && window.MathJax")
        slides = page.evaluate(_SMALLEST_TEXT)
    finally:
        context.close()
    assert len(slides) == len(_slides())
    for slide in slides:
        assert slide["size"] >= MIN_FONT_PX - 0.01, slide
        assert slide["wide"] == 0, f"{slide['title']} has code wider than the slide"
    print(f"smallest static text at 150 % zoom: {min(s['size'] for s in slides):.1f} px")


@pytest.mark.browser
def test_speaker_view_opens_offline_with_the_slides_notes(browser, html):
    """S opens reveal's speaker view: this slide's notes, with their clock line."""
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    requests = []
    context.on("request", lambda r: requests.append(r.url))
    try:
        page = context.new_page()
        page.goto(f"{html.as_uri()}#/4")
        page.wait_for_function("() => window.Reveal && Reveal.isReady()")
        with context.expect_page() as opened:
            page.keyboard.press("s")
        speaker = opened.value
        notes = speaker.locator(".speaker-controls-notes")
        notes.wait_for(timeout=15_000)
        speaker.wait_for_function(
            "() => document.querySelector('.speaker-controls-notes').innerText.includes('Slide')"
        )
        text = notes.inner_text()
    finally:
        context.close()
    assert _slides()[4][1].split("**")[1] in text, text[:200]  # "Slide 5 by minute 5.5"
    assert [u for u in requests if not u.startswith(("file:", "about:"))] == []


@pytest.mark.browser
def test_static_pdf_has_one_typeset_page_per_slide(browser, html, offline):
    view = build_pdf.print_pdf(html, browser=browser)
    assert not offline, offline
    assert [u for u in view["requests"] if not u.startswith("file:")] == []
    assert view["errors"] == 0 and view["math"] > 50
    pages = re.findall(rb"/Type\s*/Page(?![a-zA-Z])", view["pdf"].read_bytes())
    assert len(pages) == len(_slides())


@pytest.mark.browser
def test_notes_pdf_has_each_slide_then_its_notes(browser, html, offline):
    view = build_pdf.print_pdf(html, notes=True, browser=browser)
    assert not offline, offline
    assert view["pdf"].name == "lecture_50_minutes_notes.pdf"
    assert view["notes"] == view["slides"] == len(_slides())
    pages = re.findall(rb"/Type\s*/Page(?![a-zA-Z])", view["pdf"].read_bytes())
    assert len(pages) == 2 * len(_slides())  # no blank page at the end


def test_pdf_print_refuses_a_missing_deck(tmp_path):
    with pytest.raises(FileNotFoundError, match="make slides-html"):
        build_pdf.print_pdf(tmp_path / "missing.html")
