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
from dataclasses import dataclass, field
from typing import Callable

from .expr import FUNCTIONS, Delta, Function, Product, Sum, Tensor, fresh_name, scale


@dataclass(frozen=True)
class FunctionSpec:
    """How one function behaves.

    * `jacobian(node, fresh)` -> tensor with edges `node.edges` + `fresh[e]` for each
      edge `e` of `node.arg`: the derivative of the node with respect to its argument.
    * `numeric(xp, x, axes, params)` -> array: `x` is the argument in `arg.edges`
      order, `axes` the positions of the core edges; the result is in `node.edges` order.
    * `code`: template for exported code, `{x}` the argument, `{axes}` the core axes,
      `{p}` the first parameter, `xp` the array module.
    """

    name: str
    jacobian: Callable
    numeric: Callable
    code: str
    n_core: int = 0
    consumes_core: bool = False
    symmetric_core: bool = False  # does swapping the core edges leave the function unchanged?
    scalar: Callable | None = None  # float -> float, used to fold constants
    description: str = ""
    extra: dict = field(default_factory=dict)

    def check_arg(self, node: Function):
        if len(node.core) != self.n_core:
            raise ValueError(f"{self.name} acts along {self.n_core} edge(s), got {node.core}")
        dims = {node.arg.dims[e] for e in node.core}
        if self.n_core == 2 and len(dims) != 1:
            raise ValueError(f"{self.name} needs two edges of one dimension, got {node.core} with dimensions {sorted(dims)}")


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


def elementwise(name: str, fprime: Callable, numeric: Callable, code: str, scalar=None, params_default=()):
    """Register an elementwise function; `fprime(node)` is its derivative as an expression."""
    spec = register(FunctionSpec(
        name=name,
        jacobian=lambda node, fresh: hadamard_jacobian(node, fprime(node), fresh),
        numeric=lambda xp, x, axes, params: numeric(xp, x, *params),
        code=code,
        scalar=scalar,
    ))

    def apply(t: Tensor, *params) -> Tensor:
        if not isinstance(t, Tensor):
            raise TypeError(f"{name} expects a tensorgrad expression, got {type(t).__name__}")
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


exp = elementwise("exp", lambda n: n, lambda xp, x: xp.exp(x), "xp.exp({x})", math.exp)
log = elementwise("log", lambda n: _reciprocal(n.arg), lambda xp, x: xp.log(x), "xp.log({x})", math.log)
pow = elementwise("pow", _pow_prime, _pow_numeric, "{x} ** {p}", _pow_scalar)


def sqrt(t: Tensor) -> Tensor:
    """Elementwise square root (the power 1/2)."""
    return pow(t, 0.5)
