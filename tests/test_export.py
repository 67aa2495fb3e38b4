"""Code export: the generated function equals tg.evaluate, runs without tensorgrad,
checks its inputs, and is written the promised way (pairwise contractions, no
materialised copy tensors, stable forms, shared sub-expressions)."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad import functions as F
from tensorgrad.export import compile as tg_compile
from tensorgrad.export import to_code

RNG = np.random.default_rng(7)
SIZES = {"n": 5, "m": 4, "k": 3, "r": 2, "p": 6}

A = tg.Variable("A", i="m", j="n")
B = tg.Variable("B", i="m", j="n")
S = tg.Variable("S", i="n", j="n")
X = tg.Variable("X", i="n", j="n")
M = tg.Variable("M", i="n", j="n")
x = tg.Variable("x", j="n")
a = tg.Variable("a", j="n")
c = tg.Variable("c", j="n")
b = tg.Variable("b", i="m")
y = tg.Variable("y", i="m")
t = tg.Variable("t")
U = tg.Variable("U", i="m", k="r")
V = tg.Variable("V", j="n", k="r")
T = tg.Variable("T", i="m", j="n")
W1 = tg.Variable("W1", h="p", j="n")
W2 = tg.Variable("W2", o="k", h="p")
yo = tg.Variable("yo", o="k")
z = tg.Variable("z", j="n")
yz = tg.Variable("yz", j="n")
Xd = tg.Variable("X", i="m", j="n")
Wm = tg.Variable("W", i="m", j="m")
w = tg.Variable("w", j="n")


def sq(e):
    return tg.sum(e * e)


def _cases():
    """(id, function, wrt) for EXERCISES.md rows and the benchmark card."""
    Xs = X + X.T  # a symmetric matrix argument
    return [
        ("1_Ax", A @ x, x), ("1_Ax_A", A @ x, A),
        ("2_cx", c @ x, x),
        ("3_quad", 0.5 * (x @ S @ x.rename(j="i")) + c @ x + 3, x),
        ("4_exp", -tg.exp(-(x @ x)), x),
        ("5_lsq", 0.5 * sq(A @ x - b), x),
        ("6_norm", tg.norm(x), x),
        ("7_normAx", tg.norm(A @ x), x),
        ("8_recip", -1 / (1 + x @ x), x),
        ("9_logquad", tg.log(x.rename(j="i") @ (S.rename(j="k") @ S.rename(i="j", j="k")) @ x + 1), x),
        ("10_det", F.det(X), X),
        ("11_logdet", F.logdet(X), X),
        ("12_lse", F.logsumexp(A @ x + b, "i"), x),
        ("14_frob", sq(X), X),
        ("16_trAX", tg.trace(M.rename(j="k") @ X.rename(i="k")), X),
        ("17_SX_logdet", tg.sum(S * X) - F.logdet(X), X),
        ("18_softplus", tg.log(1 + tg.exp(a @ x)), x),
        ("19_cube", tg.norm(x) ** 3 / 3, x),
        ("20_frobAXB", tg.norm(A @ X.rename(i="j", j="l") - B.rename(j="l")), X),
        ("22_rayleigh", (x @ Xs @ x.rename(j="i")) / (x @ x), x),
        ("23_sym", 0.5 * sq(Xs - x.rename(j="i") * x), x),
        ("24_logreg_reg", tg.sum(tg.log(1 + tg.exp(A @ x))) / 4 + 0.3 * (x @ x), x),
        ("27_quartic", (x @ x) ** 2, x),
        ("29_weighted", ((A @ x - b) @ Wm) @ (A @ x - b).rename(i="j"), x),
        ("30_axxb", (a @ x) * (x @ c), x),
        ("31_dist", tg.norm(x - a), x),
        ("32_aXb", a.rename(j="i") @ X @ c, X),
        ("35_Xa_b", sq(X @ a - c.rename(j="i")), X),
        ("38_det_lemma", F.det(tg.delta("n", "i", "j") + x.rename(j="i") * x.rename(j="j")), x),
        ("39_softmax_ce", -(yz @ tg.log(F.softmax(z, "j"))), z),
        ("logreg", tg.sum(tg.log(1 + tg.exp(-y * (Xd @ w)))), w),
        ("mf", sq(T - U @ V), U),
        ("mlp", sq(W2 @ tg.functions.tanh(W1 @ x) - yo), W1),
        ("sigmoid", tg.sum(F.sigmoid(A @ x) * b), x),
        ("lse_scaled", F.logsumexp(3 * (A @ x), "i"), x),
    ]


CASES = _cases()


def _values(expr):
    vals = {}
    for v in _variables(expr):
        shape = tuple(SIZES.get(d, 3) for d in v.dim_symbols)
        arr = RNG.normal(size=shape)
        if v.name in ("X", "M") and len(shape) == 2 and shape[0] == shape[1]:
            arr = arr + shape[0] * np.eye(shape[0])  # well-conditioned, positive determinant
        vals[v.name] = arr
    return vals


def _variables(t, seen=None):
    seen = {} if seen is None else seen
    if isinstance(t, tg.Variable):
        seen.setdefault(t.name, t)
    for ch in t.children():
        _variables(ch, seen)
    return list(seen.values())


def _close(got, want, tol=1e-12):
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    assert got.shape == want.shape
    scale = max(1.0, float(np.max(np.abs(want))) if want.size else 1.0)
    assert np.max(np.abs(got - want), initial=0.0) <= tol * scale, (got, want)


def _outputs(f, wrt, simplify=True):
    g = tg.derivative(f, wrt)
    h = tg.derivative(g, wrt)
    if simplify:
        g, h = g.simplify(), h.simplify()
    return {"f": f, "g": g, "H": h}


def _call(fn, outs, vals):
    """Variables positionally (sorted by name); dimensions no variable fixes by keyword."""
    import inspect
    names = sorted({v.name for t in outs.values() for v in _variables(t)})
    params = inspect.signature(fn).parameters
    kw = {d: SIZES.get(d, 3) for d, prm in params.items() if prm.kind is prm.KEYWORD_ONLY}
    return fn(*[vals[n] for n in names], **kw)


@pytest.mark.parametrize("simplify", [True, False])
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_numpy_export_matches_evaluate(case, simplify):
    _, f, wrt = case
    outs = _outputs(f, wrt, simplify)
    vals = _values(f)
    got = _call(tg_compile(outs), outs, vals)
    assert set(got) == set(outs)
    for key, expr in outs.items():
        want = tg.evaluate(expr, vals, dims=SIZES)
        _close(got[key], want)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_single_output_axes_follow_edges(case):
    _, f, wrt = case
    h = tg.derivative(tg.derivative(f, wrt), wrt).simplify()
    vals = _values(f)
    got = _call(tg_compile(h), {"h": h}, vals)
    want = tg.evaluate(h, vals, dims=SIZES)
    _close(got, want)


def test_against_closed_forms():
    # independent closed forms written in numpy, not the library's evaluator
    An, xn, bn = RNG.normal(size=(4, 5)), RNG.normal(size=5), RNG.normal(size=4)
    f = sq(A @ x - b)
    fn = tg_compile({"g": tg.grad(f, x).simplify(), "H": tg.hessian(f, x).simplify()})
    out = fn(An, bn, xn)
    _close(out["g"], 2 * An.T @ (An @ xn - bn))
    _close(out["H"], 2 * An.T @ An)
    zn, yn = RNG.normal(size=5), RNG.dirichlet(np.ones(5))
    ce = -(yz @ tg.log(F.softmax(z, "j")))
    H = tg.hessian(ce, z).simplify()
    p = np.exp(zn - zn.max()); p /= p.sum()
    _close(tg_compile(H)(yn, zn), yn.sum() * (np.diag(p) - np.outer(p, p)))
    Xn = RNG.normal(size=(5, 5)) + 5 * np.eye(5)
    _close(tg_compile(tg.grad(F.logdet(X), X).simplify())(Xn), np.linalg.inv(Xn).T)


def test_dims_not_fixed_by_a_variable_are_keyword_arguments():
    expr = tg.trace(tg.delta("n", "i", "j")) * tg.sum(b)
    src = to_code(expr)
    assert "def f(b, *, n):" in src
    fn = tg_compile(expr)
    _close(fn(np.ones(4), n=7), 28.0)


def test_identity_output_is_written_not_multiplied():
    expr = tg.delta("n", "i", "j") * tg.sum(x)  # an identity matrix times a scalar
    fn = tg_compile(expr)
    xn = RNG.normal(size=5)
    _close(fn(xn), np.eye(5) * xn.sum())


def test_generated_numpy_source_runs_without_tensorgrad(tmp_path):
    f = tg.sum(tg.log(1 + tg.exp(-y * (Xd @ w))))
    outs = {"f": f, "g": tg.grad(f, w).simplify(), "H": tg.hessian(f, w).simplify()}
    src = to_code(outs, name="logreg")
    Xn, wn, yn = RNG.normal(size=(6, 5)), RNG.normal(size=5), RNG.normal(size=6)
    script = tmp_path / "gen.py"
    script.write_text(src + textwrap.dedent(f"""
        import sys
        assert "tensorgrad" not in sys.modules
        try:
            import tensorgrad
        except ImportError:
            pass
        else:
            raise SystemExit("tensorgrad is importable")
        import numpy as np
        X = np.array({Xn.tolist()}); w = np.array({wn.tolist()}); y = np.array({yn.tolist()})
        out = logreg(X, w, y)
        print(repr(float(out["f"])), repr(out["H"].tolist()))
    """))
    # a path holding numpy and nothing else; -S: no site-packages (where tensorgrad is installed)
    only = tmp_path / "only_numpy"
    only.mkdir()
    np_dir = os.path.dirname(os.path.dirname(np.__file__))
    for entry in os.listdir(np_dir):
        if entry == "numpy" or entry.startswith("numpy.libs") or entry.startswith("numpy-"):
            os.symlink(os.path.join(np_dir, entry), only / entry)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONHOME",)}
    env["PYTHONPATH"] = str(only)
    run_dir = tmp_path / "elsewhere"
    run_dir.mkdir()
    res = subprocess.run([sys.executable, "-S", "-s", str(script)], cwd=str(run_dir), env=env,
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    fval, H = res.stdout.strip().split(" ", 1)
    vals = {"X": Xn, "w": wn, "y": yn}
    _close(float(fval), tg.evaluate(f, vals))
    _close(np.array(eval(H)), tg.evaluate(outs["H"], vals))
    assert "import numpy as np" in src and "tensorgrad" not in src.split("\n", 1)[1]


def test_wrong_number_of_axes_raises_naming_the_variable():
    fn = tg_compile(A @ x)
    with pytest.raises(ValueError, match=r"variable 'x' has 1 edges \('j',\) but its value has 2 axes"):
        fn(np.ones((4, 5)), np.ones((5, 1)))


def test_inconsistent_dimension_names_both_sizes():
    fn = tg_compile(A @ x)
    with pytest.raises(ValueError) as err:
        fn(np.ones((4, 5)), np.ones(6))
    msg = str(err.value)
    assert "dimension 'n'" in msg and "5" in msg and "6" in msg
    assert "edge 'j' of variable 'A'" in msg and "edge 'j' of variable 'x'" in msg


def test_variables_are_sorted_by_name():
    src = to_code(y @ (Xd @ w))
    assert "def f(X, w, y):" in src


def test_shared_subexpressions_computed_once():
    f = tg.sum(tg.log(1 + tg.exp(-y * (Xd @ w))))
    src = to_code({"f": f, "g": tg.grad(f, w).simplify(), "H": tg.hessian(f, w).simplify()})
    body = src.split("def f", 1)[1]
    assert body.count("X @ w") == 1
    assert body.count("logaddexp") <= 3  # softplus once, sigmoid(u) and sigmoid(-u)


def test_contraction_order_is_baked_in():
    src = to_code(A @ S.rename(i="j", j="k") @ x.rename(j="k"), sizes={"m": 1000, "n": 1000})
    assert "contract_path" not in src and "optimize" not in src
    # matrix-vector first: never the n x n x m product A S
    assert "S @ x" in src


def test_logreg_hessian_is_one_matrix_product():
    f = tg.sum(tg.log(1 + tg.exp(-y * (Xd @ w))))
    src = to_code(tg.hessian(f, w).simplify())
    body = src.split("return")[0]
    assert body.count("X @ w") == 1
    # X.T diag(c) X as a symmetric rank-k update on sqrt(c)-scaled rows when c has one sign
    assert "X_scaled.T @ X_scaled" in body and "X.T @ (X * coef[:, None])" in body
    assert body.count(" @ ") == 4  # X @ w, and one product in each of the three sign branches


def test_gram_matrix_branches_agree():
    # the same Hessian code with weights of either sign and of mixed sign
    c = tg.Variable("c", i="m")
    h = tg.hessian(tg.sum(c * (Xd @ w) ** 2), w).simplify()
    fn = tg_compile(h)
    Xn, wn = RNG.normal(size=(7, 5)), RNG.normal(size=5)
    for cn in (np.abs(RNG.normal(size=7)), -np.abs(RNG.normal(size=7)), RNG.normal(size=7)):
        _close(fn(Xn, cn), 2 * Xn.T @ (Xn * cn[:, None]))


def test_copy_tensor_never_materialised():
    # a Hadamard product and a diagonal Hessian: no identity matrix, no einsum over n^2 deltas
    h = tg.hessian(tg.sum(tg.exp(x)), x).simplify()
    src = to_code(h)
    assert "eye" not in src
    xn = RNG.normal(size=5)
    _close(tg_compile(h)(xn), np.diag(np.exp(xn)))
    src = to_code(tg.sum(A * B))
    assert "eye" not in src and "np.ones" not in src


def test_stable_forms():
    assert "logaddexp" in to_code(tg.log(1 + tg.exp(x)))
    assert "log1p" in to_code(tg.log(1 + x * x))
    src = to_code(F.softmax(z, "j"))
    assert ".max(" in src
    zn = np.array([1000.0, 0.0, -1000.0, 999.0, 5.0])
    out = tg_compile(F.softmax(z, "j"))(zn)
    assert np.all(np.isfinite(out))
    out = tg_compile(F.logsumexp(z, "j"))(zn)
    _close(out, 1000.0 + np.log1p(np.exp(-1.0)))


def test_solve_instead_of_inverse_times_vector():
    expr = F.inverse(X) @ a.rename(j="i")
    src = to_code(expr)
    assert "solve" in src and "inv(" not in src
    Xn, an = RNG.normal(size=(5, 5)) + 5 * np.eye(5), RNG.normal(size=5)
    _close(tg_compile(expr)(X=Xn, a=an), np.linalg.solve(Xn, an))
    expr = F.inverse(X) @ a.rename(j="j")  # contracts the second edge: inv(X).T a
    _close(tg_compile(expr)(X=Xn, a=an), np.linalg.inv(Xn).T @ an)


def test_readable_output():
    src = to_code(tg.hessian(sq(A @ x - b), x).simplify())
    assert "# " + str(tg.hessian(sq(A @ x - b), x).simplify()) in src
    for line in src.splitlines():
        assert ";" not in line


def test_compile_is_cached_per_structure():
    f1 = tg_compile(A @ x)
    f2 = tg_compile(tg.Variable("A", i="m", j="n") @ tg.Variable("x", j="n"))
    assert f1 is f2
    assert tg_compile(A @ x, backend="numpy", name="g") is not f1


def test_bad_arguments():
    with pytest.raises(ValueError, match="unknown backend 'tf'"):
        to_code(A @ x, backend="tf")
    with pytest.raises(ValueError, match="identifier"):
        to_code(A @ x, name="not a name")
    with pytest.raises(TypeError, match="output 'g'"):
        to_code({"g": 3})
    with pytest.raises(ValueError, match="two different variables are both named 'x'"):
        to_code(tg.Variable("x", "i") @ tg.Variable("y", "i") + tg.sum(tg.Variable("x", "k")))


def test_unknown_function_without_template_is_a_clear_error():
    from tensorgrad.expr import FUNCTIONS
    from tensorgrad.functions import FunctionSpec

    spec = FunctionSpec("mystery_fn_for_export_test", jacobian=None, numeric=None, code="")
    FUNCTIONS[spec.name] = spec
    try:
        with pytest.raises(ValueError, match="cannot export function 'mystery_fn_for_export_test'"):
            to_code(tg.Function(spec, x))
    finally:
        del FUNCTIONS[spec.name]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_torch_export_matches_evaluate(case):
    torch = pytest.importorskip("torch")
    _, f, wrt = case
    outs = _outputs(f, wrt)
    vals = _values(f)
    got = _call(tg_compile(outs, backend="torch"), outs, {k: torch.as_tensor(v) for k, v in vals.items()})
    for key, expr in outs.items():
        _close(got[key].numpy(), tg.evaluate(expr, vals, dims=SIZES))


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_jax_export_matches_evaluate(case):
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    _, f, wrt = case
    outs = _outputs(f, wrt)
    vals = _values(f)
    fn = jax.jit(tg_compile(outs, backend="jax"))
    got = _call(fn, outs, vals)
    for key, expr in outs.items():
        _close(np.asarray(got[key]), tg.evaluate(expr, vals, dims=SIZES))


def test_variable_names_that_are_not_identifiers():
    v1, v2 = tg.Variable("class", "i"), tg.Variable("W-1", "i")
    src = to_code(v1 @ v2)
    assert "def f(W_1, class_):" in src
    fn = tg_compile(v1 @ v2)
    _close(fn(np.arange(3.0), np.ones(3)), 3.0)
    with pytest.raises(ValueError, match="variable 'W-1' has 1 edges"):
        fn(np.ones((3, 1)), np.ones(3))


def test_long_expressions_keep_the_whole_header():
    f = tg.sum(tg.log(1 + tg.exp(-y * (Xd @ w))))
    h = tg.hessian(f, w)  # unsimplified: a long expression
    src = to_code(h)
    header = "".join(line[6:].strip() for line in src.splitlines() if line.startswith("    # ") and "edges" not in line)
    assert header.replace(" ", "") == str(h).replace(" ", "")


def test_integer_inputs_and_constant_outputs_are_floats():
    # a diagonal is added into an accumulator: it must not have an integer type
    h = tg.hessian(tg.sum(tg.exp(x)) + (x @ x), x).simplify()
    _close(tg_compile(h)(np.arange(5)), np.diag(np.exp(np.arange(5.0))) + 2 * np.eye(5))
    expr = F.det(tg.delta("n", "i", "j") + tg.sum(tg.ones(i="n", j="n") * 2, "i") * tg.ones(i="n"))
    fn = tg_compile(expr)
    ones = np.ones((4, 4))
    _close(fn(n=4), np.linalg.det(np.eye(4) + 8 * ones))


def test_broadcast_argument_of_a_function_along_an_edge():
    # softmax of a tensor constant along one edge: the argument is materialised first
    expr = F.softmax(x.rename(j="i") * tg.ones(j="n"), "j")
    xn = RNG.normal(size=5)
    _close(tg_compile(expr)(xn), np.full((5, 5), 0.2))
