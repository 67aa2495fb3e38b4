"""merge_like_terms' cheap certificate (tidy names, copy-tensor slots sorted, factors
ordered by colour refinement) merges terms that differ only in factor order, copy-tensor
slot order and internal names, and never merges differently wired terms; values are
checked against numpy."""

import numpy as np

import tensorgrad as tg
from tensorgrad.expr import Delta, Product, Sum


def test_reordered_copy_tensor_terms_merge():
    x, y, z = (tg.Variable(n, k="n") for n in "xyz")
    t1 = Product([Delta("n", "a", "b", "c", "i"), x.rename(k="a"), y.rename(k="b"), z.rename(k="c")], ("i",))
    t2 = Product([z.rename(k="q"), Delta("n", "q", "p", "i", "r"), y.rename(k="r"), x.rename(k="p")], ("i",))
    s = tg.simplify(Sum([t1, t2]))
    assert not isinstance(s, Sum) or len(s.terms) == 1
    rng = np.random.default_rng(0)
    v = {k: rng.normal(size=5) for k in "xyz"}
    assert np.allclose(tg.evaluate(s, v), 2 * v["x"] * v["y"] * v["z"], rtol=1e-14)


def test_differently_wired_terms_stay_apart():
    A = tg.Variable("A", i="n", j="n")
    AA = Product([A.rename(j="a"), A.rename(i="a")], ("i", "j"))            # (A A)[i, j]
    AAt = Product([A.rename(i="a", j="i"), A.rename(i="j", j="a")], ("i", "j"))  # (A A)[j, i]
    s = tg.simplify(Sum([AA, AAt, AA]))
    assert isinstance(s, Sum) and len(s.terms) == 2
    a = np.random.default_rng(1).normal(size=(4, 4))
    assert np.allclose(tg.evaluate(s, {"A": a}), 2 * a @ a + (a @ a).T, rtol=1e-13)


def test_attention_like_symmetric_factors_merge():
    # two copies of the same term with the equal-shaped softmax factors listed in swapped order
    Q, K = tg.Variable("Q", s="S", d="D"), tg.Variable("K", t="S", d="D")
    p1 = tg.softmax(Q.rename(s="a") @ K, "t")
    p2 = tg.softmax(Q.rename(s="b") @ K.rename(t="u"), "u")
    t1 = Product([Delta("S", "a", "b", "s"), p1, p2], ("s", "t", "u"))
    t2 = Product([p2.rename(u="t", b="c"), Delta("S", "s", "c", "e"), p1.rename(t="u", a="e")], ("s", "t", "u"))
    s = tg.simplify(Sum([t1, t2]))
    rng = np.random.default_rng(2)
    q, k = rng.normal(size=(3, 2)), rng.normal(size=(3, 2))
    e = np.exp(q @ k.T)
    p = e / e.sum(axis=1, keepdims=True)
    want = 2 * p[:, :, None] * p[:, None, :]
    assert not isinstance(s, Sum) or len(s.terms) == 1
    assert np.allclose(tg.evaluate(s, {"Q": q, "K": k}), want, rtol=1e-13)
