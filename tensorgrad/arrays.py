"""Which array library a value comes from: NumPy, torch, JAX, Dask or CuPy.

Detection goes through array-api-compat when it is installed (its `is_*_array`
tests never import a library that is not already loaded); without it, by the module
that defines the value's type. No array library is imported here.

>>> import numpy as np
>>> kind_of(np.ones(2)), kind_of(3.0), kind_of([1, 2])
('numpy', 'numpy', 'numpy')
>>> library_of({"a": np.ones(2), "b": 2.0})
'numpy'
"""

from __future__ import annotations

KINDS = ("numpy", "torch", "jax", "dask", "cupy")
_MODULE = {"torch": "torch", "jax": "jax", "jaxlib": "jax", "dask": "dask", "cupy": "cupy", "numpy": "numpy"}


def kind_of(x) -> str:
    """The library of one value; Python numbers, lists and NumPy arrays are "numpy"."""
    try:
        import array_api_compat as compat
    except ImportError:
        compat = None
    if compat is not None:
        for kind in ("torch", "jax", "dask", "cupy"):
            if getattr(compat, f"is_{kind}_array")(x):
                return kind
        return "numpy"
    return _MODULE.get(type(x).__module__.split(".")[0], "numpy")


def library_of(values) -> str:
    """The one library all `values` (a mapping name or Variable -> array) come from;
    Python numbers go with any. Mixed libraries are a TypeError naming two of them."""
    found = None
    for key, x in values.items():
        name = getattr(key, "name", key)
        if isinstance(x, (int, float, bool, complex)):
            continue
        kind = kind_of(x)
        if found is None:
            found = (kind, name)
        elif kind != found[0]:
            raise TypeError(f"all values must come from one array library: {found[1]!r} is a {found[0]} array "
                            f"but {name!r} is a {kind} array")
    return found[0] if found else "numpy"
