"""Named intermediates in output: repeated sub-expressions printed as `… where p = …`
(to_matrix, to_latex, str, the CLI), read back by tg.parse, and computed once."""

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.cli import main as cli_main
from tensorgrad.notation.parse import NotationError, variables
from tensorgrad.numcheck import second_difference


def _values(names, rng, n=4):
    shapes = {"A": (n, n), "B": (n, n), "W": (n, n), "V": (n, n), "x": (n,), "b": (n,), "p": (n,)}
    return {k: rng.standard_normal(shapes[k]) for k in names}


def _same_numbers(a, b, values, edges_b=None):
    va = np.asarray(tg.evaluate(a, values))
    vb = np.asarray(tg.evaluate(b, values, edges=edges_b))
    assert va.shape == vb.shape and np.allclose(va, vb, rtol=1e-10, atol=1e-12)


def _hessian(text, wrt="x"):
    f = tg.parse(text)
    x = variables(text)[wrt]
    return tg.hessian(f, x).simplify()


def test_softmax_hessian_names_p():
    H = _hessian("logsumexp(A*x)")
    text = tg.to_matrix(H)
    assert text == "Aᵀ(diag(p) − p pᵀ) A  where p = softmax(A x)"
    assert tg.to_matrix(H, names=False) == "Aᵀ(diag(softmax(A x)) − softmax(A x) softmax(A x)ᵀ) A"
    latex = tg.to_latex(H)
    assert latex.endswith(r"\quad\text{where } p = \operatorname{softmax}\left(A x\right)")
    assert latex.startswith(r"A^{\top}\left(\operatorname{diag}\left(p\right) - p p^{\top}\right)A")
    # str: index notation with the same name
    s = str(H)
    assert "  where p[" in s and "softmax" not in s.split("where")[0]


def test_tanh_layers_read_as_a_forward_pass():
    H = _hessian("sum(tanh(W*tanh(V*x)))")
    text = tg.to_matrix(H)
    main, where = text.split("  where ")
    assert where == "z₁ = V x, h₁ = tanh(z₁), z₂ = W h₁"
    # tanh(z₂) is used once (tanh'' = -2 tanh sech², finite everywhere), so it stays inline
    assert "tanh(z₁)" not in main and "V x" not in main and "z₁" in main and "z₂" in main
    assert r"z_{1} = V x" in tg.to_latex(H) and r"h_{1} = \tanh\left(z_{1}\right)" in tg.to_latex(H)


def test_sigmoid_values_numbered_and_names_avoid_variables():
    x = tg.Variable("x", i="n")
    s = tg.sigmoid(x)
    H = tg.hessian(tg.sum(s * s), x).simplify()
    assert tg.to_matrix(H).endswith("where s₁ = sigmoid(x), s₂ = sigmoid(−x)")
    # a variable called p: the softmax value is named p₁
    printed = tg.to_matrix(_hessian("logsumexp(A*x) * (p'*x)"))
    assert printed == "pᵀ x Aᵀ(diag(p₁) − p₁ p₁ᵀ) A + Aᵀ p₁ pᵀ + p p₁ᵀ A  where p₁ = softmax(A x)"


@pytest.mark.parametrize("text", [
    "logsumexp(A*x)",
    "logsumexp(A*x + b)",
    "sum(tanh(W*tanh(V*x)))",
    "sum(sigmoid(A*x) .* sigmoid(A*x))",
    "logsumexp(A*x) * (p'*x)",
])
def test_round_trip_through_parse(text):
    rng = np.random.default_rng(0)
    H = _hessian(text)
    named = tg.to_matrix(H)
    assert "where" in named
    unnamed = tg.to_matrix(H, names=False)
    back, back_unnamed = tg.parse(named), tg.parse(unnamed)
    assert tg.equivalent(back, back_unnamed)
    values = _values({"A", "B", "W", "V", "x", "b", "p"}, rng)
    # the Hessian has edges (i, i'); the parsed matrix (i, j)
    _same_numbers(back.rename(j="i'"), H, values)
    _same_numbers(back, back_unnamed, values)


def test_where_form_parses_in_any_order_and_with_subscripts():
    a = tg.parse("Aᵀ(diag(p) − p pᵀ) A  where p = softmax(A x)")
    b = tg.parse("A'*(diag(softmax(A*x)) - softmax(A*x)*softmax(A*x)')*A")
    assert tg.equivalent(a, b)
    c = tg.parse("sum(h₂)  where h₂ = tanh(W h₁), h₁ = tanh(V x)")
    assert tg.equivalent(c, tg.parse("sum(tanh(W*tanh(V*x)))"))
    assert set(variables("sum(h₂)  where h₂ = tanh(W h₁), h₁ = tanh(V x)")) == {"W", "V", "x"}


@pytest.mark.parametrize("text, reason", [
    ("p where softmax(x)", "name = expression"),
    ("p where p = q, q = p", "circular"),
    ("p where p = x, p = y", "defined twice"),
    ("p where 2 = x", "not a name"),
    ("p where p = (x +", "syntax error"),
])
def test_bad_where_lists_are_notation_errors(text, reason):
    with pytest.raises(NotationError, match=reason):
        tg.parse(text)


def test_cli_prints_the_where_form(capsys):
    assert cli_main(["hessian", "logsumexp(A*x)", "--wrt", "x"]) == 0
    assert "= Aᵀ(diag(p) − p pᵀ) A  where p = softmax(A x)" in capsys.readouterr().out


def test_shared_and_unshared_forms_evaluate_alike():
    rng = np.random.default_rng(1)
    A = tg.Variable("A", i="m", j="n")
    x = tg.Variable("x", j="n")
    H = tg.hessian(tg.logsumexp(A @ x, "i"), x).simplify()
    unshared = tg.parse(tg.to_matrix(H, names=False), {"A": ("m", "n"), "x": ("n",)})
    values = {"A": rng.standard_normal((3, 4)), "x": rng.standard_normal(4)}
    p = np.exp(values["A"] @ values["x"])
    p /= p.sum()
    expected = values["A"].T @ (np.diag(p) - np.outer(p, p)) @ values["A"]
    assert np.allclose(tg.evaluate(H, values), expected)
    assert np.allclose(tg.evaluate(unshared.rename(i="j", j="j'"), values, edges=("j", "j'")), expected)


def test_exported_dict_computes_each_named_value_once():
    A = tg.Variable("A", i="m", j="n")
    x = tg.Variable("x", j="n")
    f = tg.logsumexp(A @ x, "i")
    g = tg.grad(f, x).simplify()
    H = tg.hessian(f, x).simplify()
    src = tg.to_code({"g": g, "H": H})
    assert src.count("np.exp(") == 1  # softmax(A x): once for both outputs
    assert "where p[" in src  # the comments name it too
    fn = tg.compile({"g": g, "H": H})
    rng = np.random.default_rng(2)
    vals = {"A": rng.standard_normal((3, 4)), "x": rng.standard_normal(4)}
    out = fn(vals["A"], vals["x"])
    assert np.allclose(out["g"], tg.evaluate(g, vals)) and np.allclose(out["H"], tg.evaluate(H, vals))


def test_evaluate_a_dict_computes_shared_values_once():
    rng = np.random.default_rng(3)
    A = tg.Variable("A", i="m", j="n")
    x = tg.Variable("x", j="n")
    f = tg.logsumexp(A @ x, "i")
    outs = {"f": f, "g": tg.grad(f, x).simplify(), "H": tg.hessian(f, x).simplify()}
    vals = {"A": rng.standard_normal((3, 4)), "x": rng.standard_normal(4)}
    got = tg.evaluate(outs, vals)
    assert set(got) == {"f", "g", "H"}
    for k, t in outs.items():
        assert np.allclose(got[k], tg.evaluate(t, vals), rtol=1e-12)
    z = vals["A"] @ vals["x"]
    p = np.exp(z - z.max())
    p /= p.sum()
    assert np.allclose(got["g"], vals["A"].T @ p)
    src = tg.to_code({k: outs[k] for k in ("g", "H")})
    assert src.count("np.exp(") == 1
    with pytest.raises(TypeError, match="output 'y'"):
        tg.evaluate({"y": 3.0}, vals)


def test_exported_forward_pass_shared_by_function_gradient_and_hessian():
    # the layers h_k = tanh(W_k h_{k-1}) of f, of its gradient and of its Hessian are
    # the same values (their products written in other factor orders): computed once
    rng = np.random.default_rng(4)
    x = tg.Variable("x", i0="n")
    Ws = [tg.Variable(f"W{k}", **{f"i{k + 1}": "n", f"i{k}": "n"}) for k in range(3)]
    h = x
    for W in Ws:
        h = tg.tanh(W @ h)
    f = tg.sum(h)
    outs = {"f": f, "g": tg.grad(f, x).simplify(), "H": tg.hessian(f, x).simplify()}
    src = tg.to_code(outs)
    # tanh' = sech², sech written 2 exp(-|u|) / (1 + exp(-2|u|)) (no overflow)
    assert src.count("np.tanh(") == 3 and src.count("np.exp(-np.abs(") == 3
    vals = {"x": rng.standard_normal(4), **{f"W{k}": rng.standard_normal((4, 4)) for k in range(3)}}
    got = tg.evaluate(outs, vals)
    for k, t in outs.items():
        assert np.allclose(got[k], tg.evaluate(t, vals), rtol=1e-12)
    fd = second_difference(f, x, vals)
    assert np.allclose(got["H"], fd, atol=1e-5)
