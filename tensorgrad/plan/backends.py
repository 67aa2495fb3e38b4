"""How each backend (numpy, torch, jax, dask, cupy) spells the primitives of generated
code. Only names of modules appear here: no array library is imported."""

from __future__ import annotations

import keyword
import math
import numbers
import re
import unicodedata

# ---------------------------------------------------------------------------
# Backends: how to spell each primitive
# ---------------------------------------------------------------------------

class _Backend:
    name = "numpy"  # the key of FunctionSpec.backends / FunctionSpec.imports
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

    def eye_mask(self, n, dtype):
        """A boolean identity (on the device of the array whose dtype is `dtype`)."""
        return f"{self.mod}.eye({n}, dtype=bool)"

    def where(self, mask, code):
        """`code` where `mask`, else 0 (never multiplies: inf stays where it is)."""
        return f"{self.mod}.where({mask}, {code}, 0.0)"

    def det(self, m, ndim):
        return f"{self.linalg}.det({m})"

    def logdet(self, m, ndim):
        return f"{self.linalg}.slogdet({m})[1]"

    def copy(self, code):
        return f"{code}.copy()"

    def promote(self, v):
        """A statement making `v` floating point, or None when `asarray` already did."""
        return None

    def fresh(self, code, params):
        """Statements making `code` (a name) an array that shares no memory with the
        parameters; empty for immutable arrays."""
        return [f"if any(np.may_share_memory({code}, p) for p in ({''.join(p + ', ' for p in params)})):",
                f"    {code} = {code}.copy()"]

    def full(self, shape, value, dtype):
        return f"{self.mod}.full({shape}, {value}, dtype={dtype})"

    def broadcast(self, code, shape):
        return f"{self.mod}.broadcast_to({code}, {shape}).copy()"

    def scalar_out(self, code, dtype=None):
        return f"np.asarray({code}{', dtype=' + dtype if dtype else ''})"

    def max(self, code, axis, keepdims):
        return f"{code}.max({axis}{', keepdims=True' if keepdims else ''})"

    def sum_axis(self, code, axis, keepdims):
        return f"{code}.sum({axis}{', keepdims=True' if keepdims else ''})"

    def moveaxis(self, code, src, dst):
        return f"{self.mod}.moveaxis({code}, {tuple(src)}, {tuple(dst)})"

    linalg = "np.linalg"
    inplace_diag = True  # write into diagonal views (np.einsum('ii->i', out)[...] = v)

    def fn(self, name, x):
        """Primitive maps the generator uses besides registered functions."""
        return {"log1p": f"{self.mod}.log1p({x})", "sqrt": f"{self.mod}.sqrt({x})"}[name]


class _Torch(_Backend):
    name = "torch"
    mod = "torch"
    header = "import torch"
    inplace_diag = False

    def asarray(self, v):
        return f"torch.as_tensor({v})"

    def promote(self, v):
        return f"{v} = {v} if {v}.is_floating_point() or {v}.is_complex() else {v}.to(torch.float64)"

    @staticmethod
    def _device(dtype):  # "A.dtype" -> ", device=A.device": constants live where the inputs do
        return f", device={dtype[:-6]}.device" if dtype.endswith(".dtype") else ""

    def zeros(self, shape, dtype):
        return f"torch.zeros({shape}, dtype={dtype}{self._device(dtype)})"

    def ones(self, n, dtype):
        return f"torch.ones({n}, dtype={dtype}{self._device(dtype)})"

    def eye(self, n, dtype):
        return f"torch.eye({n}, dtype={dtype}{self._device(dtype)})"

    def full(self, shape, value, dtype):
        return f"torch.full({shape}, {value}, dtype={dtype}{self._device(dtype)})"

    def eye_mask(self, n, dtype):
        return f"torch.eye({n}, dtype=torch.bool{self._device(dtype)})"

    def copy(self, code):
        return f"{code}.clone()"

    def fresh(self, code, params):
        ptrs = "".join(f"{p}.untyped_storage().data_ptr(), " for p in params)
        return [f"if {code}.untyped_storage().data_ptr() in ({ptrs}):", f"    {code} = {code}.clone()"]

    def transpose(self, code, perm):
        if list(perm) == [1, 0]:
            return f"{code}.T"
        return f"{code}.permute({tuple(perm)})"

    def tensordot(self, a, b, ia, ib):
        return f"torch.tensordot({a}, {b}, dims=({list(ia)}, {list(ib)}))"

    def broadcast(self, code, shape):
        return f"{code}.expand({shape}).clone()"

    def scalar_out(self, code, dtype=None):
        return f"torch.as_tensor({code}{', dtype=' + dtype if dtype else ''})"

    def max(self, code, axis, keepdims):
        return f"{code}.amax({axis}{', keepdim=True' if keepdims else ''})"

    def sum_axis(self, code, axis, keepdims):
        return f"{code}.sum({axis}{', keepdim=True' if keepdims else ''})"

    linalg = "torch.linalg"

class _Jax(_Backend):
    name = "jax"
    mod = "jnp"
    header = "import jax.numpy as jnp"
    inplace_diag = False

    def asarray(self, v):
        return f"jnp.asarray({v})"

    def promote(self, v):
        return f"{v} = {v} if jnp.issubdtype({v}.dtype, jnp.inexact) else {v}.astype(jnp.result_type(float))"

    def copy(self, code):
        return code  # jax arrays are immutable

    def fresh(self, code, params):
        return []

    def broadcast(self, code, shape):
        return f"jnp.broadcast_to({code}, {shape})"

    def scalar_out(self, code, dtype=None):
        return f"jnp.asarray({code}{', dtype=' + dtype if dtype else ''})"

    linalg = "jnp.linalg"


class _Dask(_Backend):
    """dask.array: lazy and chunked; every operation is a dask graph, so a product of a
    tall chunked matrix streams chunk by chunk. det/logdet of a (small) matrix run
    NumPy's on one chunk."""
    name = "dask"
    mod = "da"
    header = "import numpy as np\nimport dask.array as da"
    linalg = "da.linalg"
    inplace_diag = False

    def asarray(self, v):
        return f"da.asarray({v})"

    def promote(self, v):
        return f"{v} = {v} if np.issubdtype({v}.dtype, np.inexact) else {v}.astype(np.result_type({v}.dtype, 1.0))"

    def broadcast(self, code, shape):
        return f"da.broadcast_to({code}, {shape})"

    def scalar_out(self, code, dtype=None):
        return f"da.asarray({code}{', dtype=' + dtype if dtype else ''})"

    def _on_blocks(self, fn, m, ndim):
        core = {ndim - 2: -1, ndim - 1: -1}
        return (f"da.map_blocks(lambda a: {fn}, {_paren(m)}.rechunk({core}), "
                f"drop_axis=({ndim - 2}, {ndim - 1}), dtype={_paren(m)}.dtype)")

    def det(self, m, ndim):
        return self._on_blocks("np.linalg.det(a)", m, ndim)

    def logdet(self, m, ndim):
        return self._on_blocks("np.linalg.slogdet(a)[1]", m, ndim)

    def copy(self, code):
        return code  # dask arrays are immutable

    def fresh(self, code, params):
        return []


class _Cupy(_Backend):
    """CuPy mirrors NumPy's spelling on the GPU."""
    name = "cupy"
    mod = "cp"
    header = "import cupy as cp"
    linalg = "cp.linalg"
    inplace_diag = False

    def asarray(self, v):
        return f"cp.asarray({v}, dtype=cp.result_type({v}, 1.0))"

    def scalar_out(self, code, dtype=None):
        return f"cp.asarray({code}{', dtype=' + dtype if dtype else ''})"

    def fresh(self, code, params):
        return [f"if any(cp.may_share_memory({code}, p) for p in ({''.join(p + ', ' for p in params)})):",
                f"    {code} = {code}.copy()"]


def _paren(code: str) -> str:
    return code if code.isidentifier() else f"({code})"


_BACKENDS = {"numpy": _Backend(), "torch": _Torch(), "jax": _Jax(), "dask": _Dask(), "cupy": _Cupy()}


#: module names generated code imports (never available as a generated name)
MODULE_NAMES = frozenset({"np", "torch", "jnp", "jax", "da", "dask", "cp", "cupy", "cupyx", "numpy", "math", "scipy"})


def _ident(s: str) -> str:
    """An ASCII Python identifier readable as `s`: no user string reaches generated
    source unescaped, and ASCII names are what Python sees (identifiers are
    NFKC-normalised, so a full-width `ｅｘｐ` would otherwise *be* the name `exp`).
    Callers still make the result unique (`_Emitter.fresh`).

    >>> _ident("ｅｘｐ"), _ident("θ"), _ident("a\\nb"), _ident("1x"), _ident("if")
    ('exp', 'theta', 'a_b', 'v_1x', 'if_')
    """
    out = []
    for c in unicodedata.normalize("NFKC", s):
        if c.isascii():
            out.append(c if c.isalnum() or c == "_" else "_")
        elif c.isalpha():  # a letter by its name: θ -> theta
            word = unicodedata.name(c, "_").split()[-1].lower()
            out.append(word if word.isascii() and word.isalnum() else "_")
        else:
            out.append("_")
    s = "".join(out)
    if not s or s[0].isdigit():
        s = "v_" + s
    return s + "_" if keyword.iskeyword(s) else s


def _num(w) -> str:
    """A real, finite number as a Python literal (NumPy scalars become plain numbers,
    so no module name is needed to read it back)."""
    if isinstance(w, bool) or not isinstance(w, numbers.Real):
        raise TypeError(f"generated code takes real numbers, got {w!r}")
    w = int(w) if isinstance(w, numbers.Integral) else float(w)
    if isinstance(w, float):
        if not math.isfinite(w):
            raise ValueError(f"generated code takes finite numbers, got {w!r}")
        if w.is_integer() and abs(w) < 1e15:
            w = int(w)
    return repr(w)


def comment(text: str) -> str:
    """`text` safe inside a `#` comment: every character that is not printable (line
    breaks, carriage returns, NUL, U+2028, ...) written as its escape.

    >>> print(comment("g\\nimport os\\r\\u2028"))
    g\\nimport os\\r\\u2028
    """
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
