"""Derivatives of the core engine against central finite differences (float64)."""

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.numcheck import finite_difference

rng = np.random.default_rng(1)
m, n = 3, 4
A = tg.Variable("A", i="m", j="n")
B = tg.Variable("B", i="n", j="m")
C = tg.Variable("C", i="m", j="m")
W = tg.Variable("W", i="m", j="m")
S = tg.Variable("S", i="n", j="n")
X = tg.Variable("X", i="n", j="n")
R = tg.Variable("R", i="m", j="n")
x = tg.Variable("x", j="n")
y = tg.Variable("y", j="n")
a = tg.Variable("a", j="n")
b = tg.Variable("b", i="m")
c = tg.Variable("c", j="n")
t = tg.Variable("t")

Wsym = rng.normal(size=(m, m))
VALUES = {
    A: rng.normal(size=(m, n)), B: rng.normal(size=(n, m)), C: rng.normal(size=(m, m)),
    W: Wsym + Wsym.T, S: rng.normal(size=(n, n)), X: rng.normal(size=(n, n)) + 3 * np.eye(n),
    R: rng.normal(size=(m, n)), x: rng.normal(size=n), y: rng.normal(size=n), a: rng.normal(size=n),
    b: rng.normal(size=m), c: rng.normal(size=n), t: np.array(0.7),
}


def matmul(P, Q):
    """Matrix product of two 2-edge tensors with edges (i, j)."""
    return P.rename(j="k_") @ Q.rename(i="k_")


def T(P):
    return P.rename(i="j", j="i")


Ax_b = A @ x - b
XX = matmul(X, X)
CASES = {
    "Ax wrt x": (A @ x, x),
    "Ax wrt A": (A @ x, A),
    "c.x": (c @ x, x),
    "quadratic form": (0.5 * (x @ S.rename(i="k", j="j") @ x.rename(j="k")) + a @ x + 3, x),
    "exp(-x.x)": (-tg.exp(-(x @ x)), x),
    "half lsq": (0.5 * (Ax_b @ Ax_b), x),
    "lsq wrt A": (Ax_b @ Ax_b, A),
    "norm": (tg.norm(x), x),
    "norm Ax": (tg.norm(A @ x), x),
    "-1/(1+x.x)": (-1 / (1 + x @ x), x),
    "log xAx": (tg.log(x @ S.rename(i="k", j="j") @ x.rename(j="k") + 50), x),
    "trace": (tg.trace(X), X),
    "frobenius squared": (tg.sum(X * X), X),
    "tr(AX)": (tg.trace(matmul(S, X)), X),
    "norm cubed": (tg.norm(x) ** 3 / 3, x),
    "frobenius of AX-B": (tg.norm(matmul(R, X) - matmul(R, S)), X),
    "xx^xx": ((x @ x) ** 0.5 * tg.exp((x @ x) * tg.log(x @ x)), x),
    "rayleigh": ((x @ (S + T(S)).rename(i="k", j="j") @ x.rename(j="k")) / (x @ x), x),
    "norm^4": ((x @ x) ** 2, x),
    "bilinear": ((A @ x + b) @ C @ (matmul(C, A) @ x).rename(i="j") , x),
    "weighted lsq": (Ax_b.rename(i="k") @ W.rename(i="k", j="i") @ Ax_b, x),
    "a.x x.b": ((a @ x) * (c @ x), x),
    "distance": (tg.norm(x - a), x),
    "a^T X c": (a.rename(j="i") @ X @ c, X),
    "R^T R": (matmul(T(R), R), R),
    "Xa-b squared wrt X": (tg.sum((X @ a - c.rename(j="i")) ** 2), X),
    "pseudo-linear A(x)x": ((S * tg.exp(x)) @ x, x),
    "chain through curve": (tg.exp(tg.Variable("t") * tg.Variable("t")), t),
    "elementwise exp log": (tg.exp(x) * tg.log(x * x + 1), x),
    "sqrt of sum": (tg.sqrt(tg.sum(tg.exp(A @ x))), x),
    "X squared": (XX, X),
    "trace X cubed": (tg.trace(matmul(XX, X)), X),
    "outer product": (x * a.rename(j="k"), x),
    "hadamard power": (x ** 3, x),
    "division": (x / (1 + x * x), x),
    "softplus-like": (tg.sum(tg.log(1 + tg.exp(A @ x))), x),
    "scalar variable": (t ** 3 * tg.sum(x), t),
}


@pytest.mark.parametrize("name", list(CASES))
def test_first_derivative_matches_finite_differences(name):
    f, v = CASES[name]
    d = tg.derivative(f, v)
    d.check()
    s = d.simplify()
    s.check()
    want = finite_difference(f, v, VALUES)
    np.testing.assert_allclose(tg.evaluate(d, VALUES), want, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(tg.evaluate(s, VALUES), want, rtol=1e-6, atol=1e-6)


SCALAR_CASES = [k for k, (f, v) in CASES.items() if not f.edges]


@pytest.mark.parametrize("name", SCALAR_CASES)
def test_hessian_matches_finite_differences_of_gradient(name):
    f, v = CASES[name]
    g = tg.grad(f, v)
    H = tg.hessian(f, v).simplify()
    H.check()
    assert H.edges == tuple(v.edges) + tuple(e + "'" for e in v.edges)
    want = finite_difference(g, v, VALUES)
    np.testing.assert_allclose(tg.evaluate(H, VALUES), want, rtol=1e-5, atol=1e-5)


def test_third_derivative_of_norm_cubed():
    f = (x @ x) ** 1.5
    H = tg.hessian(f, x)
    D3 = tg.derivative(H, x).simplify()
    assert D3.edges == ("j", "j'", "j''")
    want = finite_difference(H, x, VALUES)
    np.testing.assert_allclose(tg.evaluate(D3, VALUES), want, rtol=1e-5, atol=1e-5)


def test_fourth_derivative_of_quartic_is_closed_form():
    D4 = tg.derivative(tg.derivative(tg.hessian((x @ x) ** 2, x), x), x).simplify()
    assert D4.edges == ("j", "j'", "j''", "j'''")
    I = np.eye(n)
    want = 8 * (np.einsum("ab,cd->abcd", I, I) + np.einsum("ac,bd->abcd", I, I) + np.einsum("ad,bc->abcd", I, I))
    np.testing.assert_allclose(tg.evaluate(D4, VALUES), want, atol=1e-10)


def test_new_edge_naming_rule():
    assert tg.derivative(x, x).edges == ("j", "j'")
    assert tg.derivative(A @ x, A).edges == ("i", "i'", "j")
    assert tg.derivative(A @ x, A, new_edges={"i": "p", "j": "q"}).edges == ("i", "p", "q")
    assert tg.grad(x @ x, x).edges == ("j",)
    H3 = tg.derivative(tg.hessian(x @ x @ (x @ x), x), x)
    assert H3.edges == ("j", "j'", "j''")


def test_renamed_occurrence_is_the_same_variable():
    f = x @ x.rename(j="k") @ S.rename(i="j", j="k")  # x^T S x through a renamed copy of x
    want = finite_difference(f, x, VALUES)
    np.testing.assert_allclose(tg.evaluate(tg.grad(f, x), VALUES), want, rtol=1e-6)


def test_unrelated_variable_gives_zero():
    d = tg.derivative(A @ x, y)
    assert isinstance(d.simplify(), tg.Zero)
    assert d.edges == ("i", "j")
    np.testing.assert_array_equal(tg.evaluate(d, VALUES), np.zeros((m, n)))


def test_derivative_internal_edge_named_like_new_edge():
    # x_j y_j contracts over j, the same name the new edge gets
    g = tg.grad(x @ y, x)
    assert g.edges == ("j",)
    np.testing.assert_allclose(tg.evaluate(g, VALUES), VALUES[y])


def test_unevaluated_derivative_evaluates_like_the_derivative():
    d = tg.unevaluated(x @ x, x)
    assert isinstance(d, tg.Derivative)
    np.testing.assert_allclose(tg.evaluate(d, VALUES), 2 * VALUES[x])
    assert tg.equivalent(d, 2 * x)
