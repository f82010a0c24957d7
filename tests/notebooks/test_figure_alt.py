"""Figures with a text alternative: ``style.figure_bundle`` / ``style.show`` and the site."""

from __future__ import annotations

import base64

import matplotlib.pyplot as plt
import nbformat
import pytest
from _scripts import load_script

from kaiming_lab import style

ALT = "rms(z) per layer: flat at Kaiming's variance"


#: site/build.py, loaded once for the tests of the static edition below
build = load_script("site/build.py", "site_build")


def _figure():
    fig, ax = plt.subplots(figsize=(4, 3), dpi=80)
    ax.plot([0, 1, 2], [1, 1, 1])
    return fig


def test_bundle_carries_alt_in_the_png_metadata_and_as_text():
    fig = _figure()
    data, metadata = style.figure_bundle(fig, ALT)
    plt.close(fig)
    png = base64.b64decode(data["image/png"])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert metadata["image/png"]["alt"] == ALT == data["text/plain"]
    # drawn at twice the dpi, shown at the figure's size (trimmed by bbox_inches="tight")
    assert int.from_bytes(png[16:20], "big") == 2 * metadata["image/png"]["width"]
    assert 0 < metadata["image/png"]["width"] <= 4 * 80


@pytest.mark.parametrize("alt", ["", "   ", None, 3])
def test_bundle_refuses_a_missing_alt(alt):
    fig = _figure()
    with pytest.raises(ValueError, match="alt must be a non-empty sentence"):
        style.figure_bundle(fig, alt)
    plt.close(fig)


def test_the_static_edition_puts_the_alt_on_the_img():
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    fig = _figure()
    data, metadata = style.figure_bundle(fig, ALT)
    plt.close(fig)
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("style.show(fig, ...)")
    cell.outputs = [nbformat.v4.new_output("display_data", data=data, metadata=metadata)]
    nb.cells = [nbformat.v4.new_markdown_cell("# A page"), cell]
    config = Config()
    config.HTMLExporter.extra_template_basedirs = [str(build.SITE / "templates")]
    config.HTMLExporter.template_name = "kaiming"
    body, _ = HTMLExporter(config=config).from_notebook_node(nb, resources={"nav": ""})
    assert f'alt="{ALT}"'.replace("'", "&#39;") in body or f'alt="{ALT}"' in body


def test_a_figure_saved_inside_a_widget_output_keeps_its_alt_on_the_page():
    """The widget manager drops an image's metadata; the site saves the figure as HTML too."""
    fig = _figure()
    data, metadata = style.figure_bundle(fig, ALT + ' & "quoted"')
    plt.close(fig)
    plain = {"image/png": data["image/png"], "text/plain": "<Figure>"}
    outputs = [
        {"output_type": "display_data", "data": dict(data), "metadata": metadata},
        {"output_type": "display_data", "data": plain, "metadata": {}},  # no alt: left alone
    ]
    state = {"out": {"model_name": "OutputModel", "state": {"outputs": outputs}}}
    build._alt_images(state)
    first, second = state["out"]["state"]["outputs"]
    html_img = first["data"]["text/html"]
    assert "image/png" not in first["data"] and data["image/png"] in html_img
    escaped = "rms(z) per layer: flat at Kaiming&#x27;s variance &amp; &quot;quoted&quot;"
    assert f'alt="{escaped}"' in html_img
    assert f'width="{metadata["image/png"]["width"]}"' in html_img
    assert second["data"] == plain
