"""One random stream per part of a seeded network: each layer's weights, the biases, the inputs.

:func:`~kaiming_lab.propagation.simulate_forward` does not draw everything
from one generator in a row. It derives, from its ``seed``, one
``numpy.random.SeedSequence`` per part of the network, by appending a key to
the seed's spawn key (``numpy``'s own way of making independent child
streams). For an integer seed::

    W^(h)        ->  key (0, h)      standard normals, then scaled
    b^(h)        ->  key (1, h)      only when bias_variance > 0
    inputs x     ->  key (2,)
    output grad  ->  key (3,)        the backward pass's dL/dx^(H)

What this buys:

* **Depths nest.** With the same seed and width, a depth-``L`` network is the
  first ``L`` layers of the depth-100 one: same weights, same inputs. A
  change of depth shows the same network, longer or shorter.
* **Any layer on its own.** ``W^(h)`` can be drawn without drawing
  ``W^(0) .. W^(h-1)`` first, so the explorer draws layers only when it shows
  them (and again, identically, when it dropped them to save memory).

The streams are independent of each other in the sense ``SeedSequence``
guarantees (distinct keys give unrelated bit streams). The keys are the ones
``numpy`` itself hands out, so plain numpy gives the same streams::

    weight_seq, bias_seq, input_seq, grad_seq = np.random.SeedSequence(seed).spawn(4)
    layer_rngs = [np.random.default_rng(s) for s in weight_seq.spawn(depth)]

A ``numpy.random.Generator`` passed as ``seed`` is different: it *is* a
stream, and it is used as one, in the order weights (layer by layer), biases,
inputs, output gradient, the way a hand-written loop with one ``rng`` draws.
It advances, so two calls with one generator give two networks (this is how
:func:`~kaiming_lab.ensembles.simulate_networks` gives each network its own
spawned generator).
"""

from __future__ import annotations

import numpy as np

from ._validation import check_int, check_seed

__all__ = ["BIASES", "INPUTS", "OUTPUT_GRADIENT", "WEIGHTS", "NetworkStreams"]

#: First element of each part's key.
WEIGHTS, BIASES, INPUTS, OUTPUT_GRADIENT = 0, 1, 2, 3


class NetworkStreams:
    """The random streams of one seeded network (see the module docstring).

    ``seed`` is ``None`` (fresh entropy), a non-negative integer or a
    ``numpy.random.Generator``. For ``None`` or an integer every method
    returns a *new* generator at the start of its part's stream, so asking
    twice gives the same numbers::

        streams = NetworkStreams(0)
        g0 = streams.weights(0).standard_normal((256, 256))   # G^(0)
        x = streams.inputs().standard_normal((512, 256))

    For a ``Generator`` every method returns that generator itself: one
    stream, consumed in the order of the calls.
    """

    __slots__ = ("_one_stream", "root")

    def __init__(self, seed: int | np.random.Generator | None = 0) -> None:
        seed = check_seed(seed, "seed")
        self._one_stream: np.random.Generator | None = None
        self.root: np.random.SeedSequence | None = None
        if isinstance(seed, np.random.Generator):
            self._one_stream = seed
        else:
            self.root = np.random.SeedSequence(seed)

    def __repr__(self) -> str:
        if self.root is None:
            return f"NetworkStreams({self._one_stream!r})"
        return f"NetworkStreams(entropy={self.root.entropy!r})"

    def _stream(self, *key: int) -> np.random.Generator:
        if self.root is None:
            return self._one_stream
        child = np.random.SeedSequence(self.root.entropy, spawn_key=self.root.spawn_key + key)
        return np.random.default_rng(child)

    def weights(self, layer: int) -> np.random.Generator:
        """The generator of ``W^(layer)``'s draws (``layer = 0, 1, ...``)."""
        return self._stream(WEIGHTS, check_int("layer", layer, minimum=0))

    def biases(self, layer: int) -> np.random.Generator:
        """The generator of ``b^(layer)``'s draws."""
        return self._stream(BIASES, check_int("layer", layer, minimum=0))

    def inputs(self) -> np.random.Generator:
        """The generator of the input batch ``x``."""
        return self._stream(INPUTS)

    def output_gradient(self) -> np.random.Generator:
        """The generator of the backward pass's output gradient ``dL/dx^(H)``."""
        return self._stream(OUTPUT_GRADIENT)
