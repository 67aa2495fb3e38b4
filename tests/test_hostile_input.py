"""Hostile input gets a clear error, never a traceback: deep nesting and long sums
(parse, hash, str, simplify, evaluate, export), CLI input of any kind (exit status 2
and one line), unwritable output paths, odd names in drawings, pickling."""

from __future__ import annotations

import contextlib
import copy
import io
import pickle

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tensorgrad as tg
from tensorgrad.cli import main
from tensorgrad.testing import HOSTILE_CHARS, cases, hostile_depths, hostile_names

HOSTILE = settings(max_examples=25, deadline=None, derandomize=True, database=None,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

x = tg.Variable("x", "i")


# -- depth: iterative where it matters, a big stack where it recurses ---------------

@settings(HOSTILE, max_examples=6)
@given(depth=hostile_depths(400))
def test_nested_parentheses_long_sums_and_deep_calls_parse(depth):
    assert tg.parse("(" * depth + "x" + ")" * depth) == tg.parse("x")
    s = tg.parse("+".join(["x"] * depth))
    assert tg.equivalent(s, depth * tg.parse("x"))
    deep = tg.parse("tanh(" * depth + "x" + ")" * depth)
    v = np.array([0.5, -0.25])
    want = v
    for _ in range(depth):
        want = np.tanh(want)
    np.testing.assert_allclose(tg.evaluate(deep, {"x": v}), want)


def test_a_huge_matrix_power_is_repeated_squaring():
    A = tg.parse("A^65536")  # 16 squarings, not a chain 65536 deep
    Av = np.diag([1.0 + 1e-7, 1.0 - 1e-7])
    np.testing.assert_allclose(tg.evaluate(A, {"A": Av}), np.diag(np.diag(Av) ** 65536), rtol=1e-9)
    np.testing.assert_allclose(tg.evaluate(tg.parse("A^7"), {"A": Av}), np.linalg.matrix_power(Av, 7))


@pytest.mark.parametrize("update", ["loss + term", "0.9 * loss - term"])
def test_a_loss_built_in_a_loop_500_times(update):
    loss = tg.sum(x * x)
    for k in range(500):
        term = tg.sum(tg.exp(x * (k % 7)))
        loss = eval(update, {"loss": loss, "term": term})
    hash(loss)
    assert loss == copy.deepcopy(loss) and len(str(loss)) > 500 and "x" in repr(loss)
    v = np.array([0.1, -0.2])
    want = tg.evaluate(loss, {x: v})
    np.testing.assert_allclose(tg.evaluate(loss.simplify(), {x: v}), want, rtol=1e-10)
    np.testing.assert_allclose(tg.compile(loss)(v), want, rtol=1e-10)
    g = tg.grad(loss, x)
    np.testing.assert_allclose(tg.evaluate(g, {x: v}), tg.evaluate(g.simplify(), {x: v}), rtol=1e-10)


def test_networks_thousands_deep_print_simplify_evaluate_export_and_pickle():
    t = x
    for _ in range(1500):
        t = tg.tanh(t)
    v = np.array([0.5, -0.25])
    want = v
    for _ in range(1500):
        want = np.tanh(want)
    assert len(str(t)) > 1500 and len(repr(t)) > 1500 and t.size() == 1501
    assert pickle.loads(pickle.dumps(t)) == t and copy.deepcopy(t) == t
    assert t.simplify().size() <= t.size()
    np.testing.assert_allclose(tg.evaluate(t, {x: v}), want)
    np.testing.assert_allclose(tg.compile(t)(v), want)


@settings(HOSTILE, max_examples=60)
@given(case=cases())
def test_pickle_and_copy_round_trips(case):
    for t in (case.expr, tg.Derivative(case.expr, case.variables[0], [f"new{k}" for k in case.variables[0].edges])):
        assert pickle.loads(pickle.dumps(t)) == t
        assert copy.deepcopy(t) == t and copy.copy(t) == t


# -- the command line: one line and status 2 for every bad input --------------------

def _run(argv, capsys=None):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as stop:
            code = stop.code
    return code, out.getvalue(), err.getvalue()


NOTATION = "xyAB()+-*/^'.,;[]{}| 0123456789e" + "expsumlogtrinv"


@HOSTILE
@given(text=st.one_of(st.text(st.sampled_from(NOTATION + HOSTILE_CHARS), max_size=24), hostile_names()),
       wrt=st.one_of(st.sampled_from(["x", "A", "y"]), hostile_names()),
       command=st.sampled_from(["grad", "hessian", "jacobian"]))
def test_cli_exits_2_with_one_line_on_bad_input(text, wrt, command):
    code, out, err = _run([command, text, "--wrt", wrt])
    assert code in (0, 1, 2), (code, err)
    if code == 2:
        assert len(err.strip().splitlines()) == 1 and err.startswith("tensorgrad"), err
    else:
        assert "∇" in out or "∂" in out or "J" in out or "=" in out


@pytest.mark.parametrize("argv", [
    ["grad", "(" * 150 + "x" + ")" * 150 + "'*x", "--wrt", "x"],
    ["grad", "+".join(["x'*x"] * 400), "--wrt", "x"],
    ["grad", "1e999*x'*x", "--wrt", "x"],
    ["grad", "x'*x", "--wrt", "x", "--draw", "/nonexistent-dir/f.png"],
    ["grad", "x'*x", "--wrt", "x", "--steps", "/nonexistent-dir/steps.png"],
    ["demo", "--out", "/proc/tensorgrad-cannot-write"],
    ["grad", "x'*x", "--wrt", "θ", "--code", "numpy"],
    ["grad", "--no-such-option"],
    ["frobnicate"],
])
def test_cli_hostile_cases(argv, capsys):
    code, out, err = _run(argv, capsys)
    if code == 2:
        assert len(err.strip().splitlines()) == 1 and err.startswith("tensorgrad"), err
    else:
        assert code == 0 and "∇_x f" in out, (code, err)
    if "/nonexistent-dir" in " ".join(argv) or "/proc" in " ".join(argv):
        assert code == 2 and "cannot write" in err


@pytest.mark.parametrize("argv", [["grad", "-x'*x", "--wrt", "x"], ["grad", "--wrt", "x", "-x'*x"],
                                  ["hessian", "-2*x'*x", "--wrt", "x"]])
def test_cli_expression_may_start_with_a_minus(argv, capsys):
    code, out, err = _run(argv, capsys)
    assert code == 0, err
    assert "−" in out.splitlines()[0]


# -- drawings of odd names ---------------------------------------------------------

@settings(HOSTILE, max_examples=8)
@given(name=hostile_names(), edge=hostile_names())
def test_draw_takes_any_names(name, edge):
    import warnings

    import matplotlib.pyplot as plt
    v = tg.Variable(name, **{edge: "n"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # glyphs the font lacks
        fig = tg.draw(tg.exp(v) * v)
        fig.savefig(io.BytesIO(), format="png")
    plt.close(fig)
