"""Parse matrix-calculus notation into tensorgrad expressions.

``parse("norm2(A*x - b)^2")`` returns the tensor network of ``‖Ax − b‖²``.

Syntax
------
* Binary operators, loosest first: ``+ -``; ``* / @ .* ./`` and juxtaposition
  (``2A x``, ``x'y``); unary ``-``; ``^ .^ **`` (right associative); postfix
  transpose ``'``, ``.T``, ``ᵀ``, ``^T`` (``x^T A x``; ``X^-T`` is the inverse transpose,
  unless ``shapes`` declares a variable ``T``) and Unicode superscripts (``x²``, ``X⁻¹``, ``X⁻ᵀ``).
* ``*``, ``@`` and juxtaposition are the matrix product; when either side is a scalar
  they scale. ``.*`` / ``⊙`` and ``./`` / ``⊘`` are elementwise; a scalar broadcasts.
  ``/`` divides by a scalar only. ``+``/``-`` need equal shapes, a scalar broadcasts.
* ``^`` and ``**`` (the same operator): a scalar to any scalar power; a square matrix
  to an integer power (``A^-1`` is the inverse, ``A^0`` the identity).
  ``.^`` is elementwise.
* Functions: every registered function by its notation name (elementwise ones such as
  ``exp log sin cos tanh cosh sigmoid relu``, ``maximum(x, 0)`` with a number; see
  :mod:`tensorgrad.notation.vocabulary`), and ``sqrt``, ``sum`` (of all entries), ``norm1``, ``norm2`` (Euclidean, Frobenius for
  matrices; also ``‖…‖``), ``tr``, ``det``, ``logdet``, ``inv`` (square matrices),
  ``softmax`` (vector → vector), ``logsumexp`` (vector → scalar), ``diag`` (vector →
  diagonal matrix, square matrix → its diagonal as a column vector).
* Kronecker products ``kron(P, Q)`` or ``P ⊗ Q`` of two matrices (``⊗`` binds looser
  than products, tighter than ``+ -``) give a 4-tensor with edges ``(i, j, i', j')``:
  ``T[i,j,i',j'] = P[i,i'] Q[j,j']``, i.e. ``T.reshape(m·n, p·q) == np.kron(P, Q)``
  (row-major; see :mod:`tensorgrad.notation.printing`). It can only be scaled,
  negated and added to other Kronecker products (``2I ⊗ A + B ⊗ I``).
  ``eye`` (or ``I``, unless ``shapes`` declares a variable ``I``) is the identity;
  ``vector(c)`` / ``matrix(c)`` are all-``c`` vectors / matrices (``c`` a number);
  ``𝟏`` and ``𝟎`` are ``vector(1)`` and ``vector(0)``.
* A name that ``shapes`` uses as a dimension symbol (and does not declare as a
  variable) is the size of that dimension: with ``{"A": ("n", "n")}``, ``n + tr(A)``
  is ``tr(I + A)``. A multi-letter name followed by ``(`` is a call; with a space
  between (``mu (x + y)``) it is a product.

Types
-----
Every value is a scalar, a column vector, a row vector or a matrix. Variables are
typed by their first letter -- ``a``–``g`` scalars, ``h``–``z`` vectors (columns),
``A``–``Z`` matrices, other lower-case letters (``μ``, ``λ``) scalars, other
upper-case letters (``Θ``) matrices -- unless ``shapes`` declares them:
``{"A": ("m", "n"), "x": ("n",), "t": ()}``. Dimension symbols that ``shapes`` does
not fix are inferred by unification and named ``n`` (when there is only one) or
``m, n, p, q, …``. Mismatches raise :class:`NotationError` (a ``ValueError``) quoting
the offending sub-expression.

Edge naming (the tensor convention)
-----------------------------------
A matrix value's row index is the edge ``"i"`` and its column index the edge
``"j"``; a side of length 1 has no edge. So

* a scalar has no edges,
* a column vector has the single edge ``"i"``, a row vector the single edge ``"j"``,
* an m×n matrix has edges ``"i"`` (dimension ``m``) and ``"j"`` (dimension ``n``).

Variables are built with exactly these names: ``tg.Variable("x", i="n")``,
``tg.Variable("A", i="m", j="n")``, ``tg.Variable("c")``; :func:`variables` returns
them. Transposition renames ``i`` ↔ ``j``; a product renames the contracted pair to
``"k"`` and contracts it, so the result again has edges ``i``/``j``. Hence
``parse("x'")`` is ``x.rename(i="j")`` and ``parse("inv(A)")`` is
``tg.inverse(A).rename(i="j", j="i")`` (``tg.inverse`` is the inverse-transpose in
axis order). Gradients keep the variable's edges, so ``tg.grad(parse(text), x)`` of a
scalar is again a column vector (edge ``i``) or a matrix (edges ``i``, ``j``).
"""

from __future__ import annotations

from .build import parse, variables
from .grammar import parse_ast
from .shapes import infer_shapes, result_shape
from .syntax import BinOp, Call, Name, Neg, Node, Number, Transpose, to_text
from .tokens import NotationError, Token, tokenize

__all__ = [
    "NotationError",
    "parse",
    "parse_ast",
    "variables",
    "infer_shapes",
    "result_shape",
    "to_text",
    "Number",
    "Name",
    "Call",
    "Neg",
    "Transpose",
    "BinOp",
    "Node",
    "Token",
    "tokenize",
]
