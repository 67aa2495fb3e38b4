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
