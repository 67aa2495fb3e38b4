"""Random well-formed expressions for property-based (differential) testing.

Hypothesis strategies that build random tensor networks over a few variables with
random edge names and dimension symbols: contractions, outer and elementwise
products, renames and transposes, weighted sums, copy tensors, numbers, unevaluated
derivatives and every registered function the generator knows, each kept inside its
domain (log/sqrt/fractional powers of positive inputs such as `exp(u)` or
`u*u + 1`; det/logdet/inverse of `I + B Bᵀ`). Plus seeded random arrays for the
variables and independent numeric oracles (central finite differences).

Only tests and `scripts/fuzz.py` import this module: hypothesis is a test extra
(`pip install tensorgrad[test]`); `import tensorgrad` never imports it.

>>> from hypothesis import given, settings
>>> @settings(max_examples=5, database=None)
... @given(cases())
... def well_formed(case):
...     case.expr.check()
>>> well_formed()
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

try:
    from hypothesis import strategies as st
except ImportError as exc:  # pragma: no cover - only without the test extra
    raise ImportError("tensorgrad.testing needs hypothesis: pip install 'tensorgrad[test]'") from exc

import tensorgrad as tg

from . import composite as C
from .expr import FUNCTIONS, Delta, Derivative, Function, Product, Sum, Tensor, Variable, Zero, number
from .kinds import KindTable
from .numcheck import unit_direction

#: Dimension symbols and the sizes they are evaluated at (distinct sizes catch transposes).
DIMS = {"n": 3, "m": 2}
#: Edge names the generator draws from; "i_0" and "j'" collide with the names that
#: fresh_name and derivative priming invent, on purpose.
EDGE_NAMES = ("i", "j", "k", "l", "i_0", "j'")
VAR_NAMES = ("x", "y", "A", "B")
MAX_EDGES = 3  # free edges per sub-expression, to keep evaluation and FD cheap

WEIGHTS = (1, -1, 2, -3, 0.5, 1.5, -0.25)


@dataclass(frozen=True)
class Case:
    """A random expression, the variables it may use and a seed for their values."""

    expr: Tensor
    variables: tuple
    seed: int

    def values(self, seed: int | None = None) -> dict:
        return random_values(self.variables, self.seed if seed is None else seed)


def random_values(variables, seed: int) -> dict:
    """Seeded arrays in [-1, 1] for each variable (axes in declared edge order),
    symmetric where the variable is."""
    rng = np.random.default_rng(seed)
    out = {}
    for v in variables:
        arr = rng.uniform(-1.0, 1.0, size=tuple(DIMS[d] for d in v.dim_symbols))
        out[v.name] = sum(arr[idx] * unit_direction(v, arr.shape, idx) for idx in np.ndindex(arr.shape)) \
            if v.symmetries else arr
    return out


def evaluate(t: Tensor, values: dict, edges=None) -> np.ndarray:
    """tg.evaluate with every dimension symbol of the generator bound."""
    return np.asarray(tg.evaluate(t, values, edges=edges, dims=DIMS), dtype=float)


# ---------------------------------------------------------------------------
# Variables
# ---------------------------------------------------------------------------

@st.composite
def variable_sets(draw, min_size: int = 1, max_size: int = 3) -> tuple:
    """1-3 distinct variables with 0-2 edges each (at least one with edges); a
    square one is symmetric half the time."""
    names = draw(st.lists(st.sampled_from(VAR_NAMES), min_size=min_size, max_size=max_size, unique=True))
    out = []
    for k, name in enumerate(names):
        n_edges = draw(st.integers(1 if k == 0 else 0, 2))
        edges = draw(st.lists(st.sampled_from(EDGE_NAMES), min_size=n_edges, max_size=n_edges, unique=True))
        dims = [draw(st.sampled_from(sorted(DIMS))) for _ in edges]
        symmetric = len(edges) == 2 and dims[0] == dims[1] and draw(st.booleans())
        out.append(Variable(name, **dict(zip(edges, dims)), symmetric=symmetric))
    return tuple(out)


# ---------------------------------------------------------------------------
# Expressions
# ---------------------------------------------------------------------------

def _fresh(avoid) -> str:
    for e in itertools.chain(EDGE_NAMES, (f"e{k}" for k in itertools.count())):
        if e not in avoid:
            return e


class _Gen:
    """Draws sub-expressions; `draw` is hypothesis's draw function."""

    def __init__(self, draw, variables, smooth: bool):
        self.draw, self.vars, self.smooth = draw, variables, smooth

    def pick(self, seq):
        return self.draw(st.sampled_from(list(seq)))

    def flag(self, p_true_in_4: int = 2) -> bool:
        return self.draw(st.integers(0, 3)) < p_true_in_4

    # -- leaves --------------------------------------------------------------
    def leaf(self) -> Tensor:
        kind = self.draw(st.sampled_from(["var", "var", "var", "var", "delta", "number", "ones", "zero"]))
        if kind == "var":
            v = self.pick(self.vars)
            return self.relabel(v) if v.edges and self.flag(1) else v
        if kind == "delta":
            k = self.draw(st.integers(0, 3))
            edges = self.draw(st.lists(st.sampled_from(EDGE_NAMES), min_size=k, max_size=k, unique=True))
            return Delta(self.pick(sorted(DIMS)), *edges)
        if kind == "number":
            return number(self.pick(WEIGHTS + (0,)))
        k = self.draw(st.integers(0, 2))
        edges = self.draw(st.lists(st.sampled_from(EDGE_NAMES), min_size=k, max_size=k, unique=True))
        dims = {e: self.pick(sorted(DIMS)) for e in edges}
        return tg.ones(**dims) if kind == "ones" else tg.zeros(**dims)

    def relabel(self, t: Tensor) -> Tensor:
        """A rename of some free edges (a permutation of names is a transpose)."""
        if not t.edges:
            return t
        moved = [e for e in t.edges if self.flag(3)] or [t.edges[0]]
        kept = [e for e in t.edges if e not in moved]
        pool = [e for e in list(EDGE_NAMES) + list(t.edges) if e not in kept]
        targets = self.draw(st.permutations(list(dict.fromkeys(pool))))
        mapping = dict(zip(moved, targets))
        return t.rename(mapping)

    # -- shape fitting -------------------------------------------------------------
    def close(self, t: Tensor, edges) -> Tensor:
        """Contract away the given free edges of t (sum, trace, or a vector)."""
        edges = list(edges)
        if not edges:
            return t
        dims = t.dims
        if len(edges) >= 2 and dims[edges[0]] == dims[edges[1]] and self.flag(1):
            a, b = edges[:2]
            t = Product([t, Delta(dims[a], a, b)], [e for e in t.edges if e not in (a, b)])
            return self.close(t, edges[2:])
        vecs = [v for v in self.vars if len(v.edges) == 1]
        e = edges[0]
        fits = [v for v in vecs if v.dim_symbols[0] == dims[e]]
        if fits and self.flag(1):
            v = self.pick(fits)
            t = t @ v.rename({v.edges[0]: e}) if v.edges[0] != e else t @ v
            return self.close(t, edges[1:])
        return self.close(tg.sum(t, e), edges[1:])

    def fit(self, t: Tensor, target: dict) -> Tensor:
        """t reshaped to exactly the free edges `target` (edge -> dim): matching edges
        are renamed, extra ones contracted away, missing ones added as outer factors."""
        free = list(target)
        self.draw(st.randoms(use_true_random=False)).shuffle(free)
        mapping, unmatched = {}, []
        for e in t.edges:
            match = next((g for g in free if target[g] == t.dims[e]), None)
            if match is not None and self.flag(3):
                mapping[e] = match
                free.remove(match)
            else:
                unmatched.append(e)
        t = self.close(t, unmatched)
        t = t.rename(mapping)
        for e in free:  # outer product with a ones vector or a renamed vector variable
            fits = [v for v in self.vars if len(v.edges) == 1 and v.dim_symbols[0] == target[e]]
            if fits and self.flag(1):
                v = self.pick(fits)
                t = Product([t, v.rename({v.edges[0]: e}) if v.edges[0] != e else v])
            else:
                t = Product([t, Delta(target[e], e)])
        return t

    def positive(self, depth: int) -> Tensor:
        """A sub-expression with positive values: exp(u), u*u + c or a 1 + u^2 sum."""
        u = self.expr(depth)
        kind = self.draw(st.integers(0, 2))
        if kind == 0:
            return tg.exp(self.small(u))
        if kind == 1:
            return u * u + self.pick([1, 0.5, 2])
        return Sum([tg.ones(**u.dims), u * u], [1, self.pick([1, 0.5])]) if u.edges else u * u + 1

    def small(self, u: Tensor) -> Tensor:
        """u scaled down so that exp and friends stay in a comfortable range."""
        return u if self.flag(2) else 0.5 * u

    # -- composite -----------------------------------------------------------
    def expr(self, depth: int) -> Tensor:
        if depth <= 0 or self.flag(1):
            return self.leaf()
        op = self.pick(["rename", "contract", "product", "hadamard", "sum", "sum", "scale",
                        "function", "function", "function", "closing", "matrix", "derivative"])
        return getattr(self, "op_" + op)(depth - 1)

    def limit(self, t: Tensor) -> Tensor:
        if len(t.edges) > MAX_EDGES:
            t = self.close(t, t.edges[MAX_EDGES:])
        return t

    def op_rename(self, d):
        return self.relabel(self.expr(d))

    def _joinable(self, a: Tensor, b: Tensor, share: bool) -> Tensor:
        """b renamed so that its edges either match an edge of `a` of the same
        dimension (if `share`) or avoid `a`'s names."""
        mapping, used = {}, set(a.edges) | set(b.edges)
        avail = list(a.edges)
        for e in b.edges:
            same = [g for g in avail if a.dims[g] == b.dims[e]]
            if share and same and self.flag(3):
                mapping[e] = self.pick(same)
                avail.remove(mapping[e])
            elif e in a.edges:
                mapping[e] = _fresh(used | set(mapping.values()))
            used.add(mapping.get(e, e))
        # simultaneous rename: free targets that are b's own names are fine
        return b.rename(mapping)

    def op_contract(self, d):
        a, b = self.expr(d), self.expr(d)
        return self.limit(a @ self._joinable(a, b, share=True))

    def op_product(self, d):
        # 2-3 factors with an explicit free-edge order (Product constructor directly)
        factors = [self.expr(d)]
        for _ in range(self.draw(st.integers(1, 2))):
            f = self.expr(d)
            # an edge may appear on at most two factors: avoid names already used twice
            seen: dict = {}
            for g in factors:
                for e in g.edges:
                    seen[e] = seen.get(e, 0) + 1
            probe = Product(factors)
            f = self._joinable(probe, f, share=True)
            twice = {e for e, c in seen.items() if c >= 2}
            clash, taken = {}, twice | set(seen) | set(f.edges)
            for e in f.edges:
                if e in twice:
                    clash[e] = _fresh(taken)
                    taken.add(clash[e])
            factors.append(f.rename(clash) if clash else f)
        p = Product(factors)
        order = self.draw(st.permutations(p.edges))
        return self.limit(Product(factors, order))

    def op_hadamard(self, d):
        a, b = self.expr(d), self.expr(d)
        return self.limit(a * self._joinable(a, b, share=True))

    def op_sum(self, d):
        a = self.expr(d)
        terms = [a] + [self.fit(self.expr(d), a.dims) for _ in range(self.draw(st.integers(1, 2)))]
        weights = [self.pick(WEIGHTS) for _ in terms]
        order = self.draw(st.permutations(a.edges))
        return self.limit(Sum(terms, weights, order))

    def op_scale(self, d):
        return self.pick(WEIGHTS) * self.expr(d)

    def op_closing(self, d):
        t = self.expr(d)
        if not t.edges:
            return t
        k = self.draw(st.integers(1, len(t.edges)))
        edges = self.draw(st.permutations(t.edges))[:k]
        return self.close(t, edges)

    # built from registered functions by tensorgrad.composite; the registry's own
    # functions are drawn from FUNCTIONS (their FunctionSpec says how)
    COMPOSED = ("sqrt", "pow", "pow", "div", "log_softmax", "mean", "var")
    COMPOSED_ROUGH = ("maximum", "clip")

    def op_function(self, d):
        specs = [s for s in FUNCTIONS.values() if s.random_tests and s.n_core < 2 and (s.smooth or not self.smooth)]
        names = list(self.COMPOSED) + (list(self.COMPOSED_ROUGH) if not self.smooth else [])
        choice = self.pick(sorted(s.name for s in specs) + names)
        if choice in FUNCTIONS and FUNCTIONS[choice] in specs:
            return self.registered(FUNCTIONS[choice], d)
        if choice in ("log_softmax", "mean", "var"):  # along one edge
            u = self.with_an_edge(self.expr(d))
            return getattr(C, choice)(self.small(u), self.pick(u.edges))
        if choice == "maximum":
            a = self.expr(d)
            return C.maximum(a, self.fit(self.expr(d), a.dims) if self.flag(2) else self.pick([0, 0.5, -1]))
        if choice == "clip":
            return C.clip(self.expr(d), self.pick([-1, -0.5]), self.pick([0.25, 1]))
        if choice == "sqrt":
            return tg.sqrt(self.positive(d))
        if choice == "pow":
            p = self.pick([2, 3, -1, 0.5, -0.5, 1.5, 0, 1])
            return tg.pow(self.expr(d) if float(p).is_integer() and p >= 0 else self.positive(d), p)
        a = self.expr(d)  # div
        return a / self.fit(self.positive(d), a.dims) if self.flag(2) else self.pick([1, 2, -1]) / self.positive(d)

    def registered(self, spec, d):
        """A registered function of one drawn argument, sampled from the spec's domain."""
        params = tuple(self.pick([0, 0.5, -1]) for _ in range(spec.n_params))
        if spec.n_core == 1:
            u = self.with_an_edge(self.expr(d))
            return Function(spec, self.small(u), (self.pick(u.edges),))
        u = self.positive(d) if spec.domain == "positive" else self.small(self.expr(d))
        return Function(spec, u, (), params or spec.params_default)

    def with_an_edge(self, u):
        if not u.edges:
            u = Product([u, Delta(self.pick(sorted(DIMS)), self.pick(EDGE_NAMES))])
        return u

    def op_matrix(self, d):
        """det/logdet/inverse/trace of the well-conditioned I + B Bᵀ (B any n x n)."""
        names = sorted(s.name for s in FUNCTIONS.values() if s.n_core == 2 and s.random_tests)
        name = self.pick(names + ["trace"])
        edges = self.draw(st.lists(st.sampled_from(EDGE_NAMES), min_size=3, max_size=3, unique=True))
        i, j, k = edges
        dim = self.pick(sorted(DIMS))
        batch = {k: self.pick(sorted(DIMS))} if name != "trace" and self.flag(1) else {}
        b = self.fit(self.expr(max(d - 1, 0)), {i: dim, j: dim, **batch})
        t = _fresh({i, j, k})
        # I + B Bᵀ (batched over k: the two copies of B share k through a copy tensor)
        bbt = tg.sum(b.rename({j: t}) * b.rename({i: j, j: t}), t)
        m = Delta(dim, i, j) + self.small(bbt) if not batch else tg.ones(**batch) * Delta(dim, i, j) + self.small(bbt)
        if name == "trace":
            return tg.trace(m)
        return Function(FUNCTIONS[name], m, (i, j) if self.flag(2) else (j, i))

    def op_derivative(self, d):
        u = self.expr(d)
        x = self.pick(self.vars)
        if len(u.edges) + len(x.edges) > MAX_EDGES:
            return u
        return tg.unevaluated(u, x)


@st.composite
def expressions(draw, variables, max_depth: int = 3, smooth: bool = True) -> Tensor:
    """A random expression over `variables`, nested up to `max_depth` levels.
    `smooth` leaves out functions with kinks (relu, abs, sign)."""
    return _Gen(draw, variables, smooth).expr(max_depth)


@st.composite
def reshaped(draw, t: Tensor, variables, target: dict) -> Tensor:
    """`t` given exactly the free edges `target` (edge -> dim): matching edges renamed,
    extra ones contracted away, missing ones added as outer factors."""
    return _Gen(draw, variables, True).fit(t, target)


@st.composite
def cases(draw, max_depth: int = 3, smooth: bool = True) -> Case:
    """A `Case`: random variables, an expression over them, and a value seed."""
    variables = draw(variable_sets())
    expr = draw(expressions(variables, max_depth, smooth))
    return Case(expr, variables, draw(st.integers(0, 2**31 - 1)))


# ---------------------------------------------------------------------------
# Transformations that must not change canonical keys, and a cache-free copy
# ---------------------------------------------------------------------------

def rebuild(t: Tensor) -> Tensor:
    """A structurally equal copy of t built from scratch (no shared caches)."""
    return type(t)(*map(_rebuilt_arg, t.args))


def _rebuilt_arg(a):
    if isinstance(a, Tensor):
        return rebuild(a)
    if isinstance(a, tuple):
        return type(a)(map(_rebuilt_arg, a))  # keeps tuple subclasses (a Variable's Symmetries)
    return a


#: the same network with internal edges renamed and factors and terms reordered
SCRAMBLE = KindTable("testing scramble")


def scramble(t: Tensor, rng) -> Tensor:
    """The same network with internal edges renamed and factors and terms reordered
    (free edges and their order kept). `rng` is a random.Random."""
    return SCRAMBLE(t, rng)


@SCRAMBLE.register(Variable, Delta, Zero)
def _scramble_leaf(t, rng):
    return t


@SCRAMBLE.register(Product)
def _scramble_product(t: Product, rng) -> Tensor:
    factors = [scramble(f, rng) for f in t.factors]
    inner = sorted(Product(factors).contracted())
    taken = {e for f in factors for e in f.edges} | set(t.edges)
    new = {}
    for e in inner:
        new[e] = f"{rng.choice('pqrsuvw')}{rng.randrange(1000)}"
        while new[e] in taken:
            new[e] += "'"
        taken.add(new[e])
    # rename in two steps through unique temporaries: simultaneous renames per factor
    factors = [f.rename({e: new[e] for e in f.edges if e in new}) for f in factors]
    rng.shuffle(factors)
    return Product(factors, t.edges)


@SCRAMBLE.register(Sum)
def _scramble_sum(t: Sum, rng) -> Tensor:
    pairs = list(zip([scramble(s, rng) for s in t.terms], t.weights))
    rng.shuffle(pairs)
    return Sum([p for p, _ in pairs], [w for _, w in pairs], t.edges)


@SCRAMBLE.register(Function)
def _scramble_function(t: Function, rng) -> Tensor:
    arg, core = scramble(t.arg, rng), t.core
    if t.spec.consumes_core and core:
        taken = set(arg.edges)
        new = {}
        for e in core:
            new[e] = f"c{rng.randrange(1000)}"
            while new[e] in taken:
                new[e] += "'"
            taken.add(new[e])
        arg = arg.rename(new)
        core = tuple(new[e] for e in core)
    return Function(t.spec, arg, core, t.params)


@SCRAMBLE.register(Derivative)
def _scramble_derivative(t: Derivative, rng) -> Tensor:
    return Derivative(scramble(t.expr, rng), t.var, t.new_edges)


def check_all(t: Tensor) -> Tensor:
    """t.check() plus the invariants check() does not cover: free-edge dims agree
    with the children, and the node rebuilds equal to itself."""
    t.check()
    assert rebuild(t) == t, f"rebuilding {t!r} gave a different node"
    return t


# ---------------------------------------------------------------------------
# Numeric oracles
# ---------------------------------------------------------------------------

def central_jacobian(f: Tensor, values: dict, x: Variable, h: float = 1e-6) -> np.ndarray:
    """d evaluate(f) / d x by central differences: axes f.edges then x's declared edges
    (a symmetric x moves along symmetric directions: see numcheck.unit_direction)."""
    base = np.array(values[x.name], dtype=float)
    out = np.zeros(evaluate(f, values).shape + base.shape)
    for idx in np.ndindex(base.shape):
        vals = []
        for s in (1, -1):
            arr = base + s * h * unit_direction(x, base.shape, idx)
            vals.append(evaluate(f, {**values, x.name: arr}))
        out[(Ellipsis,) + idx] = (vals[0] - vals[1]) / (2 * h)
    return out


def central_hessian(f: Tensor, values: dict, x: Variable, y: Variable, h: float = 1e-4) -> np.ndarray:
    """d² evaluate(f) / dx dy by the 4-point central formula: axes f.edges, x's, y's."""
    bx = np.array(values[x.name], dtype=float)
    by = np.array(values[y.name], dtype=float)
    out = np.zeros(evaluate(f, values).shape + bx.shape + by.shape)
    for ix in np.ndindex(bx.shape):
        for iy in np.ndindex(by.shape):
            acc = 0
            for sx, sy in ((1, 1), (1, -1), (-1, 1), (-1, -1)):
                vals = dict(values)
                dx, dy = sx * h * unit_direction(x, bx.shape, ix), sy * h * unit_direction(y, by.shape, iy)
                if x.name == y.name:
                    vals[x.name] = bx + dx + dy
                else:
                    vals[x.name], vals[y.name] = bx + dx, by + dy
                acc = acc + sx * sy * evaluate(f, vals)
            out[(Ellipsis,) + ix + iy] = acc / (4 * h * h)
    return out


def close_enough(a: np.ndarray, b: np.ndarray, rtol: float = 1e-5, atol: float = 1e-6) -> bool:
    """Allclose with the tolerance scaled by the arrays' magnitude."""
    scale = 1.0 + max(float(np.max(np.abs(a), initial=0)), float(np.max(np.abs(b), initial=0)))
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol * scale))


# ---------------------------------------------------------------------------
# Hostile input: names, numbers and depths an adversarial user would try
# ---------------------------------------------------------------------------

#: Sets when a generated payload runs; a test asserts it never does.
PWNED = "TENSORGRAD_PWNED"
#: Characters that end lines, strings or comments, or that Python, LaTeX or
#: matplotlib's mathtext read specially; NFKC look-alikes of generated names.
HOSTILE_CHARS = "\n\r\x00\u2028\u2029\x85\x0c\t '\"\\#{}$_^%&~()[]:;=-+*/@,.`ｅｘｐｎｐθ\U0001f642"
#: Whole names aimed at code generation: injections, names of generated
#: temporaries, modules and helpers (also in full width), keywords, digits.
PAYLOADS = (f"g\nimport builtins; builtins.{PWNED} = 1\n#", f"g\rimport builtins; builtins.{PWNED} = 1\r#",
            f"g\u2028__import__('builtins').{PWNED} = 1", f"');import builtins; builtins.{PWNED} = 1#",
            f'"""\nimport builtins; builtins.{PWNED} = 1\n"""', "a\x00b", "exp", "ｅｘｐ", "ｎｐ", "np", "torch",
            "__solve_solve", "out", "total", "f", "x_0", "i'", "$\\frac{", "}{$", "_^", "if", "None", "1", "-x", " ")


def hostile_names():
    """Non-empty strings: a payload above, or text over hostile and arbitrary characters."""
    chars = st.one_of(st.sampled_from(HOSTILE_CHARS), st.characters(codec="utf-8"))
    return st.one_of(st.sampled_from(PAYLOADS), st.text(chars, min_size=1, max_size=10))


#: Numbers at the edges of float64 and of Python's number tower.
HOSTILE_NUMBERS = (0, -0.0, 1, -1, 0.5, 1e-308, 5e-324, -1e-300, 1e300, -1e308, 2 ** 62, -(2 ** 63), 10 ** 400,
                   float("inf"), float("-inf"), float("nan"), 1j, 2 + 0j, True, np.float64(2.5), np.int64(-3),
                   np.float32(0.25), np.float64("inf"))


def hostile_numbers():
    """A number above, or any float64 (infinities and NaN included)."""
    return st.one_of(st.sampled_from(HOSTILE_NUMBERS), st.floats(allow_nan=True, allow_infinity=True))


def hostile_depths(limit: int = 600):
    """Nesting depths and term counts far past Python's recursion limit's reach at
    the low end too (1) and near `limit`."""
    return st.one_of(st.sampled_from((1, 2, 150, 400, limit)), st.integers(1, limit))
