"""tg.evaluate on NumPy, torch, JAX and Dask arrays: the card's gradients and Hessians
agree to 1e-10 across libraries, results keep the library (and device), float32 stays
float32, Dask stays lazy, and mixed libraries are a TypeError. A library that is not
installed is skipped (CI installs all of them)."""

import functools

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.evaluate import variables_of
from tensorgrad.numcheck import finite_difference

RNG = np.random.default_rng(11)


def _torch():
    return pytest.importorskip("torch")


def _jax():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    return jax.numpy


def _dask():
    return pytest.importorskip("dask.array")


LIBRARIES = {
    "torch": lambda: (_torch().as_tensor, _torch().Tensor),
    "jax": lambda: (_jax().asarray, type(_jax().zeros(1))),
    "dask": lambda: ((lambda a: _dask().from_array(a, chunks=[max(1, s // 2) for s in np.shape(a)])), _dask().Array),
}


def sq(t):
    return tg.sum(t * t)


def card():
    """(name, scalar f, wrt, values) for the functions of the benchmark card, small sizes."""
    A, x, b = tg.Variable("A", i="m", j="n"), tg.Variable("x", j="n"), tg.Variable("b", i="m")
    Q = tg.Variable("Q", i="n", j="n")
    X, w, y = tg.Variable("X", s="N", d="D"), tg.Variable("w", d="D"), tg.Variable("y", s="N")
    T, U, V = tg.Variable("T", i="n", j="m"), tg.Variable("U", i="n", k="r"), tg.Variable("V", j="m", k="r")
    S = tg.Variable("S", i="n", j="n")
    z, p = tg.Variable("z", i="n"), tg.Variable("p", i="n")
    W1, W2 = tg.Variable("W1", h="H", i="n"), tg.Variable("W2", o="O", h="H")
    u, t = tg.Variable("u", i="n"), tg.Variable("t", o="O")
    v = tg.Variable("v", i="n")
    Qa, K, Va = tg.Variable("Qa", s="L", d="D"), tg.Variable("K", u="L", d="D"), tg.Variable("Va", u="L", e="E")
    r = lambda *s: RNG.normal(size=s)  # noqa: E731
    spd = r(4, 4)
    att = tg.softmax(Qa @ K, "u") @ Va
    return [
        ("lsq", sq(A @ x - b), x, {"A": r(5, 4), "x": r(4), "b": r(5)}),
        ("quad", x.rename(j="i") @ Q @ x.rename(j="j"), x, {"Q": r(4, 4), "x": r(4)}),
        ("logreg", tg.sum(tg.log(1 + tg.exp(-y * (X @ w)))), w, {"X": r(6, 3), "w": r(3), "y": np.sign(r(6))}),
        ("mf", sq(T - U @ V), U, {"T": r(3, 4), "U": r(3, 2), "V": r(4, 2)}),
        ("logdet", tg.logdet(S), S, {"S": spd @ spd.T + 4 * np.eye(4)}),
        ("softmax_ce", -(p @ tg.log(tg.softmax(z, "i"))), z, {"z": r(5), "p": np.eye(5)[2]}),
        ("mlp", sq(W2 @ tg.tanh(W1 @ u) - t), W1, {"W1": r(4, 3), "W2": r(2, 4), "u": r(3), "t": r(2)}),
        ("det_lemma", tg.det(tg.delta("n", "i", "j") + v @ v.rename(i="j")), v, {"v": r(4)}),
        ("attention", sq(att), Qa, {"Qa": r(3, 2), "K": r(3, 2), "Va": r(3, 2)}),
    ]


CARD = card()


def _keyed(f, vals):
    """Values keyed by Variable: they fix their dimensions even where a simplified
    derivative no longer uses them (the mf Hessian 2 I⊗VᵀV has no U)."""
    return {v: vals[v.name] for v in {v.name: v for v in variables_of(f)}.values()}


def _rel(a, b):
    return float(np.max(np.abs(a - b)) / max(1.0, np.max(np.abs(b)))) if np.size(b) else 0.0


@functools.lru_cache(maxsize=None)
def _reference(name):
    """Simplified gradient and Hessian, values, and their NumPy values (checked against
    finite differences), once per case."""
    _, f, x, vals = next(c for c in CARD if c[0] == name)
    vals = _keyed(f, vals)
    g, H = tg.grad(f, x).simplify(), tg.hessian(f, x).simplify()
    g_np, H_np = tg.evaluate(g, vals), tg.evaluate(H, vals)
    assert _rel(g_np, finite_difference(f, x, vals)) < 1e-6
    return g, H, vals, g_np, H_np


@pytest.mark.parametrize("library", sorted(LIBRARIES))
@pytest.mark.parametrize("case", CARD, ids=[c[0] for c in CARD])
def test_card_gradient_and_hessian_agree_across_libraries(library, case):
    to, kind = LIBRARIES[library]()
    g, H, vals, g_np, H_np = _reference(case[0])
    converted = {k: to(a) for k, a in vals.items()}
    for expr, want in ((g, g_np), (H, H_np)):
        got = tg.evaluate(expr, converted)
        assert isinstance(got, kind), type(got)
        assert _rel(np.asarray(got), want) < 1e-10


@pytest.mark.parametrize("library", sorted(LIBRARIES))
def test_float32_in_float32_out_and_integers_promoted(library):
    to, kind = LIBRARIES[library]()
    name, f, x, vals = CARD[6]  # mlp
    vals = _keyed(f, vals)
    H = tg.hessian(f, x).simplify()
    got = tg.evaluate(H, {k: to(a.astype(np.float32)) for k, a in vals.items()})
    assert "float32" in str(got.dtype) and isinstance(got, kind)
    assert _rel(np.asarray(got, dtype=float), tg.evaluate(H, vals)) < 1e-4
    xv = tg.Variable("xv", "i")
    out = tg.evaluate(xv * xv, {xv: to(np.array([2 ** 40, 3], dtype=np.int64))})
    assert "float" in str(out.dtype) and np.array_equal(np.asarray(out), [2.0 ** 80, 9.0])


@pytest.mark.parametrize("library", sorted(set(LIBRARIES) - {"dask"}))
def test_mixed_libraries_are_a_type_error(library):
    to, _ = LIBRARIES[library]()
    A, x = tg.Variable("A", i="m", j="n"), tg.Variable("x", j="n")
    with pytest.raises(TypeError, match="one array library"):
        tg.evaluate(A @ x, {A: to(np.eye(2)), x: np.ones(2)})


def test_torch_results_are_fresh_tensors_on_the_input_device():
    torch = _torch()
    x = tg.Variable("x", "i")
    xv = torch.arange(3.0)
    out = tg.evaluate(x, {x: xv})
    assert out.device == xv.device and out.data_ptr() != xv.data_ptr()
    out[0] = 5.0
    assert xv[0] == 0.0
    # constants built by the plan (ones, identities) live on the input's device too
    J = tg.evaluate(tg.derivative(tg.exp(x), x), {x: xv})
    assert J.device == xv.device and torch.allclose(J, torch.diag(torch.exp(xv)))


def test_dask_stays_lazy_until_asked_and_compiles_for_dask():
    da = _dask()
    A, x, b = tg.Variable("A", i="m", j="n"), tg.Variable("x", j="n"), tg.Variable("b", i="m")
    g = tg.grad(sq(A @ x - b), x).simplify()
    a, xv, bv = RNG.normal(size=(40, 5)), RNG.normal(size=5), RNG.normal(size=40)
    vals = {"A": da.from_array(a, chunks=(10, 5)), "x": da.from_array(xv), "b": da.from_array(bv, chunks=10)}
    lazy = tg.evaluate(g, vals)
    assert isinstance(lazy, da.Array)
    want = 2 * a.T @ (a @ xv - bv)
    assert np.allclose(lazy.compute(), want, rtol=1e-12)
    eager = tg.evaluate(g, vals, compute=True)
    assert isinstance(eager, np.ndarray) and np.allclose(eager, want, rtol=1e-12)
    f = tg.compile(g, backend="dask")
    assert np.allclose(f(vals["A"], vals["b"], vals["x"]).compute(), want, rtol=1e-12)
