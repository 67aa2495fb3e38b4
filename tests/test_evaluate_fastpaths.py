"""tg.evaluate's fast paths (weights folded into a contraction, outer products by
broadcasting, in-place sums, diagonal and broadcast results through views) against
plain numpy, including that no input array is modified."""

import numpy as np

import tensorgrad as tg
from tensorgrad.expr import Delta, Product, Sum


def test_weighted_outer_product_in_permuted_order():
    rng = np.random.default_rng(0)
    A, B = tg.Variable("A", i="n", j="m"), tg.Variable("B", k="p", l="n")
    t = Sum([Product([A, B], ("l", "j", "i", "k"))], [-2.5])
    a, b = rng.normal(size=(3, 4)), rng.normal(size=(5, 3))
    a0, b0 = a.copy(), b.copy()
    want = -2.5 * np.einsum("ij,kl->ljik", a, b)
    assert np.allclose(tg.evaluate(t, {"A": a, "B": b}), want, rtol=1e-14, atol=0)
    assert np.array_equal(a, a0) and np.array_equal(b, b0)


def test_weighted_product_also_used_unweighted():
    rng = np.random.default_rng(1)
    A, x = tg.Variable("A", i="n", j="n"), tg.Variable("x", j="n")
    Ax = A @ x
    t = Sum([Sum([Ax], [3.0]), Ax, Ax.rename(i="i")], [1, -1, 2])
    a, xv = rng.normal(size=(4, 4)), rng.normal(size=4)
    assert np.allclose(tg.evaluate(t, {"A": a, "x": xv}), (3 - 1 + 2) * a @ xv, rtol=1e-13)


def test_sum_accumulates_without_touching_inputs():
    rng = np.random.default_rng(2)
    A, B, C = (tg.Variable(n, i="n", j="n") for n in "ABC")
    t = A + (-1) * B.rename(i="j", j="i") + 0.5 * C - A
    vals = {k: rng.normal(size=(3, 3)) for k in "ABC"}
    copies = {k: v.copy() for k, v in vals.items()}
    got = tg.evaluate(t, vals)
    assert np.allclose(got, -vals["B"].T + 0.5 * vals["C"], rtol=1e-14, atol=1e-15)
    assert all(np.array_equal(vals[k], copies[k]) for k in vals)


def test_diagonal_and_broadcast_results():
    rng = np.random.default_rng(3)
    V = tg.Variable("V", j="m", k="r")
    G = V @ V.rename(k="k'")
    H = Sum([Product([Delta("n", "i", "i'"), G], ("i", "k", "i'", "k'"))], [2])
    v = rng.normal(size=(6, 3))
    want = 2 * np.eye(4)[:, None, :, None] * (v.T @ v)[None, :, None, :]
    got = tg.evaluate(H, {"V": v}, dims={"n": 4})
    assert np.allclose(got, want, rtol=1e-13, atol=0)
    bc = tg.evaluate(Product([V, Delta("n", "i")], ("i", "j", "k")), {"V": v}, dims={"n": 2})
    assert np.allclose(bc, np.broadcast_to(v, (2, 6, 3)))
    bc[0, 0, 0] = 1.0  # an array of its own, not a read-only broadcast view
    assert bc[1, 0, 0] == v[0, 0]


def test_weighted_copy_tensor_only_product():
    t = Sum([Product([Delta("n", "i", "j")])], [3])
    assert np.allclose(tg.evaluate(t, {}, dims={"n": 3}), 3 * np.eye(3))
    s = Sum([Product([Delta("n")])], [0.5])  # 0.5 n
    assert np.isclose(tg.evaluate(s, {}, dims={"n": 4}), 2.0)


def test_in_place_sum_accumulation_never_writes_into_inputs_or_shared_values():
    # the second term of each sum is a product that may hand back an input (or a view
    # of one); accumulating in place must only ever reuse arrays evaluate made itself
    import numpy as np
    import tensorgrad as tg
    from tensorgrad.expr import Product, Sum

    A = tg.Variable("A", i="n", j="n")
    x = tg.Variable("x", i="n")
    a = np.arange(9.0).reshape(3, 3)
    v = np.array([1.0, -2.0, 0.5])
    a0, v0 = a.copy(), v.copy()
    cases = [
        (Sum([A, Product([A.rename(i="j", j="i")], ("i", "j"))], [1, -1]), a0 - a0.T),
        (Sum([A, Product([A], ("i", "j"))], [2, -1]), a0),
        (Sum([x * x, Product([x])], [1, -1]), v0 * v0 - v0),
        (Sum([x * x, Product([x])], [1, 1]), v0 * v0 + v0),
        (Sum([A, Product([A], ("i", "j"))], [1, 1]), 2 * a0),
        (Sum([A * A, Product([A.rename(i="j", j="i")], ("i", "j"))], [1, 1]), a0 * a0 + a0.T),
        (Sum([Product([x, x.rename(i="j")]), Product([x, x.rename(i="j")])], [1, 1]), 2 * np.outer(v0, v0)),
    ]
    for expr, want in cases:
        np.testing.assert_allclose(tg.evaluate(expr, {A: a, x: v}), want)
        np.testing.assert_array_equal(a, a0)
        np.testing.assert_array_equal(v, v0)
