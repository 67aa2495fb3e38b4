"""Every row of ../shared/EXERCISES.md: derived, simplified, evaluated and checked
against central finite differences in float64; closed forms checked against
independent numpy expressions, and structurally with `tg.equivalent` where the
closed form is a short network."""

import math

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad import closed_forms as cf
from tensorgrad.numcheck import finite_difference, second_difference

rng = np.random.default_rng(3)
m, n, p = 3, 4, 2


@pytest.fixture(autouse=True)
def _no_leftover_assumptions():
    yield
    cf.forget_assumptions()


def rel_err(got, want):
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    return float(np.max(np.abs(got - want))) / max(1.0, float(np.max(np.abs(want))))


def jac(f, x, vals, tol=1e-6):
    """The simplified derivative, checked against finite differences; returned evaluated."""
    d = tg.derivative(f, x).simplify()
    got = tg.evaluate(d, vals)
    assert rel_err(got, finite_difference(f, x, vals)) < tol
    return got


def hess(f, x, vals, tol=1e-5):
    H = tg.hessian(f, x).simplify()
    got = tg.evaluate(H, vals)
    assert rel_err(got, second_difference(f, x, vals)) < tol
    return got


def value(t, vals):
    return tg.evaluate(t, vals)


# Variables. Vectors of dimension n carry edge i unless said otherwise.
x = tg.Variable("x", i="n")
a = tg.Variable("a", i="n")
b_n = tg.Variable("b", i="n")
c = tg.Variable("c", i="n")
A = tg.Variable("A", i="m", j="n")   # m x n
b = tg.Variable("bm", i="m")         # m-vector
S = tg.Variable("S", i="n", j="n")   # square
X = tg.Variable("X", i="n", j="n")
t = tg.Variable("t")

xv = rng.normal(size=n)
av, bv, cv = rng.normal(size=n), rng.normal(size=n), rng.normal(size=n)
Av, bmv = rng.normal(size=(m, n)), rng.normal(size=m)
Sv = rng.normal(size=(n, n))
Xv = rng.normal(size=(n, n)) + 3 * np.eye(n)
Q = rng.normal(size=(n, n))
SPD = Q @ Q.T + n * np.eye(n)
SYM = Q + Q.T


def mm(P, R):
    """Matrix product of two matrices with edges (i, j)."""
    return P.rename(j="k_") @ R.rename(i="k_")


def sq(t):
    return tg.sum(t * t)


# 1 ------------------------------------------------------------------------
def test_01_Ax():
    vals = {A: Av, x: xv}
    f = A @ x.rename(i="j")
    xj = x.rename(i="j")
    J = tg.derivative(f, x)
    assert np.allclose(jac(f, x, vals), Av)
    assert J.edges == ("i", "i'")  # x's edge i clashes with f's free edge i, so it is primed
    assert tg.equivalent(J, A.rename(j="i'"))
    JA = tg.derivative(f, A)  # edges i, i', j: δ_ii' x_j
    assert JA.edges == ("i", "i'", "j")
    assert tg.equivalent(JA, tg.delta("m", "i", "i'") @ xj)
    assert np.allclose(jac(f, A, vals), np.einsum("ik,j->ikj", np.eye(m), xv))


# 2 ------------------------------------------------------------------------
def test_02_linear():
    g = jac(c @ x, x, {c: cv, x: xv})
    assert np.allclose(g, cv)
    assert tg.equivalent(tg.grad(c @ x, x), c)


# 3 ------------------------------------------------------------------------
def test_03_quadratic():
    f = 0.5 * (x @ S @ x.rename(i="j")) + b_n @ x + 3
    vals = {S: Sv, x: xv, b_n: bv}
    g = jac(f, x, vals)
    assert np.allclose(g, 0.5 * (Sv + Sv.T) @ xv + bv)
    assert tg.equivalent(tg.grad(f, x), 0.5 * (S @ x.rename(i="j") + (S @ x).rename(j="i")) + b_n)
    H = hess(f, x, vals)
    assert np.allclose(H, 0.5 * (Sv + Sv.T))
    assert tg.equivalent(tg.hessian(f, x), 0.5 * (S.rename(j="i'") + S.rename(i="i'", j="i")))


# 4 ------------------------------------------------------------------------
def test_04_gaussian_bump():
    f = -tg.exp(-(x @ x))
    vals = {x: xv * 0.5}
    v = vals[x]
    e = math.exp(-v @ v)
    assert np.allclose(jac(f, x, vals), 2 * e * v)
    assert np.allclose(hess(f, x, vals), e * (2 * np.eye(n) - 4 * np.outer(v, v)))


# 5 ------------------------------------------------------------------------
def test_05_least_squares():
    r = A @ x.rename(i="j") - b
    f = 0.5 * sq(r)
    vals = {A: Av, x: xv, b: bmv}
    xj = x.rename(i="j")
    assert np.allclose(jac(f, x, vals), Av.T @ (Av @ xv - bmv))
    H = tg.hessian(f, x).simplify()
    assert tg.equivalent(H, A.rename(i="r", j="i") @ A.rename(i="r", j="i'"))
    assert isinstance(H, tg.Product)  # one term
    assert np.allclose(hess(f, x, vals), Av.T @ Av)
    assert tg.equivalent(tg.grad(f, x), (A @ (A @ xj - b)).rename(j="i"))


# 6, 7, 31 -------------------------------------------------------------------
def test_06_norm():
    vals = {x: xv}
    assert np.allclose(jac(tg.norm(x), x, vals), xv / np.linalg.norm(xv))
    assert tg.equivalent(tg.grad(tg.norm(x), x), x / tg.norm(x))
    hess(tg.norm(x), x, vals)


def test_07_norm_Ax():
    f = tg.norm(A @ x.rename(i="j"))
    vals = {A: Av, x: xv}
    y = Av @ xv
    assert np.allclose(jac(f, x, vals), Av.T @ y / np.linalg.norm(y))
    hess(f, x, vals)


def test_31_distance():
    f = tg.norm(x - a)
    vals = {x: xv, a: av}
    assert np.allclose(jac(f, x, vals), (xv - av) / np.linalg.norm(xv - av))
    assert tg.equivalent(tg.grad(f, x), (x - a) / tg.norm(x - a))


# 8 ------------------------------------------------------------------------
def test_08_reciprocal():
    f = -1 / (1 + x @ x)
    vals = {x: xv}
    s = 1 + xv @ xv
    assert np.allclose(jac(f, x, vals), 2 * xv / s ** 2)
    assert np.allclose(hess(f, x, vals), 2 * np.eye(n) / s ** 2 - 8 * np.outer(xv, xv) / s ** 3)


# 9 ------------------------------------------------------------------------
def test_09_log_quadratic():
    f = tg.log(x @ S @ x.rename(i="j"))
    vals = {x: xv, S: SPD}
    q = xv @ SPD @ xv
    assert np.allclose(jac(f, x, vals), (SPD + SPD.T) @ xv / q)
    hess(f, x, vals)


# 10, 11, 13 ----------------------------------------------------------------------
def test_10_det():
    vals = {X: Xv}
    g = jac(tg.det(X), X, vals)
    assert np.allclose(g, np.linalg.det(Xv) * np.linalg.inv(Xv).T)
    assert tg.equivalent(tg.grad(tg.det(X), X), tg.det(X) * tg.inverse(X))


def test_11_logdet():
    vals = {X: Xv}
    assert np.allclose(jac(tg.logdet(X), X, vals), np.linalg.inv(Xv).T)
    assert tg.equivalent(tg.grad(tg.logdet(X), X), tg.inverse(X))
    assert tg.equivalent(tg.grad(tg.log(tg.det(X)), X), tg.inverse(X))
    H = tg.hessian(tg.logdet(X), X).simplify()
    inv = np.linalg.inv(Xv)
    want = -np.einsum("jk,li->ijkl", inv, inv)  # −(X⁻¹)_jk (X⁻¹)_li
    assert np.allclose(value(H, vals), want)
    d = tg.derivative(tg.inverse(X), X)
    assert rel_err(value(d.simplify(), vals), finite_difference(tg.inverse(X), X, vals)) < 1e-6
    assert tg.equivalent(H, -(tg.inverse(X).rename(j="j'") @ tg.inverse(X).rename(i="i'")))


def test_13_trace_det_eigen():
    vals = {X: Xv}
    ev = np.linalg.eigvals(Xv)
    assert np.isclose(value(tg.trace(X), vals), ev.sum().real)
    assert np.isclose(value(tg.det(X), vals), np.prod(ev).real)
    assert np.allclose(jac(tg.trace(X), X, vals), np.eye(n))
    assert tg.equivalent(tg.grad(tg.trace(X), X), tg.delta("n", "i", "j"))
    assert np.allclose(jac(tg.det(X), X, vals), np.linalg.det(Xv) * np.linalg.inv(Xv).T)


# 12 ------------------------------------------------------------------------
def test_12_logsumexp_affine():
    z = A @ x.rename(i="j") + b
    f = tg.logsumexp(z, "i")
    xj = tg.Variable("x", i="n").rename(i="j")
    vals = {A: Av, x: xv, b: bmv}
    pz = np.exp(Av @ xv + bmv)
    pz /= pz.sum()
    assert np.allclose(jac(f, x, vals), Av.T @ pz)
    assert tg.equivalent(tg.grad(f, x), (A @ tg.softmax(A @ xj + b, "i")).rename(j="i"))
    assert np.allclose(hess(f, x, vals), Av.T @ (np.diag(pz) - np.outer(pz, pz)) @ Av)


# 14, 16, 17 ----------------------------------------------------------------
def test_14_frobenius_squared():
    assert tg.equivalent(tg.grad(sq(X), X), 2 * X)
    assert np.allclose(jac(sq(X), X, {X: Xv}), 2 * Xv)


def test_16_trace_AX():
    f = tg.trace(mm(S, X))
    assert tg.equivalent(tg.grad(f, X), S.T)
    assert np.allclose(jac(f, X, {S: Sv, X: Xv}), Sv.T)


def test_17_covariance_logdet():
    f = tg.sum(S * X) - tg.logdet(X)
    assert tg.equivalent(tg.grad(f, X), S - tg.inverse(X))
    assert np.allclose(jac(f, X, {S: Sv, X: Xv}), Sv - np.linalg.inv(Xv).T)


# 15 ------------------------------------------------------------------------
def test_15_softmax_regression():
    K, D, N = 3, 4, 5
    Th = tg.Variable("Theta", k="K", d="D")
    Xd = tg.Variable("Xd", n="N", d="D")
    Y = tg.Variable("Y_onehot", n="N", k="K")
    f = -tg.sum(Y * tg.log(tg.softmax(Xd @ Th, "k")))
    Yv = np.eye(K)[rng.integers(0, K, size=N)]
    vals = {Th: rng.normal(size=(K, D)), Xd: rng.normal(size=(N, D)), Y: Yv}
    logits = vals[Xd] @ vals[Th].T
    P = np.exp(logits - logits.max(1, keepdims=True))
    P /= P.sum(1, keepdims=True)
    assert np.allclose(jac(f, Th, vals), (P - Yv).T @ vals[Xd])
    cf.assume_sums_to_one(Y, "k")
    g = tg.grad(f, Th).simplify()
    assert np.allclose(value(g, vals), (P - Yv).T @ vals[Xd])
    assert tg.equivalent(g, tg.sum((tg.softmax(Xd @ Th, "k") - Y) * Xd, "n"))


# 18, 24 ------------------------------------------------------------------------
def test_18_softplus():
    u = a @ x
    f = tg.log(1 + tg.exp(u))
    vals = {a: av, x: xv}
    s = 1 / (1 + math.exp(-(av @ xv)))
    assert np.allclose(jac(f, x, vals), s * av)
    assert np.allclose(hess(f, x, vals), s * (1 - s) * np.outer(av, av))
    assert tg.equivalent(tg.grad(f, x), tg.sigmoid(u) * a)
    assert tg.equivalent(tg.hessian(f, x), tg.sigmoid(u) * tg.sigmoid(-u) * (a @ a.rename(i="i'")))


def test_24_regularised_logistic():
    N, mu = 6, 0.3
    Ad = tg.Variable("Ad", r="N", i="n")
    f = tg.sum(tg.log(1 + tg.exp(Ad @ x))) / N + (mu / 2) * (x @ x)
    vals = {Ad: rng.normal(size=(N, n)), x: xv}
    s = 1 / (1 + np.exp(-(vals[Ad] @ xv)))
    assert np.allclose(jac(f, x, vals), vals[Ad].T @ s / N + mu * xv)
    H = hess(f, x, vals)
    assert np.allclose(H, vals[Ad].T @ np.diag(s * (1 - s)) @ vals[Ad] / N + mu * np.eye(n))
    Hs = tg.hessian(f, x).simplify()
    assert isinstance(Hs, tg.Sum) and len(Hs.terms) == 2  # the Gram term and μ I


# 19, 27 ------------------------------------------------------------------------
def test_19_cube_norm():
    f = tg.norm(x) ** 3 / 3
    vals = {x: xv}
    r = np.linalg.norm(xv)
    assert np.allclose(jac(f, x, vals), r * xv)
    assert np.allclose(hess(f, x, vals), r * np.eye(n) + np.outer(xv, xv) / r)
    assert tg.equivalent(tg.grad(f, x), tg.norm(x) * x)


def test_27_quartic():
    f = (x @ x) ** 2
    assert np.allclose(jac(f, x, {x: xv}), 4 * (xv @ xv) * xv)
    assert tg.equivalent(tg.grad(f, x), 4 * (x @ x) * x)
    hess(f, x, {x: xv})


# 20 ------------------------------------------------------------------------
def test_20_frobenius_residual():
    Xr = tg.Variable("Xr", i="n", j="p")
    B = tg.Variable("B", i="m", j="p")
    R = mm(A, Xr) - B
    f = tg.norm(R)
    vals = {A: Av, Xr: rng.normal(size=(n, p)), B: rng.normal(size=(m, p))}
    Rv = Av @ vals[Xr] - vals[B]
    assert np.allclose(jac(f, Xr, vals), Av.T @ Rv / np.linalg.norm(Rv))


# 21 ------------------------------------------------------------------------
def test_21_self_power():
    s = x @ x
    f = tg.exp(s * tg.log(s))  # ⟨x, x⟩^⟨x, x⟩
    vals = {x: xv * 0.4}
    v = vals[x]
    sv = v @ v
    assert np.allclose(jac(f, x, vals), sv ** sv * (math.log(sv) + 1) * 2 * v)
    hess(f, x, vals)


# 22, 23 ------------------------------------------------------------------------
def test_22_rayleigh_quotient():
    f = (x @ S @ x.rename(i="j")) / (x @ x)
    vals = {x: xv, S: SYM}
    r = xv @ SYM @ xv / (xv @ xv)
    assert np.allclose(jac(f, x, vals), 2 * (SYM @ xv - r * xv) / (xv @ xv))
    hess(f, x, vals)


def test_23_symmetric_factorisation():
    f = 0.5 * sq(S - x * x.rename(i="j"))
    vals = {x: xv, S: SYM}
    assert np.allclose(jac(f, x, vals), -2 * SYM @ xv + 2 * (xv @ xv) * xv)
    H = hess(f, x, vals)
    assert np.allclose(H, -2 * SYM + 2 * (xv @ xv) * np.eye(n) + 4 * np.outer(xv, xv))


# 25 ------------------------------------------------------------------------
def test_25_characteristic_polynomial():
    I = tg.delta("n", "i", "j")
    f = tg.det(S - t * I)
    vals = {S: Sv, t: np.array(0.3)}
    M = Sv - 0.3 * np.eye(n)
    d1 = jac(f, t, vals)
    assert np.isclose(d1, -np.linalg.det(M) * np.trace(np.linalg.inv(M)))
    d2 = tg.evaluate(tg.derivative(tg.derivative(f, t), t).simplify(), vals)
    assert np.isclose(d2, float(second_difference(f, t, vals)), rtol=1e-5)
    # the characteristic polynomial coefficients give an independent second derivative
    coeffs = np.poly(Sv)  # det(tI - S) = Σ c_k t^(n-k); det(S - tI) = (-1)^n det(tI - S)
    poly2 = np.polyder(np.poly1d(coeffs), 2)
    assert np.isclose(d2, (-1) ** n * poly2(0.3))


# 26 ------------------------------------------------------------------------
def test_26_trace_with_inverse():
    B = tg.Variable("Bn", i="n", j="n")
    f = tg.trace(mm(mm(mm(mm(S, X), X), B), tg.inverse(X)))  # inverse(X) is X⁻ᵀ
    vals = {S: Sv, X: Xv, B: rng.normal(size=(n, n))}
    jac(f, X, vals)


# 28, 29, 30 --------------------------------------------------------------------
def test_28_bilinear():
    D = tg.Variable("D", i="m", j="n")
    C = tg.Variable("C", i="m", j="m")
    e = tg.Variable("e", i="m")
    xj = x.rename(i="j")
    f = (A @ xj + b) @ C @ (D @ xj + e).rename(i="j")
    vals = {A: Av, b: bmv, C: rng.normal(size=(m, m)), D: rng.normal(size=(m, n)), e: rng.normal(size=m), x: xv}
    Av_, Cv, Dv, ev = vals[A], vals[C], vals[D], vals[e]
    want = Dv.T @ Cv.T @ (Av_ @ xv + bmv) + Av_.T @ Cv @ (Dv @ xv + ev)
    assert np.allclose(jac(f, x, vals), want)


def test_29_weighted_least_squares():
    W = tg.Variable("W", i="m", j="m")
    r = A @ x.rename(i="j") - b
    f = r @ W @ r.rename(i="j")
    Wv = rng.normal(size=(m, m))
    Wv = Wv + Wv.T
    vals = {A: Av, b: bmv, W: Wv, x: xv}
    assert np.allclose(jac(f, x, vals), 2 * Av.T @ Wv @ (Av @ xv - bmv))


def test_30_product_of_linear_forms():
    f = (a @ x) * (x @ b_n)
    vals = {a: av, b_n: bv, x: xv}
    assert np.allclose(jac(f, x, vals), (np.outer(av, bv) + np.outer(bv, av)) @ xv)
    assert tg.equivalent(tg.grad(f, x), (a @ x) * b_n + (b_n @ x) * a)
    assert np.allclose(hess(f, x, vals), np.outer(av, bv) + np.outer(bv, av))


# 32, 33, 35 ----------------------------------------------------------------
def test_32_bilinear_form_in_matrix():
    Xm = tg.Variable("Xm", i="m", j="n")
    am, bn = tg.Variable("am", i="m"), tg.Variable("bn", j="n")
    f = am @ Xm @ bn
    assert tg.equivalent(tg.grad(f, Xm), am @ bn)
    vals = {Xm: rng.normal(size=(m, n)), am: rng.normal(size=m), bn: rng.normal(size=n)}
    assert np.allclose(jac(f, Xm, vals), np.outer(vals[am], vals[bn]))


def test_33_gram_matrix_jacobian():
    R = tg.Variable("R", i="m", j="n")
    f = R.rename(j="p") @ R.rename(j="q")  # (RᵀR)_pq
    Rv = rng.normal(size=(m, n))
    J = jac(f, R, {R: Rv})  # axes p, q, i, j
    I = np.eye(n)
    assert np.allclose(J, np.einsum("pj,iq->pqij", I, Rv) + np.einsum("ip,qj->pqij", Rv, I))


def test_35_matrix_shaped_gradient():
    Xm = tg.Variable("Xm", i="m", j="n")
    am, bm = tg.Variable("an", j="n"), tg.Variable("bm2", i="m")
    f = sq(Xm @ am - bm)
    vals = {Xm: rng.normal(size=(m, n)), am: rng.normal(size=n), bm: rng.normal(size=m)}
    assert tg.equivalent(tg.grad(f, Xm), 2 * ((Xm @ am - bm) @ am))
    r = vals[Xm] @ vals[am] - vals[bm]
    assert np.allclose(jac(f, Xm, vals), 2 * np.outer(r, vals[am]))


# 34 ------------------------------------------------------------------------
def test_34_chain_through_a_curve():
    e1, e2 = tg.Variable("e1", k="two"), tg.Variable("e2", k="two")
    xc = e1 * (t * tg.cos(t)) + e2 * (t * tg.sin(t))  # x(t) = (t cos t, t sin t)
    f = tg.exp((xc @ e1) * (xc @ e2) ** 2)
    tv = 0.8
    vals = {e1: np.array([1.0, 0.0]), e2: np.array([0.0, 1.0]), t: np.array(tv)}
    x1, x2 = tv * math.cos(tv), tv * math.sin(tv)
    dx1, dx2 = math.cos(tv) - tv * math.sin(tv), math.sin(tv) + tv * math.cos(tv)
    want = math.exp(x1 * x2 ** 2) * (dx1 * x2 ** 2 + 2 * x1 * x2 * dx2)
    assert np.isclose(jac(f, t, vals), want)


# 36 ------------------------------------------------------------------------
def test_36_pseudo_linear_map():
    M = tg.Variable("M", r="n", i="n")
    Ax = M * tg.exp(x)          # A(x)_rj = M_rj exp(x_j)
    f = Ax @ x                  # A(x) x, edge r
    Mv = rng.normal(size=(n, n))
    J = jac(f, x, {M: Mv, x: xv})
    assert np.allclose(J, Mv * np.exp(xv) * (xv + 1))  # (xᵀ ⊗ I) D vec A(x) + A(x)


# 37 ------------------------------------------------------------------------
def test_37_hessian_chain_rule():
    v = tg.tanh(A @ x.rename(i="j"))    # v: R^n -> R^m
    f = tg.logsumexp(v, "i")             # scalar f(u)
    vals = {A: Av, x: xv}
    vv = np.tanh(Av @ xv)
    Dv = (1 - vv ** 2)[:, None] * Av
    pv = np.exp(vv) / np.exp(vv).sum()
    H2f = np.diag(pv) - np.outer(pv, pv)
    want = Dv.T @ H2f @ Dv + sum(pv[k] * (-2 * vv[k] * (1 - vv[k] ** 2)) * np.outer(Av[k], Av[k]) for k in range(m))
    assert np.allclose(hess(f, x, vals), want)


# 38 ------------------------------------------------------------------------
def test_38_determinant_lemma():
    f = tg.det(tg.delta("n", "i", "j") + x * x.rename(i="j"))
    vals = {x: xv}
    assert np.isclose(value(f, vals), 1 + xv @ xv)
    assert tg.equivalent(f, 1 + x @ x)
    assert np.allclose(jac(f, x, vals), 2 * xv)
    assert tg.equivalent(tg.grad(f, x), 2 * x)
    H = tg.hessian(f, x).simplify()
    assert tg.equivalent(H, 2 * tg.delta("n", "i", "i'"))
    assert isinstance(H, tg.Sum) and len(H.terms) == 1 and H.size() == 2  # exactly 2 δ
    assert np.allclose(hess(f, x, vals), 2 * np.eye(n))


# 39 ------------------------------------------------------------------------
def test_39_softmax_cross_entropy():
    z = tg.Variable("z", i="n")
    y = tg.Variable("y_label", i="n")
    f = -(y @ tg.log(tg.softmax(z, "i")))
    yv = np.eye(n)[1]
    vals = {z: rng.normal(size=n), y: yv}
    P = np.exp(vals[z]) / np.exp(vals[z]).sum()
    assert np.allclose(jac(f, z, vals), P - yv)
    assert np.allclose(hess(f, z, vals), np.diag(P) - np.outer(P, P))
    cf.assume_sums_to_one(y)
    pz = tg.softmax(z, "i")
    assert tg.equivalent(tg.grad(f, z), pz - y)
    H = tg.hessian(f, z).simplify()
    assert tg.equivalent(H, pz * tg.delta("n", "i", "i'") - pz @ pz.rename(i="i'"))
    assert isinstance(H, tg.Sum) and len(H.terms) == 2
