"""The static edition (``make site``): every page offline, the kernel-free explorer, axe.

The site is built once into a temporary folder (``site/build.py``, about 10 s)
and opened from ``file://`` in Chromium with every request that would leave
the machine counted and refused. Needs ``site/node_modules`` (``make site``
installs it with ``npm ci``) and, for the browser tests, Chromium.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Iterator
from pathlib import Path

import _a11y
import _servers as S
import nbformat
import pytest
from _scripts import load_script

from kaiming_lab.explorer import ExplorerModel, ExplorerState

SITE = S.ROOT / "site"

pytestmark = pytest.mark.browser

#: (multiplier, depth) pairs the page's numbers are compared at: presets, arrow-key
#: stops, both ends of the slider (overflow and underflow of float64 on the way), depth 1.
SETTINGS = [
    (1.0, 50),
    (10**0.02, 50),
    (10**-0.04, 50),
    (0.5, 50),
    (1 / 6, 100),
    (10.0, 100),
    (0.1, 100),
    (2.0, 7),
    (1.0, 1),
    (0.8, 25),
    (10**0.7, 100),
    (3.0, 100),
]


#: site/build.py, loaded once for every test here
build = load_script("site/build.py", "site_build")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    if not (SITE / "node_modules").exists():
        pytest.skip("the static edition needs site/node_modules: run `make site` once")
    out = tmp_path_factory.mktemp("site")
    pages = build.build(out)
    assert len(pages) == len(build.pages()) + 1  # every notebook, and the front page
    return out


@pytest.fixture
def offline_page(browser) -> Iterator:
    """A page where every request that is not ``file:``, ``data:`` or ``blob:`` is refused."""
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    left: list[str] = []

    def refuse(route):
        left.append(route.request.url)
        route.abort()

    context.route(re.compile(r"^(?!(file|data|blob):)"), refuse)
    page = context.new_page()
    page.left_the_machine = left
    yield page
    context.close()


def test_every_page_opens_offline_with_no_request_leaving_the_machine(site, offline_page):
    page = offline_page
    failed: list[str] = []
    page.on("requestfailed", lambda r: failed.append(r.url))
    names = sorted(p.name for p in site.glob("*.html"))
    assert "explorer_dashboard.html" in names and "lecture_50_minutes.html" in names
    for name in names:
        page.goto((site / name).as_uri())
        page.wait_for_load_state("load")
        if page.locator("mjx-container").count() == 0 and "$" in page.content():
            page.wait_for_timeout(500)
        assert page.locator("html").get_attribute("lang") == "en", name
        assert page.locator("nav a").count() >= len(names) - 1, name
    assert page.left_the_machine == [], page.left_the_machine
    assert failed == [], failed
    for name in ("explorer_dashboard", "06_explorer", "lecture_50_minutes"):
        page.goto((site / f"{name}.html").as_uri())
        page.locator(".kl-explorer .kl-dot").first.wait_for()
        assert page.locator(".kl-explorer").count() == 1, name
        assert page.locator(".kl-explorer input[type=range]").count() == 2, name
    assert page.left_the_machine == [], page.left_the_machine


def test_a_setting_that_is_not_a_rescaling_shows_its_saved_view(site, offline_page, tmp_path):
    """tanh: the page draws the stored view, offers no slider and says it needs a kernel."""
    state = ExplorerState(width=16, depth=8, activation="tanh", multiplier=1.5, batch=128)
    body = build.explorer_html(state, 1)
    page_file = tmp_path / "tanh.html"
    script = (site / "_static" / "static_explorer.js").as_uri()
    page_file.write_text(
        f"<!DOCTYPE html><html lang='en'><body>{body}<script src='{script}'></script></body></html>"
    )
    page = offline_page
    page.goto(page_file.as_uri())
    page.locator(".kl-explorer .kl-dot").first.wait_for()
    view = ExplorerModel().compute(state)
    assert page.locator(".kl-headline").text_content() == view.assessment.headline
    assert page.locator(".kl-detail").text_content() == view.assessment.detail
    assert page.locator(".kl-explorer input").count() == 0
    assert "needs a live kernel" in page.locator(".kl-note").text_content()


def test_math_and_saved_widgets_are_rendered(site, offline_page):
    page = offline_page
    page.goto((site / "05_proposition.html").as_uri())
    page.locator("mjx-container").first.wait_for(timeout=30_000)
    page.goto((site / "08_backward_and_fan_modes.html").as_uri())
    # the saved controls come back (ipywidgets' own views), with the note about a kernel
    page.locator(".widget-dropdown, .widget-toggle-buttons, .widget-slider").first.wait_for(
        timeout=30_000
    )
    assert page.locator(".kl-kernel-note a[href$='#run-live']").count() >= 1


def _page_view(page, multiplier: float, depth: int, index: int = 0) -> dict:
    return page.evaluate(
        "([m, d, i]) => { const root = document.querySelectorAll('.kl-explorer')[i];"
        " const data = JSON.parse(root.querySelector('script.kl-data').textContent);"
        " return window.kaimingStatic.compute(data, m, d); }",
        [multiplier, depth, index],
    )


def _close(a, b) -> bool:
    """Equal up to rounding (JavaScript's and numpy's ``pow`` may differ in the last bit)."""
    if a is None or b is None or (isinstance(b, float) and math.isnan(b)):
        return (a is None or (isinstance(a, float) and math.isnan(a))) and (
            b is None or math.isnan(b)
        )
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=0.0)


def test_static_explorer_numbers_equal_the_python_explorer(site, offline_page):
    page = offline_page
    page.goto((site / "explorer_dashboard.html").as_uri())
    page.wait_for_function("() => !!window.kaimingStatic")
    model = ExplorerModel()
    for multiplier, depth in SETTINGS:
        got = _page_view(page, multiplier, depth)
        view = model.compute(ExplorerState(multiplier=multiplier, depth=depth))
        for key in ("rms_z", "theory_std", "mean_sq_grad", "grad_theory"):
            want = getattr(view, key).tolist()
            assert len(got[key]) == len(want), (multiplier, depth, key)
            bad = [
                (i, g, w)
                for i, (g, w) in enumerate(zip(got[key], want, strict=True))
                if not _close(g, w)
            ]
            assert not bad, (multiplier, depth, key, bad[:3])
        assert got["status"] == view.status, (multiplier, depth)
        assert got["headline"] == view.assessment.headline, (multiplier, depth)
        assert got["detail"] == view.assessment.detail, (multiplier, depth)


@pytest.mark.parametrize(
    ("activation", "slope"), [("leaky_relu", 0.2), ("linear", 0.01)], ids=["leaky", "linear"]
)
def test_static_explorer_numbers_equal_the_python_explorer_for_other_activations(
    site, offline_page, activation, slope
):
    """The page's computation fed the stored run of another rescalable activation."""
    page = offline_page
    page.goto((site / "explorer_dashboard.html").as_uri())
    page.wait_for_function("() => !!window.kaimingStatic")
    model = ExplorerModel()
    base = ExplorerState(activation=activation, slope=slope)
    data = build.static_data(base, model=model)
    assert data["rescalable"]
    for multiplier, depth in [(1.0, 50), (0.5, 30), (2.0, 100)]:
        got = page.evaluate(
            "([data, m, d]) => window.kaimingStatic.compute(data, m, d)",
            [data, multiplier, depth],
        )
        view = model.compute(dataclasses.replace(base, multiplier=multiplier, depth=depth))
        for key in ("rms_z", "theory_std", "mean_sq_grad", "grad_theory"):
            want = getattr(view, key).tolist()
            assert all(_close(g, w) for g, w in zip(got[key], want, strict=True)), key
        assert got["headline"] == view.assessment.headline, (activation, multiplier, depth)


def test_static_explorer_moves_by_keyboard_and_speaks_its_verdict(site, offline_page):
    page = offline_page
    page.goto((site / "explorer_dashboard.html").as_uri())
    live = page.locator(".kl-explorer [aria-live='polite']").first
    live.wait_for()
    assert live.text_content().startswith("stable:")
    slider = page.get_by_label("Var(W) in units of 2/width: weight variance", exact=False).first
    slider.focus()
    page.keyboard.press("ArrowRight")
    assert live.text_content().startswith("exploding:"), live.text_content()
    assert page.locator(".kl-readout").first.text_content() == "×1.05"
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    assert live.text_content().startswith("vanishing:"), live.text_content()
    depth = page.get_by_label("depth: number of layers shown").first
    depth.focus()
    page.keyboard.press("Home")
    assert "over 1 layer" in live.text_content()


def _open(page, path: Path) -> None:
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    page.wait_for_timeout(300)  # MathJax and the widget manager render after load


def test_every_page_passes_axe(site, offline_page):
    """No serious or critical violation on any page; missing alt text is the next test's."""
    page = offline_page
    for path in sorted(site.glob("*.html")):
        _open(page, path)
        _a11y.assert_no_serious_violations(page, context=f"site/{path.name}")


#: Every page: its figures carry a text alternative (the notebooks show them through
#: kaiming_lab.style.show; nbconvert's stand-in "No description has been provided for
#: this image" counts as missing).
_PAGES = sorted(p.stem for p in S.NOTEBOOKS.glob("*.ipynb"))


@pytest.mark.parametrize("name", _PAGES)
def test_every_figure_has_alt_text(site, offline_page, name):
    page = offline_page
    _open(page, site / f"{name}.html")
    missing = page.evaluate(
        "() => Array.from(document.querySelectorAll('img')).filter(i => !i.alt"
        " || i.alt.startsWith('No description has been provided')).length"
    )
    assert missing == 0, f"{name}: {missing} image(s) without a text alternative"


def test_every_page_has_its_own_title():
    titles = [build.title_of(nbformat.read(p, as_version=4), p.stem) for p in build.pages()]
    assert all(titles) and "untitled" not in titles, titles
    assert len(set(titles)) == len(titles), titles


def test_a_title_keeps_its_underscores():
    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell("# 08 · **fan_in** or `fan_out`")]
    )
    assert build.title_of(nb, "x") == "08 · fan_in or fan_out"


def test_a_panel_no_longer_lists_the_helper_widget_the_page_drops():
    """The lessons' slider panels hold an anywidget that names their controls in a kernel;
    the page does not carry its front end, so the panel must not list it as a child."""
    controls, extra = "@jupyter-widgets/controls", {"version_major": 2, "version_minor": 0}
    state = {
        "aa01": {"model_module": controls, "model_name": "VBoxModel", "state": {}},
        "bb02": {"model_module": controls, "model_name": "IntSliderModel", "state": {}},
        "cc03": {"model_module": "anywidget", "model_name": "AnyModel", "state": {}},
    }
    state["aa01"]["state"]["children"] = ["IPY_MODEL_bb02", "IPY_MODEL_cc03"]
    view = {"model_id": "aa01", "version_major": 2, "version_minor": 0}
    cell = nbformat.v4.new_code_cell(
        outputs=[nbformat.v4.new_output("display_data", data={build.WIDGET_VIEW: view})]
    )
    nb = nbformat.v4.new_notebook(cells=[cell])
    nb.metadata["widgets"] = {build.WIDGET_STATE: {"state": state, **extra}}
    build.prepare(nb, iter(range(1, 10)))
    state = nb.metadata["widgets"][build.WIDGET_STATE]["state"]
    assert sorted(state) == ["aa01", "bb02"]
    assert state["aa01"]["state"]["children"] == ["IPY_MODEL_bb02"]
    assert "kl-kernel-note" in nb.cells[0].outputs[1]["data"]["text/html"]
