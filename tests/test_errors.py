"""Every error in API.md's Errors section: the documented type, a message naming the culprit."""

import numpy as np
import pytest

import tensorgrad as tg

x = tg.Variable("x", i="n")
z = tg.Variable("z", k="n")
A = tg.Variable("A", i="m", j="n")
X = tg.Variable("X", i="n", j="n")


def test_adding_different_free_edges():
    with pytest.raises(ValueError, match=r"different free edges.*'i'.*'k'"):
        x + z


def test_contracting_edge_bound_to_two_dimensions():
    y = tg.Variable("y", i="m")
    with pytest.raises(ValueError, match=r"edge 'i'.*'n'.*'m'"):
        x @ y


def test_grad_of_non_scalar():
    with pytest.raises(ValueError, match=r"scalar.*\('i',\)"):
        tg.grad(x, x)


def test_duplicate_edge_names_in_a_variable():
    with pytest.raises(ValueError, match=r"'v'.*'i' twice"):
        tg.Variable("v", "i", i="n")


def test_renaming_onto_an_existing_edge():
    with pytest.raises(ValueError, match=r"'j' twice"):
        X.rename(i="j")


def test_renaming_a_missing_edge():
    with pytest.raises(ValueError, match=r"'q'.*not a free edge"):
        X.rename(q="r")


def test_differentiating_wrt_a_non_variable():
    with pytest.raises(TypeError, match=r"Variable.*Product"):
        tg.derivative(x @ x, x * x)
    with pytest.raises(TypeError, match=r"Variable.*str"):
        tg.grad(x @ x, "x")


def test_derivative_new_edges_clash():
    with pytest.raises(ValueError, match=r"'i'.*already a free edge"):
        tg.derivative(x, x, new_edges={"i": "i"})
    with pytest.raises(ValueError, match=r"'q'.*not an edge of x"):
        tg.derivative(x, x, new_edges={"q": "r"})


def test_evaluate_missing_value():
    with pytest.raises(ValueError, match=r"no value.*'x'"):
        tg.evaluate(x @ x, {})


def test_evaluate_wrong_number_of_axes():
    with pytest.raises(ValueError, match=r"'A'.*2 edges.*1 axes"):
        tg.evaluate(A, {A: np.ones(3)})


def test_evaluate_dimension_bound_to_two_sizes():
    with pytest.raises(ValueError, match=r"dimension 'n'.*3.*4.*'x'"):
        tg.evaluate(A @ x.rename(i="j"), {A: np.ones((2, 3)), x: np.ones(4)})


def test_evaluate_unbound_dimension():
    with pytest.raises(ValueError, match=r"dimension 'n'.*dims="):
        tg.evaluate(tg.trace(tg.delta("n", "i", "j")), {})


def test_evaluate_wrong_edge_order():
    with pytest.raises(ValueError, match=r"permutation"):
        tg.evaluate(A, {A: np.ones((2, 3))}, edges=("i", "q"))


def test_non_numeric_operands():
    with pytest.raises(TypeError, match=r"str"):
        x * "2"
    with pytest.raises(TypeError, match=r"exponent"):
        x ** "2"
    with pytest.raises(TypeError, match=r"tg.evaluate"):
        np.asarray(x)


def test_sum_and_trace_argument_checks():
    with pytest.raises(ValueError, match=r"edge 'q'"):
        tg.sum(x, "q")
    with pytest.raises(ValueError, match=r"two edges of one dimension.*'m'.*'n'"):
        tg.trace(A)
    with pytest.raises(TypeError, match=r"expects a tensorgrad expression"):
        tg.exp(3)


def test_product_edge_on_three_factors():
    with pytest.raises(ValueError, match=r"edge 'i'.*more than two"):
        tg.Product([x, x, x])


def test_check_catches_invalid_function_core():
    with pytest.raises(ValueError, match=r"edge 'q'"):
        tg.Function("exp", x, ("q",))


def test_import_pulls_in_no_plotting_or_frameworks():
    import subprocess
    import sys
    code = ("import sys, tensorgrad; "
            "print(sorted(m for m in ('matplotlib', 'torch', 'jax', 'hypothesis') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_nodes_are_immutable():
    with pytest.raises(AttributeError, match="immutable"):
        x.edges = ("k",)
