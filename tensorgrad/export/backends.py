"""How each backend (numpy, torch, jax) spells the primitives of generated code."""

from __future__ import annotations

import keyword
import re

# ---------------------------------------------------------------------------
# Backends: how to spell each primitive
# ---------------------------------------------------------------------------

class _Backend:
    mod = "np"
    header = "import numpy as np"

    def asarray(self, v):
        # integers and booleans become floats (results are written into arrays of this type)
        return f"np.asarray({v}, dtype=np.result_type({v}, 1.0))"

    def transpose(self, code, perm):
        if list(perm) == [1, 0]:
            return f"{code}.T"
        return f"{code}.transpose({tuple(perm)})"

    def einsum(self, spec, *codes):
        return f"{self.mod}.einsum({spec!r}, {', '.join(codes)})"

    def tensordot(self, a, b, ia, ib):
        return f"{self.mod}.tensordot({a}, {b}, axes=({list(ia)}, {list(ib)}))"

    def sum(self, code, axes):
        return f"{code}.sum({tuple(axes)})"

    def zeros(self, shape, dtype):
        return f"{self.mod}.zeros({shape}, dtype={dtype})"

    def ones(self, n, dtype):
        return f"{self.mod}.ones({n}, dtype={dtype})"

    def eye(self, n, dtype):
        return f"{self.mod}.eye({n}, dtype={dtype})"

    def full(self, shape, value, dtype):
        return f"{self.mod}.full({shape}, {value}, dtype={dtype})"

    def broadcast(self, code, shape):
        return f"{self.mod}.broadcast_to({code}, {shape}).copy()"

    def scalar_out(self, code):
        return f"np.asarray({code})"

    def max(self, code, axis, keepdims):
        return f"{code}.max({axis}{', keepdims=True' if keepdims else ''})"

    def sum_axis(self, code, axis, keepdims):
        return f"{code}.sum({axis}{', keepdims=True' if keepdims else ''})"

    def moveaxis(self, code, src, dst):
        return f"{self.mod}.moveaxis({code}, {tuple(src)}, {tuple(dst)})"

    linalg = "np.linalg"
    inplace_diag = True  # write into diagonal views (np.einsum('ii->i', out)[...] = v)

    def fn(self, name, x, p=None):
        m = self.mod
        table = {
            "exp": f"{m}.exp({x})", "log": f"{m}.log({x})", "log1p": f"{m}.log1p({x})",
            "tanh": f"{m}.tanh({x})", "sin": f"{m}.sin({x})", "cos": f"{m}.cos({x})",
            "abs": f"{m}.abs({x})", "sign": f"{m}.sign({x})",
            "sqrt": f"{m}.sqrt({x})", "softplus": f"{m}.logaddexp(0.0, {x})",
            "sigmoid": f"{m}.exp(-{m}.logaddexp(0.0, -{x}))",
            "relu": f"{m}.maximum({x}, 0.0)", "step": f"({x} > 0) * 1.0",
        }
        return table.get(name)


class _Torch(_Backend):
    mod = "torch"
    header = "import torch"
    inplace_diag = False

    def asarray(self, v):
        return f"torch.as_tensor({v})"

    def transpose(self, code, perm):
        if list(perm) == [1, 0]:
            return f"{code}.T"
        return f"{code}.permute({tuple(perm)})"

    def tensordot(self, a, b, ia, ib):
        return f"torch.tensordot({a}, {b}, dims=({list(ia)}, {list(ib)}))"

    def broadcast(self, code, shape):
        return f"{code}.expand({shape}).clone()"

    def scalar_out(self, code):
        return f"torch.as_tensor({code})"

    def max(self, code, axis, keepdims):
        return f"{code}.amax({axis}{', keepdim=True' if keepdims else ''})"

    def sum_axis(self, code, axis, keepdims):
        return f"{code}.sum({axis}{', keepdim=True' if keepdims else ''})"

    linalg = "torch.linalg"

    def fn(self, name, x, p=None):
        special = {"softplus": f"torch.nn.functional.softplus({x})", "sigmoid": f"torch.sigmoid({x})",
                   "relu": f"torch.relu({x})", "step": f"({x} > 0).to({x}.dtype)"}
        return special.get(name) or super().fn(name, x, p)


class _Jax(_Backend):
    mod = "jnp"
    header = "import jax.numpy as jnp"
    inplace_diag = False

    def asarray(self, v):
        return f"jnp.asarray({v})"

    def broadcast(self, code, shape):
        return f"jnp.broadcast_to({code}, {shape})"

    def scalar_out(self, code):
        return f"jnp.asarray({code})"

    linalg = "jnp.linalg"


_BACKENDS = {"numpy": _Backend(), "torch": _Torch(), "jax": _Jax()}


def _ident(s: str) -> str:
    s = re.sub(r"\W", "_", s)
    if not s or s[0].isdigit():
        s = "v_" + s
    return s + "_" if keyword.iskeyword(s) else s


def _num(w) -> str:
    if isinstance(w, float) and w.is_integer() and abs(w) < 1e15:
        w = int(w)
    return repr(w)
