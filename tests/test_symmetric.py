"""Symmetric variables (issue 15): S equals Sᵀ in canonical forms and printing, and
derivatives with respect to S follow the documented convention, checked against
central finite differences taken along symmetric perturbations only."""

import pickle

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.numcheck import finite_difference

rng = np.random.default_rng(150)
n, m = 3, 4
S = tg.Variable("S", i="n", j="n", symmetric=True)
W = tg.Variable("W", i="m", j="m", symmetric=True)
X = tg.Variable("X", i="n", j="n")
A = tg.Variable("A", i="m", j="n")
B = tg.Variable("B", i="n", j="n")
b = tg.Variable("b", i="m")
x = tg.Variable("x", i="n")


def sym(k, shift=0.0):
    M = rng.normal(size=(k, k))
    return (M + M.T) / 2 + shift * np.eye(k)


Sv, Wv, Xv, Bv = sym(n, 4.0), sym(m, 3.0), rng.normal(size=(n, n)), rng.normal(size=(n, n))
Av, bv, xv = rng.normal(size=(m, n)), rng.normal(size=m), rng.normal(size=n)
VALS = {S: Sv, W: Wv, X: Xv, B: Bv, A: Av, b: bv, x: xv}


def rel_err(got, want):
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    return float(np.max(np.abs(got - want))) / max(1.0, float(np.max(np.abs(want))))


def value(t, **extra):
    return tg.evaluate(t, {**VALS, **extra})


def directional(f, E, h=1e-5, **extra):
    """d f(S + tE)/dt at 0 by central differences (E symmetric)."""
    return (float(value(f, S=Sv + h * E, **extra)) - float(value(f, S=Sv - h * E, **extra))) / (2 * h)


def second_directional(f, E1, E2, h=1e-4):
    at = lambda s1, s2: float(value(f, S=Sv + s1 * h * E1 + s2 * h * E2))  # noqa: E731
    return (at(1, 1) - at(1, -1) - at(-1, 1) + at(-1, -1)) / (4 * h * h)


def sym_basis(k):
    """e_a e_bᵀ + e_b e_aᵀ (a < b) and e_a e_aᵀ: dθ of the independent entries."""
    out = []
    for a in range(k):
        for c in range(a, k):
            E = np.zeros((k, k))
            E[a, c] = E[c, a] = 1.0
            out.append(((a, c), E))
    return out


QUADRATIC = x @ S @ x.rename(i="j")
FUNCTIONS = {
    "x'Sx": QUADRATIC,
    "tr(BS)": tg.trace(B @ S.rename(i="j", j="k")),
    "logdet S": tg.logdet(S),
    "tr(S^3) + x'S^-1 x": S @ S.rename(i="j", j="k") @ S.rename(i="k", j="i")  # a closed cycle: tr(S³)
    + x @ tg.inverse(S) @ x.rename(i="j"),
    "‖S − B‖²": tg.sum((S - B) * (S - B)),
}


# -- canonical forms and printing ----------------------------------------------------

def test_symmetric_equals_its_transpose():
    assert tg.equivalent(S, S.T) and not tg.equivalent(X, X.T)
    assert tg.equivalent(S + S.T, 2 * S) and tg.to_matrix((S + S.T).simplify()) == "2S"
    assert not tg.equivalent(X + X.T, 2 * X)
    assert tg.equivalent(S - S.T, 0)
    assert tg.equivalent(tg.inverse(S).rename(i="j", j="i"), tg.inverse(S))


def test_gradient_of_quadratic_form_is_2Sx():
    g = tg.grad(QUADRATIC, x)
    assert tg.equivalent(g, 2 * (S @ x.rename(i="j")))
    assert tg.to_matrix(g) == "2S x"
    assert rel_err(value(g), 2 * Sv @ xv) < 1e-14
    assert rel_err(value(g), finite_difference(QUADRATIC, x, VALS)) < 1e-8
    # without the declaration it stays (A + Aᵀ)x
    assert tg.to_matrix(tg.grad(x @ X @ x.rename(i="j"), x)) in ("(X + Xᵀ) x", "X x + Xᵀx", "Xᵀx + X x")


def test_weighted_least_squares_gradient():
    r = A @ x.rename(i="j") - b
    f = r @ W @ r.rename(i="j")
    g = tg.grad(f, x)
    want = 2 * ((W @ r.rename(i="j")) @ A).rename(j="i")
    assert tg.equivalent(g, want)
    assert tg.to_matrix(g) == "2Aᵀ W(A x − b)"
    assert rel_err(value(g), 2 * Av.T @ Wv @ (Av @ xv - bv)) < 1e-13
    assert rel_err(value(g), finite_difference(f, x, VALS)) < 1e-8


def test_inverse_of_symmetric_prints_without_transpose():
    assert tg.to_matrix(tg.grad(tg.logdet(S), S)) == "S⁻¹"


# -- derivatives with respect to S ------------------------------------------------------

@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_gradient_is_the_symmetric_riesz_representer(name):
    f = FUNCTIONS[name]
    G = value(tg.grad(f, S).simplify())
    assert rel_err(G, G.T) < 1e-13  # symmetric
    for _, E in sym_basis(n):  # ⟨G, E⟩ = df[E] on a basis of symmetric directions
        assert abs(np.sum(G * E) - directional(f, E)) < 1e-7 * max(1.0, np.abs(G).max())


def test_gradient_closed_forms():
    Si = np.linalg.inv(Sv)
    assert rel_err(value(tg.grad(tg.logdet(S), S)), Si) < 1e-12
    assert rel_err(value(tg.grad(FUNCTIONS["tr(BS)"], S)), (Bv + Bv.T) / 2) < 1e-14
    assert rel_err(value(tg.grad(QUADRATIC, S)), np.outer(xv, xv)) < 1e-14
    # the symmetric gradient is (G₀ + G₀ᵀ)/2 of the unconstrained one (X in place of S)
    G0 = value(tg.grad(tg.trace(B @ X.rename(i="j", j="k")), X))
    assert rel_err(value(tg.grad(FUNCTIONS["tr(BS)"], S)), (G0 + G0.T) / 2) < 1e-14


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_cookbook_convention_differentiates_by_independent_entries(name):
    f = FUNCTIONS[name]
    G = value(tg.grad(f, S, convention="cookbook").simplify())
    for (a, c), E in sym_basis(n):  # E moves θ_ac = S_ac = S_ca alone
        assert abs(G[a, c] - directional(f, E)) < 1e-7 * max(1.0, np.abs(G).max())
        assert G[a, c] == pytest.approx(G[c, a], rel=1e-12, abs=1e-12)


def test_cookbook_logdet_closed_form():
    Si = np.linalg.inv(Sv)
    want = 2 * Si - np.diag(np.diag(Si))  # Matrix Cookbook (141): 2S⁻¹ − (S⁻¹ ∘ I)
    assert rel_err(value(tg.grad(tg.logdet(S), S, convention="cookbook")), want) < 1e-12


@pytest.mark.parametrize("name", ["logdet S", "tr(S^3) + x'S^-1 x"])
def test_hessian_on_symmetric_directions(name):
    f = FUNCTIONS[name]
    H = value(tg.hessian(f, S).simplify())  # axes (i, j, i', j')
    basis = sym_basis(n)
    for _, E1 in basis[::2]:
        for _, E2 in basis[1::2]:
            want = second_directional(f, E1, E2)
            assert abs(np.einsum("ab,abcd,cd->", E1, H, E2) - want) < 1e-5 * max(1.0, abs(want))
    # P H P: an antisymmetric direction sees nothing
    K = np.zeros((n, n)); K[0, 1], K[1, 0] = 1.0, -1.0
    assert np.abs(np.einsum("abcd,cd->ab", H, K)).max() < 1e-12


def test_cookbook_hessian_is_by_independent_entries():
    f = tg.logdet(S)
    H = value(tg.hessian(f, S, convention="cookbook").simplify())
    basis = sym_basis(n)
    for (a, c), E1 in basis:
        for (p, q), E2 in basis:
            assert abs(H[a, c, p, q] - second_directional(f, E1, E2)) < 1e-5


def test_directional_derivatives_agree():
    f = FUNCTIONS["tr(S^3) + x'S^-1 x"]
    V = tg.Variable("V", i="n", j="n")
    Vv = rng.normal(size=(n, n))  # not symmetric: S moves along its symmetric part
    Vs = (Vv + Vv.T) / 2
    assert abs(float(value(tg.jvp(f, S, V), V=Vv)) - directional(f, Vs)) < 1e-7
    assert rel_err(value(tg.vjp(f, S, tg.expr.ONE)), value(tg.grad(f, S))) < 1e-12
    Hv = value(tg.hvp(f, S, V), V=Vv)
    H = value(tg.hessian(f, S).simplify())
    assert rel_err(Hv, np.einsum("abcd,cd->ab", H, Vv)) < 1e-10


def test_fully_symmetric_three_tensor():
    T = tg.Variable("T", i="n", j="n", k="n", symmetries=[("i", "j", "k")])
    M = rng.normal(size=(n, n, n))
    Tv = sum(M.transpose(p) for p in [(0, 1, 2), (0, 2, 1), (1, 0, 2), (1, 2, 0), (2, 0, 1), (2, 1, 0)]) / 6
    f = T @ x @ x.rename(i="j") @ x.rename(i="k")
    vals = {T: Tv, x: xv}
    assert tg.equivalent(T.rename(i="k", k="i"), T)
    g = tg.grad(f, x)
    assert tg.equivalent(g, 3 * (T @ x.rename(i="j") @ x.rename(i="k")))
    assert rel_err(tg.evaluate(g, vals), 3 * np.einsum("ijk,j,k->i", Tv, xv, xv)) < 1e-13
    G = tg.evaluate(tg.grad(f, T).simplify(), vals)
    assert rel_err(G, np.einsum("i,j,k->ijk", xv, xv, xv)) < 1e-14
    E = rng.normal(size=(n, n, n))
    E = sum(E.transpose(p) for p in [(0, 1, 2), (0, 2, 1), (1, 0, 2), (1, 2, 0), (2, 0, 1), (2, 1, 0)])
    h = 1e-6
    fd = (float(tg.evaluate(f, {T: Tv + h * E, x: xv})) - float(tg.evaluate(f, {T: Tv - h * E, x: xv}))) / (2 * h)
    assert abs(np.sum(G * E) - fd) < 1e-7


def test_partially_symmetric_tensor():
    # symmetric in its first two edges only
    P = tg.Variable("P", i="n", j="n", k="m", symmetries=[("i", "j")])
    assert tg.equivalent(P.rename(i="j", j="i"), P)
    Q = tg.Variable("Q", i="n", j="n", k="n", symmetries=[("i", "j")])
    assert not tg.equivalent(Q.rename(i="k", k="i"), Q)


# -- values -----------------------------------------------------------------------------

def test_evaluate_rejects_a_non_symmetric_value():
    with pytest.raises(ValueError, match=r"variable 'S' is declared symmetric.*\('i', 'j'\).*not"):
        tg.evaluate(S, {S: Xv})
    T = tg.Variable("T", i="n", j="n", k="n", symmetries=[("i", "j", "k")])
    with pytest.raises(ValueError, match="'T' is declared symmetric"):
        tg.evaluate(T, {T: np.arange(27.0).reshape(3, 3, 3)})
    with pytest.raises(ValueError, match="declared symmetric"):
        tg.evaluate(S, {S: np.array([[1, 2], [3, 4]])})  # integers: exact comparison
    # rounding-level asymmetry is accepted, in float32 as well
    M = rng.normal(size=(n, n))
    assert tg.evaluate(S, {S: M @ M.T + 1e-15 * Xv}).shape == (n, n)
    assert tg.evaluate(S, {S: (M @ M.T * (1 + 1e-7 * Xv)).astype(np.float32)}).dtype == np.float32
    with pytest.raises(ValueError, match="declared symmetric"):
        tg.evaluate(S, {S: (M @ M.T * (1 + 1e-2 * Xv)).astype(np.float32)})


def test_exported_code_on_every_backend():
    f = FUNCTIONS["tr(S^3) + x'S^-1 x"]
    g = tg.grad(f, S).simplify()
    want = value(g)
    Si = np.linalg.inv(Sv)
    assert rel_err(want, 3 * Sv @ Sv - (Si @ np.outer(xv, xv) @ Si + (Si @ np.outer(xv, xv) @ Si).T) / 2) < 1e-12
    for backend in ("numpy", "torch", "jax"):
        pytest.importorskip(backend)
        out = tg.compile(g, backend=backend)(Sv, xv)
        assert rel_err(np.asarray(out), want) < (1e-5 if backend == "jax" else 1e-10), backend  # jax: float32


# -- declarations -----------------------------------------------------------------------

def test_declaration_round_trips_and_identity():
    assert S.symmetric and S.symmetries == (("i", "j"),) and not X.symmetric
    assert tg.Variable("S", i="n", j="n", symmetries=[("j", "i")]) == S
    for t in (S, S.T, tg.grad(tg.logdet(S), S)):
        assert pickle.loads(pickle.dumps(t)) == t
        assert type(t)(*t.args) == t
    assert eval(repr(S.T), {"tg": tg}) == S.T
    assert S != tg.Variable("S", i="n", j="n")
    with pytest.raises(ValueError, match="two different variables are both named 'S'"):
        tg.evaluate(S + tg.Variable("S", i="n", j="n"), {"S": Sv})


@pytest.mark.parametrize("kwargs, match", [
    (dict(i="n", j="m", symmetric=True), r"square matrix.*'n'.*'m'.*i=\"n\", j=\"n\""),
    (dict(i="n", symmetric=True), "square matrix"),
    (dict(i="n", j="n", symmetries=[("i", "k")]), "'k', which is not one of its edges"),
    (dict(i="n", j="m", symmetries=[("i", "j")]), "need one dimension"),
    (dict(i="n", j="n", symmetries=[("i",)]), "two or more"),
])
def test_bad_declarations(kwargs, match):
    with pytest.raises(ValueError, match=match):
        tg.Variable("Q", **kwargs)


def test_bad_declaration_types_and_conventions():
    with pytest.raises(TypeError, match="tuple of edge names"):
        tg.Variable("Q", i="n", j="n", symmetries=["ij"])
    with pytest.raises(TypeError, match="True or False"):
        tg.Variable("Q", i="n", j="n", symmetric="yes")
    with pytest.raises(ValueError, match="convention must be one of"):
        tg.grad(tg.logdet(S), S, convention="matlab")
    with pytest.raises(ValueError, match="'X' has no symmetries"):
        tg.grad(tg.logdet(X), X, convention="cookbook")
