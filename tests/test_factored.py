"""Simplification without expanding: differences stay differences, values stay
accurate near cancellation, shared sub-networks are simplified once, and common
factors cancel. Values are checked against finite differences in float64 or against
the same expression evaluated in extended precision (np.longdouble)."""

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.expr import Delta, Function, Sum, as_number
from tensorgrad.numcheck import finite_difference, second_difference
from tensorgrad.simplify import simplify
from tensorgrad.testing import rebuild

rng = np.random.default_rng(11)
A = tg.Variable("A", i="m", j="n")
x = tg.Variable("x", j="n")
b = tg.Variable("b", i="m")
u = tg.Variable("u", i="n")
a = tg.Variable("a", i="n")


def terms(t):
    return len(t.terms) if isinstance(t, Sum) else 1


def rel(got, want):
    got, want = np.asarray(got, dtype=np.longdouble), np.asarray(want, dtype=np.longdouble)
    return float(np.max(np.abs(got - want)) / np.max(np.abs(want)))


def extended(t, values):
    """`t` evaluated with every input in extended precision: the reference."""
    return tg.evaluate(t, {k: np.asarray(v, dtype=np.longdouble) for k, v in values.items()})


def near_fit():
    """Integer A and x (so A x is exact in float64) and b within ~1e-8 of A x."""
    Av = rng.integers(-3, 4, size=(6, 3)).astype(float)
    xv = rng.integers(-3, 4, size=3).astype(float)
    return {A: Av, x: xv, b: Av @ xv + 1e-8 * rng.normal(size=6)}


def test_residual_norm_stays_a_difference_and_accurate_near_a_fit():
    r = A @ x - b
    f = tg.sum(r * r)
    s = f.simplify()
    assert tg.equivalent(s, f)
    vals = near_fit()
    ref = extended(f, vals)
    assert 0 < ref < 1e-14
    assert rel(tg.evaluate(s, vals), ref) < 1e-8
    # the expanded form ‖Ax‖² + ‖b‖² − 2bᵀAx is what it must not become: it cancels
    expanded = simplify(f, expand=True)
    assert terms(expanded) == 3 and terms(s) == 1
    assert rel(tg.evaluate(expanded, vals), ref) > 1e-3


def test_lsq_gradient_and_hessian_from_the_factored_form():
    r = A @ x - b
    f = tg.sum(r * r)
    vals = near_fit()
    g = tg.grad(f, x).simplify()
    assert terms(g) == 1  # 2Aᵀ(A x − b)
    want = 2 * vals[A].T @ (vals[A] @ vals[x] - vals[b])
    assert rel(tg.evaluate(g, vals), want) < 1e-8
    assert rel(tg.evaluate(g, vals), extended(tg.grad(f, x), vals)) < 1e-8
    H = tg.hessian(f, x).simplify()
    assert terms(H) == 1
    np.testing.assert_allclose(tg.evaluate(H, vals), 2 * vals[A].T @ vals[A])


def test_gradient_of_norm_of_difference_has_no_nan_near_a():
    f = tg.norm(u - a)
    g = tg.grad(f, u).simplify()
    av = rng.normal(size=5)
    vals = {u: av + 1e-9 * rng.normal(size=5), a: av}
    got = tg.evaluate(g, vals)
    assert np.all(np.isfinite(got))
    d = np.asarray(vals[u], np.longdouble) - np.asarray(av, np.longdouble)
    assert rel(got, d / np.sqrt(np.sum(d * d))) < 1e-8
    assert rel(got, extended(tg.grad(f, u), vals)) < 1e-8


def test_frobenius_norm_of_outer_product_has_a_single_term_gradient():
    f = tg.norm(u * u.rename(i="k"))  # ‖u uᵀ‖_F = ‖u‖²
    g = tg.grad(f, u).simplify()
    assert terms(g) == 1
    assert tg.equivalent(g, 2 * u)
    assert g.size() <= 3


def test_scalar_over_itself_cancels():
    q = u @ u
    assert as_number((q / q).simplify()) == 1
    assert as_number(((u - a) @ (u - a) / ((u - a) @ (u - a))).simplify()) == 1


@pytest.mark.parametrize("exponents, total", [((1, -3), -2), ((1, 1, -6), -4), ((2, 0.5), 2.5)])
def test_dimension_powers_fold(exponents, total):
    n = Delta("n")
    t = tg.ones()
    for p in exponents:
        t = t * (n if p == 1 else n ** p)
    s = t.simplify()
    assert s == Function("pow", n, (), (total,))
    assert np.isclose(tg.evaluate(s, {}, dims={"n": 5}), 5.0 ** total)


def test_gaussian_nll_gradient_wrt_covariance_in_two_terms():
    S = tg.Variable("S", i="n", j="n")
    mu, y = tg.Variable("mu", i="n"), tg.Variable("y", i="n")
    r = y - mu
    f = tg.logdet(S) + r @ tg.inverse(S) @ r.rename(i="j")
    g = tg.grad(f, S).simplify()
    assert terms(g) == 2  # Σ⁻ᵀ − Σ⁻ᵀ(y − μ)(y − μ)ᵀΣ⁻ᵀ
    Q = rng.normal(size=(4, 4))
    yv = rng.normal(size=4)
    vals = {S: Q @ Q.T + 4 * np.eye(4), y: yv, mu: yv + 1e-7 * rng.normal(size=4)}
    np.testing.assert_allclose(tg.evaluate(g, vals), finite_difference(f, S, vals), rtol=1e-6, atol=1e-8)
    Si = np.linalg.inv(vals[S]).T
    d = vals[y] - vals[mu]
    assert rel(tg.evaluate(g, vals), Si - Si @ np.outer(d, d) @ Si) < 1e-8  # y − μ is exact here


def _tanh_net(L, n="n"):
    v = tg.Variable("v", i0=n)
    Ws = [tg.Variable(f"W{k}", **{f"i{k + 1}": n, f"i{k}": n}) for k in range(L)]
    h = v
    for W in Ws:
        h = tg.tanh(W @ h)
    return tg.sum(h), v, Ws


@pytest.mark.parametrize("L", [2, 4])
def test_deep_tanh_hessian_value_size_and_idempotence(L):
    f, v, Ws = _tanh_net(L)
    raw = tg.hessian(f, v)
    H = raw.simplify()
    assert H.size() <= raw.size()
    assert H.simplify() is H
    vals = {v: rng.normal(size=3), **{W: rng.normal(size=(3, 3)) for W in Ws}}
    got = tg.evaluate(H, vals)
    np.testing.assert_allclose(got, second_difference(f, v, vals), rtol=1e-5, atol=1e-7)
    # the shared form and an unshared copy of it (rebuilt node by node) agree
    np.testing.assert_allclose(tg.evaluate(rebuild(H), vals), got, rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(tg.evaluate(simplify(raw, expand=True), vals), got, rtol=1e-10, atol=1e-12)


def test_deep_hessian_keeps_sums_factored():
    f, v, _ = _tanh_net(8)
    H = tg.hessian(f, v).simplify()
    E = simplify(tg.hessian(f, v), expand=True)
    assert H.size() < E.size() and terms(H) < terms(E)
    assert H.distinct_size() < H.size()


def test_deep_hessian_distinct_nodes_grow_slower_than_the_tree():
    # shared sub-networks stay shared: doubling the depth about doubles the distinct
    # nodes (a flat sum of products grew ~L^2.6 as a tree, ~L^2 distinct)
    sizes = {}
    for L in (8, 16):
        f, v, _ = _tanh_net(L)
        H = tg.hessian(f, v).simplify()
        sizes[L] = (H.distinct_size(), H.size())
    assert sizes[16][0] < 2.6 * sizes[8][0]
    assert sizes[16][0] * 4 < sizes[16][1]


def test_stacked_softmax_hessian_value():
    v = tg.Variable("v", i0="n")
    h, Ws = v, []
    for k in range(2):
        W = tg.Variable(f"W{k}", **{f"i{k + 1}": "n", f"i{k}": "n"})
        Ws.append(W)
        h = tg.softmax(W @ h, f"i{k + 1}")
    f = tg.sum(h * h)
    H = tg.hessian(f, v).simplify()
    vals = {v: rng.normal(size=3), **{W: rng.normal(size=(3, 3)) for W in Ws}}
    np.testing.assert_allclose(tg.evaluate(H, vals), second_difference(f, v, vals), rtol=1e-5, atol=1e-7)


def test_expansion_is_kept_where_terms_merge():
    M = tg.Variable("M", i="n", j="n")
    q = u @ (M + M.rename(i="j", j="i")) @ u.rename(i="j")  # uᵀ(M + Mᵀ)u = 2 uᵀ M u
    s = q.simplify()
    assert isinstance(s, Sum) and s.weights == (2,) and terms(s) == 1


def test_simplified_is_at_least_as_accurate_as_unsimplified_near_cancellation():
    S = tg.Variable("S", i="n", j="n")
    cases = [
        tg.sum((u - a) * (u - a)),
        (u - a) @ S @ (u - a).rename(i="j"),
        tg.norm(u - a) * tg.sum(u),
        tg.sum(tg.exp(u - a) - 1),
    ]
    av = rng.normal(size=4)
    vals = {u: av * (1 + 1e-8 * rng.normal(size=4)), a: av, S: rng.normal(size=(4, 4))}
    for f in cases:
        ref = extended(f, vals)
        err_raw = rel(tg.evaluate(f, vals), ref)
        err_simplified = rel(tg.evaluate(f.simplify(), vals), ref)
        assert err_simplified <= max(err_raw, 1e-8), (f, err_raw, err_simplified)


def _chain(M, p):
    """M^p as nested products ((M M) M)…, the way a loop builds it."""
    out = M
    for _ in range(p - 1):
        out = out.rename(j="k") @ M.rename(i="k")
    return out


@pytest.mark.parametrize("p", [2, 3, 5, 30])
def test_trace_power_gradient_is_one_term(p):
    # d tr(A^p)/dA = p (A^(p-1))ᵀ: the p rotated chains are recognised as one term
    S = tg.Variable("S", i="n", j="n")
    g = tg.grad(tg.trace(_chain(S, p)), S).simplify()
    assert isinstance(g, Sum) and len(g.terms) == 1 and g.weights[0] == p
    factors = g.terms[0].factors if isinstance(g.terms[0], tg.Product) else (g.terms[0],)
    assert len(factors) == p - 1 and all(isinstance(f, tg.Variable) for f in factors)
    Sv = rng.standard_normal((4, 4)) / 2
    want = p * np.linalg.matrix_power(Sv, p - 1).T
    assert rel(tg.evaluate(g, {S: Sv}), want) < 1e-12
    if p <= 5:
        assert rel(finite_difference(tg.trace(_chain(S, p)), S, {S: Sv}), want) < 1e-6


def test_rings_among_other_factors_and_non_rings_by_finite_differences():
    S = tg.Variable("S", i="n", j="n")
    B = tg.Variable("B", i="n", j="n")
    v = tg.Variable("v", i="n")
    cases = [
        tg.trace(_chain(S, 3)) * tg.trace(_chain(S, 2)),  # two rings in one product
        tg.trace(_chain(S, 3)) * (v @ S.rename(j="k") @ v.rename(i="k")),  # a ring and a chain
        tg.trace(S.rename(j="k") @ B.rename(i="k", j="l") @ S.rename(i="l", j="p") @ B.rename(i="p")),  # S B S B
        tg.trace(S.rename(j="k") @ S.rename(i="l", j="k") @ S.rename(i="l")),  # S Sᵀ S: mixed orientation
    ]
    vals = {S: rng.standard_normal((3, 3)), B: rng.standard_normal((3, 3)), v: rng.standard_normal(3)}
    for f in cases:
        g = tg.grad(f, S)
        assert rel(tg.evaluate(g.simplify(), vals), finite_difference(f, S, vals)) < 1e-6
        assert rel(tg.evaluate(g, vals), finite_difference(f, S, vals)) < 1e-6
