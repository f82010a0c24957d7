"""The lecture deck, presented in JupyterLab by jupyterlab-slideshow, driven by headless Chromium.

The browser test does what a lecturer does after ``make slides``: open the
deck's URL (presentation mode starts from the settings in
``slides/user-settings``), click the slide, step through every slide with the
arrow keys and run each code cell with Ctrl+Enter on the way. It does so twice:
on a 1024x768 projector, and on the same projector at 150 % browser zoom (a
683x512 viewport of CSS pixels, 1.5 device pixels each). On every step it
checks that the math is typeset, that no cell shows an error, that everything
on screen fits the viewport, and that no text outside the math is smaller than
12 CSS pixels once CSS zoom is applied. On the explorer's slide it presses an
arrow key on the variance slider, waits for the figure and the verdict to
change, and checks that the slider, the verdict and the panel are all inside
the viewport at once and clear of the slideshow's navigation buttons (bottom
right), with the panel swapped to the backward pass too. On failure a
screenshot is saved under pytest's tmp dir and its path is in the message.

Needs Debian's Chromium at /usr/bin/chromium and the ``playwright`` Python
package (no ``playwright install``); without them the browser test skips and
says how to install them. The checks of the deck's file run everywhere.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from pathlib import Path

import _servers as S
import pytest

ROOT = Path(__file__).resolve().parent.parent
DECK = ROOT / "notebooks" / "lecture_50_minutes.ipynb"
SETTINGS = ROOT / "slides" / "user-settings"
VIEWPORT = {"width": 1024, "height": 768}
#: The same projector at 150 % browser zoom: 683x512 CSS pixels of 1.5 device pixels each.
ZOOMED_VIEWPORT = {"width": 683, "height": 512, "scale": 1.5}
#: Smallest text on a slide, in CSS pixels (math sub- and superscripts aside).
MIN_FONT_PX = 12
MAX_SLIDES = 25
MAX_CODE_LINES = 6
SLIDE_TYPES = {"slide", "subslide", "fragment", "skip", "notes"}


def _deck() -> dict:
    return json.loads(DECK.read_text(encoding="utf-8"))


def _slide_type(cell: dict) -> str | None:
    return cell["metadata"].get("slideshow", {}).get("slide_type")


def presented_cells(nb: dict) -> list[int]:
    """Indices of the cells the right arrow visits, in order (all but notes and skip cells).

    The deck has no sub-slides, so the right arrow reaches every other cell.
    """
    return [i for i, c in enumerate(nb["cells"]) if _slide_type(c) not in ("skip", "notes")]


# --------------------------------------------------------------- the deck's file


def test_deck_has_at_most_25_slides_each_with_speaker_notes():
    cells = _deck()["cells"]
    starts = [i for i, c in enumerate(cells) if _slide_type(c) in ("slide", "subslide")]
    assert starts[0] == 0 and len(starts) <= MAX_SLIDES, len(starts)
    for first, end in zip(starts, [*starts[1:], len(cells)], strict=True):
        kinds = [_slide_type(c) for c in cells[first:end]]
        assert "notes" in kinds, f"slide at cell {first} has no speaker notes"


def test_deck_code_cells_are_short():
    """At most MAX_CODE_LINES lines of code; the blank lines ruff puts after imports do not count.

    Whether a slide fits the screen is measured by the browser tests below.
    """
    for cell in _deck()["cells"]:
        if cell["cell_type"] == "code" and _slide_type(cell) != "skip":
            lines = [line for line in "".join(cell["source"]).splitlines() if line.strip()]
            assert len(lines) <= MAX_CODE_LINES, "".join(cell["source"])


def test_lecturers_guide_collects_every_speaker_note():
    guide = (ROOT / "LECTURER.md").read_text(encoding="utf-8")
    for cell in _deck()["cells"]:
        if _slide_type(cell) == "notes":
            assert "".join(cell["source"]).strip() in guide, "".join(cell["source"])[:80]


@pytest.mark.parametrize(
    "path",
    sorted((ROOT / "notebooks").glob("*.ipynb")),
    ids=lambda p: p.stem,
)
def test_slide_types_are_ones_the_presenter_reads(path):
    """jupyterlab-slideshow drops a cell whose slide type is "-": continuation cells omit it."""
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        if "slideshow" in cell["metadata"]:
            assert _slide_type(cell) in SLIDE_TYPES, (path.name, cell["metadata"])


# --------------------------------------------------------------- the browser


@contextlib.contextmanager
def serve_deck(directory: Path) -> Iterator[str]:
    """JupyterLab as ``make slides`` starts it, over a copy of the deck; yields the deck's URL.

    The copy has no saved widget state (so only the live explorer shows) and
    sits next to a link to ``docs/`` (the deck shows ``../docs/*.png``).
    """
    notebooks = directory / "notebooks"
    notebooks.mkdir(parents=True)
    (directory / "docs").symlink_to(ROOT / "docs", target_is_directory=True)
    nb = _deck()
    nb["metadata"].pop("widgets", None)
    (notebooks / DECK.name).write_text(json.dumps(nb), encoding="utf-8")
    with S.jupyterlab(directory, root=notebooks, settings=SETTINGS) as base:
        yield f"{base}/lab/tree/{DECK.name}?token={S.TOKEN}"


_ACTIVE_INDEX = """() => {
  const cells = [...document.querySelectorAll('.jp-Deck .jp-Notebook .jp-Cell')];
  return cells.findIndex((c) => c.classList.contains('jp-mod-active'));
}"""

# What is on screen: rectangles outside the viewport, horizontal scrollbars,
# unfinished or failed math, error output.
_SCREEN_PROBLEMS = """() => {
  const problems = [];
  const w = window.innerWidth, h = window.innerHeight;
  const cells = [...document.querySelectorAll('.jp-Deck .jp-Notebook .jp-Cell')];
  cells.forEach((cell, i) => {
    if (!cell.classList.contains('jp-deck-mod-onscreen')) return;
    const r = cell.getBoundingClientRect();
    if (r.height === 0) return;
    if (r.top < -1 || r.bottom > h + 1 || r.left < -1 || r.right > w + 1)
      problems.push(`cell ${i} leaves the viewport: ${JSON.stringify(r)}`);
    for (const el of cell.querySelectorAll('.jp-OutputArea-output, .cm-scroller, pre')) {
      if (el.scrollWidth > el.clientWidth + 1)
        problems.push(`cell ${i} scrolls sideways (${el.className})`);
    }
    if (cell.querySelector('mjx-merror, .MathJax_Error'))
      problems.push(`cell ${i} has a MathJax error`);
    if (cell.querySelector('[data-mime-type="application/vnd.jupyter.stderr"]'))
      problems.push(`cell ${i} shows error output`);
  });
  return problems;
}"""

# Text smaller than MIN_FONT_PX on screen: font size times CSS zoom (a zoomed cell
# shrinks its text without changing its font-size); MathJax's scripts are left out.
_SMALL_TEXT = """(minimum) => {
  const small = [];
  const cells = document.querySelectorAll('.jp-Deck .jp-Notebook .jp-Cell.jp-deck-mod-onscreen');
  for (const cell of cells) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const e = node.parentElement;
      if (!node.textContent.trim() || !e || e.closest('mjx-container')) continue;
      if (e.getClientRects().length === 0) continue;
      const style = getComputedStyle(e);
      if (style.visibility === 'hidden') continue;
      const size = parseFloat(style.fontSize) * (e.currentCSSZoom ?? 1);
      if (size < minimum - 0.01)
        small.push(`${size.toFixed(1)} px: ${node.textContent.trim().slice(0, 40)}`);
    }
  }
  return small;
}"""

# The explorer's slider, verdict and panel: shown, inside the viewport and not under
# the slideshow's navigation buttons.
_EXPLORER_PROBLEMS = """() => {
  const problems = [];
  const w = window.innerWidth, h = window.innerHeight;
  const buttons = [...document.querySelectorAll('.jp-Deck-Remote button')]
    .map((b) => b.getBoundingClientRect()).filter((r) => r.width > 0 && r.height > 0);
  for (const selector of ['.kaiming-multiplier', '.kaiming-verdict', '.kaiming-figure']) {
    const e = document.querySelector(selector);
    const r = e ? e.getBoundingClientRect() : null;
    if (!r || r.width === 0 || r.height === 0) {
      problems.push(`${selector} is not shown`);
      continue;
    }
    const box = [r.left, r.top, r.right, r.bottom].map(Math.round).join(', ');
    if (r.top < -1 || r.left < -1 || r.bottom > h + 1 || r.right > w + 1)
      problems.push(`${selector} leaves the ${w}x${h} viewport: ${box}`);
    const covers = (b) =>
      r.left < b.right && b.left < r.right && r.top < b.bottom && b.top < r.bottom;
    if (buttons.some(covers))
      problems.push(`the slideshow's buttons cover part of ${selector}: ${box}`);
  }
  return problems;
}"""

_PANEL_SHOWN = """(title) => {
  const f = document.querySelector('.kaiming-figure');
  return !!f && f.textContent.includes(title) && f.querySelectorAll('.dot').length > 0;
}"""

_MATH_TYPESET = """(i) => {
  const cell = document.querySelectorAll('.jp-Deck .jp-Notebook .jp-Cell')[i];
  return !!cell && cell.querySelector('mjx-container') !== null;
}"""

_CODE_CELL_DONE = """(i) => {
  const cell = document.querySelectorAll('.jp-Deck .jp-Notebook .jp-Cell')[i];
  const prompt = cell && cell.querySelector('.jp-InputPrompt');
  return !!prompt && /\\[\\d+\\]/.test(prompt.textContent);
}"""


def _shoot(page, directory: Path, name: str) -> str:
    path = directory / f"{name}.png"
    page.screenshot(path=str(path))
    return str(path)


def _figure_state(page) -> tuple[str, bytes]:
    figure = page.locator(".kaiming-figure").first
    return figure.evaluate("(e) => e.outerHTML"), figure.screenshot()


def _move_explorer_slider(page, cell_index: int) -> None:
    """An arrow key on the variance slider changes the figure and the verdict, not the slide."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    verdict = page.locator(".kaiming-verdict").first
    verdict.wait_for(state="visible", timeout=60_000)
    page.wait_for_function(
        "() => { const e = document.querySelector('.kaiming-verdict');"
        " return e && e.innerText.trim().length > 0; }",
        timeout=60_000,
    )
    page.locator(".kaiming-figure").first.wait_for(state="visible", timeout=60_000)
    time.sleep(0.5)  # let the first figure settle before reading it
    before_verdict = verdict.inner_text()
    before_html, before_pixels = _figure_state(page)
    handle = page.locator(".kaiming-multiplier .noUi-handle").first
    handle.focus()
    # one arrow press at a time until the verdict changes (a small step may keep its words)
    for _ in range(30):
        handle.press("ArrowRight")
        try:
            page.wait_for_function(
                "(old) => { const e = document.querySelector('.kaiming-verdict');"
                " return e && e.innerText.trim().length > 0 && e.innerText !== old; }",
                arg=before_verdict,
                timeout=3_000,
            )
            break
        except PlaywrightTimeout:
            continue
    else:
        raise AssertionError(f"30 arrow presses left the verdict at {before_verdict!r}")
    deadline = time.monotonic() + 30
    while _figure_state(page) == (before_html, before_pixels):
        assert time.monotonic() < deadline, "the explorer's figure did not change"
        time.sleep(0.3)
    assert page.evaluate(_ACTIVE_INDEX) == cell_index, "the arrow key moved the deck"
    # the slider keeps the keyboard: a click on the verdict hands it back to the deck
    verdict.click()


def _check_explorer_on_screen(page) -> None:
    """Slider, verdict and panel in view together; in the compact layout, the backward panel too."""
    problems = page.evaluate(_EXPLORER_PROBLEMS)
    assert not problems, problems
    switch = page.locator(".kaiming-show-backward button, button.kaiming-show-backward")
    if switch.count():
        switch.first.click()
        page.wait_for_function(_PANEL_SHOWN, arg="backward:", timeout=30_000)
        time.sleep(0.3)
        problems = page.evaluate(_EXPLORER_PROBLEMS)
        assert not problems, ["with the backward panel", *problems]
        switch.first.click()
        page.wait_for_function(_PANEL_SHOWN, arg="forward:", timeout=30_000)
        page.locator(".kaiming-verdict").first.click()  # the keyboard back to the deck


def present(page, url: str, shots: Path, on_step=None) -> int:
    """Open the deck, step through it with the keyboard, check every step; returns slides seen.

    ``on_step(step, index)`` is called before each step's checks (to take screenshots).
    """
    nb = _deck()
    order = presented_cells(nb)
    page.goto(url)
    page.wait_for_selector("body[data-jp-deck-mode='presenting']", state="attached", timeout=90_000)
    page.wait_for_selector(".jp-Deck .jp-Notebook .jp-Cell.jp-mod-active", timeout=60_000)
    page.locator(".jp-Deck .jp-Notebook .jp-Cell.jp-mod-active").first.click()
    slides = 0
    for step, index in enumerate(order):
        try:
            if step:
                page.keyboard.press("ArrowRight")
            page.wait_for_function(f"() => ({_ACTIVE_INDEX})() === {index}", timeout=15_000)
            cell = nb["cells"][index]
            source = "".join(cell["source"])
            slides += _slide_type(cell) == "slide"
            if cell["cell_type"] == "code":
                page.keyboard.press("Control+Enter")
                page.wait_for_function(_CODE_CELL_DONE, arg=index, timeout=60_000)
                if "explorer(" in source:
                    _move_explorer_slider(page, index)
            elif "$" in source:
                page.wait_for_function(_MATH_TYPESET, arg=index, timeout=30_000)
            time.sleep(0.2)  # layout after outputs and typesetting
            if on_step is not None:
                on_step(step, index)
            problems = page.evaluate(_SCREEN_PROBLEMS)
            assert not problems, problems
            small = page.evaluate(_SMALL_TEXT, MIN_FONT_PX)
            assert not small, f"text below {MIN_FONT_PX} px: {small[:5]}"
            if cell["cell_type"] == "code" and "explorer(" in source:
                _check_explorer_on_screen(page)
        except Exception as error:
            path = _shoot(page, shots, f"step-{step:02d}-cell-{index:02d}")
            message = f"step {step} (cell {index}): {error}\nscreenshot: {path}"
            raise AssertionError(message) from None
    return slides


def _present_at(browser, tmp_path: Path, *, width: int, height: int, scale: float = 1.0) -> None:
    page = S.new_page(browser, width=width, height=height, scale=scale)
    shots = tmp_path / "screenshots"
    shots.mkdir()
    try:
        with serve_deck(tmp_path / "server") as url:
            slides = present(page, url, shots)
    finally:
        page.context.close()
    expected = sum(_slide_type(c) == "slide" for c in _deck()["cells"])
    assert slides == expected


@pytest.mark.browser
@pytest.mark.slow
def test_deck_presents_every_slide_within_1024x768(browser, tmp_path):
    _present_at(browser, tmp_path, **VIEWPORT)


@pytest.mark.browser
@pytest.mark.slow
def test_deck_presents_every_slide_within_1024x768_at_150_percent_zoom(browser, tmp_path):
    _present_at(browser, tmp_path, **ZOOMED_VIEWPORT)
