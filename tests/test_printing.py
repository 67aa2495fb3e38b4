"""Tests of the matrix-notation printers: expression -> text, LaTeX, round trip."""

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.notation.parse import infer_shapes, parse, variables
from tensorgrad.notation.printing import default_roles, kron_edges, to_index, to_latex, to_matrix, to_notation_ast


def roles(e):
    """How parse's results are read: a lone edge ``j`` is a row vector."""
    return (None, "j") if tuple(e.edges) == ("j",) else default_roles(e)


def to_convention(e, rows=None, cols=None):
    """``e`` with its row edge renamed to ``i`` and its column edge to ``j`` (the
    names ``parse`` gives), so that it can be compared with a parsed expression."""
    if rows is None and cols is None:
        rows, cols = default_roles(e)
    m = {k: v for k, v in ((rows, "i"), (cols, "j")) if k is not None}
    tmp = e.rename({k: f"_{v}" for k, v in m.items()})
    return tmp.rename({f"_{v}": v for v in m.values()})


def derivatives(text, wrt, shapes=None):
    f = parse(text, shapes)
    x = variables(text, shapes)[wrt]
    return f, tg.derivative(f, x), (tg.hessian(f, x) if not f.edges and len(x.edges) <= 1 else None)


# The catalogue of EXERCISES.md that matrix notation can express:
# (exercise, text, wrt, printed f, printed derivative, printed Hessian or None)
EXERCISES = [
    (1, "A*x", "x", "A x", "A", None),
    (2, "c'*x", "x", "cᵀ x", "c", "0I"),
    (3, "x'*A*x/2 + b'*x + c", "x", "xᵀ A x/2 + bᵀ x + c", "Aᵀ x/2 + A x/2 + b", "Aᵀ/2 + A/2"),
    (4, "-exp(-x'*x)", "x", "−exp(−‖x‖²)", "2 exp(−‖x‖²) x", "2 exp(−‖x‖²)(I − 2x xᵀ)"),
    (5, "norm2(A*x - b)^2/2", "x", "‖A x − b‖²/2", "Aᵀ(A x − b)", "Aᵀ A"),
    (6, "norm2(x)", "x", "‖x‖", "x/‖x‖", "I/‖x‖ − x xᵀ/‖x‖³"),
    (7, "norm2(A*x)", "x", "‖A x‖", "Aᵀ A x/‖A x‖", "Aᵀ(A/‖A x‖ − A x xᵀ Aᵀ A/‖A x‖³)"),
    (8, "-1/(1 + x'*x)", "x", "−1/(‖x‖² + 1)", "2x/(‖x‖² + 1)²", "2(I/(‖x‖² + 1)² − 4x xᵀ/(‖x‖² + 1)³)"),
    (9, "log(x'*A*x)", "x", "log(xᵀ A x)", "(A + Aᵀ) x/(xᵀ A x)", None),
    (10, "det(X)", "X", "det(X)", "det(X) X⁻ᵀ", None),
    (11, "logdet(X)", "X", "log det(X)", "X⁻ᵀ", None),
    (12, "logsumexp(A*x + b)", "x", "logsumexp(A x + b)", "Aᵀ softmax(A x + b)",
     "Aᵀ(diag(p) − p pᵀ) A  where p = softmax(A x + b)"),
    (13, "tr(X)", "X", "tr(X)", "I", None),
    (14, "norm2(X)^2", "X", "‖X‖²", "2X", None),
    (16, "tr(A*X)", "X", "tr(A X)", "Aᵀ", None),
    (17, "tr(S'*X) - logdet(X)", "X", "tr(S Xᵀ) − log det(X)", "S − X⁻ᵀ", None),
    (18, "log(1 + exp(a'*x))", "x", "softplus(aᵀ x)", "sigmoid(aᵀ x) a", "sigmoid(−aᵀ x) sigmoid(aᵀ x) a aᵀ"),
    (19, "norm2(x)^3/3", "x", "‖x‖³/3", "‖x‖ x", "x xᵀ/‖x‖ + ‖x‖ I"),
    (20, "norm2(A*X - B)", "X", "‖A X − B‖",
     "Aᵀ(A X − B)/‖A X − B‖", None),
    (21, "(x'*x)^(x'*x)", "x", "exp(log(‖x‖²) ‖x‖²)", "2 exp(log(‖x‖²) ‖x‖²)(log(‖x‖²) x + x)", None),
    (22, "x'*A*x/(x'*x)", "x", "xᵀ A x/‖x‖²", "(A + Aᵀ) x/‖x‖² − 2xᵀ A x x/‖x‖⁴", None),
    (23, "norm2(A - x*x')^2/2", "x", "tr((A − x xᵀ)(Aᵀ − x xᵀ))/2", "2‖x‖² x − Aᵀ x − A x", "4x xᵀ + 2‖x‖² I − A − Aᵀ"),
    (24, "sum(log(1 + exp(A*x)))/n + μ/2*norm2(x)^2", "x", "sum(softplus(A x))/n + μ‖x‖²/2",
     "Aᵀ sigmoid(A x)/n + μ x", "Aᵀ diag(sigmoid(A x) ⊙ sigmoid(−A x)) A/n + μ I"),
    (25, "det(A - t*eye)", "t", "det(A − t I)", "−det(A − t I) tr((A − t I)⁻¹)",
     "det(A − t I)(tr((A − t I)⁻¹)² − tr(((A − t I)⁻¹)²))"),
    (26, "tr(A*X^2*B*X⁻ᵀ)", "X", "tr(A X² B X⁻ᵀ)", "(B X⁻ᵀ A X)ᵀ + (X B X⁻ᵀ A)ᵀ − X⁻ᵀ A X² B X⁻ᵀ", None),
    (27, "norm2(x)^4", "x", "‖x‖⁴", "4‖x‖² x", "4(2x xᵀ + ‖x‖² I)"),
    (28, "(A*x + b)'*C*(D*x + e)", "x", "(A x + b)ᵀ C(D x + e)",
     "Aᵀ C(D x + e) + Dᵀ Cᵀ(A x + b)", "Aᵀ C D + Dᵀ Cᵀ A"),
    (29, "(A*x - b)'*W*(A*x - b)", "x", "(A x − b)ᵀ W(A x − b)",
     "Aᵀ(W + Wᵀ)(A x − b)", "Aᵀ(W + Wᵀ) A"),
    (30, "a'*x*x'*b", "x", "aᵀ x bᵀ x", "aᵀ x b + bᵀ x a", "a bᵀ + b aᵀ"),
    (31, "norm2(x - a)", "x", "‖x − a‖", "(x − a)/‖x − a‖", None),
    (32, "a'*X*b", "X", "aᵀ X b", "a bᵀ", None),
    (35, "norm2(X*a - b)^2", "X", "‖X a − b‖²", "2(X a − b) aᵀ", None),
    (38, "det(eye + x*x')", "x", "‖x‖² + 1", "2x", "2I"),
    (39, "-y'*log(softmax(z))", "z", "−(z − logsumexp(z) 𝟏)ᵀ y", "sum(y) softmax(z) − y",
     "sum(y)(diag(p) − p pᵀ)  where p = softmax(z)"),
]

IDS = [f"ex{n}" for n, *_ in EXERCISES]


def shapes_for(text):
    return {"n": ()} if "/n" in text else None


@pytest.mark.parametrize("n, text, wrt, f_text, d_text, h_text", EXERCISES, ids=IDS)
def test_exercise_printing(n, text, wrt, f_text, d_text, h_text):
    f, d, h = derivatives(text, wrt, shapes_for(text))
    assert to_matrix(f) == f_text
    assert to_matrix(d) == d_text
    if h_text is not None:
        assert to_matrix(h) == h_text


@pytest.mark.parametrize("n, text, wrt, f_text, d_text, h_text", EXERCISES, ids=IDS)
def test_exercise_round_trip(n, text, wrt, f_text, d_text, h_text):
    """parse(to_matrix(e)) is equivalent to e (and equal numerically)."""
    shapes = infer_shapes(text, shapes_for(text))
    f, d, h = derivatives(text, wrt, shapes_for(text))
    for e in (f, d, h):
        if e is None:
            continue
        e = e.simplify()
        printed = to_matrix(e)
        if printed == "0":  # a zero matrix prints as 0
            continue
        back = parse(printed, shapes)
        assert tg.equivalent(back, to_convention(e)), printed


def test_round_trip_numerically():
    text = "norm2(A*x - b)^2"
    shapes = infer_shapes(text)
    _, g, h = derivatives(text, "x")
    rng = np.random.default_rng(1)
    values = {"A": rng.standard_normal((4, 3)), "x": rng.standard_normal(3), "b": rng.standard_normal(4)}
    for e, edges in ((g, ("i",)), (h, ("i", "i'"))):
        back = parse(to_matrix(e), shapes)
        want = tg.evaluate(e, values, edges=edges)
        got = tg.evaluate(back, values, edges=("i", "j")[: len(edges)])
        np.testing.assert_allclose(got, want)


def test_issue_example_fewest_transposes():
    text = "norm2(A*x - b)^2"
    _, g, h = derivatives(text, "x")
    assert to_matrix(g) == "2Aᵀ(A x − b)"
    assert to_matrix(h) == "2Aᵀ A"
    assert to_latex(g) == r"2 A^{\top}\left(A x - b\right)"


PRINT_TABLE = [
    ("x'", "xᵀ"),
    ("A'", "Aᵀ"),
    ("x*y'", "x yᵀ"),
    ("A'*B'", "(B A)ᵀ"),
    ("x'*A", "xᵀ A"),
    ("tr(A*B*C)", "tr(A B C)"),
    ("tr(B*C*A)", "tr(A B C)"),
    ("x .* y", "x ⊙ y"),
    ("A .* B", "A ⊙ B"),
    ("x ./ y", "x ⊘ y"),
    ("x ./ (y .* z)", "x ⊘ (y ⊙ z)"),
    ("diag(x)*A", "diag(x) A"),
    ("diag(A)", "diag(A)"),
    ("sum(exp(x))", "sum(exp(x))"),
    ("vector(1)'*x", "sum(x)"),
    ("exp(x)'*A", "exp(x)ᵀ A"),
    ("(A*x)'*B", "xᵀ Aᵀ B"),
    ("inv(X)", "X⁻¹"),
    ("inv(X)'", "X⁻ᵀ"),
    ("inv(X)*x", "X⁻¹ x"),
    ("X^3", "X³"),
    ("x.^2", "x.^2"),
    ("eye + x*x'", "x xᵀ + I"),
    ("norm2(x)", "‖x‖"),
    ("sqrt(x'*x)", "‖x‖"),
    ("x'*x", "‖x‖²"),
    ("tr(X*X')", "‖X‖²"),
    ("1/norm2(x)*x", "x/‖x‖"),
    ("2*a", "2a"),
    ("a - b", "a − b"),
    ("-x", "−x"),
    ("tanh(A*x)", "tanh(A x)"),
    ("logdet(X) + det(X)", "det(X) + log det(X)"),
    ("x'*y*z", "xᵀ y z"),
]


@pytest.mark.parametrize("text, expected", PRINT_TABLE, ids=[t for t, _ in PRINT_TABLE])
def test_print_table(text, expected):
    e = parse(text)
    rows, cols = roles(e)
    assert to_matrix(e, rows, cols) == expected
    back = parse(expected, infer_shapes(text))
    assert tg.equivalent(back, to_convention(e.simplify(), rows, cols))


LATEX_TABLE = [
    ("x'*A*x", r"x^{\top}A x"),
    ("norm2(x)", r"\left\|x\right\|"),
    ("1/norm2(x)*x", r"\frac{x}{\left\|x\right\|}"),
    ("inv(X)'", r"X^{-\top}"),
    ("inv(X)", r"X^{-1}"),
    ("tr(A*X)", r"\operatorname{tr}\left(A X\right)"),
    ("logdet(X)", r"\log\det\left(X\right)"),
    ("x .* y", r"x \odot y"),
    ("diag(x)", r"\operatorname{diag}\left(x\right)"),
    ("μ*x", r"\mu x"),
    ("exp(x)", r"\exp\left(x\right)"),
    ("sqrt(a)", r"\sqrt{a}"),
    ("eye + x*x'", r"x x^{\top} + I"),
    ("x.^2", r"x^{\circ 2}"),
]


@pytest.mark.parametrize("text, expected", LATEX_TABLE, ids=[t for t, _ in LATEX_TABLE])
def test_latex_table(text, expected):
    assert to_latex(parse(text)) == expected


def test_index_notation_fallback_for_tensors():
    # ∂(A x)/∂A is a 3-tensor: index notation with implied summation and einsum
    _, d, _ = derivatives("A*x", "A")
    text = to_matrix(d)
    assert text.startswith("T[i,i',j] = ")
    assert "x[j]" in text and "δ[i,i']" in text
    assert "einsum: j,ik->ikj" in text
    # an outer product of two matrices: a 4-tensor with no Kronecker reading
    A, B = tg.Variable("A", i="m", j="n"), tg.Variable("B", k="m", l="n")
    assert to_matrix(A @ B).startswith("T[i,j,k,l] = A[i,j] B[k,l]")
    # LaTeX fallback
    assert to_latex(d).startswith("T_{ii'j} = ")
    # to_index on a matrix works too
    assert to_index(parse("A*B")).startswith("T[i,j] = ")


def test_rows_and_cols_can_be_chosen():
    assert to_matrix(parse("x'")) == "x"  # a lone edge is a column by default
    assert to_matrix(parse("x'"), cols="j") == "xᵀ"
    e = parse("x*y'")
    assert to_matrix(e) == "x yᵀ"
    assert to_matrix(e, rows="j", cols="i") == "y xᵀ"
    x = tg.Variable("x", "k")
    assert to_matrix(x) == "x"
    assert to_matrix(x, cols="k") == "xᵀ"
    with pytest.raises(ValueError, match="must name exactly the free edges"):
        to_matrix(e, rows="i")
    with pytest.raises(ValueError, match="different edges"):
        to_matrix(e, rows="i", cols="i")
    with pytest.raises(TypeError):
        to_matrix("x")


def test_variables_built_by_hand():
    A = tg.Variable("A", i="m", j="n")
    x = tg.Variable("x", j="n")
    b = tg.Variable("b", i="m")
    r = A @ x - b
    g = tg.grad(r @ r, x)
    assert to_matrix(g) == "2Aᵀ(A x − b)"
    H = tg.hessian(r @ r, x)
    assert to_matrix(H) == "2Aᵀ A"


def test_no_simplify_option_and_ast():
    e = parse("x + x")
    assert to_matrix(e) == "2x"
    assert to_matrix(e, simplify=False) == "x + x"
    ast = to_notation_ast(parse("A*x"))
    assert str(ast) == "A*x"
    with pytest.raises(ValueError, match="no matrix reading"):
        to_notation_ast(derivatives("A*x", "A")[1])


# Kronecker products: (f text, wrt, expected ⊗ text, P, Q) with P, Q numpy closed forms
# of the values; the 4-tensor reshaped row-major to (i j)×(i' j') must equal np.kron(P, Q).
KRON_TABLE = [
    ("norm2(T - U*V')^2", "U", "2I ⊗ Vᵀ V", lambda v: 2 * np.eye(v["U"].shape[0]), lambda v: v["V"].T @ v["V"]),
    ("X", "X", "I ⊗ I", lambda v: np.eye(v["X"].shape[0]), lambda v: np.eye(v["X"].shape[1])),
    ("-X", "X", "−I ⊗ I", lambda v: -np.eye(v["X"].shape[0]), lambda v: np.eye(v["X"].shape[1])),
    ("A*X*B", "X", "A ⊗ Bᵀ", lambda v: v["A"], lambda v: v["B"].T),
    ("X*B/2", "X", "I/2 ⊗ Bᵀ", lambda v: np.eye(v["X"].shape[0]) / 2, lambda v: v["B"].T),
]


def _kron_case(text, wrt, hessian):
    shapes = infer_shapes(text)
    vs = variables(text)
    f = parse(text)
    t = (tg.hessian(f, vs[wrt]) if hessian else tg.derivative(f, vs[wrt])).simplify()
    sizes = {d: 2 + k for k, d in enumerate(sorted({d for ds in shapes.values() for d in ds}))}
    rng = np.random.default_rng(3)
    values = {n: rng.standard_normal([sizes[d] for d in ds]) for n, ds in shapes.items()}
    return shapes, t, values, sizes


@pytest.mark.parametrize("text, wrt, expected, P, Q", KRON_TABLE, ids=[t for t, *_ in KRON_TABLE])
def test_kron_printing_matches_np_kron(text, wrt, expected, P, Q):
    shapes, t, values, sizes = _kron_case(text, wrt, hessian=not parse(text).edges)
    assert set(t.edges) == {"i", "j", "i'", "j'"}
    assert to_matrix(t) == expected
    assert r"\otimes" in to_latex(t)
    got = np.asarray(tg.evaluate(t, values, edges=("i", "j", "i'", "j'"), dims=sizes))
    m, n = got.shape[0] * got.shape[1], got.shape[2] * got.shape[3]
    np.testing.assert_allclose(got.reshape(m, n), np.kron(P(values), Q(values)), atol=1e-12)
    # round trip: the printed text parses back to the same tensor (the size of an
    # identity is not written, so compare values with every dimension bound)
    back = parse(expected, shapes)
    assert set(back.edges) == set(t.edges)
    bsizes = dict(sizes, **{d: sizes[t.dims[e]] for e, d in back.dims.items() if d not in sizes})
    np.testing.assert_allclose(np.asarray(tg.evaluate(back, values, edges=("i", "j", "i'", "j'"), dims=bsizes)), got, atol=1e-12)


def test_kron_sum_and_round_trip_symbolic():
    text = "tr(X'*A*X)"
    shapes = infer_shapes(text)
    t = tg.hessian(parse(text), variables(text)["X"]).simplify()
    printed = to_matrix(t)
    assert printed == "Aᵀ ⊗ I + A ⊗ I"
    assert to_latex(t) == r"A^{\top} \otimes I + A \otimes I"
    back = parse(printed, shapes)
    # the identity's size is not written; fix it to X's column dimension
    got_dims = dict(back.dims)
    assert got_dims["i"] == shapes["X"][0] and got_dims["i'"] == shapes["X"][0]
    _, _, values, sizes = _kron_case(text, "X", hessian=True)
    want = np.asarray(tg.evaluate(t, values, edges=("i", "j", "i'", "j'"), dims=sizes))
    bsizes = dict(sizes, **{d: sizes[shapes["X"][1]] for d in got_dims.values() if d not in sizes})
    np.testing.assert_allclose(np.asarray(tg.evaluate(back, values, edges=("i", "j", "i'", "j'"), dims=bsizes)), want, atol=1e-12)
    A = values["A"]
    nX = values["X"].shape[1]
    np.testing.assert_allclose(want.reshape(A.shape[0] * nX, -1), np.kron(A + A.T, np.eye(nX)), atol=1e-12)


def test_kron_round_trip_equivalent_when_dimensions_are_written():
    # no identity: every dimension is known, so the round trip is exact
    text = "A*X*B"
    shapes = infer_shapes(text)
    t = tg.derivative(parse(text), variables(text)["X"]).simplify()
    assert tg.equivalent(parse(to_matrix(t), shapes), t)
    assert tg.equivalent(parse("kron(A, B')", shapes), t)


def commutation(n):
    """The n²×n² matrix K with K vec_r(X) = vec_r(Xᵀ) (row-major vec)."""
    K = np.zeros((n * n, n * n))
    for a in range(n):
        for b in range(n):
            K[a * n + b, b * n + a] = 1
    return K


def test_swapped_pairing_prints_with_the_commutation_matrix():
    # the Hessian of log det X pairs (i, j') and (i', j): (P ⊗ Q) 𝐊, like d X⁻¹/dX = −X⁻ᵀ ⊗ X⁻¹
    X = tg.Variable("X", i="n", j="n")
    H = tg.hessian(tg.logdet(X), X)
    assert to_matrix(H) == "(−X⁻ᵀ ⊗ X⁻¹) 𝐊"
    assert to_latex(H) == r"\left(-X^{-\top} \otimes X^{-1}\right)\mathbf{K}"
    # the printed form is the number: H reshaped row-major is kron(−X⁻ᵀ, X⁻¹) @ K
    n = 4
    Xv = np.random.default_rng(0).standard_normal((n, n)) + n * np.eye(n)
    inv = np.linalg.inv(Xv)
    got = tg.evaluate(H, {X: Xv}, edges=kron_edges(H)).reshape(n * n, n * n)
    np.testing.assert_allclose(got, np.kron(-inv.T, inv) @ commutation(n), atol=1e-12)
    # ... and against finite differences of the gradient inv(X)ᵀ
    eps, fd = 1e-6, np.zeros((n, n, n, n))
    for a in range(n):
        for b in range(n):
            dX = np.zeros((n, n)); dX[a, b] = eps
            fd[:, :, a, b] = (np.linalg.inv(Xv + dX).T - np.linalg.inv(Xv - dX).T) / (2 * eps)
    np.testing.assert_allclose(got, fd.reshape(n * n, n * n), atol=1e-6)
    # the transposition tensor d Xᵀ/dX is 𝐊 itself
    Y = tg.Variable("Y", i="n", j="n")
    out = to_matrix(tg.derivative(Y.rename(i="j", j="i"), Y))
    assert out == "(I ⊗ I) 𝐊", out


def test_not_kronecker_stays_index_notation():
    # an outer product of matrices pairs (i, j) with (i', j'): vec(A) vec(B)ᵀ, not A ⊗ B
    A, B = tg.Variable("A", i="m", j="n"), tg.Variable("B", k="m", l="n")
    assert "⊗" not in to_matrix(A @ B)
    # ... while the same tensor with edges named for its own order is I ⊗ I
    Y = tg.Variable("Y", a="m", b="n")
    assert to_matrix(tg.derivative(Y, Y)) == "I ⊗ I"


# -- regressions found by the round-trip property (tests/test_properties.py) -----

SHAPES = {"A": ("n", "n"), "B": ("n", "n"), "x": ("n",), "y": ("n",), "a": (), "b": ()}


def _values(seed=0, n=4):
    rng = np.random.default_rng(seed)
    return {"A": rng.normal(size=(n, n)), "B": rng.normal(size=(n, n)), "x": rng.normal(size=n),
            "y": rng.normal(size=n), "a": np.array(rng.normal()), "b": np.array(rng.normal())}


def _round_trip(text):
    """(expression, printed text, expression parsed back from the text)."""
    e = parse(text, SHAPES)
    printed = to_matrix(e, cols="j") if tuple(e.edges) == ("j",) else to_matrix(e)
    return e, printed, parse(printed, SHAPES)


def test_reciprocal_in_a_scaled_scalar_product_parses_back():
    # printed `a 1 ⊘ exp(x)ᵀ y` before, which the parser rejects
    e, printed, back = _round_trip("a*sum(y ./ exp(x))")
    assert printed == "a sum(y ⊘ exp(x))"
    v = _values()
    expected = v["a"] * np.sum(v["y"] / np.exp(v["x"]))
    assert np.allclose(tg.evaluate(back, v), expected) and np.allclose(tg.evaluate(e, v), expected)
    # a reciprocal in a longer chain keeps its parentheses: (1 ⊘ u)ᵀ A v
    e, printed, back = _round_trip("a*((vector(1) ./ exp(x))' * A * y)")
    expected = v["a"] * (1 / np.exp(v["x"])) @ v["A"] @ v["y"]
    assert np.allclose(tg.evaluate(back, v), expected), printed


@pytest.mark.parametrize("text, printed, shape", [
    ("x - x", "𝟎", (4,)),
    ("x' - x'", "𝟎ᵀ", (4,)),
    ("A - A", "0I", (4, 4)),
    ("a - a", "0", ()),
])
def test_zero_vector_and_matrix_keep_their_shape(text, printed, shape):
    # `x - x` printed as the scalar `0` before
    e, got, back = _round_trip(text)
    assert got == printed
    assert set(back.edges) == set(e.edges)
    values = _values()
    out = tg.evaluate(back, values, edges=e.edges, dims={"n": 4})
    assert out.shape == shape and not np.any(out)
    assert tg.equivalent(back, e)


def test_non_square_zero_matrix_prints_as_matrix_of_zeros():
    z = tg.zeros(i="m", j="n")
    assert to_matrix(z) == "matrix(0)" and to_latex(z) == r"\mathbf{0}"
    back = parse("matrix(0)")
    out = tg.evaluate(back, {}, dims={"m": 2, "n": 3})
    assert out.shape == (2, 3) and not np.any(out)


@pytest.mark.parametrize("text, expected", [
    ("exp(2)", lambda v: np.exp(2.0)),
    ("exp(0.1)*x", lambda v: np.exp(0.1) * v["x"]),
    ("det(2*A)", lambda v: np.linalg.det(2 * v["A"])),
    ("0.1*a", lambda v: 0.1 * v["a"]),
    ("a/3 + 2*b/3", lambda v: v["a"] / 3 + 2 * v["b"] / 3),
])
def test_folded_constants_print_with_full_precision(text, expected):
    # printed with 6 significant digits before (exp(2) -> 7.38906)
    e, printed, back = _round_trip(text)
    v = _values()
    # the printed text holds the simplified expression's constants exactly
    assert np.array_equal(tg.evaluate(e.simplify(), v), tg.evaluate(back, v, edges=e.edges)), printed
    assert np.allclose(tg.evaluate(back, v, edges=e.edges), expected(v))


def test_numbers_print_as_shortest_repr_and_simple_fractions_stay_short():
    assert to_matrix(parse("exp(2)")) == repr(np.exp(2.0).item())
    assert "0.6931471805599453" in to_matrix(parse("det(2*A)", SHAPES))
    assert to_matrix(parse("0.1*a", SHAPES)) == "a/10"
    assert to_matrix(parse("a/3", SHAPES)) == "a/3"
    assert to_matrix(parse("2.5*a", SHAPES)) == "5a/2"
    assert to_matrix(parse("1e-5*a", SHAPES)) == "1e-05a"
    assert to_latex(parse("1e-5*a", SHAPES)) == r"1 \cdot 10^{-5}a"


def test_trace_of_identity_prints_the_dimension_and_parses_back():
    # printed `n`, which parsed as a variable
    e = parse("tr(eye + A)", SHAPES)
    assert to_matrix(e) == "tr(A + I)"  # as short as n + tr(A), so it stays factored
    printed = to_matrix(tg.simplify(e, expand=True))
    back = parse(printed, SHAPES)
    assert printed == "n + tr(A)"
    v = _values(n=5)
    assert np.isclose(tg.evaluate(back, v), 5 + np.trace(v["A"]))
    assert tg.equivalent(back, e)
    assert "n" not in variables(printed, SHAPES)
    # without shapes declaring it, `n` is an ordinary (scalar) variable
    assert "n" in variables("n + tr(A)")


def test_dimension_sizes_inside_folded_constants_parse_back():
    e, printed, back = _round_trip("det(2*A)")
    v = _values(n=3)
    assert np.isclose(tg.evaluate(back, v), np.linalg.det(2 * v["A"])), printed


def test_numbers_do_not_run_into_names():
    # `2e1` would read as the number 20, `mu(` as a call of an unknown function mu
    e1, mu, x = tg.Variable("e1"), tg.Variable("mu"), tg.Variable("x", i="n")
    assert to_matrix(2 * e1) == "2 e1"
    assert tg.evaluate(parse(to_matrix(2 * e1)), {"e1": np.array(3.0)}) == 6.0
    t = mu * (x + x * e1)
    printed = to_matrix(t)
    back = parse(printed, {"mu": (), "e1": (), "x": ("n",)})
    v = {"mu": np.array(1.5), "e1": np.array(-0.5), "x": np.arange(3.0)}
    assert np.allclose(tg.evaluate(back, v), 1.5 * (np.arange(3.0) * 0.5)), printed
