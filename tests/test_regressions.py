"""Regression tests for bugs found by the randomised property tests
(tests/test_properties.py). Each test is named after what broke."""

from __future__ import annotations

import numpy as np

import tensorgrad as tg
from tensorgrad.expr import Delta, Product


def test_derivative_renames_contracted_edge_apart_without_hitting_a_free_edge():
    # d/dx of sum_i x[i_0, i]: the contracted "i" had to make way for the new edge
    # "i" and was renamed to "i_0", which is already the product's free edge.
    x = tg.Variable("x", i_0="m", i="n")
    f = Product([x, Delta("n", "i")], ("i_0",))
    jac = tg.derivative(f, x).check()
    assert jac.edges == ("i_0", "i_0'", "i")
    got = tg.evaluate(jac, {x: np.zeros((2, 3))})
    expected = np.einsum("ab,c->abc", np.eye(2), np.ones(3))
    assert np.allclose(got, expected)


def test_rename_of_a_free_edge_keeps_contracted_edge_off_other_free_edges():
    # renaming k -> i forces the contracted "i" away; its fresh name must not be
    # the untouched free edge "i_0"
    x = tg.Variable("x", i_0="m", i="n")
    y = tg.Variable("y", k="m")
    p = Product([x, Delta("n", "i"), y])
    r = p.rename(k="i").check()
    assert set(r.edges) == {"i_0", "i"}
    rng = np.random.default_rng(0)
    xv, yv = rng.normal(size=(2, 3)), rng.normal(size=2)
    got = tg.evaluate(r, {x: xv, y: yv}, edges=("i_0", "i"))
    assert np.allclose(got, np.outer(xv.sum(axis=1), yv))


def test_simplify_idempotent_when_tidy_names_renames_free_edges_of_nested_products():
    # tidy_names renamed a product's contracted edges after sorting; a nested product
    # whose free edges are those names was then no longer in sorted order, so a second
    # simplify reordered it.
    from tensorgrad.functions import logdet
    from tensorgrad.testing import rebuild
    x = tg.Variable("x", i="m")
    xl0, xl1, xj = x.rename(i="l_0"), x.rename(i="l_1"), x.rename(i="j")
    outer = Product([Product([Product([x, xl0], ("i", "l_0")), Product([xj, xl1], ("j", "l_1")),
                              Delta("m", "l", "l_0", "l_1")], ("i", "l", "j")), Delta("m", "l")], ("i", "j"))
    e = tg.derivative(logdet(Delta("m", "i", "j") + outer), x)
    s = tg.simplify(e)
    assert tg.simplify(rebuild(s)) == s
    rng = np.random.default_rng(1)
    xv = rng.normal(size=2)
    m = np.eye(2) + (xv @ xv) * np.outer(xv, xv)
    h = 1e-6
    fd = [(np.log(np.linalg.det(np.eye(2) + ((xv + h * d) @ (xv + h * d)) * np.outer(xv + h * d, xv + h * d)))
           - np.log(np.linalg.det(np.eye(2) + ((xv - h * d) @ (xv - h * d)) * np.outer(xv - h * d, xv - h * d)))) / (2 * h)
          for d in np.eye(2)]
    assert np.linalg.det(m) > 0
    assert np.allclose(tg.evaluate(s, {x: xv}), fd, atol=1e-6)


def test_det_of_scaled_batched_matrix_keeps_batch_edge():
    # det(c X) with a batch edge k: the factor c^n was broadcast over k and so
    # contracted k away against det X, giving a product with no free edge k.
    from tensorgrad.functions import det
    X = tg.Variable("X", i="m", j="m", k="n")
    f = det(-2 * X, core=("i", "j"))
    s = tg.simplify(f).check()
    assert s.edges == ("k",)
    xv = np.random.default_rng(2).normal(size=(2, 2, 3))
    expected = np.linalg.det(np.moveaxis(-2 * xv, 2, 0))
    assert np.allclose(tg.evaluate(s, {X: xv}), expected)


def test_exported_code_compiles_with_quote_in_edge_name():
    # the input checks wrote edge tuples such as ("j'",) inside a double-quoted
    # f-string: a SyntaxError in the generated source
    y = tg.Variable("y", **{"j'": "m"})
    A = tg.Variable("A", **{"a'": "m", "b{": "m"})
    f = tg.compile(tg.sum(y) * A)
    yv, av = np.arange(2.0), np.ones((2, 2))
    assert np.allclose(f(av, yv), yv.sum() * av)
    try:
        f(np.ones((3, 3)), yv)
    except ValueError as exc:
        assert "j'" in str(exc) and "'m'" in str(exc)
    else:
        raise AssertionError("mismatched sizes were accepted")


def test_exported_sum_of_one_transposed_term_keeps_the_transpose():
    # x.T + 0: with the zero term dropped, the lone term was returned with its axes
    # renumbered in order, silently giving x instead of x.T
    x = tg.Variable("x", i="m", j="m")
    s = tg.Sum([x.rename(i="j", j="i"), tg.Zero(("j", "i"), ("m", "m"))], (1, 1), ("i", "j"))
    xv = np.arange(4.0).reshape(2, 2)
    assert np.allclose(tg.compile(s)(xv), xv.T)
    assert np.allclose(tg.evaluate(s, {x: xv}), xv.T)


def test_parse_reads_the_ones_vector_the_printer_writes():
    # to_matrix prints an all-ones vector as 𝟏, which the tokenizer rejected
    shapes = {"A": ("n", "n"), "x": ("n",), "a": ()}
    for text in ("exp(x) ./ exp(x)", "x + a*(exp(x) ./ exp(x))", "sum(A * (x ./ x))"):
        e = tg.parse(text, shapes)
        back = tg.parse(tg.to_matrix(e), shapes)
        assert tg.equivalent(back, e)
    ones = tg.parse("𝟏ᵀ x", shapes)
    assert np.isclose(tg.evaluate(ones, {"x": np.arange(3.0)}), 3.0)


def _batched_inverse_hessian_case():
    # f = Σ inverse(δ + ½ Σ_t B Bᵀ) per batch entry k, B[i,t,k] a sum of x outer products
    x = tg.Variable("x", i="n", k="m")
    B = x * x.rename(i="t") + x * tg.ones(t="n")
    X = tg.ones(k="m") * Delta("n", "i", "j") + 0.5 * tg.sum(B * B.rename(i="j"), "t")
    return x, tg.sum(tg.inverse(X, core=("i", "j")))


def test_hessian_of_batched_inverse_simplifies_to_a_bounded_size_and_stays_correct():
    # merge_like_terms compared the expanded Hessian terms (each holding three copies
    # of the inverse) with VF2 on bare labels: seconds per pair, minutes per Hessian.
    from tensorgrad.numcheck import finite_difference
    x, f = _batched_inverse_hessian_case()
    dims = {"n": 3, "m": 2}
    values = {x: np.random.default_rng(0).uniform(-1, 1, size=(3, 2))}
    g = tg.derivative(f, x)
    H = tg.derivative(g, x).simplify()
    assert H.size() <= 5000  # 60 expanded terms, ~4300 nodes
    got = tg.evaluate(H, values, dims=dims)
    want = finite_difference(g, x, values, dims=dims)
    assert np.allclose(got, want, atol=1e-6)
    grad = tg.evaluate(g.simplify(), values, dims=dims)
    assert np.allclose(grad, finite_difference(f, x, values, dims=dims), atol=1e-6)


def test_isomorphic_tells_apart_networks_that_colour_refinement_cannot():
    # tr(A⁶) vs tr(A³)²: every factor and wire looks alike to colour refinement, so
    # the exact matcher must still search and say no; a relabelled ring is equal
    from tensorgrad.canonical import canonical_key, isomorphic
    A = tg.Variable("A", i="n", j="n")

    def ring(names):
        return [A.rename(i=a, j=b) for a, b in zip(names, names[1:] + names[:1])]

    six = Product(ring(list("abcdef")), ())
    two = Product(ring(list("abc")) + ring(list("pqr")), ())
    assert canonical_key(six) == canonical_key(two)  # the cheap test cannot decide
    assert not isomorphic(six, two)
    assert isomorphic(six, Product(list(reversed(ring(list("uvwxyz")))), ()))
    rng = np.random.default_rng(1)
    a = rng.normal(size=(3, 3))
    assert np.isclose(tg.evaluate(six, {A: a}, dims={"n": 3}), np.trace(np.linalg.matrix_power(a, 6)))


def test_common_negative_weight_of_float_weights_is_not_floored():
    # pull_common_weight took -1 out of (-0.5 - 0.25 xᵀx) with floor division: -0.5 // -1 == 0,
    # so (-0.5 - 0.25 xᵀx) 𝟏 simplified to 0 (found by the property tests)
    x = tg.Variable("x", i="m")
    e = tg.Product([tg.Sum([tg.expr.ONE, tg.sum(x * x)], [-0.5, -0.25]), tg.Delta("n", "i")], ["i"])
    assert not tg.equivalent(e, 0)
    xv = np.array([0.3, -0.4])
    want = (-0.5 - 0.25 * xv @ xv) * np.ones(3)
    for t in (e, e.simplify(), tg.simplify(e, expand=True)):
        assert np.allclose(tg.evaluate(t, {x: xv}, dims={"n": 3}), want)
