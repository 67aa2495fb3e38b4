"""Gaussian expectations (issue 15): tg.expectation by Isserlis' theorem against exact
formulas computed in NumPy and against Monte Carlo with a fixed seed; derivatives
with respect to the mean and covariance against central finite differences."""

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.numcheck import finite_difference

rng = np.random.default_rng(1515)
n, m = 3, 2
x = tg.Variable("x", i="n")
mu = tg.Variable("mu", i="n")
Sigma = tg.Variable("Sigma", i="n", j="n", symmetric=True)
A = tg.Variable("A", i="m", j="n")
Q = tg.Variable("Q", i="n", j="n")
b = tg.Variable("b", i="m")
c = tg.Variable("c", i="n")

L = rng.normal(size=(n, n)) / 2
Sv = L @ L.T + 0.3 * np.eye(n)
muv, Av, Qv, bv, cv = rng.normal(size=n), rng.normal(size=(m, n)), rng.normal(size=(n, n)), rng.normal(size=m), rng.normal(size=n)
VALS = {mu: muv, Sigma: Sv, A: Av, Q: Qv, b: bv, c: cv}
SAMPLES = np.random.default_rng(7).multivariate_normal(muv, Sv, size=400_000)  # fixed seed


def E(f, mean=mu, cov=Sigma):
    return tg.expectation(f, x, mean=mean, cov=cov)


def value(t, **extra):
    return float(tg.evaluate(t, {**VALS, **extra}))


def monte_carlo_agrees(exact, per_sample):
    """|exact − sample mean| within 5 standard errors of the sample mean."""
    return abs(exact - per_sample.mean()) < 5 * per_sample.std() / np.sqrt(len(per_sample))


quad = x @ Q @ x.rename(i="j")
resid = A @ x.rename(i="j") - b
CASES = {
    # name: (f, exact value from the closed form, per-sample value)
    "x'Qx": (quad, np.trace(Qv @ Sv) + muv @ Qv @ muv, np.einsum("si,ij,sj->s", SAMPLES, Qv, SAMPLES)),
    "‖Ax − b‖²": (tg.sum(resid * resid),
                  np.sum((Av @ muv - bv) ** 2) + np.trace(Av @ Sv @ Av.T),
                  np.sum((SAMPLES @ Av.T - bv) ** 2, axis=1)),
    "c'x + 3": (c @ x + 3, cv @ muv + 3, SAMPLES @ cv + 3),
}


def fourth_moment_quadratic(Qv, muv, Sv):
    """E[(xᵀQx)²] for x ~ N(μ, Σ), Q symmetrised: Var + mean² with
    Var = 2tr((QΣ)²) + 4μᵀQΣQμ and mean = tr(QΣ) + μᵀQμ."""
    Qs = (Qv + Qv.T) / 2
    mean = np.trace(Qs @ Sv) + muv @ Qs @ muv
    var = 2 * np.trace(Qs @ Sv @ Qs @ Sv) + 4 * muv @ Qs @ Sv @ Qs @ muv
    return var + mean ** 2


@pytest.mark.parametrize("name", sorted(CASES))
def test_low_degree_against_closed_forms_and_monte_carlo(name):
    f, exact, per_sample = CASES[name]
    got = value(E(f))
    assert got == pytest.approx(exact, rel=1e-12)
    assert monte_carlo_agrees(got, per_sample)


def test_quadratic_form_is_trace_plus_mean_form():
    assert tg.equivalent(E(quad), mu @ Q @ mu.rename(i="j") + tg.trace(Q @ Sigma.rename(i="j", j="k")))


def test_fourth_moments():
    # (xᵀQx)² with a non-zero mean: degree 4, all 10 Wick terms of each product
    got = value(E(quad ** 2))
    assert got == pytest.approx(fourth_moment_quadratic(Qv, muv, Sv), rel=1e-12)
    assert monte_carlo_agrees(got, np.einsum("si,ij,sj->s", SAMPLES, Qv, SAMPLES) ** 2)
    # ‖x‖⁴ centred: 2tr(Σ²) + tr(Σ)²
    centred = E(tg.sum(x * x) ** 2, mean=0)
    assert value(centred) == pytest.approx(2 * np.trace(Sv @ Sv) + np.trace(Sv) ** 2, rel=1e-12)
    # elementwise: E[Σ x_i⁴] = Σ (3Σ_ii² + 6μ_i²Σ_ii + μ_i⁴)
    d = np.diag(Sv)
    assert value(E(tg.sum(x ** 4))) == pytest.approx(np.sum(3 * d ** 2 + 6 * muv ** 2 * d + muv ** 4), rel=1e-12)


def test_odd_and_sixth_moments_against_monte_carlo():
    f = tg.sum(x ** 3) * (c @ x) + (c @ x) ** 3  # degree 4 and 3 mixed
    assert monte_carlo_agrees(value(E(f)), np.sum(SAMPLES ** 3, axis=1) * (SAMPLES @ cv) + (SAMPLES @ cv) ** 3)
    centred = E((c @ x) ** 6, mean=0)  # 15 pairings: 15 (cᵀΣc)³
    assert value(centred) == pytest.approx(15 * (cv @ Sv @ cv) ** 3, rel=1e-12)
    assert value(E((c @ x) ** 5, mean=0)) == 0.0


def test_vector_valued_and_matrix_valued_x():
    # E[x xᵀ] = Σ + μμᵀ, a vector-valued f
    outer = x * x.rename(i="j")
    assert np.allclose(tg.evaluate(E(outer), VALS), Sv + np.outer(muv, muv), rtol=1e-13)
    # a random matrix X (edges i, j) with a 4-tensor covariance: E[‖X‖²] = Σ_ij C[i,j,i,j] + ‖M‖²
    X = tg.Variable("X", i="n", j="m")
    M = tg.Variable("M", i="n", j="m")
    C = tg.Variable("C", i="n", j="m", **{"i'": "n", "j'": "m"})
    F = rng.normal(size=(n * m, n * m))
    Cv = (F @ F.T).reshape(n, m, n, m) / 10
    Mv = rng.normal(size=(n, m))
    got = tg.evaluate(tg.expectation(tg.sum(X * X), X, mean=M, cov=C), {M: Mv, C: Cv})
    assert float(got) == pytest.approx(np.einsum("ijij->", Cv) + np.sum(Mv ** 2), rel=1e-12)


def test_derivatives_with_respect_to_mean_and_covariance():
    f = E(quad ** 2)
    for wrt in (mu, Sigma):
        g = tg.grad(f, wrt).simplify()
        assert np.allclose(tg.evaluate(g, VALS), finite_difference(f, wrt, VALS), rtol=1e-6, atol=1e-6)
    # closed forms: ∇_μ E[xᵀQx] = (Q + Qᵀ)μ, ∇_Σ E[xᵀQx] = (Q + Qᵀ)/2 (symmetric convention)
    assert np.allclose(tg.evaluate(tg.grad(E(quad), mu), VALS), (Qv + Qv.T) @ muv, rtol=1e-13)
    assert np.allclose(tg.evaluate(tg.grad(E(quad), Sigma), VALS), (Qv + Qv.T) / 2, rtol=1e-13)


def test_exported_code_and_backends():
    f = E(quad ** 2)
    want = fourth_moment_quadratic(Qv, muv, Sv)
    for backend in ("numpy", "torch", "jax"):
        pytest.importorskip(backend)
        fn = tg.compile(f, backend=backend, args=[Q, Sigma, mu])
        assert float(np.asarray(fn(Qv, Sv, muv))) == pytest.approx(want, rel=1e-5 if backend == "jax" else 1e-12)


def test_covariance_as_a_plain_matrix_and_mean_zero():
    S2 = tg.Variable("S2", i="n", k="n")  # edges (i, k): x's edge, then another of its dimension
    got = value(tg.expectation(quad, x, mean=0, cov=S2), S2=Sv)
    assert got == pytest.approx(np.trace(Qv @ Sv), rel=1e-12)


def test_free_of_x_is_itself():
    assert tg.expectation(c @ mu, x, mean=mu, cov=Sigma) == c @ mu


@pytest.mark.parametrize("f, match", [
    (tg.exp(x), "polynomial.*function exp"),
    (tg.sum(x) ** -1, "polynomial.*power -1"),
    (tg.sqrt(tg.sum(x * x)), "polynomial.*power 0.5"),
    (tg.softmax(x, "i"), "function softmax"),
])
def test_non_polynomial_is_a_clear_error(f, match):
    with pytest.raises(ValueError, match=match):
        E(f)


def test_bad_arguments():
    with pytest.raises(ValueError, match=r"cov must have the edges.*\('i',\).*\(\"i'\",\)"):
        E(quad, cov=Q.rename(i="k", j="l"))
    with pytest.raises(ValueError, match="mean must have the edges"):
        E(quad, mean=c.rename(i="k"))
    with pytest.raises(ValueError, match="mean depends on the random variable 'x'"):
        E(quad, mean=2 * x)
    with pytest.raises(TypeError, match="needs cov"):
        tg.expectation(quad, x, mean=mu)
    with pytest.raises(TypeError, match="must be a Variable"):
        tg.expectation(quad, 2 * x, mean=mu, cov=Sigma)
    Sm = tg.Variable("Sm", i="n", j="m")
    with pytest.raises(ValueError, match="edge 'j' of cov has dimension 'm'"):
        E(quad, cov=Sm)
