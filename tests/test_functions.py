"""The function registry: value, first and second derivative of every registered
function against independent numpy references and central finite differences
(float64); kinks; stability at ±1000; the closed-form rules of closed_forms.py."""

import math

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad import closed_forms as cf
from tensorgrad import functions as F
from tensorgrad.expr import FUNCTIONS, Function
from tensorgrad.numcheck import finite_difference, second_difference

rng = np.random.default_rng(7)


@pytest.fixture(autouse=True)
def _no_leftover_assumptions():
    # declared facts are process-wide: never let one test's facts reach another test
    yield
    cf.forget_assumptions()


def _sigmoid(x):
    with np.errstate(over="ignore"):
        return np.where(x >= 0, 1.0 / (1.0 + np.exp(-np.abs(x))), np.exp(-np.abs(x)) / (1.0 + np.exp(-np.abs(x))))


def _softmax(z, axis):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _erf_series(x):
    # erf(x) = 2/√π Σ_k (-1)^k x^(2k+1) / (k! (2k+1)): independent of math.erf, exact to
    # double precision for |x| < 4 with 80 terms (the samples here are normal draws)
    x = np.asarray(x, dtype=float)
    total, term = np.zeros_like(x), x.copy()
    for k in range(80):
        total += term / (2 * k + 1)
        term = -term * x * x / (k + 1)
    return 2 / np.sqrt(np.pi) * total


def _moved(x, axes):
    return np.moveaxis(x, axes, (-2, -1))


# Independent numpy references, by function name. A newly registered function
# fails `test_every_function_has_a_reference` until it gets one here.
REFERENCE = {
    "exp": lambda x, p: np.exp(x),
    "log": lambda x, p: np.log(x),
    "pow": lambda x, p: np.power(x, p[0]),
    "tanh": lambda x, p: np.tanh(x),
    "cosh": lambda x, p: np.cosh(x),
    "sech": lambda x, p: 1 / np.cosh(x),
    "sinh": lambda x, p: np.sinh(x),
    "sigmoid": lambda x, p: _sigmoid(x),
    "softplus": lambda x, p: np.log1p(np.exp(x)),
    "step": lambda x, p: np.where(x > 0, 1.0, 0.0),
    "relu": lambda x, p: np.where(x > 0, x, 0.0),
    "abs": lambda x, p: np.where(x < 0, -x, x),
    "sign": lambda x, p: np.where(x > 0, 1.0, np.where(x < 0, -1.0, 0.0)),
    "sin": lambda x, p: np.sin(x),
    "cos": lambda x, p: np.cos(x),
    "erf": lambda x, p: _erf_series(x),
    "softmax": lambda x, axes: _softmax(x, axes[0]),
    "logsumexp": lambda x, axes: np.log(np.exp(x).sum(axis=axes[0])),
    "det": lambda x, axes: np.linalg.det(_moved(x, axes)),
    "logdet": lambda x, axes: np.log(np.abs(np.linalg.det(_moved(x, axes)))),
    "inverse": lambda x, axes: np.moveaxis(np.swapaxes(np.linalg.inv(_moved(x, axes)), -1, -2), (-2, -1), axes),
    "max": lambda x, axes: x.max(axis=axes[0]),
    "is_max": lambda x, axes: (x == x.max(axis=axes[0], keepdims=True)) / (x == x.max(axis=axes[0], keepdims=True)).sum(
        axis=axes[0], keepdims=True),
    "maximum": lambda x, p: np.where(x > p[0], x, p[0]),
    "minimum": lambda x, p: np.where(x < p[0], x, p[0]),
    "above": lambda x, p: np.where(x > p[0], 1.0, np.where(x == p[0], 0.5, 0.0)),
    "below": lambda x, p: np.where(x < p[0], 1.0, np.where(x == p[0], 0.5, 0.0)),
}
PARAMS = {"pow": [(2,), (3,), (-1,), (0.5,), (-1.5,), (1.7,)],
          "maximum": [(0.25,), (-0.5,)], "minimum": [(0.25,), (-0.5,)], "above": [(0.25,)], "below": [(0.25,)]}


def _sample(domain, shape):
    x = rng.normal(size=shape)
    if domain == "positive":
        return rng.uniform(0.5, 2.0, size=shape)
    if domain == "nonzero":
        return np.where(np.abs(x) < 0.2, np.sign(x + 1e-300) * 0.2 + x, x)
    return x


def _library_functions():
    """Names of the functions tensorgrad itself registers (tests may register their own)."""
    return sorted(n for n, s in FUNCTIONS.items() if s.jacobian.__module__.startswith("tensorgrad."))


def _cases():
    """(id, expression, variable, value) for every registered function."""
    out = []
    for name in _library_functions():
        spec = FUNCTIONS[name]
        domain = spec.domain
        if spec.n_core == 0:
            x = tg.Variable("x", i="n", b="m")
            for p in PARAMS.get(name, [()]):
                out.append((f"{name}{p}", Function(spec, x, (), p), x, _sample(domain, (3, 2)), p))
        elif spec.n_core == 1:
            z = tg.Variable("z", b="m", i="n")  # core edge second: batch edges come first
            out.append((name, Function(spec, z, ("i",)), z, rng.normal(size=(2, 4)), (1,)))
        else:
            X = tg.Variable("X", i="n", b="m", j="n")  # a batch edge between the core edges
            val = rng.normal(size=(3, 2, 3)) + 3 * np.eye(3)[:, None, :]
            out.append((name, Function(spec, X, ("i", "j")), X, val, (0, 2)))
            out.append((f"{name}-swapped", Function(spec, X, ("j", "i")), X, val, (2, 0)))
    return out


CASES = _cases()
IDS = [c[0] for c in CASES]


def test_every_function_has_a_reference():
    assert sorted(REFERENCE) == _library_functions()


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_value(case):
    name, f, x, val, p = case
    got = tg.evaluate(f, {x: val})
    # core order (j, i) means the same as (i, j): det/logdet of the transpose are equal,
    # and the inverse of the transpose, read in (j, i) order, is the same array
    ref = REFERENCE[f.spec.name](val, (0, 2) if name.endswith("-swapped") else p)
    assert np.allclose(got, ref, rtol=1e-10, atol=1e-12)


def _rel_err(got, want):
    return float(np.max(np.abs(got - want))) / max(1.0, float(np.max(np.abs(want))))


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_first_derivative(case):
    name, f, x, val, p = case
    vals = {x: val}
    d = tg.derivative(f, x)
    assert _rel_err(tg.evaluate(d, vals), finite_difference(f, x, vals)) < 1e-7
    assert _rel_err(tg.evaluate(d.simplify(), vals), finite_difference(f, x, vals)) < 1e-7


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_second_derivative(case):
    name, f, x, val, p = case
    r = tg.Variable("r", **f.dims)  # contract with random weights to get a scalar
    s = tg.sum(f * r) if f.edges else f
    vals = {x: val, r: rng.normal(size=tuple(val.shape[x.edges.index(e)] for e in f.edges))}
    H = tg.hessian(s, x).simplify()
    got = tg.evaluate(H, vals)
    want = second_difference(s, x, vals)
    assert _rel_err(got, want) < 1e-5


# ---------------------------------------------------------------------------
# Kinks and stability
# ---------------------------------------------------------------------------

x = tg.Variable("x", "i")
KINKS = {"relu": (F.relu, 0.0), "abs": (F.abs, 0.0), "sign": (F.sign, 0.0), "step": (F.step, 0.0)}


@pytest.mark.parametrize("name", sorted(KINKS))
def test_kink_derivative_is_zero_at_zero(name):
    fn, want = KINKS[name]
    vals = {x: np.array([0.0, -0.0, 1.5, -2.0])}
    d = tg.evaluate(tg.derivative(fn(x), x).simplify(), vals)
    raw = tg.evaluate(tg.derivative(fn(x), x), vals)
    assert np.array_equal(np.diag(d)[:2], [want, want])
    assert np.array_equal(d, raw)
    fd = finite_difference(fn(x), x, {x: np.array([0.3, -0.4, 1.5, -2.0])})
    got = tg.evaluate(tg.derivative(fn(x), x), {x: np.array([0.3, -0.4, 1.5, -2.0])})
    assert np.allclose(got, fd, atol=1e-8)


def test_kinks_in_exported_code():
    from tensorgrad.export import compile as compile_code
    vals = np.array([0.0, 1.0, -1.0])
    for fn in (F.relu, F.abs):
        d = tg.derivative(tg.sum(fn(x)), x)
        got = compile_code(d, name="g")(vals)
        assert np.allclose(got, tg.evaluate(d, {x: vals}))
        assert got[0] == 0.0
    assert isinstance(tg.derivative(F.sign(x), x).simplify(), tg.Zero)  # sign' = 0 structurally


BIG = np.array([-1000.0, -30.0, 0.0, 30.0, 1000.0])


def test_sigmoid_and_softplus_stable_at_1000():
    s = tg.evaluate(F.sigmoid(x), {x: BIG})
    assert np.all(np.isfinite(s))
    assert np.allclose(s, [0.0, math.exp(-30) / (1 + math.exp(-30)), 0.5, 1 / (1 + math.exp(-30)), 1.0], rtol=1e-14, atol=0)
    sp = tg.evaluate(F.softplus(x), {x: BIG})
    assert np.allclose(sp, [0.0, math.log1p(math.exp(-30)), math.log(2), 30 + math.log1p(math.exp(-30)), 1000.0],
                       rtol=1e-14, atol=0)
    ds = tg.evaluate(tg.derivative(F.sigmoid(x), x).simplify(), {x: BIG})
    assert np.all(np.isfinite(ds)) and ds[0, 0] == 0.0 and ds[-1, -1] == 0.0


def test_log_one_plus_exp_is_stable_after_simplification():
    f = tg.log(1 + tg.exp(x))
    got = tg.evaluate(f.simplify(), {x: BIG})
    assert np.all(np.isfinite(got))
    assert np.allclose(got, np.logaddexp(0, BIG), rtol=1e-14)
    g = tg.evaluate(tg.derivative(f, x).simplify(), {x: BIG})
    assert np.allclose(np.diag(g), _sigmoid(BIG), rtol=1e-14, atol=0)


def test_softmax_logsumexp_stable_at_1000():
    z = tg.Variable("z", "i")
    vals = {z: np.array([1000.0, 999.0, -1000.0])}
    p = tg.evaluate(F.softmax(z, "i"), vals)
    assert np.all(np.isfinite(p))
    assert np.allclose(p, [1 / (1 + math.exp(-1)), math.exp(-1) / (1 + math.exp(-1)), 0.0], rtol=1e-14)
    lse = tg.evaluate(F.logsumexp(z, "i"), vals)
    assert np.isclose(lse, 1000 + math.log1p(math.exp(-1)), rtol=1e-15)
    lse_neg = tg.evaluate(F.logsumexp(z, "i"), {z: -np.array([1000.0, 999.0, 1000.0])})
    assert np.isclose(lse_neg, -999 + math.log(1 + 2 * math.exp(-1)), rtol=1e-14)
    g = tg.evaluate(tg.grad(F.logsumexp(z, "i"), z).simplify(), vals)
    assert np.allclose(g, p)
    ce = -(tg.Variable("y", "i") @ tg.log(F.softmax(z, "i")))
    val = tg.evaluate(ce.simplify(), {**vals, "y": np.array([0.0, 0.0, 1.0])})
    assert np.isfinite(val) and np.isclose(val, 2000 + math.log1p(math.exp(-1)))


# ---------------------------------------------------------------------------
# Constructors: errors and edges
# ---------------------------------------------------------------------------

def test_constructor_errors_name_the_edge():
    A = tg.Variable("A", i="m", j="n")
    with pytest.raises(ValueError, match="'i'.*'m'"):
        F.det(A)
    with pytest.raises(ValueError, match="'k'"):
        F.softmax(A, "k")
    with pytest.raises(TypeError):
        F.logsumexp(3.0, "i")
    with pytest.raises(ValueError, match="two edges"):
        F.inverse(tg.Variable("v", "i"))


def test_scalar_variable_everywhere():
    t = tg.Variable("t")
    for fn in (tg.exp, F.tanh, F.sigmoid, F.sin, F.cos, F.softplus):
        d = tg.derivative(fn(t), t).simplify()
        assert d.edges == ()
        assert np.isclose(tg.evaluate(d, {t: 0.3}), finite_difference(fn(t), t, {t: np.array(0.3)}))


# ---------------------------------------------------------------------------
# Closed-form rules
# ---------------------------------------------------------------------------

X = tg.Variable("X", i="n", j="n")
Y = tg.Variable("Y", i="n", j="n")
XV = rng.normal(size=(4, 4)) + 4 * np.eye(4)
YV = rng.normal(size=(4, 4)) + 4 * np.eye(4)


def _same_value(a, b, vals, **kw):
    assert np.allclose(tg.evaluate(a, vals, **kw), tg.evaluate(b, vals, edges=a.edges, **kw), rtol=1e-10)


def test_inverse_semantics():
    got = tg.evaluate(F.inverse(X), {X: XV})
    assert np.allclose(got, np.linalg.inv(XV).T)
    assert np.allclose(np.einsum("ij,kj->ik", XV, got), np.eye(4))


def test_single_copy_tensor_in_any_order_simplifies_to_itself():
    # regression (simplify.single_factor): a product holding only δ_ki, listed as (i, k)
    p = tg.Product([tg.delta("n", "k", "i")], ("i", "k"))
    assert p.simplify() == tg.delta("n", "i", "k")


def test_x_times_inverse_is_identity():
    for prod in (X @ F.inverse(X).rename(i="k"), X @ F.inverse(X).rename(j="k"),
                 X.rename(j="c") @ F.inverse(X)):
        s = prod.simplify()
        assert not any(isinstance(n, Function) for n in [s] + list(s.children()))
        assert tg.equivalent(prod, tg.delta("n", *prod.edges))
        _same_value(prod, tg.delta("n", *prod.edges), {X: XV})


def test_full_contraction_with_inverse_is_the_dimension():
    f = X @ F.inverse(X)  # Σ_ij X_ij (X⁻ᵀ)_ij = tr(X X⁻¹) = n
    assert tg.equivalent(f, tg.delta("n"))
    assert np.isclose(tg.evaluate(f, {X: XV}), 4)


def test_inverse_of_inverse():
    assert tg.equivalent(F.inverse(F.inverse(X)), X)
    assert not tg.equivalent(F.inverse(F.inverse(X)), X.T)


def test_det_of_transpose_and_inverse_and_identity():
    assert tg.equivalent(F.det(X.T), F.det(X))
    assert F.det(X.T).simplify() == F.det(X).simplify()
    assert tg.equivalent(F.det(F.inverse(X)), 1 / F.det(X))
    assert tg.equivalent(F.logdet(F.inverse(X)), -F.logdet(X))
    assert tg.equivalent(F.det(tg.delta("n", "i", "j")), tg.ones())
    assert tg.equivalent(F.inverse(tg.delta("n", "i", "j")), tg.delta("n", "i", "j"))
    _same_value(F.det(F.inverse(X)), 1 / F.det(X), {X: XV})


@pytest.mark.parametrize("c", [3.0, -2.0, -1.0, 0.5])
def test_det_of_scaled(c):
    f = F.det(c * X)
    s = f.simplify()
    assert "det" in str(s) and np.isclose(tg.evaluate(s, {X: XV}), c ** 4 * np.linalg.det(XV))
    assert np.isclose(tg.evaluate(F.logdet(c * X).simplify(), {X: XV}), math.log(abs(c ** 4 * np.linalg.det(XV))))


def test_det_and_logdet_of_product():
    XY = X.rename(j="k") @ Y.rename(i="k")
    assert tg.equivalent(F.det(XY), F.det(X) * F.det(Y))
    assert tg.equivalent(F.logdet(XY), F.logdet(X) + F.logdet(Y))
    _same_value(F.logdet(XY), F.logdet(X) + F.logdet(Y), {X: XV, Y: YV})


def test_log_det_is_logdet():
    assert tg.equivalent(tg.log(F.det(X)), F.logdet(X))
    assert tg.equivalent(tg.grad(tg.log(F.det(X)), X), F.inverse(X))
    assert tg.equivalent(tg.grad(F.logdet(X), X), F.inverse(X))


def test_logdet_hessian_is_two_inverses():
    H = tg.hessian(F.logdet(X), X)
    Xi = F.inverse(X)
    want = -(Xi.rename(j="j'") @ Xi.rename(i="i'"))
    assert tg.equivalent(H, want)
    inv = np.linalg.inv(XV)
    assert np.allclose(tg.evaluate(H, {X: XV}), -np.einsum("jk,li->ijkl", inv, inv))


def test_det_lemma_hessian_is_exactly_2I():
    v = tg.Variable("v", i="n")
    f = F.det(tg.delta("n", "i", "j") + v @ v.rename(i="j"))
    assert tg.equivalent(f, 1 + v @ v)
    H = tg.hessian(f, v).simplify()
    assert tg.equivalent(H, 2 * tg.delta("n", "i", "i'"))
    assert isinstance(H, tg.Sum) and len(H.terms) == 1 and isinstance(H.terms[0], tg.Delta)
    assert tg.equivalent(tg.grad(f, v), 2 * v)


def test_det_lemma_general_rank_one():
    u, w = tg.Variable("u", i="n"), tg.Variable("w", i="n")
    f = F.det(tg.delta("n", "i", "j") - 3 * (u @ w.rename(i="j")))
    assert tg.equivalent(f, 1 - 3 * (u @ w))
    vals = {u: rng.normal(size=4), w: rng.normal(size=4)}
    assert np.isclose(tg.evaluate(f, vals), np.linalg.det(np.eye(4) - 3 * np.outer(vals[u], vals[w])))


def test_logdet_lemma():
    v, u = tg.Variable("v", i="n"), tg.Variable("u", i="n")
    I = tg.delta("n", "i", "j")
    f = F.logdet(I + v @ v.rename(i="j"))
    assert tg.equivalent(f, tg.log(1 + v @ v))  # positive: no abs needed
    vals = {v: rng.normal(size=4), u: rng.normal(size=4)}
    H = tg.hessian(f, v).simplify()
    assert "logdet" not in str(H) and "inverse" not in str(H)
    V = vals[v]
    s = 1 + V @ V
    assert np.allclose(tg.evaluate(H, vals), 2 * np.eye(4) / s - 4 * np.outer(V, V) / s ** 2)
    g = F.logdet(I - 2 * (u @ v.rename(i="j")))  # may be negative inside: log|.|
    assert tg.equivalent(g, tg.log(F.abs(1 - 2 * (u @ v))))
    M = np.eye(4) - 2 * np.outer(vals[u], V)
    assert np.isclose(tg.evaluate(g.simplify(), vals), np.linalg.slogdet(M)[1])


def test_sherman_morrison():
    u, v = tg.Variable("u", i="n"), tg.Variable("v", i="n")
    f = F.inverse(tg.delta("n", "i", "j") + 0.5 * (u @ v.rename(i="j")))
    s = f.simplify()
    assert "inverse" not in str(s)
    vals = {u: rng.normal(size=4), v: rng.normal(size=4)}
    M = np.eye(4) + 0.5 * np.outer(vals[u], vals[v])
    assert np.allclose(tg.evaluate(s, vals), np.linalg.inv(M).T)
    assert np.allclose(tg.evaluate(f, vals), np.linalg.inv(M).T)


def test_log_softmax_rule():
    z = tg.Variable("z", "i", "b")
    f = tg.log(F.softmax(z, "i"))
    s = f.simplify()
    assert "logsumexp" in str(s) and "softmax" not in str(s)
    _same_value(f, s, {z: rng.normal(size=(3, 2))})


def test_softmax_cross_entropy_closed_forms():
    z, y = tg.Variable("z", "i"), tg.Variable("y_onehot", "i")
    f = -(y @ tg.log(F.softmax(z, "i")))
    p = F.softmax(z, "i")
    # without the declaration: (Σ y) p - y
    assert tg.equivalent(tg.grad(f, z), tg.sum(y) * p - y)
    cf.assume_sums_to_one(y)
    g = tg.grad(f, z).simplify()
    H = tg.hessian(f, z).simplify()
    assert tg.equivalent(g, p - y)
    assert tg.equivalent(H, p * tg.delta("i", "i", "i'") - p @ p.rename(i="i'"))
    vals = {z: rng.normal(size=5), y: np.eye(5)[2]}
    P = _softmax(vals[z], 0)
    assert np.allclose(tg.evaluate(H, vals), np.diag(P) - np.outer(P, P))


def test_sums_to_one_with_batch_edge():
    Yl = tg.Variable("Y_probabilities", n="N", k="K")
    cf.assume_sums_to_one(Yl, "k")
    assert tg.equivalent(tg.sum(Yl, "k"), tg.ones(n="N"))
    with pytest.raises(ValueError, match="'q'"):
        cf.assume_sums_to_one(Yl, "q")


def test_logistic_hessian_is_one_term():
    Xd = tg.Variable("Xd", n="N", d="D")
    w = tg.Variable("w", d="D")
    yl = tg.Variable("yl", n="N")
    f = tg.sum(tg.log(1 + tg.exp(-yl * (Xd @ w))))
    H = tg.hessian(f, w).simplify()
    assert isinstance(H, tg.Product)  # one term, a product network
    names = [g.spec.name for g in H.factors if isinstance(g, Function)]
    assert sorted(names) == ["pow", "sigmoid", "sigmoid"]
    vals = {Xd: rng.normal(size=(6, 3)), w: rng.normal(size=3), yl: np.sign(rng.normal(size=6))}
    m = vals[yl] * (vals[Xd] @ vals[w])
    s = _sigmoid(m)
    want = vals[Xd].T @ np.diag(s * (1 - s) * vals[yl] ** 2) @ vals[Xd]
    assert np.allclose(tg.evaluate(H, vals), want)


def test_log_product_needs_positivity():
    a, b = tg.Variable("a", "i"), tg.Variable("b", "i")
    f = tg.log(a * b)
    assert not tg.equivalent(f, tg.log(a) + tg.log(b))  # never silently
    s = tg.log(tg.exp(a) * F.sigmoid(b)).simplify()
    assert tg.equivalent(s, a + tg.log(F.sigmoid(b)))
    pa, pb = tg.Variable("pos_a", "i"), tg.Variable("pos_b", "j")
    cf.assume_positive(pa, pb)
    outer = tg.log(pa * pb)
    assert tg.equivalent(outer, tg.log(pa) * tg.ones(j="j") + tg.log(pb) * tg.ones(i="i"))
    assert tg.equivalent(tg.log(pa ** 3), 3 * tg.log(pa))
    assert not tg.equivalent(tg.log(a ** 2), 2 * tg.log(a))
    vals = {pa: rng.uniform(0.5, 2, 3), pb: rng.uniform(0.5, 2, 2)}
    _same_value(outer, outer.simplify(), vals)


def test_logdet_of_scaled_identity_uses_dimension():
    f = F.logdet(2.0 * tg.delta("n", "i", "j"))
    assert np.isclose(tg.evaluate(f.simplify(), {}, dims={"n": 5}), 5 * math.log(2))
