"""One source per function: every registered function parses, prints, round-trips
through matrix notation, exports, evaluates and draws, all from its FunctionSpec.

A function registered later (docs/adding_a_function.md) is covered here without
touching this file."""


import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.expr import FUNCTIONS, Function
from tensorgrad.notation.vocabulary import known, resolve

rng = np.random.default_rng(11)
PARAM = 0.25  # the number given to functions that take one (maximum(x, 0.25))
N = 4


def _library():
    return sorted(n for n, s in FUNCTIONS.items() if s.jacobian.__module__.startswith("tensorgrad."))


def _case(spec):
    """(expression in the notation's edge convention, variable, value, shapes for tg.parse)."""
    if spec.elementwise:
        x = tg.Variable("x", i="n")
        params = (3,) if spec.name == "pow" else (PARAM,) * spec.n_params
        if spec.domain == "positive":
            v = rng.uniform(0.5, 2.0, N)
        else:
            v = rng.normal(size=N)
            v = np.where(np.abs(v - (params[0] if params else 0)) < 0.2, v + 0.5, v)  # away from kinks
        return Function(spec, x, (), params), x, v, {"x": ("n",)}
    if spec.n_core == 1:
        x = tg.Variable("x", i="n")
        return Function(spec, x, ("i",)), x, rng.normal(size=N), {"x": ("n",)}
    X = tg.Variable("X", i="n", j="n")
    t = Function(spec, X, ("i", "j"))
    if spec.transposed and not spec.consumes_core:
        t = t.rename(i="j", j="i")
    return t, X, rng.normal(size=(N, N)) + N * np.eye(N), {"X": ("n", "n")}


def _value(t, x, v):
    return tg.evaluate(t, {x: v}, dims={"n": N})


@pytest.mark.parametrize("name", _library())
def test_every_function_reads_writes_exports_and_draws(name):
    spec = FUNCTIONS[name]
    t, x, v, shapes = _case(spec)
    axes = () if spec.elementwise else (0,) if spec.n_core == 1 else (0, 1)
    want = spec.numeric(np, v, axes, t.params if isinstance(t, Function) else ())
    got = _value(t, x, v)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)

    # prints: index notation, matrix notation, LaTeX (with the spec's head)
    assert str(t)
    text = tg.to_matrix(t)
    latex = tg.to_latex(t)
    assert x.name in latex and (spec.latex in latex if spec.latex else True)

    # parses by its notation name, and the printed text reads back to the same value
    if spec.notation_name:
        assert resolve(spec.notation_name) == spec.notation_name and spec.notation_name in known()
        call = f"{spec.notation_name}({x.name}{''.join(f', {p}' for p in t.params) if spec.n_params else ''})"
        np.testing.assert_allclose(_value(tg.parse(call, shapes), x, v), got, rtol=1e-12, atol=1e-14)
        for alias in spec.aliases:
            assert resolve(alias) == spec.notation_name
    back = tg.parse(text, shapes)
    np.testing.assert_allclose(_value(back, x, v), got, rtol=1e-12, atol=1e-14)

    # exports: the generated NumPy source, run on its own, gives the same value
    source = tg.to_code(t)
    namespace = {}
    exec(source, namespace)
    np.testing.assert_allclose(namespace["f"](v), got, rtol=1e-12, atol=1e-14)

    # draws
    fig = tg.draw(t)
    assert fig.get_size_inches()[0] > 0.3


def test_every_registered_function_is_a_notation_name_unless_it_is_an_operator():
    for spec in FUNCTIONS.values():
        assert spec.notation_name or spec.name == "pow", spec.name
    names = [s.notation_name for s in FUNCTIONS.values() if s.notation_name]
    assert len(names) == len(set(names)), "two functions share a notation name"


def test_cosh_parses_and_round_trips():
    # the drift that motivated one source per function: cosh was registered but unknown to the parser
    x = tg.Variable("x", i="n")
    assert tg.equivalent(tg.parse(tg.to_matrix(tg.cosh(x))), tg.cosh(x))
    assert tg.equivalent(tg.parse("cosh(x)"), tg.cosh(x))


def test_a_number_where_a_function_wants_one_is_checked():
    with pytest.raises(tg.NotationError, match=r"maximum\(\) takes numbers after its argument"):
        tg.parse("maximum(x, y)")
    with pytest.raises(tg.NotationError, match=r"cosh\(\) takes 1 argument, got 2"):
        tg.parse("cosh(x, 2)")
