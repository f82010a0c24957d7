"""The half-variance integral ``E[ReLU(z)^2]`` by quadrature, for any distribution of ``z``.

If ``z`` is symmetric about 0 (``p(z) = p(-z)``) with finite variance, then

    E[ReLU(z)^2] = int_0^inf z^2 p(z) dz = (1/2) int z^2 p(z) dz = Var(z)/2,

the identity behind Kaiming's factor 2. :func:`half_variance_integral` computes
the left side by quadrature beside ``Var(z)/2`` for a symmetric
``scipy.stats`` distribution; :func:`relu_second_moment` computes it for any
continuous one (shifted or skewed too, where the identity fails).

Method: with ``z = loc + scale u`` and ``u`` from the family's standard form
(density ``p0``, quantile function ``Q0``),

    E[ReLU(z)^2] = scale^2 int_{u > -loc/scale} (loc/scale + u)^2 p0(u) du,

integrated by ``scipy.integrate.quad`` on pieces split at quantiles of ``p0``
(refined a decade at a time in heavy tails), and cross-checked against
``scale^2 int (loc/scale + Q0(p))^2 dp`` over the probabilities above the
cut. The two must agree within their reported errors (relative 1e-7), or a
``ValueError`` says so; no scipy warning escapes. scipy is imported where
used, so importing the package needs no scipy.
"""

from __future__ import annotations

import itertools
import math
import warnings
from dataclasses import dataclass

import numpy as np

from ._validation import check_float

__all__ = ["HalfVarianceResult", "half_variance_integral", "relu_second_moment"]


@dataclass(frozen=True)
class HalfVarianceResult:
    """``E[ReLU(z)^2]`` by quadrature next to ``Var(z)/2``."""

    integral: float
    abserr: float
    half_variance: float

    def __post_init__(self) -> None:
        for label in ("integral", "abserr", "half_variance"):
            value = check_float(label, getattr(self, label), minimum=0.0)
            object.__setattr__(self, label, value)

    @property
    def difference(self) -> float:
        """``integral - half_variance``."""
        return self.integral - self.half_variance

    def __str__(self) -> str:
        return (
            f"E[ReLU(z)^2] = {self.integral:.6f} (quad error {self.abserr:.1e}),  "
            f"Var(z)/2 = {self.half_variance:.6f}"
        )


def _describe(dist) -> str:
    name = getattr(getattr(dist, "dist", None), "name", type(dist).__name__)
    return f"{name}(args={getattr(dist, 'args', ())}, kwds={getattr(dist, 'kwds', {})})"


def _check_distribution(dist) -> None:
    from scipy import stats  # imported where used: importing the package needs no scipy

    if not isinstance(getattr(dist, "dist", None), stats.rv_continuous):
        raise TypeError(
            f"dist must be a frozen continuous scipy.stats distribution such as "
            f"scipy.stats.norm(0, 1), got {dist!r}"
        )


@dataclass(frozen=True)
class _Standardised:
    """``z = loc + scale * u`` with ``u`` from ``standard`` (the family at loc 0, scale 1)."""

    standard: object
    loc: float
    scale: float


def _standardise(dist) -> _Standardised:
    """Split a frozen distribution into its standard form, ``loc`` and ``scale``.

    scipy's continuous families are ``loc + scale * u`` with the shape
    parameters first (``numargs`` of them, positional or by name), then
    ``loc`` and ``scale``.
    """
    family = dist.dist
    args, kwds = tuple(dist.args), dict(dist.kwds)
    shapes = args[: family.numargs]
    rest = args[family.numargs :]
    loc = rest[0] if len(rest) > 0 else kwds.pop("loc", 0.0)
    scale = rest[1] if len(rest) > 1 else kwds.pop("scale", 1.0)
    kwds.pop("loc", None)
    kwds.pop("scale", None)
    values = {"loc": loc, "scale": scale}
    for key, value in values.items():
        arr = np.asarray(value)
        if arr.ndim != 0 or arr.dtype.kind not in "biuf" or not np.isfinite(arr):
            raise ValueError(
                f"dist must have one finite {key}, got {key}={value!r} in {_describe(dist)}"
            )
    if float(scale) <= 0.0:
        raise ValueError(f"dist must have scale > 0, got scale={scale!r} in {_describe(dist)}")
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        standard = family(*shapes, **kwds)
        valid = bool(np.all(np.isfinite(standard.support())) or standard.pdf(0.0) >= 0)
    if not valid:  # pragma: no cover - scipy rejects bad shapes itself
        raise ValueError(f"dist has invalid shape parameters: {_describe(dist)}")
    return _Standardised(standard, float(loc), float(scale))


#: Tail probabilities at which the standard form's quantiles (both tails) split the integral.
_SPLIT_PROBABILITIES = (1e-300, 1e-100, 1e-30, 1e-12, 1e-9, 1e-6, 0.001, 0.05, 0.25, 0.5)
#: A lower limit with less probability than this below it is moved to the end of the support.
_NEGLIGIBLE_MASS = 1e-300
#: Relative tolerance of the cross-check between the two integration methods.
_CROSS_CHECK_RTOL = 1e-7


def _quiet_quad(func, lo: float, hi: float, **kwargs) -> tuple[float, float, bool]:
    """``scipy.integrate.quad`` with warnings caught: ``(value, abserr, clean)``."""
    from scipy import integrate

    with warnings.catch_warnings(record=True) as caught, np.errstate(all="ignore"):
        warnings.simplefilter("always")
        value, err = integrate.quad(func, lo, hi, limit=200, epsabs=0.0, **kwargs)
    return float(value), float(err), not caught


def _log_weight(integrand):
    """``u -> |u| integrand(u)``: weight per unit of ``log |u|`` (0 where not finite)."""

    def weight(u: float) -> float:
        with np.errstate(all="ignore"):
            value = abs(u) * integrand(u)
        return value if math.isfinite(value) else 0.0

    return weight


#: Weight (relative to the largest) below which a stretch of ``u`` is not subdivided further.
_NEGLIGIBLE_WEIGHT = 1e-18


def _extend_tails(inner: list[float], lo: float, hi: float, weight, peak: float) -> list[float]:
    """Add edges a decade apart beyond the outermost cuts while a tail still carries weight.

    A tail as heavy as Student-t's with 2.1 degrees of freedom keeps its
    weight ``|u| integrand(u)`` above 1e-18 of the largest for hundreds of
    decades, which quad's transformation of an infinite interval cannot
    resolve. Stops at ``|u| = 1e300``.
    """
    out = list(inner)
    if not out:
        return out
    for end, sign, limit in ((out[-1], 1.0, hi), (out[0], -1.0, lo)):
        u = end
        if sign * u <= 0.0:
            continue
        while abs(u) < 1e299 and sign * (limit - u * 10.0) > 0.0:
            u *= 10.0
            out.append(u)
            if weight(u) <= _NEGLIGIBLE_WEIGHT * peak:
                break
    return sorted(out)


def _geometric_refinement(edges: list[float], weight, peak: float) -> list[float]:
    """Insert a point every factor of 10 between finite edges of one sign that span decades.

    A heavy tail spreads its contribution over many decades of ``u``; quad's
    nodes, spaced evenly on ``[a, b]``, would otherwise step over the part near
    ``a``. Stretches whose ends both carry negligible weight are left whole.
    """
    out = [edges[0]]
    for a, b in itertools.pairwise(edges):
        heavy = max(weight(a), weight(b)) > _NEGLIGIBLE_WEIGHT * peak
        if heavy and math.isfinite(a) and math.isfinite(b) and a * b >= 0 and a != b:
            small, large = sorted((abs(a), abs(b)))
            sign = 1.0 if a + b > 0 else -1.0
            if small == 0.0:  # [0, b]: six decades below b are enough
                points = [sign * large * 10.0**-k for k in range(1, 7)]
            else:
                ratio = large / small
                steps = min(int(math.log10(ratio)), 300) if math.isfinite(ratio) else 300
                points = [sign * small * 10.0**k for k in range(1, steps + 1)]
            out += sorted(p for p in points if a < p < b)
        out.append(b)
    return out


def _density_integral(std: _Standardised, lo: float, hi: float) -> tuple[float, float, bool]:
    """``int_lo^hi (m + u)^2 p0(u) du`` (``m = loc / scale``), split at quantiles of ``p0``."""
    m = std.loc / std.scale
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        cuts = np.concatenate(
            [std.standard.ppf(_SPLIT_PROBABILITIES), std.standard.isf(_SPLIT_PROBABILITIES)]
        ).astype(float)
        if float(std.standard.cdf(lo)) < _NEGLIGIBLE_MASS:
            # the mass below lo is negligible: integrate from the end of the support,
            # so quad's own tail transformation handles the outermost piece
            lo = float(std.standard.support()[0])
    inner = sorted({float(c) for c in cuts if np.isfinite(c) and lo < c < hi})
    pdf = std.standard.pdf

    def integrand(u: float) -> float:
        return (m + u) ** 2 * float(pdf(u))

    weight = _log_weight(integrand)
    peak = max((weight(u) for u in inner), default=0.0)
    inner = _extend_tails(inner, lo, hi, weight, peak)
    edges = _geometric_refinement([lo, *inner, hi], weight, peak)

    total = error = 0.0
    clean = True
    for a, b in itertools.pairwise(edges):
        value, err, ok = _quiet_quad(integrand, a, b)
        total, error, clean = total + value, error + err, clean and ok
    return total, error, clean


def _quantile_integral(std: _Standardised, lo: float) -> tuple[float, float, bool]:
    """The same integral in probability space: ``int (m + Q0(p))^2 dp`` over ``p > F0(lo)``.

    The upper half uses the inverse survival function, so the right tail is
    resolved to the smallest probabilities; the lower half the quantile function.
    """
    m = std.loc / std.scale
    dist = std.standard
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        below = float(dist.cdf(lo))
        above = float(dist.sf(lo))

    def upper(q: float) -> float:
        return (m + float(dist.isf(q))) ** 2

    def lower(p: float) -> float:
        return (m + float(dist.ppf(p))) ** 2

    total = error = 0.0
    clean = True
    if above > 0.0:
        value, err, ok = _quiet_quad(upper, 0.0, min(0.5, above))
        total, error, clean = value, err, ok
    if below < 0.5:
        value, err, ok = _quiet_quad(lower, below, 0.5)
        total, error, clean = total + value, error + err, clean and ok
    return total, error, clean


def relu_second_moment(dist) -> tuple[float, float]:
    """``E[ReLU(z)^2] = int_0^inf z^2 p(z) dz`` by ``scipy.integrate.quad``, cross-checked.

    Works for any frozen continuous ``scipy.stats`` distribution (symmetric or
    not). Returns ``(value, abserr)``.

    The integral is taken in standardised units: with ``z = loc + scale u``,
    ``E[ReLU(z)^2] = scale^2 int_{u > -loc/scale} (loc/scale + u)^2 p0(u) du``,
    split at quantiles of ``p0`` so that ``quad`` sees where the mass is even
    when ``scale`` is 1e-8 or 1e8 or the mass sits far from 0. A second
    method integrates ``(loc/scale + Q0(p))^2`` over probabilities ``p`` (``Q0``
    the quantile function). ``abserr`` is the larger of quad's estimate and
    the gap between the two; ``ValueError`` is raised, naming ``dist``, when
    they disagree beyond their reported errors (relative 1e-7), or when the
    value exceeds the float64 range. Both methods ask quad for relative
    accuracy only (``epsabs=0``), so a tiny result (say 1e-299, from mass far
    below 0) is resolved to its own digits. Where the standardised mass above
    0 is itself below about 1e-300, probabilities are subnormal floats and the
    two methods can disagree: that case is refused with the same ValueError.
    No integration warning escapes.
    """
    _check_distribution(dist)
    return _relu_second_moment(dist, _standardise(dist))


def _relu_second_moment(dist, std: _Standardised) -> tuple[float, float]:
    """:func:`relu_second_moment` for a checked ``dist`` split into ``std`` (unchecked)."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        a0, b0 = (float(v) for v in std.standard.support())
    lo = max(a0, -std.loc / std.scale)
    if b0 <= lo:
        return 0.0, 0.0
    first, first_err, first_clean = _density_integral(std, lo, b0)
    second, second_err, second_clean = _quantile_integral(std, lo)
    gap = abs(first - second)
    allowed = first_err + second_err + _CROSS_CHECK_RTOL * max(abs(first), abs(second))
    # quad's own warnings are caught, not trusted blindly: what decides is whether the two
    # independent methods agree within the errors they report
    if not (math.isfinite(first) and math.isfinite(second)) or gap > allowed:
        warned = [
            name
            for name, clean in (("density", first_clean), ("quantile", second_clean))
            if not clean
        ]
        note = f"; quad warned on the {' and '.join(warned)} integral" if warned else ""
        raise ValueError(
            f"dist {_describe(dist)}: E[ReLU(z)^2] could not be computed reliably: "
            f"quad over the density gives {first * std.scale**2:.10g} "
            f"(error {first_err * std.scale**2:.2g}), quad over the quantiles gives "
            f"{second * std.scale**2:.10g} (error {second_err * std.scale**2:.2g}){note}"
        )
    value = first * std.scale**2
    err = max(first_err, gap) * std.scale**2
    if not math.isfinite(value):
        raise ValueError(
            f"dist {_describe(dist)}: E[ReLU(z)^2] exceeds the float64 range (about 1.8e308)"
        )
    return float(value), float(err)


def half_variance_integral(dist, *, tol: float = 1e-9) -> HalfVarianceResult:
    """``E[ReLU(z)^2]`` by quadrature beside ``Var(z)/2``, for symmetric ``z``.

    The identity needs only that ``z`` is symmetric about 0 (``p(z) = p(-z)``)
    with finite variance: then ``int_0^inf z^2 p = (1/2) int z^2 p = Var(z)/2``.
    Symmetry is checked as ``|F(-t) + F(t) - 1| <= tol`` at several quantiles;
    a shifted or skewed distribution raises ``ValueError`` (use
    :func:`relu_second_moment` to see how far off it is). The integral is the
    cross-checked one of :func:`relu_second_moment`, accurate for any loc and
    scale; no scipy warning escapes.
    """
    _check_distribution(dist)
    tol = check_float("tol", tol, minimum=0.0, strict_minimum=True)
    std = _standardise(dist)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        var = float(dist.var())
    if not math.isfinite(var):
        raise ValueError(
            f"dist must have a finite variance (e.g. Student-t needs df > 2), "
            f"got Var = {var} for {_describe(dist)}"
        )
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        probes = dist.ppf([0.05, 0.2, 0.35, 0.45, 0.6, 0.8, 0.95])
        asym = np.abs(dist.cdf(-probes) + dist.cdf(probes) - 1.0)
    if not np.all(np.isfinite(asym)) or np.max(asym) > tol:
        raise ValueError(
            f"dist must be symmetric about 0 (F(-t) + F(t) = 1); {_describe(dist)} misses "
            f"by up to {np.max(asym):.3g}. Use relu_second_moment() for a non-symmetric z."
        )
    value, err = _relu_second_moment(dist, std)
    return HalfVarianceResult(integral=value, abserr=err, half_variance=var / 2.0)
