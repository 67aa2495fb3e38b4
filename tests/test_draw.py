"""Tests of the diagrams: rendering never raises, nothing overlaps, the same
expression draws the same picture, a matrix differs from its transpose, derivation
panels keep the value, and the gallery script regenerates a figure."""

import importlib.util
import os
import subprocess
import sys

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.draw import derivation_steps, draw, draw_steps, png_bytes
from tensorgrad.expr import FUNCTIONS, Function

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _script():
    spec = importlib.util.spec_from_file_location("make_figures", os.path.join(ROOT, "scripts", "make_figures.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# ---------------------------------------------------------------------------
# A corpus of expressions of every kind
# ---------------------------------------------------------------------------

def corpus():
    A = tg.Variable("A", i="m", j="n")
    B = tg.Variable("B", j="n", k="p")
    X = tg.Variable("X", i="n", j="n")
    x = tg.Variable("x", j="n")
    y = tg.Variable("y", i="m")
    s = tg.Variable("s")
    T = tg.Variable("T", i="a", j="b", k="c")
    r = A @ x - y
    out = {
        "scalar variable": s,
        "vector": x,
        "matrix": A,
        "transpose": A.T,
        "3-tensor": T,
        "chain": A @ B,
        "matrix-vector": A @ x,
        "quadratic form": x @ X.rename(i="j", j="k") @ x.rename(j="k"),
        "trace": tg.trace(X),
        "trace of product": tg.trace((X @ X.rename(i="j", j="k") @ X.rename(i="k", j="l")).rename(l="j")),
        "outer product": x * y,
        "hadamard": x * x,
        "identity": tg.delta("n", "i", "j"),
        "degree-4 identity": tg.derivative(X, X),
        "copy tensor": tg.delta("n", "i", "j", "k"),
        "ones": tg.ones(i="n"),
        "dimension": tg.Delta("n"),
        "zero": tg.zeros(i="n", j="m"),
        "number": tg.Sum([tg.Product([])], [3]),
        "sum": A + A,
        "difference": r,
        "norm squared": r @ r,
        "scaled": 2.5 * A,
        "nested sum in product": (x + x) @ X.rename(i="j", j="k"),
        "exp": tg.exp(x),
        "log of sum": tg.log(tg.sum(tg.exp(x))),
        "power": x ** 2,
        "sqrt": tg.sqrt(x @ x),
        "reciprocal": 1 / (x @ x),
        "norm": tg.norm(r),
        "unevaluated derivative": tg.unevaluated(r @ r, x),
        "gradient": tg.grad(r @ r, x),
        "gradient simplified": tg.grad(r @ r, x).simplify(),
        "hessian": tg.hessian(r @ r, x).simplify(),
        "matrix gradient": tg.grad(r @ r, A).simplify(),
        "jacobian of exp": tg.derivative(tg.exp(A @ x), x).simplify(),
        "hessian of log-sum-exp": tg.hessian(tg.log(tg.sum(tg.exp(x))), x).simplify(),
    }
    for name, spec in sorted(FUNCTIONS.items()):  # every registered function, drawn by its spec name
        if spec.n_core == 0 and not (isinstance(spec.extra, dict) and spec.extra.get("opaque")):
            params = (2,) if name == "pow" else ()
            out[f"fn {name}"] = Function(spec, A @ x, (), params)
    return out


CORPUS = corpus()


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_every_expression_renders(name, tmp_path):
    fig = draw(CORPUS[name])
    w, h = fig.get_size_inches()
    assert w > 0.3 and h > 0.3
    fig.canvas.draw()
    assert len(fig.axes[0].patches) + len(fig.axes[0].lines) + len(fig.axes[0].texts) > 0


@pytest.mark.parametrize("options", [dict(show_dims=True), dict(font_size=8, scale=1.5),
                                     dict(colors={"variable": "#ffeeee", "wire": "red"}), dict(wrap=3)])
def test_options(options):
    A = tg.Variable("A", i="m", j="n"); x = tg.Variable("x", j="n"); y = tg.Variable("y", i="m")
    r = A @ x - y
    fig = draw(tg.hessian(r @ r, x) + tg.hessian(r @ r, x).simplify(), **options)
    fig.canvas.draw()
    if options.get("show_dims"):
        texts = fig.axes[0].texts
        assert any(t.get_text() == "m" for t in texts if t.get_gid() == "dims")  # the contracted edge of AᵀA
        assert any(t.get_text() == "j:n" for t in texts if t.get_gid() == "edge_label")
    if "colors" in options:
        assert any(matplotlib.colors.to_hex(p.get_facecolor()) == "#ffeeee" for p in fig.axes[0].patches)


def test_bad_options_and_inputs():
    x = tg.Variable("x", "i")
    with pytest.raises(ValueError, match="font_size"):
        draw(x, font_size=0)
    with pytest.raises(TypeError, match="colors"):
        draw(x, colors="red")
    with pytest.raises(TypeError, match="expression"):
        draw(3)
    with pytest.raises(ValueError, match=r"\.png, \.svg or \.pdf"):
        draw(x, "/tmp/diagram.jpeg")
    with pytest.raises(ValueError, match="max_panels"):
        draw_steps(x @ x, wrt=x, max_panels=1)


# ---------------------------------------------------------------------------
# Geometry
# ---------------------------------------------------------------------------

def _boxes(fig):
    """Rendered display-space boxes: (kind, gid, Bbox) for texts and glyph/dot patches."""
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    ax = fig.axes[0]
    out = [("text", t.get_gid(), t.get_window_extent(r)) for t in ax.texts if t.get_text().strip()]
    out += [("patch", p.get_gid(), p.get_window_extent(r)) for p in ax.patches if p.get_gid() in ("glyph", "copy")]
    return out


def _overlaps(fig, tol=0.5):
    boxes = _boxes(fig)
    bad = []
    for a in range(len(boxes)):
        for b in range(a + 1, len(boxes)):
            (ka, ga, ba), (kb, gb, bb) = boxes[a], boxes[b]
            # a glyph's own name sits inside it by design
            if {ka, kb} == {"text", "patch"} and "glyph_label" in (ga, gb):
                t, p = (ba, bb) if ka == "text" else (bb, ba)
                if p.x0 <= (t.x0 + t.x1) / 2 <= p.x1 and p.y0 <= (t.y0 + t.y1) / 2 <= p.y1:
                    continue
            w = min(ba.x1, bb.x1) - max(ba.x0, bb.x0)
            h = min(ba.y1, bb.y1) - max(ba.y0, bb.y0)
            if w > tol and h > tol:
                bad.append((ga, gb))
    return bad


OVERLAP_CASES = ["chain", "matrix-vector", "quadratic form", "trace of product", "outer product", "degree-4 identity",
                 "copy tensor", "difference", "norm squared", "nested sum in product", "log of sum",
                 "unevaluated derivative", "gradient", "gradient simplified", "hessian", "matrix gradient",
                 "jacobian of exp", "hessian of log-sum-exp", "3-tensor", "identity", "zero"]


@pytest.mark.parametrize("name", OVERLAP_CASES)
def test_no_overlapping_glyphs_or_labels(name):
    assert _overlaps(draw(CORPUS[name])) == []


@pytest.mark.parametrize("name", ["chain", "quadratic form", "trace of product", "hessian", "matrix gradient"])
def test_no_overlaps_with_dimensions_shown(name):
    assert _overlaps(draw(CORPUS[name], show_dims=True)) == []


def test_overlap_check_detects_overlap():
    # the checker itself: two labels placed on top of each other are caught
    fig = draw(tg.Variable("x", "i"))
    fig.axes[0].text(0, 0, "overlap", gid="edge_label")
    fig.axes[0].text(0, 0, "overlap", gid="edge_label")
    assert _overlaps(fig)


def test_derivation_figure_has_no_overlaps():
    A = tg.Variable("A", i="m", j="n"); x = tg.Variable("x", j="n"); b = tg.Variable("b", i="m")
    r = A @ x - b
    assert _overlaps(draw_steps(r @ r, wrt=x)) == []


def _geometry(fig):
    fig.canvas.draw()
    ax = fig.axes[0]
    lines = [tuple(map(tuple, ln.get_xydata().round(6))) for ln in ax.lines]
    patches = [tuple(map(tuple, p.get_path().transformed(p.get_patch_transform()).vertices.round(6)))
               for p in ax.patches]
    texts = [(t.get_text(), tuple(np.round(t.get_position(), 6))) for t in ax.texts]
    return lines, patches, texts


def test_deterministic_geometry_and_bytes():
    e = CORPUS["hessian of log-sum-exp"]
    assert _geometry(draw(e)) == _geometry(draw(e))
    assert png_bytes(e) == png_bytes(e)


def test_deterministic_across_processes(tmp_path):
    # hash randomisation must not change the picture: render in two fresh processes
    code = ("import sys, tensorgrad as tg; from tensorgrad.draw import draw_steps\n"
            "A = tg.Variable('A', i='m', j='n'); x = tg.Variable('x', j='n'); b = tg.Variable('b', i='m')\n"
            "r = A @ x - b\n"
            "draw_steps(tg.log(tg.sum(tg.exp(r))) + r @ r, wrt=x, path=sys.argv[1])\n")
    outs = []
    for seed in ("1", "2"):
        path = tmp_path / f"d{seed}.svg"
        env = dict(os.environ, PYTHONHASHSEED=seed)
        subprocess.run([sys.executable, "-c", code, str(path)], check=True, env=env, cwd=ROOT)
        outs.append(path.read_bytes())
    assert outs[0] == outs[1] and len(outs[0]) > 1000


def test_matrix_and_transpose_render_differently():
    A = tg.Variable("A", i="n", j="n")
    x = tg.Variable("x", i="n")
    Ax, ATx = A @ x, A.T @ x            # both have the free edge j
    assert Ax.edges == ATx.edges
    assert _geometry(draw(Ax)) != _geometry(draw(ATx))
    assert _geometry(draw(A)) != _geometry(draw(A.T))
    # and the difference is in the glyph: row leg left, column leg right, else it reads Aᵀ
    glyphs = lambda e: sorted(t.get_text() for t in draw(e).axes[0].texts if t.get_gid() == "glyph_label")
    assert glyphs(Ax) == ["Aᵀ", "x"] and glyphs(ATx) == ["A", "x"]
    # a tensor of order 3 still marks its first slot
    T = tg.Variable("T", i="n", j="n", k="n")
    assert any(p.get_gid() == "notch" for p in draw(T @ x).axes[0].patches)


def test_import_does_not_import_matplotlib():
    code = "import sys, tensorgrad, tensorgrad.draw; assert 'matplotlib' not in sys.modules, 'matplotlib imported'"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_save_formats(tmp_path):
    x = tg.Variable("x", "i")
    for ext, magic in (("png", b"\x89PNG"), ("svg", b"<?xml"), ("pdf", b"%PDF")):
        path = tmp_path / f"x.{ext}"
        draw(x @ x, str(path))
        assert path.read_bytes().startswith(magic)
    assert x._repr_png_().startswith(b"\x89PNG")


# ---------------------------------------------------------------------------
# Derivations
# ---------------------------------------------------------------------------

def test_derivation_panels_keep_the_value():
    # every panel from the evaluated derivative on equals the closed form 2Aᵀ(Ax − b) numerically
    A = tg.Variable("A", i="m", j="n"); x = tg.Variable("x", j="n"); b = tg.Variable("b", i="m")
    r = A @ x - b
    steps = derivation_steps(r @ r, wrt=x, max_panels=6)
    assert 4 <= len(steps) <= 6
    assert steps[1].expr.__class__.__name__ == "Derivative"
    assert all(s.caption for s in steps)
    rng = np.random.default_rng(0)
    vals = {"A": rng.normal(size=(4, 3)), "x": rng.normal(size=3), "b": rng.normal(size=4)}
    want = 2 * vals["A"].T @ (vals["A"] @ vals["x"] - vals["b"])
    for s in steps[2:]:
        got = tg.evaluate(s.expr, vals)
        np.testing.assert_allclose(got, want, rtol=1e-10)
    assert tg.equivalent(steps[-1].expr, tg.grad(r @ r, x))


def test_derivation_without_derivative_shows_simplification():
    x = tg.Variable("x", "i")
    steps = derivation_steps(x + x + x)
    assert steps[0].caption == "expression" and len(steps) >= 2
    assert tg.equivalent(steps[-1].expr, 3 * x)


# ---------------------------------------------------------------------------
# Gallery
# ---------------------------------------------------------------------------

def test_gallery_figure_regenerates(tmp_path):
    written = _script().make(str(tmp_path), only={"5_matrix_gradient", "hessian_lsq"}, formats=("png", "svg"),
                             verbose=False)
    names = sorted(os.path.basename(p) for p in written)
    assert names == ["5_matrix_gradient.png", "5_matrix_gradient.svg", "hessian_lsq.png", "hessian_lsq.svg"]
    img = matplotlib.image.imread(str(tmp_path / "5_matrix_gradient.png"))
    assert img.shape[0] > 600 and img.shape[1] > 400
    ink = (img[..., :3].mean(axis=2) < 0.5).mean()
    assert 0.005 < ink < 0.3  # drawn, and not a solid block
    assert (tmp_path / "5_matrix_gradient.svg").stat().st_size > 20000


def test_opaque_functions_of_the_classic_figures_differentiate_correctly():
    # the chain rule figure's result is ∇f(v(x)) Dv(x): one term, two function boxes
    mod = _script()
    figs = mod.classic_figures()
    f, x = figs["2_chain_rule"][:2]
    g = tg.grad(f, x).simplify()
    names = sorted(n.spec.name for n in _functions(g))
    assert names == ["v", "Dv", "∇f"] or sorted(names) == sorted(["v", "Dv", "∇f"])


def _functions(t):
    out = [t] if isinstance(t, Function) else []
    for c in t.children():
        out += _functions(c)
    return out


def test_whole_gallery_has_no_overlaps():
    mod = _script()
    for name, (expr, wrt, title, _) in mod.classic_figures().items():
        steps = derivation_steps(expr, wrt=wrt, max_panels=7, expand=name in mod.MULTIPLY_OUT_FIRST)
        assert _overlaps(mod._steps_figure(steps, title)) == [], name
    for case, (thunk, _) in mod.benchmark_cases().items():
        try:
            f, x, order = thunk()
        except LookupError:  # a function not registered yet
            continue
        assert _overlaps(draw(mod._derive(f, x, order))) == [], case


def test_function_rename_keeps_batch_edges_apart():
    # regression (expr.Function._rename): the fresh name given to a consumed core edge
    # must not collide with one of the argument's batch edges
    from tensorgrad.functions import FunctionSpec
    spec = FunctionSpec(name="_reduce_for_test", jacobian=None, numeric=None, code="", n_core=1, consumes_core=True)
    u = tg.Variable("u", i="n", i_0="m")
    f = Function(spec, u, core=("i",))
    g = f.rename(i_0="i")
    assert g.edges == ("i",) and g.dims == {"i": "m"}
    assert len(set(g.arg.edges)) == 2 and g.core[0] != "i" and g.arg.dims[g.core[0]] == "n"


def _harvest(obj, out, depth=0):
    """Every tensor reachable from a module-level value (dicts, lists, tuples)."""
    if isinstance(obj, tg.Tensor):
        out.append(obj)
    elif depth < 3 and isinstance(obj, dict):
        for v in obj.values():
            _harvest(v, out, depth + 1)
    elif depth < 3 and isinstance(obj, (list, tuple)):
        for v in obj:
            _harvest(v, out, depth + 1)


def test_renders_every_expression_of_the_test_suite():
    # the expressions other test modules build at import time, and the derivatives
    # of the derivative cases, all draw without raising
    found = []
    for name in ("test_derivatives", "test_functions", "test_simplify", "test_regressions", "test_printing"):
        path = os.path.join(ROOT, "tests", name + ".py")
        if not os.path.exists(path):
            continue
        spec = importlib.util.spec_from_file_location(f"_draw_harvest_{name}", path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        for value in vars(mod).values():
            _harvest(value, found)
        if name == "test_derivatives":
            for f, v in mod.CASES.values():
                found.append(tg.derivative(f, v).simplify())
    assert len(found) > 50
    seen = set()
    for t in found:
        if t in seen:
            continue
        seen.add(t)
        fig = draw(t)
        assert fig.get_figwidth() > 0.3
