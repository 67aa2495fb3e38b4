"""Hostile names never become code: every user string that reaches generated source
(output, variable, edge and dimension names; the function name) is escaped or
validated, and generated identifiers never collide with names Python normalises
onto them (NFKC: full-width `ｅｘｐ` is `exp`)."""

from __future__ import annotations

import builtins

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tensorgrad as tg
from tensorgrad.testing import PAYLOADS, PWNED, hostile_names

HOSTILE = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                   suppress_health_check=[HealthCheck.too_slow])


def _not_pwned():
    assert not hasattr(builtins, PWNED), "a name given by the user ran as code"


@HOSTILE
@given(names=st.lists(hostile_names(), min_size=2, max_size=2, unique=True), edge=hostile_names(),
       dim=hostile_names(), outputs=st.lists(hostile_names(), min_size=2, max_size=2, unique=True))
def test_hostile_names_never_run_and_give_the_right_numbers(names, edge, dim, outputs):
    x, y = tg.Variable(names[0], **{edge: dim}), tg.Variable(names[1], **{edge: dim})
    exprs = {outputs[0]: tg.exp(x) * y, outputs[1]: tg.sum(x * y) + 1}
    xv, yv = np.array([0.5, -1.0, 2.0]), np.array([1.5, 0.25, -3.0])
    want = {outputs[0]: np.exp(xv) * yv, outputs[1]: xv @ yv + 1}
    f = tg.compile(exprs)
    args = {names[0]: xv, names[1]: yv}
    got = f(*(args[n] for n in sorted(args)))
    _not_pwned()
    assert set(got) == set(outputs)
    for k in outputs:
        np.testing.assert_allclose(got[k], want[k])
        np.testing.assert_allclose(tg.evaluate(exprs[k], {x: xv, y: yv}), want[k])
    source = tg.to_code(exprs)
    compile(source, "<generated>", "exec")  # parses: no user string broke a line or a literal
    assert all(line.isprintable() for line in source.splitlines()) and "\r" not in source
    _not_pwned()


@HOSTILE
@given(name=hostile_names())
def test_function_name_is_an_ascii_identifier_that_shadows_nothing(name):
    x = tg.Variable("x", "i")
    ok = name.isascii() and name.isidentifier() and name not in {"np", "torch", "None", "if"}
    try:
        source = tg.to_code(2 * x, name=name)
    except ValueError as err:
        assert "function name" in str(err)
        return
    finally:
        _not_pwned()
    assert ok and f"def {name}(" in source
    np.testing.assert_allclose(tg.compile(2 * x, name=name)(np.ones(2)), [2.0, 2.0])


@pytest.mark.parametrize("name", ["np", "torch", "jnp", "any", "float", "ｆ", "f\n", "if"])
def test_function_names_that_would_shadow_or_normalise_are_refused(name):
    with pytest.raises(ValueError, match="function name"):
        tg.to_code(tg.Variable("x", "i"), name=name)


@pytest.mark.parametrize("backend", ["numpy", "torch", "jax"])
@pytest.mark.parametrize("name", ["ｅｘｐ", "ｎｐ", "np", "exp", "__solve_solve", "solve", "out", "total", "jnp", "torch"])
def test_names_of_generated_temporaries_modules_and_helpers_do_not_collide(name, backend):
    pytest.importorskip(backend if backend != "numpy" else "numpy")
    # exp temporaries, the module, solve helpers for inverse(X) @ v, and copies of results
    X = tg.Variable("X", i="n", j="n")
    v = tg.Variable(name, j="n")
    expr = {"a": tg.exp(v) * v, "b": tg.inverse(X) @ v, "c": v}
    Xv = np.array([[2.0, 0.5], [0.25, 3.0]])
    vv = np.array([0.5, -1.0])
    want = {"a": np.exp(vv) * vv, "b": np.linalg.inv(Xv).T @ vv, "c": vv}
    got = tg.compile(expr, backend=backend)(*([Xv, vv] if "X" < name else [vv, Xv]))
    for k in want:
        np.testing.assert_allclose(np.asarray(got[k]), want[k], rtol=1e-6 if backend == "jax" else 1e-12)  # jax: float32
    for k, t in expr.items():
        np.testing.assert_allclose(tg.evaluate(t, {X: Xv, v: vv}), want[k], rtol=1e-12)


def test_payloads_in_every_position_of_a_single_output():
    for p in PAYLOADS:
        x = tg.Variable(p, **{p: p})
        np.testing.assert_allclose(tg.compile(tg.sum(x * x))(np.array([1.0, 2.0])), 5.0)
        np.testing.assert_allclose(tg.compile({p: x})(np.array([1.0, 2.0]))[p], [1.0, 2.0])
    _not_pwned()
