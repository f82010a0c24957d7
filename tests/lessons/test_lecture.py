"""The lecture deck's helpers: signal size per layer, variance over networks, the saved figure."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from types import SimpleNamespace

import matplotlib.pyplot as plt
import numpy as np
import pytest

from kaiming_lab.lessons import lecture

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_forward_rms_scales_by_sqrt_m_per_layer_for_the_same_draws():
    # ReLU(c z) = c ReLU(z): the same draws scaled by sqrt(m) scale layer h by sqrt(m)^(h+1)
    kaiming = lecture.forward_rms(1.0, depth=12, width=32, seed=4)
    half = lecture.forward_rms(0.5, depth=12, width=32, seed=4)
    np.testing.assert_allclose(kaiming / half, np.sqrt(2.0) ** np.arange(1, 13), rtol=1e-10)


def test_forward_rms_at_kaiming_starts_near_twice_the_input_mean_square():
    rms = lecture.forward_rms(1.0, depth=3, width=512, batch=256, seed=0)
    assert rms.shape == (3,)
    assert abs(rms[0] ** 2 - 2.0) < 0.1  # d * (2/d) * E[x^2] with E[x^2] = 1


def test_forward_rms_survives_overflow_quietly():
    with np.errstate(all="raise"):
        rms = lecture.forward_rms(100.0, depth=400, width=16, seed=0)
    assert not np.isfinite(rms[-1])


def test_var_z_over_networks_matches_layer_0_theory_at_every_layer():
    x = np.random.default_rng(1).standard_normal(32)
    var, se = lecture.var_z_over_networks(x, depth=4, n_networks=400, seed=5)
    assert var.shape == se.shape == (4,)
    assert np.all(np.abs(var - 2 * np.mean(x**2)) < 4.5 * se)


def test_plot_rms_by_layer_labels_each_curve_at_its_end():
    ax = lecture.plot_rms_by_layer({"a": np.array([1.0, 2.0]), "b": np.array([1.0, 0.5])})
    assert [t.get_text() for t in ax.texts] == ["a", "b"]
    assert ax.get_yscale() == "log"


def _history(depth: int, init: str) -> SimpleNamespace:
    """What the accuracy plot reads from a training history."""
    return SimpleNamespace(
        label=f"{init}, {depth} layers",
        init=init,
        depth=depth,
        widths=[64] * depth + [10],
        test_accuracy=np.linspace(0.1, 0.9, 6),
        diverged_at_epoch=None,
    )


def test_training_figure_fits_a_slide():
    fig = lecture.plot_training_result([_history(22, "kaiming"), _history(30, "xavier")])
    width, height = fig.get_size_inches()
    assert 2 * lecture.style.DPI * width >= 1000 and width / height <= 2.5


def test_committed_training_figure_is_sharp_and_not_a_strip():
    raw = lecture.TRAINING_FIGURE.read_bytes()
    assert raw[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(raw[16:20], "big"), int.from_bytes(raw[20:24], "big")
    assert width >= 1000 and width / height <= 2.5


def test_weight_gradient_rms_scales_by_m_to_the_half_depth_minus_one_in_every_layer():
    # forward signal into layer h shrinks by sqrt(m)^h, the gradient back to it by
    # sqrt(m)^(depth-1-h): their product by sqrt(m)^(depth-1), the same in every layer
    kaiming = lecture.weight_gradient_rms(1.0, depth=9, width=16, batch=8, seed=2)
    xavier = lecture.weight_gradient_rms(0.5, depth=9, width=16, batch=8, seed=2)
    np.testing.assert_allclose(kaiming / xavier, np.sqrt(2.0) ** 8, rtol=1e-10)


def test_weight_gradient_rms_under_kaiming_keeps_its_size_through_depth():
    rms = lecture.weight_gradient_rms(1.0, depth=30, width=256, seed=0)
    assert rms.shape == (30,)
    assert 1 / 3 < rms[-1] / rms[0] < 3  # one finite-width net wobbles, it does not drift


def test_committed_puzzle_figure_is_sharp_and_not_a_strip():
    raw = lecture.PUZZLE_FIGURE.read_bytes()
    assert raw[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(raw[16:20], "big"), int.from_bytes(raw[20:24], "big")
    assert width >= 1000 and width / height <= 2.5


def test_rms_figure_alt_text_is_computed_from_the_curves():
    curves = {"m = 2": np.array([1.0, 4.0, 16.0]), "m = 1": np.array([2.0, 2.0, 1.0])}
    text = lecture.describe_rms_by_layer(curves)
    assert "over 3 layers" in text
    assert "m = 2 ends at 16 times its start" in text and "m = 1 ends at 0.5 times" in text
    with pytest.raises(ValueError, match="curves"):
        lecture.describe_rms_by_layer({})


def test_saved_figures_carry_their_alt_text():
    for name, alt in lecture.SAVED_FIGURE_ALT.items():
        image = lecture.saved_figure(name, width=300)
        assert image.alt == alt and image.width == 300
        assert image.data == lecture.FIGURES.joinpath(name).read_bytes()
    with pytest.raises(ValueError, match="saved figures.*'explorer.png'"):
        lecture.saved_figure("explorer.png", width=300)


def test_saved_figures_are_package_data_not_repository_files():
    package = Path(lecture.__file__).resolve().parent
    for path in (lecture.TRAINING_FIGURE, lecture.PUZZLE_FIGURE):
        assert Path(str(path)).resolve().parent == package / "data"
    assert sorted(p.name for p in lecture.FIGURES.iterdir()) == sorted(lecture.SAVED_FIGURE_ALT)


_INSTALLED_CHECK = """
import sys
from kaiming_lab.lessons import lecture
assert lecture.__file__.startswith(sys.argv[1]), lecture.__file__
for name in lecture.SAVED_FIGURE_ALT:
    assert lecture.saved_figure(name, width=100).data[:8] == b"\\x89PNG\\r\\n\\x1a\\n", name
print("ok")
"""


def test_a_built_wheel_carries_the_saved_figures(tmp_path):
    """Build the wheel (no editable install, no repository beside it) and show the figures from it.

    The package's files are copied away from the repository first, so nothing can reach
    ``docs/`` or the working tree; the wheel is unpacked as pip would into site-packages.
    """
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, source / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "kaiming_lab", source / "kaiming_lab", ignore=ignore)
    built = tmp_path / "wheel"
    pip = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check"]
    subprocess.run([*pip, "-q", "-w", str(built), str(source)], check=True, capture_output=True)
    (wheel,) = built.glob("kaiming_lab-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        for name in lecture.SAVED_FIGURE_ALT:
            packed = archive.read(f"kaiming_lab/lessons/data/{name}")
            assert packed == lecture.FIGURES.joinpath(name).read_bytes(), name
        site = tmp_path / "site-packages"
        archive.extractall(site)
    shutil.rmtree(source)
    done = subprocess.run(
        [
            sys.executable,
            "-I",
            "-c",
            f"import sys; sys.path.insert(0, {str(site)!r})\n" + _INSTALLED_CHECK,
            str(site),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
