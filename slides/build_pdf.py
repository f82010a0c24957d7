"""Print the static copy of the lecture deck to PDF with headless Chromium: one slide per page.

    python slides/build_pdf.py [--html build/slides/lecture_50_minutes.html]   (or: make slides-pdf)

It opens the HTML that ``slides/build_html.py`` wrote in reveal.js's print view
(``?print-pdf``), waits until MathJax has typeset every formula, checks that
every slide is laid out on a page of its own, and prints
``lecture_50_minutes.pdf``; then, for the lecturer, ``lecture_50_minutes_notes.pdf``
with each slide's speaker notes on the page after it. Chromium is Debian's
at /usr/bin/chromium, driven through Playwright; every request that is not for
a file beside the HTML is refused, and the print fails if one was made.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

SLIDES = Path(__file__).resolve().parent
HTML = SLIDES.parent / "build" / "slides" / "lecture_50_minutes.html"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]

_READY = """() => window.Reveal && Reveal.isReady() && window.MathJax
  && MathJax.startup && MathJax.startup.promise && document.querySelector('.pdf-page')"""

#: Slides in the print view, pages laid out, and math that did not typeset.
_PRINT_VIEW = """async () => {
  await MathJax.startup.promise;
  return {
    slides: Reveal.getTotalSlides(),
    pages: document.querySelectorAll('.reveal .pdf-page').length,
    notes: document.querySelectorAll('.reveal .speaker-notes-pdf').length,
    math: document.querySelectorAll('mjx-container').length,
    errors: document.querySelectorAll('mjx-merror').length,
  };
}"""


def print_pdf(
    html: Path = HTML, pdf: Path | None = None, *, notes: bool = False, browser=None
) -> dict:
    """Write ``pdf`` (default: beside ``html``); returns what the print view held.

    The result has ``slides``, ``pages`` (one per slide), ``notes`` (pages of
    speaker notes, one after each slide when ``notes`` is true, else 0),
    ``math`` (typeset formulas), ``errors`` (MathJax errors), ``requests``
    (every URL fetched) and ``pdf``. ``browser`` is a Playwright browser to
    reuse (tests pass theirs).
    """
    html = html.resolve()
    default = html.with_name(f"{html.stem}_notes.pdf") if notes else html.with_suffix(".pdf")
    pdf = (pdf or default).resolve()
    if not html.exists():
        raise FileNotFoundError(f"{html} is missing: run `make slides-html` first")
    if browser is not None:
        return _print(browser, html, pdf, notes)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            return _print(browser, html, pdf, notes)
        finally:
            browser.close()


#: reveal.js breaks the page after every notes page, the last one too: no blank last page.
_NO_TRAILING_PAGE = ".reveal .slides > :last-child { break-after: auto !important; }"


def _print(browser, html: Path, pdf: Path, notes: bool) -> dict:
    context = browser.new_context()
    requests: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    context.route(lambda url: not url.startswith("file:"), lambda route: route.abort())
    try:
        page = context.new_page()
        query = "?print-pdf&showNotes=separate-page" if notes else "?print-pdf"
        page.goto(f"{html.as_uri()}{query}")
        page.wait_for_function(_READY, timeout=60_000)
        page.add_style_tag(content=_NO_TRAILING_PAGE)
        view = page.evaluate(_PRINT_VIEW)
        expected_notes = view["slides"] if notes else 0
        if (
            view["pages"] != view["slides"]
            or view["notes"] != expected_notes
            or view["errors"]
            or not view["math"]
        ):
            raise RuntimeError(f"the print view is not one typeset slide per page: {view}")
        page.pdf(path=str(pdf), prefer_css_page_size=True, print_background=True)
    finally:
        context.close()
    remote = [url for url in requests if not url.startswith("file:")]
    if remote:
        raise RuntimeError(f"the deck asked another machine for {remote[:5]}")
    return {**view, "requests": requests, "pdf": pdf}


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--html", type=Path, default=HTML)
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args(argv)
    view = print_pdf(args.html, args.output)
    print(f"wrote {view['pdf']} ({view['pages']} pages, {view['math']} formulas typeset)")
    notes = print_pdf(args.html, notes=True)
    print(f"wrote {notes['pdf']} ({notes['pages']} slides, each with a page of notes)")
    return view["pdf"]


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
