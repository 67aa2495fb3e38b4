"""Functions users expect, built from the core ones: log_softmax, mean, var, maximum,
minimum, clip, max/min along an edge, and the constructors diag, einsum and kron.

Most are compositions, so derivatives, every backend's numeric form, code export,
printing and drawing come from their parts. `max`/`min` along an edge are functions
of their own (registered below) whose derivative is the one-hot of the maximum, a
tie shared equally among the k entries that attain it (each gets 1/k) — the same
subgradient convention as `maximum(a, b)`, which gives each side 1/2 at a tie.

>>> import numpy as np, tensorgrad as tg
>>> z = tg.Variable("z", i="n")
>>> tg.evaluate(tg.max(z, "i"), {z: np.array([1.0, 3.0, 3.0])})
array(3.)
>>> tg.evaluate(tg.grad(tg.max(z, "i"), z), {z: np.array([1.0, 3.0, 3.0])})
array([0. , 0.5, 0.5])
"""

from __future__ import annotations

import builtins
import numbers

from .expr import Delta, Function, Product, Tensor, Zero, hadamard, scale
from .functions import FunctionSpec, _along, _batch_joined, _tensor_arg, hadamard_jacobian, logsumexp, register, sign

# ---------------------------------------------------------------------------
# Along an edge
# ---------------------------------------------------------------------------


def _spread(t: Tensor, edge: str, dim: str) -> Tensor:
    """t (without `edge`) repeated along a new edge `edge` of dimension `dim`."""
    return Product([t, Delta(dim, edge)])


def log_softmax(t: Tensor, edge: str) -> Tensor:
    """log softmax along `edge`: t − logsumexp(t, edge), stable at any scale.

    >>> import tensorgrad as tg
    >>> tg.log_softmax(tg.Variable("z", "i", "b"), "i").edges
    ('i', 'b')
    """
    lse = logsumexp(t, edge)
    return t - _spread(lse, edge, t.dims[edge])


def mean(t: Tensor, edge: str | None = None) -> Tensor:
    """Mean along `edge` (of all entries if None), which it consumes.

    >>> import numpy as np, tensorgrad as tg
    >>> x = tg.Variable("x", i="n")
    >>> tg.evaluate(tg.mean(x, "i"), {x: np.array([1.0, 2.0, 6.0])})
    array(3.)
    """
    _tensor_arg(t, "mean")
    edges = t.edges if edge is None else (edge,)
    for e in edges:
        if e not in t.edges:
            raise ValueError(f"mean: edge {e!r} is not an edge of {t} (edges {t.edges})")
    dims = t.dims
    total = Product([t] + [Delta(dims[e], e) for e in edges], [e for e in t.edges if e not in edges])
    count = Product([Delta(dims[e]) for e in edges])  # the number of entries averaged
    return hadamard(total, Function("pow", count, (), (-1,)))


def var(t: Tensor, edge: str) -> Tensor:
    """Population variance along `edge` (divides by n), which it consumes: layer norm is
    (x − mean(x, e)) / sqrt(var(x, e) + ε).

    >>> import numpy as np, tensorgrad as tg
    >>> x = tg.Variable("x", i="n")
    >>> tg.evaluate(tg.var(x, "i"), {x: np.array([1.0, 2.0, 6.0])})
    array(4.66666667)
    """
    centred = t - _spread(mean(t, edge), edge, t.dims[edge])
    return mean(centred * centred, edge)


def _max_jacobian(node: Function, fresh: dict) -> Tensor:
    # ∂ max_i z / ∂z_i' = is_max(z)_i': the maximum's one-hot, ties sharing equally
    (c,) = node.core
    w = Function("is_max", node.arg, node.core)
    return _batch_joined(node, [w.rename({c: fresh[c]})], fresh)


def _is_max_jacobian(node: Function, fresh: dict) -> Tensor:
    # piecewise constant
    return Zero(node.edges + tuple(fresh[e] for e in node.arg.edges),
                node.dim_symbols + node.arg.dim_symbols)


def _max_numeric(xp, x, axes, params):
    return xp.amax(x, axes[0])


def _is_max_numeric(xp, x, axes, params):
    y = xp.moveaxis(x, axes[0], -1)
    hit = (y == xp.amax(y, -1)[..., None]) * xp.ones_like(y)
    return xp.moveaxis(hit / hit.sum(-1)[..., None], -1, axes[0])


register(FunctionSpec(
    "max", _max_jacobian, _max_numeric, "xp.amax({x}, {axis})", n_core=1, consumes_core=True,
    description="maximum along the core edge; its derivative shares a tie equally"))
register(FunctionSpec(
    "is_max", _is_max_jacobian, _is_max_numeric,
    "xp.moveaxis((lambda y: (lambda h: h / h.sum(-1)[..., None])((y == xp.amax(y, -1)[..., None]) * xp.ones_like(y)))"
    "(xp.moveaxis({x}, {axis}, -1)), -1, {axis})",
    n_core=1, description="1/k where an entry is one of the k maxima along the core edge, else 0",
    smooth=False, random_tests=False))  # drawn as the derivative of max


def max(t: Tensor, edge: str) -> Tensor:  # noqa: A001 - the public name is tg.max
    """Maximum along `edge`, which it consumes (other edges are batch edges). Its
    derivative is the maximum's one-hot; k tied maxima get 1/k each."""
    return _along(t, edge, "max")


def min(t: Tensor, edge: str) -> Tensor:  # noqa: A001 - the public name is tg.min
    """Minimum along `edge`: −max(−t); ties share the derivative equally."""
    return scale(max(scale(t, -1), edge), -1)


# ---------------------------------------------------------------------------
# Elementwise maximum / minimum / clip
# ---------------------------------------------------------------------------

def _bound_spec(name: str, slope: str, op: str, template: str):
    """max(x, c) / min(x, c) for a number c, and its slope: 1 on the free side, 1/2 at
    c (a tie shares equally), 0 beyond."""
    def jacobian(node, fresh):
        return hadamard_jacobian(node, Function(slope, node.arg, (), node.params), fresh)

    def numeric(xp, x, axes, params):
        (c,) = params
        return xp.maximum(x, c) if op == ">" else xp.minimum(x, c)

    def slope_numeric(xp, x, axes, params):
        (c,) = params
        return ((x > c) if op == ">" else (x < c)) * 1.0 + (x == c) * 0.5

    register(FunctionSpec(name, jacobian, numeric, template, scalar=(builtins.max if op == ">" else builtins.min),
                          description=f"elementwise {name} with the number p", n_params=1, smooth=False))
    register(FunctionSpec(slope, lambda node, fresh: _is_max_jacobian(node, fresh), slope_numeric,
                          f"((({{x}} {op} {{p}}) + ({{x}} == {{p}}) * 0.5) * xp.ones_like({{x}}))",
                          scalar=lambda x, c: float(x > c if op == ">" else x < c) + 0.5 * (x == c),
                          description=f"derivative of {name}(x, p): 1 where x {op} p, 1/2 where x = p, else 0",
                          n_params=1, smooth=False, random_tests=False))  # drawn as the derivative of {name}


_bound_spec("maximum", "above", ">", "xp.clip({x}, {p}, None)")
_bound_spec("minimum", "below", "<", "xp.clip({x}, None, {p})")


def _with_number(name: str, t: Tensor, c) -> Tensor:
    if not isinstance(c, numbers.Real) or isinstance(c, bool) or c != c:
        raise TypeError(f"{name} needs a number or a tensorgrad expression, got {c!r}")
    return Function(name, t, (), (c,))


def maximum(a, b) -> Tensor:
    """Elementwise maximum; either side may be a number. Exactly a or b, never
    rounded: with a number c it is one function (maximum(x, c)); of two expressions
    it is a (1 + s)/2 + b (1 − s)/2 with s = sign(a − b). At a tie each side gets 1/2
    of the derivative.

    >>> import numpy as np, tensorgrad as tg
    >>> x = tg.Variable("x", i="n")
    >>> tg.evaluate(tg.maximum(x, 0.5), {x: np.array([-1.0, 2.0])})
    array([0.5, 2. ])
    """
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        raise TypeError("maximum needs at least one tensorgrad expression")
    if not isinstance(b, Tensor) or not isinstance(a, Tensor):  # max(x, c): one function
        return _with_number("maximum", a, b) if isinstance(a, Tensor) else _with_number("maximum", b, a)
    half = 0.5 * sign(a - b)
    return a * (0.5 + half) + b * (0.5 - half)


def minimum(a, b) -> Tensor:
    """Elementwise minimum (a number broadcasts); ties share the derivative equally."""
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        raise TypeError("minimum needs at least one tensorgrad expression")
    if not isinstance(b, Tensor) or not isinstance(a, Tensor):
        return _with_number("minimum", a, b) if isinstance(a, Tensor) else _with_number("minimum", b, a)
    return -maximum(-a, -b)


def clip(t: Tensor, low=None, high=None) -> Tensor:
    """t limited to [low, high] elementwise (numbers or expressions; None: no limit).
    The derivative is 1 inside, 0 outside and 1/2 on a bound."""
    _tensor_arg(t, "clip")
    if low is not None and high is not None and not isinstance(low, Tensor) and not isinstance(high, Tensor) \
            and low > high:
        raise ValueError(f"clip: low {low} is above high {high}")
    out = t
    if low is not None:
        out = maximum(out, low)
    if high is not None:
        out = minimum(out, high)
    return out


# ---------------------------------------------------------------------------
# Structure: diag, einsum, kron
# ---------------------------------------------------------------------------

def _primed(name: str, taken) -> str:
    while name in taken:
        name += "'"
    return name


def diag(t: Tensor, edges=None) -> Tensor:
    """Vector -> diagonal matrix, square matrix -> its diagonal.

    A vector with edge e gives the matrix with edges (e, e') (or `edges`); a matrix
    with two edges of one dimension gives the vector along its first edge (or the
    one name in `edges`).

    >>> import tensorgrad as tg
    >>> x = tg.Variable("x", i="n")
    >>> tg.diag(x).edges, tg.diag(tg.diag(x)).edges
    (('i', "i'"), ('i',))
    """
    _tensor_arg(t, "diag")
    if len(t.edges) == 1:
        (e,) = t.edges
        out = edges or (e, _primed(e, {e}))
        if len(out) != 2 or out[0] == out[1]:
            raise ValueError(f"diag of a vector needs two distinct new edge names, got {edges}")
        return hadamard(t.rename({e: out[0]}), Delta(t.dims[e], out[0], out[1]))
    if len(t.edges) == 2:
        (a, da), (b, db) = t.dims.items()
        if da != db:
            raise ValueError(f"diag of a matrix needs two edges of one dimension: edge {a!r} has {da!r}, "
                             f"edge {b!r} has {db!r}")
        (out,) = edges or (a,)
        a1, b1 = a + "_d", b + "_d"
        return Product([t.rename({a: a1, b: b1}), Delta(da, out, a1, b1)], (out,))
    raise ValueError(f"diag needs a vector or a square matrix, {t} has edges {t.edges}")


def einsum(spec: str, *operands: Tensor) -> Tensor:
    """An expression from an einsum string: each operand's letters name its edges in
    their order (`t.edges`); letters shared by operands are contracted unless they
    are in the output; output letters are the result's edge names.

    >>> import tensorgrad as tg
    >>> A = tg.Variable("A", i="m", j="n"); x = tg.Variable("x", j="n")
    >>> tg.equivalent(tg.einsum("ij,j->i", A, x), A @ x)
    True
    """
    if not isinstance(spec, str):
        raise TypeError(f"einsum's first argument is the subscripts string, got {type(spec).__name__}")
    text = spec.replace(" ", "")
    if "." in text:
        raise ValueError("einsum: '...' (ellipsis) is not supported; name every edge")
    lhs, arrow, rhs = text.partition("->")
    inputs = lhs.split(",") if lhs else []
    if len(inputs) != len(operands):
        raise ValueError(f"einsum {spec!r} names {len(inputs)} operands but got {len(operands)}")
    for k, (letters, t) in enumerate(zip(inputs, operands)):
        if not isinstance(t, Tensor):
            raise TypeError(f"einsum operand {k} must be a tensorgrad expression, got {type(t).__name__}")
        if not letters.isalpha() and letters:
            raise ValueError(f"einsum {spec!r}: subscripts must be letters, got {letters!r}")
        if len(letters) != len(t.edges):
            raise ValueError(f"einsum {spec!r}: operand {k} has {len(t.edges)} edges {t.edges} but "
                             f"{len(letters)} subscripts {letters!r}")
    counts: dict = {}
    for letters in inputs:
        for c in letters:
            counts[c] = counts.get(c, 0) + 1
    if not arrow:
        rhs = "".join(sorted(c for c, n in counts.items() if n == 1))
    if len(set(rhs)) != len(rhs) or any(c not in counts for c in rhs):
        raise ValueError(f"einsum {spec!r}: output subscripts {rhs!r} must be distinct letters of the inputs")
    dims: dict = {}
    ends: dict = {c: [] for c in counts}
    factors = []
    for k, (letters, t) in enumerate(zip(inputs, operands)):
        rename = {}
        for e, c in zip(t.edges, letters):
            d = t.dims[e]
            if dims.setdefault(c, d) != d:
                raise ValueError(f"einsum {spec!r}: subscript {c!r} is bound to dimensions {dims[c]!r} and {d!r} "
                                 f"(edge {e!r} of operand {k})")
            rename[e] = f"{c}_{k}_{len(ends[c])}"
            ends[c].append(rename[e])
        factors.append(t.rename(rename))
    # one copy tensor per letter joins its occurrences (and its output edge)
    for c, names in ends.items():
        factors.append(Delta(dims[c], *names, *([c] if c in rhs else [])))
    return Product(factors, tuple(rhs))


def kron(P: Tensor, Q: Tensor) -> Tensor:
    """The Kronecker product of two matrices as a 4-tensor T[i,j,i',j'] = P[a,b] Q[c,d]
    (i, i' the edges of P, j, j' those of Q, in their order), so that the array of T
    reshaped to (rows P · rows Q, cols P · cols Q) is numpy.kron(P, Q).

    >>> import tensorgrad as tg
    >>> P = tg.Variable("P", i="m", j="n"); Q = tg.Variable("Q", i="p", j="q")
    >>> tg.kron(P, Q).edges
    ('i', 'j', "i'", "j'")
    """
    for t, what in ((P, "P"), (Q, "Q")):
        _tensor_arg(t, "kron")
        if len(t.edges) != 2:
            raise ValueError(f"kron needs two matrices; {what} = {t} has edges {t.edges}")
    (p0, p1), (q0, q1) = P.edges, Q.edges
    return Product([P.rename({p0: "i", p1: "i'"}), Q.rename({q0: "j", q1: "j'"})], ("i", "j", "i'", "j'"))
