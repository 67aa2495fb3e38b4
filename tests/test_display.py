"""Notebook display: expressions as LaTeX and (small ones) as diagrams, large ones as a
summary line, figures from draw/draw_steps inline. Checked through IPython's own
display formatter, which is what a Jupyter kernel calls."""

import pytest

import tensorgrad as tg
from tensorgrad import display

IPython = pytest.importorskip("IPython")  # installed with the `test` extra (ipykernel)
from IPython.core.formatters import DisplayFormatter  # noqa: E402

A = tg.Variable("A", i="m", j="n")
x = tg.Variable("x", j="n")
b = tg.Variable("b", i="m")


def shown(obj) -> dict:
    data, _ = DisplayFormatter().format(obj)
    return data


def test_expression_displays_as_latex_of_to_latex_and_as_svg_diagram():
    g = tg.grad((A @ x - b) @ (A @ x - b), x)
    data = shown(g)
    assert data["text/latex"] == rf"$\displaystyle {tg.to_latex(g)}$"
    assert r"A^{\top}\left(A x - b\right)" in data["text/latex"]
    assert data["image/svg+xml"].lstrip().startswith("<?xml") and "<svg" in data["image/svg+xml"]
    assert data["image/png"].startswith(b"\x89PNG")
    assert data["text/plain"] == repr(g)


def test_large_expression_shows_a_summary_line_not_a_giant_picture():
    W = tg.Variable("W", k="n", j="n")
    h = x
    for _ in range(6):
        h = tg.tanh(W @ h).rename(k="j") + h
    f = tg.hessian(tg.sum(h), x)
    assert f.distinct_size() > display.options.diagram_nodes
    data = shown(f)
    assert "image/svg+xml" not in data and "image/png" not in data
    line = data["text/plain"]
    assert line == display.summary(f)
    assert "\n" not in line and f"{f.distinct_size()} nodes" in line and "free edges (j, j')" in line


def test_latex_can_be_turned_off_for_diagrams_and_summary_counts_terms():
    old = display.options.latex
    try:
        display.options.latex = False
        data = shown(x @ x)
        assert "text/latex" not in data and "image/svg+xml" in data
    finally:
        display.options.latex = old
    assert display.summary(x + b @ A).startswith("tensorgrad expression: 2 terms,")
    assert "(none: a scalar)" in display.summary(x @ x)


def test_large_latex_threshold_falls_back_to_summary():
    old = display.options.latex_nodes
    try:
        display.options.latex_nodes = 2
        assert "text/latex" not in shown(A @ x - b)
    finally:
        display.options.latex_nodes = old


def test_draw_and_draw_steps_figures_display_inline():
    for fig in (tg.draw_steps(x @ x, wrt=x), tg.draw(A @ x)):
        data = shown(fig)
        png = data["image/png"]
        assert png.startswith(b"\x89PNG")
        width = int.from_bytes(png[16:20], "big")
        assert abs(width - fig.get_figwidth() * fig.dpi) <= 2
