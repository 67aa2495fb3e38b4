"""What a new user hits first (issue 15): scalar broadcasting in + and −, the lecture
notes' notation in `parse`, errors that say what to do, tensor exponents,
`equivalent(e, 0)`, 0-d results, `python -m tensorgrad`, `f.variables` and
`compile(args=...)`. Derivatives are checked against central finite differences."""

import subprocess
import sys

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.numcheck import finite_difference, second_difference

rng = np.random.default_rng(15)
x = tg.Variable("x", i="n")
X = tg.Variable("X", i="n", j="n")
A = tg.Variable("A", i="n", j="n")
xv = rng.normal(size=4)
Xv = rng.normal(size=(4, 4)) + 4 * np.eye(4)


def rel_err(got, want):
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    return float(np.max(np.abs(got - want))) / max(1.0, float(np.max(np.abs(want))))


# -- a scalar broadcasts in + and − -------------------------------------------------

def test_mean_centring_broadcasts_the_scalar():
    centred = x - tg.sum(x) / 4
    assert centred.edges == ("i",)
    assert rel_err(tg.evaluate(centred, {x: xv}), xv - xv.mean()) < 1e-14
    J = tg.evaluate(tg.derivative(centred, x).simplify(), {x: xv})
    assert rel_err(J, np.eye(4) - 1 / 4) < 1e-14
    assert rel_err(J, finite_difference(centred, x, {x: xv})) < 1e-8


def test_scalar_broadcasts_on_either_side_and_in_layer_norm():
    s = tg.sum(x * x)
    assert rel_err(tg.evaluate(s + x, {x: xv}), xv @ xv + xv) < 1e-14
    assert rel_err(tg.evaluate(s - X, {x: xv, X: Xv}), xv @ xv - Xv) < 1e-14
    mu = tg.sum(x) / 4
    centred = x - mu
    layer_norm = centred / tg.sqrt(tg.sum(centred * centred) / 4 + 1e-5)
    want = (xv - xv.mean()) / np.sqrt(xv.var() + 1e-5)
    assert rel_err(tg.evaluate(layer_norm, {x: xv}), want) < 1e-12
    assert rel_err(tg.evaluate(tg.derivative(layer_norm, x).simplify(), {x: xv}),
                   finite_difference(layer_norm, x, {x: xv})) < 1e-7


def test_non_scalar_mismatch_still_an_error():
    z = tg.Variable("z", k="n")
    with pytest.raises(ValueError, match=r"different free edges.*'i'.*'k'"):
        x + z


# -- parse reads the lecture notes' notation ---------------------------------------

@pytest.mark.parametrize("text, same_as", [
    ("x^T*A*x", "x'*A*x"),
    ("x^T A x", "x' A x"),
    ("A^T", "A'"),
    ("X^-T", "inv(X)'"),
    ("X^-1", "inv(X)"),
    ("X^-1^T", "inv(X)'"),
    ("A^T^-1", "inv(A')"),
    ("(A x - b)^T W (A x - b)", "(A x - b)' W (A x - b)"),
])
def test_parse_transpose_exponents(text, same_as):
    got, want = tg.parse(text), tg.parse(same_as)
    assert tg.equivalent(got, want)
    vals = {v.name: rng.normal(size=tuple(3 for _ in v.edges)) + (3 * np.eye(3) if len(v.edges) == 2 else 0)
            for v in want.variables}
    assert rel_err(tg.evaluate(got, vals), tg.evaluate(want, vals)) < 1e-12


def test_parse_quadratic_form_numbers_and_gradient():
    f = tg.parse("x^T*A*x")
    x_, A_ = (next(v for v in f.variables if v.name == name) for name in ("x", "A"))
    vals = {x_: xv, A_: Xv}
    assert rel_err(tg.evaluate(f, vals), xv @ Xv @ xv) < 1e-13
    assert rel_err(tg.evaluate(tg.grad(f, x_), vals), (Xv + Xv.T) @ xv) < 1e-13


def test_a_variable_named_T_stays_an_exponent():
    f = tg.parse("a^T", shapes={"a": (), "T": ()})
    a, T = (next(v for v in f.variables if v.name == name) for name in ("a", "T"))
    assert rel_err(tg.evaluate(f, {a: 2.0, T: 3.0}), 8.0) < 1e-14


# -- errors that say what to do ----------------------------------------------------

@pytest.mark.parametrize("fn", [tg.trace, tg.inverse, tg.det, tg.logdet])
def test_square_matrix_error_says_how_to_declare_one(fn):
    with pytest.raises(ValueError, match=r"one dimension.*'i'.*'j'.*i=\"n\", j=\"n\""):
        fn(tg.Variable("X", "i", "j"))


def test_hessian_of_non_scalar_names_hessian():
    with pytest.raises(ValueError, match=r"hessian needs a scalar.*\('i',\)"):
        tg.hessian(x, x)


# -- tensor exponents ---------------------------------------------------------------

def test_inner_product_to_the_power_inner_product():
    # EXERCISES #21: ⟨x,x⟩^⟨x,x⟩, with gradient 2 s^s (log s + 1) x and its Hessian
    v = np.array([0.6, -0.3, 0.5, 0.4])
    s = tg.sum(x * x)
    for f in (s ** s, tg.pow(s, s)):
        sv = v @ v
        assert rel_err(tg.evaluate(f, {x: v}), sv ** sv) < 1e-14
        g = tg.evaluate(tg.grad(f, x).simplify(), {x: v})
        assert rel_err(g, 2 * sv ** sv * (np.log(sv) + 1) * v) < 1e-12
        assert rel_err(g, finite_difference(f, x, {x: v})) < 1e-8
        H = tg.evaluate(tg.hessian(f, x).simplify(), {x: v})
        assert rel_err(H, second_difference(f, x, {x: v})) < 1e-5


def test_elementwise_tensor_exponent_and_number_base():
    y = tg.Variable("y", i="n")
    xp, yv = np.abs(xv) + 0.5, rng.normal(size=4)
    vals = {x: xp, y: yv}
    assert rel_err(tg.evaluate(x ** y, vals), xp ** yv) < 1e-13
    for wrt in (x, y):
        assert rel_err(tg.evaluate(tg.derivative(x ** y, wrt).simplify(), vals),
                       finite_difference(x ** y, wrt, vals)) < 1e-8
    assert rel_err(tg.evaluate(2 ** y, vals), 2.0 ** yv) < 1e-13
    for code in (tg.compile(x ** y), tg.compile(x ** y, backend="torch")):
        assert rel_err(np.asarray(code(xp, yv)), xp ** yv) < 1e-13


def test_pow_rejects_what_is_not_an_exponent():
    with pytest.raises(TypeError, match="exponent"):
        tg.pow(x, "2")
    with pytest.raises(ValueError, match="positive base"):
        (-2) ** x


# -- equivalent with a number, 0-d results ------------------------------------------

def test_equivalent_to_a_number():
    assert tg.equivalent(x - x, 0)
    assert tg.equivalent(0, X - X)
    assert not tg.equivalent(x, 0)
    assert tg.equivalent(tg.sum(x) - tg.sum(x) + 2, 2)
    with pytest.raises(TypeError, match="equivalent expects"):
        tg.equivalent(x, "0")


@pytest.mark.parametrize("make", [lambda: tg.sum(x * x), lambda: tg.det(X), lambda: tg.trace(tg.delta("n", "i", "j"))])
def test_evaluate_of_a_scalar_is_a_0d_float_array(make):
    out = tg.evaluate(make(), {x: xv, X: Xv}, dims={"n": 4})
    assert isinstance(out, np.ndarray) and out.shape == () and out.dtype == np.float64


# -- python -m tensorgrad, f.variables, compile(args=...) ----------------------------

def test_python_dash_m_runs_the_cli():
    out = subprocess.run([sys.executable, "-m", "tensorgrad", "grad", "x'*A*x", "--wrt", "x"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "A" in out.stdout and "x" in out.stdout


def test_variables_of_a_parsed_expression():
    f = tg.parse("norm2(A*x - b)^2")
    assert [v.name for v in f.variables] == ["A", "b", "x"]
    assert all(isinstance(v, tg.Variable) for v in f.variables)
    A_ = f.variables[0]
    assert A_.edges == ("i", "j")
    # the listed variables are the ones to differentiate by
    assert tg.grad(f, f.variables[2]).edges == f.variables[2].edges


def test_compile_with_fixed_signature():
    A_ = tg.Variable("A", i="m", j="n")
    x_ = tg.Variable("x", j="n")
    b_ = tg.Variable("b", i="m")
    f = tg.compile(A_ @ x_, args=[A_, x_, b_])
    Av, x0 = rng.normal(size=(3, 2)), rng.normal(size=2)
    assert rel_err(f(Av, x0, np.zeros(3)), Av @ x0) < 1e-14
    g = tg.compile(A_ @ x_, args=["x", "A"], backend="torch")
    assert rel_err(np.asarray(g(x0, Av)), Av @ x0) < 1e-14
    with pytest.raises(ValueError, match=r"missing \['x'\]"):
        tg.compile(A_ @ x_, args=[A_, b_])
    with pytest.raises(ValueError, match="twice"):
        tg.compile(A_ @ x_, args=[A_, x_, x_])
