"""Gaussian expectations of polynomials by Isserlis' (Wick's) theorem.

For x ~ N(μ, Σ) and f polynomial in x, `expectation(f, x, mean, cov)` is exact:
f is expanded into products, each occurrence of x becomes either the mean μ or one
end of a centred pair, and the centred occurrences are paired in every possible way,
each pair contracted through the covariance:

    E[x_a x_b] = μ_a μ_b + Σ_ab,
    E[x_a x_b x_c x_d] = μμμμ + 6 terms μ_· μ_· Σ_·· + Σ_ab Σ_cd + Σ_ac Σ_bd + Σ_ad Σ_bc.

x may be a tensor of any order: `cov` has x's edges followed by the same names
primed (Σ[i, i'] for a vector x with edge i; Σ[i, j, i', j'] for a matrix), or x's
edges followed by any others of the same dimensions (a matrix Σ[i, j] for x[i]).

>>> import tensorgrad as tg
>>> x, mu = tg.Variable("x", i="n"), tg.Variable("mu", i="n")
>>> A, Sigma = tg.Variable("A", i="n", j="n"), tg.Variable("Sigma", i="n", j="n", symmetric=True)
>>> E = tg.expectation(x @ A @ x.rename(i="j"), x, mean=mu, cov=Sigma)
>>> tg.equivalent(E, mu @ A @ mu.rename(i="j") + tg.trace(A @ Sigma.rename(i="j", j="k")))
True
"""

from __future__ import annotations

import itertools
import numbers

from .expr import Delta, Derivative, Function, Product, Sum, Tensor, Variable, Zero, fresh_name, hadamard
from .rewrite import fixpoint
from .simplify import flatten_all, simplify
from .deep import deep

__all__ = ["expectation"]


class NotPolynomial(ValueError):
    """f is not a polynomial in x (a function other than a non-negative integer power of x)."""


def _check_like(t, x: Variable, edges: tuple, what: str) -> Tensor:
    """`t` (a tensor or a number) with exactly the free edges `edges`, dims as x's."""
    want = dict(zip(edges, x.dim_symbols + x.dim_symbols))
    if isinstance(t, numbers.Number) and not isinstance(t, bool):
        if t == 0:
            return Zero(edges, [want[e] for e in edges])
        raise TypeError(f"expectation: {what} must be a tensorgrad expression (a number only if 0), got {t!r}")
    if not isinstance(t, Tensor):
        raise TypeError(f"expectation: {what} must be a tensorgrad expression, got {type(t).__name__}")
    if t.depends_on(x):
        raise ValueError(f"expectation: {what} depends on the random variable {x.name!r}")
    return t


def _covariance_edges(cov: Tensor, x: Variable) -> tuple:
    """(first, second): cov's edges for the two ends of a pair, slot by slot of x."""
    k = len(x.edges)
    primed = tuple(e + "'" for e in x.edges)
    if set(cov.edges) == set(x.edges) | set(primed) and len(cov.edges) == 2 * k:
        first, second = x.edges, primed
    elif len(cov.edges) == 2 * k and cov.edges[:k] == x.edges:
        first, second = x.edges, cov.edges[k:]
    else:
        raise ValueError(f"expectation: cov must have the edges of {x.name!r} {x.edges} followed by the same names "
                         f"primed {primed}; it has {cov.edges}")
    for a, b, d in zip(first, second, x.dim_symbols):
        for e in (a, b):
            if cov.dims[e] != d:
                raise ValueError(f"expectation: edge {e!r} of cov has dimension {cov.dims[e]!r}, but {x.name!r} has "
                                 f"dimension {d!r} there")
    return first, second


# ---------------------------------------------------------------------------
# Expansion into products of x-occurrences and x-free factors
# ---------------------------------------------------------------------------

def _terms(t: Tensor, x: Variable, memo: dict) -> list:
    """t as [(weight, tensor)]: each tensor a (nested) product of occurrences of x and
    factors free of x, with t's free edges. NotPolynomial if t is not a polynomial."""
    if not t.depends_on(x):
        return [(1, t)]
    if t in memo:
        return memo[t]
    if isinstance(t, Variable):
        out = [(1, t)]
    elif isinstance(t, Sum):
        out = [(w * v, u) for s, w in zip(t.terms, t.weights) for v, u in _terms(s, x, memo)]
    elif isinstance(t, Product):
        out = []
        for combo in itertools.product(*(_terms(f, x, memo) for f in t.factors)):
            w = 1
            for v, _ in combo:
                w *= v
            out.append((w, Product([u for _, u in combo], t.edges)))
    elif isinstance(t, Derivative):
        out = _terms(t.doit(), x, memo)
    elif isinstance(t, Function) and t.spec.name == "pow" and _natural(t.params[0]):
        out = _terms(_power_as_product(t.arg, int(t.params[0])), x, memo)
    elif isinstance(t, Function):
        raise NotPolynomial(f"expectation needs f polynomial in {x.name!r}, but it applies {_describe(t)} "
                            f"to an expression in {x.name!r}")
    else:  # pragma: no cover - every node kind is handled above
        raise TypeError(f"expectation: unexpected node {type(t).__name__}")
    memo[t] = out
    return out


def _natural(p) -> bool:
    return float(p).is_integer() and p >= 0


def _power_as_product(u: Tensor, p: int) -> Tensor:
    """u^p (elementwise) as u ⊙ u ⊙ … ⊙ u; u^0 is the ones tensor."""
    if p == 0:
        return Product([Delta(d, e) for e, d in zip(u.edges, u.dim_symbols)], u.edges)
    out = u
    for _ in range(p - 1):
        out = hadamard(out, u)
    return out


def _describe(f: Function) -> str:
    if f.spec.name == "pow":
        return f"the power {f.params[0]}"
    return f"the function {f.spec.name}"


# ---------------------------------------------------------------------------
# Wick pairings
# ---------------------------------------------------------------------------

def _matchings(items: list):
    """All perfect matchings of `items` (an even number of them), as lists of pairs."""
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for k, other in enumerate(rest):
        for m in _matchings(rest[:k] + rest[k + 1:]):
            yield [(first, other)] + m


def _wired_apart(p: Product, x: Variable) -> tuple[list, list]:
    """(occurrences, other factors) of a flat product, each occurrence of x given
    fresh edge names joined to the old ones by identity wires (so two occurrences
    contracted with each other can both be replaced)."""
    taken = {e for f in p.factors for e in f.edges} | set(p.edges)
    occ, rest = [], []
    for f in p.factors:
        if isinstance(f, Variable) and f.identity == x.identity:
            new = {}
            for e, d in zip(f.edges, f.dim_symbols):
                new[e] = fresh_name(e, taken)
                taken.add(new[e])
                rest.append(Delta(d, e, new[e]))
            occ.append(tuple(new[e] for e in f.edges))  # slot order
        else:
            rest.append(f)
    return occ, rest


def _expect_product(p: Product, x: Variable, mean: Tensor, cov: Tensor, pair_edges: tuple) -> list:
    """E[p] as a list of products (weights 1): every split of the occurrences into
    means and centred ones, the centred ones paired in every way."""
    occ, rest = _wired_apart(p, x)
    first, second = pair_edges
    out = []
    positions = range(len(occ))
    for n_centred in range(0, len(occ) + 1, 2):
        for centred in itertools.combinations(positions, n_centred):
            means = [mean.rename(dict(zip(x.edges, occ[k]))) for k in positions if k not in centred]
            for matching in _matchings(list(centred)):
                pairs = [cov.rename({**dict(zip(first, occ[a])), **dict(zip(second, occ[b]))}) for a, b in matching]
                out.append(Product(rest + means + pairs, p.edges))
    return out


@deep
def expectation(f: Tensor, x: Variable, mean=0, cov=None) -> Tensor:
    """E[f] for x ~ N(mean, cov), f polynomial in x (any degree; x a tensor of any
    order). Exact, by Isserlis' theorem; the result is an expression in mean and cov
    (so it can be differentiated with respect to them). Non-polynomial f (exp, log,
    a negative or fractional power of x, softmax, ...) raises a ValueError.

    `mean` has x's edges (0 for a centred x); `cov` has x's edges followed by the same
    names primed, or x's edges followed by any others of the same dimensions.

    >>> import tensorgrad as tg
    >>> x = tg.Variable("x", i="n"); Sigma = tg.Variable("Sigma", i="n", j="n", symmetric=True)
    >>> print(tg.to_matrix(tg.expectation(tg.sum(x * x) ** 2, x, cov=Sigma)))
    2 tr(Sigma²) + tr(Sigma)²
    """
    if not isinstance(f, Tensor):
        raise TypeError(f"expectation expects a tensorgrad expression, got {type(f).__name__}")
    if not isinstance(x, Variable):
        raise TypeError(f"expectation: the random variable must be a Variable, got {type(x).__name__}")
    if cov is None:
        raise TypeError("expectation needs cov, the covariance of x (x's edges, then the same names primed)")
    mean = _check_like(mean, x, x.edges, "mean")
    if set(mean.edges) != set(x.edges):
        raise ValueError(f"expectation: mean must have the edges {x.edges} of {x.name!r}, it has {mean.edges}")
    for e, d in zip(x.edges, x.dim_symbols):
        if mean.dims[e] != d:
            raise ValueError(f"expectation: edge {e!r} of mean has dimension {mean.dims[e]!r}, "
                             f"but {x.name!r} has dimension {d!r} there")
    cov = _check_like(cov, x, x.edges + tuple(e + "'" for e in x.edges), "cov")
    pair_edges = _covariance_edges(cov, x)
    if not f.depends_on(x):
        return f
    terms = []
    flatten = {Product: [flatten_all]}
    for w, t in _terms(f, x, {}):
        t = fixpoint(t, flatten)
        p = t if isinstance(t, Product) else Product([t], t.edges)
        terms += [(w, q) for q in _expect_product(p, x, mean, cov, pair_edges)]
    if not terms:
        return Zero(f.edges, f.dim_symbols)
    return simplify(Sum([q for _, q in terms], [w for w, _ in terms], f.edges))
