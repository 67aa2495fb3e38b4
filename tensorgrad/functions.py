"""The function registry: one `FunctionSpec` per function (edge signature, derivative
rule, numeric implementation, code-export template, printed name).

Numeric implementations receive the array module (`xp`, e.g. numpy) as an
argument, so this module imports no array library.

>>> import tensorgrad as tg
>>> x = tg.Variable("x", "i")
>>> tg.exp(x).edges
('i',)
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from typing import Callable

from .expr import FUNCTIONS, Delta, Function, Product, Sum, Tensor, Zero, as_number, fresh_name, hadamard, scale


@dataclass(frozen=True, eq=False)
class FunctionSpec:
    """Everything tensorgrad knows about one function, in one place: the parser,
    the printers, the exporter, the simplifier and the property tests read it
    (docs/adding_a_function.md walks through adding one).

    * `jacobian(node, fresh)` -> tensor with edges `node.edges` + `fresh[e]` for each
      edge `e` of `node.arg`: the derivative of the node with respect to its argument.
    * `numeric(xp, x, axes, params)` -> array: `x` is the argument in `arg.edges`
      order, `axes` the positions of the core edges; the result is in `node.edges` order.
    * `code`: template for exported code, `{x}` the argument, `{axes}` the core axes,
      `{p}` the first parameter, `xp` the array module; `backends` overrides it per
      backend (`{"torch": "torch.sigmoid({x})"}`), `imports` adds an import line to the
      generated module per backend (`{"jax": "import jax.scipy.special"}`).
    * `scalar(x, *params)`: float -> float, used to fold constants.
    * `notation`: its name in matrix notation (`tg.parse`, `tg.to_matrix`); "" means
      `name`, None that notation writes it otherwise (pow is `.^`). `aliases`: more
      names the parser accepts. `latex`: its LaTeX head ("" means \\operatorname{name}).
      `transposed`: a square-matrix function whose value is the transpose of its
      notation reading (tg.inverse(X) is X⁻ᵀ in core order).
    * `positive`: every value is > 0 for every real argument (simplification may use it).
    * `domain` ("real", "positive", "nonzero", "matrix"): where tests sample arguments;
      `smooth`: differentiable there (False: kinks, steps); `random_tests`: the
      property-test generator draws it.
    * `letter`: the letter a named intermediate value of this function gets ("" none).
    """

    name: str
    jacobian: Callable
    numeric: Callable
    code: str
    n_core: int = 0
    consumes_core: bool = False
    symmetric_core: bool = False  # does swapping the core edges leave the function unchanged?
    scalar: Callable | None = None
    description: str = ""
    extra: dict = field(default_factory=dict)  # drawing hints: draw_label, opaque, draw_hide_ones
    n_params: int = 0
    params_default: tuple = ()
    notation: str | None = ""
    aliases: tuple = ()
    latex: str = ""
    transposed: bool = False
    positive: bool = False
    backends: dict = field(default_factory=dict)
    imports: dict = field(default_factory=dict)  # backend -> an import line its template needs
    domain: str = "real"
    smooth: bool = True
    random_tests: bool = True
    letter: str = ""

    @property
    def elementwise(self) -> bool:
        return self.n_core == 0

    @property
    def notation_name(self) -> str | None:
        """The name matrix notation writes, or None."""
        return self.name if self.notation == "" else self.notation

    @property
    def latex_head(self) -> str:
        return self.latex or rf"\operatorname{{{self.name}}}"

    def code_for(self, backend: str) -> str:
        """The export template on `backend` ("numpy", "torch", "jax", "dask", "cupy")."""
        return self.backends.get(backend, self.code)

    # a function is its name: nodes hash and compare through their spec
    def __eq__(self, other):
        return isinstance(other, FunctionSpec) and other.name == self.name

    def __hash__(self):
        return hash(("FunctionSpec", self.name))

    def __reduce__(self):
        # pickled as its registered name (its callables are module-level lambdas)
        return (_registered, (self.name,))

    def check_arg(self, node: Function):
        if len(node.core) != self.n_core:
            raise ValueError(f"{self.name} acts along {self.n_core} edge(s), got {node.core}")
        dims = {node.arg.dims[e] for e in node.core}
        if self.n_core == 2 and len(dims) != 1:
            raise ValueError(f"{self.name} needs two edges of one dimension, got {node.core} with dimensions "
                             f"{sorted(dims)}{SQUARE_HINT}")


# how to declare a square matrix, for errors of functions that need one
SQUARE_HINT = ('; a square matrix has one dimension symbol for both edges: declare it as '
               'tg.Variable("X", i="n", j="n") (tg.Variable("X", "i", "j") gives its edges the dimensions "i" and "j")')


def _registered(name: str) -> FunctionSpec:
    if name not in FUNCTIONS:
        raise ValueError(f"unknown function {name!r}; registered: {sorted(FUNCTIONS)}")
    return FUNCTIONS[name]


def register(spec: FunctionSpec) -> FunctionSpec:
    FUNCTIONS[spec.name] = spec
    return spec


# ---------------------------------------------------------------------------
# Elementwise functions: f(u) with f'(u) given as an expression in u
# ---------------------------------------------------------------------------

def hadamard_jacobian(node: Function, fprime: Tensor, fresh: dict) -> Tensor:
    """J[e.., e'..] = f'(u)[e..] * prod_e delta(e, e'): the Jacobian of an elementwise map."""
    if not node.edges:
        return fprime
    taken = set(node.edges) | set(fresh.values())
    inner = {}
    for e in node.edges:
        inner[e] = fresh_name(e, taken)
        taken.add(inner[e])
    dims = node.dims
    deltas = [Delta(dims[e], e, inner[e], fresh[e]) for e in node.edges]
    return Product([fprime.rename(inner)] + deltas, list(node.edges) + [fresh[e] for e in node.edges])


def elementwise(name: str, fprime: Callable, numeric: Callable, code: str, scalar=None, params_default=(),
                domain: str = "real", description: str = "", n_params: int = 0, **facts):
    """Register an elementwise function and return its public `tg.<name>`.

    `fprime(node)` is its derivative as an expression in the node (`node.arg` is the
    argument); `numeric(xp, x, *params)` its value on arrays of the module `xp`;
    `code` its export template; `scalar(x, *params)` its value on a float. It takes one
    tensor and up to `n_params` numbers (`params_default` when none given). `domain`
    ("real", "positive", "nonzero") says where the function is smooth; the test-suite
    samples inputs from it. `facts` are further `FunctionSpec` fields (`latex`,
    `positive`, `backends`, `aliases`, `smooth`, `letter`, ...)."""
    spec = register(FunctionSpec(
        name=name,
        jacobian=lambda node, fresh: hadamard_jacobian(node, fprime(node), fresh),
        numeric=lambda xp, x, axes, params: numeric(xp, x, *params),
        code=code,
        scalar=scalar,
        description=description,
        n_params=n_params,
        params_default=tuple(params_default),
        domain=domain,
        **facts,
    ))

    def apply(t: Tensor, *params) -> Tensor:
        if not isinstance(t, Tensor):
            raise TypeError(f"{name} expects a tensorgrad expression, got {type(t).__name__}")
        if len(params) > max(n_params, len(params_default)):
            raise TypeError(f"tg.{name} takes one tensor{f' and {n_params} number(s)' if n_params else ''}, "
                            f"got {1 + len(params)} arguments")
        return Function(spec, t, (), params or params_default)

    apply.__name__ = name
    apply.__doc__ = f"Elementwise {name}."
    return apply


def _pow_prime(node: Function) -> Tensor:
    (p,) = node.params
    return scale(Function("pow", node.arg, (), (p - 1,)), p)


def _reciprocal(t: Tensor) -> Tensor:
    return Function("pow", t, (), (-1,))


def _pow_numeric(xp, x, p):
    if p == 0.5:
        return xp.sqrt(x)
    if p == -1:
        return 1.0 / x
    if float(p).is_integer():
        return x ** int(p)
    return x ** p


def _pow_scalar(x, p):
    return x ** p


exp = elementwise("exp", lambda n: n, lambda xp, x: xp.exp(x), "xp.exp({x})", math.exp, latex=r"\exp", positive=True)
log = elementwise("log", lambda n: _reciprocal(n.arg), lambda xp, x: xp.log(x), "xp.log({x})", math.log,
                  domain="positive", latex=r"\log", aliases=("ln",))
_pow = elementwise("pow", _pow_prime, _pow_numeric, "{x} ** {p}", _pow_scalar, domain="positive", n_params=1,
                   notation=None, random_tests=False)  # notation writes x.^p; the generator draws tg.pow itself


def pow(t: Tensor, p) -> Tensor:  # noqa: A001 - the public name is tg.pow
    """t ** p elementwise. `p` a number, or an expression: then t^p = exp(p log t)
    (t > 0), elementwise on shared edges and an outer product on the others.

    >>> import tensorgrad as tg
    >>> x = tg.Variable("x", "i"); s = tg.sum(x * x)
    >>> print(tg.to_matrix(tg.pow(s, s)))
    exp(log(‖x‖²) ‖x‖²)
    """
    _tensor_arg(t, "pow")
    if isinstance(p, Tensor):
        c = as_number(p) if not p.edges else None
        if c is None:
            return exp(hadamard(p, log(t)))
        p = c
    if not isinstance(p, numbers.Real) or isinstance(p, bool):
        raise TypeError(f"pow's exponent must be a number or a tensorgrad expression, got {type(p).__name__}")
    return _pow(t, p)


def sqrt(t: Tensor) -> Tensor:
    """Elementwise square root (the power 1/2)."""
    return pow(t, 0.5)


# ---------------------------------------------------------------------------
# More elementwise functions. Kinks follow one convention everywhere:
# relu'(0) = 0 (via step(0) = 0), abs'(0) = sign(0) = 0, sign' = step' = 0.
# ---------------------------------------------------------------------------

def _zero_prime(node: Function) -> Tensor:
    return Zero(node.edges, node.dim_symbols)


def _negated(node: Function) -> Tensor:
    return Function(node.spec, scale(node.arg, -1), node.core, node.params)


def _sigmoid_numeric(xp, x):
    # exp(-log(1 + exp(-x))): finite and accurate for every real x, never overflows
    return xp.exp(-xp.logaddexp(0.0, -x))


def _sigmoid_scalar(x):
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


def _softplus_scalar(x):
    return max(x, 0.0) + math.log1p(math.exp(-math.fabs(x)))


def _sign_scalar(x):
    return float((x > 0) - (x < 0))


# tanh' = 1 - tanh² = sech²: ONE factor rather than a sum, so that the derivative of a
# depth-L tanh network stays one term per path instead of expanding into 2^L terms.
# sech, not cosh⁻²: sech' = -sech tanh is finite for every real x, where cosh⁻² gave
# tanh'' = -2 cosh⁻³ sinh = 0·inf = NaN beyond |x| ≈ 710.
tanh = elementwise("tanh", lambda n: Function("pow", Function("sech", n.arg), (), (2,)),
                   lambda xp, x: xp.tanh(x), "xp.tanh({x})", math.tanh, latex=r"\tanh", letter="h")


def _sech_scalar(x):
    a = math.exp(-math.fabs(x))
    return 2 * a / (1 + a * a)


# 2 e^-|x| / (1 + e^-2|x|): 1/cosh without overflowing cosh
sech = elementwise("sech", lambda n: scale(hadamard(n, Function("tanh", n.arg)), -1),
                   lambda xp, x: 2 * xp.exp(-xp.abs(x)) / (1 + xp.exp(-2 * xp.abs(x))),
                   "2 * xp.exp(-xp.abs({x})) / (1 + xp.exp(-2 * xp.abs({x})))", _sech_scalar,
                   description="hyperbolic secant 1 / cosh(x)")
cosh = elementwise("cosh", lambda n: Function("sinh", n.arg), lambda xp, x: xp.cosh(x), "xp.cosh({x})", math.cosh,
                   latex=r"\cosh")
sinh = elementwise("sinh", lambda n: Function("cosh", n.arg), lambda xp, x: xp.sinh(x), "xp.sinh({x})", math.sinh,
                   latex=r"\sinh")
# σ'(x) = σ(x) σ(-x) = σ(1 - σ), kept as ONE product so that Hessians stay one term
sigmoid = elementwise("sigmoid", lambda n: hadamard(n, _negated(n)), _sigmoid_numeric,
                      "xp.exp(-xp.logaddexp(0.0, -{x}))", _sigmoid_scalar,
                      description="logistic function 1 / (1 + exp(-x))", latex=r"\sigma", positive=True, letter="s",
                      backends={"torch": "torch.sigmoid({x})"})
softplus = elementwise("softplus", lambda n: Function("sigmoid", n.arg), lambda xp, x: xp.logaddexp(0.0, x),
                       "xp.logaddexp(0.0, {x})", _softplus_scalar, description="log(1 + exp(x)), stable",
                       positive=True, letter="q", backends={"torch": "torch.nn.functional.softplus({x})"})
step = elementwise("step", _zero_prime, lambda xp, x: (x > 0) * 1.0, "({x} > 0) * 1.0",
                   lambda x: float(x > 0), domain="nonzero", description="Heaviside step, step(0) = 0",
                   smooth=False, backends={"torch": "({x} > 0).to({x}.dtype)"})
relu = elementwise("relu", lambda n: Function("step", n.arg), lambda xp, x: xp.maximum(x, 0.0) * 1.0,
                   "xp.maximum({x}, 0.0)", lambda x: max(x, 0.0), domain="nonzero", smooth=False, letter="h",
                   backends={"torch": "torch.relu({x})"})
sign = elementwise("sign", _zero_prime, lambda xp, x: xp.sign(x) * 1.0, "xp.sign({x})", _sign_scalar,
                   domain="nonzero", smooth=False)
abs = elementwise("abs", lambda n: Function("sign", n.arg), lambda xp, x: xp.abs(x) * 1.0, "xp.abs({x})",
                  math.fabs, domain="nonzero", smooth=False)  # noqa: A001 - the public name is tg.abs
sin = elementwise("sin", lambda n: Function("cos", n.arg), lambda xp, x: xp.sin(x), "xp.sin({x})", math.sin,
                  latex=r"\sin")
cos = elementwise("cos", lambda n: scale(Function("sin", n.arg), -1), lambda xp, x: xp.cos(x), "xp.cos({x})",
                  math.cos, latex=r"\cos")


# erf(x) = 2/√π ∫₀ˣ exp(-t²) dt; NumPy has no erf, so its template maps math.erf (exact to
# double precision) and the other backends name their own (docs/adding_a_function.md)
erf = elementwise(
    "erf", lambda n: (2 / math.sqrt(math.pi)) * exp(-pow(n.arg, 2)),
    lambda xp, x: xp.vectorize(math.erf, otypes=[float])(x),
    "np.vectorize(math.erf, otypes=[float])({x})", math.erf,
    description="error function 2/√π ∫₀ˣ exp(-t²) dt", latex=r"\operatorname{erf}",
    backends={"torch": "torch.special.erf({x})", "jax": "jax.scipy.special.erf({x})",
              "cupy": "cupyx.scipy.special.erf({x})",
              "dask": "da.map_blocks(np.vectorize(math.erf, otypes=[float]), {x}, dtype=float)"},
    imports={"numpy": "import math", "dask": "import math", "jax": "import jax.scipy.special",
             "cupy": "import cupyx.scipy.special"})


# ---------------------------------------------------------------------------
# Functions along edges. Core edges are the edges a function acts along; every
# other edge of the argument is a batch edge (the function is applied per entry).
# ---------------------------------------------------------------------------

def _batch_joined(node: Function, factors: list, fresh: dict) -> Tensor:
    """Join the batch edges of `factors` (named as in node.arg) with the Jacobian's
    batch edges b (output side) and fresh[b] (argument side) by copy tensors: the
    Jacobian of a batched function is block-diagonal over its batch edges."""
    edges = list(node.edges) + [fresh[e] for e in node.arg.edges]
    batch = [e for e in node.arg.edges if e not in node.core]
    taken = set(edges) | {e for f in factors for e in f.edges}
    dims = node.arg.dims
    factors, deltas = list(factors), []
    for b in batch:
        inner = []
        for k, f in enumerate(factors):
            if b in f.edges:
                name = fresh_name(b, taken)
                taken.add(name)
                inner.append(name)
                factors[k] = f.rename({b: name})
        deltas.append(Delta(dims[b], b, fresh[b], *inner))
    return Product(factors + deltas, edges)


def _moved(xp, x, axes):
    """x with its two core axes moved last (batch axes first, in order)."""
    return xp.moveaxis(x, axes, (-2, -1))


def _softmax_numeric(xp, x, axes, params):
    z = x - xp.max(x, axis=axes, keepdims=True)  # max-shift: exp never overflows
    e = xp.exp(z)
    return e / xp.sum(e, axis=axes, keepdims=True)


def _logsumexp_numeric(xp, x, axes, params):
    m = xp.max(x, axis=axes, keepdims=True)
    m = xp.where(xp.isfinite(m), m, 0.0)
    return xp.squeeze(m, axis=axes) + xp.log(xp.sum(xp.exp(x - m), axis=axes))


def _softmax_jacobian(node: Function, fresh: dict) -> Tensor:
    # ∂p_i/∂z_i' = p_i δ_ii' - p_i p_i' (per batch entry)
    (c,) = node.core
    diag = hadamard_jacobian(node, node, fresh)
    outer = _batch_joined(node, [node, node.rename({c: fresh[c]})], fresh)
    return Sum((diag, outer), (1, -1))


def _logsumexp_jacobian(node: Function, fresh: dict) -> Tensor:
    # ∂ lse(z)/∂z_i' = softmax(z)_i'
    (c,) = node.core
    p = Function("softmax", node.arg, node.core)
    return _batch_joined(node, [p.rename({c: fresh[c]})], fresh)


def _inverse_of(node: Function) -> Function:
    return Function("inverse", node.arg, node.core)


def _det_jacobian(node: Function, fresh: dict) -> Tensor:
    # ∂ det X/∂X = det(X) X⁻ᵀ, and inverse(X) already is X⁻ᵀ in core order
    a, b = node.core
    return _batch_joined(node, [node, _inverse_of(node).rename({a: fresh[a], b: fresh[b]})], fresh)


def _logdet_jacobian(node: Function, fresh: dict) -> Tensor:
    # ∂ log|det X|/∂X = X⁻ᵀ
    a, b = node.core
    return _batch_joined(node, [_inverse_of(node).rename({a: fresh[a], b: fresh[b]})], fresh)


def _inverse_jacobian(node: Function, fresh: dict) -> Tensor:
    # Y = X⁻ᵀ: ∂Y[a,b]/∂X[a',b'] = -Y[a,b'] Y[a',b] (d X⁻¹ = -X⁻¹ dX X⁻¹, transposed)
    a, b = node.core
    J = _batch_joined(node, [node.rename({b: fresh[b]}), node.rename({a: fresh[a]})], fresh)
    return scale(J, -1)


def _det_numeric(xp, x, axes, params):
    return xp.linalg.det(_moved(xp, x, axes))


def _logdet_numeric(xp, x, axes, params):
    return xp.linalg.slogdet(_moved(xp, x, axes))[1]


def _inverse_numeric(xp, x, axes, params):
    inv = xp.linalg.inv(_moved(xp, x, axes))
    return xp.moveaxis(xp.swapaxes(inv, -1, -2), (-2, -1), axes)


register(FunctionSpec(
    "softmax", _softmax_jacobian, _softmax_numeric,
    "xp.exp({x} - xp.max({x}, axis={axes}, keepdims=True)) / xp.sum(xp.exp({x} - xp.max({x}, axis={axes}, keepdims=True)), axis={axes}, keepdims=True)",
    n_core=1, description="exp(z_i) / Σ_i exp(z_i) along the core edge, max-shifted", positive=True, letter="p"))
register(FunctionSpec(
    "logsumexp", _logsumexp_jacobian, _logsumexp_numeric,
    "(lambda m: xp.squeeze(m, axis={axes}) + xp.log(xp.sum(xp.exp({x} - m), axis={axes})))(xp.max({x}, axis={axes}, keepdims=True))",
    n_core=1, consumes_core=True, description="log Σ_i exp(z_i) along the core edge, max-shifted", letter="c"))
register(FunctionSpec(
    "det", _det_jacobian, _det_numeric, "xp.linalg.det(xp.moveaxis({x}, {axes}, (-2, -1)))",
    n_core=2, consumes_core=True, symmetric_core=True, description="determinant over the two core edges",
    domain="matrix", latex=r"\det"))
register(FunctionSpec(
    "logdet", _logdet_jacobian, _logdet_numeric, "xp.linalg.slogdet(xp.moveaxis({x}, {axes}, (-2, -1)))[1]",
    n_core=2, consumes_core=True, symmetric_core=True,
    description="log |det X| over the two core edges (equals log det X where det X > 0)",
    domain="matrix", latex=r"\log\det"))
register(FunctionSpec(
    "inverse", _inverse_jacobian, _inverse_numeric,
    "xp.moveaxis(xp.swapaxes(xp.linalg.inv(xp.moveaxis({x}, {axes}, (-2, -1))), -1, -2), (-2, -1), {axes})",
    n_core=2, symmetric_core=True,
    description="X⁻ᵀ in core-edge order: the Y with Σ_j X[i,j] Y[k,j] = δ[i,k]",
    domain="matrix", notation="inv", aliases=("inverse",), transposed=True))


def _tensor_arg(t, name):
    if not isinstance(t, Tensor):
        raise TypeError(f"{name} expects a tensorgrad expression, got {type(t).__name__}")


def _along(t: Tensor, edge, name: str) -> Function:
    _tensor_arg(t, name)
    if not isinstance(edge, str):
        raise TypeError(f"{name} needs the name of the edge to act along, got {edge!r}")
    if edge not in t.edges:
        raise ValueError(f"{name}: edge {edge!r} is not an edge of {t} (edges {t.edges})")
    return Function(name, t, (edge,))


def softmax(t: Tensor, edge: str) -> Tensor:
    """Softmax along `edge` (other edges are batch edges); same edges as `t`.

    >>> import tensorgrad as tg
    >>> tg.softmax(tg.Variable("z", "i", "b"), "i").edges
    ('i', 'b')
    """
    return _along(t, edge, "softmax")


def logsumexp(t: Tensor, edge: str) -> Tensor:
    """log Σ exp along `edge`, which it consumes (other edges are batch edges).

    >>> import tensorgrad as tg
    >>> tg.logsumexp(tg.Variable("z", "i", "b"), "i").edges
    ('b',)
    """
    return _along(t, edge, "logsumexp")


def _square(t: Tensor, name: str, core) -> tuple:
    _tensor_arg(t, name)
    if core is None:
        if len(t.edges) != 2:
            raise ValueError(f"{name} needs a tensor with two edges (or core=(edge, edge)), {t} has {t.edges}")
        core = t.edges
    core = tuple(core)
    if len(core) != 2 or core[0] == core[1] or any(e not in t.edges for e in core):
        raise ValueError(f"{name}: core must name two distinct edges of {t} (edges {t.edges}), got {core}")
    da, db = t.dims[core[0]], t.dims[core[1]]
    if da != db:
        raise ValueError(f"{name} needs two edges of one dimension: edge {core[0]!r} has {da!r}, edge {core[1]!r} has {db!r}"
                         f"{SQUARE_HINT}")
    return core


def det(t: Tensor, core=None) -> Tensor:
    """Determinant over two edges of one dimension (`core`, default: the only two edges).

    >>> import tensorgrad as tg
    >>> tg.det(tg.Variable("X", i="n", j="n")).edges
    ()
    """
    return Function("det", t, _square(t, "det", core))


def logdet(t: Tensor, core=None) -> Tensor:
    """log |det t| over two edges of one dimension; log det t where det t > 0."""
    return Function("logdet", t, _square(t, "logdet", core))


def inverse(t: Tensor, core=None) -> Tensor:
    """Matrix inverse with the same edge names: for X with edges (i, j) it evaluates,
    in axis order (i, j), to inv(X).T, i.e. Σ_j X[i,j] Y[k,j] = δ[i,k].

    >>> import tensorgrad as tg
    >>> tg.inverse(tg.Variable("X", i="n", j="n")).edges
    ('i', 'j')
    """
    return Function("inverse", t, _square(t, "inverse", core))


# Closed-form simplification rules for these functions register themselves.
from . import closed_forms  # noqa: E402,F401
