"""Closed-form rules for the function library: what a matrix-calculus user expects
det, inverse, softmax, logsumexp and log to simplify to.

Each rule is one small function with a `# before -> after` comment; they register
themselves into `simplify` (see `register_rules`). A few of them also run *before*
a function node is differentiated (`prepare`), so that e.g. the Hessian of
det(I + x xᵀ) is derived from 1 + xᵀx and simplifies to exactly 2I.

Facts the rules may use are declared, never guessed:

* `assume_positive(x, ...)`: every entry of x is > 0 (enables log(x ⊙ y) -> log x + log y);
* `assume_sums_to_one(y, edge)`: Σ_edge y = 1, e.g. a one-hot label or a probability
  vector (enables the softmax cross-entropy gradient p - y).

Declare facts before simplifying: simplified results are cached per expression.

>>> import tensorgrad as tg
>>> X = tg.Variable("X", i="n", j="n")
>>> print(tg.log(tg.det(X)).simplify())
logdet_{i,j}(X[i,j])
>>> tg.equivalent(tg.inverse(tg.inverse(X)), X)
True
"""

from __future__ import annotations

import math

from .canonical import isomorphic
from .derivative import register_function_rewrite
from .expr import ONE, Delta, Function, Product, Sum, Tensor, Variable, Zero, fresh_name, number, scale
from .rewrite import with_edge_order
from .simplify import components, register_rules, simplify

# ---------------------------------------------------------------------------
# Declared facts
# ---------------------------------------------------------------------------

_POSITIVE: set = set()
_SUMS_TO_ONE: dict = {}  # variable identity -> set of slot positions


def _check_variable(v, what):
    if not isinstance(v, Variable):
        raise TypeError(f"{what} needs a Variable, got {type(v).__name__}")


def assume_positive(*variables: Variable) -> None:
    """Declare every entry of these variables > 0."""
    for v in variables:
        _check_variable(v, "assume_positive")
        _POSITIVE.add(v.identity)


def assume_sums_to_one(y: Variable, edge: str | None = None) -> None:
    """Declare Σ_edge y = 1 (for each entry of y's other edges), e.g. one-hot labels.

    `edge` is one of y's declared edges; it may be omitted for a vector.
    """
    _check_variable(y, "assume_sums_to_one")
    if edge is None:
        if len(y.original) != 1:
            raise ValueError(f"assume_sums_to_one: variable {y.name!r} has edges {y.original}; name the edge that sums to one")
        edge = y.original[0]
    if edge not in y.original:
        raise ValueError(f"assume_sums_to_one: {edge!r} is not an edge of variable {y.name!r} (edges {y.original})")
    _SUMS_TO_ONE.setdefault(y.identity, set()).add(y.original.index(edge))


def forget_assumptions() -> None:
    """Drop every declared fact (for tests; cached simplifications are not undone)."""
    _POSITIVE.clear()
    _SUMS_TO_ONE.clear()


def is_positive(t: Tensor) -> bool:
    """True only where every entry of t is known to be > 0."""
    if isinstance(t, Variable):
        return t.identity in _POSITIVE
    if isinstance(t, Delta):
        return len(t.edges) <= 1  # ones vector, or the dimension n >= 1
    if isinstance(t, Function):
        if t.spec.positive:
            return True
        return t.spec.name == "pow" and is_positive(t.arg)
    if isinstance(t, Sum):
        return all(not isinstance(w, complex) and w > 0 for w in t.weights) and all(map(is_positive, t.terms))
    if isinstance(t, Product):
        # positive factors stay positive under outer, Hadamard and contracted products,
        # but a copy tensor with two free edges puts zeros off its diagonal
        for f in t.factors:
            if isinstance(f, Delta):
                if sum(e in t.edges for e in f.edges) > 1:
                    return False
            elif not is_positive(f):
                return False
        return True
    return False


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def _is(t: Tensor, *names: str) -> bool:
    return isinstance(t, Function) and t.spec.name in names


def _is_ones(t: Tensor) -> bool:
    if isinstance(t, Delta):
        return len(t.edges) == 1
    return isinstance(t, Product) and all(isinstance(f, Delta) and len(f.edges) == 1 for f in t.factors)


def _dimension(dim: str, like: Tensor) -> Tensor:
    """The dimension size n as a scalar, broadcast over the edges of `like`."""
    return Product([Delta(dim)] + [Delta(d, e) for e, d in zip(like.edges, like.dim_symbols)], like.edges)


def _rank_one(t: Tensor, a: str, b: str):
    """(w, u, v) when t = w u_a v_b is an outer product (u carries edge a, v edge b)."""
    w = 1
    if isinstance(t, Sum) and len(t.terms) == 1:
        w, t = t.weights[0], t.terms[0]
    if not isinstance(t, Product) or set(t.edges) != {a, b}:
        return None
    side_a, side_b, scalars = [], [], []
    for comp in components(t):
        edges = {e for k in comp for e in t.factors[k].edges}
        if a in edges and b in edges:
            return None
        (side_a if a in edges else side_b if b in edges else scalars).extend(t.factors[k] for k in comp)
    return w, Product(side_a + scalars, (a,)), Product(side_b, (b,))


# ---------------------------------------------------------------------------
# Rules on function nodes
# ---------------------------------------------------------------------------


def inverse_of_inverse(f: Function):
    # inverse(inverse(X)) -> X
    if _is(f, "inverse") and _is(f.arg, "inverse") and set(f.core) == set(f.arg.core):
        return f.arg.arg


def det_of_transpose(f: Function):
    # det(Xᵀ) -> det X: an order-blind consumed core takes the variable's own edge order
    if (_is(f, "det", "logdet") and isinstance(f.arg, Variable) and set(f.arg.edges) == set(f.core)
            and (f.arg.edges != f.arg.original or f.core != f.arg.original)):
        X = Variable._renamed(f.arg, f.arg.original)
        return Function(f.spec, X, X.original, f.params)


def det_of_inverse(f: Function):
    # det(X⁻¹) -> (det X)⁻¹;  logdet(X⁻¹) -> -logdet X
    if _is(f, "det", "logdet") and _is(f.arg, "inverse") and set(f.arg.core) == set(f.core):
        inner = Function(f.spec, f.arg.arg, f.core)
        return Function("pow", inner, (), (-1,)) if f.spec.name == "det" else scale(inner, -1)


def det_of_identity(f: Function):
    # det(I) -> 1;  logdet(I) -> 0;  inverse(I) -> I
    if _is(f, "det", "logdet", "inverse") and isinstance(f.arg, Delta) and set(f.arg.edges) == set(f.core):
        return {"det": number(1), "logdet": Zero(), "inverse": f.arg}[f.spec.name]


def det_of_scaled(f: Function):
    # det(c X) -> cⁿ det X, cⁿ = exp(n log|c|) (· cos(πn) = (-1)ⁿ if c < 0);  logdet(c X) -> n log|c| + logdet X
    if not (_is(f, "det", "logdet") and isinstance(f.arg, Sum) and len(f.arg.terms) == 1):
        return None
    c = f.arg.weights[0]
    if isinstance(c, complex) or c == 0:
        return None
    inner = Function(f.spec, f.arg.terms[0], f.core)
    n = _dimension(f.arg.dims[f.core[0]], f)
    if f.spec.name == "logdet":
        return Sum((inner, n), (1, math.log(math.fabs(c))))
    n = Delta(f.arg.dims[f.core[0]])  # scalar n: a factor broadcasts over the batch edges itself
    factors = [inner]
    if math.fabs(c) != 1:
        factors.append(Function("exp", scale(n, math.log(math.fabs(c)))))
    if c < 0:
        factors.append(Function("cos", scale(n, math.pi)))
    return Product(factors, f.edges) if len(factors) > 1 else inner


def det_of_product(f: Function):
    # det(A B) -> det A det B;  logdet(A B) -> logdet A + logdet B  (A, B square)
    if not (_is(f, "det", "logdet") and isinstance(f.arg, Product) and len(f.arg.factors) == 2):
        return None
    A, B = f.arg.factors
    if isinstance(A, Delta) or isinstance(B, Delta) or len(A.edges) != 2 or len(B.edges) != 2:
        return None
    if len(set(A.edges) & set(B.edges)) != 1 or len(set(A.dim_symbols) | set(B.dim_symbols)) != 1:
        return None
    parts = [Function(f.spec, A, A.edges), Function(f.spec, B, B.edges)]
    return Product(parts) if f.spec.name == "det" else Sum(parts)


def det_lemma(f: Function):
    # det(δ + w u vᵀ) -> 1 + w vᵀu  (the matrix determinant lemma)
    found = _rank_one_update(f, "det")
    if found is not None:
        return found[-1]


def _rank_one_update(f: Function, name: str):
    """(w, u, v, 1 + w vᵀu) when f is the function `name` of δ + w u vᵀ over its two
    core edges (no batch edges); vᵀu contracts v's second core edge with u's first."""
    found = _identity_plus_rank_one(f) if _is(f, name) else None
    if found is None:
        return None
    w, u, v = found
    a, b = f.core
    return w, u, v, Sum((ONE, Product((u, v.rename({b: a})))), (1, w))


def _identity_plus_rank_one(f: Function):
    """(w, u, v) when f's argument is δ + w u vᵀ over its two core edges (no batch edges)."""
    if not (isinstance(f.arg, Sum) and len(f.arg.terms) == 2 and set(f.arg.edges) == set(f.core)):
        return None
    a, b = f.core
    pairs = tuple(zip(f.arg.terms, f.arg.weights))
    for (d, wd), (r, wr) in (pairs, pairs[::-1]):
        if isinstance(d, Delta) and set(d.edges) == {a, b} and wd == 1:
            found = _rank_one(r, a, b)
            if found is not None:
                w, u, v = found
                return w * wr, u, v
    return None


def logdet_lemma(f: Function):
    # logdet(δ + w u vᵀ) -> log(1 + w vᵀu), or log|1 + w vᵀu| unless v = u, w > 0 makes it positive
    found = _rank_one_update(f, "logdet")
    if found is None:
        return None
    w, u, v, s = found
    a, b = f.core
    positive = not isinstance(w, complex) and w > 0 and isomorphic(u, v.rename({b: a}))
    return Function("log", s if positive else Function("abs", s))


def sherman_morrison(f: Function):
    # inverse(δ + w u vᵀ) -> δ - w v uᵀ / (1 + w vᵀu)   (inverse is X⁻ᵀ, hence v uᵀ)
    found = _rank_one_update(f, "inverse")
    if found is None:
        return None
    w, u, v, s = found
    a, b = f.core
    outer = Product((v.rename({b: a}), u.rename({a: b}), Function("pow", s, (), (-1,))), (a, b))
    return Sum((Delta(f.arg.dims[a], a, b), outer), (1, -w), (a, b))


def log_of_det(f: Function):
    # log(det X) -> logdet X  (log needs det X > 0, where log det X = log|det X|)
    if _is(f, "log") and _is(f.arg, "det"):
        return Function("logdet", f.arg.arg, f.arg.core)


def log_of_softmax(f: Function):
    # log softmax_i(z) -> z - logsumexp_i(z) 1_i  (exact and numerically stable)
    if _is(f, "log") and _is(f.arg, "softmax"):
        z = f.arg.arg
        (c,) = f.arg.core
        lse = Product([Function("logsumexp", z, (c,)), Delta(z.dims[c], c)], z.edges)
        return Sum((z, lse), (1, -1), z.edges)


def log_of_sigmoid(f: Function):
    # log σ(z) -> -softplus(-z)  (σ(z) underflows to 0 for z < -745; softplus does not)
    if _is(f, "log") and _is(f.arg, "sigmoid"):
        return scale(Function("softplus", scale(f.arg.arg, -1)), -1)


def log_one_plus_exp(f: Function):
    # log(1 + exp(t)) -> softplus(t)
    if not (_is(f, "log") and isinstance(f.arg, Sum) and len(f.arg.terms) == 2 and f.arg.weights == (1, 1)):
        return None
    s, t = f.arg.terms
    for one, e in ((s, t), (t, s)):
        if (_is_ones(one) or one == ONE) and _is(e, "exp"):
            return Function("softplus", e.arg)
    return None


def log_of_positive_product(f: Function):
    # log(x ⊙ y) -> log x + log y;  log(c x) -> log c + log x  (only where x, y, c > 0 are known)
    if not (_is(f, "log") and isinstance(f.arg, (Product, Sum))):
        return None
    arg = f.arg
    if isinstance(arg, Sum):
        if len(arg.terms) != 1 or isinstance(arg.weights[0], complex) or arg.weights[0] <= 0:
            return None
        if not is_positive(arg.terms[0]):
            return None
        return Sum((Function("log", arg.terms[0]), _dimension_free_ones(f)), (1, math.log(arg.weights[0])))
    return _log_of_product(f, arg)


def _dimension_free_ones(like: Tensor) -> Tensor:
    return Product([Delta(d, e) for e, d in zip(like.edges, like.dim_symbols)], like.edges)


def _log_of_product(f: Function, p: Product):
    """log of a pointwise (outer / Hadamard) product of positive factors, as a sum of logs."""
    deltas = [d for d in p.factors if isinstance(d, Delta)]
    factors = [g for g in p.factors if not isinstance(g, Delta)]
    if len(factors) < 2 or not all(map(is_positive, factors)):
        return None
    free_of = {}  # factor edge -> the free edge of p it stands for
    for d in deltas:
        free = [e for e in d.edges if e in p.edges]
        if len(free) != 1:
            return None  # a sum over an edge, or a diagonal: not a pointwise product
        for e in d.edges:
            free_of[e] = free[0]
    for g in factors:
        for e in g.edges:
            if e in p.edges:
                free_of[e] = e
            elif e not in free_of:
                return None  # contracted directly with another factor: log of a sum
    dims = p.dims
    terms = []
    for g in factors:
        taken = set(p.edges) | set(g.edges)
        inner = {}
        for e in g.edges:
            inner[e] = fresh_name(e, taken)
            taken.add(inner[e])
        lg = Function("log", g).rename(inner)
        wires = [Delta(dims[o], o, *[inner[e] for e in g.edges if free_of[e] == o]) for o in p.edges]
        terms.append(Product([lg] + wires, p.edges))
    return Sum(terms)


def log_of_positive_power(f: Function):
    # log(x^k) -> k log x  (only where x > 0 is known)
    if _is(f, "log") and _is(f.arg, "pow") and is_positive(f.arg.arg):
        return scale(Function("log", f.arg.arg), f.arg.params[0])


# ---------------------------------------------------------------------------
# Rules on sums
# ---------------------------------------------------------------------------


def one_minus_sigmoid(s: Sum):
    # c 1 - c σ(z) -> c σ(-z)  (1 - σ(z) rounds to 0 for z >= 37; σ(-z) keeps every digit)
    ones = [k for k, t in enumerate(s.terms) if t == ONE or _is_ones(t)]
    for a in ones:
        for b, t in enumerate(s.terms):
            if _is(t, "sigmoid") and s.weights[a] == -s.weights[b]:
                rest = [k for k in range(len(s.terms)) if k not in (a, b)]
                flipped = Function("sigmoid", scale(t.arg, -1))
                return Sum([s.terms[k] for k in rest] + [flipped], [s.weights[k] for k in rest] + [s.weights[a]],
                           s.edges)
    return None


# ---------------------------------------------------------------------------
# Rules on products
# ---------------------------------------------------------------------------


def inverse_cancel(p: Product):
    # X_ij inverse(X)_kj -> δ_ik  (X X⁻¹ = I, along either matching edge);  X_ij inverse(X)_ij -> n
    for k, Y in enumerate(p.factors):
        if not (_is(Y, "inverse") and len(Y.edges) == 2):
            continue
        X = Y.arg
        for j, G in enumerate(p.factors):
            if j == k or len(G.edges) != 2:
                continue
            shared = set(G.edges) & set(Y.edges)
            if shared == set(Y.edges) and isomorphic(G, X):
                rest = [g for i, g in enumerate(p.factors) if i not in (j, k)]
                return Product(rest + [Delta(Y.dim_symbols[0])], p.edges)
            if len(shared) != 1:
                continue
            (s,) = shared
            oy = next(e for e in Y.edges if e != s)
            og = next(e for e in G.edges if e != s)
            if isomorphic(G, X.rename({oy: og})):
                rest = [g for i, g in enumerate(p.factors) if i not in (j, k)]
                return Product(rest + [Delta(Y.dims[oy], oy, og)], p.edges)
    return None


def sum_to_one(p: Product):
    # Σ_i y_i -> 1  where y is declared to sum to one along i (assume_sums_to_one)
    for k, y in enumerate(p.factors):
        if not (isinstance(y, Variable) and y.identity in _SUMS_TO_ONE):
            continue
        for slot in _SUMS_TO_ONE[y.identity]:
            e = y.edges[slot]
            d = next((j for j, g in enumerate(p.factors) if isinstance(g, Delta) and g.edges == (e,)), None)
            if d is not None:
                ones = [Delta(dim, o) for o, dim in zip(y.edges, y.dim_symbols) if o != e]
                rest = [g for i, g in enumerate(p.factors) if i not in (k, d)]
                return Product(rest + ones, p.edges)
    return None


FUNCTION_RULES = [inverse_of_inverse, det_of_transpose, det_of_inverse, det_of_identity, det_of_scaled,
                  det_of_product, det_lemma, logdet_lemma, sherman_morrison, log_of_det, log_of_softmax,
                  log_of_sigmoid, log_one_plus_exp, log_of_positive_product, log_of_positive_power]
PRODUCT_RULES = [inverse_cancel, sum_to_one]
SUM_RULES = [one_minus_sigmoid]

register_rules(Function, FUNCTION_RULES)
register_rules(Product, PRODUCT_RULES)
register_rules(Sum, SUM_RULES)


# ---------------------------------------------------------------------------
# Closed forms applied before differentiating
# ---------------------------------------------------------------------------

# Rewrites that give a smaller, exact derivative when applied to a function node
# *before* the chain rule (they then also hold for every higher derivative).
PREPARE = {
    "det": [det_of_identity, det_lemma],
    "logdet": [det_of_identity, logdet_lemma],
    "log": [log_of_det, log_of_softmax, log_of_sigmoid, log_one_plus_exp],
}


def prepare(f: Function) -> Tensor:
    """`f` rewritten by the first PREPARE rule that matches its simplified argument,
    else `f` itself."""
    rules = PREPARE.get(f.spec.name)
    if not rules:
        return f
    g = f.with_children([simplify(f.arg)])
    for rule in rules:
        new = rule(g)
        if new is not None:
            return with_edge_order(new, f.edges)
    return f


register_function_rewrite(prepare)
