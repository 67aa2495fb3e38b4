"""Randomised differential tests: random expressions (tensorgrad.testing), every path
checked against every other and against central finite differences.

CI runs TG_PROPERTY_EXAMPLES examples per property (default 200), derandomised so
that a run is reproducible; `scripts/fuzz.py` runs thousands with fresh seeds.
"""

from __future__ import annotations

import os

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import tensorgrad as tg
from tensorgrad.canonical import canonical_key, isomorphic, shape_key
from tensorgrad.rewrite import rewrite_once
from tensorgrad.simplify import PHASE1, simplify
from tensorgrad.testing import (DIMS, EDGE_NAMES, Case, cases, central_hessian, central_jacobian,
                                check_all, close_enough, evaluate, expressions, random_values,
                                rebuild, reshaped, scramble, variable_sets)
from tensorgrad.expr import Derivative, Function, Product, Sum, Variable

EXAMPLES = int(os.environ.get("TG_PROPERTY_EXAMPLES", "200"))
FUZZ = os.environ.get("TG_FUZZ") == "1"
DEPTH = int(os.environ.get("TG_PROPERTY_DEPTH", "3"))  # nesting depth of random expressions

PROPERTY = settings(
    max_examples=EXAMPLES,
    # no deadline in CI (timing-dependent failures); TG_PROPERTY_DEADLINE_MS hunts slow cases
    deadline=int(os.environ["TG_PROPERTY_DEADLINE_MS"]) if os.environ.get("TG_PROPERTY_DEADLINE_MS") else None,
    derandomize=not FUZZ,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
#: Second derivatives cost O(size(x)·size(y)) evaluations each: fewer, shallower examples.
SECOND = settings(PROPERTY, max_examples=max(EXAMPLES // 2, 1))


def finite_value(case: Case, t=None):
    """Value of the case's expression; examples whose values overflow are discarded."""
    with np.errstate(all="ignore"):
        v = evaluate(case.expr if t is None else t, case.values())
    assume(np.all(np.isfinite(v)) and np.max(np.abs(v), initial=0) < 1e6)
    return v


# ---------------------------------------------------------------------------
# Generator sanity
# ---------------------------------------------------------------------------

@PROPERTY
@given(cases(DEPTH, smooth=False))
def test_random_expressions_are_well_formed(case):
    check_all(case.expr)
    v = evaluate(case.expr, case.values())
    assert v.shape == tuple(DIMS[d] for d in case.expr.dim_symbols)


# ---------------------------------------------------------------------------
# Derivatives against central finite differences
# ---------------------------------------------------------------------------

def _wrt(data, case: Case) -> Variable:
    """A variable to differentiate by: declared, or a renamed occurrence of it."""
    x = data.draw(st.sampled_from(case.variables))
    if x.edges and data.draw(st.booleans()):
        names = data.draw(st.permutations(EDGE_NAMES))
        x = x.rename(dict(zip(x.edges, names)))
    return x


@PROPERTY
@given(cases(DEPTH), st.data())
def test_derivative_matches_finite_differences(case, data):
    f = case.expr
    finite_value(case)
    x = _wrt(data, case)
    jac = check_all(tg.derivative(f, x))
    assert len(jac.edges) == len(f.edges) + len(x.edges)
    assert jac.edges[:len(f.edges)] == f.edges
    values = case.values()
    expected = central_jacobian(f, values, x)
    assert close_enough(evaluate(jac, values), expected, rtol=1e-5, atol=1e-5)
    assert close_enough(evaluate(simplify(jac), values, edges=jac.edges), expected, rtol=1e-5, atol=1e-5)


@SECOND
@given(cases(DEPTH - 1), st.data())
def test_second_derivative_matches_finite_differences(case, data):
    f = case.expr
    finite_value(case)
    x, y = _wrt(data, case), _wrt(data, case)
    first = tg.derivative(f, x)
    second = check_all(tg.derivative(first, y))
    values = case.values()
    expected = central_hessian(f, values, x, y)
    assert close_enough(evaluate(second, values), expected, rtol=1e-4, atol=1e-4)
    assert close_enough(evaluate(simplify(second), values, edges=second.edges), expected, rtol=1e-4, atol=1e-4)
    if not f.edges:  # the Hessian API: edges of x, then the same names primed
        hess = check_all(tg.hessian(f, x))
        assert hess.edges[:len(x.edges)] == x.edges and all(h.startswith(e + "'") for e, h in zip(x.edges, hess.edges[len(x.edges):]))
        assert close_enough(evaluate(hess, values), central_hessian(f, values, x, x), rtol=1e-4, atol=1e-4)


@PROPERTY
@given(cases(DEPTH), st.data(), st.randoms(use_true_random=False))
def test_derivative_commutes_with_renaming_and_scrambling(case, data, rnd):
    e = case.expr
    finite_value(case)
    x = data.draw(st.sampled_from(case.variables))
    new = {edge: f"z{k}" for k, edge in enumerate(x.edges)}  # names no generated edge uses
    perm = data.draw(st.permutations(list(EDGE_NAMES) + ["w"]))
    mapping = dict(zip(e.edges, perm))
    values = case.values()
    plain = evaluate(tg.derivative(e, x, new), values)
    renamed = tg.derivative(e.rename(mapping), x, new)
    order = [mapping[k] for k in e.edges] + [new[k] for k in x.edges]
    assert close_enough(evaluate(renamed, values, edges=order), plain, rtol=1e-9, atol=1e-9)
    scrambled = check_all(tg.derivative(scramble(e, rnd), x, new))
    assert close_enough(evaluate(scrambled, values), plain, rtol=1e-9, atol=1e-9)
    assert tg.equivalent(scrambled, tg.derivative(e, x, new))


# ---------------------------------------------------------------------------
# Simplification
# ---------------------------------------------------------------------------

def expanded_size(t) -> int:
    """Bound on simplify's output size: the node count of t fully expanded into a sum
    of products (products of sums distributed, functions' arguments expanded, each
    function counted with one ones-vector per free edge, unevaluated derivatives
    evaluated). Simplification expands products of sums and otherwise only removes,
    merges or replaces nodes one for one, so it never exceeds this."""
    terms, leaves = _expansion(t)
    return terms * (leaves + 2) + 1


def _expansion(t) -> tuple:
    """(number of terms, nodes per term) of the expanded form of t."""
    if isinstance(t, Derivative):
        return _expansion(t.doit())
    if isinstance(t, Sum):
        parts = [_expansion(s) for s in t.terms]
        return sum(p[0] for p in parts), max(p[1] for p in parts)
    if isinstance(t, Product):
        terms, leaves = 1, 0
        for f in t.factors:
            ft, fl = _expansion(f)
            terms, leaves = terms * ft, leaves + fl
        return terms, leaves + len(t.edges)
    if isinstance(t, Function):
        return 1, expanded_size(t.arg) + 2 + 2 * len(t.edges)
    return 1, 1 + len(t.edges)


@PROPERTY
@given(cases(DEPTH, smooth=False))
def test_simplify_keeps_value_is_idempotent_and_bounded(case):
    e = case.expr
    value = finite_value(case)
    s = check_all(simplify(e))
    assert set(s.edges) == set(e.edges) and s.dims == {k: e.dims[k] for k in s.edges}
    assert close_enough(evaluate(s, case.values(), edges=e.edges), value)
    again = simplify(rebuild(s))  # a fresh copy: simplify's cache must not decide this
    assert again == s, f"simplify is not idempotent:\n{s!r}\n->\n{again!r}"
    assert simplify(rebuild(e)) == s, "simplify gives different results for equal inputs"
    assert s.size() <= expanded_size(e), (s.size(), expanded_size(e))


# ---------------------------------------------------------------------------
# Canonical forms and equivalence
# ---------------------------------------------------------------------------

@PROPERTY
@given(cases(DEPTH, smooth=False), st.randoms(use_true_random=False))
def test_canonical_key_invariant_under_internal_renaming_and_reordering(case, rnd):
    e = case.expr
    s = check_all(scramble(e, rnd))
    assert s.edges == e.edges
    assert close_enough(evaluate(s, case.values()), evaluate(e, case.values()))
    assert canonical_key(s) == canonical_key(e)
    assert shape_key(s) == shape_key(e)
    assert isomorphic(s, e)
    assert tg.equivalent(s, e) and tg.equivalent(e, s)
    # the simplified forms are invariant too
    assert isomorphic(simplify(s), simplify(e))


@PROPERTY
@given(cases(DEPTH, smooth=False), st.data())
def test_equivalent_false_for_swapped_free_edges_unless_symmetric(case, data):
    e = case.expr
    if len(e.edges) < 2:  # give it two edges rather than discard it
        dims = data.draw(st.sampled_from([("n", "n"), ("m", "m"), ("n", "m")]))
        e = data.draw(reshaped(e, case.variables, dict(zip(("i", "j"), dims))))
        case = Case(e, case.variables, case.seed)
    a, b = data.draw(st.permutations(e.edges))[:2]
    swapped = check_all(e.rename({a: b, b: a}))
    if e.dims[a] != e.dims[b]:
        assert not tg.equivalent(e, swapped)
        return
    values = case.values()
    finite_value(case)
    symmetric = close_enough(evaluate(e, values), evaluate(swapped, values, edges=e.edges), rtol=1e-9, atol=1e-9)
    if not symmetric:
        assert not tg.equivalent(e, swapped)
        assert not tg.equivalent(swapped, e)
    if tg.equivalent(e, swapped):
        assert symmetric


@PROPERTY
@given(variable_sets(), st.data())
def test_equivalent_implies_equal_values(variables, data):
    e1 = data.draw(expressions(variables, DEPTH - 1))
    e2 = data.draw(expressions(variables, DEPTH - 1))
    e2 = data.draw(reshaped(e2, variables, e1.dims))  # the free edges of e1
    values = random_values(variables, data.draw(st.integers(0, 1000)))
    if tg.equivalent(e1, e2):
        assert close_enough(evaluate(e1, values), evaluate(e2, values, edges=e1.edges))
    assert tg.equivalent(e1, e1) and tg.equivalent(e2, rebuild(e2))


# ---------------------------------------------------------------------------
# check() after every transformation
# ---------------------------------------------------------------------------

@PROPERTY
@given(cases(DEPTH, smooth=False), st.data())
def test_check_holds_after_every_transformation(case, data):
    e = case.expr
    trace: list = []
    simplify(rebuild(e), trace=trace)
    for _name, before, after in trace:
        check_all(after)
        assert set(after.edges) == set(before.edges)
    # a few single steps of the step-by-step rewriter
    t = e
    for _ in range(5):
        step = rewrite_once(t, PHASE1)
        if step is None:
            break
        _, t = step
        check_all(t)
        assert t.edges == e.edges
    x = data.draw(st.sampled_from(case.variables))
    check_all(tg.unevaluated(e, x))
    check_all(tg.unevaluated(e, x).doit())
    if e.edges:
        names = data.draw(st.permutations(list(EDGE_NAMES) + ["z"]))
        check_all(e.rename(dict(zip(e.edges, names))))


# ---------------------------------------------------------------------------
# Malformed input raises only ValueError / TypeError
# ---------------------------------------------------------------------------

JUNK = st.one_of(st.text(max_size=3), st.integers(), st.none(), st.sampled_from(list(EDGE_NAMES)))


@PROPERTY
@given(cases(DEPTH - 1), st.data())
def test_malformed_rename_and_derivative_raise_value_or_type_error(case, data):
    e = case.expr
    mapping = data.draw(st.dictionaries(JUNK, JUNK, max_size=3))
    try:
        r = e.rename(mapping)
    except (ValueError, TypeError):
        # must fail exactly when a key is not a free edge, a value is not a
        # non-empty string, or the renaming would repeat an edge
        pass
    else:
        assert all(k in e.edges for k in mapping)
        assert all(isinstance(v, str) and v for v in mapping.values())
        check_all(r)
    x = data.draw(st.sampled_from(case.variables))
    new = data.draw(st.dictionaries(JUNK, JUNK, max_size=2))
    try:
        d = tg.derivative(e, x, new_edges=new)
    except (ValueError, TypeError):
        pass
    else:
        check_all(d)
        assert all(k in x.edges for k in new)
        assert len(set(d.edges)) == len(d.edges)
    bad = data.draw(st.one_of(st.integers(), st.text(max_size=2), st.none(), st.just(e)))
    for call in (lambda: tg.derivative(e, bad), lambda: tg.grad(e, bad), lambda: tg.unevaluated(e, bad)):
        try:
            call()
        except (ValueError, TypeError):
            pass
        else:
            assert isinstance(bad, Variable)
    junk = data.draw(st.one_of(st.integers(), st.text(max_size=2), st.none(), st.lists(st.integers(), max_size=2)))
    for call in (lambda: tg.simplify(junk), lambda: tg.equivalent(e, junk), lambda: tg.evaluate(junk, {}),
                 lambda: tg.derivative(junk, x), lambda: e + junk, lambda: e @ junk, lambda: e * junk):
        try:
            call()
        except (ValueError, TypeError):
            pass
        else:
            assert isinstance(junk, (int, float))  # numbers scale and broadcast


@PROPERTY
@given(cases(DEPTH - 1), st.data())
def test_wrong_shapes_and_dims_raise_value_or_type_error(case, data):
    e = case.expr
    values = case.values()
    used = [v for v in case.variables if v.name in {n for n, *_ in e.variable_ids()}]
    kind = data.draw(st.sampled_from(["ndim", "size", "missing", "dims", "junk", "edges"]))
    dims = dict(DIMS)
    must_fail = True
    if kind == "ndim" and used:
        v = data.draw(st.sampled_from(used))
        values[v.name] = np.zeros(values[v.name].shape + (2,)) if data.draw(st.booleans()) or not v.edges else values[v.name][0]
    elif kind == "size" and any(v.edges for v in used):
        v = data.draw(st.sampled_from([v for v in used if v.edges]))
        axis = data.draw(st.integers(0, len(v.edges) - 1))
        shape = list(values[v.name].shape)
        shape[axis] += data.draw(st.integers(1, 3))
        values[v.name] = np.ones(shape)  # the symbol is still bound in dims: a conflict
    elif kind == "missing" and used:
        del values[data.draw(st.sampled_from(used)).name]
    elif kind == "dims":
        dims = {data.draw(st.sampled_from(sorted(DIMS))): data.draw(st.one_of(st.integers(-3, -1), st.text(max_size=2), st.floats()))}
    elif kind == "junk" and used:
        values[data.draw(st.sampled_from(used)).name] = data.draw(st.one_of(st.text(max_size=3), st.none(), st.just([[1], [2, 3]])))
    elif kind == "edges":
        dims = DIMS
        edges = data.draw(st.lists(JUNK, max_size=4))
        must_fail = sorted(map(repr, edges)) != sorted(map(repr, e.edges))
        try:
            tg.evaluate(e, values, edges=edges, dims=dims)
        except (ValueError, TypeError):
            assert must_fail
        else:
            assert not must_fail
        return
    else:
        must_fail = False
    try:
        with np.errstate(all="ignore"):
            tg.evaluate(e, values, dims=dims)
    except (ValueError, TypeError):
        pass
    else:
        assert not must_fail, f"evaluate accepted malformed input ({kind})"


# ---------------------------------------------------------------------------
# Exported code, drawing and parsing (properties for what exists when written)
# ---------------------------------------------------------------------------
# (tg.to_code, tg.draw, tg.parse and tg.to_matrix all existed when these were written.)

def _call_compiled(fn, values: dict):
    """Call a tg.compile'd function: variables positionally, free dims by keyword."""
    import inspect
    args, kwargs = [], {}
    for name, p in inspect.signature(fn).parameters.items():
        if p.kind is p.KEYWORD_ONLY:
            kwargs[name] = DIMS[name]
        else:
            args.append(values[name])
    return fn(*args, **kwargs)


@PROPERTY
@given(cases(DEPTH, smooth=False))
def test_exported_numpy_code_equals_evaluate(case):
    e = case.expr
    expected = finite_value(case)
    source = tg.to_code(e)
    namespace: dict = {}
    exec(compile(source, "<tensorgrad.to_code>", "exec"), namespace)  # the source itself runs
    with np.errstate(all="ignore"):
        got = np.asarray(_call_compiled(namespace["f"], case.values()), dtype=float)
    assert close_enough(got, expected, rtol=1e-9, atol=1e-9)
    # a dict of outputs returns a dict
    with np.errstate(all="ignore"):
        both = _call_compiled(tg.compile({"out": e, "twice": 2 * e}), case.values())
    assert close_enough(np.asarray(both["out"], dtype=float), expected, rtol=1e-9, atol=1e-9)
    assert close_enough(np.asarray(both["twice"], dtype=float), 2 * expected, rtol=1e-9, atol=1e-9)


DRAW = settings(PROPERTY, max_examples=max(EXAMPLES // 8, 1))  # matplotlib is slow


@DRAW
@given(cases(DEPTH - 1, smooth=False))
def test_drawing_and_printing_never_raise(case):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    e = case.expr
    fig = tg.draw(e)
    assert fig.axes
    plt.close(fig)
    assert isinstance(tg.to_matrix(e), str) and isinstance(tg.to_latex(e), str)
    assert isinstance(str(e), str)
    assert rebuild(eval(repr(e), {"tg": tg})) == e  # repr rebuilds the expression


# -- matrix notation: random well-typed text ---------------------------------

SHAPES = {"A": ("n", "n"), "B": ("n", "n"), "x": ("n",), "y": ("n",), "a": (), "b": ()}


@st.composite
def matrix_text(draw, kind: str = "s", depth: int = 3) -> str:
    """Random matrix-notation text of a type: s scalar, v column, r row, M matrix."""
    sub = lambda k: draw(matrix_text(k, depth - 1))  # noqa: E731
    if depth <= 0 or draw(st.integers(0, 3)) == 0:
        # numbers and eye included: folded constants print with repr precision,
        # tr(eye) as the dimension `n` (read back as its size), zeros as 𝟎 / 0I. Not
        # vector(1): a sum split by the printer (sum(x + 𝟏) -> sum(x) + sum(𝟏)) leaves a
        # 𝟏 whose length the text no longer ties to n; likewise 𝟎, so the differences
        # below keep one side a variable (a derived 𝟎 or 𝟏 can still be untied: rare)
        leaf = {"s": ["a", "b", "2", "0.3", "n"], "v": ["x", "y"], "r": ["x'", "y'"],
                "M": ["A", "B", "A'", "eye", "2*eye"]}
        return draw(st.sampled_from(leaf[kind]))
    forms = {
        "s": ["({r} * {v})", "({s} + {s})", "({s} * {s})", "tr({M})", "sum({v})",
              "norm2({v})", "exp({s})", "({s})^2", "logdet(eye + {M}*{M}')",
              "logsumexp({v})", "({r} * {M} * {v})", "sin({s})", "(2 * {s})", "(0.5 * {s})",
              "({s} - {s})", "exp(2) * {s}", "(1/3) * {s}", "tr(eye)", "det(2*{M})"],
        "v": ["({M} * {v})", "({s} * {v})", "({v} + {v})", "({v} .* {v})", "exp({v})",
              "tanh({v})", "softmax({v})", "({r})'", "diag({M})", "inv(eye + {M}*{M}') * {v}", "({v} ./ exp({v}))",
              "({v} - y)", "({s} * sum({v} ./ exp({v}))) * {v}"],
        "r": ["({v})'", "({r} * {M})", "({s} * {r})", "({r} + {r})", "({r} - x')"],
        "M": ["({M} * {M})", "({M})'", "({M} + {M})", "({s} * {M})", "({v} * {r})", "({M} .* {M})",
              "diag({v})", "inv(eye + {M}*{M}')", "({M})^2", "({M} - B)", "(eye - {M})"],
    }
    form = draw(st.sampled_from(forms[kind]))
    out, k = "", 0
    while True:  # fill each {t} hole with a sub-expression of type t
        start = form.find("{", k)
        if start < 0:
            return out + form[k:]
        end = form.index("}", start)
        out += form[k:start] + "(" + sub(form[start + 1:end]) + ")"
        k = end + 1


def _dimensions(t) -> set:
    """Every dimension symbol in ``t``."""
    out = set(t.dims.values()) | ({t.dim} if hasattr(t, "dim") else set())
    for c in t.children():
        out |= _dimensions(c)
    return out


def _read(t):
    """to_matrix with the reading parse uses: a lone edge j is a row vector."""
    return tg.to_matrix(t, cols="j") if t.edges == ("j",) else tg.to_matrix(t)


@PROPERTY
@given(st.sampled_from("svrM"), st.data())
def test_parse_of_printed_matrix_notation_gives_the_same_tensor(kind, data):
    text = data.draw(matrix_text(kind))
    try:
        e = check_all(tg.parse(text, SHAPES))
    except ValueError as err:  # a folded constant that overflows (exp(exp(exp(2)))) is reported
        assume("range error" not in str(err))
        raise
    printed = _read(e)
    if "[" in printed:  # the documented fallback (index notation) where no matrix reading exists
        return
    # a second, unconstrained dimension (sum(vector(1)) + tr(eye)) has no name in the
    # printed text (𝟏 and I carry none), so it cannot be told apart from n when read back
    assume(_dimensions(e) <= {"n"})
    back = check_all(tg.parse(printed, SHAPES))
    assert set(back.edges) == set(e.edges), (text, printed)
    variables = [Variable(name, **{"ij"[k]: d for k, d in enumerate(dims)}) for name, dims in SHAPES.items()]
    values = random_values(variables, data.draw(st.integers(0, 1000)))
    # (the printer writes the dimension size as its symbol, tr I = n, which SHAPES
    # declares, so it parses back as the size; testing.evaluate binds every dimension)
    with np.errstate(all="ignore"):
        v1, v2 = evaluate(e, values), evaluate(back, values, edges=e.edges)
    assume(np.all(np.isfinite(v1)) and np.max(np.abs(v1), initial=0) < 1e6)
    # equal values, not `tg.equivalent`: the printer applies identities that structural
    # simplification cannot prove (‖‖x‖x‖ prints as ‖x‖², i.e. sqrt((x·x)²) = x·x)
    assert close_enough(v1, v2, rtol=1e-6, atol=1e-6), (text, printed)  # printed closed forms may cancel


NOTATION_CHARS = "xyAB ab'()+-*/.^@,0123456789eyetrdiaglnvsumxpqᵀ⁻¹²‖|;[]{}_ "


@PROPERTY
@given(st.one_of(st.text(NOTATION_CHARS, max_size=24), st.text(max_size=12),
                 matrix_text("s", 2).flatmap(lambda t: st.integers(0, len(t)).map(lambda k: t[:k]))))
def test_random_text_to_parser_raises_only_value_or_type_error(text):
    try:
        e = tg.parse(text, SHAPES)
    except (ValueError, TypeError):
        return
    check_all(e)
