"""Renderers of a notation AST: one walk, Unicode and LaTeX symbol tables and hooks."""

from __future__ import annotations

import re

from . import vocabulary
from .syntax import COMMUTATION, BinOp, Call, Name, Neg, Node, Number, Transpose
from .syntax import _prec as _parse_prec


# ---------------------------------------------------------------------------
# Renderers: one AST walk (_Renderer), Unicode and LaTeX symbols and hooks
# ---------------------------------------------------------------------------

_SUP = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def _is_kron(node: Node) -> bool:
    return isinstance(node, Call) and node.func == "kron"


def _prec(node: Node) -> float:
    """The parser's precedence, plus a level for ``⊗``: looser than products, tighter
    than sums (``A B ⊗ C + D ⊗ E``); the parser's text spells it ``kron(…)``, an atom."""
    return 1.5 if _is_kron(node) else _parse_prec(node)


def _fmt_number(v) -> str:
    """Integers as such, other floats as their shortest round-trip ``repr`` (so that
    parsing the text gives back the very same float; simple fractions are printed as
    ``x/3`` by :class:`_Term`)."""
    if isinstance(v, float) and abs(v) < 2**53 and abs(v - round(v)) <= 1e-12 * abs(v):
        v = int(round(v))  # an integer up to rounding noise (1.0000000000000002)
    return repr(v) if isinstance(v, float) else str(v)


def _is_int(node: Node):
    if isinstance(node, Number) and float(node.value).is_integer():
        return int(node.value)
    if isinstance(node, Neg) and isinstance(node.operand, Number) and float(node.operand.value).is_integer():
        return -int(node.operand.value)
    return None


class _Renderer:
    """The walk shared by both notations. Subclasses give the symbol table ``SYM``
    and the brackets ``OPEN``/``CLOSE``, and override the hooks ``number``, ``name``,
    ``special`` and ``head`` and define ``juxtapose``, ``divide`` and ``power`` where
    the two notations differ in more than a symbol."""

    SYM: dict[str, str] = {}  # keys: + - .* ./ kron T invT inv one norm( norm)
    OPEN, CLOSE = "(", ")"
    PAREN_RIGHT = (".*", "./")  # binary ops bracketed as the right factor of a product

    def __call__(self, node: Node) -> str:
        return self.r(node)

    def paren(self, s: str) -> str:
        return f"{self.OPEN}{s}{self.CLOSE}"

    def wrap(self, node: Node, below: float) -> str:
        s = self.r(node)
        return self.paren(s) if _prec(node) < below else s

    def r(self, node: Node) -> str:
        sym = self.SYM
        if isinstance(node, Number):
            return self.number(node.value)
        if isinstance(node, Name):
            return self.name(node.id)
        if isinstance(node, Neg):
            return sym["-"] + self.wrap(node.operand, 2)
        if isinstance(node, Transpose):
            inner = node.operand
            if isinstance(inner, Call) and inner.func == "inv":
                return self.wrap(inner.args[0], 10) + sym["invT"]
            return self.wrap(inner, 10) + sym["T"]
        if isinstance(node, Call):
            return self.call(node)
        assert isinstance(node, BinOp)
        op = node.op
        if op in ("+", "-"):
            right = self.r(node.right) if _is_kron(node.right) else self.wrap(node.right, 2)
            return f"{self.r(node.left)} {sym[op]} {right}"
        if op == "*":
            left, right = self.wrap(node.left, 2), self.wrap(node.right, 2)
            if isinstance(node.left, BinOp) and node.left.op in (".*", "./"):
                left = self.paren(left)  # (1 ⊘ u)ᵀv, not 1 ⊘ uᵀ v (a 1 ⊘ … after a factor is no product)
            if isinstance(node.right, BinOp) and node.right.op in self.PAREN_RIGHT:
                right = self.paren(right)
            return self.juxtapose(left, right)
        if op == "/":
            return self.divide(node)
        if op in (".*", "./"):
            return f"{self.wrap(node.left, 2)} {sym[op]} {self.wrap(node.right, 3)}"
        if op in ("^", ".^"):
            return self.power(node)
        raise TypeError(op)

    def call(self, node: Call) -> str:
        f, args, sym = node.func, node.args, self.SYM
        if f == "eye":
            return "I"
        if f == "kron":
            return f"{self.wrap(args[0], 2)} {sym['kron']} {self.wrap(args[1], 2)}"
        if f == "vector" and _is_int(args[0]) == 1:
            return sym["one"]
        if f == "norm2":
            return f"{sym['norm(']}{self.r(args[0])}{sym['norm)']}"
        if f == "inv":
            if isinstance(args[0], Transpose):
                return self.wrap(args[0].operand, 10) + sym["invT"]
            return self.wrap(args[0], 10) + sym["inv"]
        out = self.special(f, args)
        if out is not None:
            return out
        return self.head(f) + self.paren(", ".join(self.r(a) for a in args))

    # hooks
    def number(self, v) -> str:
        return _fmt_number(v)

    def name(self, s: str) -> str:
        return s

    def where(self, main: str, defs: list) -> str:
        """``main`` followed by its named intermediates ``[(name, text), …]``."""
        if not defs:
            return main
        return f"{main}  where " + ", ".join(f"{n} = {d}" for n, d in defs)

    def special(self, f: str, args) -> str | None:
        """A notation's own spelling of the call ``f(args)``, or None for ``head(args)``."""
        return None

    def head(self, f: str) -> str:
        return f


class _Unicode(_Renderer):
    SYM = {"+": "+", "-": "−", ".*": "⊙", "./": "⊘", "kron": "⊗", "T": "ᵀ", "invT": "⁻ᵀ", "inv": "⁻¹",
           "one": "𝟏", "norm(": "‖", "norm)": "‖"}
    PAREN_RIGHT = ("/", ".*", "./")  # A (x/y), not A x/y

    def juxtapose(self, left: str, right: str) -> str:
        return _juxtapose(left, right)

    def divide(self, node: BinOp) -> str:
        return f"{self.wrap(node.left, 2)}/{self.wrap(node.right, 3)}"

    def power(self, node: BinOp) -> str:
        if node.op == ".^":
            return f"{self.wrap(node.left, 5)}.^{self.wrap(node.right, 10)}"
        p = _is_int(node.right)
        base = self.wrap(node.left, 5)
        if base[-1] in _SUPERSCRIPTS:
            base = f"({base})"
        if p is not None:
            return base + str(p).translate(_SUP)
        return f"{base}^{self.wrap(node.right, 10)}"

    def special(self, f: str, args) -> str | None:
        if f == "vector" and _is_int(args[0]) == 0:
            return "𝟎"
        if f == COMMUTATION:
            return "𝐊"
        return None

    def head(self, f: str) -> str:
        return "log det" if f == "logdet" else f


_SUPERSCRIPTS = set("⁰¹²³⁴⁵⁶⁷⁸⁹⁻ᵀ")
_SUBSCRIPTS = "₀₁₂₃₄₅₆₇₈₉"
_FROM_SUBSCRIPT = str.maketrans(_SUBSCRIPTS, "0123456789")


def _juxtapose(left: str, right: str) -> str:
    a, b = left[-1], right[0]
    if a in ")‖" and (b.isalnum() or b in "‖𝟏𝟎√"):  # 3‖x‖ x, sqrt(2) x: not 3‖x‖x
        return f"{left} {right}"
    if b == "(" and _trailing_name(left):  # `mu (x + y)`: a space, or `mu(` reads as a call
        return f"{left} {right}"
    b = "𝟏" if b == "𝟎" else b
    a = "𝟏" if a == "𝟎" else a
    if a in _SUPERSCRIPTS and a != "ᵀ" and (b.isalnum() or b == "𝟏"):
        return f"{left} {right}"
    if (a.isalnum() or a == "_") and (b.isalnum() or b == "_" or b == "𝟏"):
        number = not (_trailing_name(left) or left[-2:-1].isalpha() or left[-2:-1] == "_")  # 2A, not e1 x
        lead = re.match(r"[A-Za-z_][A-Za-z0-9_]*", right)
        # 2A, but 0.5 x and 3 sech(s)
        number = number and _trailing_number(left).isdigit() and not (lead and len(lead.group()) > 1)
        if number and a.isdigit() and not b.isdigit() and b != "_" and not (b in "eE" and right[1:2].isdigit()):
            return left + right  # 2A (but 2 e1, not the number 2e1)
        return f"{left} {right}"
    if a == "𝟏" and (b.isalnum() or b == "𝟏"):
        return f"{left} {right}"
    return left + right


def _trailing_number(text: str) -> str:
    k = len(text)
    while k > 0 and (text[k - 1].isdigit() or text[k - 1] in ".e"):
        k -= 1
    return text[k:]


def _trailing_name(text: str) -> bool:
    """Does ``text`` end in an identifier of two or more characters?"""
    k = len(text)
    while k > 0 and (text[k - 1].isalnum() or text[k - 1] == "_") and text[k - 1] not in _SUPERSCRIPTS:
        k -= 1
    name = text[k:]
    return len(name) > 1 and not name[0].isdigit() and not (k > 0 and text[k - 1] == ".")


_GREEK = {
    "α": r"\alpha", "β": r"\beta", "γ": r"\gamma", "δ": r"\delta", "ε": r"\epsilon", "η": r"\eta",
    "θ": r"\theta", "λ": r"\lambda", "μ": r"\mu", "ν": r"\nu", "π": r"\pi", "ρ": r"\rho",
    "σ": r"\sigma", "τ": r"\tau", "φ": r"\phi", "ω": r"\omega", "Θ": r"\Theta", "Σ": r"\Sigma",
    "Λ": r"\Lambda", "Φ": r"\Phi", "Ω": r"\Omega",
}


_LATEX_CLOSED = re.compile(r"(\\right\||\\right\\\||\\sqrt\{[^{}]*\})$")  # after ‖…‖, |…|, √…


class _Latex(_Renderer):
    SYM = {"+": "+", "-": "-", ".*": r"\odot", "./": r"\oslash", "kron": r"\otimes", "T": r"^{\top}",
           "invT": r"^{-\top}", "inv": "^{-1}", "one": r"\mathbf{1}", "norm(": r"\left\|", "norm)": r"\right\|"}
    OPEN, CLOSE = r"\left(", r"\right)"

    def number(self, v) -> str:
        text = _fmt_number(v)
        if "e" in text:  # 1e-05 -> 1 \cdot 10^{-5}
            mant, exp = text.split("e")
            return rf"{mant} \cdot 10^{{{int(exp)}}}"
        return text

    def where(self, main: str, defs: list) -> str:
        if not defs:
            return main
        return main + r" \quad\text{where } " + r",\; ".join(f"{n} = {d}" for n, d in defs)

    def name(self, s: str) -> str:
        base = s.rstrip(_SUBSCRIPTS)
        if base != s:  # h₁ -> h_{1}
            return f"{self.name(base)}_{{{s[len(base):].translate(_FROM_SUBSCRIPT)}}}"
        if s in _GREEK:
            return _GREEK[s]
        out = "".join(_GREEK.get(ch, ch) for ch in s)
        if len(s) > 1 and s.isalpha() and s.isascii():
            return rf"\mathrm{{{s}}}"
        return out

    def juxtapose(self, left: str, right: str) -> str:
        if _LATEX_CLOSED.search(left) and not right.startswith((r"\left(", "(", "^", "_")):
            return left + r"\," + right  # ‖x‖ x, √2 x: TeX puts no space after a closing delimiter
        sep = " " if (left[-1].isalnum() and (right[0].isalnum() or right[0] == "\\")) else ""
        if left[-1].isdigit() and right[0].isdigit():
            sep = r" \cdot "
        return left + sep + right

    def divide(self, node: BinOp) -> str:
        return rf"\frac{{{self.r(node.left)}}}{{{self.r(node.right)}}}"

    def power(self, node: BinOp) -> str:
        circ = r"\circ " if node.op == ".^" else ""
        base = self.wrap(node.left, 5)
        if re.search(r"\^\{[^{}]*\}$", base):  # (X^{-1})^{2}: TeX has no double superscript
            base = self.paren(base)
        return f"{base}^{{{circ}{self.r(node.right)}}}"

    def special(self, f: str, args) -> str | None:
        if f == COMMUTATION:
            return r"\mathbf{K}"
        if f in ("vector", "matrix"):
            return r"\mathbf{0}" if _is_int(args[0]) == 0 else rf"{self.r(args[0])}\,\mathbf{{1}}"
        if f == "norm1":
            return rf"\left\|{self.r(args[0])}\right\|_1"
        if f == "sqrt":
            return rf"\sqrt{{{self.r(args[0])}}}"
        if f == "abs":
            return rf"\left|{self.r(args[0])}\right|"
        return None

    def head(self, f: str) -> str:
        return vocabulary.latex_head(f)
