"""Notebook 11's scaffolding (``kaiming_lab.lessons.nb11_pytorch``), against hand computations.

Skips with a message when PyTorch is missing (fails instead under ``.ci/run``,
which installs it). The install message and the clean stop of the notebook's
first cell (``nb11_setup``) need no PyTorch and always run.
"""

from __future__ import annotations

import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from _scripts import load_script
from torch_support import require_torch

from kaiming_lab.data import load_digits_split
from kaiming_lab.lessons import nb11_setup


def test_install_message_names_the_cpu_build(capsys) -> None:
    with pytest.raises(nb11_setup.TorchMissing) as info:
        nb11_setup.require_torch(available=False)
    out = capsys.readouterr().out
    assert "download.pytorch.org/whl/cpu" in out and "pytorch-cpu" in out and "CUDA" in out
    assert info.value._render_traceback_() == []  # IPython shows no traceback
    nb11_setup.require_torch(available=True)  # nothing happens when PyTorch is there


def _notebook_conftest():
    return load_script("notebooks/conftest.py", "notebooks_conftest")


def test_notebook_11_skips_only_without_torch_outside_ci(monkeypatch) -> None:
    hook = _notebook_conftest()
    monkeypatch.setattr(hook.importlib.util, "find_spec", lambda name: None)  # no PyTorch
    monkeypatch.delenv("KAIMING_LAB_REQUIRE_TORCH", raising=False)
    marked: dict[str, list] = {"11_kaiming_in_pytorch.ipynb": [], "03_variance_of_a_sum.ipynb": []}
    items = [
        SimpleNamespace(path=Path("notebooks") / name, add_marker=marks.append)
        for name, marks in marked.items()
    ]
    hook.pytest_collection_modifyitems(None, items)
    assert [m.name for m in marked["11_kaiming_in_pytorch.ipynb"]] == ["skip"]
    assert marked["03_variance_of_a_sum.ipynb"] == []  # the others run without PyTorch
    monkeypatch.setenv("KAIMING_LAB_REQUIRE_TORCH", "1")  # CI: never skipped
    assert not hook.torch_missing()


@pytest.fixture(scope="module")
def lesson():
    require_torch().set_num_threads(1)  # small matrices: one thread, as the Makefile's BLAS
    from kaiming_lab.lessons import nb11_pytorch

    return nb11_pytorch


@pytest.fixture(scope="module")
def torch():
    return require_torch()


def test_hook_recorder_matches_a_hand_computation(lesson, torch) -> None:
    gen = torch.Generator().manual_seed(0)
    net = lesson.plain_net([5, 40, 40, 3], "relu")
    x = torch.randn(64, 5, generator=gen)
    with lesson.HookRecorder(lesson.activations(net)) as rec, torch.no_grad():
        net(x)
        h1 = torch.relu(net[0](x))
        h2 = torch.relu(net[2](h1))
    for j, h in enumerate((h1, h2)):
        h = h.double()
        assert math.isclose(rec.last("std")[j], h.std().item(), rel_tol=1e-12)
        assert math.isclose(rec.last("mean")[j], h.mean().item(), rel_tol=1e-12)
        assert rec.last("zeros")[j] == (h == 0).double().mean().item()
    net(x)
    assert len(rec.records["1"]) == 1  # removed on leaving the block: no second record


def test_hook_recorder_refuses_no_modules(lesson) -> None:
    with pytest.raises(ValueError, match="modules"):
        lesson.HookRecorder({})


def test_update_ratio_equals_the_sgd_step(lesson, torch) -> None:
    net = lesson.plain_net([8, 16, 4], "tanh")
    gen = torch.Generator().manual_seed(1)
    x, y = torch.randn(32, 8, generator=gen), torch.randint(4, (32,), generator=gen)
    torch.nn.functional.cross_entropy(net(x), y).backward()
    layer = net[0]
    before = layer.weight.detach().clone()
    ratio = lesson.update_to_data_ratio(before, layer.weight.grad, 0.3)
    torch.optim.SGD(net.parameters(), lr=0.3).step()
    step = (layer.weight.detach() - before).double()
    assert math.isclose(ratio, step.std().item() / before.double().std().item(), rel_tol=1e-5)


def test_lsuv_gives_unit_std_on_its_batch(lesson, torch) -> None:
    torch.manual_seed(0)
    net = lesson.plain_net([10, 30, 30, 30, 5], "relu")
    batch = torch.randn(128, 10, generator=torch.Generator().manual_seed(2)) * 3
    used = lesson.lsuv_(net, batch, tol=1e-4, max_iter=20)
    with lesson.HookRecorder(dict(enumerate(lesson.linears(net)))) as rec, torch.no_grad():
        net(batch)
    assert np.abs(rec.last("std") - 1).max() < 1e-4 and max(used) < 20
    for layer in lesson.linears(net):  # orthogonal rows, rescaled by one factor
        w = layer.weight.detach().double()
        gram = w @ w.T if w.shape[0] <= w.shape[1] else w.T @ w
        assert torch.allclose(gram / gram[0, 0], torch.eye(len(gram), dtype=w.dtype), atol=1e-5)


def test_depth_scale_against_chi1(lesson) -> None:
    # ordered side: q* = 0, chi_1 = sigma_w^2 tanh'(0)^2 = sigma_w^2
    assert math.isclose(lesson.depth_scale(0.5), -1 / math.log(0.5), rel_tol=1e-12)
    assert lesson.depth_scale(1.0) == math.inf
    # chaotic side: slope of the correlation map at c* = 0, by a finite difference
    from kaiming_lab import correlation_map

    for s in (1.5, 4.0):
        slope = (correlation_map("tanh", 1e-3, s) - correlation_map("tanh", -1e-3, s)) / 2e-3
        assert math.isclose(lesson.depth_scale(s), -1 / math.log(slope), rel_tol=1e-3)


def test_residual_growth_zero_branch_is_identity(lesson) -> None:
    assert np.array_equal(lesson.residual_growth(5, 0.0, width=16, batch=8), np.ones(5))
    grown = lesson.residual_growth(3, 1.0, width=16, batch=8)
    assert np.all(np.diff(grown) > 0)  # the branch only adds


def test_plain_net_layout_and_bad_input(lesson, torch) -> None:
    net = lesson.plain_net([4, 6, 6, 2], "tanh", norm="layer")
    kinds = [type(m).__name__ for m in net]
    assert kinds == ["Linear", "LayerNorm", "Tanh", "Linear", "LayerNorm", "Tanh", "Linear"]
    with pytest.raises(ValueError, match="activation"):
        lesson.plain_net([4, 2], "sigmoid")
    with pytest.raises(ValueError, match="norm"):
        lesson.plain_net([4, 2], norm="group")
    with pytest.raises(ValueError, match="widths"):
        lesson.plain_net([4])


def test_digit_tensors_upsample(lesson) -> None:
    data = load_digits_split(test_fraction=0.2, seed=0)
    X, _, X_test, _ = lesson.digit_tensors(data, size=16)
    assert X.shape == (len(data.y_train), 1, 16, 16) and X_test.shape[1:] == (1, 16, 16)
    flat = lesson.digit_tensors(data)[0]
    assert np.allclose(flat.numpy(), data.X_train, atol=1e-6)
    # bilinear upsampling by 2 keeps each image's mean, up to float32 rounding
    per_image = X.mean(dim=(1, 2, 3)).numpy()
    assert np.ptp(per_image) > 0.1  # images differ, so agreeing image by image means something
    np.testing.assert_allclose(per_image, flat.mean(dim=1).numpy(), rtol=0, atol=1e-5)


def test_trainability_grid(lesson) -> None:
    tensors = lesson.digit_tensors(load_digits_split(test_fraction=0.2, seed=0))
    acc = lesson.trainability_grid(tensors, [1.0, 0.3], [2, 12], steps=100)
    assert acc.shape == (2, 2) and acc[0].min() > 0.5  # shallow nets learn (chance 0.1)
    assert acc[1, 1] < 0.3  # 12 ordered layers: gradients shrink by 0.3 per layer
    alone = lesson.trainability_grid(tensors, [0.3], [12], steps=100)
    assert alone[0, 0] == acc[1, 1]  # the batched nets do not mix


# --------------------------------------------------------------------------- exercise checks


def test_forward_hook_check(lesson) -> None:
    def right(store):
        return lambda m, i, o: store.append((o.std().item(), (o == 0).float().mean().item()))

    def variance(store):
        return lambda m, i, o: store.append((o.var().item(), (o == 0).float().mean().item()))

    def nonzero(store):
        return lambda m, i, o: store.append((o.std().item(), (o != 0).float().mean().item()))

    def stub(store):
        raise NotImplementedError

    assert lesson.check_forward_hook(right)
    assert "variance" in str(lesson.check_forward_hook(variance))
    assert "non-zero" in str(lesson.check_forward_hook(nonzero))
    assert not lesson.check_forward_hook(stub).answered


def test_conv_fan_in_check(lesson) -> None:
    assert lesson.check_conv_fan_in(lambda w: w.shape[1] * math.prod(w.shape[2:]))
    assert "fan_out" in str(lesson.check_conv_fan_in(lambda w: w.shape[0] * math.prod(w.shape[2:])))
    assert "kernel" in str(lesson.check_conv_fan_in(lambda w: w.shape[1]))


def test_update_ratio_check(lesson) -> None:
    assert lesson.check_update_ratio(lambda w, g, lr: ((lr * g).std() / w.std()).item())
    assert lesson.check_update_ratio(lambda w, g, lr: (lr * g).std() / w.std())  # a tensor
    assert "multiply by lr" in str(
        lesson.check_update_ratio(lambda w, g, lr: (g.std() / w.std()).item())
    )
    assert "upside down" in str(
        lesson.check_update_ratio(lambda w, g, lr: (w.std() / (lr * g).std()).item())
    )
    assert "norms" in str(
        lesson.check_update_ratio(lambda w, g, lr: ((lr * g).norm() / w.norm()).item())
    )


def _contrast_on_white(colour: str) -> float:
    """WCAG contrast ratio of ``colour`` against white."""
    from matplotlib.colors import to_rgb

    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in to_rgb(colour)]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return 1.05 / (luminance + 0.05)


def test_layer_styles_are_dark_distinct_and_name_the_output(lesson) -> None:
    styles = [lesson.layer_style(j, 6, output_last=True) for j in range(6)]
    assert all(_contrast_on_white(s["color"]) >= 3.0 for s in styles)  # no pale lines
    assert len({(s["color"], str(s["ls"])) for s in styles}) == 6
    assert styles[-1]["label"] == "layer 6 (output)" and styles[0]["label"] == "layer 1"
    hidden = [lesson.layer_style(j, 5) for j in range(5)]  # the same layer, the same style
    assert all(
        h == {**s, "label": f"layer {j + 1}"}
        for j, (h, s) in enumerate(zip(hidden, styles[:5], strict=True))
    )


def test_outputs_and_gradients_match_autograd(lesson, torch) -> None:
    gen = torch.Generator().manual_seed(2)
    net = lesson.plain_net([5, 12, 12, 3], "tanh")
    x, y = torch.randn(16, 5, generator=gen), torch.randint(3, (16,), generator=gen)
    outputs, grads = lesson.outputs_and_gradients(net, x, y)
    h1 = torch.tanh(net[0](x))
    assert len(outputs) == 2 and len(grads) == 2 and torch.allclose(outputs[0], h1)
    net.zero_grad()
    torch.nn.functional.cross_entropy(net(x), y).backward()
    assert torch.equal(grads[1], net[2].weight.grad)  # the hidden layers' weight gradients
    assert not net[1]._forward_hooks  # the temporary hooks are gone


def test_layer_histograms_figure(lesson, torch) -> None:
    import matplotlib.pyplot as plt

    gen = torch.Generator().manual_seed(3)
    nets = {
        "a": lesson.plain_net([5, 8, 8, 3], "tanh"),
        "b": lesson.plain_net([5, 8, 8, 3], "tanh"),
    }
    x, y = torch.randn(16, 5, generator=gen), torch.randint(3, (16,), generator=gen)
    fig = lesson.plot_layer_histograms(nets, x, y, when="step 0")
    titles = [ax.get_title() for ax in fig.axes[:2]]
    assert titles == ["a, step 0", "b, step 0"] and len(fig.axes) == 4
    assert len(fig.axes[2].lines) == 2  # one line per hidden layer
    plt.close(fig)
