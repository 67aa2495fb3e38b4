"""Numeric oracles: central finite differences of `evaluate`, in float64.

>>> import numpy as np, tensorgrad as tg
>>> x = tg.Variable("x", "i")
>>> vals = {x: np.array([1.0, 2.0])}
>>> np.allclose(finite_difference(x @ x, x, vals), [2.0, 4.0])
True
"""

from __future__ import annotations

import itertools

import numpy as np

from .derivative import derivative
from .evaluate import evaluate
from .expr import Tensor, Variable


def unit_direction(x: Variable, shape: tuple, idx: tuple) -> np.ndarray:
    """The unit tensor at `idx`; for a symmetric x its symmetric part (the average
    over permutations of idx within each group), so that x + h·direction stays
    symmetric and the difference quotient is derivative(f, x) at idx."""
    out = np.zeros(shape)
    out[idx] = 1.0
    for g in x.symmetries:
        slots = [x.original.index(e) for e in g]
        perms = list(itertools.permutations(slots))
        acc = np.zeros(shape)
        for p in perms:
            axes = list(range(len(shape)))
            for a, b in zip(slots, p):
                axes[a] = b
            acc += out.transpose(axes)
        out = acc / len(perms)
    return out


def finite_difference(f: Tensor, x: Variable, values: dict, h: float = 1e-6, dims=None) -> np.ndarray:
    """df/dx by central differences; axes: f.edges then x's edges (like `derivative`).
    A symmetric x moves along symmetric directions only (see `unit_direction`)."""
    key = next((k for k in values if k == x.name or (isinstance(k, Variable) and k.name == x.name)), None)
    if key is None:
        raise ValueError(f"no value given for variable {x.name!r}")
    x0 = np.asarray(values[key], dtype=float)
    base = evaluate(f, values, dims=dims)
    out = np.zeros(base.shape + x0.shape)
    for idx in np.ndindex(*x0.shape):
        step = h * unit_direction(x, x0.shape, idx)
        plus = evaluate(f, {**values, key: x0 + step}, dims=dims)
        minus = evaluate(f, {**values, key: x0 - step}, dims=dims)
        out[(Ellipsis,) + idx] = (plus - minus) / (2 * h)
    return out


def derivative_error(f: Tensor, x: Variable, values: dict, h: float = 1e-6, dims=None, simplify: bool = True) -> float:
    """Largest relative error of the symbolic derivative against finite differences.

    The symbolic result is evaluated with axes f.edges + new edges, matching
    `finite_difference`."""
    d = derivative(f, x)
    if simplify:
        d = d.simplify()
    got = evaluate(d, values, dims=dims)
    want = finite_difference(f, x, values, h, dims)
    scale = max(1.0, float(np.max(np.abs(want))) if want.size else 1.0)
    return float(np.max(np.abs(got - want))) / scale if want.size else 0.0


def second_difference(f: Tensor, x: Variable, values: dict, h: float = 1e-4, dims=None) -> np.ndarray:
    """Hessian of a scalar f by second-order central differences of `evaluate` alone
    (no symbolic derivative involved); axes: x's edges twice. A symmetric x moves
    along symmetric directions only."""
    key = next((k for k in values if k == x.name or (isinstance(k, Variable) and k.name == x.name)), None)
    if key is None:
        raise ValueError(f"no value given for variable {x.name!r}")
    x0 = np.asarray(values[key], dtype=float)
    k = x0.size
    E = np.stack([unit_direction(x, x0.shape, idx) for idx in np.ndindex(*x0.shape)]) if x0.shape else np.ones((1,))
    H = np.zeros((k, k))

    def at(d):
        return float(evaluate(f, {**values, key: x0 + d}, dims=dims))

    for a in range(k):
        for b in range(a, k):
            H[a, b] = H[b, a] = (at(h * (E[a] + E[b])) - at(h * (E[a] - E[b])) - at(h * (E[b] - E[a]))
                                 + at(-h * (E[a] + E[b]))) / (4 * h * h)
    return H.reshape(x0.shape + x0.shape)
