"""Tests of the matrix-notation parser: tokens, AST, shape inference, built tensors."""

import re

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.notation.parse import (
    BinOp,
    Call,
    Name,
    Neg,
    NotationError,
    Number,
    Transpose,
    infer_shapes,
    parse,
    parse_ast,
    result_shape,
    to_text,
    tokenize,
    variables,
)

# ---------------------------------------------------------------------------
# Tokenizer
# ---------------------------------------------------------------------------


def kinds(text):
    return [(t.kind, t.text) for t in tokenize(text)][:-1]


def test_tokenize_matlab_operators():
    assert kinds("x'*A.*B./C.^2") == [
        ("NAME", "x"), ("'", "'"), ("*", "*"), ("NAME", "A"), (".*", ".*"), ("NAME", "B"),
        ("./", "./"), ("NAME", "C"), (".^", ".^"), ("NUM", "2"),
    ]


def test_tokenize_python_spelling():
    assert kinds("x.T @ A ** 2") == [("NAME", "x"), ("'", ".T"), ("*", "@"), ("NAME", "A"), ("^", "**"), ("NUM", "2")]


def test_tokenize_numbers():
    toks = tokenize("2 0.5 .25 1e3 2.5E-2 10")
    assert [t.value for t in toks[:-1]] == [2, 0.5, 0.25, 1000, 0.025, 10]
    assert isinstance(toks[0].value, int) and isinstance(toks[3].value, int)
    # "2.*x" is elementwise 2 .* x, not the number "2."
    assert kinds("2.*x") == [("NUM", "2"), (".*", ".*"), ("NAME", "x")]


def test_tokenize_unicode():
    assert kinds("2Aᵀ(Ax − b)⊙y") == [
        ("NUM", "2"), ("NAME", "A"), ("'", "ᵀ"), ("(", "("), ("NAME", "Ax"), ("-", "−"), ("NAME", "b"),
        (")", ")"), (".*", "⊙"), ("NAME", "y"),
    ]
    toks = tokenize("‖x‖² X⁻¹ X⁻ᵀ")
    assert [(t.kind, t.value) for t in toks[:-1]] == [
        ("||", None), ("NAME", None), ("||", None), ("SUP", 2), ("NAME", None), ("SUP", -1), ("NAME", None), ("SUPT", -1)
    ]


def test_tokenize_positions():
    toks = tokenize("  ab + 3")
    assert [(t.start, t.end) for t in toks] == [(2, 4), (5, 6), (7, 8), (8, 8)]


# ---------------------------------------------------------------------------
# Parser: text -> AST
# ---------------------------------------------------------------------------

x, y, A, B, a, b = Name("x"), Name("y"), Name("A"), Name("B"), Name("a"), Name("b")


def T(n):
    return Transpose(n)


AST_TABLE = [
    ("x'*A*x", BinOp("*", BinOp("*", T(x), A), x)),
    ("x.T @ A @ x", BinOp("*", BinOp("*", T(x), A), x)),
    ("x' A x", BinOp("*", BinOp("*", T(x), A), x)),
    ("xᵀAx".replace("Ax", "A x"), BinOp("*", BinOp("*", T(x), A), x)),
    ("A*x - b", BinOp("-", BinOp("*", A, x), b)),
    ("a + b*x", BinOp("+", a, BinOp("*", b, x))),
    ("(a + b)*x", BinOp("*", BinOp("+", a, b), x)),
    ("-x^2", Neg(BinOp("^", x, Number(2)))),
    ("a^b^2", BinOp("^", a, BinOp("^", b, Number(2)))),
    ("x^-1", BinOp("^", x, Neg(Number(1)))),
    ("a**2", BinOp("^", a, Number(2))),
    ("x'^2", BinOp("^", T(x), Number(2))),
    ("(A*x)'", T(BinOp("*", A, x))),
    ("A''", T(T(A))),
    ("a*-b", BinOp("*", a, Neg(b))),
    ("x .* y ./ x", BinOp("./", BinOp(".*", x, y), x)),
    ("x.^2", BinOp(".^", x, Number(2))),
    ("norm2(A*x - b)^2", BinOp("^", Call("norm2", (BinOp("-", BinOp("*", A, x), b),)), Number(2))),
    ("‖A x − b‖²", BinOp("^", Call("norm2", (BinOp("-", BinOp("*", A, x), b),)), Number(2))),
    ("exp(-x'*x)", Call("exp", (BinOp("*", Neg(T(x)), x),))),
    ("exp(-(x'*x))", Call("exp", (Neg(BinOp("*", T(x), x)),))),
    ("2Aᵀ(A x − b)", BinOp("*", BinOp("*", Number(2), T(A)), BinOp("-", BinOp("*", A, x), b))),
    ("A⁻¹", BinOp("^", A, Neg(Number(1)))),
    ("A⁻ᵀ", T(BinOp("^", A, Neg(Number(1))))),
    ("x²", BinOp("^", x, Number(2))),
    ("eye + A", BinOp("+", Call("eye"), A)),
    ("I + A", BinOp("+", Call("eye"), A)),
    ("eye() + A", BinOp("+", Call("eye"), A)),
    ("vector(1)'*x", BinOp("*", T(Call("vector", (Number(1),))), x)),
    ("trace(A)", Call("tr", (A,))),
    ("inverse(A)", Call("inv", (A,))),
    ("x ⊙ y", BinOp(".*", x, y)),
    ("a·b", BinOp("*", a, b)),
    ("‖x‖‖y‖", BinOp("*", Call("norm2", (x,)), Call("norm2", (y,)))),
    ("1/2*a", BinOp("*", BinOp("/", Number(1), Number(2)), a)),
    ("+a", a),
    ("((a))", a),
]


@pytest.mark.parametrize("text, expected", AST_TABLE, ids=[t for t, _ in AST_TABLE])
def test_parse_ast_table(text, expected):
    assert parse_ast(text) == expected


@pytest.mark.parametrize("text, _", AST_TABLE, ids=[t for t, _ in AST_TABLE])
def test_to_text_round_trip(text, _):
    ast = parse_ast(text)
    assert parse_ast(to_text(ast)) == ast


def test_to_text_is_canonical():
    assert to_text(parse_ast("x.T @ A @ x")) == "x'*A*x"
    assert to_text(parse_ast("(a+b)*(a-b)")) == "(a + b)*(a - b)"
    assert to_text(parse_ast("a - (b - a)")) == "a - (b - a)"
    assert to_text(parse_ast("(a^b)^a")) == "(a^b)^a"
    assert str(parse_ast("‖x‖²")) == "norm2(x)^2"


def test_spans_point_into_the_text():
    text = "exp(A*x) + (b)"
    ast = parse_ast(text)
    assert ast.span == (0, len(text))
    assert text[slice(*ast.left.span)] == "exp(A*x)"
    assert text[slice(*ast.left.args[0].span)] == "A*x"
    assert text[slice(*ast.right.span)] == "(b)"


def test_ast_is_immutable_and_hashable():
    ast = parse_ast("A*x")
    with pytest.raises(Exception):
        ast.op = "+"
    assert hash(ast) == hash(parse_ast("A @ x"))


def test_multi_letter_names_and_declared_names():
    assert parse_ast("theta'*x") == BinOp("*", T(Name("theta")), x)
    # a declared multi-letter name may be followed by a parenthesis (a product)
    assert parse_ast("W1(x)", {"W1": ("m", "n"), "x": ("n",)}) == BinOp("*", Name("W1"), x)
    # I declared as a variable is not the identity
    assert parse_ast("I + A", {"I": ("n", "n")}) == BinOp("+", Name("I"), A)


# ---------------------------------------------------------------------------
# Syntax errors: ValueError with a caret under the column, and what was expected
# ---------------------------------------------------------------------------

SYNTAX_ERRORS = [
    # text, column (1-based), words in the message
    ("A*x +", 6, ["expected an operand", "end of input"]),
    ("(A*x", 5, ["expected ')'", "column 1"]),
    ("A*x)", 4, ["unmatched ')'"]),
    ("exp x", 5, ["expected '('", "'exp'"]),
    ("3 $ x", 3, ["unexpected character '$'"]),
    ("", 1, ["empty expression"]),
    ("x . y", 3, ["'.*'"]),
    ("a + * b", 5, ["expected an operand", "'*'"]),
    ("exp(x,", 7, ["expected an operand"]),
    ("exp(x y", 8, ["',' or ')'"]),
    ("‖x", 3, ["'‖'"]),
    ("x 2", 3, ["expected an operator or end of input", "'2'"]),
    ("()", 2, ["expected an operand", "')'"]),
    ("x⁻", 3, ["superscript digit"]),
]


@pytest.mark.parametrize("text, column, words", SYNTAX_ERRORS, ids=[t for t, _, _ in SYNTAX_ERRORS])
def test_syntax_errors(text, column, words):
    with pytest.raises(ValueError) as info:
        parse_ast(text)
    err = info.value
    assert isinstance(err, NotationError)
    assert err.column == column
    message = str(err)
    for w in words:
        assert w in message
    lines = message.splitlines()
    # the text, then a caret under the column
    assert lines[-2] == "  " + text
    assert lines[-1].index("^") == 2 + column - 1
    assert "Traceback" not in message


def test_unknown_function():
    with pytest.raises(ValueError) as info:
        parse("foo(x) + x")
    assert "unknown function 'foo'" in str(info.value)
    assert info.value.column == 1
    assert "norm2" in str(info.value)  # lists the known ones


def test_wrong_number_of_arguments():
    with pytest.raises(ValueError, match=r"exp\(\) takes 1 argument, got 2"):
        parse("exp(x, y)")
    with pytest.raises(ValueError, match=r"sum\(\) takes 1 argument, got 0"):
        parse("sum()")


def test_function_name_without_call():
    with pytest.raises(ValueError, match="expected '\\(' after the function name 'sum'"):
        parse("sum + x")


def test_not_a_string():
    with pytest.raises(TypeError):
        parse(3)


def test_bad_shapes_argument():
    with pytest.raises(ValueError, match="at most 2 dimensions"):
        parse("T", {"T": ("a", "b", "c")})
    with pytest.raises(TypeError, match="dimension symbols must be non-empty strings"):
        parse("x", {"x": (3,)})
    with pytest.raises(ValueError, match="function name"):
        parse("x", {"exp": ()})
    with pytest.raises(TypeError):
        parse("x", [("x", "n")])


# ---------------------------------------------------------------------------
# Shape inference
# ---------------------------------------------------------------------------

SHAPES_TABLE = [
    # text, shapes, expected variable shapes, expected (rows, cols) of the result
    ("x'*A*x", None, {"x": ("n",), "A": ("n", "n")}, (None, None)),
    ("A*x - b", None, {"A": ("m", "n"), "x": ("n",), "b": ("m",)}, ("m", None)),
    ("A*x - b", {"A": ("p", "q")}, {"A": ("p", "q"), "x": ("q",), "b": ("p",)}, ("p", None)),
    ("x'*A*x/2 + b'*x + c", None, {"x": ("n",), "A": ("n", "n"), "b": ("n",), "c": ()}, (None, None)),
    ("(A*x+b)'*C*(D*x+e)", None,
     {"A": ("m", "n"), "x": ("n",), "b": ("m",), "C": ("m", "p"), "D": ("p", "n"), "e": ("p",)}, (None, None)),
    ("a'*x*x'*b", None, {"a": ("n",), "x": ("n",), "b": ("n",)}, (None, None)),
    ("det(A - t*eye)", None, {"A": ("n", "n"), "t": ()}, (None, None)),
    ("log(1 + exp(a'*x))", None, {"a": ("n",), "x": ("n",)}, (None, None)),
    ("c*x", None, {"c": (), "x": ("n",)}, ("n", None)),
    ("x'", None, {"x": ("n",)}, (None, "n")),
    ("x*y'", None, {"x": ("m",), "y": ("n",)}, ("m", "n")),
    ("tr(A*X)", None, {"A": ("m", "n"), "X": ("n", "m")}, (None, None)),
    ("A*B*C", None, {"A": ("m", "n"), "B": ("n", "p"), "C": ("p", "q")}, ("m", "q")),
    ("diag(x)*A", None, {"x": ("m",), "A": ("m", "n")}, ("m", "n")),
    ("diag(A)", None, {"A": ("n", "n")}, ("n", None)),
    ("softmax(W*x)", None, {"W": ("m", "n"), "x": ("n",)}, ("m", None)),
    ("x + vector(1)", None, {"x": ("n",)}, ("n", None)),
    ("I + x*x'", None, {"x": ("n",)}, ("n", "n")),
    ("μ*norm2(x)^2", None, {"μ": (), "x": ("n",)}, (None, None)),
    ("Θ*x", None, {"Θ": ("m", "n"), "x": ("n",)}, ("m", None)),
    ("t*x", {"t": ()}, {"t": (), "x": ("n",)}, ("n", None)),
    ("A*x", {"x": "k"}, {"A": ("n", "k"), "x": ("k",)}, ("n", None)),
    ("(A*B)'", None, {"A": ("m", "n"), "B": ("n", "p")}, ("p", "m")),
    ("B'*A'", None, {"B": ("n", "p"), "A": ("m", "n")}, ("p", "m")),
    ("x'*y", None, {"x": ("n",), "y": ("n",)}, (None, None)),
]


@pytest.mark.parametrize("text, shapes, expected, result", SHAPES_TABLE, ids=[t for t, *_ in SHAPES_TABLE])
def test_infer_shapes(text, shapes, expected, result):
    assert infer_shapes(text, shapes) == expected
    assert list(infer_shapes(text, shapes)) == list(expected)  # order of first appearance
    assert result_shape(text, shapes) == result


SHAPE_ERRORS = [
    # text, shapes, the quoted sub-expression, words
    ("x + y'", None, "x + y'", ["cannot add", "column vector", "row vector"]),
    ("A*x + b'*B", None, "A*x + b'*B", ["cannot add", "column vector", "row vector"]),
    ("c'*x + A", None, "c'*x + A", ["cannot add"]),
    ("A*x", {"A": ("m", "n"), "x": ("m",)}, "A*x", ["cannot multiply", "inner dimensions n and m"]),
    ("exp(A*B) + C", {"A": ("m", "n"), "B": ("p", "q")}, "A*B", ["cannot multiply", "n and p"]),
    ("tr(x)", None, "tr(x)", ["tr() needs a square matrix", "column vector"]),
    ("det(A)", {"A": ("m", "n")}, "det(A)", ["square matrix", "m×n"]),
    ("A^2", {"A": ("m", "n")}, "A^2", ["square"]),
    ("A^0.5", None, "A^0.5", ["integer exponent"]),
    ("x^2", {"x": ("n",)}, "x^2", [".^"]),
    ("A/B", None, "A/B", ["divide by", "./"]),
    ("a^x", {"x": ("n",)}, "a^x", ["exponent must be a scalar"]),
    ("softmax(A)", None, "softmax(A)", ["needs a vector"]),
    ("vector(x)", None, "vector(x)", ["takes a number"]),
    ("x + A", {"x": ("n",)}, "x + A", ["cannot add"]),
    ("a + x", {"a": (), "x": ("n",)}, "a + x", ["only numbers broadcast"]),
]


@pytest.mark.parametrize("text, shapes, snippet, words", SHAPE_ERRORS, ids=[t for t, *_ in SHAPE_ERRORS])
def test_shape_errors(text, shapes, snippet, words):
    with pytest.raises(ValueError) as info:
        parse(text, shapes)
    err = info.value
    assert isinstance(err, NotationError)
    message = str(err)
    assert f"in '{snippet}'" in message
    for w in words:
        assert w in message
    # the caret underline covers the sub-expression
    start = text.index(snippet)
    assert err.column == start + 1
    assert message.splitlines()[-1] == "  " + " " * start + "^" * len(snippet)


def test_dimension_mismatch_is_reported_as_such():
    with pytest.raises(ValueError, match=r"dimension mismatch in 'A\*x'"):
        parse("A*x", {"A": ("m", "n"), "x": ("m",)})


# ---------------------------------------------------------------------------
# Building tensorgrad expressions: numbers against hand-written numpy
# ---------------------------------------------------------------------------

SIZES = {"m": 4, "n": 3, "p": 5, "q": 2}


def random_values(text, shapes=None, positive=(), spd=(), seed=0):
    rng = np.random.default_rng(seed)
    values = {}
    for name, dims in infer_shapes(text, shapes).items():
        arr = rng.standard_normal([SIZES[d] for d in dims]) if dims else float(rng.standard_normal())
        if name in positive:
            arr = np.abs(arr) + 0.5
        if name in spd:
            arr = arr @ arr.T + len(arr) * np.eye(len(arr))
        values[name] = arr
    return values


def evaluate(text, values, shapes=None):
    expr = parse(text, shapes)
    rows, cols = result_shape(text, shapes)
    edges = tuple(e for e, d in (("i", rows), ("j", cols)) if d is not None)
    return np.asarray(tg.evaluate(expr, values, edges=edges))


def sig(v):
    return 1 / (1 + np.exp(-v))


NUMERIC_TABLE = [
    # text, numpy formula taking the values dict, names to make positive
    ("A*x - b", lambda v: v["A"] @ v["x"] - v["b"], ()),
    ("x'*A*x", lambda v: v["x"] @ v["A"] @ v["x"], ()),
    ("x.T @ A @ x", lambda v: v["x"] @ v["A"] @ v["x"], ()),
    ("x' A x", lambda v: v["x"] @ v["A"] @ v["x"], ()),
    ("norm2(A*x - b)^2", lambda v: np.sum((v["A"] @ v["x"] - v["b"]) ** 2), ()),
    ("‖A x − b‖²", lambda v: np.sum((v["A"] @ v["x"] - v["b"]) ** 2), ()),
    ("1/2*norm2(A*x - b)^2", lambda v: 0.5 * np.sum((v["A"] @ v["x"] - v["b"]) ** 2), ()),
    ("2Aᵀ(A x − b)", lambda v: 2 * v["A"].T @ (v["A"] @ v["x"] - v["b"]), ()),
    ("x'*A*x/2 + b'*x + c", lambda v: v["x"] @ v["A"] @ v["x"] / 2 + v["b"] @ v["x"] + v["c"], ()),
    ("-exp(-x'*x)", lambda v: -np.exp(-v["x"] @ v["x"]), ()),
    ("norm2(x)", lambda v: np.linalg.norm(v["x"]), ()),
    ("norm2(X)", lambda v: np.linalg.norm(v["X"]), ()),
    ("-1/(1 + x'*x)", lambda v: -1 / (1 + v["x"] @ v["x"]), ()),
    ("log(x'*A*x)", lambda v: np.log(v["x"] @ v["A"] @ v["x"]), ("A", "x")),
    ("tr(X)", lambda v: np.trace(v["X"]), ()),
    ("tr(A*X)", lambda v: np.trace(v["A"] @ v["X"]), ()),
    ("sum(X)", lambda v: np.sum(v["X"]), ()),
    ("sum(x)", lambda v: np.sum(v["x"]), ()),
    ("(x'*x)^(x'*x)", lambda v: (v["x"] @ v["x"]) ** (v["x"] @ v["x"]), ()),
    ("1/3*norm2(x)^3", lambda v: np.linalg.norm(v["x"]) ** 3 / 3, ()),
    ("norm2(x)^4", lambda v: np.linalg.norm(v["x"]) ** 4, ()),
    ("(A*x + b)'*C*(D*x + e)", lambda v: (v["A"] @ v["x"] + v["b"]) @ v["C"] @ (v["D"] @ v["x"] + v["e"]), ()),
    ("a'*x*x'*b", lambda v: (v["a"] @ v["x"]) * (v["x"] @ v["b"]), ()),
    ("a'*X*b", lambda v: v["a"] @ v["X"] @ v["b"], ()),
    ("norm2(X*a - b)^2", lambda v: np.sum((v["X"] @ v["a"] - v["b"]) ** 2), ()),
    ("1/2*norm2(A - x*x')^2", lambda v: 0.5 * np.sum((v["A"] - np.outer(v["x"], v["x"])) ** 2), ()),
    ("x'", lambda v: v["x"], ()),
    ("A'", lambda v: v["A"].T, ()),
    ("A'*B", lambda v: v["A"].T @ v["B"], ()),
    ("x'*A", lambda v: v["x"] @ v["A"], ()),
    ("x*y'", lambda v: np.outer(v["x"], v["y"]), ()),
    ("(A*B)'", lambda v: (v["A"] @ v["B"]).T, ()),
    ("x .* y", lambda v: v["x"] * v["y"], ()),
    ("x ./ y", lambda v: v["x"] / v["y"], ("y",)),
    ("A .* B", lambda v: v["A"] * v["B"], ()),
    ("A ⊙ B'", lambda v: v["A"] * v["B"].T, ()),
    ("x.^2", lambda v: v["x"] ** 2, ()),
    ("x.^3 + 1", lambda v: v["x"] ** 3 + 1, ()),
    ("a.^x", lambda v: v["a"] ** v["x"], ("a",)),
    ("x.^y", lambda v: v["x"] ** v["y"], ("x",)),
    ("2^a", lambda v: 2 ** v["a"], ()),
    ("a^2 - 3*a + 1", lambda v: v["a"] ** 2 - 3 * v["a"] + 1, ()),
    ("c*x", lambda v: v["c"] * v["x"], ()),
    ("x*c", lambda v: v["c"] * v["x"], ()),
    ("x/c", lambda v: v["x"] / v["c"], ("c",)),
    ("x/2", lambda v: v["x"] / 2, ()),
    ("2 - x", lambda v: 2 - v["x"], ()),
    ("-x + 1", lambda v: 1 - v["x"], ()),
    ("1 ./ x", lambda v: 1 / v["x"], ("x",)),
    ("exp(x)", lambda v: np.exp(v["x"]), ()),
    ("log(x)", lambda v: np.log(v["x"]), ("x",)),
    ("sqrt(X)", lambda v: np.sqrt(v["X"]), ("X",)),
    ("log(1 + exp(a'*x))", lambda v: np.log1p(np.exp(v["a"] @ v["x"])), ()),
    ("x + vector(1)", lambda v: v["x"] + 1, ()),
    ("vector(1)'*x", lambda v: np.sum(v["x"]), ()),
    ("X + matrix(2)", lambda v: v["X"] + 2, ()),
    ("X*vector(1)", lambda v: v["X"].sum(axis=1), ()),
    ("eye + X", lambda v: np.eye(len(v["X"])) + v["X"], ()),
    ("I - x*x'", lambda v: np.eye(len(v["x"])) - np.outer(v["x"], v["x"]), ()),
    ("X^0 + X^2", lambda v: np.eye(len(v["X"])) + v["X"] @ v["X"], ()),
    ("X^3", lambda v: v["X"] @ v["X"] @ v["X"], ()),
    ("diag(x)", lambda v: np.diag(v["x"]), ()),
    ("diag(x')*A", lambda v: np.diag(v["x"]) @ v["A"], ()),
    ("diag(X)", lambda v: np.diag(v["X"]), ()),
    ("A'*diag(x)*A", lambda v: v["A"].T @ np.diag(v["x"]) @ v["A"], ()),
    ("(x'*x)*x", lambda v: (v["x"] @ v["x"]) * v["x"], ()),
    ("norm2(x)*x", lambda v: np.linalg.norm(v["x"]) * v["x"], ()),
    ("x'*A*x/norm2(x)^2", lambda v: v["x"] @ v["A"] @ v["x"] / (v["x"] @ v["x"]), ()),
    ("‖x‖ ‖y‖", lambda v: np.linalg.norm(v["x"]) * np.linalg.norm(v["y"]), ()),
    ("x⊙y ⊘ z", lambda v: v["x"] * v["y"] / v["z"], ("z",)),
    ("2", lambda v: 2.0, ()),
    ("exp(0)*x", lambda v: v["x"], ()),
    ("(1/n)*sum(log(1 + exp(A*x))) + μ/2*norm2(x)^2",
     lambda v: v["n"] ** -1 * np.sum(np.log1p(np.exp(v["A"] @ v["x"]))) + v["μ"] / 2 * v["x"] @ v["x"], ("n",)),
]


@pytest.mark.parametrize("text, formula, positive", NUMERIC_TABLE, ids=[t for t, *_ in NUMERIC_TABLE])
def test_build_numeric(text, formula, positive):
    shapes = {"n": ()} if "(1/n)" in text else None
    values = random_values(text, shapes, positive=positive)
    got = evaluate(text, values, shapes)
    want = np.asarray(formula(values), dtype=float)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_declared_shapes_numeric():
    shapes = {"A": ("m", "n"), "x": ("n",), "y": ("m",), "s": ()}
    values = random_values("y'*A*x + s", shapes)
    assert values["A"].shape == (4, 3)
    got = evaluate("y'*A*x + s", values, shapes)
    np.testing.assert_allclose(got, values["y"] @ values["A"] @ values["x"] + values["s"])


def test_edges_follow_the_convention():
    assert parse("x").edges == ("i",)
    assert parse("x'").edges == ("j",)
    assert set(parse("A").edges) == {"i", "j"}
    assert parse("A").dims == {"i": "m", "j": "n"}
    assert parse("x'*x").edges == ()
    assert set(parse("x*y'").edges) == {"i", "j"}
    assert parse("A'").dims == {"i": "n", "j": "m"}
    assert parse("A*x").dims == {"i": "m"}


def test_variables_are_the_ones_inside():
    vs = variables("x'*A*x + c")
    assert list(vs) == ["x", "A", "c"]
    assert vs["x"] == tg.Variable("x", i="n")
    assert vs["A"] == tg.Variable("A", i="n", j="n")
    assert vs["c"] == tg.Variable("c")
    # parsing twice gives equal expressions built from equal variables
    assert parse("x'*A*x + c") == parse("x'*A*x + c")
    assert tg.equivalent(parse("x'*A*x"), parse("x.T @ A @ x"))
    with_shapes = variables("A*x", {"A": ("p", "q")})
    assert with_shapes["A"] == tg.Variable("A", i="p", j="q")
    assert with_shapes["x"] == tg.Variable("x", i="q")


def test_equivalent_spellings():
    pairs = [
        ("x'*A*x", "x.T @ A @ x"),
        ("x'*A*x", "(A'*x)'*x"),
        ("A*(x + y)", "A*x + A*y"),
        ("(A*B)'", "B'*A'"),
        ("a*(b*c)", "(a*b)*c"),
        ("x'*y", "y'*x"),
        ("tr(A*B)", "tr(B*A)"),
        ("A''", "A"),
        ("2*x", "x + x"),
        ("x - x + y", "y"),
    ]
    for left, right in pairs:
        assert tg.equivalent(parse(left), parse(right)), (left, right)
    assert not tg.equivalent(parse("A"), parse("A'"))
    assert not tg.equivalent(parse("x"), parse("x'"))


def test_matches_handwritten_tensor_network():
    A = tg.Variable("A", i="m", j="n")
    x = tg.Variable("x", i="n")
    b = tg.Variable("b", i="m")
    hand = A.rename(j="k") @ x.rename(i="k") - b
    assert tg.equivalent(parse("A*x - b"), hand)
    X = tg.Variable("X", i="n", j="n")
    assert tg.equivalent(parse("tr(X)"), tg.trace(X))
    assert tg.equivalent(parse("X'", {"X": ("n", "n")}), X.rename(i="j", j="i"))


def test_grad_through_parse():
    text = "x'*A*x"
    f = parse(text)
    x = variables(text)["x"]
    g = tg.grad(f, x)
    assert g.edges == ("i",)
    values = random_values(text)
    got = tg.evaluate(g, values)
    np.testing.assert_allclose(got, (values["A"] + values["A"].T) @ values["x"])
    assert tg.equivalent(g, parse("(A + A')*x"))


def test_grad_of_least_squares_is_the_textbook_form():
    text = "norm2(A*x - b)^2"
    g = tg.grad(parse(text), variables(text)["x"])
    assert tg.equivalent(g, parse("2*A'*(A*x - b)"))
    H = tg.hessian(parse(text), variables(text)["x"])
    values = random_values(text)
    np.testing.assert_allclose(tg.evaluate(H, values, edges=("i", "i'")), 2 * values["A"].T @ values["A"])


def test_matrix_gradient_keeps_the_matrix_edges():
    text = "tr(A*X)"
    X = variables(text)["X"]
    g = tg.grad(parse(text), X)
    assert set(g.edges) == {"i", "j"}
    assert tg.equivalent(g, parse("A'", {"A": ("m", "n")}))


def test_constant_folding():
    assert parse("2*3 + 1").edges == ()
    np.testing.assert_allclose(tg.evaluate(parse("2*3 + 1"), {}), 7.0)
    np.testing.assert_allclose(tg.evaluate(parse("exp(0) + 2^3"), {}), 9.0)
    with pytest.raises(ValueError, match="division by zero"):
        parse("x/0")
    with pytest.raises(ValueError, match="math domain|log"):
        parse("log(-1)*x")


def test_kronecker_product_parses_to_a_row_major_4_tensor():
    shapes = {"A": ("m", "n"), "B": ("p", "q")}
    for text in ("A ⊗ B", "kron(A, B)"):
        t = parse(text, shapes)
        assert t.edges == ("i", "j", "i'", "j'")
        assert t.dims == {"i": "m", "j": "p", "i'": "n", "j'": "q"}
        rng = np.random.default_rng(0)
        A, B = rng.standard_normal((2, 3)), rng.standard_normal((4, 5))
        got = np.asarray(tg.evaluate(t, {"A": A, "B": B}, edges=t.edges))
        np.testing.assert_allclose(got.reshape(8, 15), np.kron(A, B))
    # ⊗ binds looser than products, tighter than sums; it can be scaled and added
    rng = np.random.default_rng(1)
    A, B, C = (rng.standard_normal((3, 3)) for _ in range(3))
    t = parse("2A B ⊗ C - C ⊗ A/3", {"A": ("n", "n"), "B": ("n", "n"), "C": ("n", "n")})
    got = np.asarray(tg.evaluate(t, {"A": A, "B": B, "C": C}, edges=("i", "j", "i'", "j'")))
    np.testing.assert_allclose(got.reshape(9, 9), np.kron(2 * A @ B, C) - np.kron(C, A / 3), atol=1e-12)


@pytest.mark.parametrize("text, message", [
    ("kron(A, x)", "takes two matrices"),
    ("(A ⊗ B)*C", "can only be scaled"),
    ("A ⊗ B + C", "can only be scaled"),
    ("tr(A ⊗ B)", "can only be scaled"),
    ("(A ⊗ B)'", "can only be scaled"),
    ("kron(A)", "takes 2 arguments"),
])
def test_kronecker_errors(text, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        parse(text)
