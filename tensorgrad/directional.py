"""Directional derivatives without Jacobians: `jvp`, `vjp` and `hvp`.

The direction is contracted into the derivative *as it is formed*, so no node of
the result is Jacobian- or Hessian-sized:

* `jvp` pushes a tangent forward through the network (forward mode): every node's
  tangent has that node's edges;
* `vjp` pulls a cotangent back (reverse mode): every node's cotangent has that
  node's edges, accumulated over all uses of the node before it is passed on;
* `hvp` is forward over reverse: the `jvp` of the reverse-mode gradient.

A function's Jacobian is only ever multiplied into a tangent or cotangent, term by
term (see `_apply`), never formed on its own.

>>> import tensorgrad as tg
>>> A = tg.Variable("A", i="m", j="n"); x = tg.Variable("x", j="n"); b = tg.Variable("b", i="m")
>>> v = tg.Variable("v", j="n")
>>> r = A @ x - b
>>> tg.equivalent(tg.hvp(r @ r, x, v), 2 * (A @ (A @ v)))   # 2Aᵀ(A v)
True
"""

from __future__ import annotations

from .expr import ONE, Delta, Derivative, Function, Product, Sum, Tensor, Variable, Zero, fresh_name, scale
from .kinds import KindTable
from .rewrite import with_edge_order
from .simplify import simplify
from .symmetric import groups_of, symmetrize
from .deep import deep

__all__ = ["jvp", "vjp", "hvp"]


# ---------------------------------------------------------------------------
# Argument checks
# ---------------------------------------------------------------------------

def _check(f, x, what: str):
    if not isinstance(f, Tensor):
        raise TypeError(f"{what}: f must be a tensorgrad expression, got {type(f).__name__}")
    if not isinstance(x, Variable):
        raise TypeError(f"{what}: can only differentiate with respect to a Variable, got {type(x).__name__}")


def _check_direction(d, like: Tensor, what: str, arg: str, owner: str):
    """`d` must be an expression with exactly the edges (and dimensions) of `like`."""
    if not isinstance(d, Tensor):
        raise TypeError(f"{what}: {arg} must be a tensorgrad expression (e.g. a Variable) with the edges "
                        f"{like.edges} of {owner}, got {type(d).__name__}")
    if set(d.edges) != set(like.edges):
        missing = sorted(set(like.edges) - set(d.edges))
        extra = sorted(set(d.edges) - set(like.edges))
        raise ValueError(f"{what}: {arg} must have the edges {like.edges} of {owner}, but has {d.edges} "
                         f"(missing {missing}, extra {extra})")
    for e in like.edges:
        if d.dims[e] != like.dims[e]:
            raise ValueError(f"{what}: edge {e!r} of {arg} has dimension {d.dims[e]!r}, "
                             f"but {owner} has dimension {like.dims[e]!r} there")


# ---------------------------------------------------------------------------
# Shared pieces
# ---------------------------------------------------------------------------

def _slots(occurrence: Variable, x: Variable) -> dict:
    """x's edge name -> the occurrence's edge name, slot by slot."""
    return dict(zip(x.edges, occurrence.edges))


def _expand(t: Tensor) -> Tensor:
    """Unevaluated derivatives are computed; everything else stays as it is."""
    while isinstance(t, Derivative):
        t = t.doit()
    return t


def _apply(J: Tensor, t: Tensor, edges: tuple) -> Tensor:
    """J contracted with t over t's edges, with free edges `edges`, distributed over
    J's terms so that J itself (Jacobian-sized) is never a node of the result."""
    if isinstance(J, Sum):
        return Sum([_apply(term, t, edges) for term in J.terms], J.weights, edges)
    if isinstance(J, Product):
        J = J.rename_internal_apart(set(t.edges))
        return Product(J.factors + (t,), edges)
    return Product((J, t), edges)


def _fresh_for(f: Function) -> dict:
    """Fresh names for the edges of f's argument (the Jacobian's argument side)."""
    taken = set(f.edges) | set(f.arg.edges)
    fresh = {}
    for e in f.arg.edges:
        fresh[e] = fresh_name(e, taken)
        taken.add(fresh[e])
    return fresh


def _sum(parts: list, edges: tuple) -> Tensor | None:
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else Sum(parts, None, edges)


# ---------------------------------------------------------------------------
# Forward mode: TANGENT(t, x, v, memo) -> tangent of t (edges t.edges), or None for zero
# ---------------------------------------------------------------------------

TANGENT = KindTable("jvp tangent")


def _forward(t: Tensor, x: Variable, v: Tensor, memo: dict):
    """The tangent of t in direction v (edges t.edges), or None where it is zero."""
    if not t.depends_on(x):
        return None
    if t not in memo:
        memo[t] = TANGENT(t, x, v, memo)
    return memo[t]


@TANGENT.register(Variable)
def _tangent_variable(t: Variable, x, v, memo):
    # a symmetric x moves along the symmetric part of v (see tensorgrad.symmetric)
    return symmetrize(v, groups_of(x)).rename(_slots(t, x))


@TANGENT.register(Delta, Zero)
def _tangent_constant(t, x, v, memo):
    return None


@TANGENT.register(Sum)
def _tangent_sum(t: Sum, x, v, memo):
    pairs = [(d, w) for d, w in ((_forward(s, x, v, memo), w) for s, w in zip(t.terms, t.weights)) if d is not None]
    return Sum([d for d, _ in pairs], [w for _, w in pairs], t.edges) if pairs else None


@TANGENT.register(Product)
def _tangent_product(t: Product, x, v, memo):
    # Leibniz: the factor's tangent has the factor's edges, so nothing is renamed
    terms = []
    for k, factor in enumerate(t.factors):
        d = _forward(factor, x, v, memo)
        if d is not None:
            terms.append(Product(t.factors[:k] + (d,) + t.factors[k + 1:], t.edges))
    return _sum(terms, t.edges)


@TANGENT.register(Function)
def _tangent_function(t: Function, x, v, memo):
    du = _forward(t.arg, x, v, memo)
    if du is None:
        return None
    fresh = _fresh_for(t)
    return _apply(t.spec.jacobian(t, fresh), du.rename(fresh), t.edges)


@TANGENT.register(Derivative)
def _tangent_derivative(t: Derivative, x, v, memo):
    return _forward(_expand(t), x, v, memo)


# ---------------------------------------------------------------------------
# Reverse mode: COTANGENT(t, bar, x, push) passes t's accumulated cotangent `bar`
# (edges t.edges) on to t's children with push(child, contribution)
# ---------------------------------------------------------------------------

COTANGENT = KindTable("vjp cotangent")


def _children(t: Tensor) -> tuple:
    return (_expand(t),) if isinstance(t, Derivative) else t.children()


def _topological(root: Tensor, x: Variable) -> list:
    """Distinct nodes that depend on x, each after every node that uses it."""
    order, seen = [], set()
    stack = [(root, False)]
    while stack:
        t, done = stack.pop()
        if done:
            order.append(t)
            continue
        if t in seen or not t.depends_on(x):
            continue
        seen.add(t)
        stack.append((t, True))
        stack.extend((c, False) for c in _children(t))
    return order[::-1]


def _backward(root: Tensor, x: Variable, u: Tensor) -> Tensor | None:
    """Σ over occurrences of x of u contracted with d root / d x (edges x.edges).
    Each distinct node passes its cotangent on once, summed over all its uses."""
    cot: dict = {root: [u]}

    def push(child, part):
        if child.depends_on(x):
            cot.setdefault(child, []).append(part)

    found = []
    for t in _topological(root, x):
        parts = cot.pop(t, None)
        if not parts:
            continue
        bar = _sum(parts, t.edges)
        if isinstance(t, Variable):
            found.append(bar.rename({o: e for e, o in _slots(t, x).items()}))
        else:
            COTANGENT(t, bar, x, push)
    total = _sum(found, x.edges)
    return None if total is None else symmetrize(total, groups_of(x))


@COTANGENT.register(Variable, Delta, Zero)
def _cotangent_leaf(t, bar, x, push):
    pass  # x's occurrences are collected by _backward; other leaves are constants


@COTANGENT.register(Sum)
def _cotangent_sum(t: Sum, bar, x, push):
    for s, w in zip(t.terms, t.weights):
        push(s, scale(bar, w))


@COTANGENT.register(Product)
def _cotangent_product(t: Product, bar, x, push):
    # bar carries t's free edges: contracted with the other factors it gives a
    # tensor with exactly factor k's edges
    for k, factor in enumerate(t.factors):
        if factor.depends_on(x):
            push(factor, Product((bar,) + t.factors[:k] + t.factors[k + 1:], factor.edges))


@COTANGENT.register(Function)
def _cotangent_function(t: Function, bar, x, push):
    fresh = _fresh_for(t)
    back = _apply(t.spec.jacobian(t, fresh), bar, tuple(fresh[e] for e in t.arg.edges))
    push(t.arg, back.rename({n: e for e, n in fresh.items()}))


@COTANGENT.register(Derivative)
def _cotangent_derivative(t: Derivative, bar, x, push):
    push(_expand(t), bar)


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------

def _collect_outer(t: Tensor) -> Tensor:
    """Σ_k w_k (F ⊗ R_k) -> F ⊗ Σ_k w_k R_k for factors F that every term has and that
    touch only free edges (the xᵀ of a gradient wrt W₁ in W₁x): one outer product
    instead of one per term (5-9× faster on the MLP HVP, bench/hvp.py). The simplifier's
    normal form distributes it again; `simplify` of the result is still equivalent."""
    if not isinstance(t, Sum) or not all(isinstance(p, Product) for p in t.terms):
        return t
    first = t.terms[0]
    common = []
    for f in first.factors:
        if not f.edges or not set(f.edges) <= set(t.edges) or f in common:
            continue
        if all(p.factors.count(f) == 1 for p in t.terms):
            common.append(f)
    if not common:
        return t
    outer = {e for f in common for e in f.edges}
    rest_edges = tuple(e for e in t.edges if e not in outer)
    rests = [Product([g for g in p.factors if g not in common], rest_edges) for p in t.terms]
    return Product(common + [Sum(rests, t.weights, rest_edges)], t.edges)


def _finish(t: Tensor | None, edges: tuple, dimt: tuple) -> Tensor:
    if t is None:
        return Zero(edges, dimt)
    return with_edge_order(_collect_outer(simplify(t)), edges)


@deep
def jvp(f: Tensor, x: Variable, v: Tensor) -> Tensor:
    """Directional derivative: `derivative(f, x)` contracted with `v` over x's new
    edges; `v` has x's edges and dimensions; the result has f's edges.

    >>> import tensorgrad as tg
    >>> x = tg.Variable("x", "i"); v = tg.Variable("v", "i")
    >>> tg.equivalent(tg.jvp(tg.exp(x), x, v), tg.exp(x) * v)
    True
    """
    _check(f, x, "jvp")
    _check_direction(v, x, "jvp", "v", f"the variable {x.name!r}")
    return _finish(_forward(f, x, v, {}), f.edges, f.dim_symbols)


@deep
def vjp(f: Tensor, x: Variable, u: Tensor) -> Tensor:
    """`u` (with f's edges) contracted with `derivative(f, x)` over f's edges; the
    result has x's edges.

    >>> import tensorgrad as tg
    >>> A = tg.Variable("A", i="m", j="n"); x = tg.Variable("x", j="n"); u = tg.Variable("u", i="m")
    >>> tg.equivalent(tg.vjp(A @ x, x, u), u @ A)
    True
    """
    _check(f, x, "vjp")
    _check_direction(u, f, "vjp", "u", "f")
    return _finish(_backward(f, x, u), x.edges, x.dim_symbols)


@deep
def hvp(f: Tensor, x: Variable, v: Tensor) -> Tensor:
    """Hessian-vector product of a scalar f: `derivative(grad(f, x), x)` contracted
    with `v` over the new edges; the result has x's edges. Forward over reverse:
    the tangent of the reverse-mode gradient, so no Hessian-sized node is built.

    >>> import tensorgrad as tg
    >>> x = tg.Variable("x", "i"); v = tg.Variable("v", "i")
    >>> tg.equivalent(tg.hvp(tg.sum(x * x * x), x, v), 6 * x * v)
    True
    """
    _check(f, x, "hvp")
    if f.edges:
        raise ValueError(f"hvp needs a scalar function, but it has free edges {f.edges}; "
                         "use jvp of a gradient or vjp for a vector function")
    _check_direction(v, x, "hvp", "v", f"the variable {x.name!r}")
    g = _backward(f, x, ONE)
    if g is None:
        return Zero(x.edges, x.dim_symbols)
    return _finish(_forward(simplify(g), x, v, {}), x.edges, x.dim_symbols)
