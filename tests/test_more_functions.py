"""The functions of issue 15: log_softmax, mean, var, maximum, minimum, clip, max/min
along an edge, diag, einsum, kron. Each: value against NumPy, derivative against
central finite differences (away from kinks; at kinks the documented 1/2 split),
exported code on numpy, torch and jax, matrix notation and a drawing."""

import inspect

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.numcheck import finite_difference, second_difference

rng = np.random.default_rng(2026)
x = tg.Variable("x", i="n")
y = tg.Variable("y", i="n")
Z = tg.Variable("Z", i="n", b="m")
A = tg.Variable("A", i="m", j="n")
xv, yv = rng.normal(size=4), rng.normal(size=4)
Zv, Av = rng.normal(size=(4, 3)), rng.normal(size=(3, 4))
VALS = {x: xv, y: yv, Z: Zv, A: Av}


def _log_softmax(z, axis):
    m = z.max(axis=axis, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(axis=axis, keepdims=True))


CASES = {
    # name: (expression, variable to differentiate by, numpy reference)
    "log_softmax": (tg.log_softmax(Z, "i"), Z, _log_softmax(Zv, 0)),
    "mean": (tg.mean(Z, "i"), Z, Zv.mean(axis=0)),
    "mean all": (tg.mean(Z), Z, Zv.mean()),
    "var": (tg.var(Z, "i"), Z, Zv.var(axis=0)),
    "max": (tg.max(Z, "i"), Z, Zv.max(axis=0)),
    "min": (tg.min(Z, "b"), Z, Zv.min(axis=1)),
    "maximum": (tg.maximum(x, y), x, np.maximum(xv, yv)),
    "minimum": (tg.minimum(x, y), y, np.minimum(xv, yv)),
    "maximum number": (tg.maximum(x, 0.1), x, np.maximum(xv, 0.1)),
    "minimum number": (tg.minimum(-0.2, x), x, np.minimum(xv, -0.2)),
    "clip": (tg.clip(x, -0.5, 0.5), x, np.clip(xv, -0.5, 0.5)),
    "diag vector": (tg.diag(x), x, np.diag(xv)),
    "einsum": (tg.einsum("ij,j->i", A, x), x, Av @ xv),
    "einsum trace-like": (tg.einsum("ib,jb->ij", Z, Z), Z, Zv @ Zv.T),
    "kron": (tg.kron(A, Z), A, np.kron(Av, Zv).reshape(3, 4, 4, 3)),
}


def rel_err(got, want):
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    return float(np.max(np.abs(got - want))) / max(1.0, float(np.max(np.abs(want))))


@pytest.mark.parametrize("name", sorted(CASES))
def test_value_derivative_and_backends(name):
    f, wrt, want = CASES[name]
    assert rel_err(tg.evaluate(f, VALS), want) < 1e-13
    d = tg.derivative(f, wrt)
    assert rel_err(tg.evaluate(d.simplify(), VALS), finite_difference(f, wrt, VALS)) < 1e-7
    names = sorted({v.name for v in f.variables})
    args = [VALS[next(v for v in VALS if v.name == n)] for n in names]
    for backend in ("numpy", "torch", "jax"):
        pytest.importorskip(backend)
        got = np.asarray(tg.compile(f, backend=backend)(*args))
        assert rel_err(got, want) < (1e-6 if backend == "jax" else 1e-13), backend
        if f.edges:
            continue
        fn = tg.compile(tg.grad(f, wrt).simplify(), backend=backend, args=names)
        sizes = {k: {"m": 3, "n": 4}[k] for k, p in inspect.signature(fn).parameters.items() if p.kind == p.KEYWORD_ONLY}
        g = np.asarray(fn(*args, **sizes))  # a constant gradient takes its dimensions
        assert rel_err(g, tg.evaluate(tg.grad(f, wrt), VALS)) < (1e-6 if backend == "jax" else 1e-12), backend


@pytest.mark.parametrize("name", ["log_softmax", "var", "max", "clip", "maximum"])
def test_second_derivative(name):
    f, wrt, _ = CASES[name]
    r = tg.Variable("r", **f.dims)
    s = tg.sum(f * r) if f.edges else f
    vals = {**VALS, r: rng.normal(size=tuple(3 if d == "m" else 4 for d in f.dim_symbols))}
    H = tg.evaluate(tg.hessian(s, wrt).simplify(), vals)
    assert rel_err(H, second_difference(s, wrt, vals)) < 1e-5


def test_ties_share_the_derivative_equally():
    v = np.array([1.0, 3.0, 3.0, 3.0])
    g = tg.evaluate(tg.grad(tg.max(x, "i"), x), {x: v})
    assert np.allclose(g, [0, 1 / 3, 1 / 3, 1 / 3])
    g = tg.evaluate(tg.grad(tg.min(x, "i"), x), {x: -v})
    assert np.allclose(g, [0, 1 / 3, 1 / 3, 1 / 3])
    # elementwise: at a tie each side gets 1/2
    J = tg.evaluate(tg.derivative(tg.maximum(x, y), x).simplify(), {x: v, y: v})
    assert np.allclose(J, 0.5 * np.eye(4))
    J = tg.evaluate(tg.derivative(tg.clip(x, -1, 1), x), {x: np.array([-1.0, 1.0, 0.0, 2.0])})
    assert np.allclose(np.diag(J), [0.5, 0.5, 1.0, 0.0])


def test_maximum_is_exact_even_across_scales():
    big = np.array([3.0, -1e16, 1e300, -2.5])
    other = np.array([-1e16, 3.0, -1e300, -2.5])
    got = tg.evaluate(tg.maximum(x, y), {x: big, y: other})
    assert np.array_equal(got, np.maximum(big, other))
    got = tg.evaluate(tg.minimum(x, y), {x: big, y: other})
    assert np.array_equal(got, np.minimum(big, other))


def test_log_softmax_stable_at_1000():
    z = np.array([-1000.0, 0.0, 1000.0, 999.0])
    got = tg.evaluate(tg.log_softmax(x, "i"), {x: z})
    assert np.all(np.isfinite(got)) and rel_err(got, _log_softmax(z, 0)) < 1e-14
    g = tg.evaluate(tg.derivative(tg.log_softmax(x, "i"), x).simplify(), {x: z})
    assert np.all(np.isfinite(g))


def test_layer_norm_reads_naturally():
    eps = 1e-5
    centred = x - tg.mean(x, "i")
    ln = centred / tg.sqrt(tg.var(x, "i") + eps)
    want = (xv - xv.mean()) / np.sqrt(xv.var() + eps)
    assert rel_err(tg.evaluate(ln, VALS), want) < 1e-13
    assert rel_err(tg.evaluate(tg.derivative(ln, x).simplify(), VALS), finite_difference(ln, x, VALS)) < 1e-7


def test_diag_round_trip_and_einsum_forms():
    assert tg.equivalent(tg.diag(tg.diag(x)), x)
    assert tg.diag(x, edges=("i", "k")).edges == ("i", "k")
    X = tg.Variable("X", i="n", j="n")
    Xv = rng.normal(size=(4, 4))
    assert rel_err(tg.evaluate(tg.diag(X), {X: Xv}), np.diag(Xv)) < 1e-15
    assert tg.equivalent(tg.einsum("ii->", X), tg.trace(X))
    assert tg.equivalent(tg.einsum("ij,j->i", A, x), A @ x.rename(i="j"))
    assert rel_err(tg.evaluate(tg.einsum("ij,ij", A, A), VALS), np.sum(Av * Av)) < 1e-14  # implicit output
    assert rel_err(tg.evaluate(tg.einsum("ij->ji", A), VALS), Av.T) < 1e-15
    assert rel_err(tg.evaluate(tg.einsum("i,i->i", x, y), VALS), xv * yv) < 1e-15


def test_kron_reshapes_to_numpy_kron():
    P, Q = tg.Variable("P", i="m", j="n"), tg.Variable("Q", i="p", j="q")
    Pv, Qv = rng.normal(size=(2, 3)), rng.normal(size=(4, 5))
    T = tg.evaluate(tg.kron(P, Q), {P: Pv, Q: Qv})  # axes (i, j, i', j')
    assert np.allclose(T.reshape(8, 15), np.kron(Pv, Qv))
    assert tg.to_matrix(tg.kron(P, Q)) == "P ⊗ Q"


@pytest.mark.parametrize("f, text", [
    (tg.max(x, "i"), "max(x)"),
    (tg.maximum(x, 0), "maximum(x, 0)"),
    (tg.clip(x, -1, 1), "minimum(maximum(x, -1), 1)"),
    (tg.diag(x), "diag(x)"),
    (tg.mean(x, "i"), "sum(x)/n"),
    (tg.einsum("ij,j->i", A, x), "A x"),
])
def test_matrix_notation(f, text):
    assert tg.to_matrix(f) == text


def test_every_new_function_draws():
    import matplotlib
    matplotlib.use("Agg")
    for name in sorted(CASES):
        fig = tg.draw(CASES[name][0])
        assert fig.axes


@pytest.mark.parametrize("call, err, match", [
    (lambda: tg.max(x, "k"), ValueError, "edge 'k'"),
    (lambda: tg.mean(x, "k"), ValueError, "edge 'k'"),
    (lambda: tg.maximum(1, 2), TypeError, "at least one"),
    (lambda: tg.maximum(x, "0"), TypeError, "number"),
    (lambda: tg.clip(x, 1, -1), ValueError, "above"),
    (lambda: tg.diag(A), ValueError, "one dimension"),
    (lambda: tg.einsum("ij,j->i", A), ValueError, "2 operands"),
    (lambda: tg.einsum("ij,i->i", A, x), ValueError, "subscript 'i'.*'m'.*'n'"),
    (lambda: tg.einsum("i,j->k", x, x), ValueError, "output subscripts"),
    (lambda: tg.einsum("...i->i", x), ValueError, "ellipsis"),
    (lambda: tg.kron(x, A), ValueError, "two matrices"),
])
def test_bad_arguments(call, err, match):
    with pytest.raises(err, match=match):
        call()


def test_dask_and_torch_values_keep_their_library_and_dtype():
    da = pytest.importorskip("dask.array")
    torch = pytest.importorskip("torch")
    Zt = Zv.copy()
    Zt[1, 0] = Zt[2, 0] = 5.0  # a tie in column 0
    for name in ("max", "min", "clip", "log_softmax", "var"):
        f = CASES[name][0]
        g = tg.grad(tg.sum(f), f.variables[0]).simplify()
        for t in (f, g):
            want = tg.evaluate(t, {f.variables[0]: Zt if f.variables[0].name == "Z" else xv})
            val = Zt if f.variables[0].name == "Z" else xv
            got_dask = tg.evaluate(t, {f.variables[0]: da.from_array(val, chunks=2)}, compute=True)
            got_torch = tg.evaluate(t, {f.variables[0]: torch.tensor(val)})
            assert rel_err(got_dask, want) < 1e-13, name
            assert got_torch.dtype == torch.float64 and rel_err(got_torch.numpy(), want) < 1e-13, name
