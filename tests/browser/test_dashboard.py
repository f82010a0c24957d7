"""The explorer in a real browser: the dashboard in Voila and notebooks in JupyterLab.

Needs Debian's Chromium at /usr/bin/chromium and the ``playwright`` Python
package (no ``playwright install``: the system browser is used). Without them
these tests skip and say how to install them. Servers listen on 127.0.0.1 on a
free port, serve copies without outputs, and are always terminated (see
``tests/_servers.py``).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import _a11y
import _servers as S
import pytest

from kaiming_lab.explorer.a11y import CONTROL_NAMES

pytestmark = pytest.mark.browser

DASHBOARD = S.NOTEBOOKS / "explorer_dashboard.ipynb"
NOTEBOOK_06 = S.NOTEBOOKS / "06_explorer.ipynb"
#: Controls, verdict and both main panels fit in this height in JupyterLab (1366x768).
LAB_HEIGHT = 620


@pytest.fixture(scope="module")
def dashboard_url(tmp_path_factory) -> Iterator[str]:
    """Voila serving the dashboard as ``make explorer`` does (one pre-heated kernel)."""
    S.require_browser()
    notebook = S.copy_without_outputs(DASHBOARD, tmp_path_factory.mktemp("voila"))
    with S.voila(notebook, preheat=True) as url:
        yield url


@pytest.fixture(scope="module")
def lab_url(tmp_path_factory) -> Iterator[str]:
    S.require_browser()
    directory = tmp_path_factory.mktemp("lab")
    for notebook in (DASHBOARD, NOTEBOOK_06):
        S.copy_without_outputs(notebook, directory)
    with S.jupyterlab(directory) as url:
        yield url


def _open_dashboard(browser, dashboard_url, **size):
    page = S.new_page(browser, **size)
    page.goto(dashboard_url)
    page.wait_for_function(S.PLOTTED, timeout=120_000)
    return page


def _verdict(page) -> str:
    return page.locator(".kaiming-verdict").first.text_content().strip()


def _changes_plot(page, action) -> None:
    """``action()`` changes ``.kaiming-figure`` in the page (timed, so it waits for the redraw)."""
    before = page.evaluate(S.FIGURE_SIGNATURE)
    S.timed(page, action)
    assert page.evaluate(S.FIGURE_SIGNATURE) != before


def test_dashboard_shows_the_app_and_nothing_else(browser, dashboard_url):
    # how soon the first plot shows is measured by benchmarks/explorer_browser.py, not here
    page = _open_dashboard(browser, dashboard_url)
    text = page.locator("body").inner_text()
    assert "Kaiming initialisation explorer" in text
    for absent in ("from kaiming_lab", "explorer()", "Not answered", "Next"):
        assert absent not in text, absent
    # no link off the page (none to break); headings keep their own "#" anchors
    assert page.locator("a[href]:not([href^='#'])").count() == 0
    page.context.close()


@pytest.mark.slow
def test_dashboard_fits_1366x768_without_scrolling(browser, dashboard_url):
    page = _open_dashboard(browser, dashboard_url)
    size = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
    )
    assert size[0] <= 1366 and size[1] <= 768, size
    figure = page.locator(".kaiming-figure").first.bounding_box()
    assert figure["y"] + figure["height"] <= 768
    # fonts at least 12 px at 100 % zoom
    smallest = page.evaluate(
        "() => Array.from(document.querySelectorAll('.kaiming-explorer *'))"
        ".filter(e => e.childElementCount === 0 && e.textContent.trim()"
        " && e.getClientRects().length > 0)"
        ".map(e => ({size: parseFloat(getComputedStyle(e).fontSize), text: e.textContent}))"
        ".reduce((a, b) => (b.size < a.size ? b : a), {size: 1e9, text: ''})"
    )
    assert smallest["size"] >= 12, smallest
    page.context.close()


@pytest.mark.slow
def test_verdict_words_after_arrow_presses(browser, dashboard_url):
    """From Kaiming: stable; one press up (x1.047, theory x3.1 over 50 layers): exploding;
    two presses down (x0.955): vanishing."""
    page = _open_dashboard(browser, dashboard_url)
    assert _verdict(page).startswith("stable:")
    handle = page.locator(".kaiming-multiplier .noUi-handle").first
    handle.focus()
    _changes_plot(page, lambda: handle.press("ArrowRight"))
    assert _verdict(page).startswith("exploding:"), _verdict(page)
    assert "× 1.05" in page.locator(".kaiming-explorer").first.text_content()
    _changes_plot(page, lambda: handle.press("ArrowLeft"))
    assert _verdict(page).startswith("stable:"), _verdict(page)
    _changes_plot(page, lambda: handle.press("ArrowLeft"))
    assert _verdict(page).startswith("vanishing:"), _verdict(page)
    assert _verdict(page).count("theory predicts") == 1  # one verdict on screen
    page.context.close()


@pytest.mark.slow
def test_every_control_changes_the_plot(browser, dashboard_url):
    page = _open_dashboard(browser, dashboard_url)

    def press(name: str, key: str):
        handle = page.locator(f".kaiming-{name} .noUi-handle").first
        return lambda: handle.press(key)

    _changes_plot(page, press("multiplier", "ArrowRight"))
    _changes_plot(page, press("depth", "End"))
    _changes_plot(page, press("width", "ArrowLeft"))
    seed = page.locator(".kaiming-seed input").first
    seed.fill("3")
    _changes_plot(page, lambda: seed.press("Enter"))
    _changes_plot(page, press("bias-variance", "ArrowRight"))
    _changes_plot(page, press("bias-variance", "ArrowLeft"))
    activation = page.locator(".kaiming-activation select").first
    _changes_plot(page, lambda: activation.select_option(label="leaky ReLU"))
    _changes_plot(page, press("slope", "PageUp"))
    preset = page.locator(".kaiming-preset select").first
    _changes_plot(page, lambda: preset.select_option(label="Xavier (Glorot)"))
    _changes_plot(page, lambda: activation.select_option(label="tanh"))
    assert page.locator(".kaiming-hists").first.is_hidden()
    page.get_by_role("button", name="histograms").click()
    page.locator(".kaiming-hists .bqplot").first.wait_for(state="visible", timeout=30_000)
    page.context.close()


@pytest.mark.slow
def test_dashboard_usable_at_150_percent_zoom(browser, dashboard_url):
    """1024x768 at 150 % zoom: a 683x512 CSS viewport of 1.5 device pixels per CSS pixel."""
    page = _open_dashboard(browser, dashboard_url, width=683, height=512, scale=1.5)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 683, width  # nothing cut off on the right: panels wrap instead
    handle = page.locator(".kaiming-multiplier .noUi-handle").first
    handle.scroll_into_view_if_needed()
    handle.focus()
    _changes_plot(page, lambda: handle.press("ArrowRight"))
    for selector in (".kaiming-verdict", ".kaiming-figure"):
        box = page.locator(selector).first.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 683, (selector, box)
    page.context.close()


@pytest.mark.slow
def test_explorer_fits_in_jupyterlab_with_the_file_browser_open(browser, lab_url):
    page = S.new_page(browser)
    S.open_in_jupyterlab(page, lab_url, DASHBOARD.name)
    page.wait_for_function(S.PLOTTED, timeout=120_000)
    assert page.locator(".jp-FileBrowser").first.is_visible()
    top = page.locator(".kaiming-explorer").first.bounding_box()["y"]
    figure = page.locator(".kaiming-figure").first.bounding_box()
    height = figure["y"] + figure["height"] - top
    assert height <= LAB_HEIGHT, f"controls, verdict and panels take {height:.0f} px"
    handle = page.locator(".kaiming-multiplier .noUi-handle").first
    handle.scroll_into_view_if_needed()
    handle.focus()
    _changes_plot(page, lambda: handle.press("ArrowRight"))
    assert _verdict(page).startswith("exploding:")
    page.context.close()


@pytest.mark.slow
def test_notebook_06_embeds_the_same_app(browser, lab_url):
    page = S.new_page(browser)
    S.open_in_jupyterlab(page, lab_url, NOTEBOOK_06.name)
    page.wait_for_function(S.PLOTTED, timeout=180_000)
    page.locator(".kaiming-verdict").first.scroll_into_view_if_needed()
    assert _verdict(page).split()[0].rstrip(":") in {"stable", "exploding", "vanishing"}
    handle = page.locator(".kaiming-multiplier .noUi-handle").first
    handle.scroll_into_view_if_needed()
    handle.focus()
    _changes_plot(page, lambda: handle.press("ArrowRight"))
    page.context.close()


@pytest.mark.slow
def test_keyboard_alone_reaches_and_moves_the_variance_control(browser, dashboard_url):
    """From the top of the page, Tab reaches the variance slider (focus ring shown, its name
    said), an arrow key moves it, and the new verdict is in the polite live region."""
    page = _open_dashboard(browser, dashboard_url)
    handle = ".kaiming-multiplier .noUi-handle"
    page.wait_for_function(
        f"() => document.querySelector({handle!r})?.getAttribute('aria-label')"
        f" === {CONTROL_NAMES['multiplier']!r}"
    )
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate(f"() => document.activeElement.matches({handle!r})"):
            break
    else:
        pytest.fail("30 presses of Tab did not reach the variance slider")
    focus = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, parseFloat(s.outlineWidth)]; }"
    )
    assert focus[0] != "none" and focus[1] >= 2, focus
    live = page.locator(".kaiming-verdict [aria-live='polite'][role='status']").first
    assert live.text_content().startswith("stable:")
    _changes_plot(page, lambda: page.keyboard.press("ArrowRight"))
    assert live.text_content().startswith("exploding:"), live.text_content()
    assert page.locator(handle).first.get_attribute("aria-valuetext") == "×1.05 of 2/fan_in"
    # every control has its accessible name
    for name, text in CONTROL_NAMES.items():
        if name == "show_backward":  # the compact layout's only
            continue
        css = "kaiming-" + name.replace("_", "-")
        node = page.locator(f".{css} .noUi-handle, .{css} select, .{css} input, button.{css}").first
        assert node.get_attribute("aria-label") == text, name
    page.context.close()


@pytest.mark.slow
def test_dashboard_passes_axe(browser, dashboard_url):
    """axe-core on the dashboard, stable and then exploding (the verdict's darkest colour)."""
    page = _open_dashboard(browser, dashboard_url)
    page.wait_for_function("() => !!document.querySelector('.kaiming-verdict [aria-live]')")
    _a11y.assert_no_serious_violations(page, context="voila")
    handle = page.locator(".kaiming-multiplier .noUi-handle").first
    handle.focus()
    _changes_plot(page, lambda: handle.press("ArrowRight"))
    assert _verdict(page).startswith("exploding:")
    _a11y.assert_no_serious_violations(page, context="voila")
    page.context.close()


@pytest.mark.slow
def test_notebook_in_jupyterlab_passes_axe_but_for_known_upstream(browser, lab_url):
    """The dashboard notebook open and run in JupyterLab: JupyterLab's own violations are
    listed in tests/axe_known_upstream.json; none of ours is serious or critical."""
    page = S.new_page(browser)
    S.open_in_jupyterlab(page, lab_url, DASHBOARD.name)
    page.wait_for_function(S.PLOTTED, timeout=120_000)
    page.wait_for_function("() => !!document.querySelector('.kaiming-verdict [aria-live]')")
    _a11y.assert_no_serious_violations(page, context="jupyterlab")
    page.context.close()


def test_browser_requirements_are_reported():
    """Either both are present, or the skip message names the install command."""
    if S.CHROMIUM.exists() and shutil.which(str(S.CHROMIUM)):
        S.require_browser()
    else:
        with pytest.raises(pytest.skip.Exception, match="apt-get install chromium"):
            S.require_browser()


def test_servers_module_is_next_to_the_tests():
    assert Path(S.__file__).parent == Path(__file__).parents[1]
