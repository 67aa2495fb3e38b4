"""The diagrams' geometry, read from the layout (not the pixels): wires never enter a
node, copy dot or label except at their own ends and never cross a box's boundary
twice; only free edges are labelled, once per term; weights and signs sit on the
line of the term's stubs; a bracketed sum's ports are at its vertical centre;
derivation strips are honest (no panel repeats the one before, no panel still shows
what its caption's rule removes) and compact; large results stay within bounds."""

import functools
import importlib
import os
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings

import tensorgrad as tg
from tensorgrad.draw import derivation_steps
from tensorgrad.draw.block import UNIT, Block, Style
from tensorgrad.draw.layout import build
from tensorgrad.draw.steps import QUIET, picture, still_applies
from tensorgrad.simplify import simplify
from tensorgrad.testing import cases

geometry = importlib.import_module("tensorgrad.draw.geometry")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STYLE = Style()


def _module(path, name):
    spec = importlib.util.spec_from_file_location(name, os.path.join(ROOT, path))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


FIGS = _module("scripts/make_figures.py", "_make_figures_geometry")
CORPUS = _module("tests/test_draw.py", "_draw_corpus").CORPUS


def _px(length):
    return (length + 0.5) * UNIT * STYLE.dpi


def _clean(t):
    """Every criterion that is a count of bad things, for the drawing of `t`."""
    b = build(t, STYLE)
    m = FIGS.measure(b, [t], STYLE)
    return {k: v for k, v in m.items() if k not in ("crossings", "size_px") and v}


# ---------------------------------------------------------------------------
# The checker itself catches each kind of problem
# ---------------------------------------------------------------------------

def test_checker_catches_wires_through_glyphs_dots_labels_and_boxes():
    b = Block()
    b.glyph(0, 0, 0.5, 0.5, "A")
    b.dot(2, 0, 0.075)
    b.text(4, 0, "i", role="edge_label", style=STYLE)
    b.rect(5.5, -1, 6.5, 1, role="function")
    b.wire([(-1, 0), (7, 0)])  # through all four
    found = geometry.problems(b, STYLE)
    assert len(found["through_glyph"]) == 1 and len(found["through_dot"]) == 1
    assert len(found["through_label"]) == 1 and len(found["box_crossings"]) == 1
    ok = Block()  # the same things, the wire ending on the glyph and at the dot
    ok.glyph(0, 0, 0.5, 0.5, "A")
    ok.dot(2, 0, 0.075)
    ok.wire([(0.25, 0), (2, 0)])
    assert not any(geometry.problems(ok, STYLE).values())
    assert geometry.crossings(b) == 0
    b.wire([(3, -1), (3, 1)])
    assert geometry.crossings(b) == 1


def test_label_check_catches_a_label_on_a_contracted_edge():
    x = tg.Variable("x", "i")
    b = build(x @ x, STYLE)
    b.text(0, 0, "i", role="edge_label", style=STYLE)
    assert FIGS.measure(b, [x @ x], STYLE)["wrong_labels"] == 1


# ---------------------------------------------------------------------------
# Criteria 1-3 on the gallery, a corpus of every kind and random expressions
# ---------------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def _gallery():
    # built when first needed, not at collection: a card case registers an assumption
    # (Σy = 1 for its y) that must not be in force while other modules' tests run
    return FIGS.gallery_blocks()


@pytest.mark.parametrize("name", sorted(list(FIGS.classic_figures()) + list(FIGS.benchmark_cases())))
def test_gallery_figure_meets_the_criteria(name):
    block, exprs = _gallery()[name]
    m = FIGS.measure(block, exprs, STYLE)
    assert (m["through_nodes"], m["through_labels"], m["box_recrossings"], m["wrong_labels"]) == (0, 0, 0, 0), m
    if name[0].isdigit():  # the classic derivation strips stay compact
        assert m["size_px"][1] <= 1600, m


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_corpus_expression_meets_the_criteria(name):
    assert _clean(CORPUS[name]) == {}


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None)
@given(cases(max_depth=3))
def test_random_expression_meets_the_criteria(case):
    assert _clean(case.expr) == {}


def test_labels_only_on_free_edges_once_per_term():
    A = tg.Variable("A", i="m", j="n"); x = tg.Variable("x", j="n"); b = tg.Variable("b", i="m")
    r = A @ x - b
    g = tg.grad(r @ r, x)  # unsimplified: contracted and generated names everywhere inside
    labels = Counter(geometry.edge_labels(build(g, STYLE)))
    assert set(labels) == set(g.edges)
    terms = len(g.terms) if isinstance(g, tg.Sum) else 1
    assert all(n == terms for n in labels.values())
    f = tg.log(tg.sum(tg.exp(A @ x)))  # the edge the sum consumes is not labelled
    assert geometry.edge_labels(build(f, STYLE)) == []


# ---------------------------------------------------------------------------
# Criterion 4: alignment
# ---------------------------------------------------------------------------

def test_signs_and_weights_sit_on_the_line_of_the_stubs():
    A = tg.Variable("A", i="n", j="n"); x = tg.Variable("x", j="n")
    f = (x @ A @ x.rename(j="i")) ** 2
    h = simplify(tg.hessian(f, x), expand=True)
    b = build(h, STYLE)
    label_ys = [it[2] for it in b.items if it[0] == "text" and it[4] == "edge_label"]
    weights = [it for it in b.items if it[0] == "text" and it[4] == "weight"]
    assert len(weights) >= 2
    for it in weights:
        assert min(abs(it[2] - y) for y in label_ys) <= 0.1, it


def test_bracketed_sum_has_its_ports_at_its_vertical_centre():
    from tensorgrad.draw.sums import _sum_nested
    A = tg.Variable("A", i="m", j="n"); x = tg.Variable("x", j="n"); b = tg.Variable("b", i="m")
    s = A @ x - b
    blk = _sum_nested(s, STYLE, {"i": "R"})
    x0, y0, x1, y1 = blk.body
    (px, py, side), = blk.ports.values()
    assert side == "R" and abs(py - (y0 + y1) / 2) < 1e-9
    # and each term's edge is drawn on to the bracket: two wires end at the right parenthesis
    ends = [pts[-1] for pts in geometry.wires(blk) if abs(pts[-1][0] - x1 + 0.14) < 0.2]
    assert len(ends) >= 2


# ---------------------------------------------------------------------------
# Criterion 5: honest, compact strips
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(FIGS.classic_figures()))
def test_strip_panels_differ_and_show_nothing_their_rule_removes(name):
    expr, wrt, _, _ = FIGS.classic_figures()[name]
    expand = name in FIGS.MULTIPLY_OUT_FIRST
    steps = derivation_steps(expr, wrt=wrt, max_panels=7, expand=expand)
    pictures = [repr(picture(s.expr)) for s in steps]
    assert all(a != b for a, b in zip(pictures, pictures[1:])), name
    for s in steps:
        for rule in set(s.rules) - QUIET - {"evaluate_derivative", "distribute"}:
            assert not still_applies(s.expr, rule, expand), (name, rule, s.caption)


def test_expand_first_multiplies_out_before_differentiating():
    A = tg.Variable("A", i="m", j="n"); x = tg.Variable("x", j="n"); b = tg.Variable("b", i="m")
    r = A @ x - b
    steps = derivation_steps(r @ r, wrt=x, expand=True, max_panels=8)
    assert steps[1].caption.startswith("multiply out")
    assert isinstance(steps[1].expr, tg.Sum) and len(steps[1].expr.terms) == 3
    assert tg.equivalent(steps[-1].expr, tg.grad(r @ r, x))


# ---------------------------------------------------------------------------
# Size bounds for large results
# ---------------------------------------------------------------------------

def test_twenty_term_third_derivative_wraps_into_a_bounded_image():
    x = tg.Variable("x", j="n"); A = tg.Variable("A", i="n", j="n")
    d3 = simplify(tg.derivative(tg.hessian((x @ A @ x.rename(j="i")) ** 3, x), x), expand=True)
    assert len(d3.terms) == 20
    b = build(d3, STYLE)
    w, h = _px(b.width), _px(b.height)
    assert w <= 1600 and h <= 800, (w, h)  # was 1507 × 1529 px
    assert _clean(d3) == {}


def test_depth_four_mlp_hessian_is_bounded():
    Ws = [tg.Variable(f"W{k}", **{f"h{k}": "H", f"h{k - 1}": "H"}) for k in range(1, 5)]
    h = tg.Variable("x", h0="H")
    for k, W in enumerate(Ws):
        h = tg.tanh(W @ h) if k < 3 else W @ h
    r = h - tg.Variable("y", h4="H")
    H = tg.hessian(r @ r, Ws[0]).simplify()
    b = build(H, STYLE)
    w, h = _px(b.width), _px(b.height)
    assert w <= 3300 and h <= 3100, (w, h)
    assert _clean(H) == {}
