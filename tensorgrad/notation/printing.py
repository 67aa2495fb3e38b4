r"""Print tensorgrad expressions in matrix notation (Unicode or LaTeX).

``to_matrix(grad)`` for the gradient of ``‖Ax − b‖²`` gives ``2Aᵀ(A x − b)``.

How a tensor is read as a matrix
--------------------------------
The reader needs to know which free edge is the row index and which the column
index (``rows``/``cols``). By default, following :mod:`tensorgrad.notation.parse`:

* no edges: a scalar;
* one edge: a column vector (pass ``cols=edge`` for a row vector: ``parse("x'")``
  has the single edge ``j`` and prints as ``xᵀ`` with ``cols="j"``);
* two edges: ``i`` is the row and ``j`` the column when the edges are ``{i, j}``
  (``j`` the row when every matrix variable in it is declared with edges ``(j, i)``,
  so ``Variable("W", j="n", i="n")`` prints as ``W``); otherwise the first edge in ``t.edges`` is the row (so a Jacobian or Hessian with
  edges ``(i, i')`` reads ``∂f_i/∂x_i'``).

A variable's own orientation is its declared edge order: a 1-edge variable is a
column vector, a 2-edge variable's first declared edge is its row index.

A product network is read as matrix chains: every factor with at most two edges is
a node, contracted edges join nodes, so the network falls apart into paths (chains
``uᵀ A B v``, ``A B x``, ``A B``) and cycles (traces). Copy tensors become ``⊙`` and
``diag``. Each chain is read in the direction with the fewest transposes; sums pull
out common factors (``2AᵀA x − 2Aᵀb`` prints as ``2Aᵀ(A x − b)``).
Kronecker products
------------------
A 4-tensor with free edges ``(a, b, c, d)`` (in ``t.edges`` order) is read as a
matrix whose row index is the pair ``(a, b)`` and whose column index is the pair
``(c, d)``, flattened **row-major** (C order, the last edge of each pair varying
fastest, as ``numpy.reshape`` does)::

    T.reshape(dim(a) * dim(b), dim(c) * dim(d))

When ``T[a,b,c,d] = P[a,c] Q[b,d]`` this matrix is exactly ``np.kron(P, Q)`` and
prints as ``P ⊗ Q`` (LaTeX ``P \otimes Q``). As for matrices, the notation's edge
names win over the stored order: edges ``{i, j}`` are taken as ``(i, j)`` and
``{i', j'}`` as ``(i', j')`` (:func:`kron_edges`), so ``d Xᵀ/dX`` of a parsed ``X``
(the commutation tensor ``δ[j,i'] δ[i,j']``) is not mistaken for ``I ⊗ I``. For a derivative with edges
``(i, j, i', j')`` -- of a matrix F(X) with edges ``(i, j)`` with respect to X with
edges ``(i', j')`` -- this is ``∂ vec_r(F) / ∂ vec_r(X)`` with ``vec_r`` the row-major
(row-stacking) vectorisation. With the column-stacking ``vec`` of most matrix
calculus texts the factors swap: ``∂ vec(F)/∂ vec(X) = Q ⊗ P``. So ``dX/dX`` prints
as ``I ⊗ I`` and the Hessian of ``‖T − U Vᵀ‖²`` in U as ``2I ⊗ Vᵀ V``
(``2 Vᵀ V ⊗ I`` in column-major terms). A 4-tensor that pairs the edges the other
way, ``T[a,b,c,d] = P[a,d] Q[b,c]``, is ``(P ⊗ Q) 𝐊`` with ``𝐊`` the commutation
matrix (``𝐊 vec_r(X) = vec_r(Xᵀ)``; LaTeX ``\mathbf{K}``): the Hessian of ``log det X``
prints as ``−(X⁻ᵀ ⊗ X⁻¹) 𝐊`` and ``d Xᵀ/dX`` as ``(I ⊗ I) 𝐊``. ``kron_convention(edges)`` is a one-line
statement of this convention (the command line prints it under a ⊗ result).

Where no matrix reading exists (3-tensors, other 4-tensors, irregular contractions),
:func:`to_matrix` falls back to index notation with implied summation, followed by
the einsum string of the network when it is a single product of leaves.

Numbers print as integers, simple fractions (``x/3``, only where parsing gives back
the same float) or their shortest round-trip ``repr``. A zero keeps its shape: ``𝟎``
(``vector(0)``), ``𝟎ᵀ``, ``0I`` (square) or ``matrix(0)``. The size of a dimension
(``tr(I)``, a copy tensor with no edges) prints as its symbol ``n``, which the parser
reads back as that size when ``shapes`` declares the dimension. ``𝟏``, ``𝟎`` and ``I``
carry no dimension, so one left untied to any variable reads back with a fresh one.

``parse(to_matrix(e))`` is equivalent to ``e`` whenever the matrix reading exists
and the variables follow the naming convention of the parser.
"""

from __future__ import annotations

import dataclasses

from .index import index_latex, to_index
from .matrix_ast import NotMatrix
from .naming import name_intermediates
from .reader import _check_roles, _Reader, default_roles
from .render import _Latex, _Unicode
from .syntax import COMMUTATION, BinOp, Call, Name, Neg, Node, Number, Transpose, _children
from ..deep import deep

__all__ = ["to_matrix", "to_latex", "to_index", "to_notation_ast", "default_roles", "KRON_CONVENTION", "kron_convention", "kron_edges"]

def kron_convention(edges=("a", "b", "c", "d")) -> str:
    """One line saying how ``P ⊗ Q`` reads for a 4-tensor with these free edges."""
    a, b, c, d = edges
    return (
        f"⊗ is row-major: T[{a},{b},{c},{d}] = P[{a},{c}] Q[{b},{d}], so T reshaped to ({a} {b})×({c} {d}) "
        "in C order is kron(P, Q); with column-stacking vec it would be kron(Q, P); 𝐊 is the commutation "
        f"matrix, 𝐊[({a} {b}),({c} {d})] = δ[{a},{d}] δ[{b},{c}], so (P ⊗ Q) 𝐊 is T[{a},{b},{c},{d}] = P[{a},{d}] Q[{b},{c}]"
    )


#: How a printed ``P ⊗ Q`` relates to a 4-tensor ``T`` with edges ``(a, b, c, d)``.
KRON_CONVENTION = kron_convention()


# ---------------------------------------------------------------------------
# Public entry points
# ---------------------------------------------------------------------------


def _check(t):
    from .. import expr as ex

    if not isinstance(t, ex.Tensor):
        raise TypeError(f"expected a tensorgrad expression, got {type(t).__name__}")


def kron_edges(t) -> tuple:
    """The free edges ``(a, b, c, d)`` of a 4-tensor in the order its Kronecker
    reading uses: ``t.edges``, except that ``{i, j}`` is ``(i, j)`` and ``{i', j'}``
    is ``(i', j')``."""
    a, b, c, d = t.edges
    if {a, b} == {"i", "j"}:
        a, b = "i", "j"
    if {c, d} == {"i'", "j'"}:
        c, d = "i'", "j'"
    return a, b, c, d


def _read(t, rows, cols) -> Node:
    """The matrix reading (NotMatrix if none); a 4-tensor with default roles is read
    as a Kronecker product."""
    if rows is None and cols is None:
        if len(t.edges) == 4:
            a, b, c, d = kron_edges(t)
            try:
                node = _Reader().kron(t, a, b, c, d)
            except NotMatrix:
                # T[a,b,c,d] = P[a,d] Q[b,c] is (P ⊗ Q) 𝐊 with 𝐊 the commutation matrix
                node = BinOp("*", _Reader().kron(t, a, b, d, c), Call(COMMUTATION, ()))
            return _untranspose_symmetric(node, _symmetric_names(t))
        rows, cols = default_roles(t)
    else:
        _check_roles(t, rows, cols)
    return _untranspose_symmetric(_Reader().read(t, rows, cols), _symmetric_names(t))


def _symmetric_names(t) -> frozenset:
    return frozenset(v.name for v in t.variables if v.symmetric)


def _is_symmetric(node: Node, names: frozenset) -> bool:
    """A matrix AST known to equal its transpose: a symmetric variable, I, and their
    inverses, integer powers, negations, transposes, sums and scalings."""
    if isinstance(node, Name):
        return node.id in names
    if isinstance(node, Call):
        return node.func == "eye" or (node.func == "inv" and _is_symmetric(node.args[0], names))
    if isinstance(node, (Neg, Transpose)):
        return _is_symmetric(node.operand, names)
    if isinstance(node, BinOp):
        if node.op == "^":
            return _is_symmetric(node.left, names)
        if node.op in ("+", "-"):
            return _is_symmetric(node.left, names) and _is_symmetric(node.right, names)
        if node.op in ("*", "/"):
            scalar = (isinstance(node.right, Number), isinstance(node.left, Number))
            return (scalar[0] and _is_symmetric(node.left, names)) or (scalar[1] and _is_symmetric(node.right, names))
    return False


def _untranspose_symmetric(node: Node, names: frozenset) -> Node:
    """Sᵀ -> S, (S⁻¹)ᵀ -> S⁻¹, … for symmetric variables S (printing only)."""
    if not names:
        return node
    if isinstance(node, Transpose) and _is_symmetric(node.operand, names):
        return _untranspose_symmetric(node.operand, names)
    kids = _children(node)
    if not kids:
        return node
    new = tuple(_untranspose_symmetric(k, names) for k in kids)
    if new == kids:
        return node
    if isinstance(node, (Neg, Transpose)):
        return dataclasses.replace(node, operand=new[0])
    if isinstance(node, BinOp):
        return dataclasses.replace(node, left=new[0], right=new[1])
    return dataclasses.replace(node, args=new)


def to_notation_ast(t, rows=None, cols=None) -> Node:
    """The matrix reading of ``t`` as a notation AST; raises ``ValueError`` if none exists."""
    _check(t)
    try:
        return _read(t, rows, cols)
    except NotMatrix as e:
        raise ValueError(f"no matrix reading of this expression ({e}); use to_index") from None


def _render(t, rows, cols, renderer, simplify: bool, names: bool) -> str:
    _check(t)
    if simplify:
        t = t.simplify()
    try:
        node = _read(t, rows, cols)
    except NotMatrix:
        return None  # type: ignore[return-value]
    if not names:
        return renderer(node)
    main, defs = name_intermediates(node)
    return renderer.where(renderer(main), [(renderer.name(n), renderer(d)) for n, d in defs])


@deep
def to_matrix(t, rows: str | None = None, cols: str | None = None, simplify: bool = True,
              names: bool = True) -> str:
    """Matrix notation of ``t`` as Unicode text (``2Aᵀ(A x − b)``).

    ``rows``/``cols`` choose the edges read as row and column index (see the module
    docstring for the defaults). The expression is simplified first unless
    ``simplify=False``. Repeated sub-expressions are named in a trailing ``where``
    list (``Aᵀ(diag(p) − p pᵀ)A  where p = softmax(A x)``; see
    :mod:`tensorgrad.notation.naming`) unless ``names=False``. Without a matrix
    reading, index notation and the einsum string are returned instead.
    """
    out = _render(t, rows, cols, _Unicode(), simplify, names)
    if out is None:
        return to_index(t.simplify() if simplify else t)
    return out


@deep
def to_latex(t, rows: str | None = None, cols: str | None = None, simplify: bool = True,
             names: bool = True) -> str:
    """Like :func:`to_matrix`, as LaTeX (``2 A^{\\top}\\left(A x - b\\right)``)."""
    out = _render(t, rows, cols, _Latex(), simplify, names)
    if out is None:
        t2 = t.simplify() if simplify else t
        return index_latex(t2)
    return out
