"""Immutable tensor-network nodes: Variable, Delta, Zero, Product, Sum, Function, Derivative.

A tensor has named free edges; each edge has a dimension symbol. Factors of a
`Product` that share an edge name are contracted over it. Edges internal to a
node (contracted edges of a product, edges a function consumes) are scoped to
that node: they are invisible outside and never clash with names elsewhere.

>>> A = Variable("A", i="m", j="n"); x = Variable("x", j="n")
>>> (A @ x).edges
('i',)
>>> A.rename(i="j", j="i") == A
False
"""

from __future__ import annotations

import itertools
import math
import numbers
from typing import Iterable, Mapping

Number = numbers.Number

# Function specs register themselves here (see functions.py) so that a Function
# node can be rebuilt from its name, e.g. by `repr`.
FUNCTIONS: dict = {}


def fresh_name(base: str, avoid) -> str:
    """A name starting with `base` that is not in `avoid`."""
    base = base.rstrip("0123456789_") or "e"
    for k in itertools.count():
        name = f"{base}_{k}"
        if name not in avoid:
            return name


def _is_number(x) -> bool:
    return isinstance(x, Number) and not isinstance(x, bool)


_FLOAT_MAX = 1.7976931348623157e308


def real_number(c, what: str = "a number"):
    """`c` as a plain Python int or float, checked real and finite (NumPy scalars
    become Python numbers). Expressions hold real, finite numbers only: an infinite,
    NaN or complex weight would make every later result meaningless.

    >>> real_number(1.5), real_number(__import__("numpy").int64(2))
    (1.5, 2)
    >>> real_number(float("inf"), "a weight")
    Traceback (most recent call last):
    ...
    ValueError: a weight must be a finite number, got inf
    """
    if isinstance(c, bool) or not isinstance(c, Number):
        raise TypeError(f"{what} must be a number, got {c!r}")
    if not isinstance(c, numbers.Real):
        raise TypeError(f"{what} must be a real number, got {c!r} (tensorgrad computes over the reals)")
    if isinstance(c, numbers.Integral):
        c = int(c)
        if abs(c) > _FLOAT_MAX:
            raise ValueError(f"{what} must be a finite number, got {c} (too large for a float64)")
        return c
    c = float(c)
    if not math.isfinite(c):
        raise ValueError(f"{what} must be a finite number, got {c!r}")
    return c


def _hash_bottom_up(root: "Tensor") -> None:
    """Hash every unhashed node under `root`, children first, without recursion (so
    an expression nested thousands deep hashes)."""
    stack = [root]
    while stack:
        n = stack[-1]
        pending = [c for c in n.children() if c._hash is None]
        if pending:
            stack.extend(pending)
            continue
        stack.pop()
        if n._hash is None:
            object.__setattr__(n, "_hash", hash((type(n).__name__, n.args)))


def _equal(a: "Tensor", b: "Tensor") -> bool:
    """Structural equality by an explicit stack (no recursion; shared pairs once)."""
    stack, seen = [(a, b)], set()
    while stack:
        a, b = stack.pop()
        if a is b or (id(a), id(b)) in seen:
            continue
        if type(a) is not type(b) or hash(a) != hash(b):
            return False
        k = a._CHILDREN_AT
        if k is None:
            if a.args != b.args:
                return False
        else:
            if a.args[:k] + a.args[k + 1:] != b.args[:k] + b.args[k + 1:]:
                return False
            ca, cb = a.children(), b.children()
            if len(ca) != len(cb):
                return False
            stack.extend(zip(ca, cb))
        seen.add((id(a), id(b)))
    return True


def _to_flat(root: "Tensor") -> list:
    """The distinct nodes under `root` as (class, args), children first, with each
    child in args replaced by its position in the list (root last)."""
    index, out, stack = {}, [], [(root, False)]
    while stack:
        n, ready = stack.pop()
        if id(n) in index:
            continue
        if not ready:
            stack.append((n, True))
            stack.extend((c, False) for c in n.children() if id(c) not in index)
            continue
        args, k = list(n.args), n._CHILDREN_AT
        if k is not None:
            args[k] = tuple(index[id(c)] for c in args[k]) if n._CHILDREN_MANY else index[id(args[k])]
        index[id(n)] = len(out)
        out.append((type(n), tuple(args)))
    return out


def _from_flat(records: list) -> "Tensor":
    nodes: list = []
    for cls, args in records:
        k = cls._CHILDREN_AT
        if k is not None:
            args = list(args)
            args[k] = tuple(nodes[j] for j in args[k]) if cls._CHILDREN_MANY else nodes[args[k]]
        nodes.append(cls(*args))
    return nodes[-1]


class Tensor:
    """Base class: free `edges` (ordered), their dimension symbols, and operators.

    Every node is its constructor call: `args` is the tuple with
    `type(t)(*t.args) == t`. Equality, hashing, pickling, `repr`, the children and
    `with_children` all derive from it, so a node kind lists its fields once.

    >>> A = Variable("A", i="m", j="n").rename(i="k")
    >>> A.args
    ('A', ('k', 'm', 'i'), ('j', 'n'))
    >>> type(A)(*A.args) == A
    True
    >>> A.dim_symbols
    ('m', 'n')
    """

    __slots__ = ("edges", "dim_symbols", "args", "_hash", "_cache")
    # position in `args` of the tensor children (one tensor, or a tuple when
    # `_CHILDREN_MANY`); None for leaves
    _CHILDREN_AT: int | None = None
    _CHILDREN_MANY = False

    def _init(self, edges: tuple, dim_symbols: tuple, args: tuple):
        # object.__setattr__: the immutability guard below is for users, not construction
        object.__setattr__(self, "edges", tuple(edges))
        object.__setattr__(self, "dim_symbols", tuple(dim_symbols))
        object.__setattr__(self, "args", args)
        object.__setattr__(self, "_hash", None)
        object.__setattr__(self, "_cache", {})

    # -- structure ---------------------------------------------------------
    @property
    def dims(self) -> dict:
        """Mapping free edge name -> dimension symbol (`dim_symbols` is the same in edge order)."""
        return dict(zip(self.edges, self.dim_symbols))

    def children(self) -> tuple:
        """The tensor children, in `args` order."""
        k = self._CHILDREN_AT
        if k is None:
            return ()
        return self.args[k] if self._CHILDREN_MANY else (self.args[k],)

    def with_children(self, children) -> "Tensor":
        """This node rebuilt from its `args` with new children (itself if they are equal)."""
        children = tuple(children)
        if children == self.children():
            return self
        args = list(self.args)
        if self._CHILDREN_MANY:
            args[self._CHILDREN_AT] = children
        else:
            (args[self._CHILDREN_AT],) = children
        return type(self)(*args)

    def __eq__(self, other):
        if self is other:
            return True
        if type(self) is not type(other) or hash(self) != hash(other):
            return False
        return _equal(self, other)

    def __hash__(self):
        if self._hash is None:
            if any(c._hash is None for c in self.children()):
                _hash_bottom_up(self)
            else:
                object.__setattr__(self, "_hash", hash((type(self).__name__, self.args)))
        return self._hash

    # NumPy defers to our operators (np.float64(2) * x is 2 * x) instead of
    # treating an expression as an array
    __array_ufunc__ = None

    def __reduce__(self):
        # pickle and copy rebuild from the constructor calls, listed children first
        # (flat: a network nested thousands deep pickles; shared nodes stay shared);
        # caches are not carried
        return (_from_flat, (_to_flat(self),))

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __bool__(self):
        return True

    # -- renaming ----------------------------------------------------------
    def rename(self, mapping: Mapping[str, str] | None = None, **kwargs) -> "Tensor":
        """Rename free edges simultaneously: `X.rename(i="j", j="i")` is the transpose.

        >>> Variable("x", "i").rename(i="k").edges
        ('k',)
        """
        mapping = dict(mapping or {}, **kwargs)
        for old, new in mapping.items():
            if old not in self.edges:
                raise ValueError(f"cannot rename edge {old!r}: not a free edge of {self} (edges {self.edges})")
            if not isinstance(new, str) or not new:
                raise TypeError(f"new name for edge {old!r} must be a non-empty string, got {new!r}")
        mapping = {o: n for o, n in mapping.items() if o != n}
        if not mapping:
            return self
        result = [mapping.get(e, e) for e in self.edges]
        if len(set(result)) != len(result):
            clash = sorted({e for e in result if result.count(e) > 1})
            raise ValueError(f"renaming {mapping} would give {self} the edge {clash[0]!r} twice")
        return self._rename(mapping)

    def _rename(self, mapping: dict) -> "Tensor":
        """Rename with a validated mapping (only free edges, result unique).

        Renaming keeps everything that does not depend on free edge names, so the
        new node inherits the name-blind caches (structure hash, variables)."""
        mapping = {e: n for e, n in mapping.items() if e != n}
        if not mapping:
            return self
        # memoised per node: a shared sub-network renamed the same way in many
        # places (every Jacobian factor of a deep network) is renamed once, and the
        # copies stay one object, so later passes see the sharing too
        memo = self._cache.get("renamed")
        if memo is None:
            memo = self._cache["renamed"] = {}
        key = tuple(sorted(mapping.items()))
        out = memo.get(key)
        if out is not None:
            return out
        out = memo[key] = self._rename_impl(mapping)
        if "vars" in self._cache:
            out._cache.setdefault("vars", self._cache["vars"])
        structure = self._cache.get("structure")
        if structure is not None and "structure" not in out._cache:
            shape, roles = structure
            out._cache["structure"] = (shape, {mapping.get(e, e): r for e, r in roles.items()})
        return out

    def _rename_impl(self, mapping: dict) -> "Tensor":
        raise NotImplementedError

    # -- queries -------------------------------------------------------------
    def variable_ids(self) -> frozenset:
        """Identities (see Variable.identity) of the variables this depends on."""
        v = self._cache.get("vars")
        if v is None:
            v = frozenset().union(*(c.variable_ids() for c in self.children()))
            self._cache["vars"] = v
        return v

    @property
    def variables(self) -> tuple:
        """The Variables this depends on, as declared (edges in their declared names),
        sorted by name.

        >>> A = Variable("A", i="m", j="n"); x = Variable("x", j="n")
        >>> (A @ x).variables
        (tg.Variable('A', i='m', j='n'), tg.Variable('x', j='n'))
        """
        found, seen, stack = {}, set(), [self]
        while stack:
            n = stack.pop()
            if id(n) in seen:
                continue
            seen.add(id(n))
            if isinstance(n, Variable):
                found.setdefault(n.identity, n)
            stack.extend(n.children())
        declared = [Variable._renamed(v, v.original) for v in found.values()]
        return tuple(sorted(declared, key=lambda v: (v.name, v.original, v.dim_symbols)))

    def depends_on(self, x: "Variable") -> bool:
        return x.identity in self.variable_ids()

    def size(self) -> int:
        """Number of nodes in the expression tree (a measure of network size); a
        shared sub-network counts once per occurrence. See `distinct_size`."""
        n = self._cache.get("size")
        if n is None:  # children first, by an explicit stack (any depth)
            stack = [self]
            while stack:
                t = stack[-1]
                pending = [c for c in t.children() if "size" not in c._cache]
                if pending:
                    stack.extend(pending)
                    continue
                stack.pop()
                t._cache["size"] = 1 + sum(c._cache["size"] for c in t.children())
            n = self._cache["size"]
        return n

    def distinct_size(self) -> int:
        """Number of distinct nodes (equal sub-networks counted once): the work a
        pass that memoises by structure does.

        >>> x = Variable("x", "i")
        >>> t = (x * x) * (x * x)
        >>> t.size() > t.distinct_size()
        True
        """
        seen, stack = set(), [self]
        while stack:
            n = stack.pop()
            if n not in seen:
                seen.add(n)
                stack.extend(n.children())
        return len(seen)

    def check(self) -> "Tensor":
        """Validate well-formedness recursively; raise ValueError on the first defect."""
        for c in self.children():
            c.check()
        self._check_self()
        return self

    def _check_self(self):
        if len(set(self.edges)) != len(self.edges):
            raise ValueError(f"{type(self).__name__} has a repeated free edge: {self.edges}")

    # -- operators ---------------------------------------------------------
    def __matmul__(self, other):
        return contract(self, _as_tensor(other, self, "@"))

    def __rmatmul__(self, other):
        return contract(_as_tensor(other, self, "@"), self)

    def __mul__(self, other):
        if _is_number(other):
            return scale(self, other)
        return hadamard(self, _as_tensor(other, self, "*"))

    def __rmul__(self, other):
        return self.__mul__(other)

    def __add__(self, other):
        if _is_number(other):
            other = constant(other, self)
        return add(self, _as_tensor(other, self, "+"))

    def __radd__(self, other):
        return self.__add__(other)

    def __neg__(self):
        return scale(self, -1)

    def __sub__(self, other):
        if _is_number(other):
            return add(self, constant(-other, self))
        return add(self, scale(_as_tensor(other, self, "-"), -1))

    def __rsub__(self, other):
        return (-self).__add__(other)

    def __truediv__(self, other):
        if _is_number(other):
            if other == 0:
                raise ValueError(f"division of {self} by the number zero")
            return scale(self, 1 / other)
        return hadamard(self, power(_as_tensor(other, self, "/"), -1))

    def __rtruediv__(self, other):
        if not _is_number(other):
            return NotImplemented
        return scale(power(self, -1), other)

    def __pow__(self, p):
        if isinstance(p, Tensor):
            from .functions import pow  # a tensor exponent: exp(p log x)
            return pow(self, p)
        if not _is_number(p):
            raise TypeError(f"exponent must be a number or a tensorgrad expression, got {type(p).__name__}")
        return power(self, p)

    def __rpow__(self, base):
        # c ** t = exp(t log c), c > 0
        if not _is_number(base):
            return NotImplemented
        if base <= 0:
            raise ValueError(f"a number raised to a tensor power needs a positive base, got {base}")
        from .functions import exp
        return exp(scale(self, math.log(base)))

    @property
    def T(self):
        """Transpose of a 2-edge tensor (swaps the names of its two edges)."""
        if len(self.edges) != 2:
            raise ValueError(f".T needs exactly two edges, {self} has {self.edges}")
        a, b = self.edges
        return self.rename({a: b, b: a})

    # -- conveniences delegating to other modules (imported lazily: they import us)
    def simplify(self) -> "Tensor":
        from .simplify import simplify
        return simplify(self)

    def grad(self, x):
        from .derivative import grad
        return grad(self, x)

    def __str__(self):
        from .printing import with_names
        return with_names(self)

    def __repr__(self):
        from .printing import python_repr
        return python_repr(self)

    def __array__(self, *args, **kwargs):
        raise TypeError("a tensorgrad expression is symbolic; use tg.evaluate(expr, values) to get an array")


def _as_tensor(x, partner, op) -> Tensor:
    if isinstance(x, Tensor):
        return x
    raise TypeError(f"unsupported operand for {op}: {type(x).__name__} with a tensorgrad expression")


# ---------------------------------------------------------------------------
# Leaves
# ---------------------------------------------------------------------------

def _variable_args(name, edges, dim_symbols, original, symmetries=()) -> tuple:
    args = (name,) + tuple((e, d) if e == o else (e, d, o) for e, d, o in zip(edges, dim_symbols, original))
    return args + (Symmetries(symmetries),) if symmetries else args


class Symmetries(tuple):
    """Groups of interchangeable declared edges of a variable, e.g. `(("i", "j"),)` for
    a symmetric matrix: the last of a Variable's `args` when it has any."""

    __slots__ = ()

    def __repr__(self):
        return f"tg.Symmetries({tuple(self)!r})"


def _symmetry_groups(name: str, original: tuple, dims: tuple, symmetric: bool, symmetries) -> tuple:
    """The checked, normalised groups (declared edge names, in declaration order)."""
    if not isinstance(symmetric, bool):
        raise TypeError(f"variable {name!r}: symmetric must be True or False, got {symmetric!r}")
    groups = []
    if symmetric:
        if len(original) != 2 or dims[0] != dims[1]:
            detail = f"edges {original}" if len(original) != 2 else \
                f"edge {original[0]!r} has dimension {dims[0]!r}, edge {original[1]!r} has {dims[1]!r}"
            raise ValueError(f"variable {name!r}: symmetric=True needs a square matrix, two edges of one dimension "
                             f"({detail}); declare it as Variable({name!r}, i=\"n\", j=\"n\", symmetric=True)")
        groups.append(tuple(original))
    if symmetries is not None:
        if isinstance(symmetries, (str, bytes)) or not hasattr(symmetries, "__iter__"):
            raise TypeError(f"variable {name!r}: symmetries must be a list of tuples of edge names, got {symmetries!r}")
        for g in symmetries:
            if isinstance(g, str) or not hasattr(g, "__iter__"):
                raise TypeError(f"variable {name!r}: each symmetry is a tuple of edge names, got {g!r}")
            g = tuple(g)
            for e in g:
                if e not in original:
                    raise ValueError(f"variable {name!r}: symmetry {g} names {e!r}, which is not one of its edges {original}")
            if len(set(g)) != len(g) or len(g) < 2:
                raise ValueError(f"variable {name!r}: a symmetry needs two or more distinct edges, got {g}")
            gdims = {dims[original.index(e)] for e in g}
            if len(gdims) != 1:
                raise ValueError(f"variable {name!r}: interchangeable edges {g} need one dimension, got {sorted(gdims)}")
            groups.append(tuple(sorted(g, key=original.index)))
    # overlapping groups generate one larger group
    merged: list = []
    for g in groups:
        g = set(g)
        for h in [h for h in merged if h & g]:
            merged.remove(h)
            g |= h
        merged.append(g)
    return tuple(sorted((tuple(sorted(g, key=original.index)) for g in merged), key=lambda g: original.index(g[0])))


class Variable(Tensor):
    """A symbolic input tensor.

    An edge is a name (its dimension symbol is the name), a keyword `edge="dim"`, or
    a pair `("edge", "dim")`; a triple `("edge", "dim", "declared")` is the declared
    edge renamed, the form `args` uses for a renamed occurrence.

    >>> Variable("A", i="m", j="n").dims
    {'i': 'm', 'j': 'n'}
    >>> Variable("x", "i").dims
    {'i': 'i'}
    >>> Variable("A", ("i", "m"), ("j", "n")) == Variable("A", i="m", j="n")
    True
    """

    __slots__ = ("name", "original", "symmetries")

    def __init__(self, name: str, *edges: str, symmetric: bool = False, symmetries=None, **edge_dims: str):
        if not isinstance(name, str) or not name:
            raise TypeError(f"a Variable's name must be a non-empty string, got {name!r}")
        if edges and isinstance(edges[-1], Symmetries):  # the form `args` uses
            symmetries = tuple(edges[-1]) + tuple(symmetries or ())
            edges = edges[:-1]
        triples = [(e + (e[0],) if len(e) == 2 else e) if isinstance(e, tuple) and len(e) in (2, 3) else (e, e, e)
                   for e in edges] + [(e, d, e) for e, d in edge_dims.items()]
        for e, d, o in triples:
            if not all(isinstance(x, str) and x for x in (e, d, o)):
                raise TypeError(f"edges and dimension symbols of variable {name!r} must be non-empty strings, got {e!r}: {d!r}")
        for k in (0, 2):
            names = [t[k] for t in triples]
            if len(set(names)) != len(names):
                dup = next(e for e in names if names.count(e) > 1)
                raise ValueError(f"variable {name!r} declares the edge {dup!r} twice")
        edges, dims, original = (tuple(t[k] for t in triples) for k in range(3))
        groups = _symmetry_groups(name, original, dims, symmetric, symmetries)
        self._init(edges, dims, _variable_args(name, edges, dims, original, groups))
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "original", original)
        object.__setattr__(self, "symmetries", groups)

    @classmethod
    def _renamed(cls, base: "Variable", edges: tuple) -> "Variable":
        # a renamed occurrence without re-validating (the names are checked by rename)
        v = cls.__new__(cls)
        v._init(edges, base.dim_symbols, _variable_args(base.name, edges, base.dim_symbols, base.original,
                                                        base.symmetries))
        object.__setattr__(v, "name", base.name)
        object.__setattr__(v, "original", base.original)
        object.__setattr__(v, "symmetries", base.symmetries)
        return v

    @property
    def identity(self) -> tuple:
        """What makes two occurrences the same variable: name, declared edges, dims and
        symmetries."""
        return (self.name, self.original, self.dim_symbols, self.symmetries)

    @property
    def symmetric(self) -> bool:
        """A matrix equal to its transpose (its two edges interchangeable)."""
        return len(self.original) == 2 and self.symmetries == (self.original,)

    def slot_groups(self) -> tuple:
        """For each slot (edge position): the index of its symmetry group, or None.
        Slots of one group are interchangeable: the tensor is unchanged when the
        names of its edges in a group are permuted."""
        out = [None] * len(self.original)
        for k, g in enumerate(self.symmetries):
            for e in g:
                out[self.original.index(e)] = k
        return tuple(out)

    def variable_ids(self):
        return frozenset([self.identity])

    def _rename_impl(self, mapping):
        return Variable._renamed(self, tuple(mapping.get(e, e) for e in self.edges))


class Delta(Tensor):
    """Copy tensor: 1 where all indices agree. 2 edges: identity; 1 edge: ones; 0 edges: the dimension."""

    __slots__ = ("dim",)

    def __init__(self, dim: str, *edges: str):
        if not isinstance(dim, str) or not dim:
            raise TypeError(f"delta's dimension symbol must be a non-empty string, got {dim!r}")
        for e in edges:
            if not isinstance(e, str) or not e:
                raise TypeError(f"delta's edges must be non-empty strings, got {e!r}")
        if len(set(edges)) != len(edges):
            raise ValueError(f"delta({dim!r}) given a repeated edge: {edges}")
        self._init(edges, [dim] * len(edges), (dim,) + tuple(edges))
        object.__setattr__(self, "dim", dim)

    def _rename_impl(self, mapping):
        return Delta(self.dim, *(mapping.get(e, e) for e in self.edges))


class Zero(Tensor):
    """The zero tensor with the given edges (first-class, so derivatives stay sparse)."""

    __slots__ = ()

    def __init__(self, edges: Iterable[str] = (), dims: Mapping[str, str] | Iterable[str] = ()):
        edges = tuple(edges)
        dimt = tuple(dims[e] for e in edges) if isinstance(dims, Mapping) else tuple(dims)
        if len(dimt) != len(edges):
            raise ValueError(f"Zero needs a dimension for each edge: edges {edges}, dims {dimt}")
        self._init(edges, dimt, (edges, dimt))

    def _rename_impl(self, mapping):
        return Zero([mapping.get(e, e) for e in self.edges], self.dim_symbols)


# ---------------------------------------------------------------------------
# Composite nodes
# ---------------------------------------------------------------------------

def _internal_renaming(children_edges: list, avoid: set, taken=()) -> dict:
    """Fresh names for each edge in `children_edges` that is in `avoid`; the fresh
    names also avoid `taken` (the other edges of the children, free ones included)."""
    taken = set(avoid) | set(children_edges) | set(taken)
    out = {}
    for e in children_edges:
        if e in avoid and e not in out:
            out[e] = fresh_name(e, taken)
            taken.add(out[e])
    return out


class Product(Tensor):
    """A contraction network. An edge name shared by two factors is summed over;
    a name on one factor only is free. `edges` fixes the order of the free edges."""

    __slots__ = ("factors",)
    _CHILDREN_AT, _CHILDREN_MANY = 0, True

    def __init__(self, factors: Iterable[Tensor] = (), edges: Iterable[str] | None = None):
        factors = tuple(factors)
        count, dims = {}, {}
        for f in factors:
            if not isinstance(f, Tensor):
                raise TypeError(f"Product factors must be tensors, got {type(f).__name__}")
            for e, d in zip(f.edges, f.dim_symbols):
                count[e] = count.get(e, 0) + 1
                if count[e] > 2:
                    raise ValueError(f"edge {e!r} appears on more than two factors of a product; use a delta (copy tensor) to join more")
                if e in dims and dims[e] != d:
                    raise ValueError(f"edge {e!r} is contracted between dimensions {dims[e]!r} and {d!r}")
                dims[e] = d
        free = [e for f in factors for e in f.edges if count[e] == 1]
        if edges is not None:
            edges = tuple(edges)
            if sorted(edges) != sorted(free):
                raise ValueError(f"Product edge order {edges} is not a permutation of its free edges {tuple(free)}")
            free = edges
        free = tuple(free)
        self._init(free, [dims[e] for e in free], (factors, free))
        object.__setattr__(self, "factors", factors)

    def contracted(self) -> set:
        seen, out = set(), set()
        for f in self.factors:
            for e in f.edges:
                (out if e in seen else seen).add(e)
        return out

    def _rename_impl(self, mapping):
        inner = self.contracted()
        clash = _internal_renaming(sorted(inner), set(mapping.values()), (e for f in self.factors for e in f.edges))
        full = {**clash, **mapping}
        factors = [f._rename({e: full[e] for e in f.edges if e in full}) for f in self.factors]
        return Product(factors, [mapping.get(e, e) for e in self.edges])

    def rename_internal_apart(self, avoid) -> "Product":
        """The same product with contracted edges renamed away from `avoid`."""
        clash = _internal_renaming(sorted(self.contracted()), set(avoid), (e for f in self.factors for e in f.edges))
        if not clash:
            return self
        factors = [f._rename({e: clash[e] for e in f.edges if e in clash}) for f in self.factors]
        return Product(factors, self.edges)


class Sum(Tensor):
    """A weighted sum sum_k w_k t_k of tensors with the same free edges (in any order)."""

    __slots__ = ("terms", "weights")
    _CHILDREN_AT, _CHILDREN_MANY = 0, True

    def __init__(self, terms: Iterable[Tensor], weights: Iterable[Number] | None = None, edges: Iterable[str] | None = None):
        terms = tuple(terms)
        weights = tuple(weights) if weights is not None else (1,) * len(terms)
        if not terms:
            raise ValueError("a Sum needs at least one term (use Zero for an empty sum)")
        if len(weights) != len(terms):
            raise ValueError(f"a Sum got {len(terms)} terms but {len(weights)} weights")
        weights = tuple(real_number(w, "a weight of a sum") for w in weights)
        first = terms[0]
        for t in terms:
            if not isinstance(t, Tensor):
                raise TypeError(f"Sum terms must be tensors, got {type(t).__name__}")
            if set(t.edges) != set(first.edges):
                raise ValueError(f"cannot add tensors with different free edges: {first.edges} and {t.edges}")
            for e, d in zip(t.edges, t.dim_symbols):
                if first.dims[e] != d:
                    raise ValueError(f"cannot add tensors whose edge {e!r} has dimensions {first.dims[e]!r} and {d!r}")
        edges = tuple(edges) if edges is not None else first.edges
        if sorted(edges) != sorted(first.edges):
            raise ValueError(f"Sum edge order {edges} is not a permutation of {first.edges}")
        dims = first.dims
        self._init(edges, [dims[e] for e in edges], (terms, weights, edges))
        object.__setattr__(self, "terms", terms)
        object.__setattr__(self, "weights", weights)

    def _rename_impl(self, mapping):
        return Sum([t._rename({e: mapping[e] for e in t.edges if e in mapping}) for t in self.terms],
                   self.weights, [mapping.get(e, e) for e in self.edges])


class Function(Tensor):
    """A registered function applied to a sub-expression.

    `core` names the edges of `arg` the function acts along (none for elementwise
    functions, the axis of softmax, both edges for det). If the spec consumes its
    core edges they are internal; all other edges of `arg` pass through as
    batch edges. `params` are numbers such as the exponent of `pow`.
    """

    __slots__ = ("spec", "arg", "core", "params")
    _CHILDREN_AT = 1

    def __init__(self, spec, arg: Tensor, core: Iterable[str] = (), params: Iterable = ()):
        if isinstance(spec, str):
            if spec not in FUNCTIONS:
                raise ValueError(f"unknown function {spec!r}; registered: {sorted(FUNCTIONS)}")
            spec = FUNCTIONS[spec]
        if not isinstance(arg, Tensor):
            raise TypeError(f"{spec.name} expects a tensor, got {type(arg).__name__}")
        core = tuple(core)
        for e in core:
            if e not in arg.edges:
                raise ValueError(f"{spec.name}: edge {e!r} is not an edge of its argument {arg} (edges {arg.edges})")
        object.__setattr__(self, "spec", spec)
        object.__setattr__(self, "arg", arg)
        object.__setattr__(self, "core", core)
        params = tuple(real_number(p, f"a parameter of {spec.name}") if _is_number(p) else p for p in params)
        object.__setattr__(self, "params", params)
        out = [e for e in arg.edges if not (spec.consumes_core and e in core)]
        dims = arg.dims
        self._init(out, [dims[e] for e in out], (spec, arg, core, params))

    def _rename_impl(self, mapping):
        arg, core = self.arg, self.core
        if self.spec.consumes_core:
            # fresh names must also avoid the argument's other (batch) edges
            clash = _internal_renaming(list(core), set(mapping.values()) | (set(arg.edges) - set(core)))
            if clash:
                arg = arg._rename(clash)
                core = tuple(clash.get(e, e) for e in core)
        arg = arg._rename({e: mapping[e] for e in arg.edges if e in mapping})
        core = tuple(mapping.get(e, e) if e in self.edges else e for e in core)
        return Function(self.spec, arg, core, self.params)

    def _check_self(self):
        super()._check_self()
        self.spec.check_arg(self)


class Derivative(Tensor):
    """An unevaluated derivative d expr / d var, with one new edge per edge of var.

    `doit()` evaluates it. Kept unevaluated so a derivation can be shown step by step.
    """

    __slots__ = ("expr", "var", "new_edges")
    _CHILDREN_AT = 0  # `var` names what to differentiate by; it is not a child

    def __init__(self, expr: Tensor, var: Variable, new_edges: Iterable[str]):
        if not isinstance(var, Variable):
            raise TypeError(f"can only differentiate with respect to a Variable, got {type(var).__name__}")
        new_edges = tuple(new_edges)
        if len(new_edges) != len(var.edges):
            raise ValueError(f"derivative wrt {var.name} needs {len(var.edges)} new edges, got {new_edges}")
        both = list(expr.edges) + list(new_edges)
        if len(set(both)) != len(both):
            raise ValueError(f"new derivative edges {new_edges} clash with the free edges {expr.edges} of {expr}")
        object.__setattr__(self, "expr", expr)
        object.__setattr__(self, "var", var)
        object.__setattr__(self, "new_edges", new_edges)
        self._init(both, expr.dim_symbols + var.dim_symbols, (expr, var, new_edges))

    def variable_ids(self):
        return self.expr.variable_ids()

    def _rename_impl(self, mapping):
        expr = self.expr._rename({e: mapping[e] for e in self.expr.edges if e in mapping})
        return Derivative(expr, self.var, [mapping.get(e, e) for e in self.new_edges])

    def doit(self) -> Tensor:
        from .derivative import differentiate
        return differentiate(self.expr, self.var, self.new_edges)


# ---------------------------------------------------------------------------
# Building blocks used by the operators and the public constructors
# ---------------------------------------------------------------------------

ONE = Product(())


def number(c: Number) -> Tensor:
    """The scalar constant `c` (a weighted empty product)."""
    c = real_number(c)
    if c == 0:
        return Zero()
    return Sum((ONE,), (c,))


def as_number(t: Tensor):
    """The value if `t` is a constant scalar built by `number`, else None."""
    if isinstance(t, Zero) and not t.edges:
        return 0
    if isinstance(t, Sum) and len(t.terms) == 1 and t.terms[0] == ONE:
        return t.weights[0]
    if t == ONE:
        return 1
    return None


def ones_like(t: Tensor) -> Tensor:
    """All-ones tensor with the free edges (and dims) of `t`."""
    return Product([Delta(d, e) for e, d in zip(t.edges, t.dim_symbols)], t.edges)


def constant(c: Number, like: Tensor) -> Tensor:
    c = real_number(c, "a constant")
    if c == 0:
        return Zero(like.edges, like.dim_symbols)
    return scale(ones_like(like), c)


def scale(t: Tensor, c: Number) -> Tensor:
    c = real_number(c, "a scale factor")
    if c == 1:
        return t
    if c == 0:
        return Zero(t.edges, t.dim_symbols)
    if isinstance(t, Sum) and len(t.terms) == 1:
        return Sum(t.terms, (t.weights[0] * c,), t.edges)
    return Sum((t,), (c,))


def _weighted_terms(t: Tensor) -> list:
    """(term, weight) pairs of a sum (a scaled sum distributes its weight), or [(t, 1)]:
    sums built by + and - stay one flat node, so `loss = loss + term` or
    `loss = 0.9 * loss + term` in a loop never nests thousands deep."""
    if not isinstance(t, Sum):
        return [(t, 1)]
    if len(t.terms) == 1 and isinstance(t.terms[0], Sum):
        return [(s, w * t.weights[0]) for s, w in zip(t.terms[0].terms, t.terms[0].weights)]
    return list(zip(t.terms, t.weights))


def contract(a: Tensor, b: Tensor) -> Tensor:
    """a @ b: contract the shared edge names, outer product on the rest."""
    for e in set(a.edges) & set(b.edges):
        if a.dims[e] != b.dims[e]:
            raise ValueError(f"cannot contract edge {e!r}: dimension {a.dims[e]!r} in {a} but {b.dims[e]!r} in {b}")
    return Product((a, b))


def hadamard(a: Tensor, b: Tensor) -> Tensor:
    """a * b: elementwise on shared edge names (joined by copy tensors), outer on the rest."""
    shared = [e for e in a.edges if e in b.edges]
    for e in shared:
        if a.dims[e] != b.dims[e]:
            raise ValueError(f"cannot multiply elementwise along edge {e!r}: dimension {a.dims[e]!r} in {a} but {b.dims[e]!r} in {b}")
    if not shared:
        return Product((a, b))
    taken = set(a.edges) | set(b.edges)
    ra, rb, deltas = {}, {}, []
    for e in shared:
        ra[e] = fresh_name(e, taken); taken.add(ra[e])
        rb[e] = fresh_name(e, taken); taken.add(rb[e])
        deltas.append(Delta(a.dims[e], e, ra[e], rb[e]))
    order = list(a.edges) + [e for e in b.edges if e not in a.edges]
    return Product([a.rename(ra), b.rename(rb)] + deltas, order)


def broadcast(t: Tensor, like: Tensor) -> Tensor:
    """A scalar `t` as a tensor with the free edges of `like` (t times ones)."""
    return Product([t] + [Delta(d, e) for e, d in zip(like.edges, like.dim_symbols)], like.edges)


def add(a: Tensor, b: Tensor) -> Tensor:
    # a scalar broadcasts: x - sum(x)/n is mean-centring
    if not a.edges and b.edges:
        a = broadcast(a, b)
    elif not b.edges and a.edges:
        b = broadcast(b, a)
    if set(a.edges) != set(b.edges):
        raise ValueError(f"cannot add tensors with different free edges: {a.edges} and {b.edges} "
                         f"(only in the first: {sorted(set(a.edges) - set(b.edges))}, only in the second: {sorted(set(b.edges) - set(a.edges))})")
    for e in a.edges:
        if a.dims[e] != b.dims[e]:
            raise ValueError(f"cannot add tensors whose edge {e!r} has dimensions {a.dims[e]!r} and {b.dims[e]!r}")
    terms = _weighted_terms(a) + _weighted_terms(b)
    return Sum([t for t, _ in terms], [w for _, w in terms], a.edges)


def power(t: Tensor, p: Number) -> Tensor:
    return Function("pow", t, (), (p,))
