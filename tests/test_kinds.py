"""Every pass covers every node kind: each `KindTable` has an entry per kind in
`NODE_KINDS`, so adding a node kind fails here until every pass handles it."""

from __future__ import annotations

import pytest

import tensorgrad as tg
import tensorgrad.draw.layout  # noqa: F401 - the modules below register their tables
import tensorgrad.plan.emitter  # noqa: F401
import tensorgrad.notation.reader  # noqa: F401
import tensorgrad.printing  # noqa: F401
import tensorgrad.testing  # noqa: F401
from tensorgrad.expr import Tensor
from tensorgrad.kinds import NODE_KINDS, TABLES, KindTable

# evaluate and export run one plan (tensorgrad.plan): one table for both
PASSES = {"derivative", "canonical graph", "canonical structure", "plan",
          "index notation", "matrix notation", "drawing", "testing scramble", "jvp tangent", "vjp cotangent"}


def test_node_kinds_are_all_the_concrete_nodes():
    def leaves(cls):
        subs = cls.__subclasses__()
        return {cls} if not subs else set().union(*map(leaves, subs))
    assert set(NODE_KINDS) == leaves(Tensor) - {tg.Tensor}


def test_every_pass_has_a_table():
    assert PASSES <= set(TABLES), sorted(PASSES - set(TABLES))


@pytest.mark.parametrize("name", sorted(PASSES))
def test_every_table_covers_every_kind(name):
    assert TABLES[name].missing() == [], f"{name} has no entry for {TABLES[name].missing()}"


def test_a_missing_entry_is_a_clear_type_error():
    table = KindTable("partial table for a test")
    table.register(tg.Variable)(lambda t: "v")
    try:
        assert table(tg.Variable("x", "i")) == "v"
        assert table.missing() == [k.__name__ for k in NODE_KINDS if k is not tg.Variable]
        with pytest.raises(TypeError, match="partial table for a test has no entry for Delta"):
            table(tg.delta("n", "i"))
        with pytest.raises(TypeError, match="is not a node kind"):
            table.register(int)
    finally:
        del TABLES["partial table for a test"]
