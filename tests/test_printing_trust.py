"""Printed output a reader can trust: LaTeX that a TeX parser accepts (matplotlib's
mathtext as the check), no internals (δ, inverse_{…}, cosh^(-2)) where a reading
exists, coefficients without float noise and exact where exact, spacing between
factors, a matrix declared (j, i) printed as itself."""

import re

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.notation.parse import parse, variables
from tensorgrad.notation.index import index_latex
from tensorgrad.notation.printing import to_latex, to_matrix
from tensorgrad.printing import exact_form

from test_printing import EXERCISES, derivatives, shapes_for, to_convention

A = tg.Variable("A", i="m", j="n")
B = tg.Variable("B", k="m", l="n")
x = tg.Variable("x", j="n")
b = tg.Variable("b", i="m")
X = tg.Variable("X", i="n", j="n")
M = tg.Variable("M", i="n", k="n")

FALLBACKS = [  # no matrix reading, or one through the fallbacks
    tg.derivative(A @ x, A), A @ B, tg.hessian(tg.logdet(X), X), tg.softmax(x, "j") * x,
    tg.grad(tg.sum(tg.sigmoid(A @ x)), x), tg.grad(tg.sum(tg.tanh(A @ x)), x), tg.inverse(M @ X.rename(i="k")),
    2 ** -0.5 * x + tg.sqrt(x) - 0.3 * tg.sum(x) * x, tg.hessian(tg.sqrt(x @ x), x), 1e-5 * x,
    tg.derivative(tg.softmax(A @ x, "i"), x), tg.logsumexp(A @ x, "i"), tg.relu(x) * tg.abs(x),
]


def catalogue():
    for n, text, wrt, *_ in EXERCISES:
        f, d, h = derivatives(text, wrt, shapes_for(text))
        yield from (e for e in (f, d, h) if e is not None)
    yield from FALLBACKS


def mathtext_parse(latex: str):
    from matplotlib.mathtext import MathTextParser

    MathTextParser("path").parse(f"${latex}$")


def test_latex_is_valid_and_free_of_internals():
    seen = 0
    for e in catalogue():
        latex = to_latex(e)
        mathtext_parse(latex)  # raises ValueError on invalid TeX
        assert latex.isascii(), latex  # no raw δ, ᵀ, ⊙: commands only
        assert not re.search(r"\^[^{]", latex), f"unbraced exponent in {latex}"
        assert not re.search(r"_[^{]", latex), f"unbraced subscript in {latex}"
        for internal in ("inverse", "cosh", "softmax_{", r"\operatorname{sigmoid}", "e-0", "e+"):
            assert internal not in latex, (internal, latex)
        seen += 1
    assert seen > 60


def test_the_mathtext_check_rejects_invalid_latex():
    with pytest.raises(ValueError):
        mathtext_parse(r"\frac{x}{")
    with pytest.raises(ValueError):
        mathtext_parse(r"x^{2")


def test_index_notation_latex_for_tensors():
    assert to_latex(tg.derivative(A @ x, A)) == r"T_{ii'j} = \delta_{ii'}\,x_{j}"
    assert to_latex(A @ B) == r"T_{ijkl} = A_{ij}\,B_{kl}"
    out = to_latex(tg.inverse(M @ X.rename(i="k")))
    assert r"\right)^{-\top}" in out and "inverse" not in out


def test_copy_tensors_print_as_their_role():
    # the Hadamard product inside the logistic-type gradient: one summed index, no δ soup
    g = tg.grad(tg.sum(tg.sigmoid(A @ x)), x).simplify()
    text = str(g)
    assert "δ" not in text and text.startswith("Σ_a ") and "A[a,j]" in text
    assert r"\odot" in to_latex(g)  # the matrix reading: Aᵀ(σ(A x) ⊙ σ(−A x))
    assert index_latex(g).startswith(r"T_{j} = \sum_{a} \sigma")  # the index reading names it too
    # an elementwise product is x[j] y[j]
    y = tg.Variable("y", j="n")
    assert str((x * y).simplify()) == "x[j] y[j]"
    # a diag (two free edges on one δ) keeps its δ: there is no shorter reading
    assert "δ" in str(tg.derivative(x * y, x).simplify())


def test_coefficients_exact_and_without_noise():
    assert exact_form(2 ** -0.5) == (1, 2, 2)
    assert exact_form(-(8 ** 0.5) / 3) == (-2, 2, 3)
    assert exact_form(1.0000000000000002) == (1, 1, 1)
    assert exact_form(0.1 + 0.2) == (3, 1, 10)
    assert exact_form(np.pi) == (np.pi, 1, 1)
    g = tg.grad(tg.sqrt(0.5 * (x @ x)), x).simplify()
    assert to_matrix(g) == "sqrt(2) x/(2‖x‖)"
    assert to_latex(g) == r"\frac{\sqrt{2}\,x}{2 \left\|x\right\|}"
    assert str(g).startswith("√2/2 ")
    noisy = 1.0000000000000002 * x
    assert to_matrix(noisy) == "x" and str(noisy) == "x[j]"
    assert to_matrix(x * (0.1 + 0.2)) == "3x/10"
    # the printed number is the value: parsing the text gives the same numbers
    shapes = {"x": ("n",)}
    xv = np.random.default_rng(0).standard_normal(5)
    back = parse(to_matrix(g), shapes)
    np.testing.assert_allclose(tg.evaluate(back, {"x": xv}), tg.evaluate(g, {x: xv}), rtol=1e-14)


def test_tanh_derivative_prints_as_sech_squared_and_reads_back():
    text = "sum(tanh(A*x))"
    f = parse(text)
    xv = variables(text)["x"]
    g = tg.grad(f, xv).simplify()
    assert to_matrix(g) == "Aᵀ sech(A x).^2"
    assert to_latex(g) == r"A^{\top}\operatorname{sech}\left(A x\right)^{\circ 2}"
    assert "sech(" in str(g) and "cosh" not in str(g)
    back = parse(to_matrix(g), {"A": ("m", "n"), "x": ("n",)})
    assert tg.equivalent(back, to_convention(g))
    rng = np.random.default_rng(1)
    vals = {"A": rng.standard_normal((3, 2)), "x": rng.standard_normal(2)}
    want = vals["A"].T @ (1 - np.tanh(vals["A"] @ vals["x"]) ** 2)  # 1 − tanh², independent closed form
    np.testing.assert_allclose(tg.evaluate(back, vals), want, rtol=1e-12)
    s = tg.Variable("s")
    assert to_matrix(tg.grad(3 * tg.tanh(s), s)) == "3 sech(s)²"


def test_spacing_between_juxtaposed_factors():
    assert to_matrix(tg.norm(x) * x) == "‖x‖ x"
    assert to_matrix(tg.norm(x) * tg.norm(A)) == "‖A‖ ‖x‖"
    assert to_latex(tg.norm(x) * x) == r"\left\|x\right\|\,x"
    assert to_matrix(0.25 * x) == "x/4" and to_matrix(2 * x) == "2x"


def test_a_matrix_declared_j_i_prints_as_itself():
    W = tg.Variable("W", j="n", i="n")
    assert to_matrix(W) == "W" and to_latex(W) == "W"
    assert to_matrix(W.T) == "Wᵀ"
    assert to_matrix(W + W.T) == "W + Wᵀ"
    # the parser's own matrices (declared (i, j)) keep i as the row
    assert to_matrix(X.T) == "Xᵀ" and to_matrix(X) == "X"
