"""The lecture deck, presented in JupyterLab by jupyterlab-slideshow, driven by headless Chromium.

The checks of the deck's file run everywhere: at most 25 slides, 6-8 polls
with four options and the answer in the notes, speaker notes in the
Say / Ask / Expect / Click / Cut-if-late form with a running clock that adds up
to 50 minutes or less (core questions at 1.5 minutes each, at most six), and
the live copy that ``make slides`` presents (``slides/build_live.py``).

The browser test does what a lecturer does after ``make slides``: open the live
copy's URL (presentation mode starts from the settings in ``slides/user-
settings``), click the slide, step through every slide with the arrow keys and
run each code cell with Ctrl+Enter on the way, typing the missing line of each
live-coding cell first. It does so twice: on a 1024x768 projector, and on the
same projector at 150 % browser zoom (a 683x512 viewport of CSS pixels, 1.5
device pixels each). On every step it checks that no cell on screen shows an
output before it has run (predict first) and that a run cell's output appears,
that the math is typeset, that no cell shows an error, that everything on
screen (math included) fits the viewport, and that no text outside the math is
smaller than 16 CSS pixels once CSS zoom is applied (the explorer's compact
layout included: labels, readouts, verdict, ticks and titles). On the explorer's slide it
presses an arrow key on the variance slider, waits for the figure and the
verdict to change, and checks that the slider, the verdict and the panel are
all inside the viewport at once and clear of the slideshow's navigation buttons
(bottom right), with the panel swapped to the backward pass too. On failure a
screenshot is saved under pytest's tmp dir and its path is in the message.

Needs Debian's Chromium at /usr/bin/chromium and the ``playwright`` Python
package (no ``playwright install``); without them the browser test skips and
says how to install them. The checks of the deck's file run everywhere.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import _servers as S
import pytest
from _scripts import load_script

from kaiming_lab.lessons import lecture

ROOT = Path(__file__).resolve().parents[2]
DECK = ROOT / "notebooks" / "lecture_50_minutes.ipynb"
SETTINGS = ROOT / "slides" / "user-settings"
VIEWPORT = {"width": 1024, "height": 768}
#: The same projector at 150 % browser zoom: 683x512 CSS pixels of 1.5 device pixels each.
ZOOMED_VIEWPORT = {"width": 683, "height": 512, "scale": 1.5}
#: Smallest text on a slide, in CSS pixels (math sub- and superscripts aside): 24 device
#: pixels at 150 % zoom, readable from the back of a 100-seat room. The explorer's
#: compact layout is held to it too (its labels, readouts, verdict and bqplot text).
MIN_FONT_PX = 16
MAX_SLIDES = 25
MAX_CODE_LINES = 6
SLIDE_TYPES = {"slide", "subslide", "fragment", "skip", "notes"}
MINUTES = 50
#: Minutes a core question takes, on top of its slide's own minutes.
CORE_QUESTION_MINUTES = 1.5
MAX_CORE_QUESTIONS = 6
POLLS = range(6, 9)
NOTE_LABELS = {"Say", "Ask", "Ask (core)", "Expect", "Answer", "Click", "Cut if late"}
_CLOCK = re.compile(
    r"^\*\*Slide (\d+) by minute (\d+(?:\.\d+)?)\*\* · (\d+(?:\.\d+)?) min"
    r"(?: \+ (\d+(?:\.\d+)?) for the core question)?$"
)


build_live = load_script("slides/build_live.py")


def _deck() -> dict:
    return json.loads(DECK.read_text(encoding="utf-8"))


def _live_deck(directory: Path) -> dict:
    return json.loads(build_live.build(directory).read_text(encoding="utf-8"))


def slides_of(nb: dict) -> list[list[dict]]:
    """The deck's cells grouped by slide."""
    slides: list[list[dict]] = []
    for cell in nb["cells"]:
        if _slide_type(cell) == "slide" or not slides:
            slides.append([])
        slides[-1].append(cell)
    return slides


def _notes(slide: list[dict]) -> str:
    return "\n".join("".join(c["source"]) for c in slide if _slide_type(c) == "notes")


def _title(slide: list[dict]) -> str:
    first = "".join(slide[0]["source"])
    return next(line for line in first.splitlines() if line.startswith(("## ", "### "))).lstrip(
        "# "
    )


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


def clock(nb: dict) -> list[tuple[float, float]]:
    """Per slide, (minute it starts by, minutes it takes including its core question).

    Read from the first line of each slide's notes, ``**Slide n by minute m** · t min``
    (``+ 1.5 for the core question`` when it has one).
    """
    times = []
    for number, slide in enumerate(slides_of(nb), start=1):
        first = _notes(slide).splitlines()[0]
        match = _CLOCK.match(first)
        assert match, f"slide {number}: notes start with {first!r}, not the clock line"
        assert int(match[1]) == number, first
        core = float(match[4] or 0)
        times.append((float(match[2]), float(match[3]) + core))
    return times


def test_notes_clock_runs_on_and_the_lecture_fits_50_minutes():
    times = clock(_deck())
    start = 0.0
    for number, (begins, length) in enumerate(times, start=1):
        assert begins == pytest.approx(start), f"slide {number} should start by minute {start:g}"
        start += length
    assert start <= MINUTES, f"the notes add up to {start:g} minutes"


def test_notes_are_glanceable_bullets_with_at_most_six_core_questions():
    core = 0
    for number, slide in enumerate(slides_of(_deck()), start=1):
        lines = _notes(slide).splitlines()[1:]
        assert lines, f"slide {number} has only a clock line"
        labels = []
        for line in lines:
            match = re.match(r"^- \*\*([^*]+):\*\* \S", line)
            assert match, f"slide {number}: {line[:60]!r} is not a '- **Label:** ...' bullet"
            labels.append(match[1])
        assert set(labels) <= NOTE_LABELS, (number, labels)
        assert all(len(line) <= 400 for line in lines), f"slide {number} has a long bullet"
        has_core = "Ask (core)" in labels
        assert has_core == ("core question" in _notes(slide).splitlines()[0]), number
        core += has_core
    assert 1 <= core <= MAX_CORE_QUESTIONS, core


def test_deck_has_six_to_eight_polls_with_four_options_and_the_answer_in_the_notes():
    polls = [s for s in slides_of(_deck()) if _title(s).startswith("Poll")]
    assert len(polls) in POLLS, len(polls)
    for number, slide in enumerate(polls, start=1):
        assert _title(slide).startswith(f"Poll {number} · "), _title(slide)
        text = "".join(slide[0]["source"])
        assert re.findall(r"\*\*([A-D])\.\*\*", text) == ["A", "B", "C", "D"], text
        answer = re.search(r"- \*\*Answer:\*\* ([A-D])\b", _notes(slide))
        assert answer, f"poll {number} has no '- **Answer:** X' in its notes"


def test_deck_tells_the_story_the_lecture_needs():
    titles = [_title(s) for s in slides_of(_deck())]
    assert "30-layer" in "".join(_deck()["cells"][0]["source"])  # opens with the puzzle
    for needed in (
        "Today you will",
        "Assumptions hidden in the proof",
        "The backward pass",
        "What to type in PyTorch",
        "References and homework",
    ):
        assert needed in titles, needed
    text = "".join("".join(c["source"]) for c in _deck()["cells"])
    assert 'torch.nn.init.kaiming_normal_(w, nonlinearity="relu")' in text
    assert "He, X. Zhang" in text and "Glorot" in text


def test_lecturers_guide_plan_follows_the_notes_clock():
    """LECTURER.md's 50-minute plan has one row per slide: its start minute and its title."""
    guide = (ROOT / "LECTURER.md").read_text(encoding="utf-8")
    plan = guide.split("## The 50-minute plan", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| *(\d+(?:\.\d+)?) *\| *(\d+)\. ([^|]+?) *\|", plan, re.M)
    nb = _deck()
    expected = [
        (f"{begins:g}", str(n), _title(s))
        for n, ((begins, _), s) in enumerate(zip(clock(nb), slides_of(nb), strict=True), 1)
    ]
    assert rows == expected


# --------------------------------------------------------------- the live copy


def test_live_copy_has_no_outputs_and_skeletons_to_type(tmp_path):
    deck, live = _deck(), _live_deck(tmp_path)
    assert "widgets" not in live["metadata"]
    kept = [c for c in deck["cells"] if _slide_type(c) != "skip"]
    assert [c["id"] for c in live["cells"]] == [c["id"] for c in kept]
    skeletons = 0
    for committed, cell in zip(kept, live["cells"], strict=True):
        if cell["cell_type"] != "code":
            assert cell == committed
            continue
        assert cell["outputs"] == [] and cell["execution_count"] is None
        if build_live.skeleton(committed) is None:
            assert "".join(cell["source"]) == "".join(committed["source"])
            continue
        skeletons += 1
        typed, shown = "".join(committed["source"]), "".join(cell["source"])
        assert "..." in shown and "type it" in shown, shown
        missing = [line for line in typed.splitlines() if line not in shown.splitlines()]
        assert len(missing) == 1, missing  # one line to type
    assert skeletons == 3
    # the saved figures come from the package, not from files copied beside the live copy
    code = "".join("".join(c["source"]) for c in live["cells"])
    figures = re.findall(r'name = "([\w.-]+)"\nlecture\.saved_figure\(name', code)
    assert sorted(figures) == sorted(lecture.SAVED_FIGURE_ALT)
    assert all(lecture.FIGURES.joinpath(name).is_file() for name in figures)


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
    """JupyterLab as ``make slides`` starts it, over the live copy; yields the deck's URL."""
    path = build_live.build(directory / "live")
    with S.jupyterlab(directory, root=path.parent, settings=SETTINGS) as base:
        yield f"{base}/lab/tree/{DECK.name}?token={S.TOKEN}"


_ACTIVE_INDEX = """() => {
  const cells = [...document.querySelectorAll('.jp-Deck .jp-Notebook .jp-Cell')];
  return cells.findIndex((c) => c.classList.contains('jp-mod-active'));
}"""

# What is on screen: rectangles outside the viewport, horizontal scrollbars, math
# wider than its cell, unfinished or failed math, error output.
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
    for (const m of cell.querySelectorAll('mjx-container')) {
      const box = m.getBoundingClientRect();
      if (m.scrollWidth > m.clientWidth + 1 || box.right > r.right + 1 || box.right > w + 1)
        problems.push(`cell ${i} has math wider than the slide`);
    }
    if (cell.querySelector('mjx-merror, .MathJax_Error'))
      problems.push(`cell ${i} has a MathJax error`);
    if (cell.querySelector('[data-mime-type="application/vnd.jupyter.stderr"]'))
      problems.push(`cell ${i} shows error output`);
  });
  return problems;
}"""

# The smallest text on screen, outside and inside the explorer: font size times CSS
# zoom (a zoomed cell shrinks its text without changing its font-size); MathJax's
# scripts are left out. Returns {deck: [size, text], explorer: [size, text]}.
_SMALLEST_TEXT = """() => {
  const smallest = {deck: [Infinity, ''], explorer: [Infinity, '']};
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
      const where = e.closest('.kaiming-explorer') ? 'explorer' : 'deck';
      if (size < smallest[where][0])
        smallest[where] = [size, node.textContent.trim().slice(0, 40)];
    }
  }
  return smallest;
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

# Cells on screen whose output area shows something (an output before its cell ran).
_SHOWN_OUTPUTS = """() => {
  const cells = [...document.querySelectorAll('.jp-Deck .jp-Notebook .jp-Cell')];
  return cells
    .map((cell, i) => [i, cell])
    .filter(([i, cell]) => cell.classList.contains('jp-deck-mod-onscreen'))
    .filter(([i, cell]) => [...cell.querySelectorAll('.jp-OutputArea-output')]
      .some((o) => o.getBoundingClientRect().height > 0))
    .map(([i, cell]) => i);
}"""

_HAS_OUTPUT = """(i) => {
  const cell = document.querySelectorAll('.jp-Deck .jp-Notebook .jp-Cell')[i];
  return !!cell && [...cell.querySelectorAll('.jp-OutputArea-output')]
    .some((o) => o.getBoundingClientRect().height > 0);
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


def _type_live_code(page, index: int, source: str) -> None:
    """What the lecturer does on a live-coding cell: click into it, replace the skeleton."""
    editor = page.locator(".jp-Deck .jp-Notebook .jp-Cell").nth(index).locator(".cm-content")
    editor.click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(source)


def present(page, url: str, shots: Path, on_step=None, measured=None) -> int:
    """Open the live copy, step through it with the keyboard, check every step; returns slides.

    ``on_step(step, index)`` is called before each step's checks (to take screenshots);
    ``measured`` (a dict) receives the smallest text seen, in the deck and in the explorer.
    """
    measured = {"deck": float("inf"), "explorer": float("inf")} if measured is None else measured
    measured.setdefault("deck", float("inf"))
    measured.setdefault("explorer", float("inf"))
    nb = build_live.live_notebook(_deck())
    typed = {c["id"]: "".join(c["source"]) for c in _deck()["cells"]}
    prints = {c["id"] for c in _deck()["cells"] if c.get("outputs")}
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
            shown = page.evaluate(_SHOWN_OUTPUTS)
            assert not shown, f"cells {shown} show an output before they ran"
            if cell["cell_type"] == "code":
                if build_live.skeleton(cell) is not None:
                    _type_live_code(page, index, typed[cell["id"]])
                page.keyboard.press("Control+Enter")
                page.wait_for_function(_CODE_CELL_DONE, arg=index, timeout=60_000)
                if cell["id"] in prints:  # the set-up cell prints nothing
                    page.wait_for_function(_HAS_OUTPUT, arg=index, timeout=60_000)
                if "explorer(" in source:
                    _move_explorer_slider(page, index)
            elif "$" in source:
                page.wait_for_function(_MATH_TYPESET, arg=index, timeout=30_000)
            time.sleep(0.2)  # layout after outputs and typesetting
            if on_step is not None:
                on_step(step, index)
            problems = page.evaluate(_SCREEN_PROBLEMS)
            assert not problems, problems
            smallest = page.evaluate(_SMALLEST_TEXT)
            for where in ("deck", "explorer"):
                size, text = smallest[where]
                assert size >= MIN_FONT_PX - 0.01, f"{where} text of {size:.1f} px: {text!r}"
                measured[where] = min(measured[where], size)
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
    measured: dict[str, float] = {}
    try:
        with serve_deck(tmp_path / "server") as url:
            slides = present(page, url, shots, measured=measured)
    finally:
        page.context.close()
    expected = sum(_slide_type(c) == "slide" for c in _deck()["cells"])
    assert slides == expected
    print(f"smallest text: deck {measured['deck']:.1f} px, explorer {measured['explorer']:.1f} px")


@pytest.mark.browser
@pytest.mark.slow
def test_deck_presents_every_slide_within_1024x768(browser, tmp_path):
    _present_at(browser, tmp_path, **VIEWPORT)


@pytest.mark.browser
@pytest.mark.slow
def test_deck_presents_every_slide_within_1024x768_at_150_percent_zoom(browser, tmp_path):
    _present_at(browser, tmp_path, **ZOOMED_VIEWPORT)
