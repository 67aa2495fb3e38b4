"""jvp / vjp / hvp against central finite differences of the function alone (float64),
for every benchmark-card function and for random expressions; and the promise that
no node of a result is Jacobian- or Hessian-sized."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import tensorgrad as tg
from tensorgrad.expr import Delta, Variable
from tensorgrad.numcheck import unit_direction
from tensorgrad.testing import DIMS, cases, close_enough

SIZES = {"m": 4, "n": 5, "H": 6, "O": 3, "S": 4, "D": 3, "E": 2, "N": 7}


def sq(t):
    return tg.sum(t * t)


def _card():
    """name -> (f, wrt, value makers): every benchmark-card function (both cards)."""
    A, x, b = tg.Variable("A", i="m", j="n"), tg.Variable("x", j="n"), tg.Variable("b", i="m")
    Sq = tg.Variable("S", i="n", j="n")
    X, w, yl = tg.Variable("X", i="N", j="n"), tg.Variable("w", j="n"), tg.Variable("y", i="N")
    T, U, V = tg.Variable("T", i="m", j="n"), tg.Variable("U", i="m", k="D"), tg.Variable("V", j="n", k="D")
    M = tg.Variable("M", i="n", j="n")
    z, y = tg.Variable("z", i="n"), tg.Variable("y", i="n")
    W1, W2 = tg.Variable("W1", h="H", j="n"), tg.Variable("W2", o="O", h="H")
    yo = tg.Variable("y", o="O")
    Q, K, Va = tg.Variable("Q", s="S", d="D"), tg.Variable("K", t="S", d="D"), tg.Variable("V", t="S", e="E")
    Ws = [tg.Variable(f"W{k}", **{f"i{k + 1}": "n", f"i{k}": "n"}) for k in range(4)]
    x0 = tg.Variable("x", i0="n")
    h = x0
    for W in Ws:
        h = tg.tanh(W @ h)
    xl, wl = tg.Variable("x", i="n"), tg.Variable("w", i="n")
    n = tg.sum(tg.ones(i="n"))
    c = xl - tg.ones(i="n") * (tg.sum(xl) / n)
    var = tg.sum(c * c) / n
    Sig, mu, xs = tg.Variable("Sigma", i="n", j="n"), tg.Variable("mu", i="n"), tg.Variable("x", i="n")
    d = xs - mu
    return {
        "lsq": (sq(A @ x - b), x),
        "quad": (x.rename(j="i") @ Sq @ x, x),
        "logreg": (tg.sum(tg.log(1 + tg.exp(-yl * (X @ w)))), w),
        "mf": (sq(T - U @ V), U),
        "logdet": (tg.logdet(M), M),
        "softmax_ce": (-(y @ tg.log(tg.softmax(z, "i"))), z),
        "mlp": (sq(W2 @ tg.tanh(W1 @ x) - yo), W1),
        "det_lemma": (tg.det(tg.delta("n", "i", "j") + z * z.rename(i="j")), z),
        "attention": (sq(tg.softmax(Q @ K, "t") @ Va), Q),
        "deep4": (tg.sum(h), x0),
        "layernorm": (tg.sum(wl * c / tg.sqrt(var + 1e-5)), xl),
        "nll": (tg.logdet(Sig) + d @ tg.inverse(Sig) @ d.rename(i="j"), Sig),
    }


CARD = _card()


def values_for(f, seed=0) -> dict:
    """Seeded values; square matrices are well conditioned (diagonal shift), the NLL
    covariance symmetric positive definite."""
    rng = np.random.default_rng(seed)
    out = {}
    for v in _variables(f):
        shape = tuple(SIZES[s] for s in v.dim_symbols)
        a = rng.normal(size=shape) / (2 if len(shape) == 2 else 1)
        if len(shape) == 2 and shape[0] == shape[1]:
            a = a @ a.T / shape[0] + np.eye(shape[0]) if v.name == "Sigma" else a + 3 * np.eye(shape[0])
        out[v.name] = a
    return out


def _variables(t) -> list:
    from tensorgrad.evaluate import variables_of
    seen = {}
    for v in variables_of(t):
        seen.setdefault(v.name, v)
    return list(seen.values())


def ev(t, values):
    return np.asarray(tg.evaluate(t, values, dims=SIZES), dtype=float)


def direction(x: Variable, name: str) -> Variable:
    return tg.Variable(name, **x.dims)


def fd_jvp(f, x, values, dv, h=1e-6):
    x0 = values[x.name]
    return (ev(f, {**values, x.name: x0 + h * dv}) - ev(f, {**values, x.name: x0 - h * dv})) / (2 * h)


def fd_vjp(f, x, values, du, h=1e-6):
    """Σ_f u · ∂f/∂x_k by central differences, one coordinate of x at a time."""
    x0 = np.asarray(values[x.name], dtype=float)
    out = np.zeros(x0.shape)
    for idx in np.ndindex(*x0.shape):
        e = np.zeros_like(x0)
        e[idx] = h
        diff = ev(f, {**values, x.name: x0 + e}) - ev(f, {**values, x.name: x0 - e})
        out[idx] = np.sum(du * diff) / (2 * h)
    return out


def fd_hvp(f, x, values, dv, h=1e-4):
    """(∇²f · v)_k = ∂²/∂s∂t f(x + s v + t e_k) at 0 by the 4-point mixed difference of
    f alone (no symbolic derivative involved)."""
    x0 = np.asarray(values[x.name], dtype=float)
    out = np.zeros(x0.shape)
    for idx in np.ndindex(*x0.shape):
        e = np.zeros_like(x0)
        e[idx] = 1.0
        acc = 0.0
        for s, t in ((1, 1), (1, -1), (-1, 1), (-1, -1)):
            acc += s * t * float(ev(f, {**values, x.name: x0 + h * (s * dv + t * e)}))
        out[idx] = acc / (4 * h * h)
    return out


def largest_node(t, sizes) -> int:
    """Entries of the largest node (copy tensors excepted: they are never materialised)."""
    seen, stack, big = set(), [t], 0
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.extend(node.children())
        if not isinstance(node, Delta):
            big = max(big, math.prod(sizes[d] for d in node.dim_symbols))
    return big


def bound(f, x, sizes) -> int:
    """The largest input, x-sized output, or node evaluating f itself needs (softmax(QKᵀ)
    in attention is S×S whatever one derives)."""
    return max(largest_node(f, sizes), math.prod(sizes[d] for d in x.dim_symbols))


def rel(a, b):
    return float(np.max(np.abs(a - b), initial=0)) / max(1.0, float(np.max(np.abs(b), initial=0)))


@pytest.mark.parametrize("name", sorted(CARD))
def test_card_jvp_vjp_hvp_match_finite_differences(name):
    f, x = CARD[name]
    values = values_for(f)
    rng = np.random.default_rng(7)
    v = direction(x, "dv")
    dv = rng.normal(size=values[x.name].shape)
    values[v.name] = dv

    J = tg.jvp(f, x, v)
    assert J.edges == f.edges
    assert rel(ev(J, values), fd_jvp(f, x, values, dv)) < 1e-6

    u = tg.Variable("du", **f.dims)
    du = rng.normal(size=tuple(SIZES[s] for s in f.dim_symbols))
    Vj = tg.vjp(f, x, u)
    assert Vj.edges == x.edges
    assert rel(ev(Vj, {**values, "du": du}), fd_vjp(f, x, values, du)) < 1e-6

    Hv = tg.hvp(f, x, v)
    assert Hv.edges == x.edges
    assert rel(ev(Hv, values), fd_hvp(f, x, values, dv)) < 1e-5
    # no Jacobian- or Hessian-sized node: |x|² exceeds every node of f itself here
    assert largest_node(Hv, SIZES) <= bound(f, x, SIZES)
    assert largest_node(J, SIZES) <= bound(f, x, SIZES)
    assert largest_node(Vj, SIZES) <= bound(f, x, SIZES)


def test_lsq_hvp_is_two_a_transpose_a_v_never_the_gram_matrix():
    A, x, b, v = tg.Variable("A", i="m", j="n"), tg.Variable("x", j="n"), tg.Variable("b", i="m"), tg.Variable("v", j="n")
    Hv = tg.hvp(sq(A @ x - b), x, v)
    assert tg.equivalent(Hv, 2 * (A @ (A @ v)))
    # evaluation contracts v first: the plan never forms the n×n Gram matrix
    import tracemalloc
    rng = np.random.default_rng(5)
    values = {"A": rng.normal(size=(300, 400)), "x": rng.normal(size=400), "b": rng.normal(size=300),
              "v": rng.normal(size=400)}
    tg.evaluate(Hv, values)  # compiled outside the measurement
    tracemalloc.start()
    try:
        got = tg.evaluate(Hv, values)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert np.allclose(got, 2 * values["A"].T @ (values["A"] @ values["v"]), rtol=1e-12)
    assert peak < 400 * 400 * 8 / 4  # a 400×400 Gram matrix alone is 1.28 MB


def test_x_used_several_times_and_renamed():
    x, v = tg.Variable("x", i="n", j="n"), tg.Variable("v", i="n", j="n")
    f = tg.sum(tg.sin(x) * x.rename(i="j", j="i")) + tg.trace(x) ** 3 + sq(x @ x.rename(i="k", j="i"))
    values = {"x": np.random.default_rng(3).normal(size=(5, 5)) / 2}
    dv = np.random.default_rng(4).normal(size=(5, 5))
    values["v"] = dv
    assert rel(ev(tg.hvp(f, x, v), values), fd_hvp(f, x, values, dv)) < 1e-5
    assert rel(ev(tg.jvp(f, x, v), values), fd_jvp(f, x, values, dv)) < 1e-6


def test_direction_may_be_an_expression_and_independent_of_x_gives_zero():
    A, x, y = tg.Variable("A", i="n", j="n"), tg.Variable("x", j="n"), tg.Variable("y", j="n")
    f = tg.sum(tg.exp(A @ x))
    v = tg.tanh(y) * 2  # an expression with x's edges
    values = {"A": np.random.default_rng(0).normal(size=(5, 5)) / 3, "x": np.ones(5), "y": np.arange(5.0) / 5}
    dv = 2 * np.tanh(values["y"])
    assert rel(ev(tg.hvp(f, x, v), values), fd_hvp(f, x, values, dv)) < 1e-5
    z = tg.jvp(f, y, y)
    assert isinstance(z, tg.Zero) and z.edges == ()
    assert isinstance(tg.hvp(f, y, y), tg.Zero)


def test_direction_with_edges_in_another_order():
    A, x = tg.Variable("A", i="n", j="m"), tg.Variable("x", i="n", j="m")
    v = tg.Variable("v", j="m", i="n")  # same edges, declared in the other order
    f = tg.sum(tg.exp(A * x))
    values = {"A": np.random.default_rng(0).normal(size=(5, 4)), "x": np.random.default_rng(1).normal(size=(5, 4))}
    dv = np.random.default_rng(2).normal(size=(4, 5))
    values["v"] = dv
    assert rel(ev(tg.hvp(f, x, v), values), fd_hvp(f, x, values, dv.T)) < 1e-5


@pytest.mark.parametrize("call, message", [
    (lambda x, v, f: tg.jvp(f, x, tg.Variable("v", k="n")), "missing \\['j'\\], extra \\['k'\\]"),
    (lambda x, v, f: tg.jvp(f, x, tg.Variable("v", j="m")), "edge 'j' of v has dimension 'm'"),
    (lambda x, v, f: tg.hvp(f, x, tg.Variable("v", j="n", k="n")), "extra \\['k'\\]"),
    (lambda x, v, f: tg.hvp(tg.exp(x), x, v), "scalar function.*free edges \\('j',\\)"),
    (lambda x, v, f: tg.vjp(tg.exp(x), x, tg.Variable("u", i="n")), "u must have the edges \\('j',\\) of f"),
    (lambda x, v, f: tg.vjp(tg.exp(x), x, tg.Variable("u", j="m")), "edge 'j' of u has dimension 'm'"),
])
def test_wrong_edges_or_dimensions_raise_value_error_naming_them(call, message):
    x, v = tg.Variable("x", j="n"), tg.Variable("v", j="n")
    with pytest.raises(ValueError, match=message):
        call(x, v, x @ x)


def test_wrong_types_raise_type_error():
    x, v = tg.Variable("x", j="n"), tg.Variable("v", j="n")
    with pytest.raises(TypeError, match="v must be a tensorgrad expression"):
        tg.jvp(x @ x, x, np.ones(3))
    with pytest.raises(TypeError, match="with respect to a Variable"):
        tg.hvp(x @ x, x * 2, v)
    with pytest.raises(TypeError, match="f must be a tensorgrad expression"):
        tg.vjp(3.0, x, v)


# ---------------------------------------------------------------------------
# Random expressions
# ---------------------------------------------------------------------------

RANDOM = settings(max_examples=30, deadline=None, derandomize=True, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                         HealthCheck.data_too_large])


def _evaluate(t, values):
    with np.errstate(all="ignore"):
        return np.asarray(tg.evaluate(t, values, dims=DIMS), dtype=float)


@RANDOM
@given(cases(max_depth=3), st.data())
def test_random_expressions_jvp_vjp_hvp_match_finite_differences(case, data):
    xs = [v for v in case.variables if v.edges]
    x = data.draw(st.sampled_from(xs))
    values = case.values()
    base = _evaluate(case.expr, values)
    assume(np.all(np.isfinite(base)) and np.max(np.abs(base), initial=0) < 1e4)
    rng = np.random.default_rng(case.seed)
    v = tg.Variable("dv", **x.dims)
    dv = rng.uniform(-1, 1, size=np.shape(values[x.name]))
    values["dv"] = dv
    f = case.expr

    def fd(g, xv, h):
        return _evaluate(g, {**values, x.name: values[x.name] + h * xv})

    def unit(idx):  # a symmetric x moves along symmetric directions only
        return unit_direction(x, np.shape(values[x.name]), idx)

    h = 1e-6
    dv_moved = sum(dv[idx] * unit(idx) for idx in np.ndindex(*dv.shape)) if x.symmetries else dv
    want = (fd(f, dv_moved, h) - fd(f, dv_moved, -h)) / (2 * h)
    assert close_enough(_evaluate(tg.jvp(f, x, v), values), want)

    u = tg.Variable("du", **f.dims)
    du = rng.uniform(-1, 1, size=base.shape)
    grad_fd = np.zeros(np.shape(values[x.name]))
    for idx in np.ndindex(*grad_fd.shape):
        e = unit(idx)
        grad_fd[idx] = float(np.sum(du * (fd(f, e, h) - fd(f, e, -h)))) / (2 * h)
    assert close_enough(_evaluate(tg.vjp(f, x, u), {**values, "du": du}), grad_fd)

    s = tg.sum(f) if f.edges else f
    hv = np.zeros_like(grad_fd)
    hh = 1e-4
    for idx in np.ndindex(*hv.shape):
        e = unit(idx)
        acc = sum(a * b * float(fd(s, a * dv_moved + b * e, hh)) for a, b in ((1, 1), (1, -1), (-1, 1), (-1, -1)))
        hv[idx] = acc / (4 * hh * hh)
    assert close_enough(_evaluate(tg.hvp(s, x, v), values), hv, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("which", ["softmax wrt x", "softmax wrt A", "inverse", "tanh layer wrt W"])
def test_vector_and_matrix_valued_functions(which):
    A, x, X = tg.Variable("A", i="m", j="n"), tg.Variable("x", j="n"), tg.Variable("X", i="n", j="n")
    W = tg.Variable("W", i="n", j="n")
    f, wrt = {"softmax wrt x": (tg.softmax(A @ x, "i"), x), "softmax wrt A": (tg.softmax(A @ x, "i"), A),
              "inverse": (tg.inverse(X), X),
              "tanh layer wrt W": (tg.tanh(W @ tg.tanh(W @ x).rename(i="j")), W)}[which]
    values = values_for(f, seed=5)
    rng = np.random.default_rng(9)
    dv = rng.normal(size=values[wrt.name].shape)
    du = rng.normal(size=tuple(SIZES[s] for s in f.dim_symbols))
    v, u = direction(wrt, "dv"), tg.Variable("du", **f.dims)
    J, Vj = tg.jvp(f, wrt, v), tg.vjp(f, wrt, u)
    assert J.edges == f.edges and Vj.edges == wrt.edges
    assert rel(ev(J, {**values, "dv": dv}), fd_jvp(f, wrt, values, dv)) < 1e-6
    assert rel(ev(Vj, {**values, "du": du}), fd_vjp(f, wrt, values, du)) < 1e-6
    assert largest_node(J, SIZES) <= bound(f, wrt, SIZES) and largest_node(Vj, SIZES) <= bound(f, wrt, SIZES)
