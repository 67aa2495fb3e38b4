"""tensorgrad: symbolic derivatives of tensor expressions as tensor networks.

>>> import tensorgrad as tg
>>> x = tg.Variable("x", "i")
>>> tg.equivalent(tg.grad(x @ x, x), 2 * x)
True
"""

from .canonical import canonical_key
from .composite import clip, diag, einsum, kron, log_softmax, max, maximum, mean, min, minimum, var  # noqa: A004
from .derivative import derivative, grad, hessian, unevaluated
from .directional import hvp, jvp, vjp
from .draw import draw, draw_steps
from .evaluate import evaluate
from .expectation import expectation
from .export import compile, to_code  # noqa: A004 - tg.compile is the public name
from .expr import Delta, Derivative, Function, Product, Sum, Tensor, Variable, Zero
from .closed_forms import assume_positive, assume_sums_to_one, forget_assumptions
from .functions import (abs, cos, cosh, det, erf, exp, inverse, log, logdet, logsumexp, pow, relu, sigmoid,  # noqa: A004
                        sech, sign, sin, sinh, softmax, softplus, sqrt, step, tanh)
from .notation.parse import NotationError, parse
from .notation.printing import to_latex, to_matrix
from .ops import delta, norm, ones, sum, trace, zeros
from .simplify import equivalent, simplify
from . import display as _display

_display.install(Tensor)  # notebook display hooks (_repr_latex_, _repr_svg_, ...), kept out of the core

__all__ = [
    "Tensor", "Variable", "Delta", "Zero", "Product", "Sum", "Function", "Derivative",
    "delta", "ones", "zeros", "sum", "trace", "norm",
    "exp", "log", "sqrt", "pow", "tanh", "sigmoid", "softplus", "relu", "abs", "sign", "sin", "cos",
    "cosh", "sinh", "sech", "step", "erf", "forget_assumptions",
    "softmax", "logsumexp", "det", "logdet", "inverse", "assume_positive", "assume_sums_to_one",
    "log_softmax", "mean", "var", "max", "min", "maximum", "minimum", "clip", "diag", "einsum", "kron",
    "derivative", "grad", "hessian", "unevaluated", "jvp", "vjp", "hvp", "expectation",
    "simplify", "equivalent", "canonical_key", "evaluate",
    "to_code", "compile",
    "draw", "draw_steps",
    "parse", "NotationError", "to_matrix", "to_latex",
]
