"""One numeric engine: tg.evaluate runs the plan tg.to_code writes, so both paths share
one semantics -- promotion to floating point, fresh results, identity structure that
never multiplies values it does not touch, no materialised copy tensors -- and compute
each sub-expression once per call."""

import tracemalloc

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.numcheck import finite_difference
from tensorgrad.plan import function_source

RNG = np.random.default_rng(7)


def _nll():
    S = tg.Variable("S", i="n", j="n")
    x, mu = tg.Variable("x", i="n"), tg.Variable("mu", i="n")
    d = x - mu
    f = tg.logdet(S) + d @ tg.inverse(S) @ d.rename(i="j")
    n = 6
    a = RNG.normal(size=(n, n))
    vals = {"S": a @ a.T + n * np.eye(n), "x": RNG.normal(size=n), "mu": RNG.normal(size=n)}
    return f, S, vals


def test_evaluate_runs_the_exported_plan():
    f, S, vals = _nll()
    g = tg.grad(f, S)
    sizes = {"n": 6}
    compiled = tg.compile(g, sizes=sizes)
    got = tg.evaluate(g, vals)
    assert np.array_equal(got, compiled(vals["S"], vals["mu"], vals["x"]))  # bit for bit: one plan
    s, xm = vals["S"], vals["x"] - vals["mu"]
    inv = np.linalg.inv(s)
    want = inv.T - inv.T @ np.outer(xm, xm) @ inv.T  # d/dS of logdet S + xᵀS⁻¹x, independent closed form
    assert np.allclose(got, want, rtol=1e-12, atol=1e-14)


def test_shared_subexpression_computed_once_per_call(monkeypatch):
    # the unsimplified NLL gradient holds inverse(S) under three different edge namings
    f, S, vals = _nll()
    g = tg.grad(f, S)
    calls = []
    real_inv, real_solve = np.linalg.inv, np.linalg.solve
    monkeypatch.setattr(np.linalg, "inv", lambda a: calls.append("inv") or real_inv(a))
    monkeypatch.setattr(np.linalg, "solve", lambda a, b: calls.append("solve") or real_solve(a, b))
    tg.evaluate(g, vals)
    assert calls == ["inv"]
    # several outputs of one compiled function share it too
    calls.clear()
    out = tg.compile({"f": f, "g": g})(vals["S"], vals["mu"], vals["x"])
    assert calls == ["inv"] and out["g"].shape == (6, 6)


@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.int64, np.uint16, bool])
def test_integers_and_booleans_become_floating_point(dtype):
    x = tg.Variable("x", "i")
    v = np.array([1, 0, 1, 1], dtype=dtype) if dtype is bool else np.array([1, 2, 3, 100], dtype=dtype)
    for expr, want in [(x * x, v.astype(float) ** 2), (2.5 * x, 2.5 * v.astype(float)),
                       (x ** 2 + 1, v.astype(float) ** 2 + 1)]:
        for got in (tg.evaluate(expr, {x: v}), tg.compile(expr)(v)):
            assert got.dtype == np.float64 and np.array_equal(got, want)


def test_large_integers_do_not_overflow_and_negative_powers_work():
    x = tg.Variable("x", "i")
    v = np.array([2 ** 40, 3], dtype=np.int64)
    assert np.array_equal(tg.evaluate(x * x, {x: v}), np.array([2.0 ** 80, 9.0]))
    assert np.allclose(tg.evaluate(x ** -2, {x: v}), [2.0 ** -80, 1 / 9], rtol=1e-15)
    assert np.allclose(tg.compile(x ** -2)(v), [2.0 ** -80, 1 / 9], rtol=1e-15)


def test_results_never_share_memory_with_inputs():
    A = tg.Variable("A", i="m", j="n")
    x, s = tg.Variable("x", "i"), tg.Variable("s")
    a, xv, sv = RNG.normal(size=(3, 4)), RNG.normal(size=3), np.array(2.0)
    cases = [(x, {x: xv}, None), (A.rename(i="j", j="i"), {A: a}, None), (A, {A: a}, ("j", "i")),
             (s, {s: sv}, None), (1 * x, {x: xv}, None)]
    for expr, vals, edges in cases:
        out = tg.evaluate(expr, vals, edges=edges)
        assert not any(np.shares_memory(out, v) for v in vals.values()), expr
    for expr, args in [(x, (xv,)), (A.rename(i="j", j="i"), (a,))]:
        out = tg.compile(expr)(*args)
        assert not np.shares_memory(out, args[0])
        before = args[0].copy()
        out[...] = 0.0
        assert np.array_equal(args[0], before)
    both = tg.compile({"p": x, "q": x})(xv)
    assert not np.shares_memory(both["p"], both["q"]) and not np.shares_memory(both["p"], xv)


def test_identity_structure_never_multiplies_an_inf_into_other_entries():
    y = tg.Variable("y", "i")
    J = tg.derivative(tg.log(y), y)  # unsimplified: 1/y times a copy tensor
    v = np.array([0.0, 1.0, 2.0])
    with np.errstate(divide="ignore"):
        got = tg.evaluate(J, {y: v})
    assert got[0, 0] == np.inf and np.array_equal(got[1:, 1:], np.diag([1.0, 0.5]))
    off = ~np.eye(3, dtype=bool)
    assert np.all(got[off] == 0.0)  # structural zeros stay exact zeros, never NaN
    with np.errstate(divide="ignore"):
        H = tg.evaluate(tg.hessian(tg.sum(tg.log(y)), y), {y: v})
    assert H[0, 0] == -np.inf and np.all(H[off] == 0.0) and np.allclose(np.diag(H)[1:], [-1.0, -0.25])
    # away from the pole the same Jacobian agrees with finite differences
    w = np.array([0.5, 1.0, 2.0])
    assert np.allclose(tg.evaluate(J, {y: w}), finite_difference(tg.log(y), y, {"y": w}), rtol=1e-7)


def test_unsimplified_gradient_wrt_a_matrix_never_builds_the_identity():
    X = tg.Variable("X", i="n", j="n")
    g = tg.grad(tg.sum(tg.exp(X) * X), X)  # unsimplified: holds δ⊗δ (n⁴ entries if materialised)
    x = RNG.normal(size=(200, 200))
    tracemalloc.start()
    try:
        got = tg.evaluate(g, {X: x})
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert np.allclose(got, np.exp(x) * (x + 1), rtol=1e-13)
    assert peak < 20 * x.nbytes  # the n⁴ identity alone would be 40,000 × x.nbytes


def test_nested_outer_products_are_contracted_not_built():
    # the unsimplified NLL gradient nests inv(S)[i,j] inv(S)[k,l] (n⁴) inside a product with vectors
    f, S, _ = _nll()
    src = function_source({None: (tg.grad(f, S), ("i", "j"))}, sizes={"n": 300}).text
    assert "[:, None, None, :]" not in src and src.count("inv(") == 1


def test_a_diagonal_added_to_a_transposed_input_never_writes_into_the_input():
    # tr(A (I + Aᵀ)): the sum I + Aᵀ accumulates into a diagonal view; Aᵀ is a view of A
    A = tg.Variable("A", i="n", j="n")
    t = tg.trace(A @ (tg.delta("n", "i", "j") + A.rename(i="j", j="i")).rename(i="j", j="k"))
    a = RNG.normal(size=(4, 4))
    a0 = a.copy()
    want = np.trace(a0 @ (np.eye(4) + a0.T))
    for got in (tg.evaluate(t, {A: a}), tg.compile(t)(a)):
        assert np.isclose(got, want, rtol=1e-13) and np.array_equal(a, a0)
