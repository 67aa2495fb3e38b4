"""Every node is its constructor call: `type(t)(*t.args) == t`, and what derives from
`args` (children, with_children, repr, pickle, deepcopy, hashing) agrees with it."""

from __future__ import annotations

import copy
import pickle

from hypothesis import HealthCheck, given, settings

import tensorgrad as tg
from tensorgrad.expr import Tensor
from tensorgrad.testing import cases, rebuild

NODES = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def nodes(t: Tensor):
    yield t
    for c in t.children():
        yield from nodes(c)


def one_of_each_kind():
    A = tg.Variable("A", i="m", j="n")
    x = tg.Variable("x", j="n")
    X = tg.Variable("X", i="n", j="n")
    return (A.rename(i="k"), tg.delta("n", "a", "b"), tg.Zero(("i",), ("m",)), A @ x, A @ x + 1,
            tg.softmax(A, "i"), tg.det(X), tg.unevaluated(x @ x, x))


def test_sample_covers_every_node_kind():
    kinds = {type(n) for t in one_of_each_kind() for n in nodes(t)}
    assert kinds == {tg.Variable, tg.Delta, tg.Zero, tg.Product, tg.Sum, tg.Function, tg.Derivative}


def test_each_kind_rebuilds_from_args_and_round_trips():
    for t in one_of_each_kind():
        for n in nodes(t):
            assert type(n)(*n.args) == n, n
            assert hash(type(n)(*n.args)) == hash(n)
            assert eval(repr(n), {"tg": tg}) == n, repr(n)
            assert pickle.loads(pickle.dumps(n)) == n
            assert copy.deepcopy(n) == n
            assert n.dim_symbols == tuple(n.dims[e] for e in n.edges)


def test_children_and_with_children_come_from_args():
    A = tg.Variable("A", i="m", j="n")
    x = tg.Variable("x", j="n")
    y = tg.Variable("y", j="n")
    p = A @ x
    assert p.children() == (A, x) == p.args[0]
    assert p.with_children([A, x]) is p
    assert p.with_children([A, y]) == A @ y
    d = tg.unevaluated(x @ x, x)
    assert d.children() == (x @ x,)  # the variable differentiated by is not a child
    assert d.with_children([y @ y]) == tg.unevaluated(y @ y, x)


def test_renamed_variable_args_keep_its_identity():
    A = tg.Variable("A", i="m", j="n")
    B = A.rename(i="j", j="i")
    assert B.args == ("A", ("j", "m", "i"), ("i", "n", "j"))
    assert tg.Variable(*B.args) == B and tg.Variable(*B.args).identity == A.identity
    assert A != B and hash(A) != hash(B)


@NODES
@given(cases(3, smooth=False))
def test_random_expressions_rebuild_equal(case):
    t = case.expr
    assert rebuild(t) == t and rebuild(t) is not t
    assert pickle.loads(pickle.dumps(t)) == t
    assert eval(repr(t), {"tg": tg}) == t
